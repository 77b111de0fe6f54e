/**
 * RSA with bigint for the pure-JS provider (RFC 8017): the PKCS#1 key structures (App. A.1),
 * RSASSA-PKCS1-v1_5 (§8.2) and RSASSA-PSS with MGF1 (§8.1, §9.1, App. B.2.1), signing with the
 * CRT, and key generation with Miller-Rabin.
 *
 * bigint arithmetic is not constant time. Private operations are blinded (a random r^e factor
 * hides the base from timing) and their result is checked with the public exponent before it
 * leaves (a faulty CRT result would reveal a factor of n). The node provider is the choice where
 * side channels matter.
 */
import { DecodeError } from '../util/errors.js';
import { bytesEqual, concatBytes } from '../util/bytes.js';
import { derInteger, derSequence, readSequence } from '../util/der.js';

export interface RsaPublicKey {
  readonly n: bigint;
  readonly e: bigint;
  /** Modulus size in bits. */
  readonly bits: number;
}

export interface RsaPrivateKey extends RsaPublicKey {
  readonly d: bigint;
  readonly p: bigint;
  readonly q: bigint;
  readonly dp: bigint;
  readonly dq: bigint;
  readonly qInv: bigint;
}

/** A hash function for EMSA encodings. */
export interface RsaHash {
  readonly name: 'sha1' | 'sha256' | 'sha384' | 'sha512';
  readonly length: number;
  digest(data: Uint8Array): Uint8Array;
}

// ---------------------------------------------------------------- integers

function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

/** OS2IP (RFC 8017 §4.2). */
export function os2ip(b: Uint8Array): bigint {
  let hex = '';
  for (const v of b) hex += v.toString(16).padStart(2, '0');
  return hex === '' ? 0n : BigInt('0x' + hex);
}

/** I2OSP (RFC 8017 §4.1); null when x does not fit in `len` octets. */
export function i2osp(x: bigint, len: number): Uint8Array | null {
  if (x < 0n) return null;
  const hex = x.toString(16);
  if (hex.length > len * 2) return null;
  const padded = hex.padStart(len * 2, '0');
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = parseInt(padded.substr(i * 2, 2), 16);
  return out;
}

function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

/** base^exp mod m with a 4-bit fixed window. */
export function modPow(base: bigint, exp: bigint, m: bigint): bigint {
  if (m === 1n) return 0n;
  const b = mod(base, m);
  const table: bigint[] = [1n, b];
  for (let i = 2; i < 16; i++) table.push((table[i - 1]! * b) % m);
  const digits = exp.toString(16);
  let r = 1n;
  for (let i = 0; i < digits.length; i++) {
    if (i > 0) {
      r = (r * r) % m;
      r = (r * r) % m;
      r = (r * r) % m;
      r = (r * r) % m;
    }
    const w = parseInt(digits[i]!, 16);
    if (w !== 0) r = (r * table[w]!) % m;
  }
  return r;
}

