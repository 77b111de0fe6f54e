/**
 * Certificate signature algorithms: reading an AlgorithmIdentifier (RFC 5280 §4.1.1.2), mapping
 * it plus the issuer's key to a TLS SignatureScheme for CryptoProvider.verify, and the
 * identifier tsquic writes for each key type.
 */
import { DerReader, Tag, derNull, derOid, derSequence } from '../../util/der.js';
import type { KeyType, SignatureScheme } from '../../crypto/provider.js';
import { HashOid, SigOid } from './oids.js';
import type { CertificateSignatureAlgorithm } from './types.js';

type Hash = 'sha1' | 'sha256' | 'sha384' | 'sha512';

const SIMPLE: Record<string, CertificateSignatureAlgorithm> = {};
function simple(
  oid: string,
  name: string,
  hash: Hash | 'none',
  family: CertificateSignatureAlgorithm['family'],
) {
  SIMPLE[oid] = { oid, name, hash, family };
}
simple(SigOid.sha1WithRSAEncryption, 'sha1WithRSAEncryption', 'sha1', 'rsa-pkcs1');
simple(SigOid.sha256WithRSAEncryption, 'sha256WithRSAEncryption', 'sha256', 'rsa-pkcs1');
simple(SigOid.sha384WithRSAEncryption, 'sha384WithRSAEncryption', 'sha384', 'rsa-pkcs1');
simple(SigOid.sha512WithRSAEncryption, 'sha512WithRSAEncryption', 'sha512', 'rsa-pkcs1');
simple(SigOid.ecdsaWithSHA1, 'ecdsa-with-SHA1', 'sha1', 'ecdsa');
simple(SigOid.ecdsaWithSHA256, 'ecdsa-with-SHA256', 'sha256', 'ecdsa');
simple(SigOid.ecdsaWithSHA384, 'ecdsa-with-SHA384', 'sha384', 'ecdsa');
simple(SigOid.ecdsaWithSHA512, 'ecdsa-with-SHA512', 'sha512', 'ecdsa');
simple(SigOid.ed25519, 'Ed25519', 'none', 'ed25519');

const HASH_LEN: Record<Hash, number> = { sha1: 20, sha256: 32, sha384: 48, sha512: 64 };

/** A hash AlgorithmIdentifier: the OID with NULL or absent parameters (RFC 5754 §2). */
function readHashAlgorithm(r: DerReader): Hash | null {
  const alg = r.sequence();
  const hash = HashOid[alg.oid()] ?? null;
  if (!alg.done) alg.null();
  alg.finish('hash AlgorithmIdentifier');
  return hash;
}

/**
 * RSASSA-PSS-params (RFC 4055 §3.1). tsquic accepts only the parameters TLS uses (RFC 8446
 * §4.2.3): MGF1 with the message hash, salt length equal to the hash length, trailer 1.
 */
function readPssParams(r: DerReader): Hash | null {
  let hash: Hash | null = 'sha1';
  let mgfHash: Hash | null = 'sha1';
  let saltLength = 20;
  const hashTag = r.optionalExplicit(0);
  if (hashTag !== null) {
    hash = readHashAlgorithm(hashTag);
    hashTag.finish('hashAlgorithm');
  }
  const mgfTag = r.optionalExplicit(1);
  if (mgfTag !== null) {
    const mgf = mgfTag.sequence();
    const mgfOid = mgf.oid();
    mgfHash = readHashAlgorithm(mgf);
    mgf.finish('maskGenAlgorithm');
    mgfTag.finish('maskGenAlgorithm');
    if (mgfOid !== SigOid.mgf1) mgfHash = null;
  }
  const saltTag = r.optionalExplicit(2);
  if (saltTag !== null) {
    saltLength = saltTag.smallInteger();
    saltTag.finish('saltLength');
  }
  const trailerTag = r.optionalExplicit(3);
  if (trailerTag !== null) {
    if (trailerTag.smallInteger() !== 1) return null;
    trailerTag.finish('trailerField');
  }
  r.finish('RSASSA-PSS-params');
  if (hash === null || hash !== mgfHash || saltLength !== HASH_LEN[hash]) return null;
  return hash;
}

