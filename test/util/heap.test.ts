import { strict as assert } from 'node:assert';
import { MinHeap } from '../../src/util/heap.js';
import { SeededRandom } from '../../src/util/random.js';

describe('util/heap MinHeap', () => {
  it('is empty at first', () => {
    const h = new MinHeap<string>();
    assert.equal(h.size, 0);
    assert.equal(h.peekKey(), Infinity);
    assert.equal(h.peek(), undefined);
    assert.equal(h.pop(), undefined);
  });

  it('pops by key, equal keys in insertion order', () => {
    const h = new MinHeap<string>();
    for (const [k, v] of [
      [5, 'a'],
      [1, 'b'],
      [5, 'c'],
      [3, 'd'],
      [1, 'e'],
      [5, 'f'],
    ] as const) {
      h.push(k, v);
    }
    assert.equal(h.peekKey(), 1);
    assert.equal(h.peek(), 'b');
    const out: string[] = [];
    for (let v = h.pop(); v !== undefined; v = h.pop()) out.push(v);
    assert.deepEqual(out, ['b', 'e', 'd', 'a', 'c', 'f']);
    assert.equal(h.size, 0);
  });

  it('matches a stable sort under random interleaved pushes and pops', () => {
    const rng = new SeededRandom(5);
    const h = new MinHeap<number>();
    // The reference: entries kept sorted by (key, insertion number).
    const ref: { key: number; id: number }[] = [];
    let id = 0;
    for (let op = 0; op < 20_000; op++) {
      if (ref.length === 0 || rng.next() < 0.55) {
        // Few distinct keys, so ties are common; fractional keys too.
        const key = rng.next() < 0.5 ? rng.int(50) : rng.int(50) + 0.5;
        h.push(key, id);
        let i = ref.length;
        while (i > 0 && ref[i - 1]!.key > key) i--;
        ref.splice(i, 0, { key, id });
        id++;
      } else {
        const want = ref.shift()!;
        assert.equal(h.peekKey(), want.key);
        assert.equal(h.peek(), want.id);
        assert.equal(h.pop(), want.id);
      }
      assert.equal(h.size, ref.length);
    }
  });
});
