/**
 * The default trust store: Node's bundled Mozilla roots (`tls.rootCertificates`) and
 * NODE_EXTRA_CA_CERTS, as DER; and the
 * readers of PEM or DER credentials (src/tls/x509/credentials.ts), re-exported.
 */
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { parseCertificate, pemDecode } from '../tls/x509/index.js';

export {
  certificateChainFrom,
  signingKeyFrom,
  trustAnchorsFrom,
  type CredentialInput,
} from '../tls/x509/credentials.js';

let systemRoots: { extraFile: string | undefined; roots: readonly Uint8Array[] } | null = null;

/**
 * Node's bundled root certificates as DER, parsed once, and the certificates of the PEM file
 * NODE_EXTRA_CA_CERTS names, as node:tls trusts them (re-read when the variable changes).
 * Roots the certificate parser cannot read are left out: one odd root must not make every
 * verification fail. An unreadable extra file is a process warning, as in Node.
 */
export function defaultTrustAnchors(): readonly Uint8Array[] {
  const extraFile = process.env['NODE_EXTRA_CA_CERTS'] || undefined;
  if (systemRoots === null || systemRoots.extraFile !== extraFile) {
    const roots: Uint8Array[] = [];
    const pems = [...rootCertificates];
    if (extraFile !== undefined) {
      try {
        pems.push(readFileSync(extraFile, 'latin1'));
      } catch (e) {
        process.emitWarning(
          `Ignoring extra certs from \`${extraFile}\`, load failed: ${(e as Error).message}`,
        );
      }
    }
    for (const pem of pems) {
      try {
        for (const block of pemDecode(pem)) {
          parseCertificate(block.der);
          roots.push(block.der);
        }
      } catch {
        // Unreadable root: skipped.
      }
    }
    systemRoots = { extraFile, roots };
  }
  return systemRoots.roots;
}
