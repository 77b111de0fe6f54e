import assert from 'node:assert/strict';
import { CwndHistory } from '../../src/path/stats.js';

/** Records `count` distinct windows at times 0, 1, 2 ... (cwnd = 1000 + i). */
function fill(h: CwndHistory, count: number): void {
  for (let i = 0; i < count; i++) h.record(i, 1000 + i, 500 + i, 10 * i);
}

describe('path/stats CwndHistory', () => {
  it('keeps samples oldest first while it grows toward its capacity', () => {
    const h = new CwndHistory(64);
    fill(h, 20); // past the first allocation of room
    const s = h.samples();
    assert.equal(s.length, 20);
    assert.deepEqual(
      s.map((x) => x.time),
      Array.from({ length: 20 }, (_, i) => i),
    );
    assert.deepEqual(s[19], { time: 19, cwnd: 1019, ssthresh: 519, bytesInFlight: 190 });
  });

  it('keeps the last `capacity` samples in order once full, at any capacity', () => {
    for (const capacity of [1, 3, 8, 20, 64]) {
      const h = new CwndHistory(capacity);
      fill(h, 150);
      const times = h.samples().map((x) => x.time);
      const expected = Array.from({ length: capacity }, (_, i) => 150 - capacity + i);
      assert.deepEqual(times, expected, `capacity ${capacity}`);
      assert.equal(h.maxCwnd, 1149);
    }
  });

  it('records only changes of the window or ssthresh', () => {
    const h = new CwndHistory(16);
    h.record(0, 1000, 500, 0);
    h.record(1, 1000, 500, 99);
    h.record(2, 1000, 400, 0);
    assert.deepEqual(
      h.samples().map((x) => x.time),
      [0, 2],
    );
  });

  it('keeps no samples at capacity 0 but still the largest window', () => {
    const h = new CwndHistory(0);
    fill(h, 5);
    assert.deepEqual(h.samples(), []);
    assert.equal(h.maxCwnd, 1004);
    assert.throws(() => new CwndHistory(-1), RangeError);
  });
});
