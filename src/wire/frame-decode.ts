/**
 * Frame decoding, RFC 9000 §19, RFC 9221 §4 (DATAGRAM), draft-ietf-quic-ack-frequency and RFC
 * 10069 §4 (multipath).
 *
 * decodeFrame reads one frame from a reader bounded by the end of the packet payload. Malformed
 * input raises QuicError FRAME_ENCODING_ERROR (§12.4, §19) carrying the frame type; a frame type
 * in a longer encoding than needed raises PROTOCOL_VIOLATION (§12.4). Nothing else escapes.
 *
 * Values above 2^53-1 saturate to VARINT_SATURATED (util/varint.ts). Where a limit of this layer
 * sits above 2^53 (offset + length <= 2^62-1, stream counts <= 2^60, Retire Prior To <=
 * Sequence Number, ACK ranges >= 0) the check is redone on the exact value.
 *
 * Multipath path IDs (and MAX_PATH_ID's maximum) above 2^32-1 raise PROTOCOL_VIOLATION: no peer
 * can allow such a path ID (RFC 10069 §2.1, §4), so every decoded path ID is a 32-bit integer.
 */
import type { Reader } from '../util/cursor.js';
import { DecodeError } from '../util/errors.js';
import { MAX_VARINT, VARINT_SATURATED, varintLength } from '../util/varint.js';
import { QuicError, TransportError } from './errors.js';
import type {
  AckFrame,
  AckRange,
  ConnectionCloseFrame,
  EcnCounts,
  Frame,
  HandshakeDoneFrame,
  ImmediateAckFrame,
  NewConnectionIdFrame,
  PathAckFrame,
  PathNewConnectionIdFrame,
  PingFrame,
  StreamFrame,
} from './frame-types.js';
import { FrameType, MAX_PATH_ID_VALUE } from './frame-types.js';

/** MAX_STREAMS and STREAMS_BLOCKED cannot exceed 2^60 (RFC 9000 §19.11, §19.14). */
const MAX_STREAM_COUNT = 2n ** 60n;

// Frames without fields are shared: there is nothing in them to mutate.
const PING: PingFrame = Object.freeze({ kind: 'ping' });
const HANDSHAKE_DONE: HandshakeDoneFrame = Object.freeze({ kind: 'handshake_done' });
const IMMEDIATE_ACK: ImmediateAckFrame = Object.freeze({ kind: 'immediate_ack' });

function malformed(type: number, what: string): QuicError {
  return new QuicError(
    TransportError.FRAME_ENCODING_ERROR,
    `frame 0x${type.toString(16)}: ${what}`,
    type,
  );
}

/** The exact value of the varint at `pos`, for the rare values that saturated. */
function exactVarintAt(r: Reader, pos: number): bigint {
  const save = r.pos;
  r.pos = pos;
  const v = r.varintBig();
  r.pos = save;
  return v;
}

/**
 * Decodes the frame at the reader's position and moves past it. The reader's `end` must be the
 * end of the packet payload: STREAM and DATAGRAM frames without a Length run up to it.
 */
