/**
 * Receive-side acknowledgment state for one packet number space (RFC 9000 §13.2): which packet
 * numbers arrived (a bounded set of ranges), duplicate detection, ECN counts, and when an ACK
 * frame is due.
 *
 * Call order for each packet the connection has decrypted:
 * 1. `isDuplicate(pn)`: drop the packet when true (RFC 9000 §12.3; also packets below the
 *    tracked window, which may be old duplicates we can no longer tell apart).
 * 2. process its frames, then `onPacketReceived(pn, ackEliciting, receiveTime, ecn)`
 *    (RFC 9000 §13.1: acknowledge only after the frames were processed).
 * The connection arms a timer at `ackDeadline()`; when it builds a packet in this space and
 * `wantsAckNow(now)` (or it is sending anyway and `hasUnacked()`), it puts `buildAck(...)` in it,
 * calls `onAckSent()`, and keeps the frame's largest acknowledged in the sent-packet record so that
 * `onAckAcked(largest)` can trim the ranges once the peer acknowledges that packet.
 */
import type { AckFrame, AckRange, EcnCounts } from '../wire/frame-types.js';
import { Ecn } from './pn-space.js';

export interface ReceivedPacketTrackerOptions {
  /**
   * Acknowledge every ack-eliciting packet immediately: true for the Initial and Handshake
   * spaces (RFC 9000 §13.2.1). Default false.
   */
  immediate?: boolean;
  /** Our max_ack_delay transport parameter, in microseconds. Default 25 000 (RFC 9000 §18.2). */
  maxAckDelay?: number;
  /**
   * Send an ACK once this many ack-eliciting packets are unacknowledged (RFC 9000 §13.2.2
   * recommends 2). Default 2.
   */
  ackElicitingThreshold?: number;
  /**
   * How many disjoint ranges to remember; beyond that the oldest is dropped and packets below it
   * are treated as duplicates (RFC 9000 §13.2.3). Default 32.
   */
  maxRanges?: number;
}

export const DEFAULT_MAX_ACK_DELAY = 25_000;
export const DEFAULT_ACK_ELICITING_THRESHOLD = 2;
export const DEFAULT_MAX_ACK_RANGES = 32;

/** Received packet numbers of one space and the ACK decision of RFC 9000 §13.2.1-13.2.2. */
export class ReceivedPacketTracker {
  // Ranges in ascending order: lo[i]..hi[i] inclusive, with lo[i+1] > hi[i] + 1. The common case
  // (the next packet in order) touches only the last range.
  private readonly lo: number[] = [];
  private readonly hi: number[] = [];
  /**
   * Packet numbers below this are no longer tracked: the ranges holding them were dropped (too
   * many ranges) or the peer has seen our ACK of them (RFC 9000 §13.2.4). Such packets are not
   * accepted again (RFC 9000 §13.2.3: a minimum packet number that only increases).
   */
  private floor = 0;

  private largest = -1;
  private largestTime = 0;
  private largestAckEliciting = -1;

  /** Ack-eliciting packets received since the last ACK frame was sent. */
  private unackedEliciting = 0;
  /** Any packet (ack-eliciting or not) received since the last ACK frame was sent. */
  private unackedAny = false;
  /** Receive time of the first ack-eliciting packet not yet acknowledged (delayed-ACK start). */
  private pendingSince = Infinity;
  /** Set when an ACK must go out without delay; the time it became due. */
  private immediateSince = Infinity;

  private readonly ecn: EcnCounts = { ect0: 0, ect1: 0, ce: 0 };
  private ecnSeen = false;
  /** The last packet received was CE-marked (draft-ietf-quic-ack-frequency §6.3). */
  private lastCe = false;

  /**
   * The peer's Reordering Threshold (draft-ietf-quic-ack-frequency-12 §6.2): 1 is RFC 9000's
   * "acknowledge any out-of-order packet at once", 0 never does, N > 1 waits until a gap could
   * be declared lost with that packet threshold.
   */
  private reorderingThreshold = 1;
  /** Largest Acknowledged of the last ACK frame sent ("Largest Acked" of §6.2), -1 before one. */
  private largestAckSent = -1;
  /** An IMMEDIATE_ACK arrived in the packet being processed (§5). */
  private immediateRequested = false;

  private readonly immediate: boolean;
  private maxAckDelay: number;
  private ackElicitingThreshold: number;
  private readonly maxRanges: number;