/** The inverse of a modulo m, or null when gcd(a, m) != 1. */
export function modInverse(a: bigint, m: bigint): bigint | null {
  let [oldR, r] = [mod(a, m), m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  return oldR === 1n ? mod(oldS, m) : null;
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

// ---------------------------------------------------------------- PKCS#1 structures

/** RSAPublicKey (RFC 8017 App. A.1.1). Throws DecodeError. */
export function parseRsaPublicKey(der: Uint8Array): RsaPublicKey {
  const r = readSequence(der, 'RSAPublicKey');
  const n = r.integer();
  const e = r.integer();
  r.finish('RSAPublicKey');
  if (n <= 0n || e <= 1n || n % 2n === 0n || e >= n)
    throw new DecodeError('RSAPublicKey: bad values');
  return { n, e, bits: bitLength(n) };
}

export function encodeRsaPublicKey(k: RsaPublicKey): Uint8Array {
  return derSequence(derInteger(k.n), derInteger(k.e));
}

/** RSAPrivateKey (RFC 8017 App. A.1.2), two-prime only. Throws DecodeError. */
export function parseRsaPrivateKey(der: Uint8Array): RsaPrivateKey {
  const r = readSequence(der, 'RSAPrivateKey');
  if (r.integer() !== 0n) throw new DecodeError('RSAPrivateKey: only two-prime keys are supported');
  const [n, e, d, p, q, dp, dq, qInv] = [0, 0, 0, 0, 0, 0, 0, 0].map(() => r.integer()) as [
    bigint,
    bigint,
    bigint,
    bigint,
    bigint,
    bigint,
    bigint,
    bigint,
  ];
  r.finish('RSAPrivateKey');
  // Cheap consistency checks: a key that fails them would sign garbage.
  if (p <= 1n || q <= 1n || p * q !== n || e <= 1n || d <= 0n || dp <= 0n || dq <= 0n) {
    throw new DecodeError('RSAPrivateKey: inconsistent values');
  }
  if ((qInv * q) % p !== 1n || mod(dp - d, p - 1n) !== 0n || mod(dq - d, q - 1n) !== 0n) {
    throw new DecodeError('RSAPrivateKey: inconsistent CRT values');
  }
  return { n, e, d, p, q, dp, dq, qInv, bits: bitLength(n) };
}

export function encodeRsaPrivateKey(k: RsaPrivateKey): Uint8Array {
  return derSequence(
    derInteger(0),
    ...[k.n, k.e, k.d, k.p, k.q, k.dp, k.dq, k.qInv].map((v) => derInteger(v)),
  );
}

// ---------------------------------------------------------------- primitives

/** RSAVP1 (§5.2.2) with the signature-representative range check. */
function rsavp1(k: RsaPublicKey, sig: Uint8Array): bigint | null {
  const len = (k.bits + 7) >> 3;
  if (sig.length !== len) return null;
  const s = os2ip(sig);
  return s >= k.n ? null : modPow(s, k.e, k.n);
}

/** RSASP1 (§5.2.1) with the CRT, blinding, and a check of the result. */
function rsasp1(k: RsaPrivateKey, m: bigint, random: (n: number) => Uint8Array): bigint {
  const len = (k.bits + 7) >> 3;
  let r: bigint;
  let rInv: bigint | null;
  do {
    r = mod(os2ip(random(len)), k.n);
    rInv = r > 1n ? modInverse(r, k.n) : null;
  } while (rInv === null);
  const blinded = (m * modPow(r, k.e, k.n)) % k.n;
  const m1 = modPow(blinded, k.dp, k.p);
  const m2 = modPow(blinded, k.dq, k.q);
  const h = mod(k.qInv * (m1 - m2), k.p);
  const s = ((m2 + k.q * h) * rInv) % k.n;
  if (modPow(s, k.e, k.n) !== m) throw new Error('RSA signature self-check failed');
  return s;
}

// ---------------------------------------------------------------- EMSA-PKCS1-v1_5

/** DigestInfo prefixes (RFC 8017 §9.2 note 1): AlgorithmIdentifier with NULL, then the hash. */
const DIGEST_INFO_PREFIX: Record<RsaHash['name'], string> = {
  sha1: '3021300906052b0e03021a05000414',
  sha256: '3031300d060960864801650304020105000420',
  sha384: '3041300d060960864801650304020205000430',
  sha512: '3051300d060960864801650304020305000440',
};

function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)));
}

function emsaPkcs1(hash: RsaHash, msg: Uint8Array, emLen: number): Uint8Array | null {
  const t = concatBytes(hexBytes(DIGEST_INFO_PREFIX[hash.name]), hash.digest(msg));
  if (emLen < t.length + 11) return null;
  const em = new Uint8Array(emLen).fill(0xff);
  em[0] = 0;
  em[1] = 1;
  em[emLen - t.length - 1] = 0;
  em.set(t, emLen - t.length);
  return em;
}

export function rsaPkcs1Sign(
  k: RsaPrivateKey,
  hash: RsaHash,
  msg: Uint8Array,
  random: (n: number) => Uint8Array,
): Uint8Array {
  const len = (k.bits + 7) >> 3;
  const em = emsaPkcs1(hash, msg, len);
  if (em === null) throw new RangeError('RSA key too short for this hash');
  return i2osp(rsasp1(k, os2ip(em), random), len)!;
}