export function decodeFrame(r: Reader): Frame {
  const buf = r.buf;
  const start = r.pos;
  if (start >= r.end) throw malformed(0, 'no frame');
  let type = buf[start]!;
  try {
    if (type < 0x40) {
      r.pos = start + 1;
    } else {
      type = r.varint();
      // RFC 9000 §12.4: a frame type MUST use the shortest encoding.
      if (varintLength(type) !== r.pos - start) {
        throw new QuicError(
          TransportError.PROTOCOL_VIOLATION,
          `frame type 0x${type.toString(16)} not minimally encoded`,
          type,
        );
      }
      if (
        type !== FrameType.ACK_FREQUENCY &&
        !(type >= FrameType.PATH_ABANDON && type <= FrameType.PATH_CIDS_BLOCKED)
      ) {
        throw malformed(type, 'unknown frame type');
      }
    }
    switch (type) {
      case FrameType.PADDING:
        return decodePadding(r, start);
      case FrameType.PING:
        return PING;
      case FrameType.ACK:
      case FrameType.ACK_ECN:
        return decodeAck(r, type);
      case FrameType.RESET_STREAM:
        return {
          kind: 'reset_stream',
          streamId: r.varint(),
          errorCode: r.varint(),
          finalSize: r.varint(),
        };
      case FrameType.STOP_SENDING:
        return { kind: 'stop_sending', streamId: r.varint(), errorCode: r.varint() };
      case FrameType.CRYPTO: {
        const offsetPos = r.pos;
        const offset = r.varint();
        const data = r.varintVec();
        checkEnd(r, type, offset, offsetPos, data.length);
        return { kind: 'crypto', offset, data };
      }
      case FrameType.NEW_TOKEN: {
        const token = r.varintVec();
        // RFC 9000 §19.7: an empty token is a FRAME_ENCODING_ERROR.
        if (token.length === 0) throw malformed(type, 'empty token');
        return { kind: 'new_token', token };
      }
      case 0x08:
      case 0x09:
      case 0x0a:
      case 0x0b:
      case 0x0c:
      case 0x0d:
      case 0x0e:
      case 0x0f:
        return decodeStream(r, type);
      case FrameType.MAX_DATA:
        return { kind: 'max_data', maximum: r.varint() };
      case FrameType.MAX_STREAM_DATA:
        return { kind: 'max_stream_data', streamId: r.varint(), maximum: r.varint() };
      case FrameType.MAX_STREAMS_BIDI:
      case FrameType.MAX_STREAMS_UNI:
        return {
          kind: 'max_streams',
          bidi: type === FrameType.MAX_STREAMS_BIDI,
          maximum: readStreamCount(r, type),
        };
      case FrameType.DATA_BLOCKED:
        return { kind: 'data_blocked', limit: r.varint() };
      case FrameType.STREAM_DATA_BLOCKED:
        return { kind: 'stream_data_blocked', streamId: r.varint(), limit: r.varint() };
      case FrameType.STREAMS_BLOCKED_BIDI:
      case FrameType.STREAMS_BLOCKED_UNI:
        return {
          kind: 'streams_blocked',
          bidi: type === FrameType.STREAMS_BLOCKED_BIDI,
          limit: readStreamCount(r, type),
        };
      case FrameType.NEW_CONNECTION_ID:
        return decodeNewConnectionId(r, type);
      case FrameType.RETIRE_CONNECTION_ID:
        return { kind: 'retire_connection_id', sequenceNumber: r.varint() };
      case FrameType.PATH_CHALLENGE:
        return { kind: 'path_challenge', data: r.bytes(8) };
      case FrameType.PATH_RESPONSE:
        return { kind: 'path_response', data: r.bytes(8) };
      case FrameType.CONNECTION_CLOSE:
      case FrameType.CONNECTION_CLOSE_APP:
        return decodeConnectionClose(r, type);
      case FrameType.HANDSHAKE_DONE:
        return HANDSHAKE_DONE;
      case FrameType.IMMEDIATE_ACK:
        return IMMEDIATE_ACK;
      case FrameType.ACK_FREQUENCY:
        // Values above 2^53-1 saturate: the receiver treats them as "very large" (ack-frequency.ts).
        return {
          kind: 'ack_frequency',
          sequenceNumber: r.varint(),
          ackElicitingThreshold: r.varint(),
          requestedMaxAckDelay: r.varint(),
          reorderingThreshold: r.varint(),
        };
      case FrameType.PATH_ACK:
      case FrameType.PATH_ACK_ECN:
        return decodePathAck(r, type);
      case FrameType.PATH_ABANDON:
        return { kind: 'path_abandon', pathId: readPathId(r, type), errorCode: r.varint() };
      case FrameType.PATH_STATUS_BACKUP:
        return {
          kind: 'path_status_backup',
          pathId: readPathId(r, type),
          sequenceNumber: r.varint(),
        };
      case FrameType.PATH_STATUS_AVAILABLE:
        return {
          kind: 'path_status_available',
          pathId: readPathId(r, type),
          sequenceNumber: r.varint(),
        };
      case FrameType.PATH_NEW_CONNECTION_ID:
        return decodePathNewConnectionId(r, type);
      case FrameType.PATH_RETIRE_CONNECTION_ID:
        return {
          kind: 'path_retire_connection_id',
          pathId: readPathId(r, type),
          sequenceNumber: r.varint(),
        };
      case FrameType.MAX_PATH_ID:
        return { kind: 'max_path_id', maximum: readPathId(r, type) };
      case FrameType.PATHS_BLOCKED:
        return { kind: 'paths_blocked', maximum: readPathId(r, type) };
      case FrameType.PATH_CIDS_BLOCKED:
        return {
          kind: 'path_cids_blocked',
          pathId: readPathId(r, type),
          nextSequenceNumber: r.varint(),
        };
      case FrameType.DATAGRAM:
        return { kind: 'datagram', data: r.bytes(r.end - r.pos) };
      case FrameType.DATAGRAM | 1:
        return { kind: 'datagram', data: r.varintVec() };
      default:
        throw malformed(type, 'unknown frame type');
    }
  } catch (e) {
    if (e instanceof DecodeError) throw malformed(type, e.message);
    throw e;
  }
}

