/**
 * Loss detection and the loss detection timer of one path over the three packet number spaces:
 * RFC 9002 §6 and Appendix A, with the congestion signals of Appendix B (bytes in flight,
 * congestion events, ECN-CE, persistent congestion) delivered to the path's controller.
 *
 * Beyond the pseudocode:
 * - an ACK of a packet never sent (above the largest sent, or a deliberately skipped number)
 *   raises PROTOCOL_VIOLATION before any state changes (RFC 9000 §13.1, §21.4);
 * - lost packets keep their records for three PTOs, so a late acknowledgment is reported as a
 *   spurious loss, and when every loss behind the last window reduction proves spurious the
 *   controller may undo it (RFC 9438 §4.9);
 * - persistent congestion is established per packet number space, which RFC 9002 §7.6.2 allows
 *   ("MAY use state for just the packet number space that was acknowledged");
 * - after a path change resets the congestion state (RFC 9000 §9.4), packets sent before it are
 *   still tracked and reported but feed neither the new controller nor the RTT estimate;
 * - the client's anti-deadlock PTO (§6.2.2.1) is armed whenever no Initial or Handshake packet is
 *   in flight before the server is known to have validated the address, even if 0-RTT packets
 *   are in flight (the Application Data PTO cannot be armed before confirmation, so they would
 *   otherwise leave the client without a timer).
 *
 * An increase in the peer's ECN-CE count is a congestion event (RFC 9002 §7.1, §B.7): at most
 * one window reduction per recovery period, like losses. Marking and validating the counts is
 * ecn.ts, driven by the path's SendControl.
 *
 * Results are returned in objects and arrays owned by this instance and reused by the next call:
 * consume them before calling in again.
 */
import { PnSpace, pnSpaceName } from '../ack/pn-space.js';
import { SentPacketLog, SlotState, type SentPacket } from '../ack/sent.js';
import type { CongestionController } from '../cc/types.js';
import { QuicError, TransportError } from '../wire/errors.js';
import { FrameType, type AckFrame, type AckRange } from '../wire/frame-types.js';
import type { AmplificationBudget } from './amplification.js';
import { DeliveryRateSampler } from './delivery-rate.js';
import { GRANULARITY, type RttEstimator } from './rtt.js';
import {
  AckOutcomeImpl,
  TimeoutOutcomeImpl,
  type AckOutcome,
  type TimeoutOutcome,
} from './recovery-outcome.js';
import { RecoveryStats } from './stats.js';
import { emptyKeepingRoom } from '../util/array.js';

export type { AckOutcome, TimeoutOutcome } from './recovery-outcome.js';

/** kPacketThreshold (RFC 9002 §6.1.1). */
export const PACKET_THRESHOLD = 3;
/** kTimeThreshold (RFC 9002 §6.1.2). */
export const TIME_THRESHOLD = 9 / 8;
/** kPersistentCongestionThreshold (RFC 9002 §7.6.1). */
export const PERSISTENT_CONGESTION_THRESHOLD = 3;
/** Lost records (and unacknowledged ACK-only packets) are kept this many PTO periods. */
const RETENTION_PTOS = 3;
/** PTO backoff stops doubling here; the idle timeout ends the connection long before. */
const MAX_PTO_BACKOFF_EXPONENT = 20;
/** Skipped packet numbers remembered per space for detecting optimistic ACKs. */
const SKIPPED_MEMORY = 8;

export interface LossDetectionOptions {
  isServer: boolean;
  rtt: RttEstimator;
  cc: CongestionController;
  /** The path's anti-amplification budget: while it is blocked no PTO is armed (§6.2.2.1). */
  amplification?: Pick<AmplificationBudget, 'isBlocked'>;
  stats?: RecoveryStats;
  /** Probe packets to send per PTO (RFC 9002 §6.2.4: one or two). Default 2. */
  probePackets?: 1 | 2;
  /** kPacketThreshold; RFC 9002 §6.1.1 says not below 3. Default 3. */
  packetThreshold?: number;
  /** kTimeThreshold as an RTT multiplier. Default 9/8. */
  timeThreshold?: number;
  /** kPersistentCongestionThreshold. Default 3. */
  persistentCongestionThreshold?: number;
}

