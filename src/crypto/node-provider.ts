/**
 * The `node` crypto provider: every primitive on node:crypto (OpenSSL), synchronous.
 *
 * Per-packet costs and what is reused (measured in bench/crypto.ts): node has no way to re-key
 * or re-nonce an existing GCM/ChaCha20-Poly1305 cipher object, so each seal/open creates one
 * Cipheriv; everything else — the key bytes, the AEAD wrapper, the ECB header-protection cipher —
 * is created once per key. Passing a KeyObject instead of raw key bytes was measured: no gain.
 */
import { LoopBatchAead, LoopBatchHeaderProtection } from './batch.js';
import {
  createCipheriv,
  createDecipheriv,
  createECDH,
  createHmac,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hash as hashOneShot,
  randomBytes,
  type Cipher,
  type Decipher,
  type CipherGCM,
  type CipherGCMTypes,
  type DecipherGCM,
  type KeyObject,
} from 'node:crypto';
import { fromHex } from '../util/bytes.js';
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
import { nodeSigning } from './signing-node.js';
import {
  checkAeadKey,
  checkHkdfExpandLength,
  checkHpKey,
  hashLength,
  isAllZero,
} from './alg-params.js';

const TAG_LENGTH = 16;
// One options object for every cipher: nothing to allocate per packet.
const AEAD_OPTIONS = { authTagLength: TAG_LENGTH };

