/**
 * The coupling group of one connection's congestion controllers (RFC 6356 §3): the paths of a
 * Multipath QUIC connection (RFC 10069 §5.4 leaves the choice of a coupled algorithm to the
 * implementation) share one group, so that a coupled controller (LIA, lia.ts) sizes its increase
 * from the windows and round-trip times of all of them. A controller joins when it is made and
 * leaves when its path goes (`CongestionController.close`); uncoupled controllers ignore the
 * group.
 */

/** What the group reads of a member: its window and smoothed RTT. */
export interface CoupledController {
  /** Congestion window, bytes. */
  readonly window: number;
  /** Smoothed RTT, microseconds; 0 before the first sample. */
  readonly coupledRtt: number;
}

export class CouplingGroup {
  private readonly members: CoupledController[] = [];

  join(member: CoupledController): void {
    if (!this.members.includes(member)) this.members.push(member);
  }

  leave(member: CoupledController): void {
    const i = this.members.indexOf(member);
    if (i >= 0) this.members.splice(i, 1);
  }

  get size(): number {
    return this.members.length;
  }

  /** Sum of the members' windows, bytes (RFC 6356 §3 cwnd_total). */
  totalWindow(): number {
    let total = 0;
    for (const m of this.members) total += m.window;
    return total;
  }

  /**
   * RFC 6356 §3: alpha = cwnd_total * max_i(cwnd_i / rtt_i^2) / (sum_i(cwnd_i / rtt_i))^2, over
   * the members with an RTT sample (a member without one cannot be weighed yet, and counts in
   * neither sum). 1 when at most one member has a sample: exactly the value of the formula for
   * one path (cwnd · cwnd/rtt² / (cwnd/rtt)²), without its rounding, so that a lone path grows
   * exactly as NewReno.
   */
  alpha(): number {
    let weighed = 0;
    let total = 0;
    let best = 0;
    let sum = 0;
    for (const m of this.members) {
      const rtt = m.coupledRtt;
      if (rtt <= 0) continue;
      weighed++;
      total += m.window;
      best = Math.max(best, m.window / (rtt * rtt));
      sum += m.window / rtt;
    }
    if (weighed <= 1 || sum === 0) return 1;
    return (total * best) / (sum * sum);
  }
}
