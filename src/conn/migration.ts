/**
 * Path validation and connection migration (RFC 9000 §8.2, §9): answering PATH_CHALLENGE on the
 * path it arrived on, validating new paths, following a peer that moved (NAT rebinding or
 * migration, §9.3), a client's active migration (§9.2) and the server's preferred address
 * (§9.6).
 */
import { PnSpace } from '../ack/pn-space.js';
import { sameAddress, type SocketAddress } from '../util/address.js';
import type { ConnectionContext } from './context.js';
import { parseIpAddress } from '../tls/x509/hostname.js';
import type { PreferredAddress } from '../wire/transport-params.js';
import type { PeerCid } from './cids.js';
import { PathState } from './path-state.js';

/** Outstanding PATH_RESPONSEs kept per path (a flood of challenges costs nothing more). */
const MAX_RESPONSES = 4;

function pathFor(
  conn: ConnectionContext,
  local: SocketAddress,
  remote: SocketAddress,
  now: number,
): PathState {
  const paths = conn.paths;
  if (paths.isActive(local, remote)) return paths.active;
  const probe = paths.probe;
  if (probe && sameAddress(probe.remote, remote) && sameAddress(probe.local, local)) return probe;
  // A challenge from a path we do not know yet: answer on it (RFC 9000 §8.2.2), without
  // migrating; the new path shares this connection's send control.
  const p = new PathState(local, remote, paths.active.sendControl, false, unusedCid(conn));
  p.onDatagramReceived(conn.rx.size, now);
  paths.startProbe(p);
  return p;
}

/** A PATH_CHALLENGE in the packet described by `conn.rx`: answered on the path it came on. */
export function onPathChallenge(conn: ConnectionContext, data: Uint8Array, now: number): void {
  const p = pathFor(conn, conn.rx.local, conn.rx.remote, now);
  if (p.responses.length < MAX_RESPONSES) p.responses.push(data.slice());
}

export function onPathResponse(conn: ConnectionContext, data: Uint8Array, now: number): void {
  const paths = conn.paths;
  const probe = paths.probe;
  // The probed path works: move to it (client migration, preferred address).
  if (paths.onResponse(data, now) === 'probe' && probe) moveTo(conn, probe, now);
}

/**
 * The 1-RTT packet described by `conn.rx` was processed. If it is the highest-numbered one and
 * carries non-probing frames from a new address, the peer has moved (RFC 9000 §9.3): follow it.
 */
export function onPathPacket(conn: ConnectionContext, nonProbing: boolean, now: number): void {
  const { local, remote, pn } = conn.rx;
  const paths = conn.paths;
  if (paths.isActive(local, remote)) return;
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
  // Packets from another client address after disable_active_migration never get here: the
  // receive pipeline drops them (RFC 9000 §9).
  const old = paths.active;
  const known = paths.probe;
  const fallback = paths.fallback;
  let next: PathState;
  if (known && sameAddress(known.remote, remote) && sameAddress(known.local, local)) {
    next = known;
  } else if (
    fallback &&
    sameAddress(fallback.remote, remote) &&
    sameAddress(fallback.local, local)
  ) {
    // Back to the last validated path (a spurious migration, §9.3.3): no new validation needed.
    next = fallback;
    next.dcid = unusedCid(conn);
  } else {
    next = new PathState(local, remote, old.sendControl, false, unusedCid(conn));
    next.onDatagramReceived(conn.rx.size, now);
  }
  if (!next.validated && next.validation !== 'validating') {
    next.startValidation(conn.provider.random(8), validationTimeout(conn));
    next.armValidationDeadline(now);
  }
  moveTo(conn, next, now, old.validated ? old : next === fallback ? null : fallback);
}

/**
 * RFC 9000 §8.2.4: give up validating a path after three times the larger of the current PTO
 * and the PTO of a new path with the initial RTT (the new path may be much slower).
 */
function validationTimeout(conn: ConnectionContext): number {
  return 3 * Math.max(conn.ptoPeriod(), 3 * conn.opts.initialRttUs);
}

/**
 * Path validation timers (path-set.ts): an active path that never answered is left for the last
 * validated one (§9.3.2), with a CID not used on another path (§9.5).
 */
export function onPathValidationTimers(conn: ConnectionContext, now: number): void {
  const back = conn.paths.onTimers(now);
  if (!back) return;
  back.dcid = unusedCid(conn);
  moveTo(conn, back, now, null);
}