/** Effects of declaring a batch of packets lost. */
const LostEffect = { None: 0, Recovery: 1, Persistent: 2 } as const;

export class LossDetection<T = unknown> {
  readonly stats: RecoveryStats;
  private readonly rtt: RttEstimator;
  private cc: CongestionController;
  private readonly amplification: Pick<AmplificationBudget, 'isBlocked'> | undefined;
  private readonly isServer: boolean;
  private readonly probePackets: number;
  private readonly packetThreshold: number;
  private readonly timeThreshold: number;
  private readonly pcThreshold: number;

  private readonly logs: SentPacketLog<T>[] = [
    new SentPacketLog<T>(),
    new SentPacketLog<T>(),
    new SentPacketLog<T>(),
  ];
  private readonly discarded = [false, false, false];
  /** largest_acked_packet, -1 for "infinite" (none yet). */
  private readonly largestAckedPn = [-1, -1, -1];
  /** loss_time; Infinity when unset. */
  private readonly lossTime = [Infinity, Infinity, Infinity];
  /** time_of_last_ack_eliciting_packet. */
  private readonly lastAckElicitingTime = [-Infinity, -Infinity, -Infinity];
  /** ecn_ce_counters. */
  private readonly ecnCe = [0, 0, 0];
  private readonly skipped: number[][] = [[], [], []];
  /**
   * Packets numbered up to this were sent before the congestion state was reset (RFC 9000 §9.4):
   * they are still tracked for their frames but feed neither the controller nor the RTT.
   */
  private readonly resetPn = [-1, -1, -1];
  /** Scratch for the acknowledged packets the controller sees when some must be left out. */
  private readonly ccAcked: SentPacket<T>[] = [];
  /** Delivery-rate samples for controllers that take them (draft-ietf-ccwg-bbr §4.5.2). */
  private readonly rateSampler = new DeliveryRateSampler();

  private bif = 0;
  private ptoCountValue = 0;
  private timer = Infinity;
  private handshakeConfirmed = false;
  private handshakeKeys = false;
  private handshakeAckReceived = false;
  /** Set by the owner: the sender is not using its window (RFC 9002 §7.8). */
  appLimited = false;

  /**
   * The sender ran out of data with room in its window: rate samples of packets sent until
   * what is in flight now is delivered are application limited (draft-ietf-ccwg-bbr §4.5.2.4).
   */
  markAppLimited(): void {
    this.rateSampler.markAppLimited(this.bif);
  }

  /** Bytes delivered (acknowledged in flight) on the path since its congestion state began. */
  get delivered(): number {
    return this.rateSampler.delivered;
  }

  /** Numbering of loss batches (one per detection pass that found losses). */
  private lossBatches = 0;
  /** First loss batch of the current recovery period, 0 when none. */
  private epochFirstBatch = 0;
  /** Congestion-relevant packets lost in the current period and not (yet) acknowledged. */
  private epochLost = 0;
  /** The current period came from losses only, so it may be undone. */
  private epochUndoable = false;
  /** Slot range of the batch just declared lost, for persistent congestion. */
  private batchFirstIndex = 0;
  private batchLastIndex = -1;

  private readonly ackOutcome = new AckOutcomeImpl<T>();
  private readonly timeoutOutcome = new TimeoutOutcomeImpl<T>();
  private ptoSpaceScratch: PnSpace = PnSpace.Initial;

