/**
 * The anti-amplification limit of RFC 9000 §8.1: before a path's address is validated, a server
 * sends at most three times the bytes it received on it. Clients are never limited (their
 * budget starts validated).
 */

/** RFC 9000 §8.1: three times the bytes received. */
export const AMPLIFICATION_FACTOR = 3;

export class AmplificationBudget {
  private received = 0;
  private sent = 0;
  private isValidated: boolean;
  private readonly factor: number;

  constructor(validated: boolean, factor: number = AMPLIFICATION_FACTOR) {
    if (!(factor >= 1) || !Number.isFinite(factor)) {
      throw new RangeError(`amplification factor must be >= 1, got ${factor}`);
    }
    this.isValidated = validated;
    this.factor = factor;
  }

  /** True once the peer's address is validated (RFC 9000 §8.1): no limit applies any more. */
  get validated(): boolean {
    return this.isValidated;
  }

  /** Bytes received on the path (UDP payload), counted while unvalidated. */
  get bytesReceived(): number {
    return this.received;
  }

  /** Bytes sent on the path (UDP payload), counted while unvalidated. */
  get bytesSent(): number {
    return this.sent;
  }

  /**
   * A datagram arrived. RFC 9000 §8.1 counts every datagram uniquely attributed to the
   * connection, including ones whose packets could not be processed.
   */
  onDatagramReceived(bytes: number): void {
    if (!this.isValidated) this.received += bytes;
  }

  /** Bytes were sent (a packet, or a whole datagram not otherwise counted). */
  onBytesSent(bytes: number): void {
    if (!this.isValidated) this.sent += bytes;
  }

  /** The address was validated (Handshake packet received, token or path validation). */
  validate(): void {
    this.isValidated = true;
  }

  /** Bytes that may be sent now: Infinity once validated. */
  allowance(): number {
    if (this.isValidated) return Infinity;
    const left = this.factor * this.received - this.sent;
    return left > 0 ? left : 0;
  }

  /** Nothing at all may be sent until more bytes arrive (RFC 9002 §6.2.2.1). */
  isBlocked(): boolean {
    return !this.isValidated && this.factor * this.received <= this.sent;
  }
}
