import assert from 'node:assert/strict';
import { Writer } from '../../src/util/cursor.js';

describe('util/cursor Writer', () => {
  it('writes a bounded region of a larger buffer in place', () => {
    const buf = new Uint8Array(16).fill(0xee);
    const w = new Writer(new Uint8Array(0)).reset(buf, 4, 8);
    assert.equal(w.pos, 4);
    assert.equal(w.remaining, 4);
    w.u16(0x0102).u8(3).u8(4);
    assert.equal(w.remaining, 0);
    assert.throws(() => w.u8(5), RangeError, 'never past the end of the region');
    assert.deepEqual([...buf.subarray(2, 10)], [0xee, 0xee, 1, 2, 3, 4, 0xee, 0xee]);
  });

  it('covers the whole buffer without bounds, and a growable one keeps growing', () => {
    const w = new Writer(new Uint8Array(2));
    assert.equal(w.remaining, 2);
    w.u16(7);
    assert.throws(() => w.u8(1), RangeError);
    const g = Writer.growable(2);
    for (let i = 0; i < 100; i++) g.u8(i);
    assert.equal(g.view().length, 100);
    assert.equal(g.view()[99], 99);
    assert.ok(g.remaining >= 0);
  });
});
