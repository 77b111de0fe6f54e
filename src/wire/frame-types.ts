/**
 * Frame shapes of RFC 9000 §19, RFC 9221 (DATAGRAM), draft-ietf-quic-ack-frequency and RFC 10069
 * (Multipath QUIC, draft-ietf-quic-multipath-21 §4). The `kind` names are the lowercase RFC
 * names that qlog and `tsquic inspect` print. Byte fields decoded from a packet are views into
 * the packet buffer: copy them if they must outlive it.
 */

/** Frame type codes (RFC 9000 §12.4 Table 3, RFC 9221 §4). */
export const FrameType = {
  PADDING: 0x00,
  PING: 0x01,
  ACK: 0x02,
  ACK_ECN: 0x03,
  RESET_STREAM: 0x04,
  STOP_SENDING: 0x05,
  CRYPTO: 0x06,
  NEW_TOKEN: 0x07,
  /** 0x08-0x0f: OFF bit 0x04, LEN bit 0x02, FIN bit 0x01 (§19.8) */
  STREAM: 0x08,
  MAX_DATA: 0x10,
  MAX_STREAM_DATA: 0x11,
  MAX_STREAMS_BIDI: 0x12,
  MAX_STREAMS_UNI: 0x13,
  DATA_BLOCKED: 0x14,
  STREAM_DATA_BLOCKED: 0x15,
  STREAMS_BLOCKED_BIDI: 0x16,
  STREAMS_BLOCKED_UNI: 0x17,
  NEW_CONNECTION_ID: 0x18,
  RETIRE_CONNECTION_ID: 0x19,
  PATH_CHALLENGE: 0x1a,
  PATH_RESPONSE: 0x1b,
  CONNECTION_CLOSE: 0x1c,
  CONNECTION_CLOSE_APP: 0x1d,
  HANDSHAKE_DONE: 0x1e,
  /** draft-ietf-quic-ack-frequency-12 §5 */
  IMMEDIATE_ACK: 0x1f,
  /** 0x30 without length, 0x31 with length (RFC 9221 §4) */
  DATAGRAM: 0x30,
  /** draft-ietf-quic-ack-frequency-12 §4 (a two-byte varint type) */
  ACK_FREQUENCY: 0xaf,
  /** RFC 10069 §4.1: 0x3e without, 0x3f with ECN counts. */
  PATH_ACK: 0x3e,
  PATH_ACK_ECN: 0x3f,
  /** RFC 10069 §4.2 (the multipath types from here on are two-byte varints) */
  PATH_ABANDON: 0x3e75,
  /** RFC 10069 §4.3 */
  PATH_STATUS_BACKUP: 0x3e76,
  PATH_STATUS_AVAILABLE: 0x3e77,
  /** RFC 10069 §4.4 */
  PATH_NEW_CONNECTION_ID: 0x3e78,
  /** RFC 10069 §4.5 */
  PATH_RETIRE_CONNECTION_ID: 0x3e79,
  /** RFC 10069 §4.6 */
  MAX_PATH_ID: 0x3e7a,
  /** RFC 10069 §4.7 */
  PATHS_BLOCKED: 0x3e7b,
  PATH_CIDS_BLOCKED: 0x3e7c,
} as const;

/**
 * The largest path ID (RFC 10069 §2.1, §2.4): it is 32 bits of the AEAD nonce. A path ID above
 * it always exceeds the peer's announced maximum, so frame decoding rejects it.
 */
export const MAX_PATH_ID_VALUE = 0xffffffff;

/** One ACK Range, inclusive packet numbers, `smallest <= largest`. */
export interface AckRange {
  smallest: number;
  largest: number;
}

export interface EcnCounts {
  ect0: number;
  ect1: number;
  ce: number;
}

export interface PaddingFrame {
  kind: 'padding';
  /** Number of consecutive PADDING bytes this frame stands for. */
  length: number;
}
export interface PingFrame {
  kind: 'ping';
}
export interface AckFrame {
  kind: 'ack';
  /** Raw ACK Delay field; multiply by 2^ack_delay_exponent for microseconds (§19.3). */
  ackDelay: number;
  /** Ranges in descending order; ranges[0].largest is the Largest Acknowledged. */
  ranges: AckRange[];
  /** Present for ACK_ECN (type 0x03). */
  ecn?: EcnCounts;
}
export interface ResetStreamFrame {
  kind: 'reset_stream';
  streamId: number;
  errorCode: number;
  finalSize: number;
}
export interface StopSendingFrame {
  kind: 'stop_sending';
  streamId: number;
  errorCode: number;
}
export interface CryptoFrame {
  kind: 'crypto';
  offset: number;
  data: Uint8Array;
}
export interface NewTokenFrame {
  kind: 'new_token';
  token: Uint8Array;
}
export interface StreamFrame {
  kind: 'stream';
  streamId: number;
  offset: number;
  data: Uint8Array;
  fin: boolean;
}
export interface MaxDataFrame {
  kind: 'max_data';
  maximum: number;
}
export interface MaxStreamDataFrame {
  kind: 'max_stream_data';
  streamId: number;
  maximum: number;
}
export interface MaxStreamsFrame {
  kind: 'max_streams';
  bidi: boolean;
  maximum: number;
}
export interface DataBlockedFrame {
  kind: 'data_blocked';
  limit: number;
}
export interface StreamDataBlockedFrame {
  kind: 'stream_data_blocked';
  streamId: number;
  limit: number;
}
export interface StreamsBlockedFrame {
  kind: 'streams_blocked';
  bidi: boolean;
  limit: number;
}
export interface NewConnectionIdFrame {
  kind: 'new_connection_id';
  sequenceNumber: number;
  retirePriorTo: number;
  connectionId: Uint8Array;
  /** 16 bytes */
  statelessResetToken: Uint8Array;
}
export interface RetireConnectionIdFrame {
  kind: 'retire_connection_id';
  sequenceNumber: number;
}
export interface PathChallengeFrame {
  kind: 'path_challenge';
  /** 8 bytes */
  data: Uint8Array;
}
export interface PathResponseFrame {
  kind: 'path_response';
  /** 8 bytes */
  data: Uint8Array;
}
export interface ConnectionCloseFrame {
  kind: 'connection_close';
  /** true for type 0x1d (application close), false for 0x1c (transport close). */
  application: boolean;
  errorCode: number;
  /** Only meaningful for transport close (0x1c); 0 otherwise. */
  frameType: number;
  /** UTF-8 reason phrase bytes. */
  reason: Uint8Array;
}
export interface HandshakeDoneFrame {
  kind: 'handshake_done';
}
export interface DatagramFrame {
  kind: 'datagram';
  data: Uint8Array;
}
/** draft-ietf-quic-ack-frequency-12 §4: how often the peer should acknowledge. */
export interface AckFrequencyFrame {
  kind: 'ack_frequency';
  sequenceNumber: number;
  /** Ack-eliciting packets the receiver may get without sending an ACK (0: ACK every one). */
  ackElicitingThreshold: number;
  /** The max_ack_delay the sender asks for, microseconds. */
  requestedMaxAckDelay: number;
  /** Reordering that triggers an immediate ACK (0: none does; 1: RFC 9000 behaviour). */
  reorderingThreshold: number;
}
/** draft-ietf-quic-ack-frequency-12 §5: acknowledge now. */
export interface ImmediateAckFrame {
  kind: 'immediate_ack';
}

