/**
 * ChaCha20 header protection in plain JavaScript (RFC 9001 §5.4.4). The 5-byte mask is the first
 * 5 bytes of one ChaCha20 block (RFC 8439 §2.3) whose block counter is sample[0..3] (little
 * endian) and whose nonce is sample[4..15].
 *
 * Why not @noble/ciphers' `chacha20`: it refuses a block counter of 2^32-1 ("counter overflow"),
 * which a QUIC sample carries once in 2^32 packets, and its per-call checks cost more than the
 * block itself. The key words are parsed once per key here; each mask is one block on locals.
 */
import { LoopBatchHeaderProtection } from './batch.js';

// RFC 8439 §2.3: "expand 32-byte k"
const C0 = 0x61707865;
const C1 = 0x3320646e;
const C2 = 0x79622d32;
const C3 = 0x6b206574;

function le32(b: Uint8Array, i: number): number {
  return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
}

export class ChaCha20HeaderProtection extends LoopBatchHeaderProtection {
  private readonly k: Uint32Array;

  constructor(key: Uint8Array) {
    super();
    if (key.length !== 32) throw new RangeError('ChaCha20 header protection needs a 32-byte key');
    this.k = new Uint32Array(8);
    for (let i = 0; i < 8; i++) this.k[i] = le32(key, i * 4);
  }

