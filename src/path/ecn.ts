/**
 * ECN on one path (RFC 9000 §13.4): which codepoint our datagrams carry, and the validation of
 * the counts the peer reports in ACK frames (§13.4.2, Appendix A.4).
 *
 * States:
 * - `off`: the host's socket cannot mark, so nothing is marked (counts are still reported by
 *   the receive side when the socket can read them);
 * - `testing`: the first TESTING_PACKETS packets are marked ECT(0) (§13.4.2.1: a few packets,
 *   so that a path that drops marked packets costs little);
 * - `unknown`: the test packets are out, nothing more is marked until an ACK validates them;
 * - `capable`: validated; every packet is marked and every ACK is checked again;
 * - `failed`: validation failed (marks bleached or remarked, counts missing, too low or above
 *   what was sent, or every test packet lost): nothing is marked on this path any more.
 *
 * The owner marks a packet as sent with ECT(0) (`SentPacket.ecnMarked`) when `marking` is true
 * at send time, and gives every ACK frame with its newly acknowledged packets to `onAck` and
 * every lost packet to `onLost`.
 */
import { Ecn, type PnSpace } from '../ack/pn-space.js';
import type { EcnCounts } from '../wire/frame-types.js';

/** Packets marked while testing a path (RFC 9000 §13.4.2.1 suggests ten). */
export const ECN_TESTING_PACKETS = 10;

/** State changes kept for `takeChanges` (a few per path: testing, unknown, capable or failed). */
const MAX_CHANGES = 8;

export type EcnState = 'off' | 'testing' | 'unknown' | 'capable' | 'failed';

/** Why validation failed, for stats and qlog. */
export type EcnFailure =
  | 'no_counts'
  | 'counts_too_low'
  | 'counts_above_sent'
  | 'counts_decreased'
  | 'remarked'
  | 'test_packets_lost';

/** What validation needs to know of a newly acknowledged or lost packet. */
export interface EcnPacket {
  readonly ecnMarked: boolean;
}

/** ECN statistics of a path. */
export interface EcnStats {
  state: EcnState;
  failure: EcnFailure | null;
  /** Packets sent marked ECT(0). */
  markedSent: number;
  /** The latest counts the peer reported, summed over the packet number spaces. */
  peerEct0: number;
  peerEct1: number;
  peerCe: number;
}

export class EcnValidator {
  private stateValue: EcnState;
  private failureValue: EcnFailure | null = null;
  /** Marked packets sent per space, and their total. */
  private readonly sent = [0, 0, 0];
  private markedSent = 0;
  private testSent = 0;
  private markedAcked = 0;
  private markedLost = 0;
  /** The counts of the latest ACK that raised the largest acknowledged, per space. */
  private readonly last: EcnCounts[] = [
    { ect0: 0, ect1: 0, ce: 0 },
    { ect0: 0, ect1: 0, ce: 0 },
    { ect0: 0, ect1: 0, ce: 0 },
  ];
  private readonly largestAcked = [-1, -1, -1];
  /** States entered and not yet taken (`takeChanges`). */
  private readonly changes: EcnState[] = [];
  /** The counts summed over the spaces, as the peer reported them. */
  private readonly peerTotals: EcnCounts = { ect0: 0, ect1: 0, ce: 0 };

  /** `enabled`: the host's socket sets the ECN codepoint of what we send. */
  constructor(private readonly enabled: boolean) {
    this.stateValue = enabled ? 'testing' : 'off';
    if (enabled) this.changes.push('testing');
  }

  get state(): EcnState {
    return this.stateValue;
  }

  get failure(): EcnFailure | null {
    return this.failureValue;
  }

  /** Whether packets sent now are marked ECT(0). Constant within one datagram. */
  get marking(): boolean {
    return this.stateValue === 'testing' || this.stateValue === 'capable';
  }

  /** The IP ECN codepoint of the datagram being sent. */
  get codepoint(): Ecn {
    return this.marking ? Ecn.Ect0 : Ecn.NotEct;
  }

  /** A packet was sent in `space`; `marked` is `marking` at the time. */
  onPacketSent(space: PnSpace, marked: boolean): void {
    if (!marked) return;
    this.sent[space]!++;
    this.markedSent++;
    if (this.stateValue === 'testing') this.testSent++;
  }

