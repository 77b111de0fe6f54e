import assert from 'node:assert/strict';
import { HeldEvents } from '../../src/util/held-events.js';

interface Events {
  a: (n: number) => void;
  b: (s: string, t: string) => void;
}

describe('util/held-events: events held until the owner is done', () => {
  it('holds while any hold is open (holds nest)', () => {
    const h = new HeldEvents<Events>();
    assert.equal(h.holding, false);
    h.hold();
    h.hold();
    h.release();
    assert.equal(h.holding, true);
    h.release();
    assert.equal(h.holding, false);
  });

  it('delivers in order, once', () => {
    const h = new HeldEvents<Events>();
    h.push('a', [1]);
    h.push('b', ['x', 'y']);
    h.push('a', [2]);
    assert.equal(h.size, 3);
    const seen: unknown[] = [];
    h.deliver((e, args) => seen.push([e, ...args]));
    assert.deepEqual(seen, [
      ['a', 1],
      ['b', 'x', 'y'],
      ['a', 2],
    ]);
    assert.equal(h.size, 0);
    h.deliver(() => assert.fail('nothing left to deliver'));
  });

  it('a reused queue delivers only its own events, after a longer one', () => {
    const h = new HeldEvents<Events>();
    const seen: number[] = [];
    const collect = (_e: keyof Events, args: unknown[]): void => {
      seen.push(args[0] as number);
    };
    for (let i = 0; i < 5; i++) h.push('a', [i]);
    h.deliver(collect);
    h.push('a', [7]);
    h.deliver(collect);
    // The array of the first delivery is the queue again now.
    h.push('a', [8]);
    assert.equal(h.size, 1);
    h.deliver(collect);
    assert.deepEqual(seen, [0, 1, 2, 3, 4, 7, 8]);
  });

  it('what a listener raises during delivery goes in the next delivery, not this one', () => {
    const h = new HeldEvents<Events>();
    h.push('a', [1]);
    h.push('a', [2]);
    const seen: number[] = [];
    h.deliver((_e, args) => {
      seen.push(args[0] as number);
      if (args[0] === 1) h.push('a', [10]);
    });
    assert.deepEqual(seen, [1, 2]);
    assert.equal(h.size, 1);
    h.deliver((_e, args) => seen.push(args[0] as number));
    assert.deepEqual(seen, [1, 2, 10]);
  });

  it('a throwing listener does not stop the others; its error surfaces in a microtask', async () => {
    const h = new HeldEvents<Events>();
    h.push('a', [1]);
    h.push('a', [2]);
    const seen: number[] = [];
    const boom = new Error('listener failed');
    const surfaced = new Promise<unknown>((resolve) => {
      const original = globalThis.queueMicrotask;
      globalThis.queueMicrotask = (fn) => {
        globalThis.queueMicrotask = original;
        try {
          fn();
        } catch (e) {
          resolve(e);
        }
      };
    });
    h.deliver((_e, args) => {
      seen.push(args[0] as number);
      if (args[0] === 1) throw boom;
    });
    assert.deepEqual(seen, [1, 2]);
    assert.equal(await surfaced, boom);
  });
});
