/**
 * Signing keys and signature verification on node:crypto (OpenSSL). This is the `node` half of
 * the provider's signing part; the crypto providers spread it into themselves.
 *
 * TLS 1.3 signature schemes (RFC 8446 §4.2.3): ECDSA signatures are DER-encoded
 * Ecdsa-Sig-Value, RSASSA-PSS uses MGF1 with the same hash and a salt as long as the hash, and
 * RSASSA-PKCS1-v1_5 appears only in certificate signatures. SHA-1 schemes are refused.
 */
import {
  constants,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign as nodeSign,
  verify as nodeVerify,
  type KeyObject,
} from 'node:crypto';
import type { CryptoProvider, KeyType, SignatureScheme, SigningKey } from './provider.js';
import { schemeParams, type SchemeParams } from './signature-schemes.js';

const NODE_CURVE: Record<string, KeyType> = { prime256v1: 'ec-p256', secp384r1: 'ec-p384' };

/** The KeyType of a node KeyObject, or undefined when tsquic cannot use it. */
function keyTypeOf(key: KeyObject): KeyType | undefined {
  switch (key.asymmetricKeyType) {
    case 'ed25519':
      return 'ed25519';
    case 'rsa':
      return 'rsa';
    case 'ec':
      return NODE_CURVE[key.asymmetricKeyDetails?.namedCurve ?? ''];
    default:
      return undefined;
  }
}

function signOptions(p: SchemeParams, key: KeyObject) {
  if (p.padding === 'pss') {
    // RFC 8446 §4.2.3: the salt length MUST equal the digest length.
    return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: p.hashLen };
  }
  if (p.padding === 'pkcs1') return { key, padding: constants.RSA_PKCS1_PADDING };
  return { key, dsaEncoding: 'der' as const };
}

class NodeSigningKey implements SigningKey {
  readonly spki: Uint8Array;
  readonly bits: number;

  constructor(
    readonly type: KeyType,
    private readonly key: KeyObject,
  ) {
    this.spki = new Uint8Array(createPublicKey(key).export({ format: 'der', type: 'spki' }));
    this.bits = type === 'rsa' ? (key.asymmetricKeyDetails?.modulusLength ?? 0) : 0;
  }

  sign(scheme: SignatureScheme, data: Uint8Array): Uint8Array {
    const p = schemeParams(scheme);
    if (p.keyType !== this.type || p.hash === 'sha1') {
      throw new TypeError(`signature scheme ${scheme} cannot be used with a ${this.type} key`);
    }
    const sig = nodeSign(p.keyType === 'ed25519' ? null : p.hash, data, signOptions(p, this.key));
    return new Uint8Array(sig.buffer, sig.byteOffset, sig.length);
  }
}

function wrap(key: KeyObject): NodeSigningKey {
  const type = keyTypeOf(key);
  if (type === undefined) {
    const what = key.asymmetricKeyDetails?.namedCurve ?? key.asymmetricKeyType;
    throw new TypeError(`unsupported private key type: ${what}`);
  }
  return new NodeSigningKey(type, key);
}

export const nodeSigning: Pick<
  CryptoProvider,
  'importSigningKey' | 'generateSigningKey' | 'verify'
> = {
  importSigningKey(pkcs8: Uint8Array): SigningKey {
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
    } catch (e) {
      throw new TypeError(`not a PKCS#8 private key: ${(e as Error).message}`);
    }
    return wrap(key);
  },

  generateSigningKey(type: KeyType, rsaBits = 2048) {
    let key: KeyObject;
    if (type === 'rsa') {
      if (!Number.isInteger(rsaBits) || rsaBits < 1024 || rsaBits > 16384) {
        throw new RangeError(`RSA key size must be 1024..16384 bits, got ${rsaBits}`);
      }
      key = generateKeyPairSync('rsa', { modulusLength: rsaBits }).privateKey;
    } else if (type === 'ed25519') {
      key = generateKeyPairSync('ed25519').privateKey;
    } else if (type === 'ec-p256' || type === 'ec-p384') {
      const namedCurve = type === 'ec-p256' ? 'prime256v1' : 'secp384r1';
      key = generateKeyPairSync('ec', { namedCurve }).privateKey;
    } else {
      throw new TypeError(`unknown key type: ${String(type)}`);
    }
    const signingKey = wrap(key);
    const pkcs8 = new Uint8Array(key.export({ format: 'der', type: 'pkcs8' }));
    return Object.assign(signingKey, { pkcs8 });
  },

  verify(scheme: SignatureScheme, spki: Uint8Array, data: Uint8Array, signature: Uint8Array) {
    try {
      const p = schemeParams(scheme);
      if (p.hash === 'sha1') return false; // SHA-1 is not acceptable (RFC 8446 §4.2.3).
      const key = publicKeyFor(spki);
      if (keyTypeOf(key) !== p.keyType) return false;
      if (p.keyType === 'ed25519' && signature.length !== 64) return false;
      return nodeVerify(
        p.keyType === 'ed25519' ? null : p.hash,
        data,
        signOptions(p, key),
        signature,
      );
    } catch {
      return false;
    }
  },
};

/**
 * Parsed public keys by SPKI: the same CA and intermediate keys verify every handshake's chain,
 * and parsing them costs about as much as the verification itself (measured in bench/tls.ts).
 * Bounded: oldest entries go first.
 */
const publicKeys = new Map<string, KeyObject>();
const MAX_CACHED_KEYS = 256;

function publicKeyFor(spki: Uint8Array): KeyObject {
  const id = Buffer.from(spki).toString('base64');
  let key = publicKeys.get(id);
  if (key === undefined) {
    key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    if (publicKeys.size >= MAX_CACHED_KEYS) publicKeys.delete(publicKeys.keys().next().value!);
    publicKeys.set(id, key);
  }
  return key;
}
