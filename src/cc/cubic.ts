/**
 * CUBIC (RFC 9438) on QUIC's recovery rules (RFC 9002): the window follows
 * W_cubic(t) = C * (t - K)^3 + W_max from the start of each congestion avoidance stage, never
 * slower than an equivalent Reno flow (the Reno-friendly region), drops by beta = 0.7 on
 * congestion with fast convergence, and can undo a reduction that proved spurious. The initial
 * slow start uses HyStart++ (RFC 9406) unless disabled.
 *
 * RFC 9438 counts windows in segments and time in seconds; here windows are bytes (a segment is
 * the maximum datagram size) and times microseconds, converted where the formula needs them.
 */
import { booleanOption, numberOption } from './options.js';
import type { AckedPacket, CongestionControllerOptions, RttSnapshot } from './types.js';
import { WindowController, WINDOW_CONTROLLER_OPTIONS } from './window-controller.js';

/** RFC 9438 §5.1 constants (the defaults of `CubicOptions.c` and `beta`). */
export const CUBIC_C = 0.4;
export const CUBIC_BETA = 0.7;
/** RFC 9438 §4.3: alpha_cubic = 3 * (1 - beta) / (1 + beta). */
export const CUBIC_ALPHA = (3 * (1 - CUBIC_BETA)) / (1 + CUBIC_BETA);

const MICROS_PER_SECOND = 1_000_000;

/** CUBIC's options: the common ones and the constants of RFC 9438 §5.1. */
export interface CubicOptions extends CongestionControllerOptions {
  /** C, the aggressiveness of the cubic curve in segments per second cubed (RFC 9438 §5.1). Default 0.4. */
  c?: number;
  /** beta_cubic, the multiplicative decrease factor, in (0, 1) (RFC 9438 §4.6). Default 0.7. */
  beta?: number;
}

const CUBIC_OPTIONS = [...WINDOW_CONTROLLER_OPTIONS, 'fastConvergence', 'c', 'beta'];

/** State restored when a reduction proves spurious (RFC 9438 §4.9). */
interface CubicUndo {
  cwnd: number;
  ssthresh: number;
  wMax: number;
  wMaxUnset: boolean;
  cwndPrior: number;
  epochStart: number;
  k: number;
  cwndEpoch: number;
  wEst: number;
}

export class Cubic extends WindowController {
  readonly name = 'cubic';
  private readonly fastConvergence: boolean;
  private readonly c: number;
  private readonly beta: number;
  /** alpha_cubic for this beta (RFC 9438 §4.3). */
  private readonly alpha: number;

  /** W_max: window just before the last reduction, bytes (RFC 9438 §4.1.2). */
  private wMax = 0;
  /**
   * No usable W_max: before the first congestion event (HyStart++ exit) and after persistent
   * congestion. The next avoidance stage then starts with K = 0 and W_max = cwnd_epoch
   * (RFC 9438 §4.8, §4.10).
   */
  private wMaxUnset = true;
  /** cwnd_prior: window before the last reduction, for alpha_cubic (RFC 9438 §4.3). */
  private cwndPrior = 0;
  /** t_epoch: start of the current avoidance stage, -Infinity when none started yet. */
  private epochStart = -Infinity;
  /** K in seconds. */
  private k = 0;
  private cwndEpoch = 0;
  /** W_est: the Reno-friendly window estimate, bytes (RFC 9438 §4.3). */
  private wEst = 0;
  /** Start of the application-limited period inside an avoidance stage, or -Infinity. */
  private appLimitedSince = -Infinity;
  private undo: CubicUndo | null = null;

  constructor(options: CubicOptions = {}) {
    super(options, true, 'cubic', CUBIC_OPTIONS);
    this.fastConvergence = booleanOption('cubic', 'fastConvergence', options.fastConvergence, true);
    this.c = numberOption('cubic', 'c', options.c, CUBIC_C, {
      min: 0,
      max: 100,
      exclusiveMin: true,
    });
    this.beta = numberOption('cubic', 'beta', options.beta, CUBIC_BETA, {
      min: 0,
      max: 0.99,
      exclusiveMin: true,
    });
    this.alpha = (3 * (1 - this.beta)) / (1 + this.beta);
  }

  /** W_max in bytes (for stats and tests). */
  get maxWindowBeforeReduction(): number {
    return this.wMax;
  }

  /** K in seconds for the current avoidance stage. */
  get timeToOrigin(): number {
    return this.k;
  }

  /** W_est in bytes. */
  get renoEstimate(): number {
    return this.wEst;
  }

  /** W_cubic(t) in bytes, t in seconds since the start of the avoidance stage (RFC 9438 §4.2). */
  cubicWindow(t: number): number {
    const d = t - this.k;
    return this.c * d * d * d * this.mds + this.wMax;
  }

