/**
 * stop-signals.ts: the first SIGINT or SIGTERM asks for a graceful stop, any later one for an
 * immediate one; nothing is heard after dispose().
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { watchStopSignals, type StopSignal } from '../../src/cli/stop-signals.js';

describe('cli: stop signals', () => {
  it('resolves on the first signal and calls onSecond for each later one', async () => {
    const source = new EventEmitter();
    const later: StopSignal[] = [];
    const signals = watchStopSignals((s) => later.push(s), source);
    source.emit('SIGTERM', 'SIGTERM');
    assert.equal(await signals.first, 'SIGTERM');
    assert.deepEqual(later, []);
    source.emit('SIGINT', 'SIGINT');
    source.emit('SIGTERM', 'SIGTERM');
    assert.deepEqual(later, ['SIGINT', 'SIGTERM']);
    signals.dispose();
    assert.equal(source.listenerCount('SIGINT') + source.listenerCount('SIGTERM'), 0);
    source.emit('SIGINT', 'SIGINT');
    assert.deepEqual(later, ['SIGINT', 'SIGTERM']);
  });

  it('takes SIGINT first as well', async () => {
    const source = new EventEmitter();
    const signals = watchStopSignals(() => assert.fail('no second signal'), source);
    source.emit('SIGINT', 'SIGINT');
    assert.equal(await signals.first, 'SIGINT');
    signals.dispose();
  });
});
