/**
 * qlog events (draft-ietf-quic-qlog-main-schema, -quic-events): the connection calls these hooks;
 * when no sink is configured each call site is a single optional-chaining check (zero cost when
 * off). The JSON-SEQ writer lives in qlog-writer.ts.
 */
import type { PacketType } from '../wire/version.js';
import type { PnSpace } from '../ack/pn-space.js';
import type { SentPacket } from '../ack/sent.js';
import type { SocketAddress } from '../util/address.js';
import type { TransportParameters } from '../wire/transport-params.js';
import type { PathState } from './path-state.js';
import type { SentFrame } from './sent-frames.js';
import type { CloseInfo, ConnectionState } from './state.js';

/** What a sink may read of the connection it logs (a `Connection` is one). */
export interface QlogSubject {
  readonly version: number;
  readonly state: ConnectionState;
  readonly localAddress: SocketAddress;
  readonly remoteAddress: SocketAddress;
  readonly peerParams: TransportParameters | null;
  /** The active path (its RTT and congestion state). */
  readonly path: PathState;
  /** The packet keys (their key updates). */
  readonly keys: { readonly keyUpdates: number };
  readonly isClient: boolean;
  /** Our transport parameters (qlog parameters_set, initiator local). */
  readonly localParams: TransportParameters;
  /** The TLS outcome: ALPN and cipher suite once negotiated. */
  readonly tls: { readonly alpn: string | null; readonly cipherSuite: string | null };
  /** Where 0-RTT stands (TLS early_data offered, accepted or rejected). */
  readonly earlyDataState: 'none' | 'attempted' | 'accepted' | 'rejected';
}

/** A multipath path's state as qlog shows it (RFC 10069 §3). */
export type QlogPathStatus = 'validating' | 'available' | 'backup' | 'abandoned';

/** One multipath path (RFC 10069 §3) for the `pathUpdated` event. */
export interface QlogPathInfo {
  /** The path ID (RFC 10069 §2.1); it is also the qlog TupleID. */
  readonly pathId: number;
  readonly local: SocketAddress;
  readonly remote: SocketAddress;
  readonly status: QlogPathStatus;
  /** The Destination Connection ID we send with on the path, when known. */
  readonly dcid?: Uint8Array;
}

export interface QlogSink {
  connectionStarted(conn: QlogSubject, now: number): void;
  connectionClosed(conn: QlogSubject, info: CloseInfo, now: number): void;
  packetSent(
    conn: QlogSubject,
    type: PacketType,
    pn: number,
    size: number,
    frames: readonly SentFrame[],
    now: number,
  ): void;
  packetReceived(
    conn: QlogSubject,
    type: PacketType,
    pn: number,
    size: number,
    datagram: Uint8Array,
    payloadStart: number,
    payloadLength: number,
    now: number,
  ): void;
  /** A packet of the datagram was discarded; `reason` is a qlog packet_dropped trigger. */
  packetDropped?(conn: QlogSubject, reason: string, size: number, now: number): void;
  /**
   * Loss detection declared these packets lost (RFC 9002 §6.1): `space` is the packet number
   * space of the ACK that did so, null for a loss timer expiry (time threshold).
   */
  packetsLost?(
    conn: QlogSubject,
    packets: readonly SentPacket<SentFrame>[],
    space: PnSpace | null,
    now: number,
  ): void;
  /**
   * A multipath path was opened or its status changed (RFC 10069 §3: validation, PATH_STATUS_
   * AVAILABLE / _BACKUP, PATH_ABANDON): quic:tuple_assigned with the path ID as the TupleID.
   */
  pathUpdated?(conn: QlogSubject, path: QlogPathInfo, now: number): void;
  /** The active path changed (migration, NAT rebinding, failed validation): see conn.path. */
  pathChanged?(conn: QlogSubject, now: number): void;
  /** The active path's maximum datagram size changed (DPLPMTUD); `done`: no search under way. */
  mtuUpdated?(conn: QlogSubject, old: number, size: number, done: boolean, now: number): void;
  /** The handshake completed (RFC 9001 §4.1.1): the peer's parameters and ALPN are known. */
  handshakeCompleted?(conn: QlogSubject, now: number): void;
  /** The handshake is confirmed (RFC 9001 §4.1.2). */
  handshakeConfirmed?(conn: QlogSubject, now: number): void;
  /** A UDP datagram of `size` bytes (payload) was sent / received on the connection. */
  datagramSent?(conn: QlogSubject, size: number, now: number): void;
  datagramReceived?(conn: QlogSubject, size: number, now: number): void;
  /**
   * An event of the application protocol on the connection (HTTP/3's `http3:` events,
   * h3-events-13), with its name and data as the schema defines them.
   */
  applicationEvent?(name: string, data: Record<string, unknown>): void;
  metrics(conn: QlogSubject, now: number): void;
  keyUpdated(conn: QlogSubject, trigger: 'local_update' | 'remote_update', now: number): void;
  keyDiscarded(conn: QlogSubject, space: PnSpace, now: number): void;
  retryReceived(conn: QlogSubject, now: number): void;
  /** The connection is gone (`now`: when): flushes and ends the trace. */
  close(now?: number): void;
  /**
   * Writes the records buffered so far, the trace staying open: a process about to be stopped
   * keeps what it logged (its connections may not get to close first).
   */
  flush?(): void;
}
