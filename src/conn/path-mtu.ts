/**
 * How a connection uses the DPLPMTUD of its paths (path/pmtud.ts; RFC 9000 §14.3): the datagram
 * size of the active path, the start of the search once the handshake is confirmed, and the
 * acknowledgments and losses of the path's 1-RTT packets handed to the search. Every PathState
 * gets its own search on first use, so a new path (migration, preferred address) starts again at
 * the base.
 */
import type { SentPacket } from '../ack/sent.js';
import { PathMtuDiscovery, QUIC_MIN_DATAGRAM, type PmtudConfig } from '../path/pmtud.js';
import type { PathState } from './path-state.js';

/** The path's search, made with `config` the first time. */
export function pathMtu(path: PathState, config: PmtudConfig): PathMtuDiscovery {
  return (path.pmtud ??= new PathMtuDiscovery(config));
}

/**
 * The largest datagram to send on `path` now, and the path's send control set to it (RFC 9002
 * §7.2 sizes the congestion window by it). `peerLimit`: the peer's max_udp_payload_size, 0
 * while unknown (the handshake runs at 1,200 bytes). The search starts once the handshake is
 * confirmed on a validated path (RFC 9000 §14.3.1).
 */
export function datagramSize(
  path: PathState,
  config: PmtudConfig,
  peerLimit: number,
  confirmed: boolean,
  now: number,
): number {
  const pm = pathMtu(path, config);
  if (pm.phase === 'idle' && confirmed && peerLimit > 0 && path.validated) pm.start(peerLimit, now);
  const size = currentDatagramSize(path, peerLimit);
  const sc = path.sendControl;
  if (sc.maxDatagramSize !== size) sc.setMaxDatagramSize(size);
  return size;
}

/** The path's datagram size as `datagramSize` sets it, without changing anything. */
export function currentDatagramSize(path: PathState, peerLimit: number): number {
  if (peerLimit === 0) return QUIC_MIN_DATAGRAM;
  return Math.min(path.pmtud?.mtu ?? QUIC_MIN_DATAGRAM, peerLimit);
}

/**
 * Hands what an ACK or a loss timer reported for 1-RTT packets of `path` to its search. True
 * when the path's PLPMTU changed (the next datagram is sized by it).
 */
export function onPathPackets(
  path: PathState,
  acked: readonly SentPacket<unknown>[],
  lost: readonly SentPacket<unknown>[],
  now: number,
): boolean {
  const pm = path.pmtud;
  if (pm === null) return false;
  let changed = false;
  for (let i = 0; i < acked.length; i++) changed = pm.onPacketAcked(acked[i]!, now) || changed;
  for (let i = 0; i < lost.length; i++) changed = pm.onPacketLost(lost[i]!, now) || changed;
  return changed;
}
