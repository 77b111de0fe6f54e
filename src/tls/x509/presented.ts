/**
 * Certificates that peers present, parsed once. A client that connects to the same server again
 * and again is sent the same chain every time, and parsing it (names, extensions, OIDs) was about
 * 5 % of its CPU per handshake. A parse is a function of the bytes alone, and so is a signature
 * check for a given issuer key: both can serve every handshake that presents the same bytes.
 * What depends on the handshake (dates against `now`, the server name, the purpose, the
 * CertificateVerify) is still checked every time (chain.ts, peer-auth.ts).
 *
 * Bounded: the last {@link PRESENTED_CACHE_SIZE} distinct certificates. Each entry owns a copy of
 * its DER, so the parsed fields (views of it) do not change when the handshake buffer they
 * arrived in is reused. Parsed objects never leave the TLS core (peers' certificates reach users
 * as DER), so sharing them between handshakes is safe.
 */
import type { CryptoProvider } from '../../crypto/provider.js';
import { bytesEqual } from '../../util/bytes.js';
import { parseCertificate } from './certificate.js';
import type { Certificate } from './types.js';

export const PRESENTED_CACHE_SIZE = 64;

/** By a hash of the length and the last bytes (the signature's, distinct per certificate). */
const parsed = new Map<number, Certificate>();

function keyOf(der: Uint8Array): number {
  let h = der.length | 0;
  for (let i = Math.max(0, der.length - 16); i < der.length; i++)
    h = Math.imul(h ^ der[i]!, 0x01000193);
  return h;
}

/**
 * The certificate `der` parsed, from the cache when the same bytes were parsed before. Throws
 * CertificateParseError as parseCertificate does (a malformed certificate is not cached).
 */
export function parsePresentedCertificate(der: Uint8Array): Certificate {
  const key = keyOf(der);
  const hit = parsed.get(key);
  if (hit !== undefined && bytesEqual(hit.der, der)) {
    // Most recently used last: Map keeps insertion order, the oldest goes first below.
    parsed.delete(key);
    parsed.set(key, hit);
    return hit;
  }
  const cert = parseCertificate(der.slice());
  parsed.delete(key);
  if (parsed.size >= PRESENTED_CACHE_SIZE) parsed.delete(parsed.keys().next().value!);
  parsed.set(key, cert);
  return cert;
}

/**
 * Issuers whose key verified a certificate's signature, per provider (a provider is the judge of
 * its own verify; a test provider may refuse what another accepts). Keyed by object: parsed
 * certificates are the cache's (presented) or the anchor cache's (trust anchors), so the same
 * bytes are the same object while they stay cached. Only successes are kept.
 */
const verified = new WeakMap<object, WeakMap<Certificate, Certificate[]>>();

/** Whether `issuer`'s key verified `cert`'s signature under `provider` before. */
export function signatureVerifiedBefore(
  provider: Pick<CryptoProvider, 'verify'>,
  cert: Certificate,
  issuer: Certificate,
): boolean {
  return verified.get(provider)?.get(cert)?.includes(issuer) === true;
}

/** Records that `issuer`'s key verified `cert`'s signature under `provider`. */
export function rememberVerifiedSignature(
  provider: Pick<CryptoProvider, 'verify'>,
  cert: Certificate,
  issuer: Certificate,
): void {
  let byCert = verified.get(provider);
  if (byCert === undefined) verified.set(provider, (byCert = new WeakMap()));
  const issuers = byCert.get(cert);
  if (issuers === undefined) byCert.set(cert, [issuer]);
  else if (!issuers.includes(issuer) && issuers.length < 4) issuers.push(issuer);
}
