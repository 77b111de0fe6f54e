/**
 * HTTP/3 (RFC 9114) and QPACK (RFC 9204): the public surface of src/h3, `tsquic/h3`.
 *
 * - Application API: `h3Client(conn)` with a fetch-like `request()`, and `h3Server(conn,
 *   handler)` with node:http-style requests and responses, both on a connection negotiated
 *   with ALPN "h3": a core Connection or a tsquic/node QuicConnection (they wait for its
 *   socket themselves). `h3Fetch` and `H3Agent` (tsquic/node) pool connections per origin. Bodies stream both ways; errors are Http3Error subclasses whose
 *   `code` is the HTTP/3 error name.
 * - Sessions: H3ClientSession / H3ServerSession run over any H3Transport (session/transport.ts);
 *   ConnectionTransport maps a QUIC Connection onto it.
 * - QPACK: QpackEncoder / QpackDecoder, usable on their own.
 * - Framing: frame and stream-type codecs and the incremental FrameParser.
 */
export {
  BodyBudget,
  DEFAULT_BODY_HIGH_WATER_MARK,
  DEFAULT_MAX_BUFFERED_BODY_BYTES,
  H3Body,
  type H3BodyInit,
} from './api/body.js';
export {
  h3Client,
  H3Client,
  type H3AbortSignal,
  type H3ClientOptions,
  type H3RequestInit,
  type H3Response,
} from './api/client.js';
export type {
  H3BurstReader,
  H3ConnectionInput,
  H3HostConnection,
  H3HostTimers,
} from './api/host.js';
export {
  Http3ConnectionError,
  Http3Error,
  type Http3ErrorDetails,
  type Http3ErrorScope,
  Http3StreamError,
} from './api/errors.js';
export type { H3Headers, H3HeadersInit, H3RawHeaders } from './api/headers.js';
export {
  H3IncomingRequest,
  type H3RequestHandler,
  h3Server,
  H3Server,
  type H3ServerOptions,
  type H3ServerEvents,
  H3ServerResponse,
  type H3ServerResponseEvents,
} from './api/server.js';
export {
  ConnectionStream,
  ConnectionTransport,
  type H3SessionHandlers,
} from './connection-transport.js';
export {
  H3Error,
  H3ProtocolError,
  H3ErrorCode,
  type H3ErrorScope,
  h3ErrorName,
  isKnownErrorCode,
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
export {
  DEFAULT_REQUEST_HEADER_TIMEOUT,
  H3ServerRequest,
  H3ServerSession,
  type H3ResponseOptions,
  type H3ServerSessionOptions,
} from './session/server.js';
export { H3Session, type H3SessionOptions, type QpackStats } from './session/session.js';
export type { H3ReadResult, H3Stream, H3Transport } from './session/transport.js';
export type { AdvertisedSettingsOptions } from './session/advertised-settings.js';
export {
  decodeTicketSettings,
  encodeTicketSettings,
  h3TicketApplication,
  settingsChangeForEarlyData,
} from './ticket-settings.js';
