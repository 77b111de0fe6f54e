import assert from 'node:assert/strict';
import { RangeSet } from '../../src/stream/range-set.js';
import { Rng } from './rng.js';

function ranges(set: RangeSet): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < set.count; i++) out.push([set.start(i), set.end(i)]);
  return out;
}

/** Ranges of a boolean model, for comparison. */
function modelRanges(model: boolean[]): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < model.length; i++) {
    if (!model[i]) continue;
    let j = i;
    while (j < model.length && model[j]) j++;
    out.push([i, j]);
    i = j;
  }
  return out;
}

describe('stream/range-set', () => {
  it('merges overlapping and adjacent ranges', () => {
    const s = new RangeSet();
    s.add(10, 20);
    s.add(30, 40);
    assert.deepEqual(ranges(s), [
      [10, 20],
      [30, 40],
    ]);
    s.add(20, 30);
    assert.deepEqual(ranges(s), [[10, 40]]);
    s.add(5, 6);
    s.add(50, 60);
    s.add(0, 100);
    assert.deepEqual(ranges(s), [[0, 100]]);
    assert.equal(s.totalLength, 100);
  });

  it('starts empty without storage of its own; sets never share ranges', () => {
    const a = new RangeSet();
    const b = new RangeSet();
    // Queries and removals on a set that never held a range.
    assert.equal(a.covers(0, 1), false);
    assert.equal(a.firstEndingAfter(0), 0);
    a.remove(0, 10);
    a.removeBelow(5);
    assert.equal(a.isEmpty, true);
    for (let i = 0; i < 10; i++) a.add(i * 10, i * 10 + 5); // grows past the first capacity
    assert.equal(a.count, 10);
    assert.equal(b.isEmpty, true);
    assert.deepEqual(ranges(b), []);
    b.add(1, 2);
    assert.deepEqual(ranges(b), [[1, 2]]);
    assert.deepEqual(ranges(a)[9], [90, 95]);
  });

  it('splits ranges on remove', () => {
    const s = new RangeSet();
    s.add(0, 100);
    s.remove(40, 60);
    assert.deepEqual(ranges(s), [
      [0, 40],
      [60, 100],
    ]);
    s.remove(30, 70);
    assert.deepEqual(ranges(s), [
      [0, 30],
      [70, 100],
    ]);
    s.removeBelow(80);
    assert.deepEqual(ranges(s), [[80, 100]]);
    assert.ok(s.covers(85, 100));
    assert.ok(!s.covers(75, 90));
    assert.ok(s.covers(5, 5), 'empty range is covered');
  });

  it('matches a boolean model under random adds and removes', () => {
    const rng = new Rng(7);
    const size = 300;
    const s = new RangeSet();
    const model: boolean[] = new Array<boolean>(size).fill(false);
    for (let step = 0; step < 3000; step++) {
      const a = rng.int(0, size - 1);
      const b = Math.min(size, a + rng.int(0, 40));
      if (rng.chance(0.6)) {
        s.add(a, b);
        for (let i = a; i < b; i++) model[i] = true;
      } else {
        s.remove(a, b);
        for (let i = a; i < b; i++) model[i] = false;
      }
      assert.deepEqual(ranges(s), modelRanges(model), `step ${step}`);
      const q = rng.int(0, size - 1);
      const qe = Math.min(size, q + rng.int(1, 10));
      assert.equal(s.covers(q, qe), model.slice(q, qe).every(Boolean));
      const i = s.firstEndingAfter(q);
      assert.ok(i === s.count || s.end(i) > q);
      assert.ok(i === 0 || s.end(i - 1) <= q);
    }
  });
});
