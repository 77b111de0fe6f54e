/**
 * Send control of one network path (xquic's send_ctl): the RTT estimator, loss detection, the
 * congestion controller, the pacer and the anti-amplification budget behind one object that the
 * connection asks "may I send, how much, and when must you be woken up".
 *
 * The connection's loop per path:
 * - on each datagram received: `onDatagramReceived(bytes, now)`; for each ACK frame:
 *   `onAckReceived(space, frame, ackDelayMicros, now)` → free `newlyAcked`, requeue `lost`,
 *   then `releaseOutcomes()` (also after handling `onTimeout`);
 * - to send: `sendAllowance(now)` bytes of ack-eliciting/in-flight packets (0 = blocked; then
 *   `nextSendTime(now)` says when pacing lets the next one go); ACK-only packets need only
 *   `ackOnlyAllowance()`. After each packet: `onPacketSent(space, new SentPacket(...))`; after
 *   each datagram: `onDatagramSent(bytes, now)`. After a transmit attempt:
 *   `setAppLimited(ranOutOfData)`;
 * - the anti-amplification budget counts whole datagrams, each once. A connection whose paths
 *   share one send control gives each path its own budget: it passes that budget to the
 *   datagram and validation calls, and `useAmplificationBudget` selects the one that limits
 *   sending (the active path's);
 * - timers: `timerDeadline()`; when it passes, `onTimeout(now)` → requeue `lost`, or send
 *   `probeCount` ack-eliciting probes in `probeSpace` (they bypass window and pacer);
 * - handshake: `onHandshakeKeysAvailable()`, `onAddressValidated(now)` (server),
 *   `onHandshakeConfirmed(now)`, `discardSpace(space, now)` when keys are dropped;
 * - a new peer address: `resetForNewPath(now)` (RFC 9000 §9.4). After a Retry, RFC 9002
 *   §6.3 resets all recovery state: make a new SendControl.
 */
import { PnSpace } from '../ack/pn-space.js';
import type { SentPacket } from '../ack/sent.js';
import { createCongestionController, DEFAULT_CONGESTION_CONTROLLER } from '../cc/registry.js';
import {
  checkMaxDatagramSize,
  initialWindowFor,
  MIN_MAX_DATAGRAM_SIZE,
  type CongestionController,
  type CongestionControllerFactory,
  type CongestionControllerOptions,
} from '../cc/types.js';
import type { AckFrame } from '../wire/frame-types.js';
import { AmplificationBudget } from './amplification.js';
import {
  LossDetection,
  type AckOutcome,
  type LossDetectionOptions,
  type TimeoutOutcome,
} from './loss-detection.js';
import { EcnValidator } from './ecn.js';
import { defaultSendQuantum, Pacer, PACING_GAIN } from './pacer.js';
import { RttEstimator } from './rtt.js';
import { CwndHistory, RecoveryStats, type CwndSample } from './stats.js';

export interface SendControlOptions {
  /** The endpoint's role: servers are bound by the amplification limit until validation. */
  isServer: boolean;
  /**
   * Server only: the client's address is already validated (a valid Retry or NEW_TOKEN token,
   * RFC 9000 §8.1). Default false for servers; clients are never limited.
   */
  addressValidated?: boolean;
  /** Maximum datagram size in bytes (RFC 9000 §14: at least 1200). Default 1200. */
  maxDatagramSize?: number;
  /** kInitialRtt in microseconds (RFC 9002 §6.2.2). Default 333 000. */
  initialRtt?: number;
  /** The peer's max_ack_delay in microseconds, once known. Default 25 000. */
  peerMaxAckDelay?: number;
  /**
   * A registered controller name ('newreno', 'cubic', ...), an instance, or a factory (a
   * connection's choice, src/cc/choice.ts) that makes one per path. Default 'cubic'.
   */
  congestionController?: string | CongestionController | CongestionControllerFactory;
  /** Options for a controller created by name (maxDatagramSize is filled in). */
  congestionControllerOptions?: CongestionControllerOptions;
  /** Pace in-flight packets (RFC 9002 §7.7). Default true. */
  pacing?: boolean;
  /** Probe packets per PTO, 1 or 2 (RFC 9002 §6.2.4). Default 2. */
  probePackets?: 1 | 2;
  /** kPacketThreshold. Default 3. */
  packetThreshold?: number;
  /** kTimeThreshold. Default 9/8. */
  timeThreshold?: number;
  /** How many congestion window changes `cwndHistory()` keeps. Default 64. */
  cwndHistorySize?: number;
  /** The host's socket sets the ECN codepoint: mark and validate (RFC 9000 §13.4). Default false. */
  ecn?: boolean;
}

