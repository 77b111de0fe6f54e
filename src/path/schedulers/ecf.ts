/**
 * The ECF scheduler ("Earliest Completion First", Lim, Nahum, Towsley and Gibbens, CoNEXT 2017,
 * as in Linux MPTCP's mptcp_ecf): min-RTT's rule for a slower path (`fastPathFinishesFirst`)
 * with ECF's two refinements. When the fast path would finish first, the slower path is still
 * used if it can carry the whole backlog within two fast round trips (a short tail then ends
 * sooner on both paths); and once it waits for the fast path, it keeps waiting until the slow
 * path is clearly (β = 1/4) the quicker, so the choice does not flap from packet to packet.
 * Both refinements concern a fast path whose window is full; one held back only by its pacer is
 * waited for as min-RTT does.
 */
import { fastPathFinishesFirst } from './completion.js';
import { MinRttScheduler } from './min-rtt.js';
import type { PathSchedulerOptions, ScheduleContext, SchedulablePath } from './types.js';

/** ECF's β: the hysteresis while waiting for the fast path. */
const BETA = 0.25;

export class EcfScheduler extends MinRttScheduler {
  /** The last decision was to wait for the fast path (ECF's `waiting`). */
  private waiting = false;

  constructor(options: PathSchedulerOptions = {}) {
    super(options, 'ecf');
  }

  protected override waitForFastest(
    fastest: SchedulablePath,
    slower: SchedulablePath,
    context: ScheduleContext,
  ): boolean {
    // Only the pacer holds the fast path back: its next packet leaves within a pacing gap, and
    // ECF's rules (for a full window) do not apply.
    if (fastest.sendableAt < Infinity) return fastPathFinishesFirst(fastest, slower, context);
    const hysteresis = this.waiting ? 1 + BETA : 1;
    if (!fastPathFinishesFirst(fastest, slower, context, hysteresis)) {
      this.waiting = false;
      return false;
    }
    const delta = Math.max(fastest.rttVariance, slower.rttVariance);
    // The slow path alone would need backlog/cwnd of its round trips: worth it only when that
    // is within two of the fast path's.
    const slowAlone = (context.backlog / Math.max(slower.cwnd, 1)) * slower.srtt;
    this.waiting = slowAlone >= 2 * fastest.srtt + delta;
    return this.waiting;
  }
}
