/**
 * Test helpers for the PKI tests: providers assembled from the signing parts (so these tests do
 * not depend on the rest of src/crypto), fixed dates, and a raw certificate builder for the
 * shapes createSelfSignedCertificate deliberately never makes (SHA-1, PSS parameters, unknown
 * critical extensions, odd key usages).
 */
import { createHash, randomBytes } from 'node:crypto';
import { sha256 } from '@noble/hashes/sha2.js';
import { nodeSigning } from '../../src/crypto/signing-node.js';
import { nobleSigning } from '../../src/crypto/signing-noble.js';
import type { CryptoProvider, SignatureScheme, SigningKey } from '../../src/crypto/provider.js';
import {
  derBitString,
  derBoolean,
  derExplicit,
  derImplicit,
  derInteger,
  derNamedBits,
  derNull,
  derOctetString,
  derOid,
  derSequence,
  derTime,
} from '../../src/util/der.js';
import { utf8 } from '../../src/util/bytes.js';
import { parseCertificate } from '../../src/tls/x509/index.js';
import { commonNameDer } from '../../src/tls/x509/name.js';

export type TestProvider = Pick<
  CryptoProvider,
  'random' | 'hash' | 'verify' | 'importSigningKey' | 'generateSigningKey'
>;

export const nodeTestProvider: TestProvider = {
  ...nodeSigning,
  random: (n) => new Uint8Array(randomBytes(n)),
  hash: (alg, data) => new Uint8Array(createHash(alg).update(data).digest()),
};

export const nobleTestProvider: TestProvider = {
  ...nobleSigning,
  random: (n) => new Uint8Array(randomBytes(n)),
  hash: (_alg, data) => sha256(data),
};

export const testProviders: [string, TestProvider][] = [
  ['node', nodeTestProvider],
  ['noble', nobleTestProvider],
];

export const T2024 = Date.UTC(2024, 0, 1);
export const T2025 = Date.UTC(2025, 5, 1);
export const T2034 = Date.UTC(2034, 0, 1);
export const validity = { notBefore: T2024, notAfter: T2034 } as const;

// ------------------------------------------------------------------ raw certificate builder

export const oid = {
  ecdsaSha256: '1.2.840.10045.4.3.2',
  sha1Rsa: '1.2.840.113549.1.1.5',
  sha256Rsa: '1.2.840.113549.1.1.11',
  pss: '1.2.840.113549.1.1.10',
  mgf1: '1.2.840.113549.1.1.8',
  sha256: '2.16.840.1.101.3.4.2.1',
  san: '2.5.29.17',
  bc: '2.5.29.19',
  ku: '2.5.29.15',
  eku: '2.5.29.37',
  nameConstraints: '2.5.29.30',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  codeSigning: '1.3.6.1.5.5.7.3.3',
};

export function ext(id: string, critical: boolean, value: Uint8Array): Uint8Array {
  return critical
    ? derSequence(derOid(id), derBoolean(true), derOctetString(value))
    : derSequence(derOid(id), derOctetString(value));
}

export const exts = {
  san: (...dns: string[]) =>
    ext(oid.san, false, derSequence(...dns.map((d) => derImplicit(2, utf8(d))))),
  ca: (pathLen?: number) =>
    ext(
      oid.bc,
      true,
      pathLen === undefined
        ? derSequence(derBoolean(true))
        : derSequence(derBoolean(true), derInteger(pathLen)),
    ),
  notCa: () => ext(oid.bc, true, derSequence()),
  keyUsage: (...bits: number[]) => ext(oid.ku, true, derNamedBits(bits)),
  eku: (...oids: string[]) => ext(oid.eku, false, derSequence(...oids.map((o) => derOid(o)))),
};

export function pssAlgorithm(hashOid: string, saltLength: number): Uint8Array {
  const hashAlg = derSequence(derOid(hashOid), derNull());
  return derSequence(
    derOid(oid.pss),
    derSequence(
      derExplicit(0, hashAlg),
      derExplicit(1, derSequence(derOid(oid.mgf1), hashAlg)),
      derExplicit(2, derInteger(saltLength)),
    ),
  );
}

export interface RawCertOptions {
  subject: string;
  issuer?: string;
  /** The key the certificate is for (its SPKI goes in). */
  spki: Uint8Array;
  /** Signs the TBS. */
  sign: (tbs: Uint8Array) => Uint8Array;
  sigAlg?: Uint8Array;
  extensions?: Uint8Array[];
  notBefore?: number;
  notAfter?: number;
  serial?: number;
}

export function buildCertificate(o: RawCertOptions): Uint8Array {
  const sigAlg = o.sigAlg ?? derSequence(derOid(oid.ecdsaSha256));
  const parts = [
    derExplicit(0, derInteger(2)),
    derInteger(o.serial ?? 1),
    sigAlg,
    commonNameDer(o.issuer ?? o.subject),
    derSequence(derTime(o.notBefore ?? T2024), derTime(o.notAfter ?? T2034)),
    commonNameDer(o.subject),
    o.spki,
  ];
  if (o.extensions !== undefined) parts.push(derExplicit(3, derSequence(...o.extensions)));
  const tbs = derSequence(...parts);
  return derSequence(tbs, sigAlg, derBitString(o.sign(tbs)));
}

/** A signer for buildCertificate from a SigningKey and scheme. */
export function signer(key: SigningKey, scheme: SignatureScheme): (tbs: Uint8Array) => Uint8Array {
  return (tbs) => key.sign(scheme, tbs);
}

/** The subject CN of a DER certificate, for readable assertions. */
export function cn(der: Uint8Array): string | null {
  return parseCertificate(der).subject.commonName;
}
