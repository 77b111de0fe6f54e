import assert from 'node:assert/strict';
import { ConnectionStreamEvents, type StreamEventTarget } from '../../src/conn/stream-events.js';
import type { Stream } from '../../src/stream/stream.js';

/** A connection that records what it was told. */
function recorder() {
  const emitted: unknown[][] = [];
  let wakes = 0;
  const target: StreamEventTarget = {
    emit(event, ...args) {
      emitted.push([event, ...args]);
    },
    wake() {
      wakes++;
    },
  };
  return { target, emitted, wakes: () => wakes };
}

describe('conn/stream-events: stream layer events re-emitted by the connection', () => {
  const s = { id: 4 } as unknown as Stream;

  it('maps each stream event to the connection event of the same meaning, with its arguments', () => {
    const r = recorder();
    const ev = new ConnectionStreamEvents(r.target);
    ev.onStreamOpened(s);
    ev.onStreamReadable(s);
    ev.onStreamWritable(s);
    ev.onStreamReset(s, 0x10c);
    ev.onStreamStopSending(s, 7);
    ev.onStreamClosed(s);
    ev.onStreamAcked(s);
    ev.onStreamsAvailable(true);
    ev.onStreamsAvailable(false);
    assert.deepEqual(r.emitted, [
      ['stream', s],
      ['readable', s],
      ['writable', s],
      // RFC 9000 §19.4: RESET_STREAM carries the application error code.
      ['streamReset', s, 0x10c],
      // RFC 9000 §19.5: STOP_SENDING carries the application error code.
      ['stopSending', s, 7],
      ['streamClosed', s],
      ['streamAcked', s],
      // RFC 9000 §19.11: MAX_STREAMS raised the limit of one direction.
      ['streamsAvailable', true],
      ['streamsAvailable', false],
    ]);
    assert.equal(r.wakes(), 0, 'events alone do not wake the sender');
  });

  it('pending frames wake the sender and emit nothing', () => {
    const r = recorder();
    const ev = new ConnectionStreamEvents(r.target);
    ev.onSendPending();
    ev.onSendPending();
    assert.equal(r.wakes(), 2);
    assert.deepEqual(r.emitted, []);
  });

  it('shares its methods on the prototype: no closure per connection', () => {
    const a = new ConnectionStreamEvents(recorder().target);
    const b = new ConnectionStreamEvents(recorder().target);
    assert.equal(a.onStreamReadable, b.onStreamReadable);
    assert.equal(Object.keys(a).includes('onStreamReadable'), false);
  });
});
