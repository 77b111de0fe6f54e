/**
 * The `pure` crypto provider (the pure backend's; no addon): for each primitive, whichever of
 * `node` and `noble` is faster on Node.js, as measured by bench/crypto.ts (`npx tsx bench/crypto.ts`; full tables in
 * bench/README.md, "Crypto"). Figures from Node 20.20, per CPU-second on one core:
 *
 * - AEAD: node:crypto. AES-128-GCM, 1200-byte packet: 137k seals/s on node vs 22k on noble;
 *   ChaCha20-Poly1305: 111k vs 52k.
 * - Header protection: pure JS, because node must cross into C++ (and, for ChaCha20, build a
 *   cipher) for every 16-byte sample. One mask: AES-128 139 ns vs 1204 ns with a reused node
 *   ECB cipher; ChaCha20 128 ns vs 2980 ns. ChaCha20 is noble's block function. AES is the
 *   small-table block cipher below rather than noble's: noble's AES indexes two merged
 *   256 KiB tables, which stay cached in a benchmark loop but not between packets of a real
 *   transfer, where each mask then cost 2-3 µs (CPU profile of an in-memory download); four
 *   1 KiB tables stay in the L1 cache.
 * - Key shares: node:crypto. X25519 derive 116 µs vs 957 µs; P-256 114 µs vs 2382 µs.
 * - Signatures: node:crypto. P-256 verify 198 µs vs 1932 µs; Ed25519 170 µs vs 1169 µs.
 * - Hash, HMAC, HKDF: node:crypto. HMAC-SHA256 of 64 bytes 2.4 µs vs 5.5 µs; one
 *   Expand-Label 3.9 µs vs 5.6 µs.
 * - Random: globalThis.crypto.getRandomValues (the noble provider's source; the same OpenSSL
 *   generator underneath): 32 bytes in 2.0 µs vs 2.5 µs for randomBytes. Small requests are
 *   served from a 4 KiB pool filled by one call (random-pool.ts; about two dozen draws per
 *   handshake).
 *
 * Together: 205k protected and 237k unprotected 1200-byte AES-128-GCM packets per CPU-second.
 */
import { LoopBatchHeaderProtection } from './batch.js';
import { checkHpKey } from './alg-params.js';
import { noblePrimitives } from './noble-provider.js';
import { nodePrimitives } from './node-provider.js';
import type { CryptoProvider, HeaderProtection, HpAlg } from './provider.js';
import { RandomPool } from './random-pool.js';
import { nodeSigning } from './signing-node.js';

// getRandomValues fills at most 65536 bytes per call (WebCrypto §10.1.1).
const RANDOM_CHUNK = 65536;

const randomPool = new RandomPool((view) => {
  for (let i = 0; i < view.length; i += RANDOM_CHUNK) {
    globalThis.crypto.getRandomValues(view.subarray(i, Math.min(view.length, i + RANDOM_CHUNK)));
  }
});

/**
 * AES (FIPS 197) tables: the S-box, and T0..T3 which fold SubBytes, ShiftRows' byte choice and
 * MixColumns into one lookup per state byte (FIPS 197 §5.1; words big-endian, row 0 in the high
 * byte). T0[x] = (2·S[x], S[x], S[x], 3·S[x]); T1..T3 are its byte rotations.
 */
const SBOX = new Uint8Array(256);
const T0 = new Uint32Array(256);
const T1 = new Uint32Array(256);
const T2 = new Uint32Array(256);
const T3 = new Uint32Array(256);

/** Multiplication by x (that is, 2) in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1 (FIPS 197 §4.2.1). */
function xtime(b: number): number {
  return ((b << 1) ^ ((b & 0x80) !== 0 ? 0x1b : 0)) & 0xff;
}

function rotl8(b: number, n: number): number {
  return ((b << n) | (b >>> (8 - n))) & 0xff;
}

function buildAesTables(): void {
  // Powers of the generator 3 give every non-zero element, and so every inverse:
  // inv(3^i) = 3^(255 - i).
  const exp = new Uint8Array(256);
  const log = new Uint8Array(256);
  for (let i = 0, x = 1; i < 255; i++) {
    exp[i] = x;
    log[x] = i;
    x ^= xtime(x);
  }
  for (let x = 0; x < 256; x++) {
    const inv = x === 0 ? 0 : exp[(255 - log[x]!) % 255]!;
    // FIPS 197 §5.1.1: the affine transformation of the inverse.
    const s = inv ^ rotl8(inv, 1) ^ rotl8(inv, 2) ^ rotl8(inv, 3) ^ rotl8(inv, 4) ^ 0x63;
    SBOX[x] = s;
    const s2 = xtime(s);
    const t = ((s2 << 24) | (s << 16) | (s << 8) | (s2 ^ s)) >>> 0;
    T0[x] = t;
    T1[x] = ((t >>> 8) | (t << 24)) >>> 0;
    T2[x] = ((t >>> 16) | (t << 16)) >>> 0;
    T3[x] = ((t >>> 24) | (t << 8)) >>> 0;
  }
}
buildAesTables();

