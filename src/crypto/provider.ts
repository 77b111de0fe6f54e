/**
 * The crypto provider: every cryptographic primitive tsquic uses goes through this interface
 * (docs/ARCHITECTURE.md §1.8). Two implementations exist, `node` (node:crypto) and `noble`
 * (@noble/*, pure JS); the default mixes them per primitive where each is measured faster
 * (bench/crypto).
 *
 * All functions are synchronous. Keyed objects (AEAD, header protection, HMAC keys) are created
 * once per key and reused for every packet.
 */

export type HashAlg = 'sha256' | 'sha384';

/** AEAD algorithms of the TLS 1.3 cipher suites QUIC uses (RFC 9001 §5.3). */
export type AeadAlg = 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';

/** Header-protection algorithms (RFC 9001 §5.4.3, §5.4.4). */
export type HpAlg = 'aes-128-ecb' | 'aes-256-ecb' | 'chacha20';

/** Named groups for TLS 1.3 key exchange (RFC 8446 §4.2.7). */
export type KeyExchangeGroup = 'x25519' | 'secp256r1' | 'secp384r1';

/** TLS 1.3 SignatureScheme names (RFC 8446 §4.2.3). */
export type SignatureScheme =
  | 'ecdsa_secp256r1_sha256'
  | 'ecdsa_secp384r1_sha384'
  | 'ed25519'
  | 'rsa_pss_rsae_sha256'
  | 'rsa_pss_rsae_sha384'
  | 'rsa_pss_rsae_sha512'
  | 'rsa_pkcs1_sha256'
  | 'rsa_pkcs1_sha384'
  | 'rsa_pkcs1_sha512'
  | 'ecdsa_sha1'
  | 'rsa_pkcs1_sha1';

/** An AEAD bound to one key. Tag length is always 16 for the QUIC suites. */
export interface Aead {
  readonly alg: AeadAlg;
  /**
   * Encrypts `plaintext` and writes ciphertext || tag to `out` at `outOffset` (which may alias
   * the plaintext for in-place sealing). Returns the number of bytes written
   * (plaintext.length + 16).
   */
  seal(
    nonce: Uint8Array,
    aad: Uint8Array,
    plaintext: Uint8Array,
    out: Uint8Array,
    outOffset: number,
  ): number;
  /**
   * Decrypts `ciphertext` (which ends with the 16-byte tag) into `out` at `outOffset` (may alias).
   * Returns the plaintext length, or -1 when authentication fails. Never throws on bad input.
   */
  open(
    nonce: Uint8Array,
    aad: Uint8Array,
    ciphertext: Uint8Array,
    out: Uint8Array,
    outOffset: number,
  ): number;
}

/** Header protection bound to one hp key (RFC 9001 §5.4). */
export interface HeaderProtection {
  /**
   * Writes the 5-byte mask for the 16-byte sample at `sample[offset .. offset + 16)` into `mask`
   * (length >= 5). The offset lets packet protection sample a packet where it lies.
   */
  mask(sample: Uint8Array, mask: Uint8Array, offset?: number): void;
}

/** A key pair for one key exchange; the private part is opaque to callers. */
export interface KeyShare {
  readonly group: KeyExchangeGroup;
  /** The public key in TLS wire form (RFC 8446 §4.2.8.2: raw 32 bytes for x25519, uncompressed point for NIST curves). */
  readonly publicKey: Uint8Array;
  /** Computes the shared secret with the peer's public key; null if the peer's key is invalid. */
  deriveSecret(peerPublicKey: Uint8Array): Uint8Array | null;
}

/** A private key that can sign, imported from PKCS#8 DER. */
export interface SigningKey {
  /** 'ec-p256' | 'ec-p384' | 'ed25519' | 'rsa' */
  readonly type: KeyType;
  /** RSA modulus size in bits (0 for other key types). */
  readonly bits: number;
  sign(scheme: SignatureScheme, data: Uint8Array): Uint8Array;
  /** The public key as SubjectPublicKeyInfo DER. */
  readonly spki: Uint8Array;
}

export type KeyType = 'ec-p256' | 'ec-p384' | 'ed25519' | 'rsa';

export interface CryptoProvider {
  readonly name: string;
  /** Cryptographically secure random bytes. */
  random(n: number): Uint8Array;
  hash(alg: HashAlg, data: Uint8Array): Uint8Array;
  hmac(alg: HashAlg, key: Uint8Array, data: Uint8Array): Uint8Array;
  /** HKDF-Extract (RFC 5869 §2.2). */
  hkdfExtract(alg: HashAlg, salt: Uint8Array, ikm: Uint8Array): Uint8Array;
  /** HKDF-Expand (RFC 5869 §2.3). */
  hkdfExpand(alg: HashAlg, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array;
  createAead(alg: AeadAlg, key: Uint8Array): Aead;
  createHeaderProtection(alg: HpAlg, key: Uint8Array): HeaderProtection;
  generateKeyShare(group: KeyExchangeGroup): KeyShare;
  /** Imports a PKCS#8 DER private key. Throws a TypeError with a clear message if unsupported. */
  importSigningKey(pkcs8: Uint8Array): SigningKey;
  /** Generates a fresh signing key (self-signed development certificates, tests). */
  generateSigningKey(type: KeyType, rsaBits?: number): SigningKey & { readonly pkcs8: Uint8Array };
  /**
   * Verifies `signature` over `data` with a public key given as SubjectPublicKeyInfo DER.
   * Returns false (never throws) for a bad signature, a malformed key or a scheme that does not
   * fit the key.
   */
  verify(
    scheme: SignatureScheme,
    spki: Uint8Array,
    data: Uint8Array,
    signature: Uint8Array,
  ): boolean;
}
