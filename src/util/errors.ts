/**
 * Raised by the byte cursor when input ends early or is malformed at the byte level. Codecs
 * above catch it and re-raise a protocol error with the RFC code that fits their context
 * (FRAME_ENCODING_ERROR for frames, decode_error for TLS, ...).
 */
export class DecodeError extends Error {
  override name = 'DecodeError';
}
