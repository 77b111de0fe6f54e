/**
 * NewReno as specified for QUIC in RFC 9002 §7 and Appendix B: slow start, a recovery period
 * that halves the window once per round trip, additive increase of one datagram per window
 * acknowledged, and the minimum window on persistent congestion.
 */
import type { CongestionControllerOptions, RttSnapshot } from './types.js';
import { WindowController, WINDOW_CONTROLLER_OPTIONS } from './window-controller.js';

/** kLossReductionFactor (RFC 9002 §7.3.2, §B.1). */
export const NEWRENO_LOSS_REDUCTION_FACTOR = 0.5;

export class NewReno extends WindowController {
  readonly name: string = 'newreno';
  /**
   * Bytes acknowledged in congestion avoidance not yet turned into window growth. Appropriate
   * byte counting (RFC 3465 §2.1, suggested by RFC 9002 §B.5) keeps the window an integer and
   * grows it by exactly one datagram per window acknowledged.
   */
  private bytesAckedInAvoidance = 0;

  constructor(options: CongestionControllerOptions = {}, name = 'newreno') {
    super(options, false, name, WINDOW_CONTROLLER_OPTIONS);
  }

  /** The share of an acknowledged byte that counts toward growth: all of it (LIA weighs it). */
  protected increaseWeight(): number {
    return 1;
  }

  protected growInAvoidance(bytes: number, _now: number, _rtt: RttSnapshot): void {
    this.bytesAckedInAvoidance += bytes * this.increaseWeight();
    if (this.bytesAckedInAvoidance >= this.cwnd) {
      this.bytesAckedInAvoidance -= this.cwnd;
      this.cwnd += this.mds;
    }
  }

  protected reduceWindow(): void {
    // RFC 9002 §B.6 OnCongestionEvent.
    this.ssthreshBytes = Math.floor(this.cwnd * NEWRENO_LOSS_REDUCTION_FACTOR);
    this.cwnd = Math.max(this.ssthreshBytes, this.minimumWindow);
    this.bytesAckedInAvoidance = 0;
  }

  protected onCollapse(): void {
    this.bytesAckedInAvoidance = 0;
  }
}
