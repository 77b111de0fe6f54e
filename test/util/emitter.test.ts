import assert from 'node:assert/strict';
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
});
