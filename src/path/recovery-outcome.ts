/**
 * What loss detection reports to the connection: the outcome of one ACK frame and of one timer
 * expiry. The objects and their arrays are owned by the loss detector and reused by its next
 * call (no allocation per ACK).
 */
import type { PnSpace } from '../ack/pn-space.js';
import type { SentPacket } from '../ack/sent.js';
import { emptyKeepingRoom } from '../util/array.js';

/** What one ACK frame changed. */
export interface AckOutcome<T> {
  /** Packets acknowledged for the first time, increasing packet number: free their frames. */
  readonly newlyAcked: readonly SentPacket<T>[];
  /**
   * Packets acknowledged after they had been declared lost (their frames were already handed
   * back; whatever was not yet retransmitted can now be dropped).
   */
  readonly ackedAfterLoss: readonly SentPacket<T>[];
  /** Packets declared lost by this ACK: requeue their frames (RFC 9000 §13.3). */
  readonly lost: readonly SentPacket<T>[];
  /** An RTT sample was taken. */
  readonly rttSampled: boolean;
  /** The controller entered a new recovery period (window reduced) on loss or ECN-CE. */
  readonly recoveryStarted: boolean;
  /** Persistent congestion was established (RFC 9002 §7.6). */
  readonly persistentCongestion: boolean;
}

/** What a loss detection timeout asks for. */
export interface TimeoutOutcome<T> {
  /** Packets declared lost by the time threshold: requeue their frames. */
  readonly lost: readonly SentPacket<T>[];
  /**
   * The space in which to send probe packets (PTO, RFC 9002 §6.2.4), or null when no probe is
   * due. For the client's anti-deadlock probe (§6.2.2.1) it is Handshake when Handshake keys are
   * available, else Initial (padded to 1200 bytes, as every client Initial datagram is).
   */
  readonly probeSpace: PnSpace | null;
  /** How many ack-eliciting probe packets to send (1 or 2); they bypass the congestion window. */
  readonly probeCount: number;
  readonly recoveryStarted: boolean;
  readonly persistentCongestion: boolean;
}

export class AckOutcomeImpl<T> implements AckOutcome<T> {
  readonly newlyAcked: SentPacket<T>[] = [];
  readonly ackedAfterLoss: SentPacket<T>[] = [];
  readonly lost: SentPacket<T>[] = [];
  rttSampled = false;
  recoveryStarted = false;
  persistentCongestion = false;

  reset(): void {
    emptyKeepingRoom(this.newlyAcked);
    emptyKeepingRoom(this.ackedAfterLoss);
    emptyKeepingRoom(this.lost);
    this.rttSampled = false;
    this.recoveryStarted = false;
    this.persistentCongestion = false;
  }
}

export class TimeoutOutcomeImpl<T> implements TimeoutOutcome<T> {
  readonly lost: SentPacket<T>[] = [];
  probeSpace: PnSpace | null = null;
  probeCount = 0;
  recoveryStarted = false;
  persistentCongestion = false;

  reset(): void {
    emptyKeepingRoom(this.lost);
    this.probeSpace = null;
    this.probeCount = 0;
    this.recoveryStarted = false;
    this.persistentCongestion = false;
  }
}