  constructor(options: ReceivedPacketTrackerOptions = {}) {
    this.immediate = options.immediate ?? false;
    this.maxAckDelay = checkNonNegative(
      options.maxAckDelay ?? DEFAULT_MAX_ACK_DELAY,
      'maxAckDelay',
    );
    this.ackElicitingThreshold = checkPositiveInt(
      options.ackElicitingThreshold ?? DEFAULT_ACK_ELICITING_THRESHOLD,
      'ackElicitingThreshold',
    );
    this.maxRanges = checkPositiveInt(options.maxRanges ?? DEFAULT_MAX_ACK_RANGES, 'maxRanges');
  }

  /** Largest packet number received in this space, -1 before the first (for PN decoding). */
  get largestReceived(): number {
    return this.largest;
  }

  /** When the largest packet number was received (the ACK Delay reference, §13.2.5). */
  get largestReceivedTime(): number {
    return this.largestTime;
  }

  /** Smallest packet number that can still be accepted; anything below is a duplicate. */
  get minimumTracked(): number {
    return this.floor;
  }

  /** Number of disjoint ranges currently remembered. */
  get rangeCount(): number {
    return this.lo.length;
  }

  /** Cumulative ECN counts of this space (RFC 9000 §13.4.1). Live object: do not modify. */
  get ecnCounts(): Readonly<EcnCounts> {
    return this.ecn;
  }

  /** Changes our max_ack_delay (e.g. on an ACK_FREQUENCY request); a pending deadline follows. */
  setMaxAckDelay(microseconds: number): void {
    this.maxAckDelay = checkNonNegative(microseconds, 'maxAckDelay');
  }

  /** Changes how many ack-eliciting packets trigger an immediate ACK. */
  setAckElicitingThreshold(packets: number): void {
    this.ackElicitingThreshold = checkPositiveInt(packets, 'ackElicitingThreshold');
  }

  /** Changes the reordering that triggers an immediate ACK (see `reorderingThreshold`). */
  setReorderingThreshold(packets: number): void {
    if (!Number.isSafeInteger(packets) || packets < 0) {
      throw new RangeError(`reorderingThreshold must be a non-negative integer, got ${packets}`);
    }
    this.reorderingThreshold = packets;
  }

  /**
   * The packet being processed carries IMMEDIATE_ACK (draft-ietf-quic-ack-frequency-12 §5): its
   * `onPacketReceived` makes an ACK due at once.
   */
  requestImmediateAck(): void {
    this.immediateRequested = true;
  }

  /**
   * True when `pn` was already received, or lies below the tracked window (it may have been
   * received: the connection drops it, RFC 9000 §12.3 and §13.2.3).
   */
  isDuplicate(pn: number): boolean {
    if (pn < this.floor) return true;
    return this.indexOf(pn) >= 0;
  }

  /**
   * Records a processed packet. Returns false (and records nothing) for a duplicate. `ecn` is the
   * IP header's ECN codepoint when the platform exposes it.
   */
  onPacketReceived(pn: number, ackEliciting: boolean, now: number, ecn: Ecn = Ecn.NotEct): boolean {
    if (!Number.isSafeInteger(pn) || pn < 0) {
      throw new RangeError(`packet number must be a non-negative safe integer, got ${pn}`);
    }
    if (pn < this.floor) return false;
    const rangeLow = this.insert(pn);
    if (rangeLow < 0) return false;

    if (pn > this.largest) {
      this.largest = pn;
      this.largestTime = now;
    }
    // RFC 9000 §13.4.1: counts cover every processed packet, never duplicates.
    const ceOnset = ecn === Ecn.Ce && !this.lastCe;
    this.lastCe = ecn === Ecn.Ce;
    if (ecn !== Ecn.NotEct) {
      this.ecnSeen = true;
      if (ecn === Ecn.Ect0) this.ecn.ect0++;
      else if (ecn === Ecn.Ect1) this.ecn.ect1++;
      else this.ecn.ce++;
    }
    this.unackedAny = true;
    // RFC 9000 §13.2.1: only ack-eliciting packets make an ACK due; an ACK-only packet is
    // acknowledged when an ACK is sent for another reason, so it arms nothing.
    if (!ackEliciting) return true;

    this.unackedEliciting++;
    if (this.pendingSince === Infinity) this.pendingSince = now;
    const immediateRequested = this.immediateRequested;
    this.immediateRequested = false;
    // RFC 9000 §13.2.1: acknowledge without delay a packet that arrived out of order - below an
    // ack-eliciting packet already received, or above it with missing packets in between - and
    // CE-marked packets. With a Reordering Threshold other than 1 from the peer, reordering
    // within it does not (draft-ietf-quic-ack-frequency-12 §6.2).
    const rt = this.reorderingThreshold;
    const outOfOrder =
      rt === 1
        ? pn < this.largestAckEliciting ||
          rangeLow > Math.max(this.largestAckEliciting + 1, this.floor)
        : false;
    if (pn > this.largestAckEliciting) this.largestAckEliciting = pn;
    // §6.3: above an Ack-Eliciting Threshold of 1, only the first of a run of CE marks.
    const ceDue = this.ackElicitingThreshold <= 2 ? ecn === Ecn.Ce : ceOnset;
    if (
      this.immediate ||
      immediateRequested ||
      outOfOrder ||
      ceDue ||
      this.unackedEliciting >= this.ackElicitingThreshold ||
      (rt > 1 && this.beyondReorderingThreshold(pn, rt))
    ) {
      if (this.immediateSince === Infinity) this.immediateSince = now;
    }
    return true;
  }

