/**
 * Which frames may appear in which packet types (RFC 9000 §12.4 Table 3 and §12.5, RFC 9221 §4,
 * RFC 10069 §4),
 * and how frames count for acknowledgement and congestion control (RFC 9000 §13.2, RFC 9002 §2,
 * RFC 9000 §9.1).
 */
import { FrameType, type FrameKind } from './frame-types.js';
import { PacketType } from './version.js';

// One bit per packet type that carries frames.
const I = 1 << PacketType.Initial;
const H = 1 << PacketType.Handshake;
const Z = 1 << PacketType.ZeroRtt;
const O = 1 << PacketType.OneRtt;

/**
 * Allowed packet types indexed by frame type code 0x00-0x1e. Table 3 ("Pkts" column), tightened
 * by §12.5 for 0-RTT: ACK, CRYPTO, HANDSHAKE_DONE, NEW_TOKEN, PATH_RESPONSE and
 * RETIRE_CONNECTION_ID cannot be sent in 0-RTT packets.
 */
const ALLOWED: readonly number[] = [
  I | H | Z | O, // 0x00 PADDING
  I | H | Z | O, // 0x01 PING
  I | H | O, // 0x02 ACK
  I | H | O, // 0x03 ACK (ECN)
  Z | O, // 0x04 RESET_STREAM
  Z | O, // 0x05 STOP_SENDING
  I | H | O, // 0x06 CRYPTO
  O, // 0x07 NEW_TOKEN
  Z | O, // 0x08-0x0f STREAM
  Z | O,
  Z | O,
  Z | O,
  Z | O,
  Z | O,
  Z | O,
  Z | O,
  Z | O, // 0x10 MAX_DATA
  Z | O, // 0x11 MAX_STREAM_DATA
  Z | O, // 0x12 MAX_STREAMS (bidi)
  Z | O, // 0x13 MAX_STREAMS (uni)
  Z | O, // 0x14 DATA_BLOCKED
  Z | O, // 0x15 STREAM_DATA_BLOCKED
  Z | O, // 0x16 STREAMS_BLOCKED (bidi)
  Z | O, // 0x17 STREAMS_BLOCKED (uni)
  Z | O, // 0x18 NEW_CONNECTION_ID
  O, // 0x19 RETIRE_CONNECTION_ID
  Z | O, // 0x1a PATH_CHALLENGE
  O, // 0x1b PATH_RESPONSE
  I | H | Z | O, // 0x1c CONNECTION_CLOSE (transport)
  Z | O, // 0x1d CONNECTION_CLOSE (application)
  O, // 0x1e HANDSHAKE_DONE
  O, // 0x1f IMMEDIATE_ACK (draft-ietf-quic-ack-frequency §3: never in 0-RTT)
];

/** DATAGRAM (0x30, 0x31) needs 0-RTT or 1-RTT protection (RFC 9221 §4). */
const DATAGRAM_ALLOWED = Z | O;

/**
 * Whether a frame of type `frameType` may appear in a packet of `packetType`. Receipt of a frame
 * where it is not allowed is a PROTOCOL_VIOLATION (RFC 9000 §12.4). Unknown types, and packet
 * types without frames (Retry, Version Negotiation), give false.
 */
export function frameAllowedIn(frameType: number, packetType: PacketType): boolean {
  const mask =
    frameType < ALLOWED.length
      ? ALLOWED[frameType]!
      : frameType === 0x30 || frameType === 0x31
        ? DATAGRAM_ALLOWED
        : frameType === 0xaf || isMultipathFrameType(frameType)
          ? O // ACK_FREQUENCY (draft-ietf-quic-ack-frequency §3), multipath (RFC 10069 §4)
          : 0;
  return (mask & (1 << packetType)) !== 0;
}

/**
 * The frame types of RFC 10069 §4 (PATH_ACK 0x3e-0x3f, PATH_ABANDON 0x3e75 to PATH_CIDS_BLOCKED
 * 0x3e7c). They are allowed in 1-RTT packets only, and only when both endpoints sent
 * initial_max_path_id (RFC 10069 §2): receipt otherwise is a PROTOCOL_VIOLATION.
 */
export function isMultipathFrameType(frameType: number): boolean {
  return (
    frameType === FrameType.PATH_ACK ||
    frameType === FrameType.PATH_ACK_ECN ||
    (frameType >= FrameType.PATH_ABANDON && frameType <= FrameType.PATH_CIDS_BLOCKED)
  );
}

/**
 * RFC 9000 §13.2 / Table 3 "N": every frame elicits an acknowledgement except ACK, PADDING and
 * CONNECTION_CLOSE; PATH_ACK is an ACK (RFC 10069 §4.1), the other multipath frames elicit one.
 */
export function isAckEliciting(kind: FrameKind): boolean {
  return kind !== 'ack' && kind !== 'path_ack' && kind !== 'padding' && kind !== 'connection_close';
}

/**
 * RFC 9002 §2: a packet is in flight when it is ack-eliciting or contains PADDING, so a frame
 * makes its packet count toward bytes in flight when it is ack-eliciting or is PADDING. (ACK and
 * CONNECTION_CLOSE alone do not.)
 */
export function countsInFlight(kind: FrameKind): boolean {
  return kind === 'padding' || isAckEliciting(kind);
}

/**
 * RFC 9000 §9.1 / Table 3 "P": probing frames. A packet holding only these may probe a new
 * path without being treated as a migration.
 */
export function isProbingFrame(kind: FrameKind): boolean {
  return (
    kind === 'padding' ||
    kind === 'path_challenge' ||
    kind === 'path_response' ||
    kind === 'new_connection_id'
  );
}
