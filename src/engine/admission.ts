/**
 * Admission of new clients whose address is not validated (flood defence,
 * docs/ARCHITECTURE.md §7.8).
 *
 * A server connection costs a full TLS handshake (a key exchange and a signature, 3-4 ms of
 * CPU) and tens of kilobytes, and a client Initial costs an attacker one spoofed datagram: an
 * address that was never validated (RFC 9000 §8.1) must not be able to hold more than a bounded
 * share of either. So a server keeps at most `maxUnvalidated` such connections at once, admits
 * at most `maxNewPerSecond` of them, and drops each one whose client, its address still not
 * validated, has sent nothing for `unvalidatedTimeout` (a spoofed address sends once). Over a limit, a new client is asked to prove its
 * address with Retry (RFC 9000 §8.1.2), which costs the server no state and no TLS work; a
 * client that comes back with the Retry token is validated and does not count here. With
 * `autoRetry` off, such Initials are dropped instead (the client retransmits, RFC 9002 §6.2).
 *
 * The memory this admits is bounded too: what an unvalidated connection may send is capped at
 * three times what it received (RFC 9000 §8.1), what it buffers from the client by the CRYPTO
 * and undecryptable-packet limits, so `maxUnvalidated` bounds their memory (about 35 KB each,
 * measured: bench/README.md, "Initial floods").
 */

/** Limits on connections whose client address is not validated yet (server). */
export interface AdmissionOptions {
  /**
   * Most connections at once whose client address is not validated yet (RFC 9000 §8.1).
   * Default 128.
   */
  maxUnvalidated?: number;
  /** Most new connections with an unvalidated address per second (and in a burst). Default 1000. */
  maxNewPerSecond?: number;
  /**
   * Over a limit, demand address validation with Retry (true) or drop the Initial (false).
   * Default true.
   */
  autoRetry?: boolean;
  /**
   * How long a connection whose client address is not validated yet may go without a datagram
   * from the client, µs, before it is dropped without a word (the address may be spoofed).
   * Default 20 s, two thirds of the default idle timeout. A real client whose datagrams are lost
   * must get its next one through within it, and until it knows its address is validated it
   * keeps doubling its PTO even after the server's ACK (RFC 9002 §6.2.1), a PTO that the ACK's
   * round trip sets (3 RTT for the first sample, §6.2.1, §5.3): after three lost rounds (the
   * interop runner's amplificationlimit case drops client datagrams 2–7 of a two-datagram
   * ClientHello) its next flight leaves 7 PTOs, about 21 RTT, after the first. 5 s dropped such
   * clients once a loaded server answered its first Initial 250 ms late; 20 s covers a first
   * round trip up to about 0.9 s. Floods still meet `maxUnvalidated`, then Retry.
   */
  unvalidatedTimeout?: number;
}

/** What to do with a new client whose address is not validated. */
export type Admission = 'accept' | 'retry' | 'drop';

const DEFAULTS = {
  maxUnvalidated: 128,
  maxNewPerSecond: 1000,
  autoRetry: true,
  unvalidatedTimeout: 20_000_000,
} as const;

export class AdmissionControl<C> {
  private readonly maxUnvalidated: number;
  private readonly maxNewPerSecond: number;
  private readonly autoRetry: boolean;
  private readonly timeout: number;
  /**
   * Connections not validated yet and when their client was last heard from, least recently
   * heard first (a Map keeps insertion order; a connection heard from moves to the end).
   */
  private readonly unvalidated = new Map<C, number>();
  /** Token bucket of new unvalidated connections: tokens now, and when it was last filled. */
  private tokens: number;
  private filledAt: number | null = null;

  constructor(opts: AdmissionOptions = {}) {
    this.maxUnvalidated = opts.maxUnvalidated ?? DEFAULTS.maxUnvalidated;
    this.maxNewPerSecond = opts.maxNewPerSecond ?? DEFAULTS.maxNewPerSecond;
    this.autoRetry = opts.autoRetry ?? DEFAULTS.autoRetry;
    this.timeout = opts.unvalidatedTimeout ?? DEFAULTS.unvalidatedTimeout;
    for (const [name, v] of [
      ['maxUnvalidated', this.maxUnvalidated],
      ['maxNewPerSecond', this.maxNewPerSecond],
      ['unvalidatedTimeout', this.timeout],
    ] as const) {
      if (!(v >= 0)) throw new RangeError(`admission.${name} must be a number >= 0`);
    }
    this.tokens = this.maxNewPerSecond;
  }

  /** Connections held now whose client address is not validated. */
  get unvalidatedCount(): number {
    return this.unvalidated.size;
  }

  /** Whether a new client with an unvalidated address may have a connection now. */
  admit(now: number): Admission {
    this.refill(now);
    if (this.unvalidated.size < this.maxUnvalidated && this.tokens >= 1) return 'accept';
    return this.autoRetry ? 'retry' : 'drop';
  }

  /** A connection was made for a client whose address is not validated. */
  added(conn: C, now: number): void {
    this.refill(now);
    this.tokens = Math.max(0, this.tokens - 1);
    this.unvalidated.set(conn, now);
  }

  /** A datagram arrived from the client of an unvalidated connection. */
  heard(conn: C, now: number): void {
    if (this.unvalidated.delete(conn)) this.unvalidated.set(conn, now);
  }

  /** The connection's client address was validated, or the connection is gone. */
  settled(conn: C): void {
    this.unvalidated.delete(conn);
  }

  /** When the least recently heard unvalidated connection runs out of time (µs), or Infinity. */
  nextExpiry(): number {
    for (const heard of this.unvalidated.values()) return heard + this.timeout;
    return Infinity;
  }

  /** An unvalidated connection whose time is up (it is no longer counted), or null. */
  takeExpired(now: number): C | null {
    for (const [c, heard] of this.unvalidated) {
      if (heard + this.timeout > now) return null;
      this.unvalidated.delete(c);
      return c;
    }
    return null;
  }

  private refill(now: number): void {
    if (this.filledAt !== null && now > this.filledAt) {
      const earned = ((now - this.filledAt) * this.maxNewPerSecond) / 1_000_000;
      this.tokens = Math.min(this.maxNewPerSecond, this.tokens + earned);
    }
    if (this.filledAt === null || now > this.filledAt) this.filledAt = now;
  }
}