  constructor(options: LossDetectionOptions) {
    this.isServer = options.isServer;
    this.rtt = options.rtt;
    this.cc = options.cc;
    this.amplification = options.amplification;
    this.stats = options.stats ?? new RecoveryStats();
    this.probePackets = options.probePackets ?? 2;
    if (this.probePackets !== 1 && this.probePackets !== 2) {
      throw new RangeError(`probePackets must be 1 or 2, got ${options.probePackets}`);
    }
    this.packetThreshold = options.packetThreshold ?? PACKET_THRESHOLD;
    if (!Number.isSafeInteger(this.packetThreshold) || this.packetThreshold < 1) {
      throw new RangeError(`packetThreshold must be a positive integer`);
    }
    this.timeThreshold = options.timeThreshold ?? TIME_THRESHOLD;
    if (!(this.timeThreshold >= 1)) throw new RangeError(`timeThreshold must be >= 1`);
    this.pcThreshold = options.persistentCongestionThreshold ?? PERSISTENT_CONGESTION_THRESHOLD;
    if (!(this.pcThreshold > 0)) {
      throw new RangeError(`persistentCongestionThreshold must be positive`);
    }
  }

  /** Bytes of in-flight packets neither acknowledged nor declared lost (RFC 9002 §B.2). */
  get bytesInFlight(): number {
    return this.bif;
  }

  /** pto_count: consecutive PTO expirations without an acknowledgment. */
  get ptoCount(): number {
    return this.ptoCountValue;
  }

  /** When `onTimeout` must be called: the earliest loss time or the PTO; Infinity for none. */
  get timerDeadline(): number {
    return this.timer;
  }

  /** Largest packet number the peer acknowledged in `space`, -1 before any. */
  largestAcked(space: PnSpace): number {
    return this.largestAckedPn[space]!;
  }

  /** When the last ack-eliciting packet in flight was sent in `space`, -Infinity before any. */
  lastAckElicitingSent(space: PnSpace): number {
    return this.lastAckElicitingTime[space]!;
  }

  /** Largest packet number sent in `space`, -1 before any. */
  largestSent(space: PnSpace): number {
    return this.logs[space]!.largestSent;
  }

  /** True when ack-eliciting packets are in flight in `space` (worth probing, §6.2.4). */
  hasAckElicitingInFlight(space: PnSpace): boolean {
    return this.logs[space]!.ackElicitingInFlight > 0;
  }

  /** The sent-packet log of a space (read access for diagnostics and tests). */
  log(space: PnSpace): SentPacketLog<T> {
    return this.logs[space]!;
  }

  /** §6.2.1: the Application Data PTO may be armed; the peer has validated our address. */
  onHandshakeConfirmed(now: number): void {
    if (this.handshakeConfirmed) return;
    this.handshakeConfirmed = true;
    this.setTimer(now);
  }

  /** Handshake keys exist: the anti-deadlock probe goes in a Handshake packet (§6.2.2.1). */
  onHandshakeKeysAvailable(): void {
    this.handshakeKeys = true;
  }

  /**
   * Re-evaluates the timer, e.g. after a datagram unblocked the amplification limit
   * (§A.6 OnDatagramReceived). If the new deadline has passed, the owner runs `onTimeout` now.
   */
  rearm(now: number): void {
    this.setTimer(now);
  }

  /**
   * Records a packet number the connection skipped on purpose: an ACK covering it proves the
   * peer acknowledges packets it never received (RFC 9000 §21.4).
   */
  onPacketNumberSkipped(space: PnSpace, pn: number): void {
    if (!(pn > this.logs[space]!.largestSent)) {
      throw new RangeError(`skipped packet number ${pn} was already used`);
    }
    const list = this.skipped[space]!;
    if (list.length >= SKIPPED_MEMORY) list.shift();
    list.push(pn);
  }

  /**
   * RFC 9000 §9.4: the path changed and its congestion state starts over with `cc` (the owner
   * also resets the RTT estimator). Packets sent so far stay tracked - their acknowledgment or
   * loss is still reported - but leave bytes in flight and no longer reach the controller or the
   * RTT estimate.
   */
  resetCongestionState(cc: CongestionController): void {
    this.cc = cc;
    for (let s = 0; s < 3; s++) this.resetPn[s] = this.logs[s]!.largestSent;
    this.bif = 0;
    this.rateSampler.reset();
    this.epochFirstBatch = 0;
    this.epochLost = 0;
    this.epochUndoable = false;
  }

