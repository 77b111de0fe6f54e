/**
 * The check of a server's name against its certificate, as a function: what tsquic runs inside
 * the handshake by default (RFC 6125 §6 matching of dNSName and iPAddress subjectAltNames), for a
 * `checkServerIdentity` option that replaces that check and wants to run it too (as node:tls
 * users call `tls.checkServerIdentity` from theirs).
 */
import { certificateMatchesName, describeNames, parseCertificate } from '../tls/x509/index.js';
import type { PeerCertificate } from './connection.js';

/** An Error for a certificate that does not name the host (code as node:tls's), or undefined. */
export function checkServerIdentity(
  hostname: string,
  cert: PeerCertificate | null,
): Error | undefined {
  const name = hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  if (cert === null) return identityError(hostname, 'the server sent no certificate');
  let parsed;
  try {
    parsed = parseCertificate(cert.raw);
  } catch (e) {
    return identityError(hostname, `cannot parse the certificate: ${String(e)}`);
  }
  if (certificateMatchesName(parsed, name)) return undefined;
  return identityError(
    hostname,
    `host name '${hostname}' does not match the certificate (${describeNames(parsed)})`,
  );
}

function identityError(host: string, message: string): Error {
  return Object.assign(new Error(message), { code: 'ERR_TLS_CERT_ALTNAME_INVALID', host });
}
