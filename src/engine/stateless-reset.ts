/**
 * Stateless reset (RFC 9000 §10.3). Tokens are derived from a static key and the connection ID
 * (§10.3.2: HMAC over the CID), so an endpoint that lost all state can still produce the token it
 * once advertised for a CID, and only that CID's owner can.
 */
import type { CryptoProvider } from '../crypto/provider.js';

/** The smallest stateless reset we send: 5 unpredictable bytes + 16-byte token (§10.3). */
const MIN_RESET_SIZE = 21;
/** A packet we could reset must itself be large enough that our reply can be smaller (§10.3.3). */
export const MIN_PACKET_FOR_RESET = MIN_RESET_SIZE + 1;

export class StatelessResetter {
  private readonly key: Uint8Array;
  private tokensThisWindow = 0;
  private windowStart = 0;

  constructor(
    private readonly provider: CryptoProvider,
    key?: Uint8Array,
    /** At most this many resets per second, so resets cannot be used for amplification loops. */
    private readonly maxPerSecond = 100,
  ) {
    this.key = key ?? provider.random(32);
  }

  /** The stateless_reset_token for a connection ID we issue (§10.3.2). */
  tokenFor(cid: Uint8Array): Uint8Array {
    return this.provider.hmac('sha256', this.key, cid).subarray(0, 16);
  }

  /**
   * A stateless reset answering a short-header packet of `triggerLength` bytes for an unknown
   * `cid`, or null when it must not be sent: too small to stay smaller than the trigger
   * (§10.3.3 loop prevention), or over the rate limit.
   */
  buildReset(cid: Uint8Array, triggerLength: number, now: number): Uint8Array | null {
    if (triggerLength < MIN_PACKET_FOR_RESET) return null;
    if (now - this.windowStart >= 1_000_000) {
      this.windowStart = now;
      this.tokensThisWindow = 0;
    }
    if (this.tokensThisWindow >= this.maxPerSecond) return null;
    this.tokensThisWindow++;
    // Smaller than the trigger by at least one byte, but as large as we may (max 43, like a
    // typical short-header packet) so it is indistinguishable from one (§10.3).
    const size = Math.max(MIN_RESET_SIZE, Math.min(triggerLength - 1, 43));
    const out = this.provider.random(size);
    // Fixed bit set, long-header bit clear: looks like a short header (§10.3).
    out[0] = (out[0]! & 0x3f) | 0x40;
    out.set(this.tokenFor(cid), size - 16);
    return out;
  }
}
