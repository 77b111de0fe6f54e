/**
 * A network path of a connection (RFC 9000 §9): the address pair, the Destination CID used on
 * it, its send control (RTT, loss detection, congestion control, pacing — DESIGN.md §1.4), its
 * validation by PATH_CHALLENGE / PATH_RESPONSE (§8.2) and its anti-amplification budget
 * (§8.1, §9.3.1: a server sends at most three times what it received on an unvalidated path).
 *
 * A connection has one active path; while it validates another (a probe, a migration, the
 * preferred address) both share the send control, which is reset for a new path's congestion
 * state when the connection moves (§9.4).
 */
import { SentPacket } from '../ack/sent.js';
import type { SendControl } from '../path/send-control.js';
import type { SocketAddress } from '../util/address.js';
import { bytesEqual } from '../util/bytes.js';
import type { PeerCid } from './cids.js';
import type { SentFrame } from './sent-frames.js';

export type PathValidation = 'validated' | 'validating' | 'unvalidated' | 'failed';

export class PathState {
  validation: PathValidation;
  /** Data of the PATH_CHALLENGE we sent and await a response for. */
  challenge: Uint8Array | null = null;
  challengeSent = false;
  /** When validation gives up (RFC 9000 §8.2.4). */
  challengeDeadline = Infinity;
  /** When an unanswered PATH_CHALLENGE is sent again (RFC 9000 §8.2.1: a lost one is retried). */
  challengeRetryAt = Infinity;
  private challengeRetries = 0;
  /** PATH_RESPONSE data we owe the peer (RFC 9000 §8.2.2), sent on the path it arrived on. */
  responses: Uint8Array[] = [];
  /**
   * Whether the anti-amplification limit applies before validation: to a peer address we learned
   * from its packets, yes (RFC 9000 §8.1, §9.3.1); not to a path a client opens itself toward
   * its server's known or preferred address (§9.2, §9.6), whose probes must be full size (§8.2.1).
   */
  amplificationLimited = true;
  private bytesReceived = 0;
  private bytesSent = 0;

  constructor(
    public local: SocketAddress,
    public remote: SocketAddress,
    readonly sendControl: SendControl<SentFrame>,
    validated: boolean,
    /** The peer CID packets on this path carry (RFC 9000 §9.5: one CID per path). */
    public dcid: PeerCid,
  ) {
    this.validation = validated ? 'validated' : 'unvalidated';
  }

  get validated(): boolean {
    return this.validation === 'validated';
  }

  /** Bytes the anti-amplification limit lets us send on this path now. */
  amplificationAllowance(): number {
    if (this.validated || !this.amplificationLimited) return Infinity;
    return Math.max(0, 3 * this.bytesReceived - this.bytesSent);
  }

  onDatagramReceived(bytes: number): void {
    this.bytesReceived += bytes;
  }

  onDatagramSent(bytes: number): void {
    this.bytesSent += bytes;
  }

  /** Starts validation with fresh challenge data. */
  startValidation(data: Uint8Array, deadline: number): void {
    this.challenge = data;
    this.challengeSent = false;
    this.challengeDeadline = deadline;
    this.challengeRetryAt = Infinity;
    this.challengeRetries = 0;
    this.validation = 'validating';
  }

  /**
   * The PATH_CHALLENGE went out: if no response came within `pto`, doubled at each attempt, it
   * is sent again — no more often than an Initial would be (RFC 9000 §8.2.1).
   */
  onChallengeSent(now: number, pto: number): void {
    this.challengeSent = true;
    this.challengeRetryAt = now + pto * 2 ** this.challengeRetries++;
  }

  /** Validation timed out (RFC 9000 §8.2.4). */
  failValidation(): void {
    this.challenge = null;
    this.challengeDeadline = Infinity;
    this.challengeRetryAt = Infinity;
    this.validation = 'failed';
  }

  /** A PATH_RESPONSE arrived: returns true if it validates this path. */
  onResponse(data: Uint8Array, now: number): boolean {
    if (this.challenge === null || !bytesEqual(this.challenge, data)) return false;
    this.challenge = null;
    this.challengeDeadline = Infinity;
    this.challengeRetryAt = Infinity;
    this.validation = 'validated';
    this.sendControl.onAddressValidated(now);
    return true;
  }

  /** The address was validated another way (a Handshake packet, RFC 9000 §8.1). */
  markValidated(now: number): void {
    this.validation = 'validated';
    this.sendControl.onAddressValidated(now);
  }

  /** Records a packet sent on this path with its frame descriptors. */
  recordSent(
    space: 0 | 1 | 2,
    pn: number,
    now: number,
    size: number,
    ackEliciting: boolean,
    inFlight: boolean,
    frames: SentFrame[],
  ): void {
    this.sendControl.onPacketSent(
      space,
      new SentPacket(pn, now, size, ackEliciting, inFlight, frames),
    );
  }
}
