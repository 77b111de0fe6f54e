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
  /** PATH_RESPONSE data we owe the peer (RFC 9000 §8.2.2), sent on the path it arrived on. */
  responses: Uint8Array[] = [];
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
    return this.validated ? Infinity : Math.max(0, 3 * this.bytesReceived - this.bytesSent);
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
    this.validation = 'validating';
  }

  /** A PATH_RESPONSE arrived: returns true if it validates this path. */
  onResponse(data: Uint8Array, now: number): boolean {
    if (this.challenge === null || !bytesEqual(this.challenge, data)) return false;
    this.challenge = null;
    this.challengeDeadline = Infinity;
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
