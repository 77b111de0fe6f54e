/**
 * The `noble` crypto provider: pure JavaScript (@noble/hashes, @noble/ciphers, @noble/curves),
 * so it runs on any JS runtime. Randomness comes from globalThis.crypto.getRandomValues.
 *
 * noble's AEADs take the nonce and AAD at construction, so each seal/open builds one cipher
 * (which also expands the AES key and the GHASH table: the main cost of AES-GCM here, see
 * bench/crypto.ts). AES header protection runs noble's raw AES block function on a key schedule
 * expanded once per key; ChaCha20 header protection uses the block function of chacha20-hp.ts.
 */
import { LoopBatchAead, LoopBatchHeaderProtection } from './batch.js';
import { gcm, unsafe as aesUnsafe } from '@noble/ciphers/aes.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { p256, p384 } from '@noble/curves/nist.js';
import { expand, extract } from '@noble/hashes/hkdf.js';
import { hmac as nobleHmac } from '@noble/hashes/hmac.js';
import { sha256, sha384 } from '@noble/hashes/sha2.js';
import {
  checkAeadKey,
  checkHkdfExpandLength,
  checkHpKey,
  hashLength,
  isAllZero,
} from './alg-params.js';
import { ChaCha20HeaderProtection } from './chacha20-hp.js';
import { hybridClientShare, nobleMlKem768, respondToKeyShare } from './hybrid-mlkem.js';
import type {
  Aead,
  AeadAlg,
  BlockCipher,
  CryptoProvider,
  HashAlg,
  HeaderProtection,
  HpAlg,
  KeyExchangeGroup,
  KeyShare,
} from './provider.js';
import { nobleSigning } from './signing-noble.js';

const TAG_LENGTH = 16;
const HASH = { sha256, sha384 } as const;

// getRandomValues fills at most 65536 bytes per call (WebCrypto §10.1.1).
const RANDOM_CHUNK = 65536;

function random(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += RANDOM_CHUNK) {
    globalThis.crypto.getRandomValues(out.subarray(i, Math.min(n, i + RANDOM_CHUNK)));
  }
  return out;
}

function hash(alg: HashAlg, data: Uint8Array): Uint8Array {
  return HASH[alg](data);
}

function hmac(alg: HashAlg, key: Uint8Array, data: Uint8Array): Uint8Array {
  return nobleHmac(HASH[alg], key, data);
}

/** RFC 5869 §2.2; noble substitutes HashLen zeros for an absent salt. */
function hkdfExtract(alg: HashAlg, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  return extract(HASH[alg], ikm, salt.length === 0 ? undefined : salt);
}

/** RFC 5869 §2.3 (Expand only, as TLS 1.3's Expand-Label requires). */
function hkdfExpand(alg: HashAlg, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  checkHkdfExpandLength(hashLength(alg), length);
  if (length === 0) return new Uint8Array(0);
  return expand(HASH[alg], prk, info, length);
}

class NobleAead extends LoopBatchAead {
  private readonly key: Uint8Array;
  private readonly cipher: typeof gcm | typeof chacha20poly1305;

  constructor(
    readonly alg: AeadAlg,
    key: Uint8Array,
  ) {
    super();
    checkAeadKey(alg, key);
    this.key = key.slice();
    this.cipher = alg === 'chacha20-poly1305' ? chacha20poly1305 : gcm;
  }

  seal(
    nonce: Uint8Array,
    aad: Uint8Array,
    plaintext: Uint8Array,
    out: Uint8Array,
    outOffset: number,
  ): number {
    const sealed = this.cipher(this.key, nonce, aad).encrypt(plaintext);
    out.set(sealed, outOffset);
    return sealed.length;
  }

  open(
    nonce: Uint8Array,
    aad: Uint8Array,
    ciphertext: Uint8Array,
    out: Uint8Array,
    outOffset: number,
  ): number {
    if (ciphertext.length < TAG_LENGTH) return -1;
    let plaintext: Uint8Array;
    try {
      // noble verifies the tag before decrypting and signals a mismatch only by throwing;
      // `out` is untouched on failure.
      plaintext = this.cipher(this.key, nonce, aad).decrypt(ciphertext);
    } catch {
      return -1;
    }
    out.set(plaintext, outOffset);
    return plaintext.length;
  }
}

function le32(b: Uint8Array, i: number): number {
  return b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
}

/**
 * AES-ECB header protection (RFC 9001 §5.4.3): mask = AES(hp_key, sample)[0..4]. noble's block
 * function works on four little-endian state words; reading and writing them byte by byte keeps
 * this independent of the host's endianness and free of allocations.
 */
class NobleAesHeaderProtection extends LoopBatchHeaderProtection {
  private readonly roundKeys: Uint32Array;

  constructor(key: Uint8Array) {
    super();
    this.roundKeys = aesUnsafe.expandKeyLE(key);
  }

  mask(sample: Uint8Array, mask: Uint8Array, offset = 0): void {
    const { s0, s1 } = aesUnsafe.encrypt(
      this.roundKeys,
      le32(sample, offset),
      le32(sample, offset + 4),
      le32(sample, offset + 8),
      le32(sample, offset + 12),
    );
    mask[0] = s0 & 0xff;
    mask[1] = (s0 >>> 8) & 0xff;
    mask[2] = (s0 >>> 16) & 0xff;
    mask[3] = s0 >>> 24;
    mask[4] = s1 & 0xff;
  }
}

