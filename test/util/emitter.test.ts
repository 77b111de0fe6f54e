import assert from 'node:assert/strict';
import { EventEmitter, on, once } from 'node:events';
import { Emitter } from '../../src/util/emitter.js';

interface Events {
  ping: (n: number) => void;
  error: (e: unknown) => void;
}

describe('util/emitter', () => {
  it('runs listeners in order; once() runs once', () => {
    const e = new Emitter<Events>();
    const seen: string[] = [];
    e.on('ping', (n) => seen.push(`a${n}`));
    e.once('ping', (n) => seen.push(`b${n}`));
    e.emit('ping', 1);
    e.emit('ping', 2);
    assert.deepEqual(seen, ['a1', 'b1', 'a2']);
    assert.equal(e.listenerCount('ping'), 1);
  });

  it('a throwing listener does not stop the others; without error listeners it is rethrown after', () => {
    const e = new Emitter<Events>();
    const seen: number[] = [];
    const boom = new Error('boom');
    e.on('ping', () => {
      throw boom;
    });
    e.on('ping', (n) => seen.push(n));
    e.on('ping', () => {
      throw new Error('second');
    });
    assert.throws(
      () => e.emit('ping', 7),
      (err) => err === boom,
    );
    assert.deepEqual(seen, [7], 'the listener after the throwing one ran');
  });

  it('hands listener errors to the error listeners when there are some', () => {
    const e = new Emitter<Events>();
    const errors: unknown[] = [];
    const seen: number[] = [];
    e.on('error', (err) => errors.push(err));
    e.on('ping', () => {
      throw new Error('one');
    });
    e.on('ping', (n) => seen.push(n));
    e.emit('ping', 3);
    assert.deepEqual(seen, [3]);
    assert.equal(errors.length, 1);
    assert.equal((errors[0] as Error).message, 'one');
  });

  it('an error listener that throws is rethrown (no loop)', () => {
    const e = new Emitter<Events>();
    e.on('error', () => {
      throw new Error('from error listener');
    });
    e.on('ping', () => {
      throw new Error('one');
    });
    assert.throws(() => e.emit('ping', 1), /from error listener/);
  });

  it('works with events.once and events.on, which remove their listeners', async () => {
    const e = new Emitter<Events>();
    const got = once(e, 'ping');
    assert.equal(e.emit('ping', 5), true);
    assert.deepEqual(await got, [5]);
    assert.equal(e.listenerCount('ping'), 0);
    assert.equal(e.listenerCount('error'), 0);
    // An 'error' rejects once() and removes its other listener (with removeListener).
    const failed = once(e, 'ping');
    e.emit('error', new Error('boom'));
    await assert.rejects(failed, /boom/);
    assert.equal(e.listenerCount('ping'), 0);
    const ac = new AbortController();
    const seen: number[] = [];
    const reading = (async () => {
      for await (const [n] of on(e, 'ping', { signal: ac.signal })) {
        seen.push(n as number);
        if (seen.length === 2) ac.abort();
      }
    })();
    e.emit('ping', 1);
    e.emit('ping', 2);
    await assert.rejects(reading, { name: 'AbortError' });
    assert.deepEqual(seen, [1, 2]);
    assert.equal(e.listenerCount('ping'), 0);
  });

  it('has the rest of the EventEmitter methods', () => {
    const e = new Emitter<Events>();
    const order: string[] = [];
    const a = (): void => void order.push('a');
    const b = (): void => void order.push('b');
    e.on('ping', a)
      .prependListener('ping', b)
      .prependOnceListener('ping', () => order.push('c'));
    assert.equal(e.emit('ping', 0), true);
    assert.deepEqual(order, ['c', 'b', 'a']);
    e.once('ping', a);
    assert.deepEqual(e.listeners('ping'), [b, a, a], 'once listeners listed as given');
    assert.notEqual(e.rawListeners('ping')[2], a, 'raw: the once wrapper');
    e.removeListener('ping', a); // the last match, as Node's EventEmitter: the once one
    assert.equal(e.rawListeners('ping')[1], a, 'the plain one stays');
    e.off('ping', a);
    assert.deepEqual(e.listeners('ping'), [b]);
    assert.deepEqual(e.eventNames(), ['ping']);
    e.removeAllListeners();
    assert.deepEqual(e.eventNames(), []);
    assert.equal(e.emit('ping', 1), false);
    assert.equal(e.setMaxListeners(3).getMaxListeners(), 3);
  });

  it('off removes the listener added last, as node:events does', () => {
    const a = (): void => {};
    const b = (): void => {};
    const node = new EventEmitter().on('ping', a).on('ping', b).on('ping', a).off('ping', a);
    const core = new Emitter<{ ping: () => void }>();
    core.on('ping', a).on('ping', b).on('ping', a).off('ping', a);
    assert.deepEqual(core.listeners('ping'), node.listeners('ping'));
    assert.deepEqual(core.listeners('ping'), [a, b]);
  });
});
