/**
 * TLS alerts (RFC 8446 §6). In QUIC no alert record is ever sent: a fatal alert closes the
 * connection with CRYPTO_ERROR 0x100 + description (RFC 9001 §4.8). Inside the TLS core a
 * protocol failure is thrown as a TlsAlert and caught once, at the session's input boundary.
 */

/** AlertDescription values (RFC 8446 §6). */
export const Alert = {
  close_notify: 0,
  unexpected_message: 10,
  bad_record_mac: 20,
  record_overflow: 22,
  handshake_failure: 40,
  bad_certificate: 42,
  unsupported_certificate: 43,
  certificate_revoked: 44,
  certificate_expired: 45,
  certificate_unknown: 46,
  illegal_parameter: 47,
  unknown_ca: 48,
  access_denied: 49,
  decode_error: 50,
  decrypt_error: 51,
  protocol_version: 70,
  insufficient_security: 71,
  internal_error: 80,
  inappropriate_fallback: 86,
  user_canceled: 90,
  missing_extension: 109,
  unsupported_extension: 110,
  unrecognized_name: 112,
  bad_certificate_status_response: 113,
  unknown_psk_identity: 115,
  certificate_required: 116,
  no_application_protocol: 120,
} as const;
export type AlertName = keyof typeof Alert;

const names = new Map<number, string>(Object.entries(Alert).map(([k, v]) => [v, k]));

/** The RFC name of an alert description, or its number. */
export function alertName(alert: number): string {
  return names.get(alert) ?? `alert(${alert})`;
}

/**
 * A fatal TLS failure. `transportError`, when set, is the QUIC error code to close with instead
 * of CRYPTO_ERROR(0x100 + alert): RFC 9001 names PROTOCOL_VIOLATION for a few TLS-level
 * violations (§4.1.3, §4.6.1, §4.4, §8.3, §8.4).
 */
export class TlsAlert extends Error {
  override name = 'TlsAlert';
  constructor(
    readonly alert: number,
    message: string,
    readonly transportError?: number,
  ) {
    super(message);
  }
}

/** Shorthand used by the codecs and state machines: `throw alert('decode_error', '...')`. */
export function alert(name: AlertName, message: string, transportError?: number): TlsAlert {
  return transportError === undefined
    ? new TlsAlert(Alert[name], message)
    : new TlsAlert(Alert[name], message, transportError);
}
