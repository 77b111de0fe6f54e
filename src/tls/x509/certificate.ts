/**
 * X.509 v3 certificate parsing (RFC 5280 §4.1) with the extensions TLS needs (§4.2.1.3 keyUsage,
 * §4.2.1.6 subjectAltName, §4.2.1.9 basicConstraints, §4.2.1.12 extendedKeyUsage). Strict DER;
 * anything malformed raises CertificateParseError.
 */
import { DecodeError } from '../../util/errors.js';
import { bytesEqual, toHex } from '../../util/bytes.js';
import { DerReader, Tag, contextTag, decodeString, readSequence } from '../../util/der.js';
import { parseSpki } from '../../crypto/key-der.js';
import { CertificateParseError } from './errors.js';
import { formatIpAddress } from './hostname.js';
import { readName } from './name.js';
import { ExtOid, KeyPurposeOid } from './oids.js';
import { readSignatureAlgorithm } from './signature-algorithm.js';
import type {
  BasicConstraints,
  Certificate,
  ExtendedKeyUsage,
  KeyUsage,
  SubjectAltName,
} from './types.js';

/** GeneralName tags (RFC 5280 §4.2.1.6): IMPLICIT [2] IA5String and [7] OCTET STRING. */
const DNS_NAME = contextTag(2, false);
const IP_ADDRESS = contextTag(7, false);

function readSubjectAltName(value: Uint8Array): SubjectAltName {
  const r = readSequence(value, 'subjectAltName');
  const dnsNames: string[] = [];
  const ipAddresses: string[] = [];
  while (!r.done) {
    const g = r.read();
    if (g.tag === DNS_NAME) {
      dnsNames.push(decodeString(Tag.IA5String, g.value)!);
    } else if (g.tag === IP_ADDRESS) {
      if (g.value.length !== 4 && g.value.length !== 16) {
        throw new DecodeError('subjectAltName: iPAddress must be 4 or 16 octets');
      }
      ipAddresses.push(formatIpAddress(g.value));
    } else if ((g.tag & 0xc0) !== 0x80) {
      throw new DecodeError('subjectAltName: GeneralName must be context-tagged');
    }
  }
  return { dnsNames, ipAddresses };
}

function readBasicConstraints(value: Uint8Array): BasicConstraints {
  const r = readSequence(value, 'basicConstraints');
  const cA = r.peekTag() === Tag.BOOLEAN ? r.boolean() : false;
  const pathLen = r.peekTag() === Tag.INTEGER ? r.smallInteger() : null;
  r.finish('basicConstraints');
  return { cA, pathLen };
}

const KEY_USAGE_BITS = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;

function readKeyUsage(value: Uint8Array): KeyUsage {
  const r = DerReader.over(value);
  const { bytes, unusedBits } = r.bitStringWithPadding();
  r.finish('keyUsage');
  // X.690 §11.2.2: a named-bit list has no trailing zero bits in DER.
  if (bytes.length > 0 && (bytes[bytes.length - 1]! & (1 << unusedBits)) === 0) {
    throw new DecodeError('keyUsage: trailing zero bits');
  }
  const bit = (i: number) => i < bytes.length * 8 && (bytes[i >> 3]! & (0x80 >> (i & 7))) !== 0;
  const usage = {} as Record<(typeof KEY_USAGE_BITS)[number], boolean>;
  KEY_USAGE_BITS.forEach((name, i) => (usage[name] = bit(i)));
  return usage;
}

function readExtendedKeyUsage(value: Uint8Array): ExtendedKeyUsage {
  const r = readSequence(value, 'extendedKeyUsage');
  const oids: string[] = [];
  while (!r.done) oids.push(r.oid());
  if (oids.length === 0) throw new DecodeError('extendedKeyUsage: empty');
  return {
    serverAuth: oids.includes(KeyPurposeOid.serverAuth),
    clientAuth: oids.includes(KeyPurposeOid.clientAuth),
    any: oids.includes(KeyPurposeOid.anyExtendedKeyUsage),
    oids,
  };
}

interface Extensions {
  subjectAltName: SubjectAltName | null;
  basicConstraints: BasicConstraints | null;
  keyUsage: KeyUsage | null;
  extendedKeyUsage: ExtendedKeyUsage | null;
  unhandledCriticalExtensions: string[];
}

