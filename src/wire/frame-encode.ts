/**
 * Frame encoding and sizing, RFC 9000 §19, RFC 9221 §4 (DATAGRAM), draft-ietf-quic-ack-frequency
 * and RFC 10069 §4 (multipath).
 *
 * encodeFrame writes any frame; frameEncodedLength gives its size beforehand. Packet assembly
 * uses the STREAM and CRYPTO header helpers to cut data to the space left in a packet without
 * building frame objects. Invalid frames from the caller (API misuse) throw RangeError.
 */
import type { Writer } from '../util/cursor.js';
import { varintLength } from '../util/varint.js';
import type {
  AckFrame,
  AckRange,
  Frame,
  NewConnectionIdFrame,
  PathAckFrame,
  PathNewConnectionIdFrame,
} from './frame-types.js';
import { FrameType, MAX_PATH_ID_VALUE } from './frame-types.js';

const OFF_BIT = 0x04;
const LEN_BIT = 0x02;
const FIN_BIT = 0x01;

/**
 * The Frame Type encodeFrame writes for `frame`. STREAM and DATAGRAM frames carry a Length unless
 * `lastInPacket`, in which case their data runs to the end of the packet (§19.8, RFC 9221 §4).
 */
export function frameTypeOf(frame: Frame, lastInPacket = false): number {
  switch (frame.kind) {
    case 'padding':
      return FrameType.PADDING;
    case 'ping':
      return FrameType.PING;
    case 'ack':
      return frame.ecn ? FrameType.ACK_ECN : FrameType.ACK;
    case 'reset_stream':
      return FrameType.RESET_STREAM;
    case 'stop_sending':
      return FrameType.STOP_SENDING;
    case 'crypto':
      return FrameType.CRYPTO;
    case 'new_token':
      return FrameType.NEW_TOKEN;
    case 'stream':
      return (
        FrameType.STREAM |
        (frame.offset > 0 ? OFF_BIT : 0) |
        (lastInPacket ? 0 : LEN_BIT) |
        (frame.fin ? FIN_BIT : 0)
      );
    case 'max_data':
      return FrameType.MAX_DATA;
    case 'max_stream_data':
      return FrameType.MAX_STREAM_DATA;
    case 'max_streams':
      return frame.bidi ? FrameType.MAX_STREAMS_BIDI : FrameType.MAX_STREAMS_UNI;
    case 'data_blocked':
      return FrameType.DATA_BLOCKED;
    case 'stream_data_blocked':
      return FrameType.STREAM_DATA_BLOCKED;
    case 'streams_blocked':
      return frame.bidi ? FrameType.STREAMS_BLOCKED_BIDI : FrameType.STREAMS_BLOCKED_UNI;
    case 'new_connection_id':
      return FrameType.NEW_CONNECTION_ID;
    case 'retire_connection_id':
      return FrameType.RETIRE_CONNECTION_ID;
    case 'path_challenge':
      return FrameType.PATH_CHALLENGE;
    case 'path_response':
      return FrameType.PATH_RESPONSE;
    case 'connection_close':
      return frame.application ? FrameType.CONNECTION_CLOSE_APP : FrameType.CONNECTION_CLOSE;
    case 'immediate_ack':
      return FrameType.IMMEDIATE_ACK;
    case 'ack_frequency':
      return FrameType.ACK_FREQUENCY;
    case 'handshake_done':
      return FrameType.HANDSHAKE_DONE;
    case 'datagram':
      return lastInPacket ? FrameType.DATAGRAM : FrameType.DATAGRAM | 1;
    case 'path_ack':
      return frame.ecn ? FrameType.PATH_ACK_ECN : FrameType.PATH_ACK;
    case 'path_abandon':
      return FrameType.PATH_ABANDON;
    case 'path_status_backup':
      return FrameType.PATH_STATUS_BACKUP;
    case 'path_status_available':
      return FrameType.PATH_STATUS_AVAILABLE;
    case 'path_new_connection_id':
      return FrameType.PATH_NEW_CONNECTION_ID;
    case 'path_retire_connection_id':
      return FrameType.PATH_RETIRE_CONNECTION_ID;
    case 'max_path_id':
      return FrameType.MAX_PATH_ID;
    case 'paths_blocked':
      return FrameType.PATHS_BLOCKED;
    case 'path_cids_blocked':
      return FrameType.PATH_CIDS_BLOCKED;
  }
}