/** RSASSA-PKCS1-V1_5-VERIFY (§8.2.2): compares against the re-encoded EM, never parses it. */
export function rsaPkcs1Verify(
  k: RsaPublicKey,
  hash: RsaHash,
  msg: Uint8Array,
  sig: Uint8Array,
): boolean {
  const m = rsavp1(k, sig);
  if (m === null) return false;
  const em = i2osp(m, sig.length);
  const expected = emsaPkcs1(hash, msg, sig.length);
  return em !== null && expected !== null && bytesEqual(em, expected);
}

// ---------------------------------------------------------------- EMSA-PSS

/** MGF1 (App. B.2.1). */
function mgf1(hash: RsaHash, seed: Uint8Array, len: number): Uint8Array {
  const out = new Uint8Array(len);
  const input = new Uint8Array(seed.length + 4);
  input.set(seed);
  for (let counter = 0, off = 0; off < len; counter++, off += hash.length) {
    new DataView(input.buffer).setUint32(seed.length, counter);
    const block = hash.digest(input);
    out.set(block.subarray(0, Math.min(hash.length, len - off)), off);
  }
  return out;
}

/** EMSA-PSS-ENCODE (§9.1.1). */
function emsaPssEncode(
  hash: RsaHash,
  msg: Uint8Array,
  emBits: number,
  salt: Uint8Array,
): Uint8Array {
  const hLen = hash.length;
  const emLen = Math.ceil(emBits / 8);
  if (emLen < hLen + salt.length + 2)
    throw new RangeError('RSA key too short for PSS with this hash');
  const mHash = hash.digest(msg);
  const h = hash.digest(concatBytes(new Uint8Array(8), mHash, salt));
  const db = new Uint8Array(emLen - hLen - 1);
  db[emLen - salt.length - hLen - 2] = 0x01;
  db.set(salt, emLen - salt.length - hLen - 1);
  const mask = mgf1(hash, h, db.length);
  for (let i = 0; i < db.length; i++) db[i]! ^= mask[i]!;
  db[0]! &= 0xff >> (8 * emLen - emBits);
  return concatBytes(db, h, Uint8Array.of(0xbc));
}

/** EMSA-PSS-VERIFY (§9.1.2) with a fixed salt length. */
function emsaPssVerify(
  hash: RsaHash,
  msg: Uint8Array,
  em: Uint8Array,
  emBits: number,
  sLen: number,
): boolean {
  const hLen = hash.length;
  const emLen = em.length;
  if (emLen < hLen + sLen + 2 || em[emLen - 1] !== 0xbc) return false;
  const maskedDb = em.subarray(0, emLen - hLen - 1);
  const h = em.subarray(emLen - hLen - 1, emLen - 1);
  const topBits = 8 * emLen - emBits;
  if ((maskedDb[0]! & ~(0xff >> topBits)) !== 0) return false;
  const mask = mgf1(hash, h, maskedDb.length);
  const db = new Uint8Array(maskedDb.length);
  for (let i = 0; i < db.length; i++) db[i] = maskedDb[i]! ^ mask[i]!;
  db[0]! &= 0xff >> topBits;
  const psLen = emLen - hLen - sLen - 2;
  for (let i = 0; i < psLen; i++) if (db[i] !== 0) return false;
  if (db[psLen] !== 0x01) return false;
  const salt = db.subarray(db.length - sLen);
  const mHash = hash.digest(msg);
  return bytesEqual(hash.digest(concatBytes(new Uint8Array(8), mHash, salt)), h);
}

/** RSASSA-PSS-SIGN (§8.1.1); the salt length is salt.length. */
export function rsaPssSign(
  k: RsaPrivateKey,
  hash: RsaHash,
  msg: Uint8Array,
  salt: Uint8Array,
  random: (n: number) => Uint8Array,
): Uint8Array {
  const em = emsaPssEncode(hash, msg, k.bits - 1, salt);
  return i2osp(rsasp1(k, os2ip(em), random), (k.bits + 7) >> 3)!;
}

