/**
 * X.509 certificates for the TLS core (RFC 5280): parsing, chain verification, a maker of
 * self-signed and CA-signed certificates, PEM, fingerprints.
 */
import type { CryptoProvider } from '../../crypto/provider.js';

export type * from './types.js';
export { parseCertificate } from './certificate.js';
export { verifyCertificateChain } from './chain.js';
export { createSelfSignedCertificate } from './create.js';
export { keyMatchesCertificate } from './key-match.js';
export {
  certificateChainFrom,
  signingKeyFrom,
  trustAnchorsFrom,
  type CredentialInput,
} from './credentials.js';
export { CertificateParseError, CERTIFICATE_ALERT } from './errors.js';
export {
  certificateMatchesName,
  describeNames,
  dnsNameMatches,
  formatIpAddress,
  parseIpAddress,
} from './hostname.js';
export {
  loadCertificateChainPem,
  loadPrivateKeyPem,
  pemDecode,
  pemEncode,
  pkcs1ToPkcs8,
  privateKeyPemToPkcs8,
  sec1ToPkcs8,
  type PemBlock,
} from './pem.js';

/** SHA-256 of the certificate DER as uppercase hex pairs joined by colons ("AB:CD:..."). */
export function certificateFingerprint(
  provider: Pick<CryptoProvider, 'hash'>,
  der: Uint8Array,
): string {
  const digest = provider.hash('sha256', der);
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
}
