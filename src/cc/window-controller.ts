/**
 * What loss-based window controllers share (RFC 9002 §7): initial and minimum window, slow start
 * (optionally with HyStart++), the recovery period, application-limited handling, and datagram
 * size changes. NewReno and CUBIC differ only in how they reduce the window and how they grow it
 * in congestion avoidance.
 */
import { HyStartPlusPlus, SlowStartPhase } from './hystart.js';
import {
  checkMaxDatagramSize,
  initialWindowFor,
  MIN_MAX_DATAGRAM_SIZE,
  type AckedPacket,
  type CongestionController,
  type CongestionControllerOptions,
  type CongestionState,
  type RttSnapshot,
} from './types.js';
import { booleanOption, checkOptionNames, numberOption } from './options.js';

/** The options every window controller understands (see CongestionControllerOptions). */
export const WINDOW_CONTROLLER_OPTIONS: readonly string[] = [
  'maxDatagramSize',
  'initialWindow',
  'minimumWindowPackets',
  'hystart',
];

export abstract class WindowController implements CongestionController {
  abstract readonly name: string;

  /** Congestion window in bytes; may be fractional inside (CUBIC), `window` floors it. */
  protected cwnd: number;
  protected ssthreshBytes = Infinity;
  /**
   * Start of the current recovery period: packets sent at or before it neither grow the window
   * nor start another reduction (RFC 9002 §7.3.2, §B.5 InCongestionRecovery).
   */
  protected recoveryStartTime = -Infinity;
  /** Until a packet sent after `recoveryStartTime` is acknowledged (RFC 9002 §7.3.2). */
  protected inRecovery = false;
  protected mds: number;
  protected readonly hystart: HyStartPlusPlus | null;
  private appLimited = false;
  private readonly initialWindowOverride: number | undefined;
  private readonly minimumWindowPackets: number;

  /**
   * `controller` names the subclass in error messages (its `name` is not set yet); `known` lists
   * the options it understands.
   */
  constructor(
    options: CongestionControllerOptions,
    hystartByDefault: boolean,
    controller: string,
    known: readonly string[],
  ) {
    checkOptionNames(controller, options, known);
    this.mds = checkMaxDatagramSize(options.maxDatagramSize ?? MIN_MAX_DATAGRAM_SIZE);
    this.minimumWindowPackets = numberOption(
      controller,
      'minimumWindowPackets',
      options.minimumWindowPackets,
      2,
      { min: 1, max: 1000, integer: true },
    );
    if (options.initialWindow !== undefined) {
      this.initialWindowOverride = numberOption(
        controller,
        'initialWindow',
        options.initialWindow,
        0,
        { min: this.minimumWindow, max: 2 ** 30, integer: true },
      );
    }
    this.cwnd = this.initialWindow;
    const hystart = booleanOption(controller, 'hystart', options.hystart, hystartByDefault);
    this.hystart = hystart ? new HyStartPlusPlus() : null;
  }

  get window(): number {
    return Math.floor(this.cwnd);
  }

  get ssthresh(): number {
    return this.ssthreshBytes;
  }

  get maxDatagramSize(): number {
    return this.mds;
  }

  /** kMinimumWindow (RFC 9002 §7.2): 2 * max_datagram_size by default. */
  get minimumWindow(): number {
    return this.minimumWindowPackets * this.mds;
  }

  /** kInitialWindow (RFC 9002 §7.2). */
  get initialWindow(): number {
    return this.initialWindowOverride ?? initialWindowFor(this.mds);
  }

  get state(): CongestionState {
    if (this.inRecovery) return 'recovery';
    if (this.appLimited) return 'application_limited';
    if (this.cwnd < this.ssthreshBytes) {
      return this.hystart?.inConservativeSlowStart === true
        ? 'conservative_slow_start'
        : 'slow_start';
    }
    return 'congestion_avoidance';
  }

  onPacketSent(_bytes: number, now: number, _bytesInFlight: number): void {
    this.hystart?.onPacketSent(now);
  }

  onPacketsAcked(
    acked: readonly AckedPacket[],
    now: number,
    rtt: RttSnapshot,
    appLimited: boolean,
  ): void {
    let largestSent = -Infinity;
    for (let i = 0; i < acked.length; i++) {
      const p = acked[i]!;
      if (p.timeSent > largestSent) largestSent = p.timeSent;
    }
    if (largestSent === -Infinity) return;
    // RFC 9002 §7.3.2: recovery ends when a packet sent during it is acknowledged.
    if (this.inRecovery && largestSent > this.recoveryStartTime) this.inRecovery = false;
    this.appLimited = appLimited;
    // RFC 9002 §7.8: an underused window must not grow, in slow start or avoidance.
    if (appLimited) {
      this.onAppLimitedAck(now);
      return;
    }
    let phase: SlowStartPhase = SlowStartPhase.Standard;
    // RFC 9406 §4.3: HyStart++ only in the initial slow start (ssthresh still infinite).
    if (this.hystart !== null && this.ssthreshBytes === Infinity) {
      phase = this.hystart.onAck(largestSent, rtt);
      if (phase === SlowStartPhase.Exit) this.ssthreshBytes = this.cwnd;
    }
    for (let i = 0; i < acked.length; i++) {
      const p = acked[i]!;
      if (p.timeSent <= this.recoveryStartTime) continue;
      if (this.cwnd < this.ssthreshBytes) {
        // RFC 9002 §7.3.1 (RFC 9406 §4.2 divides the growth in Conservative Slow Start).
        this.cwnd += phase === SlowStartPhase.Conservative ? p.size / 4 : p.size;
      } else {
        this.growInAvoidance(p.size, now, rtt);
      }
    }
  }

  onCongestionEvent(sentTime: number, now: number): boolean {
    // RFC 9002 §7.3.2: no further reduction within a recovery period.
    if (sentTime <= this.recoveryStartTime) return false;
    this.recoveryStartTime = now;
    this.inRecovery = true;
    this.reduceWindow(now);
    return true;
  }

  onPersistentCongestion(now: number): void {
    // RFC 9002 §7.6.2 and §B.8: minimum window, and the recovery period is over.
    this.cwnd = this.minimumWindow;
    this.recoveryStartTime = -Infinity;
    this.inRecovery = false;
    this.onCollapse(now);
  }

  setMaxDatagramSize(bytes: number): void {
    const oldInitial = this.initialWindow;
    this.mds = checkMaxDatagramSize(bytes);
    // RFC 9002 §7.2: recompute the initial window with the new size; a window that never moved
    // from the initial one follows it (also when the size shrank to complete the handshake).
    if (this.ssthreshBytes === Infinity && this.cwnd === oldInitial) this.cwnd = this.initialWindow;
    if (this.cwnd < this.minimumWindow) this.cwnd = this.minimumWindow;
  }

  /** Growth for `bytes` newly acknowledged in congestion avoidance. */
  protected abstract growInAvoidance(bytes: number, now: number, rtt: RttSnapshot): void;

  /** Sets ssthresh and the window on entering a recovery period. */
  protected abstract reduceWindow(now: number): void;

  /** Extra state to reset after persistent congestion. */
  protected abstract onCollapse(now: number): void;

  /** An ACK arrived while application limited (the window stays as it is). */
  protected onAppLimitedAck(_now: number): void {}
}