  mask(sample: Uint8Array, mask: Uint8Array, offset = 0): void {
    const k = this.k;
    const k0 = k[0]!, k1 = k[1]!, k2 = k[2]!, k3 = k[3]!; // prettier-ignore
    const k4 = k[4]!, k5 = k[5]!, k6 = k[6]!, k7 = k[7]!; // prettier-ignore
    // RFC 9001 §5.4.4: counter = sample[0..3], nonce = sample[4..15]
    const n0 = le32(sample, offset), n1 = le32(sample, offset + 4); // prettier-ignore
    const n2 = le32(sample, offset + 8), n3 = le32(sample, offset + 12); // prettier-ignore
    let x0 = C0, x1 = C1, x2 = C2, x3 = C3; // prettier-ignore
    let x4 = k0, x5 = k1, x6 = k2, x7 = k3; // prettier-ignore
    let x8 = k4, x9 = k5, x10 = k6, x11 = k7; // prettier-ignore
    let x12 = n0, x13 = n1, x14 = n2, x15 = n3; // prettier-ignore
    // RFC 8439 §2.3: 20 rounds = 10 x (4 column quarter rounds + 4 diagonal quarter rounds).
    // Each quarter round (§2.1): a += b; d ^= a; d <<<= 16; c += d; b ^= c; b <<<= 12;
    //                            a += b; d ^= a; d <<<= 8;  c += d; b ^= c; b <<<= 7.
    for (let round = 0; round < 10; round++) {
      // QUARTERROUND(0, 4, 8, 12)
      x0 = (x0 + x4) | 0;
      x12 ^= x0;
      x12 = (x12 << 16) | (x12 >>> 16);
      x8 = (x8 + x12) | 0;
      x4 ^= x8;
      x4 = (x4 << 12) | (x4 >>> 20);
      x0 = (x0 + x4) | 0;
      x12 ^= x0;
      x12 = (x12 << 8) | (x12 >>> 24);
      x8 = (x8 + x12) | 0;
      x4 ^= x8;
      x4 = (x4 << 7) | (x4 >>> 25);
      // QUARTERROUND(1, 5, 9, 13)
      x1 = (x1 + x5) | 0;
      x13 ^= x1;
      x13 = (x13 << 16) | (x13 >>> 16);
      x9 = (x9 + x13) | 0;
      x5 ^= x9;
      x5 = (x5 << 12) | (x5 >>> 20);
      x1 = (x1 + x5) | 0;
      x13 ^= x1;
      x13 = (x13 << 8) | (x13 >>> 24);
      x9 = (x9 + x13) | 0;
      x5 ^= x9;
      x5 = (x5 << 7) | (x5 >>> 25);
      // QUARTERROUND(2, 6, 10, 14)
      x2 = (x2 + x6) | 0;
      x14 ^= x2;
      x14 = (x14 << 16) | (x14 >>> 16);
      x10 = (x10 + x14) | 0;
      x6 ^= x10;
      x6 = (x6 << 12) | (x6 >>> 20);
      x2 = (x2 + x6) | 0;
      x14 ^= x2;
      x14 = (x14 << 8) | (x14 >>> 24);
      x10 = (x10 + x14) | 0;
      x6 ^= x10;
      x6 = (x6 << 7) | (x6 >>> 25);
      // QUARTERROUND(3, 7, 11, 15)
      x3 = (x3 + x7) | 0;
      x15 ^= x3;
      x15 = (x15 << 16) | (x15 >>> 16);
      x11 = (x11 + x15) | 0;
      x7 ^= x11;
      x7 = (x7 << 12) | (x7 >>> 20);
      x3 = (x3 + x7) | 0;
      x15 ^= x3;
      x15 = (x15 << 8) | (x15 >>> 24);
      x11 = (x11 + x15) | 0;
      x7 ^= x11;
      x7 = (x7 << 7) | (x7 >>> 25);
      // QUARTERROUND(0, 5, 10, 15)
      x0 = (x0 + x5) | 0;
      x15 ^= x0;
      x15 = (x15 << 16) | (x15 >>> 16);
      x10 = (x10 + x15) | 0;
      x5 ^= x10;
      x5 = (x5 << 12) | (x5 >>> 20);
      x0 = (x0 + x5) | 0;
      x15 ^= x0;
      x15 = (x15 << 8) | (x15 >>> 24);
      x10 = (x10 + x15) | 0;
      x5 ^= x10;
      x5 = (x5 << 7) | (x5 >>> 25);
      // QUARTERROUND(1, 6, 11, 12)
      x1 = (x1 + x6) | 0;
      x12 ^= x1;
      x12 = (x12 << 16) | (x12 >>> 16);
      x11 = (x11 + x12) | 0;
      x6 ^= x11;
      x6 = (x6 << 12) | (x6 >>> 20);
      x1 = (x1 + x6) | 0;
      x12 ^= x1;
      x12 = (x12 << 8) | (x12 >>> 24);
      x11 = (x11 + x12) | 0;
      x6 ^= x11;
      x6 = (x6 << 7) | (x6 >>> 25);
      // QUARTERROUND(2, 7, 8, 13)
      x2 = (x2 + x7) | 0;
      x13 ^= x2;
      x13 = (x13 << 16) | (x13 >>> 16);
      x8 = (x8 + x13) | 0;
      x7 ^= x8;
      x7 = (x7 << 12) | (x7 >>> 20);
      x2 = (x2 + x7) | 0;
      x13 ^= x2;
      x13 = (x13 << 8) | (x13 >>> 24);
      x8 = (x8 + x13) | 0;
      x7 ^= x8;
      x7 = (x7 << 7) | (x7 >>> 25);
      // QUARTERROUND(3, 4, 9, 14)
      x3 = (x3 + x4) | 0;
      x14 ^= x3;
      x14 = (x14 << 16) | (x14 >>> 16);
      x9 = (x9 + x14) | 0;
      x4 ^= x9;
      x4 = (x4 << 12) | (x4 >>> 20);
      x3 = (x3 + x4) | 0;
      x14 ^= x3;
      x14 = (x14 << 8) | (x14 >>> 24);
      x9 = (x9 + x14) | 0;
      x4 ^= x9;
      x4 = (x4 << 7) | (x4 >>> 25);
    }
    // RFC 8439 §2.3: add the initial state; serialize little endian. The mask is ChaCha20 applied
    // to five zero bytes, i.e. the first five keystream bytes: word 0 and the low byte of word 1.
    const w0 = (x0 + C0) | 0;
    const w1 = (x1 + C1) | 0;
    mask[0] = w0 & 0xff;
    mask[1] = (w0 >>> 8) & 0xff;
    mask[2] = (w0 >>> 16) & 0xff;
    mask[3] = w0 >>> 24;
    mask[4] = w1 & 0xff;
  }
}