/** Reads a signature AlgorithmIdentifier. Unknown algorithms yield family null. */
export function readSignatureAlgorithm(r: DerReader): {
  alg: CertificateSignatureAlgorithm;
  raw: Uint8Array;
} {
  const element = r.expect(Tag.SEQUENCE, 'AlgorithmIdentifier');
  const a = DerReader.over(element.value);
  const oid = a.oid();
  const known = SIMPLE[oid];
  let alg: CertificateSignatureAlgorithm;
  if (known !== undefined) {
    // RSA PKCS#1 carries NULL parameters (RFC 4055 §5); ECDSA and Ed25519 none (RFC 5758 §3.2,
    // RFC 8410 §3). An absent NULL is tolerated, as most verifiers do.
    if (known.family === 'rsa-pkcs1' && !a.done) a.null();
    alg = known;
  } else if (oid === SigOid.rsassaPss) {
    const hash = a.done ? null : readPssParams(a.sequence());
    alg =
      hash === null
        ? { oid, name: 'rsassa-pss (unsupported parameters)', hash: null, family: 'rsa-pss' }
        : { oid, name: `rsassa-pss-${hash}`, hash, family: 'rsa-pss' };
  } else {
    if (!a.done) a.read();
    alg = { oid, name: oid, hash: null, family: null };
  }
  a.finish('signature AlgorithmIdentifier');
  return { alg, raw: element.raw };
}

/**
 * The TLS SignatureScheme that verifies a certificate signed with `alg` by a key of
 * `issuerKey`: 'sha1' when the algorithm uses SHA-1 (refused), null when no scheme fits.
 * ECDSA schemes bind the curve to the hash in TLS 1.3, so P-256 must sign with SHA-256 and
 * P-384 with SHA-384.
 */
export function schemeForCertificate(
  alg: CertificateSignatureAlgorithm,
  issuerKey: KeyType | null,
): SignatureScheme | 'sha1' | null {
  if (alg.hash === 'sha1') return 'sha1';
  switch (alg.family) {
    case 'rsa-pkcs1':
      return issuerKey === 'rsa' && alg.hash !== null && alg.hash !== 'none'
        ? (`rsa_pkcs1_${alg.hash}` as SignatureScheme)
        : null;
    case 'rsa-pss':
      return issuerKey === 'rsa' && alg.hash !== null && alg.hash !== 'none'
        ? (`rsa_pss_rsae_${alg.hash}` as SignatureScheme)
        : null;
    case 'ecdsa':
      if (issuerKey === 'ec-p256' && alg.hash === 'sha256') return 'ecdsa_secp256r1_sha256';
      if (issuerKey === 'ec-p384' && alg.hash === 'sha384') return 'ecdsa_secp384r1_sha384';
      return null;
    case 'ed25519':
      return issuerKey === 'ed25519' ? 'ed25519' : null;
    case null:
      return null;
  }
}

/** The algorithm tsquic signs certificates with for each key type, and its TLS scheme. */
export function signatureAlgorithmFor(key: KeyType): { der: Uint8Array; scheme: SignatureScheme } {
  switch (key) {
    case 'ec-p256':
      return { der: derSequence(derOid(SigOid.ecdsaWithSHA256)), scheme: 'ecdsa_secp256r1_sha256' };
    case 'ec-p384':
      return { der: derSequence(derOid(SigOid.ecdsaWithSHA384)), scheme: 'ecdsa_secp384r1_sha384' };
    case 'ed25519':
      return { der: derSequence(derOid(SigOid.ed25519)), scheme: 'ed25519' };
    case 'rsa':
      return {
        der: derSequence(derOid(SigOid.sha256WithRSAEncryption), derNull()),
        scheme: 'rsa_pkcs1_sha256',
      };
  }
}
