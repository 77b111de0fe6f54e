/**
 * The RTT estimator of one path (RFC 9002 §5): latest_rtt, min_rtt, smoothed_rtt and rttvar,
 * in microseconds.
 */
import type { RttSnapshot } from '../cc/types.js';

/** kInitialRtt (RFC 9002 §6.2.2): 333 ms. */
export const DEFAULT_INITIAL_RTT = 333_000;
/** kGranularity (RFC 9002 §6.1.2): 1 ms. */
export const GRANULARITY = 1_000;
/** Default of the max_ack_delay transport parameter (RFC 9000 §18.2): 25 ms. */
export const DEFAULT_PEER_MAX_ACK_DELAY = 25_000;

export class RttEstimator implements RttSnapshot {
  private latestRtt = 0;
  private minRtt = 0;
  private smoothedRtt: number;
  private rttvar: number;
  private samples = 0;
  private firstSample = -Infinity;
  private initial: number;
  /**
   * The peer's max_ack_delay in microseconds: limits the reported ACK delay after handshake
   * confirmation (RFC 9002 §5.3) and enters the PTO (§6.2.1).
   */
  maxAckDelay = DEFAULT_PEER_MAX_ACK_DELAY;

  constructor(initialRtt: number = DEFAULT_INITIAL_RTT) {
    this.initial = checkRtt(initialRtt);
    this.smoothedRtt = this.initial;
    this.rttvar = this.initial / 2;
  }

  get latest(): number {
    return this.latestRtt;
  }

  get min(): number {
    return this.minRtt;
  }

  get smoothed(): number {
    return this.smoothedRtt;
  }

  get variance(): number {
    return this.rttvar;
  }

  get sampleCount(): number {
    return this.samples;
  }

  get hasSample(): boolean {
    return this.samples > 0;
  }

  /** When the first RTT sample was taken (first_rtt_sample), -Infinity before it. */
  get firstSampleTime(): number {
    return this.firstSample;
  }

  get initialRtt(): number {
    return this.initial;
  }

  /**
   * Changes kInitialRtt before any sample (a resumed connection's RTT, or the PATH_CHALLENGE to
   * PATH_RESPONSE delay of a new path, RFC 9002 §6.2.2). Ignored once a sample exists.
   */
  setInitialRtt(rtt: number): void {
    this.initial = checkRtt(rtt);
    if (this.samples === 0) {
      this.smoothedRtt = this.initial;
      this.rttvar = this.initial / 2;
    }
  }

  /**
   * Takes an RTT sample (RFC 9002 §5, §A.7 UpdateRtt). `ackDelay` is the peer's decoded ACK
   * Delay in microseconds (0 for Initial packets, whose acknowledgments are never delayed).
   */
  update(latestRtt: number, ackDelay: number, now: number, handshakeConfirmed: boolean): void {
    if (!(latestRtt >= 0)) throw new RangeError(`RTT sample must be >= 0, got ${latestRtt}`);
    this.latestRtt = latestRtt;
    this.samples++;
    if (this.samples === 1) {
      // §5.3: the first sample resets the estimator.
      this.minRtt = latestRtt;
      this.smoothedRtt = latestRtt;
      this.rttvar = latestRtt / 2;
      this.firstSample = now;
      return;
    }
    // §5.2: min_rtt ignores acknowledgment delay.
    if (latestRtt < this.minRtt) this.minRtt = latestRtt;
    // §5.3: honour max_ack_delay only once the handshake is confirmed.
    let delay = ackDelay > 0 ? ackDelay : 0;
    if (handshakeConfirmed && delay > this.maxAckDelay) delay = this.maxAckDelay;
    // §5.3: never subtract the delay below min_rtt.
    const adjusted = latestRtt >= this.minRtt + delay ? latestRtt - delay : latestRtt;
    // §A.7 (as RFC 6298): rttvar uses the smoothed RTT from before this sample.
    this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.smoothedRtt - adjusted);
    this.smoothedRtt = 0.875 * this.smoothedRtt + 0.125 * adjusted;
  }

  /**
   * The base PTO period: smoothed_rtt + max(4 * rttvar, kGranularity), plus max_ack_delay when
   * asked (RFC 9002 §6.2.1: the Initial and Handshake spaces leave it out).
   */
  ptoPeriod(includeMaxAckDelay: boolean): number {
    const base = this.smoothedRtt + Math.max(4 * this.rttvar, GRANULARITY);
    return includeMaxAckDelay ? base + this.maxAckDelay : base;
  }

  /** RFC 9002 §7.6.1: (smoothed_rtt + max(4*rttvar, kGranularity) + max_ack_delay) * threshold. */
  persistentCongestionDuration(threshold: number): number {
    return this.ptoPeriod(true) * threshold;
  }

  /** RFC 9002 §5.2: after persistent congestion min_rtt restarts from the newest sample. */
  onPersistentCongestion(): void {
    if (this.samples > 0) this.minRtt = this.latestRtt;
  }

  /** Back to the initial state, e.g. on a new path (RFC 9000 §9.4). */
  reset(initialRtt: number = this.initial): void {
    this.initial = checkRtt(initialRtt);
    this.latestRtt = 0;
    this.minRtt = 0;
    this.smoothedRtt = this.initial;
    this.rttvar = this.initial / 2;
    this.samples = 0;
    this.firstSample = -Infinity;
  }
}

function checkRtt(rtt: number): number {
  if (!(rtt > 0) || !Number.isFinite(rtt)) {
    throw new RangeError(
      `initial RTT must be a positive finite number of microseconds, got ${rtt}`,
    );
  }
  return rtt;
}
