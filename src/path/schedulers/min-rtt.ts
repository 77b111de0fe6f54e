/**
 * The min-RTT scheduler (the default; Linux MPTCP's and xquic's): the next packet goes to the
 * working path with the lowest smoothed RTT that has room in its window, so the faster path
 * fills first and the slower ones take the overflow. Backup paths carry data only when no
 * available path works (RFC 10069 §3.3); an available path that merely lacks room makes the
 * packet wait rather than spill onto a backup path.
 */
import { Reinjection } from './reinjection.js';
import {
  DEFAULT_FAILING_PTO_COUNT,
  lowestRtt,
  usableStatus,
  type FailingReason,
  type PathScheduler,
  type PathSchedulerOptions,
  type ReinjectablePacket,
  type SchedulablePath,
  type SendPurpose,
} from './types.js';

export class MinRttScheduler implements PathScheduler {
  readonly name: string;
  protected readonly failingPtoCount: number;
  private readonly reinjection: Reinjection;

  constructor(options: PathSchedulerOptions = {}, name = 'minrtt') {
    this.name = name;
    this.failingPtoCount = options.failingPtoCount ?? DEFAULT_FAILING_PTO_COUNT;
    if (!(Number.isInteger(this.failingPtoCount) && this.failingPtoCount >= 1)) {
      throw new RangeError(`failingPtoCount must be an integer >= 1, not ${this.failingPtoCount}`);
    }
    this.reinjection = new Reinjection(options.reinjection ?? false);
  }

  select<P extends SchedulablePath>(paths: readonly P[], purpose: SendPurpose): P | null {
    const status = usableStatus(paths, this.failingPtoCount);
    if (status === null) return null;
    if (purpose === 'new_data') return this.selectNewData(paths, status);
    return lowestRtt(paths, status, this.failingPtoCount, purpose === 'probe');
  }

  /** The policy for new data; retransmissions and probes take the fastest path with room. */
  protected selectNewData<P extends SchedulablePath>(
    paths: readonly P[],
    status: 'available' | 'backup',
  ): P | null {
    return lowestRtt(paths, status, this.failingPtoCount, false);
  }

  onPathFailing<T extends ReinjectablePacket>(
    pathId: number,
    reason: FailingReason,
    outstanding: Iterable<T>,
  ): T[] {
    return this.reinjection.onPathFailing(pathId, reason, outstanding);
  }

  onPathClosed(pathId: number): void {
    this.reinjection.onPathClosed(pathId);
  }
}