const HANDLED = new Set<string>([
  ExtOid.subjectAltName,
  ExtOid.basicConstraints,
  ExtOid.keyUsage,
  ExtOid.extendedKeyUsage,
  ExtOid.subjectKeyIdentifier,
  ExtOid.authorityKeyIdentifier,
]);

function readExtensions(r: DerReader | null): Extensions {
  const ext: Extensions = {
    subjectAltName: null,
    basicConstraints: null,
    keyUsage: null,
    extendedKeyUsage: null,
    unhandledCriticalExtensions: [],
  };
  if (r === null) return ext;
  const list = r.sequence();
  r.finish('extensions');
  const seen = new Set<string>();
  do {
    const e = list.sequence();
    const oid = e.oid();
    const critical = e.peekTag() === Tag.BOOLEAN ? e.boolean() : false;
    const value = e.octetString();
    e.finish('Extension');
    // RFC 5280 §4.2: a certificate MUST NOT include more than one instance of an extension.
    if (seen.has(oid)) throw new DecodeError(`duplicate extension ${oid}`);
    seen.add(oid);
    if (oid === ExtOid.subjectAltName) ext.subjectAltName = readSubjectAltName(value);
    else if (oid === ExtOid.basicConstraints) ext.basicConstraints = readBasicConstraints(value);
    else if (oid === ExtOid.keyUsage) ext.keyUsage = readKeyUsage(value);
    else if (oid === ExtOid.extendedKeyUsage) ext.extendedKeyUsage = readExtendedKeyUsage(value);
    else if (critical && !HANDLED.has(oid)) ext.unhandledCriticalExtensions.push(oid);
  } while (!list.done);
  return ext;
}

function parse(der: Uint8Array): Certificate {
  const cert = readSequence(der, 'Certificate');
  const tbsElement = cert.expect(Tag.SEQUENCE, 'tbsCertificate');
  const outerAlg = readSignatureAlgorithm(cert);
  const signature = cert.bitString();
  cert.finish('Certificate');

  const tbs = DerReader.over(tbsElement.value);
  const versionTag = tbs.optionalExplicit(0);
  let version = 1;
  if (versionTag !== null) {
    version = versionTag.smallInteger() + 1;
    versionTag.finish('version');
    if (version > 3) throw new DecodeError(`unknown certificate version ${version}`);
  }
  const serial = tbs.integerBytes();
  const innerAlg = readSignatureAlgorithm(tbs);
  // RFC 5280 §4.1.1.2: the two signature algorithm fields MUST be identical.
  if (!bytesEqual(innerAlg.raw, outerAlg.raw)) {
    throw new DecodeError('signature algorithm differs between tbsCertificate and Certificate');
  }
  const issuer = readName(tbs);
  const validity = tbs.sequence();
  const notBefore = validity.time();
  const notAfter = validity.time();
  validity.finish('Validity');
  const subject = readName(tbs);
  const spkiElement = tbs.expect(Tag.SEQUENCE, 'subjectPublicKeyInfo');
  const key = parseSpki(spkiElement.raw);
  if (version >= 2) {
    tbs.optional(contextTag(1, false)); // issuerUniqueID
    tbs.optional(contextTag(2, false)); // subjectUniqueID
  }
  const extensions = readExtensions(version === 3 ? tbs.optionalExplicit(3) : null);
  tbs.finish('tbsCertificate');

  return {
    der,
    tbs: tbsElement.raw,
    version,
    serial,
    serialHex: toHex(serial),
    issuer,
    subject,
    notBefore,
    notAfter,
    spki: spkiElement.raw,
    keyType: key.keyType,
    keyAlgorithm: key.description,
    signatureAlgorithm: outerAlg.alg,
    signature,
    ...extensions,
    selfIssued: bytesEqual(issuer.der, subject.der),
  };
}

/** Parses a DER certificate. Throws CertificateParseError when it is malformed. */
export function parseCertificate(der: Uint8Array): Certificate {
  try {
    return parse(der);
  } catch (e) {
    if (e instanceof DecodeError) throw new CertificateParseError(e.message);
    throw e;
  }
}