  /** §A.5 OnPacketSent. The record is kept until acknowledged or lost. */
  onPacketSent(space: PnSpace, packet: SentPacket<T>): void {
    if (this.discarded[space]) {
      throw new RangeError(`packet sent in the discarded ${pnSpaceName(space)} space`);
    }
    const log = this.logs[space]!;
    log.append(packet);
    const now = packet.timeSent;
    this.stats.packetsSent++;
    this.stats.bytesSent += packet.size;
    if (packet.inFlight) {
      if (packet.ackEliciting) this.lastAckElicitingTime[space] = now;
      this.rateSampler.onPacketSent(packet, this.bif);
      this.bif += packet.size;
      this.cc.onPacketSent(packet.size, now, this.bif);
      this.setTimer(now);
    } else {
      this.prune(log, now);
    }
  }

  /**
   * §A.7 OnAckReceived for an ACK frame received in `space` at `now`. `ackDelay` is the decoded
   * ACK Delay in microseconds (field << the peer's ack_delay_exponent). Throws QuicError
   * PROTOCOL_VIOLATION, before changing anything, when the frame acknowledges a packet that was
   * never sent.
   */
  onAckReceived(space: PnSpace, ack: AckFrame, ackDelay: number, now: number): AckOutcome<T> {
    const out = this.ackOutcome;
    out.reset();
    const ranges = ack.ranges;
    if (this.discarded[space] || ranges.length === 0) return out;
    const log = this.logs[space]!;
    const largest = ranges[0]!.largest;
    this.checkAckedWereSent(space, ranges, ack);

    if (largest > this.largestAckedPn[space]!) this.largestAckedPn[space] = largest;
    if (space === PnSpace.Handshake) this.handshakeAckReceived = true;

    // Ranges are descending: walk them backwards so packets come out in increasing order.
    for (let r = ranges.length - 1; r >= 0; r--) {
      const range = ranges[r]!;
      log.ackRange(range.smallest, range.largest, out.newlyAcked, out.ackedAfterLoss);
    }
    if (out.ackedAfterLoss.length > 0) this.onAckedAfterLoss(space, out.ackedAfterLoss, now);
    const acked = out.newlyAcked;
    if (acked.length === 0) return out;

    // §5.1: sample the RTT when the largest acknowledged is newly acknowledged and something
    // ack-eliciting was newly acknowledged.
    const last = acked[acked.length - 1]!;
    const resetPn = this.resetPn[space]!;
    let ackEliciting = false;
    // Packets the controller does not see: not in flight, or sent before a congestion reset.
    let hidden = 0;
    const sampler = this.rateSampler;
    sampler.beginAck();
    for (let i = 0; i < acked.length; i++) {
      const p = acked[i]!;
      if (p.ackEliciting) ackEliciting = true;
      if (!p.inFlight || p.pn <= resetPn) {
        hidden++;
      } else {
        this.bif -= p.size;
        sampler.onPacketAcked(p, now);
      }
      this.stats.bytesAcked += p.size;
    }
    this.stats.packetsAcked += acked.length;
    const lastCounts = last.pn > resetPn;
    if (last.pn === largest && ackEliciting && lastCounts) {
      // §5.3: Initial acknowledgments are never delayed, so their ACK Delay is ignored.
      const delay = space === PnSpace.Initial ? 0 : ackDelay;
      this.rtt.update(now - last.timeSent, delay, now, this.handshakeConfirmed);
      out.rttSampled = true;
    }

    // §B.7 ProcessECN: a higher ECN-CE count is a congestion signal.
    const ecn = ack.ecn;
    if (ecn !== undefined && ecn.ce > this.ecnCe[space]!) {
      const marked = ecn.ce - this.ecnCe[space]!;
      this.ecnCe[space] = ecn.ce;
      if (lastCounts) this.cc.onEcnCongestion?.(marked, now, this.bif);
      if (lastCounts && this.cc.onCongestionEvent(last.timeSent, now)) {
        this.startRecoveryEpoch(false);
        this.stats.ecnCongestionEvents++;
        out.recoveryStarted = true;
      }
    }

    this.detectLost(space, now, out.lost);
    const effect = this.onPacketsLost(space, out.lost, now);
    if (effect !== LostEffect.None) out.recoveryStarted = true;
    if (effect === LostEffect.Persistent) out.persistentCongestion = true;

    // Generated on every ACK: it also ends an application-limited bubble that was delivered.
    const sample = sampler.generate(this.rtt.min);
    if (sample !== null && this.cc.onRateSample !== undefined) {
      this.cc.onRateSample(sample, now, this.rtt, this.bif);
    }
    this.cc.onPacketsAcked(
      hidden === 0 ? acked : this.inFlightSinceReset(acked, resetPn),
      now,
      this.rtt,
      this.appLimited,
    );

    // §6.2.1: reset the backoff, except at a client unsure whether the server validated it.
    if (this.peerCompletedAddressValidation()) this.ptoCountValue = 0;
    this.setTimer(now);
    this.prune(log, now);
    return out;
  }

