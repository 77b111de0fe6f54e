/**
 * A network path of a connection (RFC 9000 §9): the address pair, the Destination CID used on it,
 * its send control (RTT, loss detection, congestion control, pacing — docs/ARCHITECTURE.md §1.4),
 * its validation by PATH_CHALLENGE / PATH_RESPONSE (§8.2) and its anti-amplification budget (§8.1,
 * §9.3.1: a server sends at most three times what it received on an unvalidated path).
 *
 * A connection has one active path; while it validates another (a probe, a migration, the
 * preferred address) both share the send control, which is reset for a new path's congestion
 * state when the connection moves (§9.4). The budget cannot live in the shared send control:
 * each path owns its own, the only counter of its bytes, and the send control enforces the
 * active path's (`activate`).
 */
import { SentPacket } from '../ack/sent.js';
import { AmplificationBudget } from '../path/amplification.js';
import type { PathMtuDiscovery } from '../path/pmtud.js';
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
  /** How long validation lasts once started, until `armValidationDeadline` sets the deadline. */
  private validationTimeout = 0;
  /** When an unanswered PATH_CHALLENGE is sent again (RFC 9000 §8.2.1: a lost one is retried). */
  challengeRetryAt = Infinity;
  private challengeRetries = 0;
  /** PATH_RESPONSE data we owe the peer (RFC 9000 §8.2.2), sent on the path it arrived on. */
  responses: Uint8Array[] = [];
  /**
   * Bytes received from and sent to this address while it is unvalidated (RFC 9000 §8.1): every
   * datagram counted once, whole (coalesced packets and padding included), whatever it holds.
   */
  readonly amplification: AmplificationBudget;
  /** DPLPMTUD of this address pair (RFC 9000 §14.3), made on first use (path-mtu.ts). */
  pmtud: PathMtuDiscovery | null = null;

  constructor(
    public local: SocketAddress,
    public remote: SocketAddress,
    readonly sendControl: SendControl<SentFrame>,
    validated: boolean,
    /** The peer CID packets on this path carry (RFC 9000 §9.5: one CID per path). */
    public dcid: PeerCid,
  ) {
    this.validation = validated ? 'validated' : 'unvalidated';
    this.amplification = new AmplificationBudget(validated);
  }

  get validated(): boolean {
    return this.validation === 'validated';
  }

  /** Makes this the connection's active path: the send control enforces this path's budget. */
  activate(now: number): void {
    this.sendControl.useAmplificationBudget(this.amplification, now);
  }

  /**
   * A path a client opens itself toward its server's known or preferred address (RFC 9000 §9.2,
   * §9.6) is not bound by the limit, which protects addresses learned from packets (§8.1,
   * §9.3.1): its probes must be full size (§8.2.1).
   */
  liftAmplificationLimit(): void {
    this.amplification.validate();
  }

  /** Bytes the anti-amplification limit lets us send on this path now. */
  amplificationAllowance(): number {
    return this.amplification.allowance();
  }

  /** A datagram arrived on this path: counted even if none of its packets can be processed. */
  onDatagramReceived(bytes: number, now: number): void {
    this.sendControl.onDatagramReceived(bytes, now, this.amplification);
  }

  /**
   * A datagram left on this path (probes and CONNECTION_CLOSE included). True when it was the
   * first with a Destination CID that has a reset token: the token counts from now on (RFC 9000
   * §10.3.1), and the engine must index it (Connection.onPeerResetTokens).
   */
  onDatagramSent(bytes: number, now: number): boolean {
    this.sendControl.onDatagramSent(bytes, now, this.amplification);
    this.pmtud?.onDatagramSent(bytes, now);
    // The token counts for resets from this address (PeerCids.isStatelessReset).
    const firstUse = this.dcid.sentTo === null && this.dcid.resetToken !== undefined;
    this.dcid.sentTo = this.remote;
    return firstUse;
  }

  /**
   * Starts validation with fresh challenge data; it gives up `timeout` µs after the next
   * `armValidationDeadline(now)` (the caller may have no `now`: `Connection.migrate`).
   */
  startValidation(data: Uint8Array, timeout: number): void {
    this.challenge = data;
    this.challengeSent = false;
    this.challengeDeadline = Infinity;
    this.validationTimeout = timeout;
    this.challengeRetryAt = Infinity;
    this.challengeRetries = 0;
    this.validation = 'validating';
  }

  /** Starts the validation timer of `startValidation` from `now`, once. */
  armValidationDeadline(now: number): void {
    if (this.validationTimeout === 0) return;
    this.challengeDeadline = now + this.validationTimeout;
    this.validationTimeout = 0;
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
    this.validationTimeout = 0;
    this.challengeRetryAt = Infinity;
    this.validation = 'failed';
  }

  /** A PATH_RESPONSE arrived: returns true if it validates this path. */
  onResponse(data: Uint8Array, now: number): boolean {
    if (this.challenge === null || !bytesEqual(this.challenge, data)) return false;
    this.challenge = null;
    this.challengeDeadline = Infinity;
    this.validationTimeout = 0;
    this.challengeRetryAt = Infinity;
    this.validation = 'validated';
    this.sendControl.onAddressValidated(now, this.amplification);
    return true;
  }

  /** The address was validated another way (a Handshake packet, RFC 9000 §8.1). */
  markValidated(now: number): void {
    this.validation = 'validated';
    this.sendControl.onAddressValidated(now, this.amplification);
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
    pmtuProbe = false,
  ): void {
    this.sendControl.onPacketSent(
      space,
      new SentPacket(pn, now, size, ackEliciting, inFlight, frames, pmtuProbe),
    );
  }
}
