/**
 * ACK frequency (draft-ietf-quic-ack-frequency-12), both directions of one connection.
 *
 * As a data receiver we advertise min_ack_delay and honour the peer's ACK_FREQUENCY (Ack-Eliciting
 * Threshold, Requested Max Ack Delay, Reordering Threshold) and IMMEDIATE_ACK frames in the
 * Application Data space's ReceivedPacketTracker.
 *
 * As a data sender, once the peer advertised min_ack_delay and the handshake is confirmed, we
 * ask for fewer ACKs as the congestion window grows (§9.1): about four ACKs per window, at most
 * MAX_THRESHOLD + 1 packets per ACK, an ACK delay of a quarter of the smoothed RTT (never below
 * the peer's min_ack_delay, never above its max_ack_delay, so the PTO computed with the
 * transport parameter stays valid, §7), and the loss detection packet threshold as the
 * Reordering Threshold (§8). A new request goes out at most once per smoothed RTT and only when
 * the values moved enough to matter. PTO probes carry IMMEDIATE_ACK (§7).
 */
import type { ReceivedPacketTracker } from '../ack/received.js';
import { PACKET_THRESHOLD } from '../path/loss-detection.js';
import { QuicError, TransportError } from '../wire/errors.js';
import { FrameType, type AckFrequencyFrame } from '../wire/frame-types.js';

/**
 * The min_ack_delay we advertise, µs: our timers are as precise as the host's, and RFC 9002's
 * kGranularity (1 ms) is the finest delay worth asking for.
 */
export const MIN_ACK_DELAY_US = 1000;
/** The largest Ack-Eliciting Threshold we ask for: an ACK at least every 11 packets. */
export const MAX_THRESHOLD = 10;
/** max_ack_delay must stay below 2^14 ms (RFC 9000 §18.2). */
const MAX_ACK_DELAY_LIMIT_US = 2 ** 14 * 1000;
/** Thresholds from the peer are capped here: beyond it they mean "very many" all the same. */
const THRESHOLD_CAP = 1 << 20;

/** What the sender side needs to know of the path. */
export interface AckFrequencyInputs {
  /** Congestion window and maximum datagram size, bytes. */
  cwnd: number;
  maxDatagramSize: number;
  /** Smoothed RTT, µs. */
  srtt: number;
}

export class AckFrequency {
  /** Largest ACK_FREQUENCY Sequence Number processed (receive side). */
  private largestReceivedSeq = -1;

  /** Send side: the peer's min_ack_delay (µs) and max_ack_delay (µs); -1 until known. */
  private peerMinAckDelay = -1;
  private peerMaxAckDelay = 0;
  private nextSeq = 0;
  private sentThreshold = 1;
  private sentDelay = -1;
  private lastSent = -Infinity;
  /** ACK_FREQUENCY frames sent (statistics, tests). */
  requestsSent = 0;
  /** IMMEDIATE_ACK frames sent with PTO probes (statistics, tests). */
  immediateAcksSent = 0;

  constructor(
    /** Our own option: advertise min_ack_delay and send requests. */
    readonly enabled: boolean,
  ) {}

  /** The peer's transport parameters arrived: it supports the extension if it sent min_ack_delay. */
  onPeerParams(minAckDelay: number | undefined, maxAckDelayMs: number): void {
    if (!this.enabled || minAckDelay === undefined) return;
    this.peerMinAckDelay = minAckDelay;
    this.peerMaxAckDelay = maxAckDelayMs * 1000;
  }

  /** Whether we may send ACK_FREQUENCY and IMMEDIATE_ACK frames (in 1-RTT packets only). */
  get peerSupports(): boolean {
    return this.peerMinAckDelay >= 0;
  }

  /**
   * The peer's ACK_FREQUENCY frame (§4), applied to the Application Data space's tracker. Throws
   * PROTOCOL_VIOLATION when we never advertised min_ack_delay or the requested delay is invalid.
   */
  onFrame(frame: AckFrequencyFrame, tracker: ReceivedPacketTracker): void {
    if (!this.enabled) {
      throw new QuicError(
        TransportError.PROTOCOL_VIOLATION,
        'ACK_FREQUENCY without min_ack_delay',
        FrameType.ACK_FREQUENCY,
      );
    }
    const delay = frame.requestedMaxAckDelay;
    if (delay < MIN_ACK_DELAY_US || delay >= MAX_ACK_DELAY_LIMIT_US) {
      throw new QuicError(
        TransportError.PROTOCOL_VIOLATION,
        `ACK_FREQUENCY Requested Max Ack Delay ${delay} µs is out of range`,
        FrameType.ACK_FREQUENCY,
      );
    }
    // §4: obsolete (reordered or repeated) frames are ignored.
    if (frame.sequenceNumber <= this.largestReceivedSeq) return;
    this.largestReceivedSeq = frame.sequenceNumber;
    // The tracker's threshold counts the packet that triggers the ACK: "more than T" is T + 1.
    tracker.setAckElicitingThreshold(Math.min(frame.ackElicitingThreshold, THRESHOLD_CAP) + 1);
    tracker.setMaxAckDelay(delay);
    tracker.setReorderingThreshold(Math.min(frame.reorderingThreshold, THRESHOLD_CAP));
  }

  /** The peer's IMMEDIATE_ACK (§5): the packet carrying it is acknowledged at once. */
  onImmediateAck(tracker: ReceivedPacketTracker): void {
    if (!this.enabled) {
      throw new QuicError(
        TransportError.PROTOCOL_VIOLATION,
        'IMMEDIATE_ACK without min_ack_delay',
        FrameType.IMMEDIATE_ACK,
      );
    }
    tracker.requestImmediateAck();
  }

  /**
   * The ACK_FREQUENCY frame to send now, or null: at most one per smoothed RTT, and only when
   * the threshold or the delay moved by a quarter or more from what the peer was last asked.
   */
  poll(inputs: AckFrequencyInputs, now: number): AckFrequencyFrame | null {
    if (this.peerMinAckDelay < 0) return null;
    const srtt = inputs.srtt;
    if (now - this.lastSent < srtt) return null;
    const packets = Math.floor(inputs.cwnd / inputs.maxDatagramSize);
    // §9.1: several ACKs per window, so the window keeps its ACK clock.
    const threshold = Math.max(1, Math.min(MAX_THRESHOLD, Math.floor(packets / 4) - 1));
    const floor = Math.max(this.peerMinAckDelay, MIN_ACK_DELAY_US);
    const delay = Math.max(floor, Math.min(this.peerMaxAckDelay, roundToMs(srtt / 4)));
    if (this.sentDelay < 0 && threshold === 1) return null; // the default needs no request
    const thresholdMoved = Math.abs(threshold - this.sentThreshold) * 4 >= this.sentThreshold;
    const delayMoved = this.sentDelay < 0 || Math.abs(delay - this.sentDelay) * 4 >= this.sentDelay;
    if (!thresholdMoved && !delayMoved) return null;
    this.sentThreshold = threshold;
    this.sentDelay = delay;
    this.lastSent = now;
    this.requestsSent++;
    return {
      kind: 'ack_frequency',
      sequenceNumber: this.nextSeq++,
      ackElicitingThreshold: threshold,
      requestedMaxAckDelay: delay,
      // §8: the packet threshold of our loss detection; 1 (RFC 9000) while ACKs are not thinned.
      reorderingThreshold: threshold > 1 ? PACKET_THRESHOLD : 1,
    };
  }
}

function roundToMs(us: number): number {
  return Math.round(us / 1000) * 1000;
}