  /**
   * The owner is done with the last ACK and timeout outcomes: their lists let go of the packet
   * records (and the frames in them), which would otherwise stay reachable until the next call -
   * on an idle connection, indefinitely.
   */
  releaseOutcomes(): void {
    this.ackOutcome.reset();
    this.timeoutOutcome.reset();
  }

  /**
   * §A.9 OnLossDetectionTimeout. Declares packets lost by the time threshold, or asks for probe
   * packets. Does nothing before the deadline.
   */
  onTimeout(now: number): TimeoutOutcome<T> {
    const out = this.timeoutOutcome;
    out.reset();
    if (now < this.timer) return out;

    const lossSpace = this.earliestLossSpace();
    if (lossSpace !== null) {
      this.detectLost(lossSpace, now, out.lost);
      const effect = this.onPacketsLost(lossSpace, out.lost, now);
      if (effect !== LostEffect.None) out.recoveryStarted = true;
      if (effect === LostEffect.Persistent) out.persistentCongestion = true;
      this.setTimer(now);
      return out;
    }

    if (this.needsAntiDeadlockProbe()) {
      // §6.2.2.1: the client unblocks a server that may be at its amplification limit.
      out.probeSpace = this.handshakeKeys ? PnSpace.Handshake : PnSpace.Initial;
      out.probeCount = 1;
    } else {
      if (this.ptoTime(now) === Infinity) {
        // Nothing to probe any more (e.g. acknowledged meanwhile); just re-evaluate.
        this.setTimer(now);
        return out;
      }
      out.probeSpace = this.ptoSpaceScratch;
      out.probeCount = this.probePackets;
    }
    if (this.ptoCountValue < MAX_PTO_BACKOFF_EXPONENT) this.ptoCountValue++;
    this.stats.ptoExpirations++;
    this.setTimer(now);
    return out;
  }

  /**
   * §6.4, §A.11: Initial or Handshake keys were discarded. Their packets leave bytes in flight
   * and the timers are re-evaluated. Returns the outstanding packets that were dropped.
   */
  discardSpace(space: PnSpace, now: number): SentPacket<T>[] {
    if (this.discarded[space]) return [];
    const dropped = this.dropOutstanding(space);
    this.discarded[space] = true;
    this.lossTime[space] = Infinity;
    this.lastAckElicitingTime[space] = -Infinity;
    this.ptoCountValue = 0;
    this.setTimer(now);
    return dropped;
  }

  /**
   * §6.4: 0-RTT was rejected, so the packets sent so far in the Application Data space (all
   * 0-RTT) can never be acknowledged. Returns them: their data must be sent again in 1-RTT.
   */
  onZeroRttRejected(now: number): SentPacket<T>[] {
    const dropped = this.dropOutstanding(PnSpace.Application);
    this.lossTime[PnSpace.Application] = Infinity;
    this.lastAckElicitingTime[PnSpace.Application] = -Infinity;
    this.setTimer(now);
    return dropped;
  }

