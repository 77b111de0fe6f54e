/**
 * The congestion controller interface (RFC 9002 §7) that every algorithm implements: NewReno,
 * CUBIC, and user-supplied ones registered by name (see registry.ts). Sizes are bytes, times are
 * microseconds. A controller is per path and sees only the events of that path.
 *
 * Who calls what (src/path/loss-detection.ts):
 * - `onPacketSent` for each packet that counts toward bytes in flight;
 * - `onCongestionEvent` once per batch of lost in-flight packets, and on an ECN-CE increase
 *   (after `onEcnCongestion` with the number of newly CE-marked packets);
 * - `onPersistentCongestion` after it, when the lost batch spans the persistent congestion
 *   duration (RFC 9002 §7.6);
 * - `onPacketsAcked` once per ACK frame with the newly acknowledged packets;
 * - `onSpuriousCongestion` when every packet whose loss caused the last reduction turned out to
 *   have been delivered.
 *
 * Rate-based controllers (BBR) also implement the optional hooks `onPacketLost` (each lost
 * packet with its delivery snapshot) and `onRateSample` (one delivery-rate sample per ACK,
 * src/path/delivery-rate.ts); window controllers leave them out and see the same calls as
 * before.
 */
import type { CouplingGroup } from './coupling.js';

/** Congestion state names, as qlog's `congestion_state_updated` prints them. */
export type CongestionState =
  | 'slow_start'
  /** HyStart++ Conservative Slow Start (RFC 9406 §4.2). */
  | 'conservative_slow_start'
  | 'congestion_avoidance'
  | 'recovery'
  | 'application_limited';

/** Read-only view of the path's RTT estimator (src/path/rtt.ts implements it). */
export interface RttSnapshot {
  /** Latest RTT sample, microseconds (0 before the first). */
  readonly latest: number;
  /** Minimum RTT seen, microseconds (0 before the first sample). */
  readonly min: number;
  /** Smoothed RTT, microseconds (the initial RTT before the first sample). */
  readonly smoothed: number;
  /** RTT variation, microseconds. */
  readonly variance: number;
  /** Number of RTT samples taken so far; a controller can tell whether this ACK brought one. */
  readonly sampleCount: number;
}

/** What a controller sees of an acknowledged in-flight packet (a SentPacket satisfies it). */
export interface AckedPacket {
  readonly timeSent: number;
  readonly size: number;
}

/**
 * What the path's delivery-rate sampler recorded about the connection when a packet was sent
 * (draft-ietf-ccwg-bbr §4.5.2.2 OnPacketSent; a SentPacket satisfies it).
 */
export interface DeliverySnapshot {
  readonly timeSent: number;
  readonly size: number;
  /** C.delivered when sent: bytes delivered on the path so far. */
  readonly delivered: number;
  /** C.delivered_time when sent, microseconds. */
  readonly deliveredTime: number;
  /** C.first_send_time when sent: start of the send interval the packet belongs to. */
  readonly firstSentTime: number;
  /** The path was application limited when the packet was sent. */
  readonly isAppLimited: boolean;
  /** Bytes in flight right after the packet was sent (P.tx_in_flight, includes it). */
  readonly txInFlight: number;
  /** C.lost when sent: bytes declared lost on the path so far. */
  readonly lostBefore: number;
}

/**
 * A delivery-rate sample generated per ACK (draft-ietf-ccwg-bbr §4.5.2.3 GenerateRateSample,
 * draft-cheng-iccrg-delivery-rate-estimation §3.3). The object is reused: read it during the
 * call only.
 */
export interface RateSample {
  /** Delivery rate in bytes per second; 0 when this ACK gave no reliable sample. */
  readonly deliveryRate: number;
  /** Sampling interval, microseconds: max(send_elapsed, ack_elapsed); -1 when invalid. */
  readonly interval: number;
  /** Bytes delivered over the interval. */
  readonly delivered: number;
  /** C.delivered when the newest acknowledged packet was sent. */
  readonly priorDelivered: number;
  /** The newest acknowledged packet was sent while application limited. */
  readonly isAppLimited: boolean;
  /** RTT of the newest acknowledged packet, microseconds (-1 when none). */
  readonly rtt: number;
  /** Bytes in flight when the newest acknowledged packet was sent. */
  readonly txInFlight: number;
  /** Bytes declared lost between that packet's send and this ACK. */
  readonly lost: number;
  /** Bytes newly acknowledged by this ACK. */
  readonly newlyAcked: number;
  /** Bytes newly declared lost while processing this ACK. */
  readonly newlyLost: number;
  /** C.delivered after this ACK: bytes delivered on the path so far. */
  readonly totalDelivered: number;
}