/** A plain Uint8Array view of a Buffer: callers must not meet Buffer's non-copying slice(). */
function plain(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function hash(alg: HashAlg, data: Uint8Array): Uint8Array {
  // node:crypto's one-shot hash (Node 20.12+): no Hash object per call, about 1 µs less for
  // each of the ten-odd transcript hashes of a handshake side.
  return plain(hashOneShot(alg, data, 'buffer'));
}

function hmac(alg: HashAlg, key: Uint8Array, data: Uint8Array): Uint8Array {
  return plain(createHmac(alg, key).update(data).digest());
}

/** RFC 5869 §2.2: PRK = HMAC-Hash(salt, IKM), salt defaulting to HashLen zeros. */
function hkdfExtract(alg: HashAlg, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  return hmac(alg, salt.length === 0 ? new Uint8Array(hashLength(alg)) : salt, ikm);
}

/**
 * RFC 5869 §2.3 on HMAC: node's hkdfSync always runs Extract first, which TLS 1.3's
 * Expand-Label must not do.
 */
function hkdfExpand(alg: HashAlg, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const n = hashLength(alg);
  checkHkdfExpandLength(n, length);
  const out = new Uint8Array(length);
  const counter = new Uint8Array(1);
  let previous: Uint8Array = new Uint8Array(0);
  // T(i) = HMAC-Hash(PRK, T(i-1) | info | i), OKM = first L octets of T(1) | T(2) | ...
  for (let filled = 0, i = 1; filled < length; i++) {
    counter[0] = i;
    previous = plain(createHmac(alg, prk).update(previous).update(info).update(counter).digest());
    out.set(previous.subarray(0, Math.min(n, length - filled)), filled);
    filled += n;
  }
  return out;
}

class NodeAead extends LoopBatchAead {
  private readonly key: Uint8Array;
  // The three AEADs share the GCM-style API (setAAD, getAuthTag, setAuthTag); node types
  // chacha20-poly1305 separately only to make setAAD's plaintextLength mandatory, which it
  // does not need for this AEAD.
  private readonly cipher: CipherGCMTypes;

  constructor(
    readonly alg: AeadAlg,
    key: Uint8Array,
  ) {
    super();
    checkAeadKey(alg, key);
    this.key = key.slice();
    this.cipher = alg as CipherGCMTypes;
  }

  seal(
    nonce: Uint8Array,
    aad: Uint8Array,
    plaintext: Uint8Array,
    out: Uint8Array,
    outOffset: number,
  ): number {
    const c: CipherGCM = createCipheriv(this.cipher, this.key, nonce, AEAD_OPTIONS);
    c.setAAD(aad);
    const ct = c.update(plaintext);
    c.final(); // stream modes: nothing is held back
    out.set(ct, outOffset);
    out.set(c.getAuthTag(), outOffset + ct.length);
    return ct.length + TAG_LENGTH;
  }

  open(
    nonce: Uint8Array,
    aad: Uint8Array,
    ciphertext: Uint8Array,
    out: Uint8Array,
    outOffset: number,
  ): number {
    const length = ciphertext.length - TAG_LENGTH;
    if (length < 0) return -1;
    const d: DecipherGCM = createDecipheriv(this.cipher, this.key, nonce, AEAD_OPTIONS);
    d.setAAD(aad);
    d.setAuthTag(ciphertext.subarray(length));
    const pt = d.update(ciphertext.subarray(0, length));
    try {
      // OpenSSL reports a tag mismatch only by failing final(); `out` is written only after
      // it succeeded, so a failed open leaves the buffer as it was.
      d.final();
    } catch {
      return -1;
    }
    out.set(pt, outOffset);
    return length;
  }
}

/** AES-ECB header protection (RFC 9001 §5.4.3) with one cipher object reused for every mask. */
class NodeAesHeaderProtection extends LoopBatchHeaderProtection {
  private readonly ecb: Cipher;

  constructor(alg: 'aes-128-ecb' | 'aes-256-ecb', key: Uint8Array) {
    super();
    this.ecb = createCipheriv(alg, key, null);
    // One 16-byte block in, one block out, per update(): no padding state carries over.
    this.ecb.setAutoPadding(false);
  }

  mask(sample: Uint8Array, mask: Uint8Array, offset = 0): void {
    const block = this.ecb.update(sample.subarray(offset, offset + 16));
    for (let i = 0; i < 5; i++) mask[i] = block[i]!;
  }
}

const FIVE_ZEROS = new Uint8Array(5);

/**
 * ChaCha20 header protection (RFC 9001 §5.4.4). Node's 'chacha20' takes a 16-byte IV made of a
 * 4-byte little-endian block counter and a 12-byte nonce — exactly the layout of the sample —
 * but it binds the IV at creation, so each mask needs a new cipher object.
 */
class NodeChaChaHeaderProtection extends LoopBatchHeaderProtection {
  private readonly key: Uint8Array;

  constructor(key: Uint8Array) {
    super();
    this.key = key.slice();
  }

  mask(sample: Uint8Array, mask: Uint8Array, offset = 0): void {
    const iv = sample.subarray(offset, offset + 16);
    const stream = createCipheriv('chacha20', this.key, iv).update(FIVE_ZEROS);
    for (let i = 0; i < 5; i++) mask[i] = stream[i]!;
  }
}

function createAead(alg: AeadAlg, key: Uint8Array): Aead {
  return new NodeAead(alg, key);
}

function createHeaderProtection(alg: HpAlg, key: Uint8Array): HeaderProtection {
  checkHpKey(alg, key);
  return alg === 'chacha20'
    ? new NodeChaChaHeaderProtection(key)
    : new NodeAesHeaderProtection(alg, key);
}

/** One ECB cipher object per direction, reused: with padding off, each update() is one block. */
class NodeAesBlockCipher implements BlockCipher {
  private readonly enc: Cipher;
  private readonly dec: Decipher;

  constructor(key: Uint8Array) {
    this.enc = createCipheriv('aes-128-ecb', key, null).setAutoPadding(false);
    this.dec = createDecipheriv('aes-128-ecb', key, null).setAutoPadding(false);
  }

  encryptBlock(input: Uint8Array, output: Uint8Array): void {
    output.set(this.enc.update(input.subarray(0, 16)));
  }

  decryptBlock(input: Uint8Array, output: Uint8Array): void {
    output.set(this.dec.update(input.subarray(0, 16)));
  }
}

function createBlockCipher(alg: 'aes-128-ecb', key: Uint8Array): BlockCipher {
  checkHpKey(alg, key);
  return new NodeAesBlockCipher(key);
}

// SubjectPublicKeyInfo header of an X25519 key (RFC 8410 §4): SEQUENCE { SEQUENCE { OID
// 1.3.101.110 }, BIT STRING (33 bytes: 0 unused bits + 32 key bytes) }: our public key is the
// DER export without it.
const X25519_SPKI_PREFIX = fromHex('302a300506032b656e032100');

class NodeX25519Share implements KeyShare {
  readonly group = 'x25519' as const;
  readonly publicKey: Uint8Array;
  private readonly privateKey: KeyObject;

  constructor() {
    const { publicKey, privateKey } = generateKeyPairSync('x25519');
    this.privateKey = privateKey;
    const spki = publicKey.export({ type: 'spki', format: 'der' });
    this.publicKey = plain(spki).slice(X25519_SPKI_PREFIX.length);
  }

  deriveSecret(peerPublicKey: Uint8Array): Uint8Array | null {
    // RFC 8446 §4.2.8.2: X25519 key shares are exactly 32 bytes.
    if (peerPublicKey.length !== 32) return null;
    let secret: Uint8Array;
    try {
      // The peer's key goes in as a JWK (RFC 8037 §2: the raw key, base64url): OpenSSL's raw-key
      // import, 12 µs, where SubjectPublicKeyInfo DER goes through its decoder framework, 93 µs
      // (bench/README.md). Our own key still comes out as DER: exporting X25519 keys as JWK hung
      // Node 20 under GC pressure (the flood scenario test, test/scenario/flood.test.ts).
      const x = Buffer.from(
        peerPublicKey.buffer,
        peerPublicKey.byteOffset,
        peerPublicKey.byteLength,
      ).toString('base64url');
      const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x }, format: 'jwk' });
      secret = plain(diffieHellman({ privateKey: this.privateKey, publicKey }));
    } catch {
      return null;
    }
    // RFC 8446 §7.4.2: an all-zero X25519 result (a low-order peer point) must be rejected.
    return isAllZero(secret) ? null : secret;
  }
}

