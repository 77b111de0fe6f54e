/**
 * Signing keys and signature verification in pure JS: ECDSA P-256/P-384 and Ed25519 from
 * @noble/curves, RSA from rsa.ts (bigint). This is the `noble` half of the provider's signing
 * part; it runs on any JS runtime.
 *
 * TLS 1.3 (RFC 8446 §4.2.3): ECDSA signatures are DER Ecdsa-Sig-Value over the scheme's hash;
 * RSASSA-PSS uses MGF1 with the same hash and a salt as long as the hash; RSASSA-PKCS1-v1_5 is
 * for certificate signatures. SHA-1 schemes are refused.
 */
import { p256, p384 } from '@noble/curves/nist.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { DecodeError } from '../util/errors.js';
import {
  encodeEcPrivateKey,
  encodeEd25519PrivateKey,
  encodePkcs8,
  encodeSpki,
  parseEcPrivateKey,
  parseEd25519PrivateKey,
  parsePkcs8,
  parseSpki,
} from './key-der.js';
import type { CryptoProvider, KeyType, SignatureScheme, SigningKey } from './provider.js';
import {
  encodeRsaPrivateKey,
  encodeRsaPublicKey,
  generateRsaKey,
  parseRsaPrivateKey,
  parseRsaPublicKey,
  rsaPkcs1Sign,
  rsaPkcs1Verify,
  rsaPssSign,
  rsaPssVerify,
  type RsaHash,
  type RsaPrivateKey,
} from './rsa.js';
import { schemeParams, type SchemeHash } from './signature-schemes.js';

const RSA_HASH: Record<Exclude<SchemeHash, 'sha1'>, RsaHash> = {
  sha256: { name: 'sha256', length: 32, digest: (d) => sha256(d) },
  sha384: { name: 'sha384', length: 48, digest: (d) => sha384(d) },
  sha512: { name: 'sha512', length: 64, digest: (d) => sha512(d) },
};

const EC = { 'ec-p256': { curve: p256, size: 32 }, 'ec-p384': { curve: p384, size: 48 } } as const;

/** Checks that `scheme` is usable with a key of `type` for signing; returns its parameters. */
function signingParams(scheme: SignatureScheme, type: KeyType) {
  const p = schemeParams(scheme);
  if (p.keyType !== type || p.hash === 'sha1') {
    throw new TypeError(`signature scheme ${scheme} cannot be used with a ${type} key`);
  }
  return p;
}

class NobleEcKey implements SigningKey {
  readonly bits = 0;
  readonly spki: Uint8Array;

  constructor(
    readonly type: 'ec-p256' | 'ec-p384',
    private readonly d: Uint8Array,
  ) {
    this.spki = encodeSpki(type, EC[type].curve.getPublicKey(d, false));
  }

  sign(scheme: SignatureScheme, data: Uint8Array): Uint8Array {
    signingParams(scheme, this.type);
    // The curve's own hash (SHA-256 for P-256, SHA-384 for P-384) is the scheme's hash.
    return EC[this.type].curve.sign(data, this.d, { prehash: true, format: 'der' });
  }
}

class NobleEd25519Key implements SigningKey {
  readonly type = 'ed25519';
  readonly bits = 0;
  readonly spki: Uint8Array;

  constructor(private readonly seed: Uint8Array) {
    this.spki = encodeSpki('ed25519', ed25519.getPublicKey(seed));
  }

  sign(scheme: SignatureScheme, data: Uint8Array): Uint8Array {
    signingParams(scheme, this.type);
    return ed25519.sign(data, this.seed);
  }
}

class NobleRsaKey implements SigningKey {
  readonly type = 'rsa';
  readonly bits: number;
  readonly spki: Uint8Array;

  constructor(private readonly key: RsaPrivateKey) {
    this.bits = key.bits;
    this.spki = encodeSpki('rsa', encodeRsaPublicKey(key));
  }

  sign(scheme: SignatureScheme, data: Uint8Array): Uint8Array {
    const p = signingParams(scheme, this.type);
    const hash = RSA_HASH[p.hash as Exclude<SchemeHash, 'sha1'>];
    if (p.padding === 'pss') {
      // RFC 8446 §4.2.3: the salt length MUST equal the digest length.
      return rsaPssSign(this.key, hash, data, randomBytes(hash.length), randomBytes);
    }
    return rsaPkcs1Sign(this.key, hash, data, randomBytes);
  }
}