  private dropOutstanding(space: PnSpace): SentPacket<T>[] {
    const dropped: SentPacket<T>[] = [];
    this.logs[space]!.clear(dropped);
    const resetPn = this.resetPn[space]!;
    for (const p of dropped) if (p.inFlight && p.pn > resetPn) this.bif -= p.size;
    this.skipped[space]!.length = 0;
    return dropped;
  }

  /** RFC 9000 §13.1: an acknowledgment of a packet never sent is a PROTOCOL_VIOLATION. */
  private checkAckedWereSent(space: PnSpace, ranges: readonly AckRange[], ack: AckFrame): void {
    const largest = ranges[0]!.largest;
    const frameType = ack.ecn !== undefined ? FrameType.ACK_ECN : FrameType.ACK;
    if (largest > this.logs[space]!.largestSent) {
      throw new QuicError(
        TransportError.PROTOCOL_VIOLATION,
        `ACK of unsent packet ${largest} in the ${pnSpaceName(space)} space`,
        frameType,
      );
    }
    const skipped = this.skipped[space]!;
    for (let i = 0; i < skipped.length; i++) {
      const pn = skipped[i]!;
      if (rangesContain(ranges, pn)) {
        throw new QuicError(
          TransportError.PROTOCOL_VIOLATION,
          `ACK of skipped packet number ${pn} in the ${pnSpaceName(space)} space`,
          frameType,
        );
      }
    }
  }

  /** §6.1, §A.10 DetectAndRemoveLostPackets; appends the newly lost packets to `out`. */
  private detectLost(space: PnSpace, now: number, out: SentPacket<T>[]): void {
    this.lossTime[space] = Infinity;
    this.batchLastIndex = -1;
    const largestAcked = this.largestAckedPn[space]!;
    if (largestAcked < 0) return;
    const rtt = this.rtt;
    const lossDelay = Math.max(
      this.timeThreshold * Math.max(rtt.latest, rtt.smoothed),
      GRANULARITY,
    );
    const log = this.logs[space]!;
    const end = log.endIndex();
    let batch = 0;
    let lossTime = Infinity;
    for (let i = log.firstOutstandingIndex(); i < end; i = log.nextLive(i + 1)) {
      if (log.stateAt(i) !== SlotState.Outstanding) continue;
      const pn = log.pnAt(i);
      if (pn > largestAcked) break;
      const p = log.packetAt(i)!;
      // Compare `timeSent + lossDelay` with now exactly as the loss timer is set below, so that
      // floating-point rounding cannot leave a timer that fires without declaring the loss.
      if (p.timeSent + lossDelay <= now || largestAcked >= pn + this.packetThreshold) {
        if (batch === 0) {
          batch = ++this.lossBatches;
          this.batchFirstIndex = i;
        }
        this.batchLastIndex = i;
        log.markLost(i);
        p.lossBatch = batch;
        out.push(p);
      } else {
        const t = p.timeSent + lossDelay;
        if (t < lossTime) lossTime = t;
      }
    }
    this.lossTime[space] = lossTime;
  }

  /** §B.8 OnPacketsLost: bytes in flight, congestion event, persistent congestion. */
  private onPacketsLost(space: PnSpace, lost: readonly SentPacket<T>[], now: number): number {
    if (lost.length === 0) return LostEffect.None;
    let sentTimeOfLastLoss = -Infinity;
    let congestionLost = 0;
    for (let i = 0; i < lost.length; i++) {
      const p = lost[i]!;
      this.stats.packetsLost++;
      this.stats.bytesLost += p.size;
      if (!p.inFlight || p.pn <= this.resetPn[space]!) continue;
      this.bif -= p.size;
      // RFC 9000 §14.4: a lost PMTU probe says nothing about congestion.
      if (p.pmtuProbe) continue;
      this.rateSampler.onPacketLost(p.size);
      this.cc.onPacketLost?.(p, now, this.bif);
      congestionLost++;
      if (p.timeSent > sentTimeOfLastLoss) sentTimeOfLastLoss = p.timeSent;
    }
    if (congestionLost === 0) return LostEffect.None;

    let effect: number = LostEffect.None;
    if (this.cc.onCongestionEvent(sentTimeOfLastLoss, now)) {
      this.startRecoveryEpoch(true);
      effect = LostEffect.Recovery;
    }
    // Losses within a recovery period belong to it: all must prove spurious for an undo.
    if (this.epochFirstBatch !== 0) this.epochLost += congestionLost;

    if (this.rtt.hasSample && this.inPersistentCongestion(space, lost[0]!.lossBatch)) {
      this.cc.onPersistentCongestion(now);
      this.rtt.onPersistentCongestion();
      this.epochUndoable = false;
      this.stats.persistentCongestions++;
      effect = LostEffect.Persistent;
    }
    return effect;
  }

