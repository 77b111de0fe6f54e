/**
 * LIA, the Linked Increases Algorithm (RFC 6356) for the paths of one Multipath QUIC connection:
 * each path keeps NewReno's slow start and halving on loss (RFC 9002 §7), but in congestion
 * avoidance increases its window, per acknowledged bytes, by
 *   min(alpha * bytes_acked * MSS_i / cwnd_total, bytes_acked * MSS_i / cwnd_i)   (RFC 6356 §3)
 * with alpha from the connection's coupling group (coupling.ts). The multipath flow then takes
 * no more capacity than one single-path flow on a shared bottleneck (RFC 6356 §2 goals 1-2),
 * while moving its traffic to the less congested paths (goal 3).
 *
 * The increase is counted in bytes as NewReno's (RFC 3465 appropriate byte counting): each
 * acknowledged byte counts min(alpha * cwnd_i / cwnd_total, 1) toward the one-datagram step
 * taken per window acknowledged; that is the formula above, and on a lone path (alpha = 1,
 * cwnd_total = cwnd_i) exactly NewReno.
 */
import { CouplingGroup, type CoupledController } from './coupling.js';
import { NewReno } from './newreno.js';
import type { CongestionControllerOptions, RttSnapshot } from './types.js';
import type { WindowController } from './window-controller.js';

export class Lia extends NewReno implements CoupledController {
  override readonly name = 'lia';
  /** The connection's group (a group of its own when the controller is made alone). */
  readonly group: CouplingGroup;
  /** Smoothed RTT of the path at its last acknowledgment, µs. */
  coupledRtt = 0;

  constructor(options: CongestionControllerOptions = {}) {
    super(options, 'lia');
    this.group = options.coupling ?? new CouplingGroup();
    this.group.join(this);
  }

  /** The share of an acknowledged byte that counts toward growth: min(alpha·cwnd_i/total, 1). */
  override increaseWeight(): number {
    const total = this.group.totalWindow();
    if (total <= 0) return 1;
    return Math.min((this.group.alpha() * this.cwnd) / total, 1);
  }

  override onPacketsAcked(
    acked: Parameters<WindowController['onPacketsAcked']>[0],
    now: number,
    rtt: RttSnapshot,
    appLimited: boolean,
  ): void {
    // Every acknowledgment refreshes the RTT the others weigh this path by, in slow start too.
    this.coupledRtt = rtt.smoothed;
    super.onPacketsAcked(acked, now, rtt, appLimited);
  }

  close(): void {
    this.group.leave(this);
  }
}
