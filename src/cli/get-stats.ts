/** `tsquic get --stats`: one JSON line of connection statistics per connection. */
import type { QuicConnection } from '../node/connection.js';
import type { ConnectionStatsSnapshot } from '../conn/stats.js';

/** The fields of the --stats line, in order. */
const STATS_FIELDS = [
  'version',
  'alpn',
  'cipher',
  'group',
  'retry',
  'resumed',
  'earlyDataAccepted',
  'handshakeMs',
  'bytesSent',
  'bytesReceived',
  'packetsSent',
  'packetsLost',
  'srttMs',
  'pmtu',
  'keyUpdates',
  'migrated',
] as const satisfies readonly (keyof ConnectionStatsSnapshot)[];

export function statsLine(conn: QuicConnection): string {
  const all = conn.getStats();
  const line: Record<string, unknown> = {};
  for (const f of STATS_FIELDS) line[f] = all[f];
  // Multipath (RFC 10069): each path's share, when there was more than one.
  if (all.paths.length > 1) {
    line['paths'] = all.paths.map((p) => ({
      pathId: p.pathId,
      local: `${p.local.address}:${p.local.port}`,
      status: p.status,
      validated: p.validated,
      bytesSent: p.bytesSent,
      bytesReceived: p.bytesReceived,
    }));
  }
  return JSON.stringify(line);
}
