/** Transport error codes, RFC 9000 §20.1. CRYPTO_ERROR is the range 0x0100-0x01ff. */
export const TransportError = {
  NO_ERROR: 0x00,
  INTERNAL_ERROR: 0x01,
  CONNECTION_REFUSED: 0x02,
  FLOW_CONTROL_ERROR: 0x03,
  STREAM_LIMIT_ERROR: 0x04,
  STREAM_STATE_ERROR: 0x05,
  FINAL_SIZE_ERROR: 0x06,
  FRAME_ENCODING_ERROR: 0x07,
  TRANSPORT_PARAMETER_ERROR: 0x08,
  CONNECTION_ID_LIMIT_ERROR: 0x09,
  PROTOCOL_VIOLATION: 0x0a,
  INVALID_TOKEN: 0x0b,
  APPLICATION_ERROR: 0x0c,
  CRYPTO_BUFFER_EXCEEDED: 0x0d,
  KEY_UPDATE_ERROR: 0x0e,
  AEAD_LIMIT_REACHED: 0x0f,
  NO_VIABLE_PATH: 0x10,
  /** RFC 9368 §4 */
  VERSION_NEGOTIATION_ERROR: 0x11,
  CRYPTO_ERROR_BASE: 0x0100,
} as const;

/** Error codes of the PATH_ABANDON frame, RFC 10069 §4.2.1 (next to NO_ERROR). */
export const MultipathError = {
  APPLICATION_ABANDON_PATH: 0x3e,
  PATH_RESOURCE_LIMIT_REACHED: 0x3e75,
  PATH_UNSTABLE_OR_POOR: 0x3e76,
  NO_CID_AVAILABLE_FOR_PATH: 0x3e77,
} as const;

/** The CRYPTO_ERROR code for a TLS alert (RFC 9001 §4.8). */
export const cryptoError = (alert: number): number => 0x0100 + (alert & 0xff);

const names = new Map<number, string>(
  Object.entries(TransportError)
    .filter(([k]) => k !== 'CRYPTO_ERROR_BASE')
    .map(([k, v]) => [v, k]),
);

/** Human-readable name of a transport error code. */
export function transportErrorName(code: number): string {
  if (code >= 0x100 && code <= 0x1ff) return `CRYPTO_ERROR(0x${code.toString(16)})`;
  return names.get(code) ?? `0x${code.toString(16)}`;
}

/**
 * A protocol violation detected while decoding or processing peer input. Carries the transport
 * error code to put in CONNECTION_CLOSE (RFC 9000 §10.2, §20) and, when known, the frame type
 * that triggered it.
 */
export class QuicError extends Error {
  override name = 'QuicError';
  constructor(
    /** Transport error code (RFC 9000 §20.1). */
    readonly code: number,
    message: string,
    /** Frame type that caused the error, when known (CONNECTION_CLOSE Frame Type field). */
    readonly frameType = 0,
  ) {
    super(message);
  }
}
