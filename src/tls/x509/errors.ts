/** Errors of the certificate code: a typed parse error and the chain-verification results. */
import type { CertificateError, CertificateErrorKind } from './types.js';

/**
 * A certificate (or key, or PEM text) that is not well-formed. The TLS core answers a peer's
 * malformed certificate with bad_certificate (alert 42).
 */
export class CertificateParseError extends Error {
  override name = 'CertificateParseError';
  readonly alert = 42;

  /** `detail` says what is wrong, without the "malformed certificate" prefix. */
  constructor(readonly detail: string) {
    super(`malformed certificate: ${detail}`);
  }
}

/** The TLS alert for each kind of chain failure (RFC 8446 §6.2). */
export const CERTIFICATE_ALERT: Record<CertificateErrorKind, number> = {
  bad_certificate: 42,
  bad_signature: 42,
  hostname_mismatch: 42,
  unsupported_certificate: 43,
  expired: 45,
  not_yet_valid: 45, // certificate_expired: "has expired or is not currently valid"
  unknown_ca: 48,
};

export function certificateError(
  kind: CertificateErrorKind,
  depth: number,
  message: string,
): CertificateError {
  return { kind, alert: CERTIFICATE_ALERT[kind], message, depth };
}
