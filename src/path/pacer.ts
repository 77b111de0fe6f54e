/**
 * A token-bucket pacer (RFC 9002 §7.7). Tokens (bytes) accrue at the pacing rate up to a burst
 * of the initial window (or two send quanta, whichever is larger); a packet may leave when the
 * bucket holds its size, and takes that many tokens. The pacer keeps no timer: the connection
 * asks `nextSendTime` and arms its own.
 *
 * Send quantum: once a send found the bucket empty, the next release waits until a whole
 * quantum has accrued, so that packets leave in bursts of a quantum rather than one by one as
 * each packet's worth of tokens comes in. At high rates that is what lets a host hand the
 * kernel one batch per wake-up (UDP GSO) instead of a packet per wake-up; at low rates the
 * quantum is one packet and nothing changes. The quantum is about 1 ms of the pacing rate
 * (draft-ietf-ccwg-bbr §4.6.3, the same budget Linux uses per TSO burst).
 */

/** RFC 9002 §7.7: N = 1.25 keeps RTT variation from leaving the window unused. */
export const PACING_GAIN = 1.25;

/** Tolerance for floating-point residue when the bucket refills exactly to zero. */
const EPSILON = 1e-6;

/** The most a send quantum may be: one UDP GSO call carries at most 64 KiB. */
export const MAX_SEND_QUANTUM = 64 * 1024;

/**
 * The default send quantum: 1 ms at `bytesPerSecond`, at least one datagram, at most
 * MAX_SEND_QUANTUM (controllers with a quantum of their own, BBR, say so: `sendQuantum`).
 */
export function defaultSendQuantum(bytesPerSecond: number, maxDatagramSize: number): number {
  const perMs = bytesPerSecond / 1000;
  return perMs < maxDatagramSize
    ? maxDatagramSize
    : perMs > MAX_SEND_QUANTUM
      ? MAX_SEND_QUANTUM
      : perMs;
}

export class Pacer {
  private tokens: number;
  /** The burst allowed after idle (the initial window). */
  private burst: number;
  /** Bytes one release lets go back to back once the bucket ran dry; 0: one packet. */
  private quantum = 0;
  /** The bucket's capacity: the larger of `burst` and two quanta. */
  private capacity: number;
  /** A send found the bucket empty: the next release waits for a whole quantum. */
  private refilling = false;
  /** Bytes per microsecond; Infinity disables pacing. */
  private ratePerMicro = Infinity;
  private lastUpdate = -Infinity;

  constructor(burstBytes: number) {
    this.burst = checkBurst(burstBytes);
    this.capacity = this.burst;
    this.tokens = this.burst;
  }

  /** Current rate in bytes per second (Infinity when unpaced). */
  get rate(): number {
    return this.ratePerMicro * 1_000_000;
  }

  /** Bucket capacity in bytes. */
  get burstSize(): number {
    return this.capacity;
  }

  /** The current send quantum in bytes (0: one packet). */
  get sendQuantum(): number {
    return this.quantum;
  }

  /** Sets the burst after idle (RFC 9002 §7.7: limit bursts to the initial window). */
  setBurst(bytes: number): void {
    this.burst = checkBurst(bytes);
    this.resize();
  }

  /**
   * Sets the send quantum (see above). Two quanta fit in the bucket, so that a release served a
   * little late (a host's timer granularity) does not lose rate.
   */
  setQuantum(bytes: number): void {
    if (!(bytes >= 0) || !Number.isFinite(bytes)) {
      throw new RangeError(`send quantum must be a non-negative number of bytes, got ${bytes}`);
    }
    this.quantum = bytes;
    this.resize();
  }

  private resize(): void {
    const two = 2 * this.quantum;
    this.capacity = two > this.burst ? two : this.burst;
    if (this.tokens > this.capacity) this.tokens = this.capacity;
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
    this.quantum = 0;
    this.capacity = this.burst;
    this.tokens = this.burst;
    this.refilling = false;
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
    // After the bucket ran dry, a whole quantum; a packet larger than the whole bucket waits
    // only for a full bucket.
    let want = this.refilling && this.quantum > bytes ? this.quantum : bytes;
    if (want > this.capacity) want = this.capacity;
    const need = want - this.tokens;
    if (need <= EPSILON) {
      this.refilling = false;
      return now;
    }
    return now + Math.ceil(need / this.ratePerMicro);
  }

  /** A paced packet of `bytes` was sent at `now`. */
  onPacketSent(bytes: number, now: number): void {
    this.refill(now);
    this.tokens -= bytes;
    // Not enough left for another packet like it: the bucket ran dry.
    if (this.tokens < bytes) this.refilling = true;
  }

  private refill(now: number): void {
    if (now > this.lastUpdate) {
      if (this.ratePerMicro === Infinity) {
        this.tokens = this.capacity;
      } else if (this.lastUpdate !== -Infinity) {
        this.tokens = Math.min(
          this.capacity,
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
