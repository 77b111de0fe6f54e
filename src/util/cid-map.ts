/**
 * A map keyed by byte strings such as connection IDs, looked up in place: `get(buf, offset,
 * length)` hashes and compares the bytes where they lie in a datagram, so routing a packet
 * builds no string key and no view.
 *
 * The hash is FNV-1a over the bytes, started from a random per-map seed: the keys of a server's
 * map include CIDs chosen by clients (RFC 9000 §7.2), and a seed they cannot see (the owner
 * draws it from its random source) keeps them from piling entries into one bucket.
 */
interface Entry<V> {
  key: Uint8Array;
  value: V;
}

export class CidMap<V> {
  private readonly buckets = new Map<number, Entry<V>[]>();
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
    const bucket = this.buckets.get(this.hash(buf, offset, length));
    if (bucket === undefined) return undefined;
    for (let i = 0; i < bucket.length; i++) {
      const e = bucket[i]!;
      if (sameBytes(e.key, buf, offset, length)) return e.value;
    }
    return undefined;
  }

  has(key: Uint8Array): boolean {
    return this.get(key) !== undefined;
  }

  /** Stores `value` under a copy of `key` (replacing an earlier value). */
  set(key: Uint8Array, value: V): void {
    const h = this.hash(key, 0, key.length);
    let bucket = this.buckets.get(h);
    if (bucket === undefined) {
      bucket = [];
      this.buckets.set(h, bucket);
    }
    for (const e of bucket) {
      if (sameBytes(e.key, key, 0, key.length)) {
        e.value = value;
        return;
      }
    }
    bucket.push({ key: key.slice(), value });
    this.count++;
  }

  /** Removes `key`; returns whether it was there. */
  delete(key: Uint8Array): boolean {
    const h = this.hash(key, 0, key.length);
    const bucket = this.buckets.get(h);
    if (bucket === undefined) return false;
    const i = bucket.findIndex((e) => sameBytes(e.key, key, 0, key.length));
    if (i < 0) return false;
    if (bucket.length === 1) this.buckets.delete(h);
    else bucket.splice(i, 1);
    this.count--;
    return true;
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
