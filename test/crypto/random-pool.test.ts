import assert from 'node:assert/strict';
import { RandomPool } from '../../src/crypto/random-pool.js';
import { pureProvider } from '../../src/crypto/pure-provider.js';

describe('crypto/random-pool', () => {
  it('hands out fresh copies, refilling 4 KiB at a time', () => {
    const fills: number[] = [];
    let counter = 0;
    const pool = new RandomPool((out) => {
      fills.push(out.length);
      for (let i = 0; i < out.length; i++) out[i] = ++counter & 0xff || 1;
    });
    const a = pool.take(32);
    const b = pool.take(32);
    assert.deepEqual(fills, [4096], 'one fill for both');
    assert.equal(a.length, 32);
    assert.notDeepEqual(a, b);
    assert.notEqual(a.buffer, b.buffer, 'copies, not views of the pool');
    // What was handed out is wiped from the pool.
    const inside = (pool as unknown as { pool: Uint8Array }).pool;
    assert.ok(inside.subarray(0, 64).every((x) => x === 0));
    // A request that does not fit what is left refills.
    for (let n = 64; n + 100 <= 4096; n += 100) pool.take(100);
    pool.take(100);
    assert.deepEqual(fills, [4096, 4096]);
    // Large requests bypass the pool, in chunks the fill function accepts.
    assert.equal(pool.take(70_000).length, 70_000);
    assert.deepEqual(fills, [4096, 4096, 65536, 70_000 - 65536]);
  });

  it('serves the pure provider: random and distinct', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 500; i++) seen.add(Buffer.from(pureProvider.random(16)).toString('hex'));
    assert.equal(seen.size, 500);
    assert.equal(pureProvider.random(0).length, 0);
    assert.equal(pureProvider.random(1000).length, 1000);
  });
});