const NODE_CURVE = { secp256r1: 'prime256v1', secp384r1: 'secp384r1' } as const;
const POINT_LENGTH = { secp256r1: 65, secp384r1: 97 } as const;

class NodeEcdhShare implements KeyShare {
  readonly publicKey: Uint8Array;
  private readonly ecdh: ReturnType<typeof createECDH>;

  constructor(readonly group: 'secp256r1' | 'secp384r1') {
    this.ecdh = createECDH(NODE_CURVE[group]);
    // Uncompressed point 0x04 || X || Y (RFC 8446 §4.2.8.2).
    this.publicKey = plain(this.ecdh.generateKeys());
  }

  deriveSecret(peerPublicKey: Uint8Array): Uint8Array | null {
    // RFC 8446 §4.2.8.2: TLS 1.3 allows only the uncompressed form.
    if (peerPublicKey.length !== POINT_LENGTH[this.group] || peerPublicKey[0] !== 0x04) {
      return null;
    }
    try {
      // OpenSSL checks that the point is on the curve; the result is the X coordinate
      // (RFC 8446 §7.4.1).
      return plain(this.ecdh.computeSecret(peerPublicKey));
    } catch {
      return null;
    }
  }
}

function generateKeyShare(group: KeyExchangeGroup): KeyShare {
  switch (group) {
    case 'x25519':
      return new NodeX25519Share();
    case 'secp256r1':
    case 'secp384r1':
      return new NodeEcdhShare(group);
    case 'X25519MLKEM768':
      return hybridClientShare(new NodeX25519Share(), nobleMlKem768, random);
    default:
      throw new TypeError(`unsupported key exchange group ${String(group)}`);
  }
}

function random(n: number): Uint8Array {
  return plain(randomBytes(n));
}

/** The parts of the node provider other than signing; the default provider picks from them. */
export const nodePrimitives = {
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

export const nodeProvider: CryptoProvider = {
  name: 'node',
  ...nodeSigning,
  ...nodePrimitives,
};
