/**
 * Key containers in DER: SubjectPublicKeyInfo (RFC 5280 §4.1.2.7), PKCS#8 PrivateKeyInfo /
 * OneAsymmetricKey (RFC 5208, RFC 5958), SEC1 ECPrivateKey (RFC 5915) and the Ed25519 forms of
 * RFC 8410. Pure structure: no arithmetic. RSA's inner PKCS#1 structures are in rsa.ts.
 */
import { DecodeError } from '../util/errors.js';
import {
  DerReader,
  Tag,
  contextTag,
  decodeSingle,
  readSequence,
  derBitString,
  derExplicit,
  derInteger,
  derNull,
  derOctetString,
  derOid,
  derSequence,
} from '../util/der.js';
import type { KeyType } from './provider.js';

/** Algorithm and curve object identifiers for the keys tsquic supports. */
export const KeyOid = {
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsassaPss: '1.2.840.113549.1.1.10',
  ecPublicKey: '1.2.840.10045.2.1',
  prime256v1: '1.2.840.10045.3.1.7',
  secp384r1: '1.3.132.0.34',
  ed25519: '1.3.101.112',
} as const;

const CURVE_OF_OID: Record<string, KeyType> = {
  [KeyOid.prime256v1]: 'ec-p256',
  [KeyOid.secp384r1]: 'ec-p384',
};

export function curveOid(type: 'ec-p256' | 'ec-p384'): string {
  return type === 'ec-p256' ? KeyOid.prime256v1 : KeyOid.secp384r1;
}

/** The key type a curve OID names, or null for curves tsquic does not support. */
export function keyTypeOfCurve(oid: string): KeyType | null {
  return CURVE_OF_OID[oid] ?? null;
}

/** A decoded AlgorithmIdentifier for a key. */
export interface KeyAlgorithm {
  /** The supported key type, or null (unknown algorithm or curve). */
  readonly keyType: KeyType | null;
  /** The algorithm OID, with "/curve OID" appended for EC keys: for messages. */
  readonly description: string;
}

function readKeyAlgorithm(r: DerReader): KeyAlgorithm {
  const alg = r.sequence();
  const oid = alg.oid();
  let keyType: KeyType | null = null;
  let description = oid;
  if (oid === KeyOid.rsaEncryption) {
    // RFC 3279 §2.3.1: parameters are NULL; tolerate their absence as OpenSSL does.
    if (!alg.done) alg.null();
    keyType = 'rsa';
  } else if (oid === KeyOid.ecPublicKey) {
    // RFC 5480 §2.1.1: only namedCurve is allowed in practice.
    const curve = alg.peekTag() === Tag.OID ? alg.oid() : null;
    if (curve === null) {
      alg.read();
      description = `${oid}/specifiedCurve`;
    } else {
      keyType = keyTypeOfCurve(curve);
      description = `${oid}/${curve}`;
    }
  } else if (oid === KeyOid.ed25519) {
    keyType = 'ed25519'; // RFC 8410 §3: parameters MUST be absent.
  } else if (!alg.done) {
    alg.read(); // Some unsupported algorithm: its parameters do not concern us.
  }
  alg.finish('AlgorithmIdentifier');
  return { keyType, description };
}

function keyAlgorithmDer(type: KeyType): Uint8Array {
  switch (type) {
    case 'rsa':
      return derSequence(derOid(KeyOid.rsaEncryption), derNull());
    case 'ed25519':
      return derSequence(derOid(KeyOid.ed25519));
    case 'ec-p256':
    case 'ec-p384':
      return derSequence(derOid(KeyOid.ecPublicKey), derOid(curveOid(type)));
  }
}

export interface SpkiInfo extends KeyAlgorithm {
  /**
   * The subjectPublicKey bits: PKCS#1 RSAPublicKey DER for RSA, the SEC1 point for EC, the
   * 32-byte key for Ed25519.
   */
  readonly publicKey: Uint8Array;
}