export class SendControl<T = unknown> {
  readonly rtt: RttEstimator;
  private controller: CongestionController;
  /** Makes a fresh controller of the same kind and options on a path change. */
  private readonly newController: CongestionControllerFactory;
  readonly lossDetection: LossDetection<T>;
  /** The budget sending is limited by: our own, or the active path's (`useAmplificationBudget`). */
  private amp: AmplificationBudget;
  /** null when pacing is disabled. */
  readonly pacer: Pacer | null;
  readonly stats = new RecoveryStats();
  /** ECN marking and validation of this path (RFC 9000 §13.4.2). */
  readonly ecn: EcnValidator;
  private readonly history: CwndHistory;
  /**
   * Ack-eliciting packets that may ignore the window and the pacer: PTO probes (RFC 9002 §7.5)
   * and the one packet allowed on entering recovery (§7.3.2, §B.6 MaybeSendOnePacket).
   */
  private bypass = 0;
  private appLimitedFlag = false;

  constructor(options: SendControlOptions) {
    const mds = checkMaxDatagramSize(options.maxDatagramSize ?? MIN_MAX_DATAGRAM_SIZE);
    this.rtt = new RttEstimator(options.initialRtt);
    if (options.peerMaxAckDelay !== undefined) this.setPeerMaxAckDelay(options.peerMaxAckDelay);
    const cc = options.congestionController ?? DEFAULT_CONGESTION_CONTROLLER;
    const ccOptions = { ...options.congestionControllerOptions };
    if (typeof cc === 'function') {
      this.newController = (o) => cc({ ...ccOptions, ...o });
      this.controller = cc({ ...ccOptions, maxDatagramSize: mds });
    } else {
      const name = typeof cc === 'string' ? cc : cc.name;
      this.newController = (o) => createCongestionController(name, { ...ccOptions, ...o });
      if (typeof cc === 'string') {
        this.controller = this.newController({ maxDatagramSize: mds });
      } else {
        this.controller = cc;
        if (cc.maxDatagramSize !== mds) cc.setMaxDatagramSize(mds);
      }
    }
    this.amp = new AmplificationBudget(!options.isServer || options.addressValidated === true);
    this.ecn = new EcnValidator(options.ecn === true);
    this.pacer = options.pacing === false ? null : new Pacer(initialWindowFor(mds));
    const ldOptions: LossDetectionOptions = {
      isServer: options.isServer,
      rtt: this.rtt,
      cc: this.cc,
      // Whichever budget is in force: the active path's may be swapped in later.
      amplification: { isBlocked: () => this.amp.isBlocked() },
      stats: this.stats,
    };
    if (options.probePackets !== undefined) ldOptions.probePackets = options.probePackets;
    if (options.packetThreshold !== undefined) ldOptions.packetThreshold = options.packetThreshold;
    if (options.timeThreshold !== undefined) ldOptions.timeThreshold = options.timeThreshold;
    this.lossDetection = new LossDetection<T>(ldOptions);
    this.history = new CwndHistory(options.cwndHistorySize ?? 64);
    this.history.record(0, this.cc.window, this.cc.ssthresh, 0);
  }

  /** The anti-amplification budget that limits sending (RFC 9000 §8.1). */
  get amplification(): AmplificationBudget {
    return this.amp;
  }

  /**
   * Sending is limited by `budget` from now on: the connection moved to the path that owns it
   * (RFC 9000 §9.3.1: each unvalidated peer address has a budget of its own). The PTO is
   * re-evaluated for it (RFC 9002 §6.2.2.1).
   */
  useAmplificationBudget(budget: AmplificationBudget, now: number): void {
    if (budget === this.amp) return;
    this.amp = budget;
    this.lossDetection.rearm(now);
  }

  /** The path's congestion controller (replaced by `resetForNewPath`). */
  get cc(): CongestionController {
    return this.controller;
  }

  /** Bytes in flight (RFC 9002 §B.2). */
  get bytesInFlight(): number {
    return this.lossDetection.bytesInFlight;
  }

  /** The congestion window in bytes. */
  get cwnd(): number {
    return this.cc.window;
  }

