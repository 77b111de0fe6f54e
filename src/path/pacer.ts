/**
 * A token-bucket pacer (RFC 9002 §7.7). Tokens (bytes) accrue at the pacing rate up to a burst
 * of the initial window; a packet may leave when the bucket holds its size, and takes that many
 * tokens. The pacer keeps no timer: the connection asks `nextSendTime` and arms its own.
 */

/** RFC 9002 §7.7: N = 1.25 keeps RTT variation from leaving the window unused. */
export const PACING_GAIN = 1.25;

/** Tolerance for floating-point residue when the bucket refills exactly to zero. */
const EPSILON = 1e-6;

export class Pacer {
  private tokens: number;
  private burst: number;
  /** Bytes per microsecond; Infinity disables pacing. */
  private ratePerMicro = Infinity;
  private lastUpdate = -Infinity;

  constructor(burstBytes: number) {
    this.burst = checkBurst(burstBytes);
    this.tokens = this.burst;
  }

  /** Current rate in bytes per second (Infinity when unpaced). */
  get rate(): number {
    return this.ratePerMicro * 1_000_000;
  }

  /** Bucket capacity in bytes. */
  get burstSize(): number {
    return this.burst;
  }

  /** Sets the bucket capacity (RFC 9002 §7.7: limit bursts to the initial window). */
  setBurst(bytes: number): void {
    this.burst = checkBurst(bytes);
    if (this.tokens > this.burst) this.tokens = this.burst;
  }

  /**
   * Sets the rate in bytes per second from `now` on; tokens earned until `now` accrue at the
   * previous rate. Infinity (or a non-positive smoothed RTT upstream) means no pacing.
   */
  setRate(bytesPerSecond: number, now: number): void {
    if (!(bytesPerSecond > 0)) {
      throw new RangeError(`pacing rate must be positive, got ${bytesPerSecond}`);
    }
    this.refill(now);
    this.ratePerMicro = bytesPerSecond / 1_000_000;
  }

  /** A full bucket and no rate: the state of a new path. */
  reset(): void {
    this.tokens = this.burst;
    this.ratePerMicro = Infinity;
    this.lastUpdate = -Infinity;
  }

  /** Bytes that may leave back to back at `now` (the bucket's content). */
  available(now: number): number {
    this.refill(now);
    return this.tokens;
  }

  /** The earliest time, not before `now`, at which a packet of `bytes` may be sent. */
  nextSendTime(now: number, bytes: number): number {
    this.refill(now);
    // A packet larger than the whole bucket waits only for a full bucket.
    const need = (bytes < this.burst ? bytes : this.burst) - this.tokens;
    if (need <= EPSILON) return now;
    return now + Math.ceil(need / this.ratePerMicro);
  }

  /** A paced packet of `bytes` was sent at `now`. */
  onPacketSent(bytes: number, now: number): void {
    this.refill(now);
    this.tokens -= bytes;
  }

  private refill(now: number): void {
    if (now > this.lastUpdate) {
      if (this.ratePerMicro === Infinity) {
        this.tokens = this.burst;
      } else if (this.lastUpdate !== -Infinity) {
        this.tokens = Math.min(
          this.burst,
          this.tokens + (now - this.lastUpdate) * this.ratePerMicro,
        );
      }
      this.lastUpdate = now;
    }
  }
}

function checkBurst(bytes: number): number {
  if (!(bytes > 0) || !Number.isFinite(bytes)) {
    throw new RangeError(`pacer burst must be a positive number of bytes, got ${bytes}`);
  }
  return bytes;
}
