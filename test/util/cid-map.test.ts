import assert from 'node:assert/strict';
import { CidMap } from '../../src/util/cid-map.js';
import { SeededRandom } from '../../src/util/random.js';

describe('util/cid-map', () => {
  it('finds keys in place inside a larger buffer, and only exact matches', () => {
    const m = new CidMap<string>(12345);
    const a = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    m.set(a, 'a');
    m.set(Uint8Array.of(1, 2, 3, 4), 'short');
    const datagram = Uint8Array.of(0x40, 1, 2, 3, 4, 5, 6, 7, 8, 0xff);
    assert.equal(m.get(datagram, 1, 8), 'a');
    assert.equal(m.get(datagram, 1, 4), 'short');
    assert.equal(m.get(datagram, 2, 8), undefined);
    assert.equal(m.get(a), 'a');
    assert.equal(m.size, 2);
  });

  it('matches by content, not by array: a key is found through any equal bytes', () => {
    const m = new CidMap<number>(1);
    m.set(Uint8Array.of(9, 9, 9, 9), 1);
    assert.equal(m.get(Uint8Array.of(9, 9, 9, 9)), 1);
    assert.equal(m.delete(Uint8Array.of(9, 9, 9, 9)), true);
    assert.equal(m.has(Uint8Array.of(9, 9, 9, 9)), false);
  });

  it('chains keys that share a hash and unlinks each correctly', () => {
    // Every key in one chain: the map's hash replaced by a constant.
    const m = new CidMap<number>(0);
    (m as unknown as { hash: () => number }).hash = () => 7;
    const keys = [Uint8Array.of(1), Uint8Array.of(2), Uint8Array.of(3)];
    keys.forEach((k, i) => m.set(k, i));
    assert.equal(m.size, 3);
    assert.equal(m.delete(keys[1]!), true);
    assert.deepEqual([m.get(keys[0]!), m.get(keys[1]!), m.get(keys[2]!)], [0, undefined, 2]);
    assert.equal(m.delete(keys[2]!), true);
    assert.equal(m.delete(keys[0]!), true);
    assert.equal(m.size, 0);
  });

  it('replaces, deletes and agrees with a Map over many random keys', () => {
    const rng = new SeededRandom(7);
    const m = new CidMap<number>(rng.int(2 ** 31));
    const ref = new Map<string, number>();
    const keys: Uint8Array[] = [];
    for (let i = 0; i < 2000; i++) {
      const op = rng.int(3);
      if (op < 2 || keys.length === 0) {
        // Short keys so that equal keys and replacements happen.
        const k = rng.bytes(1 + rng.int(2));
        keys.push(k);
        m.set(k, i);
        ref.set(k.join(','), i);
      } else {
        const k = keys[rng.int(keys.length)]!;
        assert.equal(m.delete(k), ref.delete(k.join(',')));
      }
      assert.equal(m.size, ref.size);
    }
    for (const k of keys) assert.equal(m.get(k), ref.get(k.join(',')));
  });

  it('does not depend on the seed for its answers', () => {
    const keys = Array.from({ length: 64 }, (_, i) => Uint8Array.of(i, i >> 1, 7, 7, 7, 7, 7, 7));
    for (const seed of [0, 1, 0x7fffffff, 0xffffffff]) {
      const m = new CidMap<number>(seed);
      keys.forEach((k, i) => m.set(k, i));
      keys.forEach((k, i) => assert.equal(m.get(k), i));
      assert.equal(m.delete(Uint8Array.of(1, 2, 3)), false);
    }
  });
});