  get maxDatagramSize(): number {
    return this.cc.maxDatagramSize;
  }

  /** Consecutive PTO expirations (pto_count). */
  get ptoCount(): number {
    return this.lossDetection.ptoCount;
  }

  /** Probe (or recovery) packets still allowed past the window and the pacer. */
  get pendingProbes(): number {
    return this.bypass;
  }

  /** The largest window seen on this path. */
  get maxCwnd(): number {
    return this.history.maxCwnd;
  }

  /** Recent congestion window changes, oldest first (for qlog metrics_updated and stats). */
  cwndHistory(): CwndSample[] {
    return this.history.samples();
  }

  /** When the loss detection timer fires (earliest loss time or PTO), Infinity for none. */
  timerDeadline(): number {
    return this.lossDetection.timerDeadline;
  }

  hasAckElicitingInFlight(space: PnSpace): boolean {
    return this.lossDetection.hasAckElicitingInFlight(space);
  }

  /**
   * Bytes of in-flight packets the path accepts at `now`: what the congestion window leaves
   * (RFC 9002 §7: bytes in flight may not exceed it), 0 while the pacer holds packets back,
   * and never more than the anti-amplification budget. A pending probe is allowed one full
   * datagram regardless of window and pacer (§7.5). Less than a full datagram of window is no
   * allowance while packets are in flight (`windowRoom`).
   */
  sendAllowance(now: number): number {
    const amp = this.amp.allowance();
    if (amp === 0) return 0;
    if (this.bypass > 0) {
      const room = this.cc.window - this.lossDetection.bytesInFlight;
      return Math.min(Math.max(room, this.cc.maxDatagramSize), amp);
    }
    const room = this.windowRoom();
    if (room === 0) return 0;
    if (this.pacer !== null && this.pacedUntil(now) > now) return 0;
    return Math.min(room, amp);
  }

  /** Whether an in-flight packet may be sent now. */
  canSend(now: number): boolean {
    return this.sendAllowance(now) > 0;
  }

  /**
   * When the next in-flight packet may be sent: `now` if it may go now, the pacer's release time
   * if only pacing holds it back, Infinity if the window or the amplification limit blocks it
   * (they open on an ACK or a received datagram, not with time).
   */
  nextSendTime(now: number): number {
    if (this.amp.allowance() === 0) return Infinity;
    if (this.bypass > 0) return now;
    if (this.windowRoom() === 0) return Infinity;
    return this.pacer === null ? now : this.pacedUntil(now);
  }

  /** What the amplification limit leaves for a packet that is not congestion controlled (ACK-only). */
  ackOnlyAllowance(): number {
    return this.amp.allowance();
  }

  /**
   * A packet was sent in `space` (every packet, ACK-only included). Its bytes reach the
   * amplification budget with its datagram (`onDatagramSent`).
   */
  onPacketSent(space: PnSpace, packet: SentPacket<T>): void {
    const now = packet.timeSent;
    if (this.ecn.marking) {
      packet.ecnMarked = true;
      this.ecn.onPacketSent(space, true);
    }
    if (packet.inFlight) {
      if (this.bypass > 0 && packet.ackEliciting) {
        this.bypass--;
      } else if (this.pacer !== null) {
        this.updatePacingRate(now);
        this.pacer.onPacketSent(packet.size, now);
      }
    }
    this.lossDetection.onPacketSent(space, packet);
  }

  /**
   * A datagram of `bytes` was sent (RFC 9000 §8.1: all of it counts, whatever it carries —
   * packets recorded with `onPacketSent`, probes, CONNECTION_CLOSE), charged to `budget`: the
   * budget in force unless the datagram went to another path. If that spends the budget in
   * force, the PTO armed by the datagram's packets is withdrawn (RFC 9002 §6.2.2.1).
   */
  onDatagramSent(bytes: number, now: number, budget: AmplificationBudget = this.amp): void {
    const wasBlocked = budget.isBlocked();
    budget.onBytesSent(bytes);
    this.ecn.onDatagramSent();
    if (budget === this.amp && !wasBlocked && budget.isBlocked()) this.lossDetection.rearm(now);
  }