  /**
   * §7.6.2: two ack-eliciting packets of this batch, sent after the first RTT sample and more
   * than the persistent congestion duration apart, with nothing acknowledged in between.
   */
  private inPersistentCongestion(space: PnSpace, batch: number): boolean {
    const duration = this.rtt.persistentCongestionDuration(this.pcThreshold);
    const firstSample = this.rtt.firstSampleTime;
    const log = this.logs[space]!;
    let runStart = -Infinity;
    let previous = -1;
    for (let i = this.batchFirstIndex; i <= this.batchLastIndex; i = log.nextLive(i + 1)) {
      // Slots skipped since the previous live one are dead; an acknowledged one means something
      // sent in between was delivered, so the period restarts after it.
      if (previous >= 0 && i > previous + 1 && this.ackedBetween(log, previous, i)) {
        runStart = -Infinity;
      }
      previous = i;
      if (log.stateAt(i) !== SlotState.Lost) continue;
      const p = log.packetAt(i)!;
      if (
        p.lossBatch !== batch ||
        !p.ackEliciting ||
        p.pmtuProbe ||
        p.timeSent <= firstSample ||
        p.pn <= this.resetPn[space]!
      ) {
        continue;
      }
      if (runStart === -Infinity) runStart = p.timeSent;
      else if (p.timeSent - runStart > duration) return true;
    }
    return false;
  }

  /** The in-flight packets sent after the last congestion reset, in a reused array. */
  private inFlightSinceReset(acked: readonly SentPacket<T>[], resetPn: number): SentPacket<T>[] {
    const out = this.ccAcked;
    emptyKeepingRoom(out);
    for (let i = 0; i < acked.length; i++) {
      const p = acked[i]!;
      if (p.inFlight && p.pn > resetPn) out.push(p);
    }
    return out;
  }

  private ackedBetween(log: SentPacketLog<T>, from: number, to: number): boolean {
    for (let j = from + 1; j < to; j++) if (log.stateAt(j) === SlotState.Acked) return true;
    return false;
  }

  private startRecoveryEpoch(undoable: boolean): void {
    this.epochFirstBatch = this.lossBatches + (undoable ? 0 : 1);
    this.epochLost = 0;
    this.epochUndoable = undoable;
    this.stats.congestionEvents++;
  }

  /** Lost packets were acknowledged after all: maybe undo the reduction they caused. */
  private onAckedAfterLoss(space: PnSpace, packets: readonly SentPacket<T>[], now: number): void {
    this.stats.spuriousLosses += packets.length;
    if (this.epochFirstBatch === 0) return;
    const resetPn = this.resetPn[space]!;
    for (let i = 0; i < packets.length; i++) {
      const p = packets[i]!;
      if (p.inFlight && !p.pmtuProbe && p.pn > resetPn && p.lossBatch >= this.epochFirstBatch) {
        this.epochLost--;
      }
    }
    if (this.epochUndoable && this.epochLost <= 0 && this.cc.onSpuriousCongestion !== undefined) {
      this.epochUndoable = false;
      this.cc.onSpuriousCongestion(now);
      this.stats.congestionUndos++;
    }
  }

