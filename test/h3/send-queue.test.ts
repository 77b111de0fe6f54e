/**
 * HTTP/3's SendQueue (src/h3/session/send-queue.ts): a borrowed chunk the transport does not
 * take at once is copied, so the caller may reuse its buffer as soon as write() returns. The
 * caller's buffer is usually a Node Buffer, whose slice() is a view: the copy must be a real
 * one (`tsquic serve` reusing its file buffer sent later parts of the file in place of earlier
 * ones when flow control held a chunk back).
 */
import { strict as assert } from 'node:assert';
import { SendQueue } from '../../src/h3/session/send-queue.js';
import type { H3Stream } from '../../src/h3/session/transport.js';

/** A stream that takes at most `room` bytes until given more. */
function stingyStream(): { stream: H3Stream; taken: Uint8Array[]; room: number } {
  const s = {
    taken: [] as Uint8Array[],
    room: 0,
    stream: null as unknown as H3Stream,
  };
  s.stream = {
    id: 0,
    write(data: Uint8Array): number {
      const n = Math.min(s.room, data.length);
      s.room -= n;
      if (n > 0) s.taken.push(Uint8Array.from(data.subarray(0, n)));
      return n;
    },
  } as unknown as H3Stream;
  return s;
}

describe('h3/send-queue: borrowed chunks', () => {
  it('a Buffer held back by the transport is copied, not viewed', () => {
    const t = stingyStream();
    const q = new SendQueue(t.stream);
    t.room = 3;
    const buffer = Buffer.from('abcdefgh');
    q.push(buffer, false, true);
    buffer.fill(0x7a); // the caller's next read into the same buffer
    t.room = 100;
    q.flush();
    assert.equal(Buffer.concat(t.taken).toString(), 'abcdefgh');
  });
});