  /**
   * An ACK frame arrived in `space`. `ackDelay` is the decoded ACK Delay in microseconds. The
   * returned outcome is reused by the next call. Throws QuicError PROTOCOL_VIOLATION for an ACK
   * of a packet never sent (RFC 9000 §13.1).
   */
  onAckReceived(space: PnSpace, ack: AckFrame, ackDelay: number, now: number): AckOutcome<T> {
    const out = this.lossDetection.onAckReceived(space, ack, ackDelay, now);
    if (ack.ranges.length > 0)
      this.ecn.onAck(space, ack.ranges[0]!.largest, ack.ecn, out.newlyAcked);
    if (out.lost.length > 0) this.ecn.onLost(out.lost);
    if (out.newlyAcked.length > 0) this.bypass = 0;
    if (out.recoveryStarted) this.bypass = Math.max(this.bypass, 1);
    this.recordWindow(now);
    return out;
  }

  /** The caller has consumed the last ACK or timeout outcome: forget the packets it listed. */
  releaseOutcomes(): void {
    this.lossDetection.releaseOutcomes();
  }

  /** The loss detection timer fired (call when `now >= timerDeadline()`). */
  onTimeout(now: number): TimeoutOutcome<T> {
    const out = this.lossDetection.onTimeout(now);
    if (out.lost.length > 0) this.ecn.onLost(out.lost);
    if (out.probeCount > 0) this.bypass = Math.max(this.bypass, out.probeCount);
    if (out.recoveryStarted) this.bypass = Math.max(this.bypass, 1);
    this.recordWindow(now);
    return out;
  }

  /**
   * A datagram of `bytes` arrived (count it even if no packet in it could be processed, RFC
   * 9000 §8.1), credited to `budget`: the budget in force unless it came on another path. If it
   * lifts a blocked limit in force the PTO is re-armed (RFC 9002 §6.2.2.1): when
   * `timerDeadline()` is then already past, call `onTimeout` now.
   */
  onDatagramReceived(bytes: number, now: number, budget: AmplificationBudget = this.amp): void {
    const wasBlocked = budget.isBlocked();
    budget.onDatagramReceived(bytes);
    if (budget === this.amp && wasBlocked && !budget.isBlocked()) this.lossDetection.rearm(now);
  }

  /** The peer's address is validated (RFC 9000 §8.1): no amplification limit on `budget`. */
  onAddressValidated(now: number, budget: AmplificationBudget = this.amp): void {
    if (budget.validated) return;
    budget.validate();
    if (budget === this.amp) this.lossDetection.rearm(now);
  }

  /** Handshake keys are available (the client's anti-deadlock probe uses them). */
  onHandshakeKeysAvailable(): void {
    this.lossDetection.onHandshakeKeysAvailable();
  }

  /** The handshake is confirmed (RFC 9001 §4.1.2): Application Data PTO, max_ack_delay limit. */
  onHandshakeConfirmed(now: number): void {
    this.lossDetection.onHandshakeConfirmed(now);
  }

  /** Initial or Handshake keys were discarded (RFC 9002 §6.4). Returns the dropped packets. */
  discardSpace(space: PnSpace, now: number): SentPacket<T>[] {
    return this.lossDetection.discardSpace(space, now);
  }

  /** 0-RTT was rejected: returns the 0-RTT packets, whose data must be resent (RFC 9002 §6.4). */
  onZeroRttRejected(now: number): SentPacket<T>[] {
    return this.lossDetection.onZeroRttRejected(now);
  }

  /** A packet number the connection skipped on purpose (optimistic-ACK detection, §21.4). */
  onPacketNumberSkipped(space: PnSpace, pn: number): void {
    this.lossDetection.onPacketNumberSkipped(space, pn);
  }

  /**
   * RFC 9000 §9.4: the peer moved to a new address (more than a port change): restart the
   * congestion controller (a fresh instance of the same registered name) and the RTT estimator
   * from their initial values. Packets already sent stay tracked for their frames but no longer
   * count in bytes in flight, the new window or the new RTT.
   */
  resetForNewPath(now: number, initialRtt?: number): void {
    const cc = this.newController({ maxDatagramSize: this.controller.maxDatagramSize });
    this.controller.close?.();
    this.controller = cc;
    this.rtt.reset(initialRtt);
    this.lossDetection.resetCongestionState(cc);
    this.pacer?.reset();
    this.bypass = 0;
    this.ecn.restart();
    this.lossDetection.rearm(now);
    this.recordWindow(now);
  }

  /** The peer's max_ack_delay transport parameter, in microseconds. */
  setPeerMaxAckDelay(microseconds: number): void {
    if (!(microseconds >= 0) || !Number.isFinite(microseconds)) {
      throw new RangeError(`max_ack_delay must be a non-negative number, got ${microseconds}`);
    }
    this.rtt.maxAckDelay = microseconds;
  }