/** Writes `frame` (see frameTypeOf for `lastInPacket`). */
export function encodeFrame(w: Writer, frame: Frame, lastInPacket = false): void {
  switch (frame.kind) {
    case 'padding':
      if (!(frame.length >= 1)) throw new RangeError('PADDING length must be at least 1');
      w.zeros(frame.length);
      return;
    case 'immediate_ack':
      w.u8(FrameType.IMMEDIATE_ACK);
      return;
    case 'ack_frequency':
      w.varint(FrameType.ACK_FREQUENCY)
        .varint(frame.sequenceNumber)
        .varint(frame.ackElicitingThreshold)
        .varint(frame.requestedMaxAckDelay)
        .varint(frame.reorderingThreshold);
      return;
    case 'ping':
    case 'handshake_done':
      w.u8(frameTypeOf(frame));
      return;
    case 'ack':
      encodeAck(w, frame);
      return;
    case 'reset_stream':
      w.u8(FrameType.RESET_STREAM).varint(frame.streamId).varint(frame.errorCode);
      w.varint(frame.finalSize);
      return;
    case 'stop_sending':
      w.u8(FrameType.STOP_SENDING).varint(frame.streamId).varint(frame.errorCode);
      return;
    case 'crypto':
      encodeCryptoFrameHeader(w, frame.offset, frame.data.length);
      w.bytes(frame.data);
      return;
    case 'new_token':
      if (frame.token.length === 0) throw new RangeError('NEW_TOKEN token must not be empty');
      w.u8(FrameType.NEW_TOKEN).varintVec(frame.token);
      return;
    case 'stream':
      encodeStreamFrameHeader(
        w,
        frame.streamId,
        frame.offset,
        frame.data.length,
        frame.fin,
        !lastInPacket,
      );
      w.bytes(frame.data);
      return;
    case 'max_data':
      w.u8(FrameType.MAX_DATA).varint(frame.maximum);
      return;
    case 'max_stream_data':
      w.u8(FrameType.MAX_STREAM_DATA).varint(frame.streamId).varint(frame.maximum);
      return;
    case 'max_streams':
      w.u8(frameTypeOf(frame)).varint(checkStreamCount(frame.maximum));
      return;
    case 'data_blocked':
      w.u8(FrameType.DATA_BLOCKED).varint(frame.limit);
      return;
    case 'stream_data_blocked':
      w.u8(FrameType.STREAM_DATA_BLOCKED).varint(frame.streamId).varint(frame.limit);
      return;
    case 'streams_blocked':
      w.u8(frameTypeOf(frame)).varint(checkStreamCount(frame.limit));
      return;
    case 'new_connection_id':
      checkNewConnectionId(frame);
      w.u8(FrameType.NEW_CONNECTION_ID).varint(frame.sequenceNumber).varint(frame.retirePriorTo);
      w.vec(1, frame.connectionId).bytes(frame.statelessResetToken);
      return;
    case 'retire_connection_id':
      w.u8(FrameType.RETIRE_CONNECTION_ID).varint(frame.sequenceNumber);
      return;
    case 'path_challenge':
    case 'path_response':
      if (frame.data.length !== 8) throw new RangeError(`${frame.kind} data must be 8 bytes`);
      w.u8(frameTypeOf(frame)).bytes(frame.data);
      return;
    case 'connection_close':
      w.u8(frameTypeOf(frame)).varint(frame.errorCode);
      if (!frame.application) w.varint(frame.frameType);
      w.varintVec(frame.reason);
      return;
    case 'datagram':
      w.u8(frameTypeOf(frame, lastInPacket));
      if (lastInPacket) w.bytes(frame.data);
      else w.varintVec(frame.data);
      return;
    case 'path_ack':
      encodePathAck(w, frame);
      return;
    case 'path_abandon':
      w.varint(FrameType.PATH_ABANDON).varint(checkPathId(frame.pathId)).varint(frame.errorCode);
      return;
    case 'path_status_backup':
    case 'path_status_available':
    case 'path_retire_connection_id':
      w.varint(frameTypeOf(frame)).varint(checkPathId(frame.pathId)).varint(frame.sequenceNumber);
      return;
    case 'path_new_connection_id':
      checkNewConnectionId(frame);
      w.varint(FrameType.PATH_NEW_CONNECTION_ID).varint(checkPathId(frame.pathId));
      w.varint(frame.sequenceNumber).varint(frame.retirePriorTo);
      w.vec(1, frame.connectionId).bytes(frame.statelessResetToken);
      return;
    case 'max_path_id':
    case 'paths_blocked':
      w.varint(frameTypeOf(frame)).varint(checkPathId(frame.maximum));
      return;
    case 'path_cids_blocked':
      w.varint(FrameType.PATH_CIDS_BLOCKED).varint(checkPathId(frame.pathId));
      w.varint(frame.nextSequenceNumber);
      return;
  }
}

