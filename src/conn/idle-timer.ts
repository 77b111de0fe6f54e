/**
 * The idle timeout and keep-alive of a connection (RFC 9000 §10.1). The timer restarts on every
 * packet received and processed, and on the first ack-eliciting packet sent after one: sending
 * again and again without hearing back does not keep a connection whose peer went silent alive.
 * The connection passes in what the deadline depends on (the peer's max_idle_timeout, the PTO,
 * whether keep-alives apply yet), with `now`.
 */

/** What `onTimeout` found due. */
export type IdleTimeout = 'none' | 'expired' | 'keep_alive';

export class IdleTimer {
  private idleDeadline = Infinity;
  private keepAliveDeadline = Infinity;
  /** An ack-eliciting packet went out since the last restart by a receive. */
  private sentSinceReceive = false;

  /**
   * `localTimeoutMs`: our max_idle_timeout (0: none); `keepAliveUs`: PING after this long
   * without activity once established (0: never).
   */
  constructor(
    private readonly localTimeoutMs: number,
    private readonly keepAliveUs: number,
  ) {}

  /**
   * The idle timeout in force (RFC 9000 §10.1): the smaller of both sides' max_idle_timeout,
   * a side that sent 0 (or nothing yet) not counting; 0 when neither has one.
   */
  effectiveTimeoutMs(peerTimeoutMs: number): number {
    const local = this.localTimeoutMs;
    return local === 0
      ? peerTimeoutMs
      : peerTimeoutMs === 0
        ? local
        : Math.min(local, peerTimeoutMs);
  }

  /**
   * A packet was received and processed (or the handshake moved on): restart the timer from
   * `now`. `ptoUs`: the current PTO period; `established`: keep-alives apply.
   */
  onReceive(now: number, peerTimeoutMs: number, ptoUs: number, established: boolean): void {
    this.sentSinceReceive = false;
    this.restart(now, peerTimeoutMs, ptoUs, established);
  }

  /**
   * An ack-eliciting packet was sent: only the first one since the last receive restarts the
   * timer (RFC 9000 §10.1).
   */
  onAckElicitingSent(now: number, peerTimeoutMs: number, ptoUs: number, established: boolean) {
    if (this.sentSinceReceive) return;
    this.restart(now, peerTimeoutMs, ptoUs, established);
    this.sentSinceReceive = true;
  }

  /** Whether the next ack-eliciting packet sent restarts the timer (none has since a receive). */
  get restartsOnSend(): boolean {
    return !this.sentSinceReceive;
  }

  /** When the connection times out (Infinity: never). */
  get deadline(): number {
    return this.idleDeadline;
  }

  /** The earliest of the idle and keep-alive deadlines. */
  nextTimeout(): number {
    return Math.min(this.idleDeadline, this.keepAliveDeadline);
  }

  /**
   * What is due at `now`: the connection times out ('expired', silently: RFC 9000 §10.1), or a
   * PING keeps it alive ('keep_alive': the next one is due one keep-alive period later).
   */
  onTimeout(now: number): IdleTimeout {
    if (now >= this.idleDeadline) return 'expired';
    if (now >= this.keepAliveDeadline) {
      this.keepAliveDeadline = now + this.keepAliveUs;
      return 'keep_alive';
    }
    return 'none';
  }

  private restart(now: number, peerTimeoutMs: number, ptoUs: number, established: boolean): void {
    const ms = this.effectiveTimeoutMs(peerTimeoutMs);
    // RFC 9000 §10.1: at least three PTOs, so a few probes can still get through.
    this.idleDeadline = ms === 0 ? Infinity : now + Math.max(ms * 1000, 3 * ptoUs);
    this.keepAliveDeadline =
      this.keepAliveUs > 0 && established ? now + this.keepAliveUs : Infinity;
  }
}
