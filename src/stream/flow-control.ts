/**
 * Data flow control, RFC 9000 §4: the same two objects serve a stream (MAX_STREAM_DATA,
 * STREAM_DATA_BLOCKED) and the connection (MAX_DATA, DATA_BLOCKED).
 *
 * - `SendCredit` is the limit the peer gave us and how much of it we used.
 * - `RecvWindow` is the limit we advertise, what the peer sent and what the application consumed;
 *   it decides when to advertise more and auto-tunes the window size.
 *
 * There is no clock here: time and RTT (microseconds) are arguments.
 */
import { QuicError, TransportError } from '../wire/errors.js';

/** Send-side credit: the peer's limit (only increases) and the bytes we have sent against it. */
export class SendCredit {
  private max: number;
  private consumed = 0;
  /** The limit at which a BLOCKED frame was last queued, -1 if none. */
  private blockedAt = -1;

  constructor(initialLimit = 0) {
    this.max = initialLimit;
  }

  /** The peer's current limit. */
  get limit(): number {
    return this.max;
  }

  /** Bytes sent against the limit. */
  get used(): number {
    return this.consumed;
  }

  /** Bytes that may still be sent. */
  get available(): number {
    return this.max > this.consumed ? this.max - this.consumed : 0;
  }

  /**
   * Applies a MAX_DATA / MAX_STREAM_DATA value (or a transport parameter). RFC 9000 §4.1: values
   * that do not increase the limit are ignored. Returns true if the limit grew.
   */
  raise(limit: number): boolean {
    if (limit <= this.max) return false;
    this.max = limit;
    return true;
  }

  /** Records `n` bytes of new data sent. */
  consume(n: number): void {
    this.consumed += n;
  }

  /** True when all credit is used: the sender is blocked (RFC 9000 §4.1). */
  get blocked(): boolean {
    return this.consumed >= this.max;
  }

  /** Blocked, and no BLOCKED frame was queued yet for the current limit. */
  get blockedSignalDue(): boolean {
    return this.consumed >= this.max && this.blockedAt !== this.max;
  }

  /**
   * Called when the sender has data but no credit. Returns true the first time for each limit
   * value, so one DATA_BLOCKED / STREAM_DATA_BLOCKED frame is queued per limit.
   */
  shouldSignalBlocked(): boolean {
    if (!this.blockedSignalDue) return false;
    this.blockedAt = this.max;
    return true;
  }

  /**
   * A BLOCKED frame carrying `limit` was lost: RFC 9000 §13.3 sends a new one only while still
   * blocked on that same limit.
   */
  stillBlockedAt(limit: number): boolean {
    return this.blocked && this.max === limit;
  }
}

/** Why an update of the advertised limit is pending. */
type UpdateReason = 'none' | 'due' | 'lost';

/**
 * Receive-side window. The advertised limit is `consumed + window` as of the last update; an
 * update is due once half the window has been consumed (RFC 9000 §4.2 leaves the policy open).
 *
 * Auto-tuning: when two updates fall within 2 RTTs of each other, the window is smaller than
 * the rate at which the application consumes over a round trip, so the sender would stall; the
 * window doubles, up to `maxWindow`.
 */
export class RecvWindow {
  private size: number;
  private advertised: number;
  private receivedTotal = 0;
  private consumedTotal = 0;
  private pending: UpdateReason = 'none';
  private lastUpdateAt = -1;

  /** Upper bound for auto-tuning (never below the initial window). */
  readonly maxWindow: number;

  constructor(
    initialWindow: number,
    maxWindow: number,
    /** Frame type reported with FLOW_CONTROL_ERROR. */
    private readonly frameType: number,
  ) {
    this.size = initialWindow;
    this.advertised = initialWindow;
    this.maxWindow = Math.max(maxWindow, initialWindow);
  }

  /** Current window size. */
  get window(): number {
    return this.size;
  }

  /** Highest limit advertised to the peer. */
  get limit(): number {
    return this.advertised;
  }

  /** Bytes received (highest offset, or for a connection the sum over streams). */
  get received(): number {
    return this.receivedTotal;
  }

  /** Bytes consumed by the application (or discarded). */
  get consumed(): number {
    return this.consumedTotal;
  }

  /** An update of the limit is waiting to be sent. */
  get updatePending(): boolean {
    return this.pending !== 'none';
  }

  /**
   * Counts `n` more bytes received. Throws QuicError FLOW_CONTROL_ERROR if the total passes the
   * advertised limit (RFC 9000 §4.1).
   */
  onReceived(n: number): void {
    const total = this.receivedTotal + n;
    if (total > this.advertised) {
      throw new QuicError(
        TransportError.FLOW_CONTROL_ERROR,
        `received ${total} bytes, over the flow control limit ${this.advertised}`,
        this.frameType,
      );
    }
    this.receivedTotal = total;
  }

  /**
   * Counts `n` bytes consumed. Returns true when this makes an update due that was not pending
   * yet; the caller then queues a MAX_DATA / MAX_STREAM_DATA frame.
   */
  onConsumed(n: number): boolean {
    this.consumedTotal += n;
    if (this.pending !== 'none') return false;
    if (this.advertised - this.consumedTotal > this.size / 2) return false;
    this.pending = 'due';
    return true;
  }

  /**
   * Produces the limit to put in the frame being sent now and clears the pending update. A due
   * update first auto-tunes the window: updates less than 2 RTTs apart double it.
   */
  takeUpdate(now: number, rtt: number): number {
    if (this.pending === 'due') {
      if (this.lastUpdateAt >= 0 && rtt > 0 && now - this.lastUpdateAt < 2 * rtt) {
        this.size = Math.min(this.size * 2, this.maxWindow);
      }
      this.lastUpdateAt = now;
    }
    this.pending = 'none';
    const limit = this.consumedTotal + this.size;
    if (limit > this.advertised) this.advertised = limit;
    return this.advertised;
  }

  /**
   * A frame advertising `limit` was lost. RFC 9000 §13.3: resend (with the current value) only
   * if it was the most recent one. Returns true if an update became pending.
   */
  onUpdateLost(limit: number): boolean {
    if (limit !== this.advertised || this.pending !== 'none') return false;
    this.pending = 'lost';
    return true;
  }

  /** Drops a pending update (the stream no longer needs credit, RFC 9000 §3.2 "Size Known"). */
  cancelUpdate(): void {
    this.pending = 'none';
  }

  /**
   * Grows the window to at least `size` (capped by `maxWindow`): the connection window follows
   * the stream windows so one stream cannot exhaust it.
   */
  ensureWindow(size: number): void {
    const target = Math.min(size, this.maxWindow);
    if (target > this.size) this.size = target;
  }
}
