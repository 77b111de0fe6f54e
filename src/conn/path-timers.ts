/**
 * The loss detection timer of the active path (RFC 9002 §6.2, §A.9): when it fires, the packets
 * it declares lost give their frames back to their queues, the path MTU search hears of them,
 * and a PTO owes probe packets. With multipath, a PTO on a path 0 that other paths could stand
 * in for sends what path 0 had in flight on them (RFC 10069 §5.7).
 */
import type { ConnectionContext } from './context.js';
import { reinject } from './multipath-control.js';
import { pathZeroHeld } from './multipath-send.js';
import { onPathPackets } from './path-mtu.js';
import { armProbes, onFramesLost } from './retransmit.js';

/** Acts on the active path's loss detection timer when it is due at `now`. */
export function onLossDetectionTimer(conn: ConnectionContext, now: number): void {
  const path = conn.path;
  const sc = path.sendControl;
  if (now < sc.timerDeadline()) return;
  const out = sc.onTimeout(now);
  for (const p of out.lost) onFramesLost(conn, p.frames);
  // Only 1-RTT packets remain once the search runs (after confirmation).
  onPathPackets(path, [], out.lost, now);
  if (out.probeCount > 0 && out.probeSpace !== null) {
    armProbes(conn, out.probeSpace, out.probeCount);
    // Multipath (RFC 10069 §5.7): what path 0 had in flight goes on the paths that work.
    const zero = conn.multipath?.get(0);
    if (zero !== undefined && pathZeroHeld(conn)) reinject(conn, zero);
  }
  conn.stats.onLossEvent(out.lost.length);
  if (out.lost.length > 0) conn.qlog?.packetsLost?.(conn, out.lost, null, now);
  conn.qlog?.metrics(conn, now);
  sc.releaseOutcomes();
}
