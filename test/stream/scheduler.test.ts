import assert from 'node:assert/strict';
import { StreamScheduler, type Schedulable } from '../../src/stream/scheduler.js';

interface S extends Schedulable {
  id: number;
  urgency: number;
  incremental: boolean;
}

const s = (id: number, urgency = 3, incremental = false): S => ({
  id,
  urgency,
  incremental,
  schedulerSlot: -1,
});
const any = (): boolean => true;

/** Sends `n` frames, each from the stream the scheduler picks; returns their IDs. */
function run(sched: StreamScheduler<S>, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const next = sched.pick(any);
    if (next === null) break;
    out.push(next.id);
    sched.sent(next);
  }
  return out;
}

describe('stream/scheduler', () => {
  it('serves lower urgency first', () => {
    const sched = new StreamScheduler<S>();
    sched.add(s(0, 5));
    sched.add(s(4, 1));
    sched.add(s(8, 3));
    assert.deepEqual(run(sched, 1), [4]);
    sched.remove(sched.pick(any)!);
    assert.deepEqual(run(sched, 1), [8]);
    sched.remove(sched.pick(any)!);
    assert.deepEqual(run(sched, 1), [0]);
  });

  it('serves non-incremental streams one at a time in stream-ID order', () => {
    const sched = new StreamScheduler<S>();
    for (const id of [12, 4, 8]) sched.add(s(id));
    assert.deepEqual(run(sched, 3), [4, 4, 4]);
    sched.remove(sched.pick(any)!);
    assert.deepEqual(run(sched, 2), [8, 8]);
  });

  it('round-robins incremental streams of one urgency', () => {
    const sched = new StreamScheduler<S>();
    for (const id of [0, 4, 8]) sched.add(s(id, 3, true));
    assert.deepEqual(run(sched, 7), [0, 4, 8, 0, 4, 8, 0]);
  });

  it('adds a new incremental stream at the back of the rotation', () => {
    const sched = new StreamScheduler<S>();
    sched.add(s(0, 3, true));
    sched.add(s(4, 3, true));
    assert.deepEqual(run(sched, 1), [0]);
    sched.add(s(8, 3, true));
    // The rotation is a queue: 0 went to the back after its turn, 8 joins behind it.
    assert.deepEqual(run(sched, 4), [4, 0, 8, 4]);
  });

  it('keeps the rotation fair when members leave', () => {
    const sched = new StreamScheduler<S>();
    const streams = [s(0, 3, true), s(4, 3, true), s(8, 3, true)];
    for (const x of streams) sched.add(x);
    assert.deepEqual(run(sched, 2), [0, 4]);
    sched.remove(streams[0]!);
    assert.deepEqual(run(sched, 3), [8, 4, 8]);
    sched.remove(streams[2]!);
    assert.deepEqual(run(sched, 2), [4, 4]);
  });

  it('puts non-incremental before incremental streams of the same urgency', () => {
    const sched = new StreamScheduler<S>();
    sched.add(s(0, 3, true));
    sched.add(s(20, 3, false));
    sched.add(s(4, 3, true));
    sched.add(s(16, 2, true));
    assert.deepEqual(run(sched, 2), [16, 16]);
    sched.remove(s(16, 2, true)); // not a member object: no effect
    sched.remove(sched.pick(any)!);
    assert.deepEqual(run(sched, 2), [20, 20]);
    sched.remove(sched.pick(any)!);
    assert.deepEqual(run(sched, 3), [0, 4, 0]);
  });

  it('skips streams the caller does not accept', () => {
    const sched = new StreamScheduler<S>();
    for (const id of [0, 4, 8]) sched.add(s(id, 3, true));
    assert.equal(sched.pick((x) => x.id === 8)!.id, 8);
    assert.equal(
      sched.pick(() => false),
      null,
    );
  });

  it('re-files a stream whose priority changed', () => {
    const sched = new StreamScheduler<S>();
    const a = s(0, 3);
    const b = s(4, 3);
    sched.add(a);
    sched.add(b);
    assert.equal(sched.pick(any), a);
    b.urgency = 0;
    sched.update(b);
    assert.equal(sched.pick(any), b);
    b.urgency = 3;
    b.incremental = true;
    sched.update(b);
    assert.equal(sched.pick(any), a);
    assert.equal(sched.size, 2);
    assert.ok(sched.has(b));
    sched.add(b); // idempotent
    assert.equal(sched.size, 2);
  });

  it('tracks membership on the stream itself, through any order of joins and leaves', () => {
    const sched = new StreamScheduler<S>();
    const members = [s(0), s(4), s(8, 3, true), s(12, 3, true), s(16, 1)];
    for (const m of members) sched.add(m);
    sched.remove(members[1]!);
    sched.remove(members[3]!);
    sched.remove(members[3]!); // not a member: no-op
    assert.equal(sched.size, 3);
    assert.deepEqual(
      members.map((m) => m.schedulerSlot),
      [3 * 2, -1, 3 * 2 + 1, -1, 1 * 2],
    );
    sched.add(members[1]!);
    const order: number[] = [];
    for (let next = sched.pick(any); next !== null; next = sched.pick(any)) {
      order.push(next.id);
      sched.remove(next);
    }
    assert.deepEqual(order, [16, 0, 4, 8]);
    assert.equal(sched.size, 0);
  });
});