/** Bytes encodeFrame writes for `frame`. */
export function frameEncodedLength(frame: Frame, lastInPacket = false): number {
  switch (frame.kind) {
    case 'padding':
      return frame.length;
    case 'ping':
    case 'handshake_done':
    case 'immediate_ack':
      return 1;
    case 'ack_frequency':
      return (
        varintLength(FrameType.ACK_FREQUENCY) +
        varintLength(frame.sequenceNumber) +
        varintLength(frame.ackElicitingThreshold) +
        varintLength(frame.requestedMaxAckDelay) +
        varintLength(frame.reorderingThreshold)
      );
    case 'ack':
      return ackLength(frame);
    case 'reset_stream':
      return (
        1 +
        varintLength(frame.streamId) +
        varintLength(frame.errorCode) +
        varintLength(frame.finalSize)
      );
    case 'stop_sending':
      return 1 + varintLength(frame.streamId) + varintLength(frame.errorCode);
    case 'crypto':
      return cryptoFrameHeaderLength(frame.offset, frame.data.length) + frame.data.length;
    case 'new_token':
      return 1 + varintLength(frame.token.length) + frame.token.length;
    case 'stream':
      return (
        streamFrameHeaderLength(frame.streamId, frame.offset, frame.data.length, !lastInPacket) +
        frame.data.length
      );
    case 'max_data':
      return 1 + varintLength(frame.maximum);
    case 'max_stream_data':
      return 1 + varintLength(frame.streamId) + varintLength(frame.maximum);
    case 'max_streams':
      return 1 + varintLength(frame.maximum);
    case 'data_blocked':
      return 1 + varintLength(frame.limit);
    case 'stream_data_blocked':
      return 1 + varintLength(frame.streamId) + varintLength(frame.limit);
    case 'streams_blocked':
      return 1 + varintLength(frame.limit);
    case 'new_connection_id':
      return (
        1 +
        varintLength(frame.sequenceNumber) +
        varintLength(frame.retirePriorTo) +
        1 +
        frame.connectionId.length +
        16
      );
    case 'retire_connection_id':
      return 1 + varintLength(frame.sequenceNumber);
    case 'path_challenge':
    case 'path_response':
      return 9;
    case 'connection_close':
      return (
        1 +
        varintLength(frame.errorCode) +
        (frame.application ? 0 : varintLength(frame.frameType)) +
        varintLength(frame.reason.length) +
        frame.reason.length
      );
    case 'datagram':
      return 1 + (lastInPacket ? 0 : varintLength(frame.data.length)) + frame.data.length;
    case 'path_ack':
      return varintLength(checkPathId(frame.pathId)) + ackLength(frame);
    case 'path_abandon':
      return 2 + varintLength(frame.pathId) + varintLength(frame.errorCode);
    case 'path_status_backup':
    case 'path_status_available':
    case 'path_retire_connection_id':
      return 2 + varintLength(frame.pathId) + varintLength(frame.sequenceNumber);
    case 'path_new_connection_id':
      return (
        2 +
        varintLength(frame.pathId) +
        varintLength(frame.sequenceNumber) +
        varintLength(frame.retirePriorTo) +
        1 +
        frame.connectionId.length +
        16
      );
    case 'max_path_id':
    case 'paths_blocked':
      return 2 + varintLength(frame.maximum);
    case 'path_cids_blocked':
      return 2 + varintLength(frame.pathId) + varintLength(frame.nextSequenceNumber);
  }
}