  /**
   * When an ACK frame must be sent at the latest: Infinity when no ack-eliciting packet awaits
   * acknowledgment, the time it became due when it is due immediately, otherwise the receive
   * time of the first unacknowledged ack-eliciting packet plus max_ack_delay.
   */
  ackDeadline(): number {
    if (this.immediateSince !== Infinity) return this.immediateSince;
    if (this.pendingSince === Infinity) return Infinity;
    return this.pendingSince + this.maxAckDelay;
  }

  /** True when an ACK frame is due at `now` (the connection should send one, even ACK-only). */
  wantsAckNow(now: number): boolean {
    return this.ackDeadline() <= now;
  }

  /** True when anything was received since the last ACK: worth piggybacking on a packet. */
  hasUnacked(): boolean {
    return this.unackedAny && this.lo.length > 0;
  }

  /** True when an ack-eliciting packet awaits acknowledgment. */
  hasUnackedAckEliciting(): boolean {
    return this.unackedEliciting > 0;
  }

  /**
   * The ACK frame for the current state, or null when there is nothing to acknowledge. Ranges
   * are in descending order; when `maxRanges` is given only the newest ranges are included (RFC
   * 9000 §13.2.3: older ranges are the ones to omit). The ACK Delay field is the time since the
   * largest packet number was received, scaled by `ackDelayExponent` (RFC 9000 §13.2.5, §19.3).
   * ECN counts are included once any ECN-marked packet was seen (an ACK_ECN frame).
   */
  buildAck(now: number, ackDelayExponent: number, maxRanges = Infinity): AckFrame | null {
    const n = this.lo.length;
    if (n === 0) return null;
    if (!(maxRanges >= 1)) throw new RangeError('maxRanges must be at least 1');
    const count = Math.min(n, maxRanges);
    const ranges: AckRange[] = new Array<AckRange>(count);
    for (let k = 0; k < count; k++) {
      const i = n - 1 - k;
      ranges[k] = { smallest: this.lo[i]!, largest: this.hi[i]! };
    }
    const delay = Math.max(0, now - this.largestTime);
    const frame: AckFrame = {
      kind: 'ack',
      ackDelay: Math.floor(delay / 2 ** ackDelayExponent),
      ranges,
    };
    if (this.ecnSeen) frame.ecn = { ect0: this.ecn.ect0, ect1: this.ecn.ect1, ce: this.ecn.ce };
    return frame;
  }

  /** An ACK frame from `buildAck` was sent: nothing is pending until the next packet arrives. */
  onAckSent(): void {
    if (this.hi.length > 0) this.largestAckSent = this.hi[this.hi.length - 1]!;
    this.unackedEliciting = 0;
    this.unackedAny = false;
    this.pendingSince = Infinity;
    this.immediateSince = Infinity;
  }

  /**
   * A packet carrying our ACK frame with Largest Acknowledged `largestAcked` was acknowledged:
   * stop acknowledging packets up to it (RFC 9000 §13.2.4). They are not accepted again.
   */
  onAckAcked(largestAcked: number): void {
    const newFloor = largestAcked + 1;
    if (newFloor <= this.floor) return;
    this.floor = newFloor;
    let drop = 0;
    const n = this.lo.length;
    while (drop < n && this.hi[drop]! < newFloor) drop++;
    this.removeLowest(drop);
    if (this.lo.length > 0 && this.lo[0]! < newFloor) this.lo[0] = newFloor;
  }

  /** The remembered ranges, descending (a copy, for diagnostics and tests). */
  ranges(): AckRange[] {
    const out: AckRange[] = [];
    for (let i = this.lo.length - 1; i >= 0; i--) {
      out.push({ smallest: this.lo[i]!, largest: this.hi[i]! });
    }
    return out;
  }