/**
 * RFC 10069 §4.1: an ACK for the packet-number space of path `pathId` (0-RTT and 1-RTT packets).
 * Fields as in AckFrame.
 */
export interface PathAckFrame {
  kind: 'path_ack';
  pathId: number;
  /** Raw ACK Delay field; multiply by 2^ack_delay_exponent for microseconds (§19.3). */
  ackDelay: number;
  /** Ranges in descending order; ranges[0].largest is the Largest Acknowledged. */
  ranges: AckRange[];
  /** Present for type 0x3f. */
  ecn?: EcnCounts;
}
/** RFC 10069 §4.2: the sender abandons path `pathId`. */
export interface PathAbandonFrame {
  kind: 'path_abandon';
  pathId: number;
  /** NO_ERROR or one of MultipathError (RFC 10069 §4.2.1). */
  errorCode: number;
}
/**
 * RFC 10069 §4.3: the sender prefers the peer not to send on path `pathId` (BACKUP), or allows
 * it again (AVAILABLE). Sequence numbers are per path and common to both frames.
 */
export interface PathStatusBackupFrame {
  kind: 'path_status_backup';
  pathId: number;
  sequenceNumber: number;
}
export interface PathStatusAvailableFrame {
  kind: 'path_status_available';
  pathId: number;
  sequenceNumber: number;
}
/** RFC 10069 §4.4: NEW_CONNECTION_ID for one path; sequence numbers are per path. */
export interface PathNewConnectionIdFrame {
  kind: 'path_new_connection_id';
  pathId: number;
  sequenceNumber: number;
  retirePriorTo: number;
  connectionId: Uint8Array;
  /** 16 bytes */
  statelessResetToken: Uint8Array;
}
/** RFC 10069 §4.5: RETIRE_CONNECTION_ID for one path. */
export interface PathRetireConnectionIdFrame {
  kind: 'path_retire_connection_id';
  pathId: number;
  sequenceNumber: number;
}
/** RFC 10069 §4.6: the largest path ID the sender accepts. */
export interface MaxPathIdFrame {
  kind: 'max_path_id';
  maximum: number;
}
/** RFC 10069 §4.7: the sender cannot open a path above `maximum`, the peer's limit. */
export interface PathsBlockedFrame {
  kind: 'paths_blocked';
  maximum: number;
}
/** RFC 10069 §4.7: the sender has no unused connection ID for path `pathId`. */
export interface PathCidsBlockedFrame {
  kind: 'path_cids_blocked';
  pathId: number;
  /** The sequence number the sender expects the peer to issue next for this path. */
  nextSequenceNumber: number;
}

/** The frames of RFC 10069 §4, only allowed in 1-RTT packets once multipath is negotiated. */
export type MultipathFrame =
  | PathAckFrame
  | PathAbandonFrame
  | PathStatusBackupFrame
  | PathStatusAvailableFrame
  | PathNewConnectionIdFrame
  | PathRetireConnectionIdFrame
  | MaxPathIdFrame
  | PathsBlockedFrame
  | PathCidsBlockedFrame;

export type Frame =
  | PaddingFrame
  | PingFrame
  | AckFrame
  | ResetStreamFrame
  | StopSendingFrame
  | CryptoFrame
  | NewTokenFrame
  | StreamFrame
  | MaxDataFrame
  | MaxStreamDataFrame
  | MaxStreamsFrame
  | DataBlockedFrame
  | StreamDataBlockedFrame
  | StreamsBlockedFrame
  | NewConnectionIdFrame
  | RetireConnectionIdFrame
  | PathChallengeFrame
  | PathResponseFrame
  | ConnectionCloseFrame
  | HandshakeDoneFrame
  | DatagramFrame
  | AckFrequencyFrame
  | ImmediateAckFrame
  | MultipathFrame;

export type FrameKind = Frame['kind'];
