/**
 * Encoded sizes of the frames the stream layer produces (RFC 9000 §19), so that it can fit them
 * into the room the connection offers without encoding them. Sizes assume minimal varints and
 * count the STREAM Offset and Length fields as always present: an encoder that omits them for
 * offset 0 or for the last frame in a packet only ends up with a byte or two to spare.
 */
import type {
  DataBlockedFrame,
  MaxDataFrame,
  MaxStreamDataFrame,
  MaxStreamsFrame,
  ResetStreamFrame,
  StopSendingFrame,
  StreamDataBlockedFrame,
  StreamsBlockedFrame,
} from '../wire/frame-types.js';
import { varintLength } from '../util/varint.js';

/** The control frames the stream layer produces and takes back on loss or acknowledgment. */
export type StreamControlFrame =
  | ResetStreamFrame
  | StopSendingFrame
  | MaxStreamDataFrame
  | StreamDataBlockedFrame
  | MaxDataFrame
  | DataBlockedFrame
  | MaxStreamsFrame
  | StreamsBlockedFrame;

/** Upper bound of a STREAM frame header with its Offset and Length fields (RFC 9000 §19.8). */
export function streamFrameHeaderLength(streamId: number, offset: number, length: number): number {
  return 1 + varintLength(streamId) + varintLength(offset) + varintLength(length);
}

/**
 * The most data bytes a STREAM frame for `streamId` at `offset` can carry within `maxFrameBytes`
 * (header included), or -1 if not even an empty frame (a lone FIN) fits.
 */
export function maxStreamDataLength(
  maxFrameBytes: number,
  streamId: number,
  offset: number,
): number {
  const room = maxFrameBytes - 1 - varintLength(streamId) - varintLength(offset);
  if (room < 1) return -1;
  return room - varintLength(room);
}

/** Encoded size of a stream-layer control frame. */
export function controlFrameLength(frame: StreamControlFrame): number {
  switch (frame.kind) {
    case 'reset_stream':
      return (
        1 +
        varintLength(frame.streamId) +
        varintLength(frame.errorCode) +
        varintLength(frame.finalSize)
      );
    case 'stop_sending':
      return 1 + varintLength(frame.streamId) + varintLength(frame.errorCode);
    case 'max_stream_data':
      return 1 + varintLength(frame.streamId) + varintLength(frame.maximum);
    case 'stream_data_blocked':
      return 1 + varintLength(frame.streamId) + varintLength(frame.limit);
    case 'max_data':
    case 'max_streams':
      return 1 + varintLength(frame.maximum);
    case 'data_blocked':
    case 'streams_blocked':
      return 1 + varintLength(frame.limit);
  }
}
