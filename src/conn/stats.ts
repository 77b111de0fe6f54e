import type { SocketAddress } from '../util/address.js';
import type { EcnStats } from '../path/ecn.js';

/** Connection counters for `connection.stats()` and the `--stats` line of `tsquic get`. */
export class ConnectionStats {
  datagramsSent = 0;
  datagramsReceived = 0;
  bytesSent = 0;
  bytesReceived = 0;
  packetsSent = 0;
  packetsReceived = 0;
  /** Packets that failed decryption or were malformed and dropped. */
  packetsDropped = 0;
  packetsLost = 0;
  /** Loss events (an ACK or timeout that declared packets lost). */
  lossEvents = 0;
  streamBytesSent = 0;
  /** ACK frames sent and received (ACK frequency, draft-ietf-quic-ack-frequency). */
  acksSent = 0;
  acksReceived = 0;
  migrations = 0;
  /** Packets whose frames the path scheduler re-injected onto another path (RFC 10069 §5.6). */
  reinjectedPackets = 0;
  retry = false;
  /** Client: stream data left in a 0-RTT packet (what `earlyDataAccepted` requires). */
  earlyStreamDataSent = false;

  onLossEvent(lost: number): void {
    if (lost === 0) return;
    this.packetsLost += lost;
    this.lossEvents++;
  }
}

/** A snapshot of a connection's statistics. */
export interface ConnectionStatsSnapshot {
  version: number;
  alpn: string | null;
  cipher: string | null;
  group: string | null;
  retry: boolean;
  resumed: boolean;
  /**
   * Client: 0-RTT stream data was sent and the server accepted 0-RTT (RFC 9001 §4.6.2); an
   * accepted 0-RTT key alone does not count. Server: the client's 0-RTT was accepted.
   */
  earlyDataAccepted: boolean;
  /** Handshake duration in ms, -1 while it runs. */
  handshakeMs: number;
  bytesSent: number;
  bytesReceived: number;
  packetsSent: number;
  packetsReceived: number;
  packetsLost: number;
  packetsDropped: number;
  /** Multipath: packets whose frames the scheduler re-injected onto another path (§5.6). */
  reinjectedPackets: number;
  /** ACK frames sent and received. */
  acksSent: number;
  acksReceived: number;
  /** Smoothed, minimum and latest RTT of the active path, ms. */
  srttMs: number;
  minRttMs: number;
  latestRttMs: number;
  rttVarMs: number;
  cwnd: number;
  bytesInFlight: number;
  /** The active path's datagram size: its PLPMTU from path MTU discovery (RFC 9000 §14.3), bytes. */
  pmtu: number;
  keyUpdates: number;
  migrated: boolean;
  migrations: number;
  streamsOpen: number;
  /** ECN (RFC 9000 §13.4): validation on the active path, and the counts both ways. */
  ecn: ConnectionEcnStats;
  /** Per path: the active path alone, or every path ID in use under Multipath QUIC (RFC 10069). */
  paths: PathStatsSnapshot[];
}

/** One path of `ConnectionStatsSnapshot.paths`. */
export interface PathStatsSnapshot {
  /** The path ID (RFC 10069 §3); 0 for the handshake path. */
  pathId: number;
  local: SocketAddress;
  remote: SocketAddress;
  /** 'available', 'backup' (either side asked, §3.3) or 'abandoned' (§3.4). */
  status: string;
  /** Its address was validated (RFC 9000 §8.2). */
  validated: boolean;
  srttMs: number;
  cwnd: number;
  bytesInFlight: number;
  /** Bytes of the datagrams sent and received on it. */
  bytesSent: number;
  bytesReceived: number;
  /** Packets sent on it and declared lost. */
  packetsSent: number;
  packetsLost: number;
  /** Packets sent on it whose frames the scheduler re-injected onto another path. */
  reinjectedPackets: number;
}

/** ECN state and counts: the peer's reports of our packets, and our counts of its packets. */
export interface ConnectionEcnStats extends EcnStats {
  /** Packets received with each codepoint, over all packet number spaces (§13.4.1). */
  receivedEct0: number;
  receivedEct1: number;
  receivedCe: number;
}