/** RSASSA-PSS-VERIFY (§8.1.2) with salt length `saltLength`. */
export function rsaPssVerify(
  k: RsaPublicKey,
  hash: RsaHash,
  msg: Uint8Array,
  sig: Uint8Array,
  saltLength: number,
): boolean {
  const m = rsavp1(k, sig);
  if (m === null) return false;
  const emBits = k.bits - 1;
  const em = i2osp(m, Math.ceil(emBits / 8));
  return em !== null && emsaPssVerify(hash, msg, em, emBits, saltLength);
}

// ---------------------------------------------------------------- key generation

const SMALL_PRIMES: number[] = (() => {
  const limit = 2000;
  const sieve = new Uint8Array(limit);
  const out: number[] = [];
  for (let i = 2; i < limit; i++) {
    if (sieve[i]) continue;
    out.push(i);
    for (let j = i * i; j < limit; j += i) sieve[j] = 1;
  }
  return out;
})();

/** Miller-Rabin rounds for a 2^-100 error bound (FIPS 186-4 Table C.2, M-R only). */
function millerRabinRounds(bits: number): number {
  if (bits >= 1536) return 4;
  if (bits >= 1024) return 5;
  if (bits >= 512) return 7;
  return 40;
}

function isProbablePrime(n: bigint, rounds: number, random: (n: number) => Uint8Array): boolean {
  const nm1 = n - 1n;
  let d = nm1;
  let s = 0;
  while ((d & 1n) === 0n) {
    d >>= 1n;
    s++;
  }
  const len = (bitLength(n) + 7) >> 3;
  for (let i = 0; i < rounds; i++) {
    const a = 2n + mod(os2ip(random(len)), n - 3n);
    let x = modPow(a, d, n);
    if (x === 1n || x === nm1) continue;
    let composite = true;
    for (let j = 1; j < s && composite; j++) {
      x = (x * x) % n;
      if (x === nm1) composite = false;
    }
    if (composite) return false;
  }
  return true;
}

/** A random prime of exactly `bits` bits with the top two bits set and gcd(p-1, e) = 1. */
function randomPrime(bits: number, e: bigint, random: (n: number) => Uint8Array): bigint {
  const len = (bits + 7) >> 3;
  const rounds = millerRabinRounds(bits);
  for (;;) {
    let start = os2ip(random(len)) >> BigInt(len * 8 - bits);
    start |= (3n << BigInt(bits - 2)) | 1n;
    // Sieve the odd numbers after `start` by small primes, then test the survivors.
    const residues = SMALL_PRIMES.map((sp) => Number(start % BigInt(sp)));
    for (let delta = 0; delta < 1 << 16; delta += 2) {
      if (SMALL_PRIMES.some((sp, i) => (residues[i]! + delta) % sp === 0)) continue;
      const c = start + BigInt(delta);
      if (bitLength(c) !== bits) break;
      if (gcd(c - 1n, e) === 1n && isProbablePrime(c, rounds, random)) return c;
    }
  }
}

/**
 * Generates an RSA key with e = 65537 (FIPS 186-4 §B.3.3 style: primes of bits/2 with the top
 * two bits set, |p - q| and d bounded below). Pure bigint: a 2048-bit key takes a second or more.
 */
export function generateRsaKey(bits: number, random: (n: number) => Uint8Array): RsaPrivateKey {
  if (!Number.isInteger(bits) || bits < 1024 || bits > 8192 || bits % 2 !== 0) {
    throw new RangeError(`RSA key size must be an even number of bits in 1024..8192, got ${bits}`);
  }
  const e = 65537n;
  const half = bits / 2;
  for (;;) {
    const p = randomPrime(half, e, random);
    const q = randomPrime(half, e, random);
    // FIPS 186-4 §B.3.3: |p - q| > 2^(nlen/2 - 100).
    if ((p > q ? p - q : q - p) >> BigInt(half - 100) === 0n) continue;
    const lambda = ((p - 1n) * (q - 1n)) / gcd(p - 1n, q - 1n);
    const d = modInverse(e, lambda);
    if (d === null || d >> BigInt(half) === 0n) continue;
    const [hi, lo] = p > q ? [p, q] : [q, p];
    const n = hi * lo;
    return {
      n,
      e,
      d,
      p: hi,
      q: lo,
      dp: d % (hi - 1n),
      dq: d % (lo - 1n),
      qInv: modInverse(lo, hi)!,
      bits: bitLength(n),
    };
  }
}
