/**
 * BBRv3's windowed filters (draft-ietf-ccwg-bbr §4.5.2.x, §4.5.3, §4.5.5): the bottleneck
 * bandwidth estimate over the last two ProbeBW cycles, the min RTT over 10 s with the
 * ProbeRTT schedule it drives, and the ACK aggregation estimate (extra_acked) over the last
 * ten round trips. Each owns its slots; src/cc/bbr.ts feeds them.
 */
import {
  BBR_EXTRA_ACKED_FILTER_LEN,
  BBR_MAX_BW_FILTER_LEN,
  BBR_MIN_RTT_FILTER_LEN,
} from './bbr-params.js';

/** §4.5.2.x BBR.max_bw: the highest delivery rate of each of the last two ProbeBW cycles. */
export class MaxBwFilter {
  private readonly slots = [0, 0];
  private cycleCount = 0;
  private max = 0;

  /** BBR.max_bw, bytes per second. */
  get value(): number {
    return this.max;
  }

  /** Counts a delivery rate in the current cycle. */
  update(deliveryRate: number): void {
    const slot = this.cycleCount % BBR_MAX_BW_FILTER_LEN;
    if (deliveryRate > this.slots[slot]!) this.slots[slot] = deliveryRate;
    this.max = Math.max(this.slots[0]!, this.slots[1]!);
  }

  /** AdvanceMaxBwFilter: a new ProbeBW cycle; the oldest cycle's maximum ages out. */
  advance(): void {
    this.cycleCount++;
    this.slots[this.cycleCount % BBR_MAX_BW_FILTER_LEN] = 0;
    this.max = Math.max(this.slots[0]!, this.slots[1]!);
  }
}

/**
 * §4.5.5 BBR.extra_acked: data acknowledged beyond what the bandwidth estimate explains (ACK
 * bunching), the maximum over the last 10 rounds (1 before the pipe is full), by round number.
 */
export class ExtraAckedFilter {
  private readonly slots = new Array<number>(BBR_EXTRA_ACKED_FILTER_LEN).fill(0);
  private readonly rounds = new Array<number>(BBR_EXTRA_ACKED_FILTER_LEN).fill(-1);
  private max = 0;
  private intervalStart = 0;
  private intervalDelivered = 0;

  /** BBR.extra_acked, bytes. */
  get value(): number {
    return this.max;
  }

  /** Starts the measurement interval at `now` (on the first send, and on a restart from idle). */
  startInterval(now: number): void {
    this.intervalStart = now;
  }

  /**
   * UpdateACKAggregation for an ACK of `newlyAcked` bytes in round `roundCount`, against the
   * bandwidth estimate `bw`; an excess is capped at `cwnd`.
   */
  update(
    now: number,
    newlyAcked: number,
    bw: number,
    cwnd: number,
    roundCount: number,
    fullBwReached: boolean,
  ): void {
    const interval = now - this.intervalStart;
    let expected = (bw * interval) / 1_000_000;
    if (this.intervalDelivered <= expected) {
      this.intervalDelivered = 0;
      this.intervalStart = now;
      expected = 0;
    }
    this.intervalDelivered += newlyAcked;
    const extra = Math.min(this.intervalDelivered - expected, cwnd);
    const filterLen = fullBwReached ? BBR_EXTRA_ACKED_FILTER_LEN : 1;
    const slot = roundCount % BBR_EXTRA_ACKED_FILTER_LEN;
    if (this.rounds[slot] !== roundCount) {
      this.rounds[slot] = roundCount;
      this.slots[slot] = 0;
    }
    if (extra > this.slots[slot]!) this.slots[slot] = extra;
    let max = 0;
    for (let i = 0; i < BBR_EXTRA_ACKED_FILTER_LEN; i++) {
      if (this.rounds[i]! > roundCount - filterLen && this.slots[i]! > max) max = this.slots[i]!;
    }
    this.max = max;
  }
}

/**
 * §4.5.3 BBR.min_rtt, the lowest RTT of the last 10 s, and BBR.probe_rtt_min_delay, the lowest
 * of the last ProbeRTTInterval, whose expiry schedules ProbeRTT (§4.3.4). Times in µs.
 */
export class MinRttFilter {
  private minRtt = Infinity;
  private minRttStamp = 0;
  private probeRttMinDelay = Infinity;
  private probeRttMinStamp = 0;
  private probeExpired = false;

  /** `probeRttInterval`: how long probe_rtt_min_delay holds (ProbeRTTInterval), µs. */
  constructor(private readonly probeRttInterval: number) {}

  /** BBR.min_rtt, µs (Infinity before a sample). */
  get value(): number {
    return this.minRtt;
  }

  /** probe_rtt_min_delay was older than ProbeRTTInterval at the last update: time to probe. */
  get probeRttExpired(): boolean {
    return this.probeExpired;
  }

  /** OnInit: both estimates are dated `now`. */
  start(now: number): void {
    this.minRttStamp = now;
    this.probeRttMinStamp = now;
  }

  /** UpdateMinRTT with the RTT of an ACK's sample (`rtt` < 0: none). */
  update(rtt: number, now: number): void {
    this.probeExpired = now > this.probeRttMinStamp + this.probeRttInterval;
    if (rtt >= 0 && (rtt < this.probeRttMinDelay || this.probeExpired)) {
      this.probeRttMinDelay = rtt;
      this.probeRttMinStamp = now;
    }
    const minRttExpired = now > this.minRttStamp + BBR_MIN_RTT_FILTER_LEN;
    if (this.probeRttMinDelay < this.minRtt || minRttExpired) {
      this.minRtt = this.probeRttMinDelay;
      this.minRttStamp = this.probeRttMinStamp;
    }
  }

  /** ProbeRTT is done at `now`: probe_rtt_min_delay counts as fresh from then (§4.3.4.4). */
  probed(now: number): void {
    this.probeRttMinStamp = now;
  }
}