  /**
   * draft-ietf-quic-ack-frequency-12 §6.2, for a Reordering Threshold `rt` > 1: an ACK is due when
   * the received packet is at or below Largest Acked - rt (the sender may already have declared
   * it lost), or when the smallest Unreported Missing packet lies rt or more below Largest
   * Unacked (the sender can declare it lost once it hears of the packets above it).
   */
  private beyondReorderingThreshold(pn: number, rt: number): boolean {
    const reportedMissing = this.largestAckSent < 0 ? -1 : this.largestAckSent - rt;
    if (this.largestAckSent >= 0 && pn <= reportedMissing) return true;
    // The smallest packet number above Largest Reported Missing that was not received: the
    // ranges are maximal, so it is `from` itself or the end of the range holding it plus one.
    const hi = this.hi;
    let from = Math.max(reportedMissing + 1, this.floor);
    const i = this.indexOf(from);
    if (i >= 0) from = hi[i]! + 1;
    return from < this.largestAckEliciting && this.largestAckEliciting - from >= rt;
  }

  /** Index of the range holding `pn`, or -1. */
  private indexOf(pn: number): number {
    const lo = this.lo;
    const hi = this.hi;
    // Binary search for the last range starting at or below pn.
    let a = 0;
    let b = lo.length - 1;
    while (a <= b) {
      const mid = (a + b) >> 1;
      if (lo[mid]! <= pn) a = mid + 1;
      else b = mid - 1;
    }
    return b >= 0 && hi[b]! >= pn ? b : -1;
  }

  /**
   * Adds `pn` to the ranges. Returns the low end of the range that now holds it, or -1 when it
   * was already present.
   */
  private insert(pn: number): number {
    const lo = this.lo;
    const hi = this.hi;
    const n = lo.length;
    // Fast path: in order, or a new gap above everything received.
    if (n === 0 || pn > hi[n - 1]! + 1) {
      lo.push(pn);
      hi.push(pn);
      this.enforceLimit();
      return lo[lo.length - 1]!;
    }
    if (pn === hi[n - 1]! + 1) {
      hi[n - 1] = pn;
      return lo[n - 1]!;
    }
    // Out of order: b is the last range starting at or below pn (or -1).
    let a = 0;
    let b = n - 1;
    while (a <= b) {
      const mid = (a + b) >> 1;
      if (lo[mid]! <= pn) a = mid + 1;
      else b = mid - 1;
    }
    if (b >= 0 && hi[b]! >= pn) return -1;
    const joinsBelow = b >= 0 && hi[b]! + 1 === pn;
    const joinsAbove = b + 1 < n && lo[b + 1]! - 1 === pn;
    if (joinsBelow && joinsAbove) {
      hi[b] = hi[b + 1]!;
      removeAt(lo, b + 1);
      removeAt(hi, b + 1);
      return lo[b]!;
    }
    if (joinsBelow) {
      hi[b] = pn;
      return lo[b]!;
    }
    if (joinsAbove) {
      lo[b + 1] = pn;
      return pn;
    }
    insertAt(lo, b + 1, pn);
    insertAt(hi, b + 1, pn);
    this.enforceLimit();
    return pn;
  }

  /** RFC 9000 §13.2.3: bound the state by dropping the oldest ranges and raising the floor. */
  private enforceLimit(): void {
    const excess = this.lo.length - this.maxRanges;
    if (excess <= 0) return;
    this.floor = Math.max(this.floor, this.hi[excess - 1]! + 1);
    this.removeLowest(excess);
  }

  private removeLowest(count: number): void {
    if (count <= 0) return;
    const n = this.lo.length;
    for (let i = count; i < n; i++) {
      this.lo[i - count] = this.lo[i]!;
      this.hi[i - count] = this.hi[i]!;
    }
    this.lo.length = n - count;
    this.hi.length = n - count;
  }
}

function insertAt(arr: number[], index: number, value: number): void {
  for (let i = arr.length; i > index; i--) arr[i] = arr[i - 1]!;
  arr[index] = value;
}

function removeAt(arr: number[], index: number): void {
  const n = arr.length;
  for (let i = index + 1; i < n; i++) arr[i - 1] = arr[i]!;
  arr.length = n - 1;
}

function checkNonNegative(value: number, name: string): number {
  if (!(value >= 0) || !Number.isFinite(value)) {
    throw new RangeError(`${name} must be a non-negative finite number, got ${value}`);
  }
  return value;
}

function checkPositiveInt(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  return value;
}
