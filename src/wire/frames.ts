/** Frame codecs (RFC 9000 §19, RFC 9221 §4): decoding and encoding live in their own modules. */
export { decodeFrame } from './frame-decode.js';
export {
  cryptoFrameDataCapacity,
  cryptoFrameHeaderLength,
  encodeCryptoFrameHeader,
  encodeFrame,
  encodeStreamFrameHeader,
  frameEncodedLength,
  frameTypeOf,
  streamFrameDataCapacity,
  streamFrameHeaderLength,
} from './frame-encode.js';
