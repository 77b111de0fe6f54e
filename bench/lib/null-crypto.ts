/**
 * A crypto provider for measuring the protocol logic alone: the default provider with packet
 * protection taken out. Its AEAD copies the plaintext and writes a zero tag (open checks that the
 * tag is zero, so a corrupt packet still fails), and its header protection mask is all zeros.
 * Both engines of a pair must use it. Benchmarks only: it protects nothing.
 */
import { LoopBatchAead, LoopBatchHeaderProtection } from '../../src/crypto/batch.js';
import { defaultProvider } from '../../src/crypto/default-provider.js';
import type { AeadAlg, CryptoProvider } from '../../src/crypto/provider.js';

const TAG = 16;

class NullAead extends LoopBatchAead {
  constructor(readonly alg: AeadAlg) {
    super();
  }

  seal(
    _nonce: Uint8Array,
    _aad: Uint8Array,
    plaintext: Uint8Array,
    out: Uint8Array,
    outOffset: number,
  ): number {
    // In place (the usual case) when out aliases the plaintext: only the tag is written.
    if (out.buffer !== plaintext.buffer || out.byteOffset + outOffset !== plaintext.byteOffset) {
      out.set(plaintext, outOffset);
    }
    out.fill(0, outOffset + plaintext.length, outOffset + plaintext.length + TAG);
    return plaintext.length + TAG;
  }

  open(
    _nonce: Uint8Array,
    _aad: Uint8Array,
    ciphertext: Uint8Array,
    out: Uint8Array,
    outOffset: number,
  ): number {
    const n = ciphertext.length - TAG;
    if (n < 0) return -1;
    for (let i = n; i < ciphertext.length; i++) if (ciphertext[i] !== 0) return -1;
    if (out.buffer !== ciphertext.buffer || out.byteOffset + outOffset !== ciphertext.byteOffset) {
      out.set(ciphertext.subarray(0, n), outOffset);
    }
    return n;
  }
}

class NullHeaderProtection extends LoopBatchHeaderProtection {
  mask(_sample: Uint8Array, mask: Uint8Array): void {
    mask.fill(0, 0, 5);
  }
}

/** The default provider (key exchange, signatures, hashes) without packet protection. */
export const nullPacketProtection: CryptoProvider = {
  ...defaultProvider,
  name: 'null-packet-protection',
  createAead: (alg) => new NullAead(alg),
  createHeaderProtection: () => new NullHeaderProtection(),
};