  /** The path's maximum datagram size changed (DPLPMTUD, RFC 9000 §14.3; RFC 9002 §7.2). */
  setMaxDatagramSize(bytes: number): void {
    this.cc.setMaxDatagramSize(bytes);
    this.pacer?.setBurst(initialWindowFor(bytes));
  }

  /**
   * Reports how the last transmit attempt ended: true when the sender ran out of data while the
   * window and pacer still had room (application or flow-control limited, RFC 9002 §7.8), false
   * when the window, the pacer or the amplification limit stopped it. While limited, the window
   * does not grow.
   */
  setAppLimited(limited: boolean): void {
    this.appLimitedFlag = limited;
    const window = this.cc.window;
    const inFlight = this.lossDetection.bytesInFlight;
    // Only an underused window counts: if it is full anyway the sender is window limited.
    this.lossDetection.appLimited = limited
      ? window - inFlight >= this.cc.maxDatagramSize
      : this.pacingHeldBackLittle(window, inFlight);
    if (this.lossDetection.appLimited) this.lossDetection.markAppLimited();
  }

  /**
   * RFC 9002 §7.8: a sender stopped by its pacer is not application limited, since without the
   * pacing delay it would have filled the window. That holds while the pacer runs at its rate,
   * 1.25 windows per smoothed RTT (§7.7), which keeps about a window in flight. A sender that
   * keeps less than half its window in flight although only the pacer stopped it is held back by
   * something else: a host that cannot send at that rate, or, with the send quantum, one that
   * sends once per wake-up. Its window counts as underused, or it would grow without end (seen on
   * loopback: 150 MB windows with 1 MB in flight). Controllers that pace themselves (BBR keeps
   * half its window in flight by design) are left to their own accounting.
   */
  private pacingHeldBackLittle(window: number, inFlight: number): boolean {
    return this.pacer !== null && this.cc.pacingRate === undefined && 2 * inFlight < window;
  }

  /** The last value given to `setAppLimited`. */
  get appLimited(): boolean {
    return this.appLimitedFlag;
  }

  /**
   * What the window leaves for in-flight packets: RFC 9002 §7 forbids a packet that would take
   * bytes in flight above the window (the window may not be overrun "by one packet"). Less than
   * a full datagram counts as nothing while packets are in flight, so the sender waits for the
   * next ACK instead of filling the sliver with a small packet: in congestion avoidance the
   * window grows by a fraction of a datagram per ACK (§7.3.3), and sizing packets to the sliver
   * would add a short packet (its header, AEAD tag and ACK processing on both sides) to nearly
   * every ACK for a few hundred bytes, while waiting leaves less than one datagram of the window
   * unused. With nothing in flight no ACK will come: the window (never below 2 datagrams,
   * §7.2) is used whatever its size.
   */
  private windowRoom(): number {
    const inFlight = this.lossDetection.bytesInFlight;
    const room = this.cc.window - inFlight;
    if (room <= 0 || (room < this.cc.maxDatagramSize && inFlight > 0)) return 0;
    return room;
  }

  private pacedUntil(now: number): number {
    this.updatePacingRate(now);
    return this.pacer!.nextSendTime(now, this.cc.maxDatagramSize);
  }

  /**
   * RFC 9002 §7.7: rate = N * cwnd / smoothed_rtt, unless the controller paces itself; the send
   * quantum is the controller's, or 1 ms at that rate (pacer.ts).
   */
  private updatePacingRate(now: number): void {
    const pacer = this.pacer!;
    const cc = this.cc;
    let rate: number;
    if (cc.pacingRate !== undefined) {
      rate = cc.pacingRate(this.rtt);
    } else {
      const srtt = this.rtt.smoothed;
      rate = srtt > 0 ? (PACING_GAIN * cc.window * 1_000_000) / srtt : Infinity;
    }
    if (!(rate > 0)) rate = Infinity;
    pacer.setRate(rate, now);
    pacer.setQuantum(
      cc.sendQuantum !== undefined
        ? cc.sendQuantum(this.rtt)
        : defaultSendQuantum(rate, cc.maxDatagramSize),
    );
  }

  private recordWindow(now: number): void {
    this.history.record(now, this.cc.window, this.cc.ssthresh, this.lossDetection.bytesInFlight);
  }
}