/** RFC 9000 §19.1: a run of PADDING bytes collapses into one frame. */
function decodePadding(r: Reader, start: number): Frame {
  const buf = r.buf;
  const end = r.end;
  let p = start + 1;
  while (p < end && buf[p] === 0) p++;
  r.pos = p;
  return { kind: 'padding', length: p - start };
}

/**
 * RFC 9000 §19.8 and §19.6: offset + length cannot exceed 2^62-1. Below the saturation point the
 * sum is far from that bound; a saturated offset is checked exactly.
 */
function checkEnd(
  r: Reader,
  type: number,
  offset: number,
  offsetPos: number,
  length: number,
): void {
  if (offset === VARINT_SATURATED && exactVarintAt(r, offsetPos) + BigInt(length) > MAX_VARINT) {
    throw malformed(type, 'offset + length exceeds 2^62-1');
  }
}

function decodeStream(r: Reader, type: number): StreamFrame {
  const streamId = r.varint();
  let offset = 0;
  let offsetPos = -1;
  if ((type & 0x04) !== 0) {
    offsetPos = r.pos;
    offset = r.varint();
  }
  const length = (type & 0x02) !== 0 ? r.varint() : r.end - r.pos;
  const data = r.bytes(length);
  if (offsetPos >= 0) checkEnd(r, type, offset, offsetPos, length);
  return { kind: 'stream', streamId, offset, data, fin: (type & 0x01) !== 0 };
}

function readStreamCount(r: Reader, type: number): number {
  const pos = r.pos;
  const v = r.varint();
  if (v === VARINT_SATURATED && exactVarintAt(r, pos) > MAX_STREAM_COUNT) {
    throw malformed(type, 'stream count exceeds 2^60');
  }
  return v;
}

function decodeAck(r: Reader, type: number): AckFrame {
  return decodeAckBody(r, type, type === FrameType.ACK_ECN);
}

/** RFC 10069 §4.1: PATH_ACK is a Path Identifier followed by the fields of an ACK frame. */
function decodePathAck(r: Reader, type: number): PathAckFrame {
  const pathId = readPathId(r, type);
  const { ackDelay, ranges, ecn } = decodeAckBody(r, type, type === FrameType.PATH_ACK_ECN);
  return ecn
    ? { kind: 'path_ack', pathId, ackDelay, ranges, ecn }
    : { kind: 'path_ack', pathId, ackDelay, ranges };
}

/**
 * RFC 10069 §2.1, §4: a path ID (or maximum path ID) above 2^32-1 exceeds any limit a peer can
 * announce, a PROTOCOL_VIOLATION. Whether it exceeds the limit actually announced is the
 * connection's check.
 */
function readPathId(r: Reader, type: number): number {
  const v = r.varint();
  if (v > MAX_PATH_ID_VALUE) {
    throw new QuicError(
      TransportError.PROTOCOL_VIOLATION,
      `frame 0x${type.toString(16)}: path ID above 2^32-1`,
      type,
    );
  }
  return v;
}

