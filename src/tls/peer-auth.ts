/**
 * Authenticating the peer's Certificate message: chain verification through the x509 module
 * (trust anchors, validity, name, extended key usage) and extraction of the leaf key that must
 * sign the CertificateVerify.
 */
import type { CryptoProvider, KeyType } from '../crypto/provider.js';
import { TlsAlert, alert } from './alert.js';
import { verifyCertificateChain, type Certificate } from './x509/index.js';
import { parsePresentedCertificate } from './x509/presented.js';

export interface LeafKey {
  readonly spki: Uint8Array;
  readonly keyType: KeyType | null;
}

export interface PeerChainOptions {
  /** Skip chain checks (client `insecure`); the leaf is still parsed for its key. */
  readonly insecure: boolean;
  readonly trustAnchors: readonly Uint8Array[];
  readonly serverName?: string;
  readonly now: number;
  readonly purpose: 'server' | 'client';
}

/**
 * Verifies `chain` (leaf first) and returns the leaf's key. A refused chain raises the alert
 * the x509 module chose, with its message (RFC 8446 §6.2: bad_certificate, unknown_ca, ...).
 */
export function verifyPeerChain(
  provider: CryptoProvider,
  chain: readonly Uint8Array[],
  opts: PeerChainOptions,
): LeafKey {
  // The chain check parses the leaf: its parse serves here too (one parse per handshake).
  const parsed: { leaf: Certificate | null } = { leaf: null };
  if (!opts.insecure) {
    const err = verifyCertificateChain(
      provider,
      chain,
      {
        trustAnchors: opts.trustAnchors,
        now: opts.now,
        purpose: opts.purpose,
        ...(opts.serverName !== undefined ? { serverName: opts.serverName } : {}),
      },
      parsed,
    );
    if (err !== null) throw new TlsAlert(err.alert, err.message);
  }
  let leaf = parsed.leaf;
  if (leaf === null) {
    try {
      leaf = parsePresentedCertificate(chain[0]!);
    } catch (e) {
      throw alert('bad_certificate', `cannot parse the peer certificate: ${String(e)}`);
    }
  }
  if (leaf.keyType === null) {
    throw alert(
      'unsupported_certificate',
      `unsupported key in the peer certificate (${leaf.keyAlgorithm})`,
    );
  }
  return { spki: leaf.spki, keyType: leaf.keyType };
}
