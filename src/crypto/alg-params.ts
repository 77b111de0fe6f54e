/**
 * Algorithm parameters and argument checks shared by the node and noble providers, so both
 * reject the same misuse with the same message.
 */
import type { AeadAlg, HashAlg, HpAlg } from './provider.js';

/** Output length of each hash, which is also the length of every TLS 1.3 secret using it. */
export function hashLength(alg: HashAlg): number {
  return alg === 'sha256' ? 32 : 48;
}

const AEAD_KEY_LENGTH: Record<AeadAlg, number> = {
  'aes-128-gcm': 16,
  'aes-256-gcm': 32,
  'chacha20-poly1305': 32,
};

const HP_KEY_LENGTH: Record<HpAlg, number> = {
  'aes-128-ecb': 16,
  'aes-256-ecb': 32,
  chacha20: 32,
};

export function checkAeadKey(alg: AeadAlg, key: Uint8Array): void {
  const expected = AEAD_KEY_LENGTH[alg];
  if (expected === undefined) throw new TypeError(`unsupported AEAD ${String(alg)}`);
  if (key.length !== expected) {
    throw new RangeError(`${alg} needs a ${expected}-byte key, got ${key.length} bytes`);
  }
}

export function checkHpKey(alg: HpAlg, key: Uint8Array): void {
  const expected = HP_KEY_LENGTH[alg];
  if (expected === undefined) throw new TypeError(`unsupported header protection ${String(alg)}`);
  if (key.length !== expected) {
    throw new RangeError(
      `${alg} header protection needs a ${expected}-byte key, got ${key.length}`,
    );
  }
}

/** RFC 5869 §2.3: L <= 255 * HashLen. */
export function checkHkdfExpandLength(hashLen: number, length: number): void {
  if (!Number.isInteger(length) || length < 0 || length > 255 * hashLen) {
    throw new RangeError(`HKDF-Expand length ${length} is out of range`);
  }
}

export function isAllZero(b: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < b.length; i++) acc |= b[i]!;
  return acc === 0;
}