  /** A datagram was sent: the testing period ends at a datagram boundary. */
  onDatagramSent(): void {
    if (this.stateValue === 'testing' && this.testSent >= ECN_TESTING_PACKETS) {
      this.setState('unknown');
    }
  }

  /**
   * An ACK frame in `space` newly acknowledged `acked`; `largest` is its Largest Acknowledged.
   * RFC 9000 §13.4.2.1: only an ACK that raises the largest acknowledged is checked (an older
   * one may carry older counts).
   */
  onAck(
    space: PnSpace,
    largest: number,
    counts: EcnCounts | undefined,
    acked: readonly EcnPacket[],
  ): void {
    let newlyMarked = 0;
    for (let i = 0; i < acked.length; i++) if (acked[i]!.ecnMarked) newlyMarked++;
    this.markedAcked += newlyMarked;
    if (largest <= this.largestAcked[space]!) return;
    this.largestAcked[space] = largest;
    const last = this.last[space]!;
    if (counts === undefined) {
      // Marked packets acknowledged without counts: the marks were bleached or the peer does
      // not report them (§13.4.2.1).
      if (newlyMarked > 0) this.fail('no_counts');
      return;
    }
    const dEct0 = counts.ect0 - last.ect0;
    const dEct1 = counts.ect1 - last.ect1;
    const dCe = counts.ce - last.ce;
    this.peerTotals.ect0 += dEct0;
    this.peerTotals.ect1 += dEct1;
    this.peerTotals.ce += dCe;
    last.ect0 = counts.ect0;
    last.ect1 = counts.ect1;
    last.ce = counts.ce;
    if (this.stateValue === 'off' || this.stateValue === 'failed') return;
    const sent = this.sent[space]!;
    if (dEct0 < 0 || dEct1 < 0 || dCe < 0) this.fail('counts_decreased');
    // We only ever send ECT(0): ECT(1) counts mean the path remarks (§13.4.2.1).
    else if (counts.ect1 > 0) this.fail('remarked');
    else if (counts.ect0 > sent || counts.ect0 + counts.ce > sent) this.fail('counts_above_sent');
    // Every newly acknowledged ECT(0) packet must show up as ECT(0) or CE.
    else if (dEct0 + dCe < newlyMarked) this.fail('counts_too_low');
    else if (newlyMarked > 0 && this.stateValue !== 'capable') this.setState('capable');
  }

  /**
   * The peer's address changed (RFC 9000 §9.4): a new path is tested anew (§13.4.2). The counts
   * stay: they are per packet number space, not per path.
   */
  restart(): void {
    if (!this.enabled) return;
    this.setState('testing');
    this.failureValue = null;
    this.testSent = 0;
    this.markedAcked = 0;
    this.markedLost = 0;
  }

  /** Packets were declared lost: if they were all the test packets, the path drops marks. */
  onLost(lost: readonly EcnPacket[]): void {
    for (let i = 0; i < lost.length; i++) if (lost[i]!.ecnMarked) this.markedLost++;
    if (
      this.stateValue === 'unknown' &&
      this.markedAcked === 0 &&
      this.markedLost >= this.testSent
    ) {
      this.fail('test_packets_lost');
    }
  }

  stats(): EcnStats {
    return {
      state: this.stateValue,
      failure: this.failureValue,
      markedSent: this.markedSent,
      peerEct0: this.peerTotals.ect0,
      peerEct1: this.peerTotals.ect1,
      peerCe: this.peerTotals.ce,
    };
  }

  /**
   * The states entered since the last call, oldest first (for qlog's ecn_state_updated). At most
   * MAX_CHANGES are kept when nobody asks.
   */
  takeChanges(): EcnState[] {
    return this.changes.splice(0);
  }

  private setState(state: EcnState): void {
    this.stateValue = state;
    if (this.changes.length < MAX_CHANGES) this.changes.push(state);
  }

  private fail(reason: EcnFailure): void {
    if (this.stateValue === 'failed') return;
    this.setState('failed');
    this.failureValue = reason;
  }
}