/** Options every built-in controller understands. */
export interface CongestionControllerOptions {
  /**
   * The coupling group of the connection's paths (coupling.ts, RFC 6356), given to every
   * controller a connection makes; controllers that are not coupled ignore it.
   */
  coupling?: CouplingGroup;
  /** Maximum datagram size in bytes, at least 1200 (RFC 9002 §7.2). Default 1200. */
  maxDatagramSize?: number;
  /** Initial window in bytes. Default min(10 * mds, max(14720, 2 * mds)) (RFC 9002 §7.2). */
  initialWindow?: number;
  /** Minimum window in packets (RFC 9002 §7.2 recommends 2). Default 2. */
  minimumWindowPackets?: number;
  /** Use HyStart++ (RFC 9406) in the initial slow start. Default true for CUBIC, false for NewReno. */
  hystart?: boolean;
  /** CUBIC fast convergence (RFC 9438 §4.7). Default true. */
  fastConvergence?: boolean;
}

/** A pluggable congestion controller (RFC 9002 §7; RFC 9438 for CUBIC). */
export interface CongestionController {
  /** Registry name ('newreno', 'cubic', ...). */
  readonly name: string;
  /** Congestion window in bytes: bytes in flight may not exceed it (RFC 9002 §7). */
  readonly window: number;
  /** Slow start threshold in bytes; Infinity until the first congestion event. */
  readonly ssthresh: number;
  readonly state: CongestionState;
  readonly maxDatagramSize: number;

  /** An in-flight packet of `bytes` was sent at `now`; `bytesInFlight` includes it. */
  onPacketSent(bytes: number, now: number, bytesInFlight: number): void;

  /**
   * The in-flight packets newly acknowledged by one ACK frame, in increasing packet number order
   * (ACK-only packets never reach the controller). `appLimited` is true when the sender did not
   * fill the window: the window must not grow then (RFC 9002 §7.8).
   */
  onPacketsAcked(
    acked: readonly AckedPacket[],
    now: number,
    rtt: RttSnapshot,
    appLimited: boolean,
  ): void;

  /**
   * Loss of in-flight packets (the latest of which was sent at `sentTime`) or an ECN-CE increase
   * for a packet sent at `sentTime` (RFC 9002 §7.3.2, §B.6). Returns true when this started a new
   * recovery period (the window was reduced), false when `sentTime` lies within the current one.
   */
  onCongestionEvent(sentTime: number, now: number): boolean;

  /**
   * The peer's ECN-CE count rose by `markedPackets` in one ACK frame (RFC 9002 §7.1), called
   * just before the `onCongestionEvent` for it. For controllers whose response to congestion is
   * not only the window reduction of `onCongestionEvent` (BBR). Optional.
   */
  onEcnCongestion?(markedPackets: number, now: number, bytesInFlight: number): void;

  /** Persistent congestion was established: collapse to the minimum window (RFC 9002 §7.6.2). */
  onPersistentCongestion(now: number): void;

  /**
   * The last reduction was caused only by packets that were later acknowledged: undo it
   * (RFC 9438 §4.9). Optional.
   */
  onSpuriousCongestion?(now: number): void;

  /** The path's maximum datagram size changed (RFC 9002 §7.2). */
  setMaxDatagramSize(bytes: number): void;

  /**
   * The controller's path is gone or restarted with a new controller: a coupled controller
   * leaves its group (RFC 6356). Optional.
   */
  close?(): void;

  /**
   * An in-flight packet was declared lost (called per packet, before `onCongestionEvent` for
   * the batch). `packet` carries its delivery snapshot. Optional.
   */
  onPacketLost?(packet: DeliverySnapshot, now: number, bytesInFlight: number): void;

  /**
   * The delivery-rate sample of one ACK frame that newly acknowledged in-flight packets,
   * called after the losses it revealed and before `onPacketsAcked`. `bytesInFlight` is what
   * remains in flight after the ACK. Optional.
   */
  onRateSample?(sample: RateSample, now: number, rtt: RttSnapshot, bytesInFlight: number): void;

  /**
   * Pacing rate in bytes per second, for controllers that model the rate themselves (BBR).
   * When absent the pacer uses 1.25 * window / smoothed RTT (RFC 9002 §7.7).
   */
  pacingRate?(rtt: RttSnapshot): number;

  /**
   * Bytes the pacer lets go back to back per release (path/pacer.ts), for controllers that
   * define it (BBR's send quantum). When absent: 1 ms at the pacing rate, one datagram to 64 KiB.
   */
  sendQuantum?(rtt: RttSnapshot): number;
}

export type CongestionControllerFactory = (
  options: CongestionControllerOptions,
) => CongestionController;

/** Smallest allowed maximum datagram size (RFC 9000 §14). */
export const MIN_MAX_DATAGRAM_SIZE = 1200;

/** RFC 9002 §7.2: min(10 * max_datagram_size, max(14720, 2 * max_datagram_size)). */
export function initialWindowFor(maxDatagramSize: number): number {
  return Math.min(10 * maxDatagramSize, Math.max(14720, 2 * maxDatagramSize));
}

/** Validates and returns the maximum datagram size (API misuse throws). */
export function checkMaxDatagramSize(bytes: number): number {
  if (!Number.isSafeInteger(bytes) || bytes < MIN_MAX_DATAGRAM_SIZE) {
    throw new RangeError(`maxDatagramSize must be an integer >= 1200, got ${bytes}`);
  }
  return bytes;
}
