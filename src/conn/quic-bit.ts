/**
 * Greasing the QUIC bit (RFC 9287): once the peer advertised grease_quic_bit, the bit is set to
 * an unpredictable value in every packet (§3), so that middleboxes cannot come to rely on it.
 * The bits come in bulk: 512 from one call to the provider's random bytes (a call per 512
 * packets), or 32 from one call to the seeded `random` of tests.
 */
import type { CryptoProvider } from '../crypto/provider.js';

/** Random bytes drawn from the provider at a time: 512 packets' worth of bits. */
const DRAW_BYTES = 64;

export class QuicBitGrease {
  /** Whether the peer advertised grease_quic_bit: until then the bit is always 1 (§3). */
  enabled = false;
  /** Packets sent with the bit cleared (statistics, tests). */
  cleared = 0;
  /** The bits being used up, from the lowest. */
  private bits = 0;
  private left = 0;
  /** Provider bytes not used yet, from `drawPos` on. */
  private drawn: Uint8Array | null = null;
  private drawPos = 0;

  /** `random` is uniform in [0, 1); without it the provider's random bytes are used. */
  constructor(
    private readonly provider: CryptoProvider,
    private readonly random: (() => number) | null,
  ) {}

  /** The QUIC bit of the next packet: always true until `enabled`, then a coin flip. */
  next(): boolean {
    if (!this.enabled) return true;
    if (this.left === 0) this.refill();
    const bit = (this.bits & 1) === 1;
    this.bits >>>= 1;
    this.left--;
    if (!bit) this.cleared++;
    return bit;
  }

  private refill(): void {
    if (this.random !== null) {
      this.bits = Math.floor(this.random() * 0x100000000) >>> 0;
      this.left = 32;
      return;
    }
    let b = this.drawn;
    if (b === null || this.drawPos === b.length) {
      b = this.drawn = this.provider.random(DRAW_BYTES);
      this.drawPos = 0;
    }
    this.bits = b[this.drawPos++]!;
    this.left = 8;
  }
}
