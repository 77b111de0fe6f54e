/** Streams and flow control (RFC 9000 §2-4): the public pieces of src/stream. */
export { RangeSet } from './range-set.js';
export {
  MAX_STREAMS_LIMIT,
  isBidirectional,
  isClientInitiated,
  isLocallyInitiated,
  streamIdOf,
  streamIndex,
} from './stream-id.js';
export { SendBuffer, SendRange } from './send-buffer.js';
export { RecvBuffer } from './recv-buffer.js';
export { RecvWindow, SendCredit } from './flow-control.js';
export {
  controlFrameLength,
  maxStreamDataLength,
  streamFrameHeaderLength,
  type StreamControlFrame,
} from './frame-size.js';
export {
  DEFAULT_URGENCY,
  Stream,
  StreamChunk,
  type RecvState,
  type SendState,
  type StreamLimits,
  type StreamOwner,
  type StreamPriority,
  type StreamReadResult,
} from './stream.js';
export { StreamScheduler, type Schedulable } from './scheduler.js';
export {
  StreamMap,
  type StreamMapConfig,
  type StreamMapEvents,
  type StreamTransportParams,
} from './stream-map.js';
