/**
 * Whether new data should wait for the fastest path rather than leave now on a slower one: the
 * completion-time reasoning of ECF ("Earliest Completion First", Lim, Nahum, Towsley and
 * Gibbens, CoNEXT 2017). RFC 10069 §5.5 leaves the choice to the sender, and warns that data
 * spread over paths of different delays arrives out of order: one stream's in-order delivery
 * then waits for the slow path (head-of-line blocking), and both flow-control windows must
 * cover the slow path's delay. A slower path is worth using only when the data would arrive
 * sooner there than after waiting for the fast one.
 */
import type { ScheduleContext, SchedulablePath } from './types.js';

/** No context: the backlog counts as unbounded, so a slower path with room is always used. */
export const UNBOUNDED_BACKLOG: ScheduleContext = { now: 0, backlog: Infinity };

/**
 * Whether waiting for `fast` (which cannot send now) delivers sooner than sending on `slow` (a
 * slower path with room) now; `hysteresis` (ECF's 1 + β while it waits) scales the slow side.
 * - Only the pacer holds `fast` back: its packet leaves at `sendableAt` and arrives one
 *   smoothed RTT later; the slow path's after its own smoothed RTT.
 * - Its window is full: it sends the backlog in about 1 + backlog/cwnd round trips (fewer in
 *   slow start, `fastRounds`); the slow path's first packet is acknowledged after its RTT, the
 *   larger RTT variation (ECF's δ) and up to the peer's max_ack_delay. Until then its bytes
 *   hold the send buffer, which bounds the backlog: a fast path that finishes sooner would run
 *   dry waiting for them (ECF counts the RTT alone, with a send buffer that never fills).
 */
export function fastPathFinishesFirst(
  fast: SchedulablePath,
  slow: SchedulablePath,
  context: ScheduleContext,
  hysteresis = 1,
): boolean {
  const delta = Math.max(fast.rttVariance, slow.rttVariance);
  if (fast.sendableAt < Infinity) {
    return fast.sendableAt - context.now + fast.srtt + delta < hysteresis * slow.srtt;
  }
  if (fast.cwnd <= 0) return false;
  const slowAcked = slow.srtt + delta + slow.maxAckDelay;
  return fastRounds(fast, context.backlog) * fast.srtt < hysteresis * slowAcked;
}

/**
 * Round trips `fast`, its window full now, takes to send `backlog` bytes: one to free its
 * window, then backlog/cwnd at a steady window, or log2(1 + backlog/cwnd) in slow start, where
 * each round sends twice the last (w + 2w + ... + 2^(r-1)w = (2^r - 1)w).
 */
function fastRounds(fast: SchedulablePath, backlog: number): number {
  const windows = backlog / fast.cwnd;
  return 1 + (fast.slowStart ? Math.log2(1 + windows) : windows);
}
