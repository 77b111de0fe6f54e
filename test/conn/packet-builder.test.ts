import assert from 'node:assert/strict';
import { PacketBuilder } from '../../src/conn/packet-builder.js';
import { TransmitRelease } from '../../src/util/transmit-release.js';

const ROOM = 1300;

function write(b: PacketBuilder, n: number, fill: number): Uint8Array {
  const w = b.startDatagram();
  assert.equal(w.pos, b.datagramStart, 'the writer starts at the datagram');
  assert.equal(w.remaining, ROOM, 'each datagram gets the full room');
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

  it('never writes past the datagram room, though the slab goes on', () => {
    const b = new PacketBuilder(ROOM);
    const w = b.startDatagram();
    w.zeros(ROOM);
    assert.throws(() => w.u8(0), RangeError);
    assert.equal(b.finishDatagram().length, ROOM);
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

describe('conn/packet-builder: reuse after the caller released its datagrams', () => {
  it('rewinds its slab only when every datagram handed out was released and none waits', () => {
    const released = new TransmitRelease();
    const b = new PacketBuilder(ROOM, released);
    b.rewindIfReleased();
    const a = write(b, 100, 1);
    b.handedOut();
    b.rewindIfReleased();
    const c = write(b, 100, 2);
    assert.equal(c.byteOffset - a.byteOffset, 100, 'no release yet: the next datagram follows');
    b.handedOut();
    released.epoch++;
    b.rewindIfReleased();
    const d = write(b, 100, 3);
    assert.equal(d.buffer, a.buffer, 'the same slab');
    assert.equal(d.byteOffset, a.byteOffset, 'written again from its start after the release');
    // Handed out after the release: not free until the next one.
    b.handedOut();
    b.rewindIfReleased();
    const e = write(b, 100, 4);
    assert.equal(e.byteOffset - d.byteOffset, 100);
    assert.ok(
      d.every((x) => x === 3),
      'a datagram handed out after the release is intact',
    );
  });

  it('never rewinds without a release record (a caller that keeps its datagrams)', () => {
    const b = new PacketBuilder(ROOM);
    const a = write(b, 100, 1);
    b.handedOut();
    b.rewindIfReleased();
    const c = write(b, 100, 2);
    assert.equal(c.byteOffset - a.byteOffset, 100);
  });
});
