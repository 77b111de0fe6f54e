/**
 * HTTP/3 and QPACK error codes (RFC 9114 §8.1, RFC 9204 §6) and the error raised for them.
 *
 * These are application error codes: they travel in RESET_STREAM / STOP_SENDING and in
 * CONNECTION_CLOSE of type 0x1d, never as QUIC transport error codes. That is why H3ProtocolError is its
 * own class and not a QuicError: a layer that catches QuicError to send a transport close must
 * not pick up an HTTP/3 code by accident.
 */

export const H3ErrorCode = {
  // RFC 9114 §8.1
  H3_NO_ERROR: 0x0100,
  H3_GENERAL_PROTOCOL_ERROR: 0x0101,
  H3_INTERNAL_ERROR: 0x0102,
  H3_STREAM_CREATION_ERROR: 0x0103,
  H3_CLOSED_CRITICAL_STREAM: 0x0104,
  H3_FRAME_UNEXPECTED: 0x0105,
  H3_FRAME_ERROR: 0x0106,
  H3_EXCESSIVE_LOAD: 0x0107,
  H3_ID_ERROR: 0x0108,
  H3_SETTINGS_ERROR: 0x0109,
  H3_MISSING_SETTINGS: 0x010a,
  H3_REQUEST_REJECTED: 0x010b,
  H3_REQUEST_CANCELLED: 0x010c,
  H3_REQUEST_INCOMPLETE: 0x010d,
  H3_MESSAGE_ERROR: 0x010e,
  H3_CONNECT_ERROR: 0x010f,
  H3_VERSION_FALLBACK: 0x0110,
  // RFC 9204 §6
  QPACK_DECOMPRESSION_FAILED: 0x0200,
  QPACK_ENCODER_STREAM_ERROR: 0x0201,
  QPACK_DECODER_STREAM_ERROR: 0x0202,
} as const;

const names = new Map<number, string>(Object.entries(H3ErrorCode).map(([k, v]) => [v, k]));

/**
 * True for the reserved code points 0x1f * N + 0x21 (RFC 9114 §8.1, §7.2.8, §6.2.3, §7.2.4.1):
 * error codes, frame types, stream types and setting identifiers all share this grease pattern.
 */
export function isReservedCodePoint(v: number): boolean {
  return v >= 0x21 && (v - 0x21) % 0x1f === 0;
}

/** The N-th reserved (grease) code point, 0x1f * N + 0x21. */
export function reservedCodePoint(n: number): number {
  if (!Number.isSafeInteger(n) || n < 0 || 0x1f * n + 0x21 > Number.MAX_SAFE_INTEGER) {
    throw new RangeError(`reserved code point index out of range: ${n}`);
  }
  return 0x1f * n + 0x21;
}

/** Whether `code` is an error code RFC 9114 §8.1 or RFC 9204 §6 defines. */
export function isKnownErrorCode(code: number): boolean {
  return names.has(code);
}

/** Human-readable name of an HTTP/3 or QPACK error code. */
export function h3ErrorName(code: number): string {
  const name = names.get(code);
  if (name !== undefined) return name;
  if (isReservedCodePoint(code)) return `H3_RESERVED(0x${code.toString(16)})`;
  return `0x${code.toString(16)}`;
}

/**
 * Whether an error ends only the stream it happened on or the whole connection
 * (RFC 9114 §8: "stream error" and "connection error").
 */
export type H3ErrorScope = 'stream' | 'connection';

/**
 * An HTTP/3 or QPACK protocol error, inside the session (numeric `code`); the public API hands
 * applications Http3Error instead (api/errors.ts: `code` the error name). Raised for malformed peer input with the RFC code to put in
 * RESET_STREAM (scope 'stream') or CONNECTION_CLOSE (scope 'connection'); also handed to the
 * application when the peer resets a stream or closes the connection (`remote` set).
 */
export class H3ProtocolError extends Error {
  override name = 'H3ProtocolError';
  constructor(
    /** HTTP/3 application error code (H3ErrorCode or any code the peer sent). */
    readonly code: number,
    /** What happened, without the code name (the reason phrase of a CONNECTION_CLOSE). */
    readonly reason: string,
    readonly scope: H3ErrorScope = 'connection',
    /** True when the peer signalled this code (reset or close); false when detected here. */
    readonly remote = false,
  ) {
    super(`${h3ErrorName(code)}: ${reason}`);
  }
}

/** @deprecated The name of H3ProtocolError in tsquic 0.1 (not the public Http3Error). */
export const H3Error = H3ProtocolError;
/** @deprecated See the value of the same name. */
export type H3Error = H3ProtocolError;