/**
 * Writes the header of a STREAM frame carrying `length` bytes at `offset`; the caller writes the
 * data right after. The Offset field is left out at offset 0, the Length field when
 * `withLength` is false (the data then runs to the end of the packet, RFC 9000 §19.8).
 */
export function encodeStreamFrameHeader(
  w: Writer,
  streamId: number,
  offset: number,
  length: number,
  fin: boolean,
  withLength: boolean,
): void {
  const type =
    FrameType.STREAM |
    (offset > 0 ? OFF_BIT : 0) |
    (withLength ? LEN_BIT : 0) |
    (fin ? FIN_BIT : 0);
  w.u8(type).varint(streamId);
  if (offset > 0) w.varint(offset);
  if (withLength) w.varint(length);
}

/** Size of the header encodeStreamFrameHeader writes. */
export function streamFrameHeaderLength(
  streamId: number,
  offset: number,
  length: number,
  withLength: boolean,
): number {
  return (
    1 +
    varintLength(streamId) +
    (offset > 0 ? varintLength(offset) : 0) +
    (withLength ? varintLength(length) : 0)
  );
}

/**
 * The most stream data a STREAM frame for (`streamId`, `offset`) can carry in `space` bytes, or
 * -1 if not even an empty frame fits. Without a Length field the data fills the space.
 */
export function streamFrameDataCapacity(
  streamId: number,
  offset: number,
  space: number,
  withLength: boolean,
): number {
  const fixed = 1 + varintLength(streamId) + (offset > 0 ? varintLength(offset) : 0);
  return withLength ? capacityWithLength(space - fixed) : space - fixed < 0 ? -1 : space - fixed;
}

/** Writes a CRYPTO frame header (RFC 9000 §19.6) for `length` bytes at `offset`. */
export function encodeCryptoFrameHeader(w: Writer, offset: number, length: number): void {
  w.u8(FrameType.CRYPTO).varint(offset).varint(length);
}

/** Size of the header encodeCryptoFrameHeader writes. */
export function cryptoFrameHeaderLength(offset: number, length: number): number {
  return 1 + varintLength(offset) + varintLength(length);
}

/** The most handshake data a CRYPTO frame at `offset` can carry in `space` bytes, or -1. */
export function cryptoFrameDataCapacity(offset: number, space: number): number {
  return capacityWithLength(space - 1 - varintLength(offset));
}

/** Largest d with d + varintLength(d) <= room, or -1 when room < 1. */
function capacityWithLength(room: number): number {
  if (room < 1) return -1;
  // The best data length for each Length width, capped by what that width can express.
  let best = Math.min(room - 1, 0x3f);
  if (room - 2 > best) best = Math.min(room - 2, 0x3fff);
  if (room - 4 > best) best = Math.min(room - 4, 0x3fffffff);
  if (room - 8 > best) best = room - 8;
  return best;
}

function checkStreamCount(v: number): number {
  // RFC 9000 §19.11: counts above 2^60 are invalid. Numbers stop being exact at 2^53, so any
  // value at or below VARINT_SATURATED is below 2^60.
  if (!(v >= 0 && v <= 2 ** 53)) throw new RangeError(`stream count out of range: ${v}`);
  return v;
}

