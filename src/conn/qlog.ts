/**
 * qlog events (draft-ietf-quic-qlog-main-schema, -quic-events): the connection calls these hooks;
 * when no sink is configured each call site is a single optional-chaining check (zero cost when
 * off). The JSON-SEQ writer lives in qlog-writer.ts.
 */
import type { PacketType } from '../wire/version.js';
import type { PnSpace } from '../ack/pn-space.js';
import type { SentPacket } from '../ack/sent.js';
import type { Connection, CloseInfo } from './connection.js';
import type { SentFrame } from './sent-frames.js';

export interface QlogSink {
  connectionStarted(conn: Connection, now: number): void;
  connectionClosed(conn: Connection, info: CloseInfo, now: number): void;
  packetSent(
    conn: Connection,
    type: PacketType,
    pn: number,
    size: number,
    frames: readonly SentFrame[],
    now: number,
  ): void;
  packetReceived(
    conn: Connection,
    type: PacketType,
    pn: number,
    size: number,
    datagram: Uint8Array,
    payloadStart: number,
    payloadLength: number,
    now: number,
  ): void;
  /** A packet of the datagram was discarded; `reason` is a qlog packet_dropped trigger. */
  packetDropped?(conn: Connection, reason: string, size: number, now: number): void;
  /**
   * Loss detection declared these packets lost (RFC 9002 §6.1): `space` is the packet number
   * space of the ACK that did so, null for a loss timer expiry (time threshold).
   */
  packetsLost?(
    conn: Connection,
    packets: readonly SentPacket<SentFrame>[],
    space: PnSpace | null,
    now: number,
  ): void;
  /** The active path changed (migration, NAT rebinding, failed validation): see conn.path. */
  pathChanged?(conn: Connection, now: number): void;
  /** The active path's maximum datagram size changed (DPLPMTUD); `done`: no search under way. */
  mtuUpdated?(conn: Connection, old: number, size: number, done: boolean, now: number): void;
  metrics(conn: Connection, now: number): void;
  keyUpdated(conn: Connection, trigger: 'local_update' | 'remote_update', now: number): void;
  keyDiscarded(conn: Connection, space: PnSpace, now: number): void;
  retryReceived(conn: Connection, now: number): void;
  closeSent(conn: Connection, now: number): void;
  /** The connection is gone (`now`: when): flushes and ends the trace. */
  close(now?: number): void;
}
