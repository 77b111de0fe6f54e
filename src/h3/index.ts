/**
 * HTTP/3 (RFC 9114) and QPACK (RFC 9204): the public surface of src/h3.
 *
 * - Sessions: H3ClientSession / H3ServerSession run over any H3Transport (session/transport.ts);
 *   an adapter maps a QUIC connection onto it and forwards stream events to the handle* calls.
 * - QPACK: QpackEncoder / QpackDecoder, usable on their own.
 * - Framing: frame and stream-type codecs and the incremental FrameParser.
 */
export {
  H3Error,
  H3ErrorCode,
  type H3ErrorScope,
  h3ErrorName,
  isReservedCodePoint,
  reservedCodePoint,
} from './errors.js';
export {
  encodeDataFrameHeader,
  encodeFrame,
  encodeFrameHeader,
  encodeRawFrame,
  encodeStreamType,
  type FrameEvent,
  FrameParser,
  type FrameParserOptions,
  type H3Frame,
  H3FrameType,
  H3SettingId,
  H3StreamType,
  isHttp2OnlyFrameType,
  isHttp2OnlySetting,
  isReservedStreamType,
  PartialVarint,
  reservedFrameType,
} from './frames.js';
export {
  huffmanDecode,
  huffmanEncode,
  huffmanEncodedLength,
  huffmanEncodeInto,
} from './huffman.js';
export { QpackDecoder, type QpackDecoderOptions } from './qpack/decoder.js';
export { QpackEncoder, type QpackEncoderOptions } from './qpack/encoder.js';
export type { FieldLine } from './qpack/field-section.js';
export { H3ClientRequest, H3ClientSession, type H3RequestOptions } from './session/client.js';
export { type RequestHead, type ResponseHead } from './session/message.js';
export { H3RequestStream } from './session/request-stream.js';
export { H3ServerRequest, H3ServerSession, type H3ResponseOptions } from './session/server.js';
export { H3Session, type H3SessionOptions } from './session/session.js';
export type { H3ReadResult, H3Stream, H3Transport } from './session/transport.js';
