import assert from 'node:assert/strict';
import { pureProvider } from '../../src/crypto/pure-provider.js';
import { RandomPool } from '../../src/crypto/random-pool.js';

/** A counting "generator": byte k of its output stream is k mod 251, so every draw is traceable. */
function countingSource() {
  let position = 0;
  const calls: number[] = [];
  return {
    calls,
    fill(view: Uint8Array) {
      calls.push(view.length);
      for (let i = 0; i < view.length; i++) view[i] = position++ % 251;
    },
  };
}

describe('crypto/random-pool', () => {
  it('serves small requests from one fill, each byte once and in order', () => {
    const src = countingSource();
    const pool = new RandomPool((v) => src.fill(v), 64, 16);
    const seen: number[] = [];
    for (const n of [16, 1, 7, 0, 16, 16]) seen.push(...pool.take(n));
    assert.deepEqual(src.calls, [64]);
    assert.deepEqual(
      seen,
      Array.from({ length: 56 }, (_, i) => i),
    );
  });

  it('refills when what is left cannot serve a request, skipping the remainder', () => {
    const src = countingSource();
    const pool = new RandomPool((v) => src.fill(v), 64, 16);
    pool.take(16);
    pool.take(16);
    pool.take(16);
    pool.take(10); // 6 left
    const next = pool.take(8);
    assert.deepEqual(src.calls, [64, 64]);
    // The second fill's bytes start at 64: the 6 left over from the first are never handed out.
    assert.deepEqual([...next], [64, 65, 66, 67, 68, 69, 70, 71]);
  });

  it('sends requests over maxRequest to the generator directly', () => {
    const src = countingSource();
    const pool = new RandomPool((v) => src.fill(v), 64, 16);
    assert.equal(pool.take(17).length, 17);
    assert.equal(pool.take(1000).length, 1000);
    assert.deepEqual(src.calls, [17, 1000]);
  });

  it('hands out copies the caller owns, and keeps no copy of them', () => {
    const src = countingSource();
    const pool = new RandomPool((v) => src.fill(v), 64, 16);
    const a = pool.take(8);
    a.fill(0xff);
    const b = pool.take(8);
    assert.deepEqual([...b], [8, 9, 10, 11, 12, 13, 14, 15]);
    assert.equal(a.buffer.byteLength, 8);
    const inside = (pool as unknown as { pool: Uint8Array }).pool;
    assert.ok(
      inside.subarray(0, 16).every((x) => x === 0),
      'served bytes are wiped',
    );
  });

  it('rejects a pool smaller than its largest request', () => {
    assert.throws(() => new RandomPool(() => {}, 8, 16), RangeError);
    assert.throws(() => new RandomPool(() => {}, 64, 0), RangeError);
  });

  it("the pure provider's random(): fresh bytes for small and large requests", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const r = pureProvider.random(20);
      assert.equal(r.length, 20);
      seen.add(Buffer.from(r).toString('hex'));
    }
    assert.equal(seen.size, 300);
    const big = pureProvider.random(200_000);
    assert.equal(big.length, 200_000);
    // 200,000 bytes from a CSPRNG have every byte value (a zero-filled tail would not).
    assert.equal(new Set(big.subarray(150_000)).size, 256);
  });
});
