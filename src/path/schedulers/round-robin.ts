/**
 * The round-robin scheduler: new data goes to the working paths in turn, by path ID, skipping
 * those without room; a research baseline that ignores RTT. Backup paths carry data only when no
 * available path works (RFC 10069 §3.3). Retransmissions and probes take the fastest path
 * (MinRttScheduler).
 */
import { MinRttScheduler } from './min-rtt.js';
import {
  isWorking,
  type PathSchedulerOptions,
  type ScheduleContext,
  type SchedulablePath,
} from './types.js';

export class RoundRobinScheduler extends MinRttScheduler {
  /** The path ID chosen last for new data; the next is the first working one above it. */
  private last = -1;

  constructor(options: PathSchedulerOptions = {}) {
    super(options, 'roundrobin');
  }

  protected override selectNewData<P extends SchedulablePath>(
    paths: readonly P[],
    status: 'available' | 'backup',
    _context: ScheduleContext,
  ): P | null {
    // The candidate with the smallest ID above `last`, else (wrapping) the smallest ID overall.
    let above: P | null = null;
    let lowest: P | null = null;
    for (const p of paths) {
      if (p.status !== status || !isWorking(p, this.failingPtoCount) || p.sendAllowance <= 0) {
        continue;
      }
      if (lowest === null || p.pathId < lowest.pathId) lowest = p;
      if (p.pathId > this.last && (above === null || p.pathId < above.pathId)) above = p;
    }
    const chosen = above ?? lowest;
    if (chosen !== null) this.last = chosen.pathId;
    return chosen;
  }
}
