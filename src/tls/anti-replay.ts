/**
 * 0-RTT anti-replay (RFC 8446 §8, RFC 9001 §9.2): a single-use record of the ClientHellos whose
 * early data a server accepted. Session tickets are stateless, so without it an attacker who
 * captured a client's first flight can replay its 0-RTT data to the server (or to another server
 * sharing the ticket keys) as often as the ticket-age window allows.
 *
 * The server records the binder of the PSK it accepted (a MAC over the whole ClientHello,
 * random included: unique per ClientHello, §8.2). The ticket-age check (§8.3, `maxTicketAgeSkew`)
 * bounds when a copy can still be fresh, so an entry is kept only until then: the store stays
 * small. A replay within the window finds its entry and is refused early data; the handshake
 * goes on in 1-RTT, where a replayed flight cannot complete (it lacks the client's keys).
 */

import { toHex } from '../util/bytes.js';

/** Where accepted 0-RTT ClientHellos are recorded; shared by every server that shares ticket keys. */
export interface AntiReplayStore {
  /**
   * Records `key` (opaque bytes, at most 64) until `expiresAt` (ms since the epoch, the same
   * clock as `now`). Returns true when `key` was not recorded yet, false for a replay - or when
   * the store cannot tell (full, unreachable): early data is then refused, never accepted twice.
   * May return a promise (a store shared between machines); the handshake waits for it.
   */
  checkAndRecord(key: Uint8Array, now: number, expiresAt: number): boolean | Promise<boolean>;
}

/** The in-process store: bounded, entries forgotten once their window has passed. */
export class MemoryAntiReplayStore implements AntiReplayStore {
  /** Key (hex) to expiry, in insertion order (about expiry order: windows are all alike). */
  private readonly entries = new Map<string, number>();
  readonly capacity: number;

  /** `capacity`: most ClientHellos remembered at once (default 100 000, about 25 MB at most). */
  constructor(capacity = 100_000) {
    if (!(Number.isInteger(capacity) && capacity > 0)) {
      throw new RangeError('capacity must be a positive integer');
    }
    this.capacity = capacity;
  }

  get size(): number {
    return this.entries.size;
  }

  checkAndRecord(key: Uint8Array, now: number, expiresAt: number): boolean {
    const id = toHex(key);
    const seen = this.entries.get(id);
    if (seen !== undefined && seen > now) return false;
    this.forgetExpired(now);
    if (this.entries.size >= this.capacity) {
      // A full sweep before refusing: expiry order may differ a little from insertion order.
      for (const [k, e] of this.entries) if (e <= now) this.entries.delete(k);
      if (this.entries.size >= this.capacity) return false;
    }
    this.entries.delete(id);
    this.entries.set(id, expiresAt);
    return true;
  }

  /** Drops expired entries from the oldest on, stopping at the first live one. */
  private forgetExpired(now: number): void {
    for (const [k, e] of this.entries) {
      if (e > now) return;
      this.entries.delete(k);
    }
  }
}
