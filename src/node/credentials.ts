/**
 * The default trust store: Node's bundled Mozilla roots (`tls.rootCertificates`) as DER; and the
 * readers of PEM or DER credentials (src/tls/x509/credentials.ts), re-exported.
 */
import { rootCertificates } from 'node:tls';
import { parseCertificate, pemDecode } from '../tls/x509/index.js';

export {
  certificateChainFrom,
  signingKeyFrom,
  trustAnchorsFrom,
  type CredentialInput,
} from '../tls/x509/credentials.js';

let systemRoots: readonly Uint8Array[] | null = null;

/**
 * Node's bundled root certificates as DER, parsed once. Roots the certificate parser cannot read
 * are left out: one odd root must not make every verification fail.
 */
export function defaultTrustAnchors(): readonly Uint8Array[] {
  if (systemRoots === null) {
    const roots: Uint8Array[] = [];
    for (const pem of rootCertificates) {
      try {
        for (const block of pemDecode(pem)) {
          parseCertificate(block.der);
          roots.push(block.der);
        }
      } catch {
        // Unreadable root: skipped.
      }
    }
    systemRoots = roots;
  }
  return systemRoots;
}