  /** §A.8 PeerCompletedAddressValidation. */
  private peerCompletedAddressValidation(): boolean {
    return this.isServer || this.handshakeAckReceived || this.handshakeConfirmed;
  }

  private needsAntiDeadlockProbe(): boolean {
    return (
      !this.peerCompletedAddressValidation() &&
      this.logs[PnSpace.Initial]!.ackElicitingInFlight === 0 &&
      this.logs[PnSpace.Handshake]!.ackElicitingInFlight === 0
    );
  }

  /** §A.8 GetLossTimeAndSpace: the space with the earliest loss time, or null. */
  private earliestLossSpace(): PnSpace | null {
    let time = Infinity;
    let space: PnSpace | null = null;
    for (let s = 0 as PnSpace; s <= PnSpace.Application; s++) {
      if (this.lossTime[s]! < time) {
        time = this.lossTime[s]!;
        space = s;
      }
    }
    return space;
  }

  /**
   * §A.8 GetPtoTimeAndSpace: the PTO deadline (Infinity when none); the space goes to
   * `ptoSpaceScratch` to avoid allocating a pair per call.
   */
  private ptoTime(now: number): number {
    // An integer shift (pto_count stops at MAX_PTO_BACKOFF_EXPONENT < 31): computed on every
    // packet sent, where `2 **` would make a heap number.
    const backoff = 1 << this.ptoCountValue;
    const duration = this.rtt.ptoPeriod(false) * backoff;
    if (this.needsAntiDeadlockProbe()) {
      // The anti-deadlock PTO runs from now (§6.2.2.1).
      this.ptoSpaceScratch = this.handshakeKeys ? PnSpace.Handshake : PnSpace.Initial;
      return now + duration;
    }
    let timeout = Infinity;
    this.ptoSpaceScratch = PnSpace.Initial;
    for (let s = 0 as PnSpace; s <= PnSpace.Application; s++) {
      if (this.logs[s]!.ackElicitingInFlight === 0) continue;
      let d = duration;
      if (s === PnSpace.Application) {
        // §6.2.1: no Application Data PTO before confirmation; max_ack_delay applies there.
        if (!this.handshakeConfirmed) break;
        d += this.rtt.maxAckDelay * backoff;
      }
      const t = this.lastAckElicitingTime[s]! + d;
      if (t < timeout) {
        timeout = t;
        this.ptoSpaceScratch = s;
      }
    }
    return timeout;
  }

  /** §A.8 SetLossDetectionTimer. */
  private setTimer(now: number): void {
    let lossTime = Infinity;
    for (let s = 0; s < 3; s++) if (this.lossTime[s]! < lossTime) lossTime = this.lossTime[s]!;
    if (lossTime !== Infinity) {
      this.timer = lossTime;
      return;
    }
    // §6.2.2.1: a server that cannot send must not arm the PTO.
    if (this.amplification?.isBlocked() === true) {
      this.timer = Infinity;
      return;
    }
    const inFlight =
      this.logs[0]!.ackElicitingInFlight +
      this.logs[1]!.ackElicitingInFlight +
      this.logs[2]!.ackElicitingInFlight;
    if (inFlight === 0 && this.peerCompletedAddressValidation()) {
      this.timer = Infinity;
      return;
    }
    this.timer = this.ptoTime(now);
  }

  /** Forgets lost records and unacknowledged ACK-only packets older than a few PTOs. */
  private prune(log: SentPacketLog<T>, now: number): void {
    const horizon = now - RETENTION_PTOS * this.rtt.ptoPeriod(true);
    log.pruneFront(horizon, horizon);
  }
}

/** Whether descending `ranges` cover `pn` (binary search). */
function rangesContain(ranges: readonly AckRange[], pn: number): boolean {
  let a = 0;
  let b = ranges.length - 1;
  while (a <= b) {
    const mid = (a + b) >> 1;
    const r = ranges[mid]!;
    if (pn > r.largest) b = mid - 1;
    else if (pn < r.smallest) a = mid + 1;
    else return true;
  }
  return false;
}
