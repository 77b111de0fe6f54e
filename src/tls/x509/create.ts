/**
 * Makes X.509 v3 certificates (RFC 5280 §4.1) without external tools: self-signed development
 * certificates, CA certificates and CA-signed leaves for tests. The DER is built here and
 * signed through the provider's SigningKey.
 */
import { bytesEqual, utf8 } from '../../util/bytes.js';
import {
  derBitString,
  derBoolean,
  derExplicit,
  derImplicit,
  derInteger,
  derNamedBits,
  derOctetString,
  derOid,
  derSequence,
  derTime,
  derUnsignedInteger,
} from '../../util/der.js';
import type { SigningKey } from '../../crypto/provider.js';
import { parseCertificate } from './certificate.js';
import { parseIpAddress } from './hostname.js';
import { commonNameDer } from './name.js';
import { ExtOid, KeyPurposeOid } from './oids.js';
import { signatureAlgorithmFor } from './signature-algorithm.js';
import type { CertificateMakerProvider, CertificateOptions, CertifiedKeyPair } from './types.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

/** A hostname as RFC 1123 labels, optionally with a left-most "*" label. */
const DNS_NAME =
  /^(\*\.)?([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)*[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.?$/;

function generalName(name: string): Uint8Array {
  const ip = parseIpAddress(name);
  if (ip !== null) return derImplicit(7, ip); // iPAddress [7] OCTET STRING
  if (!DNS_NAME.test(name) || name.length > 253) {
    throw new TypeError(`not a DNS name or IP address: ${JSON.stringify(name)}`);
  }
  return derImplicit(2, utf8(name)); // dNSName [2] IA5String (ASCII, checked above)
}

function extension(oid: string, critical: boolean, value: Uint8Array): Uint8Array {
  return critical
    ? derSequence(derOid(oid), derBoolean(true), derOctetString(value))
    : derSequence(derOid(oid), derOctetString(value));
}

// keyUsage bit numbers (RFC 5280 §4.2.1.3).
const DIGITAL_SIGNATURE = 0;
const KEY_CERT_SIGN = 5;
const CRL_SIGN = 6;

function extensions(opts: CertificateOptions): Uint8Array {
  const list: Uint8Array[] = [];
  if (opts.names.length > 0) {
    list.push(extension(ExtOid.subjectAltName, false, derSequence(...opts.names.map(generalName))));
  }
  if (opts.isCA) {
    const bc =
      opts.pathLen === undefined
        ? derSequence(derBoolean(true))
        : derSequence(derBoolean(true), derInteger(opts.pathLen));
    list.push(extension(ExtOid.basicConstraints, true, bc));
    list.push(
      extension(ExtOid.keyUsage, true, derNamedBits([DIGITAL_SIGNATURE, KEY_CERT_SIGN, CRL_SIGN])),
    );
  } else {
    // cA FALSE is the DEFAULT, so DER leaves it out: an empty SEQUENCE.
    list.push(extension(ExtOid.basicConstraints, true, derSequence()));
    list.push(extension(ExtOid.keyUsage, true, derNamedBits([DIGITAL_SIGNATURE])));
    list.push(
      extension(
        ExtOid.extendedKeyUsage,
        false,
        derSequence(derOid(KeyPurposeOid.serverAuth), derOid(KeyPurposeOid.clientAuth)),
      ),
    );
  }
  return derExplicit(3, derSequence(...list));
}

/** A positive serial of 16 random octets (RFC 5280 §4.1.2.2: at most 20, non-negative). */
function randomSerial(provider: CertificateMakerProvider): Uint8Array {
  const s = provider.random(16);
  s[0] = (s[0]! & 0x7f) | 0x01; // positive and without a leading zero octet
  return derUnsignedInteger(s);
}

/**
 * Makes a certificate for `opts.names` with a fresh (or the given) key: self-signed, or signed
 * by `opts.issuer`. Leaves get serverAuth and clientAuth; CAs get keyCertSign. The notBefore
 * default reads the wall clock (one hour back, for skew); pass both dates for reproducibility.
 */
export function createSelfSignedCertificate(
  provider: CertificateMakerProvider,
  opts: CertificateOptions,
): CertifiedKeyPair {
  if (
    opts.pathLen !== undefined &&
    (!opts.isCA || !Number.isInteger(opts.pathLen) || opts.pathLen < 0)
  ) {
    throw new TypeError('pathLen needs isCA and a non-negative integer');
  }
  const generated =
    opts.pkcs8 === undefined
      ? provider.generateSigningKey(opts.keyType ?? 'ec-p256', opts.rsaBits)
      : null;
  const pkcs8 = opts.pkcs8 ?? generated!.pkcs8;
  const key: SigningKey = generated ?? provider.importSigningKey(pkcs8);

  let issuerName: Uint8Array;
  let signer: SigningKey;
  const subject = commonNameDer(opts.commonName ?? opts.names[0] ?? 'tsquic');
  if (opts.issuer !== undefined) {
    const issuerCert = parseCertificate(opts.issuer.cert);
    if (!bytesEqual(issuerCert.spki, opts.issuer.key.spki)) {
      throw new TypeError("the issuer key does not belong to the issuer's certificate");
    }
    issuerName = issuerCert.subject.der;
    signer = opts.issuer.key;
  } else {
    issuerName = subject;
    signer = key;
  }

  const notBefore = opts.notBefore ?? Math.floor((Date.now() - HOUR) / 1000) * 1000;
  const notAfter = opts.notAfter ?? notBefore + 365 * DAY;
  if (!(notAfter > notBefore)) throw new RangeError('notAfter must be later than notBefore');

  const alg = signatureAlgorithmFor(signer.type);
  const tbs = derSequence(
    derExplicit(0, derInteger(2)), // v3
    randomSerial(provider),
    alg.der,
    issuerName,
    derSequence(derTime(notBefore), derTime(notAfter)),
    subject,
    key.spki,
    extensions(opts),
  );
  const signature = signer.sign(alg.scheme, tbs);
  const cert = derSequence(tbs, alg.der, derBitString(signature));
  return { cert, chain: [cert], key, pkcs8, certificate: cert };
}