function subWord(w: number): number {
  return (
    ((SBOX[w >>> 24]! << 24) |
      (SBOX[(w >>> 16) & 0xff]! << 16) |
      (SBOX[(w >>> 8) & 0xff]! << 8) |
      SBOX[w & 0xff]!) >>>
    0
  );
}

function be32(b: Uint8Array, i: number): number {
  return ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
}

/**
 * AES-ECB header protection (RFC 9001 §5.4.3): mask = AES-Encrypt(hp_key, sample)[0..4], for
 * 128- and 256-bit keys. Round keys are expanded once per key; a mask allocates nothing.
 */
class AesHeaderProtection extends LoopBatchHeaderProtection {
  private readonly rk: Uint32Array;
  private readonly rounds: number;

  constructor(key: Uint8Array) {
    super();
    // FIPS 197 §5.2 key expansion: Nk key words, Nr = Nk + 6 rounds, 4 (Nr + 1) round-key words.
    const nk = key.length / 4;
    this.rounds = nk + 6;
    const rk = new Uint32Array(4 * (this.rounds + 1));
    for (let i = 0; i < nk; i++) rk[i] = be32(key, 4 * i);
    for (let i = nk, rcon = 1; i < rk.length; i++) {
      let temp = rk[i - 1]!;
      if (i % nk === 0) {
        temp = (subWord(((temp << 8) | (temp >>> 24)) >>> 0) ^ (rcon << 24)) >>> 0;
        rcon = xtime(rcon);
      } else if (nk > 6 && i % nk === 4) {
        temp = subWord(temp);
      }
      rk[i] = (rk[i - nk]! ^ temp) >>> 0;
    }
    this.rk = rk;
  }

  mask(sample: Uint8Array, mask: Uint8Array, offset = 0): void {
    const rk = this.rk;
    let s0 = be32(sample, offset) ^ rk[0]!;
    let s1 = be32(sample, offset + 4) ^ rk[1]!;
    let s2 = be32(sample, offset + 8) ^ rk[2]!;
    let s3 = be32(sample, offset + 12) ^ rk[3]!;
    let k = 4;
    for (let r = 1; r < this.rounds; r++, k += 4) {
      const t0 =
        T0[s0 >>> 24]! ^ T1[(s1 >>> 16) & 0xff]! ^ T2[(s2 >>> 8) & 0xff]! ^ T3[s3 & 0xff]! ^ rk[k]!;
      const t1 =
        T0[s1 >>> 24]! ^
        T1[(s2 >>> 16) & 0xff]! ^
        T2[(s3 >>> 8) & 0xff]! ^
        T3[s0 & 0xff]! ^
        rk[k + 1]!;
      const t2 =
        T0[s2 >>> 24]! ^
        T1[(s3 >>> 16) & 0xff]! ^
        T2[(s0 >>> 8) & 0xff]! ^
        T3[s1 & 0xff]! ^
        rk[k + 2]!;
      const t3 =
        T0[s3 >>> 24]! ^
        T1[(s0 >>> 16) & 0xff]! ^
        T2[(s1 >>> 8) & 0xff]! ^
        T3[s2 & 0xff]! ^
        rk[k + 3]!;
      s0 = t0 >>> 0;
      s1 = t1 >>> 0;
      s2 = t2 >>> 0;
      s3 = t3 >>> 0;
    }
    // Last round: no MixColumns. Only the first five output bytes are needed: column 0 and the
    // first byte of column 1.
    const o0 =
      ((SBOX[s0 >>> 24]! << 24) |
        (SBOX[(s1 >>> 16) & 0xff]! << 16) |
        (SBOX[(s2 >>> 8) & 0xff]! << 8) |
        SBOX[s3 & 0xff]!) ^
      rk[k]!;
    const o1 = (SBOX[s1 >>> 24]! << 24) ^ rk[k + 1]!;
    mask[0] = o0 >>> 24;
    mask[1] = (o0 >>> 16) & 0xff;
    mask[2] = (o0 >>> 8) & 0xff;
    mask[3] = o0 & 0xff;
    mask[4] = o1 >>> 24;
  }
}

function createHeaderProtection(alg: HpAlg, key: Uint8Array): HeaderProtection {
  if (alg === 'chacha20') return noblePrimitives.createHeaderProtection(alg, key);
  checkHpKey(alg, key);
  return new AesHeaderProtection(key);
}

export const pureProvider: CryptoProvider = {
  name: 'pure',
  ...nodeSigning,
  random: (n) => randomPool.take(n),
  hash: nodePrimitives.hash,
  hmac: nodePrimitives.hmac,
  hkdfExtract: nodePrimitives.hkdfExtract,
  hkdfExpand: nodePrimitives.hkdfExpand,
  createAead: nodePrimitives.createAead,
  createHeaderProtection,
  // Single AES blocks: noble's block function beats a node ECB cipher's update() call (QUIC-LB
  // four-pass routing 1.3M vs 0.38M CIDs/s, bench/lb.ts), as for header protection.
  createBlockCipher: noblePrimitives.createBlockCipher,
  generateKeyShare: nodePrimitives.generateKeyShare,
  respondToKeyShare: nodePrimitives.respondToKeyShare,
};
