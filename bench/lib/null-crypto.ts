/**
 * A crypto provider for measuring the protocol logic alone: the default provider with packet
 * protection taken out. Its AEAD copies the plaintext and writes a zero tag (open checks that the
 * tag is zero, so a corrupt packet still fails), and its header protection mask is all zeros.
 * Its batch calls work on the offsets as the native provider's do, without the views per packet
 * that the JavaScript providers' loops (crypto/batch.ts) make: what is left to measure is the
 * protocol's own work on the native backend's path. Both engines of a pair must use it.
 * Benchmarks only: it protects nothing.
 */
import { LoopBatchHeaderProtection } from '../../src/crypto/batch.js';
import { defaultProvider } from '../../src/crypto/default-provider.js';
import type { Aead, AeadAlg, CryptoProvider } from '../../src/crypto/provider.js';

const TAG = 16;

class NullAead implements Aead {
  constructor(readonly alg: AeadAlg) {}

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

  sealBatch(buf: Uint8Array, offsets: Uint32Array, _nonces: Uint8Array, count: number): void {
    for (let i = 0; i < count; i++) {
      const end = offsets[3 * i + 2]!;
      buf.fill(0, end, end + TAG);
    }
  }

  openBatch(
    buf: Uint8Array,
    offsets: Uint32Array,
    _nonces: Uint8Array,
    count: number,
    results: Int32Array,
  ): number {
    let failures = 0;
    for (let i = 0; i < count; i++) {
      const payload = offsets[3 * i + 1]!;
      const end = offsets[3 * i + 2]!;
      let n = end - TAG - payload;
      for (let j = end - TAG; n >= 0 && j < end; j++) if (buf[j] !== 0) n = -1;
      if (n < 0) failures++;
      results[i] = n;
    }
    return failures;
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
