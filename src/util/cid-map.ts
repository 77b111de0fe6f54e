/**
 * A map keyed by byte strings such as connection IDs, looked up in place: `get(buf, offset,
 * length)` hashes and compares the bytes where they lie in a datagram, so routing a packet
 * builds no string key and no view.
 *
 * Keys are kept by reference, not copied (a connection holds its CIDs for its whole life, and a
 * copy per entry would double what an idle connection costs): the caller must not change a key's
 * bytes while it is in the map. Entries with the same hash are chained.
 *
 * The hash is FNV-1a over the bytes, started from a per-map seed: the keys of a server's map
 * include CIDs chosen by clients (RFC 9000 §7.2), and a seed they cannot see (the owner draws it
 * from its random source) keeps them from piling entries into one chain.
 */

interface Entry<V> {
  readonly key: Uint8Array;
  value: V;
  next: Entry<V> | null;
}

export class CidMap<V> {
  private readonly chains = new Map<number, Entry<V>>();
  private readonly seed: number;
  private count = 0;

  constructor(seed: number) {
    this.seed = seed >>> 0;
  }

  get size(): number {
    return this.count;
  }

  /** The value stored under `buf[offset .. offset + length)`, or undefined. */
  get(buf: Uint8Array, offset = 0, length = buf.length - offset): V | undefined {
    for (
      let e: Entry<V> | null | undefined = this.chains.get(this.hash(buf, offset, length));
      e;
      e = e.next
    ) {
      if (sameBytes(e.key, buf, offset, length)) return e.value;
    }
    return undefined;
  }

  has(key: Uint8Array): boolean {
    return this.get(key) !== undefined;
  }

  /** Stores `value` under `key` (kept by reference), replacing an earlier value. */
  set(key: Uint8Array, value: V): void {
    const h = this.hash(key, 0, key.length);
    const first = this.chains.get(h);
    for (let e: Entry<V> | null | undefined = first; e; e = e.next) {
      if (sameBytes(e.key, key, 0, key.length)) {
        e.value = value;
        return;
      }
    }
    this.chains.set(h, { key, value, next: first ?? null });
    this.count++;
  }

  /** Removes `key`; returns whether it was there. */
  delete(key: Uint8Array): boolean {
    const h = this.hash(key, 0, key.length);
    let prev: Entry<V> | null = null;
    for (let e: Entry<V> | null | undefined = this.chains.get(h); e; prev = e, e = e.next) {
      if (!sameBytes(e.key, key, 0, key.length)) continue;
      if (prev) prev.next = e.next;
      else if (e.next) this.chains.set(h, e.next);
      else this.chains.delete(h);
      this.count--;
      return true;
    }
    return false;
  }

  private hash(buf: Uint8Array, offset: number, length: number): number {
    let h = (0x811c9dc5 ^ this.seed) >>> 0;
    for (let i = offset, end = offset + length; i < end; i++) {
      h = Math.imul(h ^ buf[i]!, 0x01000193);
    }
    return h >>> 0;
  }
}

function sameBytes(key: Uint8Array, buf: Uint8Array, offset: number, length: number): boolean {
  if (key.length !== length) return false;
  for (let i = 0; i < length; i++) if (key[i] !== buf[offset + i]) return false;
  return true;
}
