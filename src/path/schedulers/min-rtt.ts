/**
 * The min-RTT scheduler (the default; Linux MPTCP's and xquic's): the next packet goes to the
 * working path with the lowest smoothed RTT that has room in its window, so the faster path
 * fills first and the slower ones take the overflow, but only overflow that would arrive sooner
 * on the slower path than after waiting for the fast one (`fastPathFinishesFirst`: the fast
 * path merely paced, or able to send the whole backlog before the slow path's first packet
 * lands). Without that rule a path ten times slower takes a share of one stream's data that
 * the receiver then waits for, and the pair does worse than the fast path alone. Backup paths
 * carry data only when no available path works (RFC 10069 §3.3); an available path that merely
 * lacks room makes the packet wait rather than spill onto a backup path.
 */
import { UNBOUNDED_BACKLOG, fastPathFinishesFirst } from './completion.js';
import { Reinjection } from './reinjection.js';
import {
  DEFAULT_FAILING_PTO_COUNT,
  lowestRtt,
  usableStatus,
  type FailingReason,
  type PathScheduler,
  type PathSchedulerOptions,
  type ReinjectablePacket,
  type ScheduleContext,
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

  select<P extends SchedulablePath>(
    paths: readonly P[],
    purpose: SendPurpose,
    context: ScheduleContext = UNBOUNDED_BACKLOG,
  ): P | null {
    const status = usableStatus(paths, this.failingPtoCount);
    if (status === null) return null;
    if (purpose === 'new_data') return this.selectNewData(paths, status, context);
    return lowestRtt(paths, status, this.failingPtoCount, purpose === 'probe');
  }

  /** The policy for new data; retransmissions and probes take the fastest path with room. */
  protected selectNewData<P extends SchedulablePath>(
    paths: readonly P[],
    status: 'available' | 'backup',
    context: ScheduleContext,
  ): P | null {
    const fastest = lowestRtt(paths, status, this.failingPtoCount, true);
    if (fastest === null || fastest.sendAllowance > 0) return fastest;
    const slower = lowestRtt(paths, status, this.failingPtoCount, false);
    if (slower === null) return null;
    return this.waitForFastest(fastest, slower, context) ? null : slower;
  }

  /**
   * Whether new data waits for `fastest` (the lowest-RTT working path, which cannot send now)
   * rather than go on `slower` (the lowest-RTT one with room).
   */
  protected waitForFastest(
    fastest: SchedulablePath,
    slower: SchedulablePath,
    context: ScheduleContext,
  ): boolean {
    return fastPathFinishesFirst(fastest, slower, context);
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