/** The ACK fields after the type (and a PATH_ACK's Path Identifier), RFC 9000 §19.3. */
function decodeAckBody(r: Reader, type: number, withEcn: boolean): AckFrame {
  const largestPos = r.pos;
  const largest = r.varint();
  const ackDelay = r.varint();
  const rangeCount = r.varint();
  const firstRange = r.varint();
  // Below 2^53 every step below is exact; a saturated Largest Acknowledged needs bigints.
  if (largest === VARINT_SATURATED) return decodeAckExact(r, type, largestPos, withEcn);
  let smallest = largest - firstRange;
  if (smallest < 0) throw malformed(type, 'ACK range below packet number 0');
  const ranges: AckRange[] = [{ smallest, largest }];
  // RFC 9000 §19.3.1. The count is the peer's claim: ranges are read until it is met or the
  // payload runs out, never allocated up front.
  for (let i = 0; i < rangeCount; i++) {
    const gap = r.varint();
    const length = r.varint();
    const rangeLargest = smallest - gap - 2;
    smallest = rangeLargest - length;
    if (smallest < 0) throw malformed(type, 'ACK range below packet number 0');
    ranges.push({ smallest, largest: rangeLargest });
  }
  const frame: AckFrame = { kind: 'ack', ackDelay, ranges };
  if (withEcn) frame.ecn = readEcn(r);
  return frame;
}

const saturate = (v: bigint): number =>
  v > BigInt(Number.MAX_SAFE_INTEGER) ? VARINT_SATURATED : Number(v);

function decodeAckExact(r: Reader, type: number, start: number, withEcn: boolean): AckFrame {
  r.pos = start;
  let largest = r.varintBig();
  const ackDelay = r.varint();
  const rangeCount = r.varint();
  let smallest = largest - r.varintBig();
  if (smallest < 0n) throw malformed(type, 'ACK range below packet number 0');
  const ranges: AckRange[] = [{ smallest: saturate(smallest), largest: saturate(largest) }];
  for (let i = 0; i < rangeCount; i++) {
    const gap = r.varintBig();
    const length = r.varintBig();
    largest = smallest - gap - 2n;
    smallest = largest - length;
    if (smallest < 0n) throw malformed(type, 'ACK range below packet number 0');
    ranges.push({ smallest: saturate(smallest), largest: saturate(largest) });
  }
  const frame: AckFrame = { kind: 'ack', ackDelay, ranges };
  if (withEcn) frame.ecn = readEcn(r);
  return frame;
}

function readEcn(r: Reader): EcnCounts {
  return { ect0: r.varint(), ect1: r.varint(), ce: r.varint() };
}

/** RFC 10069 §4.4: a Path Identifier followed by the fields of NEW_CONNECTION_ID. */
function decodePathNewConnectionId(r: Reader, type: number): PathNewConnectionIdFrame {
  const pathId = readPathId(r, type);
  const f = decodeNewConnectionId(r, type);
  return {
    kind: 'path_new_connection_id',
    pathId,
    sequenceNumber: f.sequenceNumber,
    retirePriorTo: f.retirePriorTo,
    connectionId: f.connectionId,
    statelessResetToken: f.statelessResetToken,
  };
}

function decodeNewConnectionId(r: Reader, type: number): NewConnectionIdFrame {
  const seqPos = r.pos;
  const sequenceNumber = r.varint();
  const retirePos = r.pos;
  const retirePriorTo = r.varint();
  const cidLength = r.u8();
  // RFC 9000 §19.15: lengths outside 1..20 are a FRAME_ENCODING_ERROR.
  if (cidLength < 1 || cidLength > 20) throw malformed(type, `connection ID length ${cidLength}`);
  const connectionId = r.bytes(cidLength);
  const statelessResetToken = r.bytes(16);
  const retireTooLarge =
    retirePriorTo === VARINT_SATURATED && sequenceNumber === VARINT_SATURATED
      ? exactVarintAt(r, retirePos) > exactVarintAt(r, seqPos)
      : retirePriorTo > sequenceNumber;
  if (retireTooLarge) throw malformed(type, 'Retire Prior To exceeds Sequence Number');
  return {
    kind: 'new_connection_id',
    sequenceNumber,
    retirePriorTo,
    connectionId,
    statelessResetToken,
  };
}

function decodeConnectionClose(r: Reader, type: number): ConnectionCloseFrame {
  const application = type === FrameType.CONNECTION_CLOSE_APP;
  const errorCode = r.varint();
  const frameType = application ? 0 : r.varint();
  const reason = r.varintVec();
  return { kind: 'connection_close', application, errorCode, frameType, reason };
}