/** Left-pads an EC scalar that an encoder stripped of leading zeros. */
function fixedLength(d: Uint8Array, size: number): Uint8Array {
  if (d.length === size) return d;
  if (d.length > size) throw new DecodeError('EC private key is too long for its curve');
  const out = new Uint8Array(size);
  out.set(d, size - d.length);
  return out;
}

function importKey(pkcs8: Uint8Array): SigningKey {
  const info = parsePkcs8(pkcs8);
  switch (info.keyType) {
    case 'rsa':
      return new NobleRsaKey(parseRsaPrivateKey(info.privateKey));
    case 'ed25519':
      return new NobleEd25519Key(parseEd25519PrivateKey(info.privateKey));
    case 'ec-p256':
    case 'ec-p384': {
      const ec = parseEcPrivateKey(info.privateKey);
      if (ec.curveOid !== null && ec.curve !== info.keyType) {
        throw new DecodeError('EC private key parameters disagree with the PKCS#8 algorithm');
      }
      const d = fixedLength(ec.d, EC[info.keyType].size);
      if (!EC[info.keyType].curve.utils.isValidSecretKey(d)) {
        throw new DecodeError('EC private key is out of range');
      }
      return new NobleEcKey(info.keyType, d);
    }
    case null:
      throw new TypeError(`unsupported private key algorithm: ${info.description}`);
  }
}

function verifyOrThrow(
  scheme: SignatureScheme,
  spki: Uint8Array,
  data: Uint8Array,
  sig: Uint8Array,
): boolean {
  const p = schemeParams(scheme);
  if (p.hash === 'sha1') return false; // SHA-1 is not acceptable (RFC 8446 §4.2.3).
  const info = parseSpki(spki);
  if (info.keyType !== p.keyType) return false;
  switch (p.keyType) {
    case 'ec-p256':
    case 'ec-p384':
      // OpenSSL emits high-S signatures, which are valid ECDSA: do not require low S.
      return EC[p.keyType].curve.verify(sig, data, info.publicKey, {
        prehash: true,
        format: 'der',
        lowS: false,
      });
    case 'ed25519':
      // RFC 8032 §5.1.7 strict decoding, as OpenSSL does (not the ZIP-215 rules).
      return sig.length === 64 && ed25519.verify(sig, data, info.publicKey, { zip215: false });
    case 'rsa': {
      const key = parseRsaPublicKey(info.publicKey);
      const hash = RSA_HASH[p.hash];
      return p.padding === 'pss'
        ? rsaPssVerify(key, hash, data, sig, hash.length)
        : rsaPkcs1Verify(key, hash, data, sig);
    }
  }
}

export const nobleSigning: Pick<
  CryptoProvider,
  'importSigningKey' | 'generateSigningKey' | 'verify'
> = {
  importSigningKey(pkcs8: Uint8Array): SigningKey {
    try {
      return importKey(pkcs8);
    } catch (e) {
      if (e instanceof TypeError) throw e;
      throw new TypeError(`not a usable PKCS#8 private key: ${(e as Error).message}`);
    }
  },

  /**
   * RSA keys are generated in pure JS (bigint Miller-Rabin): correct but slow, about a second
   * for 2048 bits, more on a busy machine. Prefer the node provider for RSA key generation.
   */
  generateSigningKey(type: KeyType, rsaBits = 2048) {
    let pkcs8: Uint8Array;
    if (type === 'rsa') {
      pkcs8 = encodePkcs8('rsa', encodeRsaPrivateKey(generateRsaKey(rsaBits, randomBytes)));
    } else if (type === 'ed25519') {
      pkcs8 = encodePkcs8('ed25519', encodeEd25519PrivateKey(randomBytes(32)));
    } else if (type === 'ec-p256' || type === 'ec-p384') {
      const { curve } = EC[type];
      const d = curve.utils.randomSecretKey();
      pkcs8 = encodePkcs8(type, encodeEcPrivateKey(d, curve.getPublicKey(d, false)));
    } else {
      throw new TypeError(`unknown key type: ${String(type)}`);
    }
    return Object.assign(importKey(pkcs8), { pkcs8 });
  },

  verify(scheme: SignatureScheme, spki: Uint8Array, data: Uint8Array, signature: Uint8Array) {
    try {
      return verifyOrThrow(scheme, spki, data, signature);
    } catch {
      return false;
    }
  },
};
