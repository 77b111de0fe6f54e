/**
 * Greasing the QUIC bit (RFC 9287): once the peer advertised grease_quic_bit, the bit is set to
 * an unpredictable value in every packet (§3), so that middleboxes cannot come to rely on it.
 * The bits come 32 at a time from one random draw, so the packet path pays one call per 32
 * packets.
 */
import type { CryptoProvider } from '../crypto/provider.js';

export class QuicBitGrease {
  /** Whether the peer advertised grease_quic_bit: until then the bit is always 1 (§3). */
  enabled = false;
  /** Packets sent with the bit cleared (statistics, tests). */
  cleared = 0;
  private bits = 0;
  private left = 0;

  /** `random` is uniform in [0, 1); without it the provider's random bytes are used. */
  constructor(
    private readonly provider: CryptoProvider,
    private readonly random: (() => number) | null,
  ) {}

  /** The QUIC bit of the next packet: always true until `enabled`, then a coin flip. */
  next(): boolean {
    if (!this.enabled) return true;
    if (this.left === 0) {
      this.bits = this.random ? Math.floor(this.random() * 0x100000000) >>> 0 : this.draw();
      this.left = 32;
    }
    const bit = (this.bits & 1) === 1;
    this.bits >>>= 1;
    this.left--;
    if (!bit) this.cleared++;
    return bit;
  }

  private draw(): number {
    const b = this.provider.random(4);
    return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  }
}