  protected growInAvoidance(bytes: number, now: number, rtt: RttSnapshot): void {
    if (this.epochStart === -Infinity) this.startEpoch(now);
    const t = (now - this.epochStart) / MICROS_PER_SECOND;
    const cwnd = this.cwnd;

    // RFC 9438 §4.3: W_est grows like Reno with alpha_cubic, and with alpha 1 once it passes
    // the window before the last reduction.
    const alpha = this.wEst >= this.cwndPrior ? 1 : this.alpha;
    this.wEst += (alpha * this.mds * bytes) / cwnd;

    if (this.cubicWindow(t) < this.wEst) {
      // Reno-friendly region.
      this.cwnd = this.wEst;
      return;
    }
    // RFC 9438 §4.2, §4.4, §4.5: aim at W_cubic one RTT ahead, limited to [cwnd, 1.5 cwnd],
    // and move (target - cwnd) / cwnd segments per segment acknowledged.
    const ahead = this.cubicWindow(t + rtt.smoothed / MICROS_PER_SECOND);
    const target = ahead < cwnd ? cwnd : ahead > 1.5 * cwnd ? 1.5 * cwnd : ahead;
    this.cwnd = cwnd + ((target - cwnd) * bytes) / cwnd;
  }

  protected override onAppLimitedAck(now: number): void {
    // Time spent application limited does not count in t (the curve is frozen), so the window
    // does not jump once the sender fills it again.
    if (this.epochStart !== -Infinity && this.appLimitedSince === -Infinity) {
      this.appLimitedSince = now;
    }
  }

  override onPacketsAcked(
    acked: readonly AckedPacket[],
    now: number,
    rtt: RttSnapshot,
    appLimited: boolean,
  ): void {
    if (!appLimited && this.appLimitedSince !== -Infinity) {
      if (this.epochStart !== -Infinity) this.epochStart += now - this.appLimitedSince;
      this.appLimitedSince = -Infinity;
    }
    super.onPacketsAcked(acked, now, rtt, appLimited);
  }

  protected reduceWindow(): void {
    this.undo = {
      cwnd: this.cwnd,
      ssthresh: this.ssthreshBytes,
      wMax: this.wMax,
      wMaxUnset: this.wMaxUnset,
      cwndPrior: this.cwndPrior,
      epochStart: this.epochStart,
      k: this.k,
      cwndEpoch: this.cwndEpoch,
      wEst: this.wEst,
    };
    // RFC 9438 §4.7 fast convergence: a flow whose W_max shrank releases bandwidth sooner.
    if (this.fastConvergence && !this.wMaxUnset && this.cwnd < this.wMax) {
      this.wMax = (this.cwnd * (1 + this.beta)) / 2;
    } else {
      this.wMax = this.cwnd;
    }
    this.wMaxUnset = false;
    // RFC 9438 §4.6 with cwnd for flight_size, as RFC 9002 does.
    this.cwndPrior = this.cwnd;
    this.ssthreshBytes = Math.max(this.cwnd * this.beta, this.minimumWindow);
    this.cwnd = this.ssthreshBytes;
    this.epochStart = -Infinity;
    this.appLimitedSince = -Infinity;
  }

  protected onCollapse(): void {
    // RFC 9438 §4.8: after a timeout the next avoidance stage starts with K = 0 and
    // W_max = cwnd_epoch. Persistent congestion is not undone.
    this.wMaxUnset = true;
    this.epochStart = -Infinity;
    this.appLimitedSince = -Infinity;
    this.undo = null;
  }

  /** RFC 9438 §4.9: restore the state from before a reduction caused only by spurious losses. */
  onSpuriousCongestion(): void {
    const u = this.undo;
    if (u === null) return;
    this.undo = null;
    this.cwnd = Math.max(this.cwnd, u.cwnd);
    this.ssthreshBytes = u.ssthresh;
    this.wMax = u.wMax;
    this.wMaxUnset = u.wMaxUnset;
    this.cwndPrior = u.cwndPrior;
    this.epochStart = u.epochStart;
    this.k = u.k;
    this.cwndEpoch = u.cwndEpoch;
    this.wEst = u.wEst;
    this.inRecovery = false;
  }

  private startEpoch(now: number): void {
    this.epochStart = now;
    this.cwndEpoch = this.cwnd;
    this.wEst = this.cwnd;
    this.appLimitedSince = -Infinity;
    if (this.wMaxUnset) {
      this.wMax = this.cwnd;
      this.cwndPrior = this.cwnd;
      this.wMaxUnset = false;
      this.k = 0;
    } else {
      // RFC 9438 §4.2: K = cubic_root((W_max - cwnd_epoch) / C), in segments.
      this.k = Math.cbrt((this.wMax - this.cwndEpoch) / this.mds / this.c);
    }
  }
}