function writeLe32(b: Uint8Array, i: number, v: number): void {
  b[i] = v & 0xff;
  b[i + 1] = (v >>> 8) & 0xff;
  b[i + 2] = (v >>> 16) & 0xff;
  b[i + 3] = v >>> 24;
}

/** noble's raw AES block functions on key schedules expanded once (one per direction). */
class NobleAesBlockCipher implements BlockCipher {
  private readonly encKeys: Uint32Array;
  private readonly decKeys: Uint32Array;

  constructor(key: Uint8Array) {
    this.encKeys = aesUnsafe.expandKeyLE(key);
    this.decKeys = aesUnsafe.expandKeyDecLE(key);
  }

  encryptBlock(input: Uint8Array, output: Uint8Array): void {
    this.run(aesUnsafe.encrypt, this.encKeys, input, output);
  }

  decryptBlock(input: Uint8Array, output: Uint8Array): void {
    this.run(aesUnsafe.decrypt, this.decKeys, input, output);
  }

  private run(
    fn: typeof aesUnsafe.encrypt,
    keys: Uint32Array,
    input: Uint8Array,
    output: Uint8Array,
  ): void {
    const s = fn(keys, le32(input, 0), le32(input, 4), le32(input, 8), le32(input, 12));
    writeLe32(output, 0, s.s0);
    writeLe32(output, 4, s.s1);
    writeLe32(output, 8, s.s2);
    writeLe32(output, 12, s.s3);
  }
}

function createBlockCipher(alg: 'aes-128-ecb', key: Uint8Array): BlockCipher {
  checkHpKey(alg, key);
  return new NobleAesBlockCipher(key);
}

function createAead(alg: AeadAlg, key: Uint8Array): Aead {
  return new NobleAead(alg, key);
}

function createHeaderProtection(alg: HpAlg, key: Uint8Array): HeaderProtection {
  checkHpKey(alg, key);
  return alg === 'chacha20' ? new ChaCha20HeaderProtection(key) : new NobleAesHeaderProtection(key);
}

class NobleX25519Share implements KeyShare {
  readonly group = 'x25519' as const;
  readonly publicKey: Uint8Array;
  private readonly secretKey: Uint8Array;

  constructor() {
    this.secretKey = x25519.utils.randomSecretKey();
    this.publicKey = x25519.getPublicKey(this.secretKey);
  }

  deriveSecret(peerPublicKey: Uint8Array): Uint8Array | null {
    // RFC 8446 §4.2.8.2: X25519 key shares are exactly 32 bytes.
    if (peerPublicKey.length !== 32) return null;
    let secret: Uint8Array;
    try {
      // noble rejects low-order points by throwing.
      secret = x25519.getSharedSecret(this.secretKey, peerPublicKey);
    } catch {
      return null;
    }
    // RFC 8446 §7.4.2: never accept the all-zero shared secret.
    return isAllZero(secret) ? null : secret;
  }
}

const NOBLE_CURVE = { secp256r1: p256, secp384r1: p384 } as const;
const POINT_LENGTH = { secp256r1: 65, secp384r1: 97 } as const;

class NobleEcdhShare implements KeyShare {
  readonly publicKey: Uint8Array;
  private readonly secretKey: Uint8Array;

  constructor(readonly group: 'secp256r1' | 'secp384r1') {
    const curve = NOBLE_CURVE[group];
    this.secretKey = curve.utils.randomSecretKey();
    // Uncompressed point 0x04 || X || Y (RFC 8446 §4.2.8.2).
    this.publicKey = curve.getPublicKey(this.secretKey, false);
  }

  deriveSecret(peerPublicKey: Uint8Array): Uint8Array | null {
    // RFC 8446 §4.2.8.2: TLS 1.3 allows only the uncompressed form.
    if (peerPublicKey.length !== POINT_LENGTH[this.group] || peerPublicKey[0] !== 0x04) {
      return null;
    }
    try {
      // noble checks that the point is on the curve. The shared secret is the X coordinate
      // (RFC 8446 §7.4.1): the compressed encoding of the shared point minus its prefix byte.
      const point = NOBLE_CURVE[this.group].getSharedSecret(this.secretKey, peerPublicKey, true);
      return point.slice(1);
    } catch {
      return null;
    }
  }
}

function generateKeyShare(group: KeyExchangeGroup): KeyShare {
  switch (group) {
    case 'x25519':
      return new NobleX25519Share();
    case 'secp256r1':
    case 'secp384r1':
      return new NobleEcdhShare(group);
    case 'X25519MLKEM768':
      return hybridClientShare(new NobleX25519Share(), nobleMlKem768, random);
    default:
      throw new TypeError(`unsupported key exchange group ${String(group)}`);
  }
}

/** The parts of the noble provider other than signing; the default provider picks from them. */
export const noblePrimitives = {
  random,
  hash,
  hmac,
  hkdfExtract,
  hkdfExpand,
  createAead,
  createHeaderProtection,
  createBlockCipher,
  generateKeyShare,
  respondToKeyShare: (group: KeyExchangeGroup, peerPublicKey: Uint8Array) =>
    respondToKeyShare(generateKeyShare, nobleMlKem768, random, group, peerPublicKey),
} satisfies Partial<CryptoProvider>;

export const nobleProvider: CryptoProvider = {
  name: 'noble',
  ...nobleSigning,
  ...noblePrimitives,
};
