import assert from 'node:assert/strict';
import { PacketBuilder } from '../../src/conn/packet-builder.js';

const ROOM = 1300;

function write(b: PacketBuilder, n: number, fill: number): Uint8Array {
  const w = b.startDatagram();
  assert.equal(w.buf.length, ROOM, 'each datagram gets the full room');
  for (let i = 0; i < n; i++) w.u8(fill);
  return b.finishDatagram();
}

describe('conn/packet-builder', () => {
  it('carves datagrams end to end (a batch is one view), never written again', () => {
    const b = new PacketBuilder(ROOM);
    const a = write(b, 50, 1);
    const c = write(b, 61, 2);
    assert.equal(a.length, 50);
    assert.equal(c.length, 61);
    assert.equal(a.buffer, c.buffer, 'one slab');
    assert.equal(c.byteOffset - a.byteOffset, 50, 'the next starts where the last ended');
    write(b, ROOM, 3);
    assert.ok(a.every((x) => x === 1) && c.every((x) => x === 2), 'earlier datagrams intact');
  });

  it('grows its slab while sending, and lets a grown one go when idle', () => {
    const b = new PacketBuilder(ROOM);
    const first = write(b, ROOM, 1);
    assert.equal(first.buffer.byteLength, 4 * ROOM, 'a first slab holds a few datagrams');
    let last = first;
    for (let i = 0; i < 8; i++) last = write(b, ROOM, 1);
    assert.ok(last.buffer.byteLength > 4 * ROOM, 'a busy connection gets larger slabs');
    b.release();
    const after = write(b, 10, 1);
    assert.notEqual(after.buffer, last.buffer, 'the grown slab was let go');
    assert.equal(after.buffer.byteLength, 4 * ROOM, 'back to a first-size slab');
    b.release();
    const again = write(b, 10, 1);
    assert.equal(again.buffer, after.buffer, 'a first-size slab is kept (an ACK-only sender)');
  });
});
