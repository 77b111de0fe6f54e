/**
 * The crypto provider: every cryptographic primitive tsquic uses goes through this interface
 * (docs/ARCHITECTURE.md §1.8). Implementations: `node` (node:crypto), `noble` (@noble/*, pure JS), `pure`
 * (the two mixed per primitive where each is measured faster, bench/crypto) and `native` (`pure`
 * with packet protection from the optional addon in native/); `defaultProvider` is the backend's
 * choice between `pure` and `native` (default-provider.ts).
 *
 * All functions are synchronous. Keyed objects (AEAD, header protection, HMAC keys) are created
 * once per key and reused for every packet.
 */

export type HashAlg = 'sha256' | 'sha384';

/** AEAD algorithms of the TLS 1.3 cipher suites QUIC uses (RFC 9001 §5.3). */
export type AeadAlg = 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';

/** Header-protection algorithms (RFC 9001 §5.4.3, §5.4.4). */
export type HpAlg = 'aes-128-ecb' | 'aes-256-ecb' | 'chacha20';

/**
 * Named groups for TLS 1.3 key exchange (RFC 8446 §4.2.7), by their IANA names; X25519MLKEM768
 * is the hybrid post-quantum group of draft-ietf-tls-ecdhe-mlkem.
 */
export type KeyExchangeGroup = 'x25519' | 'secp256r1' | 'secp384r1' | 'X25519MLKEM768';

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
  /**
   * Seals `count` packets of `buf` in place. Packet i is described by three offsets:
   * `offsets[3i]` the start of its header (the AAD), `offsets[3i + 1]` the start of its
   * plaintext, `offsets[3i + 2]` the end of its plaintext; the tag is written after it. Its
   * nonce is `nonces[12i .. 12i + 12)`. Throws a RangeError for offsets that do not fit `buf`.
   */
  sealBatch(buf: Uint8Array, offsets: Uint32Array, nonces: Uint8Array, count: number): void;
  /**
   * Opens `count` packets of `buf` in place, described as for `sealBatch` except that
   * `offsets[3i + 2]` is the end of the packet, tag included. `results[i]` receives the
   * plaintext length of packet i, or -1 when it fails authentication (its bytes then left as
   * they were). Returns the number of failures. Never throws on bad packets.
   */
  openBatch(
    buf: Uint8Array,
    offsets: Uint32Array,
    nonces: Uint8Array,
    count: number,
    results: Int32Array,
  ): number;
}

/** Header protection bound to one hp key (RFC 9001 §5.4). */
export interface HeaderProtection {
  /**
   * Writes the 5-byte mask for the 16-byte sample at `sample[offset .. offset + 16)` into `mask`
   * (length >= 5). The offset lets packet protection sample a packet where it lies.
   */
  mask(sample: Uint8Array, mask: Uint8Array, offset?: number): void;
  /**
   * Writes the masks of `count` samples of `buf`, sample i at `sampleOffsets[i]`, to
   * `masks[5i .. 5i + 5)`. Throws a RangeError for a sample that runs past `buf`.
   */
  maskBatch(buf: Uint8Array, sampleOffsets: Uint32Array, count: number, masks: Uint8Array): void;
}

/**
 * A raw AES block cipher bound to one key (one 16-byte block per call, no mode, no padding), for
 * constructions built on single blocks such as QUIC-LB connection IDs
 * (draft-ietf-quic-load-balancers §5.4). `input` and `output` may alias.
 */
export interface BlockCipher {
  encryptBlock(input: Uint8Array, output: Uint8Array): void;
  decryptBlock(input: Uint8Array, output: Uint8Array): void;
}

/** A key pair for one key exchange; the private part is opaque to callers. */
export interface KeyShare {
  readonly group: KeyExchangeGroup;
  /**
   * The public key in TLS wire form (RFC 8446 §4.2.8.2: raw 32 bytes for x25519, uncompressed
   * point for NIST curves; encapsulation key || X25519 key for X25519MLKEM768).
   */
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
  /**
   * HKDF-Expand-Label (RFC 8446 §7.1) in one step, for a provider that does it cheaper than
   * encoding the HkdfLabel and calling hkdfExpand (the native backend: one call into C).
   * Optional: src/crypto/hkdf.ts checks the arguments and falls back to hkdfExpand without it.
   */
  hkdfExpandLabel?(
    alg: HashAlg,
    secret: Uint8Array,
    label: string,
    context: Uint8Array,
    length: number,
  ): Uint8Array;
  createAead(alg: AeadAlg, key: Uint8Array): Aead;
  createHeaderProtection(alg: HpAlg, key: Uint8Array): HeaderProtection;
  /** An AES-128 block cipher (the key is 16 bytes). */
  createBlockCipher(alg: 'aes-128-ecb', key: Uint8Array): BlockCipher;
  /** The initiator's (TLS client's) share for `group`. Throws a TypeError for an unknown group. */
  generateKeyShare(group: KeyExchangeGroup): KeyShare;
  /**
   * The responder's (TLS server's) side: its share answering the peer's and the shared secret,
   * or null when the peer's share is invalid. A fresh key pair for ECDH groups, an encapsulation
   * to the client's key for X25519MLKEM768 (draft-ietf-tls-ecdhe-mlkem §3.2).
   */
  respondToKeyShare(
    group: KeyExchangeGroup,
    peerPublicKey: Uint8Array,
  ): { publicKey: Uint8Array; secret: Uint8Array } | null;
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
