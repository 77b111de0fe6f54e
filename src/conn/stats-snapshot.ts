/**
 * The statistics snapshot `Connection.getStats()` returns: the counters of stats.ts, the active
 * path's recovery and congestion state, TLS facts, ECN counts both ways and, with multipath
 * (RFC 10069), one entry per path.
 */
import type { ConnectionContext } from './context.js';
import type { PathState } from './path-state.js';
import { currentDatagramSize } from './path-mtu.js';
import type { ConnectionEcnStats, ConnectionStatsSnapshot, PathStatsSnapshot } from './stats.js';

/** What the snapshot reads of the connection. */
export type StatsSource = Pick<
  ConnectionContext,
  | 'version'
  | 'tls'
  | 'stats'
  | 'earlyDataState'
  | 'isClient'
  | 'handshakeTime'
  | 'path'
  | 'peerParams'
  | 'keys'
  | 'streams'
  | 'spaces'
  | 'multipath'
>;

/** Microseconds to milliseconds, to the microsecond. */
function ms(us: number): number {
  return Math.round(us) / 1000;
}

export function statsSnapshot(conn: StatsSource): ConnectionStatsSnapshot {
  const sc = conn.path.sendControl;
  const rtt = sc.rtt;
  const stats = conn.stats;
  return {
    version: conn.version,
    alpn: conn.tls.alpn,
    cipher: conn.tls.cipherSuite,
    group: conn.tls.group,
    retry: stats.retry,
    resumed: conn.tls.resumed,
    // A client's 0-RTT counts once stream data went in it.
    earlyDataAccepted:
      conn.earlyDataState === 'accepted' && (!conn.isClient || stats.earlyStreamDataSent),
    handshakeMs: conn.handshakeTime < 0 ? -1 : ms(conn.handshakeTime),
    bytesSent: stats.bytesSent,
    bytesReceived: stats.bytesReceived,
    packetsSent: stats.packetsSent,
    packetsReceived: stats.packetsReceived,
    packetsLost: stats.packetsLost,
    packetsDropped: stats.packetsDropped,
    reinjectedPackets: stats.reinjectedPackets,
    acksSent: stats.acksSent,
    acksReceived: stats.acksReceived,
    srttMs: ms(rtt.smoothed),
    minRttMs: ms(rtt.min === Infinity ? 0 : rtt.min),
    latestRttMs: ms(rtt.latest),
    rttVarMs: ms(rtt.variance),
    cwnd: sc.cwnd,
    bytesInFlight: sc.bytesInFlight,
    pmtu: currentDatagramSize(conn.path, conn.peerParams?.maxUdpPayloadSize ?? 0),
    keyUpdates: conn.keys.keyUpdates,
    migrated: stats.migrations > 0,
    migrations: stats.migrations,
    streamsOpen: conn.streams.size,
    ecn: ecnStats(conn),
    paths: pathStats(conn),
  };
}

/** ECN: what the active path sent and validated, and the marks received in every space. */
function ecnStats(conn: StatsSource): ConnectionEcnStats {
  const out: ConnectionEcnStats = {
    ...conn.path.sendControl.ecn.stats(),
    receivedEct0: 0,
    receivedEct1: 0,
    receivedCe: 0,
  };
  for (const s of conn.spaces) {
    const c = s.tracker.ecnCounts;
    out.receivedEct0 += c.ect0;
    out.receivedEct1 += c.ect1;
    out.receivedCe += c.ce;
  }
  return out;
}

function onePath(
  id: number,
  path: PathState,
  status: string,
  sent: number,
  received: number,
  reinjected: number,
): PathStatsSnapshot {
  const sc = path.sendControl;
  return {
    pathId: id,
    local: path.local,
    remote: path.remote,
    status,
    validated: path.validated,
    srttMs: ms(sc.rtt.smoothed),
    cwnd: sc.cwnd,
    bytesInFlight: sc.bytesInFlight,
    bytesSent: sent,
    bytesReceived: received,
    packetsSent: sc.stats.packetsSent,
    packetsLost: sc.stats.packetsLost,
    reinjectedPackets: reinjected,
  };
}

/** Per path: path 0 alone without multipath (RFC 10069). */
function pathStats(conn: StatsSource): PathStatsSnapshot[] {
  const mp = conn.multipath;
  const stats = conn.stats;
  if (mp === null || !mp.enabled) {
    return [onePath(0, conn.path, 'available', stats.bytesSent, stats.bytesReceived, 0)];
  }
  let otherSent = 0;
  let otherReceived = 0;
  for (const p of mp.all()) {
    if (p.id === 0) continue;
    otherSent += p.bytesSent;
    otherReceived += p.bytesReceived;
  }
  const out: PathStatsSnapshot[] = [];
  for (const p of mp.all()) {
    const status = p.state === 'abandoned' ? 'abandoned' : p.backup ? 'backup' : 'available';
    // Path 0 is what the connection sent and received on no other path.
    const sent = p.id === 0 ? stats.bytesSent - otherSent : p.bytesSent;
    const received = p.id === 0 ? stats.bytesReceived - otherReceived : p.bytesReceived;
    out.push(onePath(p.id, p.paths.active, status, sent, received, p.reinjectedPackets));
  }
  return out;
}