/** RFC 10069 §2.1: path IDs are 32-bit (they go into the AEAD nonce, §2.4). */
function checkPathId(v: number): number {
  if (!(Number.isInteger(v) && v >= 0 && v <= MAX_PATH_ID_VALUE)) {
    throw new RangeError(`path ID out of range: ${v}`);
  }
  return v;
}

function checkNewConnectionId(f: NewConnectionIdFrame | PathNewConnectionIdFrame): void {
  if (f.connectionId.length < 1 || f.connectionId.length > 20) {
    throw new RangeError(`${f.kind} connection ID must be 1-20 bytes`);
  }
  if (f.statelessResetToken.length !== 16) {
    throw new RangeError('stateless reset token must be 16 bytes');
  }
  if (f.retirePriorTo > f.sequenceNumber) {
    throw new RangeError('Retire Prior To exceeds Sequence Number');
  }
}

/**
 * Checks that ranges are descending, non-empty, disjoint and separated by at least one missing
 * packet (adjacent ranges must be merged: a Gap field cannot be negative), RFC 9000 §19.3.1.
 */
function checkAckRanges(ranges: readonly AckRange[]): void {
  if (ranges.length === 0) throw new RangeError('ACK frame needs at least one range');
  let prevSmallest = Infinity;
  for (const range of ranges) {
    if (!(range.smallest >= 0 && range.smallest <= range.largest)) {
      throw new RangeError(`invalid ACK range ${range.smallest}..${range.largest}`);
    }
    if (range.largest >= prevSmallest - 1) {
      throw new RangeError('ACK ranges must be descending with a gap between them');
    }
    prevSmallest = range.smallest;
  }
}

function encodeAck(w: Writer, f: AckFrame): void {
  w.u8(f.ecn ? FrameType.ACK_ECN : FrameType.ACK);
  encodeAckBody(w, f);
}

/** RFC 10069 §4.1: the Path Identifier, then the fields of an ACK frame. */
function encodePathAck(w: Writer, f: PathAckFrame): void {
  w.u8(f.ecn ? FrameType.PATH_ACK_ECN : FrameType.PATH_ACK).varint(checkPathId(f.pathId));
  encodeAckBody(w, f);
}

/** The fields of an ACK frame after its type (RFC 9000 §19.3). */
function encodeAckBody(w: Writer, f: AckFrame | PathAckFrame): void {
  const ranges = f.ranges;
  checkAckRanges(ranges);
  const first = ranges[0]!;
  w.varint(first.largest)
    .varint(f.ackDelay)
    .varint(ranges.length - 1);
  w.varint(first.largest - first.smallest);
  let prevSmallest = first.smallest;
  for (let i = 1; i < ranges.length; i++) {
    const range = ranges[i]!;
    w.varint(prevSmallest - range.largest - 2).varint(range.largest - range.smallest);
    prevSmallest = range.smallest;
  }
  if (f.ecn) w.varint(f.ecn.ect0).varint(f.ecn.ect1).varint(f.ecn.ce);
}

/** Bytes of an ACK frame with its one-byte type (PATH_ACK adds its Path Identifier). */
function ackLength(f: AckFrame | PathAckFrame): number {
  const ranges = f.ranges;
  checkAckRanges(ranges);
  const first = ranges[0]!;
  let n =
    1 +
    varintLength(first.largest) +
    varintLength(f.ackDelay) +
    varintLength(ranges.length - 1) +
    varintLength(first.largest - first.smallest);
  let prevSmallest = first.smallest;
  for (let i = 1; i < ranges.length; i++) {
    const range = ranges[i]!;
    n +=
      varintLength(prevSmallest - range.largest - 2) + varintLength(range.largest - range.smallest);
    prevSmallest = range.smallest;
  }
  if (f.ecn) n += varintLength(f.ecn.ect0) + varintLength(f.ecn.ect1) + varintLength(f.ecn.ce);
  return n;
}