/** Parses SubjectPublicKeyInfo DER. Throws DecodeError when malformed. */
export function parseSpki(der: Uint8Array): SpkiInfo {
  const r = readSequence(der, 'SubjectPublicKeyInfo');
  const alg = readKeyAlgorithm(r);
  const publicKey = r.bitString();
  r.finish('SubjectPublicKeyInfo');
  return { ...alg, publicKey };
}

export function encodeSpki(type: KeyType, publicKey: Uint8Array): Uint8Array {
  return derSequence(keyAlgorithmDer(type), derBitString(publicKey));
}

export interface Pkcs8Info extends KeyAlgorithm {
  /**
   * The privateKey OCTET STRING contents: PKCS#1 RSAPrivateKey for RSA, SEC1 ECPrivateKey for
   * EC, the CurvePrivateKey (an OCTET STRING holding the 32-byte seed) for Ed25519.
   */
  readonly privateKey: Uint8Array;
}

/** Parses PKCS#8 PrivateKeyInfo (v1) or OneAsymmetricKey (v2). Throws DecodeError. */
export function parsePkcs8(der: Uint8Array): Pkcs8Info {
  const r = readSequence(der, 'PKCS#8');
  const version = r.smallInteger();
  if (version !== 0 && version !== 1) throw new DecodeError(`PKCS#8: unknown version ${version}`);
  const alg = readKeyAlgorithm(r);
  const privateKey = r.octetString();
  r.optional(contextTag(0, true)); // attributes
  if (version === 1) r.optional(contextTag(1, false)); // publicKey (RFC 5958)
  r.finish('PKCS#8');
  return { ...alg, privateKey };
}

export function encodePkcs8(type: KeyType, privateKey: Uint8Array): Uint8Array {
  return derSequence(derInteger(0), keyAlgorithmDer(type), derOctetString(privateKey));
}

export interface EcPrivateKeyInfo {
  /** The private scalar, big-endian, as encoded (fixed length for the curve). */
  readonly d: Uint8Array;
  /** The curve from the optional parameters [0], null when absent or unsupported. */
  readonly curve: KeyType | null;
  /** The curve OID from [0], or null when absent. */
  readonly curveOid: string | null;
  /** The public point from the optional [1], or null. */
  readonly publicKey: Uint8Array | null;
}

/** Parses SEC1 ECPrivateKey (RFC 5915 §3). Throws DecodeError. */
export function parseEcPrivateKey(der: Uint8Array): EcPrivateKeyInfo {
  const r = readSequence(der, 'ECPrivateKey');
  if (r.smallInteger() !== 1) throw new DecodeError('ECPrivateKey: version must be 1');
  const d = r.octetString();
  const params = r.optionalExplicit(0);
  let oid: string | null = null;
  if (params !== null) {
    oid = params.oid();
    params.finish('ECParameters');
  }
  const pub = r.optionalExplicit(1);
  let publicKey: Uint8Array | null = null;
  if (pub !== null) {
    publicKey = pub.bitString();
    pub.finish('ECPrivateKey publicKey');
  }
  r.finish('ECPrivateKey');
  return { d, curve: oid === null ? null : keyTypeOfCurve(oid), curveOid: oid, publicKey };
}

/** SEC1 ECPrivateKey without parameters (they live in the PKCS#8 AlgorithmIdentifier). */
export function encodeEcPrivateKey(d: Uint8Array, publicKey: Uint8Array): Uint8Array {
  return derSequence(derInteger(1), derOctetString(d), derExplicit(1, derBitString(publicKey)));
}

/** RFC 8410 §7: the Ed25519 private key is an OCTET STRING of the 32-byte seed. */
export function parseEd25519PrivateKey(der: Uint8Array): Uint8Array {
  const e = decodeSingle(der, 'CurvePrivateKey');
  const seed = e.value;
  if (e.tag !== Tag.OCTET_STRING || seed.length !== 32)
    throw new DecodeError('Ed25519 private key must be 32 bytes');
  return seed;
}

export function encodeEd25519PrivateKey(seed: Uint8Array): Uint8Array {
  return derOctetString(seed);
}
