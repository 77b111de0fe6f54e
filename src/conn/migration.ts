/**
 * Path validation and connection migration (RFC 9000 §8.2, §9): answering PATH_CHALLENGE on the
 * path it arrived on, validating new paths, following a peer that moved (NAT rebinding or
 * migration, §9.3), a client's active migration (§9.2) and the server's preferred address
 * (§9.6).
 */
import { PnSpace } from '../ack/pn-space.js';
import { sameAddress, type SocketAddress } from '../util/address.js';
import { QuicError, TransportError } from '../wire/errors.js';
import type { Connection } from './connection.js';
import { PathState } from './path-state.js';

/** Outstanding PATH_RESPONSEs kept per path (a flood of challenges costs nothing more). */
const MAX_RESPONSES = 4;

function pathFor(conn: Connection, local: SocketAddress, remote: SocketAddress): PathState {
  if (sameAddress(conn.path.remote, remote) && sameAddress(conn.path.local, local))
    return conn.path;
  const probe = conn.probePath;
  if (probe && sameAddress(probe.remote, remote) && sameAddress(probe.local, local)) return probe;
  // A challenge from a path we do not know yet: answer on it (RFC 9000 §8.2.2), without
  // migrating; the new path shares this connection's send control.
  const p = new PathState(local, remote, conn.path.sendControl, false, conn.peerCids.current);
  p.onDatagramReceived(conn.currentDatagramSize);
  conn.probePath = p;
  return p;
}

export function onPathChallenge(
  conn: Connection,
  data: Uint8Array,
  local: SocketAddress,
  remote: SocketAddress,
): void {
  const p = pathFor(conn, local, remote);
  if (p.responses.length < MAX_RESPONSES) p.responses.push(data.slice());
}

export function onPathResponse(conn: Connection, data: Uint8Array, now: number): void {
  if (conn.path.onResponse(data, now)) return;
  const probe = conn.probePath;
  if (probe && probe.onResponse(data, now)) {
    // The probed path works: move to it (client migration, preferred address).
    switchPath(conn, probe, now);
  }
}

/**
 * A 1-RTT packet was processed. If it is the highest-numbered one and carries non-probing
 * frames from a new address, the peer has moved (RFC 9000 §9.3): follow it.
 */
export function onPathPacket(
  conn: Connection,
  local: SocketAddress,
  remote: SocketAddress,
  pn: number,
  nonProbing: boolean,
  now: number,
): void {
  if (sameAddress(remote, conn.path.remote) && sameAddress(local, conn.path.local)) return;
  if (!nonProbing) return;
  if (pn !== conn.spaces[PnSpace.Application].tracker.largestReceived) return;
  if (conn.isClient) {
    // Servers do not migrate (RFC 9000 §9: only clients do); a packet from the server's
    // preferred address before we validated it is still processed, the path stays.
    return;
  }
  if (!conn.handshakeConfirmed) {
    // RFC 9000 §9: migration before the handshake is confirmed is a PROTOCOL_VIOLATION... the
    // RFC lets the server drop such packets instead, which is gentler on NAT rebinding races.
    return;
  }
  if (conn.opts.disableActiveMigration && remote.address !== conn.path.remote.address) {
    // We asked the peer not to migrate (RFC 9000 §18.2); a port change is NAT rebinding.
    throw new QuicError(
      TransportError.PROTOCOL_VIOLATION,
      'migration after disable_active_migration',
    );
  }
  const old = conn.path;
  const known = conn.probePath;
  const next =
    known && sameAddress(known.remote, remote) && sameAddress(known.local, local)
      ? known
      : new PathState(local, remote, old.sendControl, false, conn.peerCids.current);
  if (next !== known) next.onDatagramReceived(conn.currentDatagramSize);
  if (!next.validated && next.validation !== 'validating') {
    next.startValidation(conn.provider.random(8), now + 3 * conn.ptoPeriod());
  }
  conn.probePath = null;
  // RFC 9000 §9.4: a new address is a new path with fresh congestion state, unless only the
  // port changed (NAT rebinding).
  if (remote.address !== old.remote.address) old.sendControl.resetForNewPath(now);
  conn.path = next;
  conn.stats.migrations++;
  conn.emit('pathChange', remote, local);
}

/**
 * Client: start moving to `local` (a new socket / port): probe the path with a new CID and
 * switch when the server answers (RFC 9000 §9.2). Returns false when no spare CID exists or
 * migration is disabled by the server.
 */
export function startMigration(
  conn: Connection,
  local: SocketAddress,
  now: number,
  remote?: SocketAddress,
): boolean {
  if (!conn.isClient || !conn.handshakeConfirmed) return false;
  if (conn.peerParams?.disableActiveMigration && remote === undefined) return false;
  const cid = conn.peerCids.spare();
  if (!cid) return false;
  const p = new PathState(local, remote ?? conn.path.remote, conn.path.sendControl, false, cid);
  p.startValidation(conn.provider.random(8), now + 3 * conn.ptoPeriod());
  conn.probePath = p;
  conn.host.wake(conn);
  return true;
}

/** Client: after confirmation, validate and move to the server's preferred address (§9.6). */
export function maybeUsePreferredAddress(conn: Connection, now: number, family: 4 | 6): void {
  const pa = conn.peerParams?.preferredAddress;
  if (!conn.isClient || !pa) return;
  const v4 =
    pa.ipv4Port !== 0 ? { address: Array.from(pa.ipv4Address).join('.'), port: pa.ipv4Port } : null;
  const v6 =
    pa.ipv6Port !== 0 ? { address: ipv6ToString(pa.ipv6Address), port: pa.ipv6Port } : null;
  const target = family === 6 ? (v6 ?? null) : (v4 ?? null);
  if (!target) return;
  conn.peerCids.add({
    kind: 'new_connection_id',
    sequenceNumber: 1,
    retirePriorTo: 0,
    connectionId: pa.connectionId,
    statelessResetToken: pa.statelessResetToken,
  });
  startMigration(conn, conn.path.local, now, target);
}

function switchPath(conn: Connection, next: PathState, now: number): void {
  const old = conn.path;
  if (next.remote.address !== old.remote.address || next.local.address !== old.local.address) {
    old.sendControl.resetForNewPath(now);
  }
  if (next.dcid.sequence !== conn.peerCids.current.sequence)
    conn.peerCids.switchTo(next.dcid.sequence);
  for (const seq of conn.peerCids.toRetire.splice(0)) {
    conn.controlQueue.push({ kind: 'retire_connection_id', sequenceNumber: seq });
  }
  conn.path = next;
  conn.probePath = null;
  conn.stats.migrations++;
  conn.emit('pathChange', next.remote, next.local);
}

function ipv6ToString(b: Uint8Array): string {
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  return parts.join(':').replace(/\b(?:0+:){2,}/, ':');
}