/**
 * A CID for a new path: one not used on another path if the peer gave us a spare (RFC 9000
 * §9.5), else the current one (allowed when the peer's address changed under the same CID).
 */
function unusedCid(conn: ConnectionContext): PeerCid {
  return conn.peerCids.spare() ?? conn.peerCids.current;
}

/**
 * Makes `next` the active path, with its CID and its amplification budget (path-set.ts resets the
 * congestion state if the address changed, §9.4); the CID of the old path is retired (§5.1.2).
 * `fallback`: the path to return to if `next` fails validation; by default the one kept so far.
 */
function moveTo(
  conn: ConnectionContext,
  next: PathState,
  now: number,
  fallback: PathState | null = conn.paths.fallback,
): void {
  if (next.dcid.sequence !== conn.peerCids.current.sequence) {
    conn.peerCids.switchTo(next.dcid.sequence);
  }
  next.dcid = conn.peerCids.current;
  conn.controlFrames.retireCids(conn.peerCids.toRetire);
  // RFC 9000 §10.3.1: the reset token of a retired CID no longer ends the connection.
  conn.onPeerResetTokens();
  conn.paths.moveTo(next, now, fallback);
  conn.stats.migrations++;
  conn.emit('pathChange', next.remote, next.local);
  conn.qlog?.pathChanged?.(conn, now);
}

/**
 * Client: start moving to `local` (a new socket / port): probe the path with a new CID and
 * switch when the server answers (RFC 9000 §9.2). Returns false when no spare CID exists or
 * migration is disabled by the server. The validation timer starts at the connection's next
 * entry point (the probe's `armValidationDeadline`).
 */
export function startMigration(
  conn: ConnectionContext,
  local: SocketAddress,
  remote?: SocketAddress,
): boolean {
  if (!conn.isClient || !conn.handshakeConfirmed) return false;
  if (conn.peerParams?.disableActiveMigration && remote === undefined) return false;
  const cid = conn.peerCids.spare();
  if (!cid) return false;
  const active = conn.paths.active;
  const p = new PathState(local, remote ?? active.remote, active.sendControl, false, cid);
  p.liftAmplificationLimit();
  p.startValidation(conn.provider.random(8), validationTimeout(conn));
  conn.paths.startProbe(p);
  conn.wake();
  return true;
}

/** A server's preferred addresses and the CID (sequence 1) and reset token that go with them. */
export interface PreferredAddressInit {
  ipv4?: SocketAddress;
  ipv6?: SocketAddress;
  cid: Uint8Array;
  resetToken: Uint8Array;
}

/**
 * The preferred_address transport parameter (RFC 9000 §18.2): an absent family is all zeros
 * with port 0. Throws TypeError for an address that is not a literal of its family.
 */
export function preferredAddressParam(a: PreferredAddressInit): PreferredAddress {
  const ip = (addr: SocketAddress | undefined, len: 4 | 16): Uint8Array => {
    if (addr === undefined) return new Uint8Array(len);
    const b = parseIpAddress(addr.address);
    if (b === null || b.length !== len || !(addr.port > 0 && addr.port < 65536)) {
      throw new TypeError(
        `preferredAddress: ${addr.address}:${addr.port} is not an IPv${len === 4 ? 4 : 6} address`,
      );
    }
    return b;
  };
  return {
    ipv4Address: ip(a.ipv4, 4),
    ipv4Port: a.ipv4?.port ?? 0,
    ipv6Address: ip(a.ipv6, 16),
    ipv6Port: a.ipv6?.port ?? 0,
    connectionId: a.cid,
    statelessResetToken: a.resetToken,
  };
}

/** Client: after confirmation, validate and move to the server's preferred address (§9.6). */
export function maybeUsePreferredAddress(
  conn: ConnectionContext,
  now: number,
  family: 4 | 6,
): void {
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
  conn.onPeerResetTokens();
  if (startMigration(conn, conn.paths.active.local, target)) conn.paths.armValidationDeadlines(now);
}

/** The canonical text form of an IPv6 address (RFC 5952 §4), as sockets report addresses. */
function ipv6ToString(b: Uint8Array): string {
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  // The longest run of two or more zero groups (the first of equal runs) becomes "::".
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && parts[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  if (best < 0) return parts.join(':');
  return `${parts.slice(0, best).join(':')}::${parts.slice(best + bestLen).join(':')}`;
}
