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
import { NEWRENO_LOSS_REDUCTION_FACTOR } from './newreno.js';
import type { CongestionControllerOptions, RttSnapshot } from './types.js';
import { WindowController, WINDOW_CONTROLLER_OPTIONS } from './window-controller.js';

export class Lia extends WindowController implements CoupledController {
  readonly name = 'lia';
  /** The connection's group (a group of its own when the controller is made alone). */
  readonly group: CouplingGroup;
  /** Smoothed RTT of the path at its last acknowledgment, µs. */
  coupledRtt = 0;
  /** Weighted bytes acknowledged in avoidance not yet turned into window growth. */
  private bytesAckedInAvoidance = 0;

  constructor(options: CongestionControllerOptions = {}) {
    super(options, false, 'lia', WINDOW_CONTROLLER_OPTIONS);
    this.group = options.coupling ?? new CouplingGroup();
    this.group.join(this);
  }

  /** The share of an acknowledged byte that counts toward growth: min(alpha·cwnd_i/total, 1). */
  increaseWeight(): number {
    const total = this.group.totalWindow();
    if (total <= 0) return 1;
    return Math.min((this.group.alpha() * this.cwnd) / total, 1);
  }

  protected growInAvoidance(bytes: number, _now: number, rtt: RttSnapshot): void {
    this.coupledRtt = rtt.smoothed;
    this.bytesAckedInAvoidance += bytes * this.increaseWeight();
    if (this.bytesAckedInAvoidance >= this.cwnd) {
      this.bytesAckedInAvoidance -= this.cwnd;
      this.cwnd += this.mds;
    }
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

  protected reduceWindow(): void {
    // RFC 6356 §3: the decrease is TCP's (RFC 9002 §B.6 OnCongestionEvent).
    this.ssthreshBytes = Math.floor(this.cwnd * NEWRENO_LOSS_REDUCTION_FACTOR);
    this.cwnd = Math.max(this.ssthreshBytes, this.minimumWindow);
    this.bytesAckedInAvoidance = 0;
  }

  protected onCollapse(): void {
    this.bytesAckedInAvoidance = 0;
  }

  close(): void {
    this.group.leave(this);
  }
}
