/**
 * A pool of random bytes for many small requests: one call to the generator fills the pool,
 * and each request takes the next unused bytes, so a handshake's two dozen small draws
 * (connection IDs, reset tokens, nonces, key material) cost one crossing into OpenSSL per pool
 * rather than one each (2 µs per getRandomValues call of 32 bytes, bench/README.md).
 *
 * Every byte is handed out once: a request copies its bytes out and the pool moves past them,
 * and the pool is refilled from the generator only when what is left cannot serve a request.
 * Requests larger than `maxRequest` go to the generator directly.
 */
export class RandomPool {
  private readonly pool: Uint8Array;
  /** The next unused byte of `pool`; pool.length when the pool is spent. */
  private next: number;

  /** `fill` writes random bytes over all of a view of any length (a CSPRNG). */
  constructor(
    private readonly fill: (view: Uint8Array) => void,
    size = 4096,
    private readonly maxRequest = 256,
  ) {
    if (!Number.isInteger(size) || size < maxRequest || maxRequest < 1) {
      throw new RangeError(
        `a random pool of ${size} bytes cannot serve ${maxRequest}-byte requests`,
      );
    }
    this.pool = new Uint8Array(size);
    this.next = size;
  }

  /** `n` fresh random bytes, owned by the caller. */
  take(n: number): Uint8Array {
    if (n > this.maxRequest) {
      const out = new Uint8Array(n);
      this.fill(out);
      return out;
    }
    if (this.pool.length - this.next < n) {
      this.fill(this.pool);
      this.next = 0;
    }
    const out = this.pool.slice(this.next, this.next + n);
    // The bytes handed out are not kept: a heap snapshot of the pool shows only unused ones.
    this.pool.fill(0, this.next, this.next + n);
    this.next += n;
    return out;
  }
}
