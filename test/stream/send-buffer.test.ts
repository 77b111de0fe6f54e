import assert from 'node:assert/strict';
import { SendBuffer, SendRange } from '../../src/stream/send-buffer.js';
import { Rng } from './rng.js';

function take(buf: SendBuffer, maxLength: number, newLimit = Infinity): SendRange | null {
  const r = new SendRange();
  return buf.nextRange(maxLength, newLimit, r) ? r : null;
}

function bytesOf(buf: SendBuffer, r: SendRange): Uint8Array {
  const out = new Uint8Array(r.length);
  buf.copyOut(r.offset, r.length, out, 0);
  return out;
}

describe('stream/send-buffer', () => {
  it('copies written bytes, so the caller may reuse its array', () => {
    const buf = new SendBuffer();
    const data = Uint8Array.of(1, 2, 3, 4, 5);
    buf.write(data);
    data.fill(9);
    const r = take(buf, 100)!;
    assert.deepEqual([r.offset, r.length, r.fin, r.newBytes], [0, 5, false, 5]);
    assert.deepEqual(bytesOf(buf, r), Uint8Array.of(1, 2, 3, 4, 5));
    assert.equal(take(buf, 100), null);
  });

  it('limits new data by maxLength and by the flow-control limit', () => {
    const buf = new SendBuffer();
    buf.write(new Uint8Array(100));
    assert.deepEqual(take(buf, 30, 50)!.length, 30);
    const r = take(buf, 30, 50)!;
    assert.deepEqual([r.offset, r.length], [30, 20]);
    assert.equal(buf.nextOffset(50), -1);
    assert.equal(take(buf, 30, 50), null);
    assert.equal(buf.nextOffset(60), 50);
    assert.equal(take(buf, 0, 100), null, 'no room for data');
  });

  it('retransmits lost ranges first, and only their unacknowledged parts', () => {
    const buf = new SendBuffer();
    buf.write(new Uint8Array(300).map((_, i) => i & 0xff));
    take(buf, 100);
    take(buf, 100);
    buf.onAcked(50, 20, false); // part of the first frame arrived through another copy
    buf.onLost(0, 100, false);
    const r1 = take(buf, 1000)!;
    assert.deepEqual([r1.offset, r1.length, r1.newBytes], [0, 50, 0]);
    const r2 = take(buf, 1000)!;
    assert.deepEqual([r2.offset, r2.length, r2.newBytes], [70, 30, 0]);
    assert.deepEqual(
      bytesOf(buf, r2),
      new Uint8Array(30).map((_, i) => (70 + i) & 0xff),
    );
    const r3 = take(buf, 1000)!;
    assert.deepEqual([r3.offset, r3.length, r3.newBytes], [200, 100, 100]);
  });

  it('does not retransmit a range acknowledged after it was declared lost', () => {
    const buf = new SendBuffer();
    buf.write(new Uint8Array(100));
    take(buf, 100);
    buf.onLost(0, 100, false);
    buf.onAcked(0, 100, false);
    assert.equal(take(buf, 100), null);
  });

  it('sends, loses, resends and acknowledges the FIN', () => {
    const buf = new SendBuffer();
    buf.write(new Uint8Array(10));
    const r = take(buf, 100)!;
    assert.equal(r.fin, false);
    buf.end();
    assert.equal(buf.finalSize, 10);
    assert.equal(buf.canSendWithoutCredit, true, 'a lone FIN needs no credit');
    const f = take(buf, 0, 10)!;
    assert.deepEqual([f.offset, f.length, f.fin], [10, 0, true]);
    assert.ok(buf.finSent);
    assert.equal(take(buf, 100), null);
    buf.onLost(10, 0, true);
    const f2 = take(buf, 100)!;
    assert.deepEqual([f2.offset, f2.length, f2.fin], [10, 0, true]);
    buf.onAcked(0, 10, false);
    assert.equal(buf.allAcked, false);
    buf.onAcked(10, 0, true);
    assert.equal(buf.allAcked, true);
  });

  it('puts the FIN on the frame that reaches the final size, including retransmissions', () => {
    const buf = new SendBuffer();
    buf.write(new Uint8Array(100));
    buf.end();
    const a = take(buf, 60)!;
    const b = take(buf, 60)!;
    assert.deepEqual([a.fin, b.offset, b.length, b.fin], [false, 60, 40, true]);
    buf.onLost(60, 40, true);
    const c = take(buf, 30)!;
    const d = take(buf, 30)!;
    assert.deepEqual([c.offset, c.length, c.fin], [60, 30, false]);
    assert.deepEqual([d.offset, d.length, d.fin], [90, 10, true]);
  });

  it('throws on write after end', () => {
    const buf = new SendBuffer();
    buf.end();
    assert.throws(() => buf.write(Uint8Array.of(1)), TypeError);
  });

  it('rejects copyOut of ranges that are not buffered', () => {
    const buf = new SendBuffer();
    buf.write(new Uint8Array(10));
    assert.throws(() => buf.copyOut(5, 10, new Uint8Array(10), 0), RangeError);
  });

  it('releases memory once everything below is acknowledged', () => {
    const buf = new SendBuffer();
    for (let i = 0; i < 20; i++) buf.write(new Uint8Array(10_000));
    const held = buf.memoryBytes;
    assert.ok(held >= 200_000);
    while (take(buf, 1200) !== null);
    buf.onAcked(100_000, 100_000, false);
    assert.equal(buf.memoryBytes, held, 'nothing freed while the start is unacknowledged');
    buf.onAcked(0, 100_000, false);
    assert.equal(buf.bufferedBytes, 0);
    assert.ok(buf.memoryBytes <= 64 * 1024, 'an open stream keeps one chunk for its next write');
    buf.write(Uint8Array.of(7, 8));
    const r = take(buf, 10)!;
    assert.deepEqual([r.offset, r.length], [200_000, 2]);
    assert.deepEqual(bytesOf(buf, r), Uint8Array.of(7, 8));
    buf.end();
    buf.onAcked(200_000, 2, false);
    buf.onAcked(200_002, 0, true);
    assert.ok(buf.allAcked);
    assert.equal(buf.memoryBytes, 0, 'an ended stream keeps nothing');
  });

  it('writes a steady transfer into the chunks its ACKs freed', () => {
    const buf = new SendBuffer();
    const chunks = (buf as unknown as { chunks: Uint8Array[] }).chunks;
    const block = new Uint8Array(64 * 1024);
    for (let i = 0; i < 16; i++) buf.write(block.fill(i));
    const held = buf.memoryBytes;
    while (take(buf, 1200) !== null);
    const firstSeven = chunks.slice(0, 7);
    buf.onAcked(0, 7 * 64 * 1024, false); // one ACK frees seven chunks
    for (let i = 16; i < 23; i++) buf.write(block.fill(i));
    assert.equal(buf.memoryBytes, held);
    assert.deepEqual(
      new Set(chunks.slice(9)),
      new Set(firstSeven),
      'the new writes went into the freed chunks',
    );
    const r = take(buf, 1200)!;
    assert.deepEqual(bytesOf(buf, r), new Uint8Array(1200).fill(16));
    const last = new SendRange();
    last.offset = 23 * 64 * 1024 - 1000;
    last.length = 1000;
    assert.deepEqual(bytesOf(buf, last), new Uint8Array(1000).fill(22));
  });

  it('drops everything on discard', () => {
    const buf = new SendBuffer();
    buf.write(new Uint8Array(100));
    take(buf, 50);
    buf.discard();
    assert.equal(buf.memoryBytes, 0);
    assert.equal(take(buf, 100), null);
    buf.onLost(0, 50, false);
    assert.equal(take(buf, 100), null);
    assert.equal(buf.sentOffset, 50);
  });

  for (const seed of [1, 2, 3, 4, 5]) {
    it(`random write/send/loss/ack sequence, seed ${seed}: bytes and memory stay right`, () => {
      const rng = new Rng(seed);
      const total = rng.int(20_000, 200_000);
      const source = rng.bytes(total);
      const buf = new SendBuffer();
      let written = 0;
      let limit = rng.int(0, 5000);
      const inFlight: SendRange[] = [];
      const received = new Uint8Array(total);
      const got = new Uint8Array(total);
      let finAcked = false;
      for (let step = 0; step < 100_000 && !finAcked; step++) {
        const op = rng.next();
        if (op < 0.2 && written < total) {
          const n = Math.min(total - written, rng.int(1, 9000));
          const chunk = source.slice(written, written + n);
          buf.write(chunk);
          chunk.fill(0); // the buffer holds its own copy
          written += n;
          if (written === total) buf.end();
        } else if (op < 0.25) {
          limit += rng.int(0, 8000);
        } else if (op < 0.6) {
          const r = new SendRange();
          if (buf.nextRange(rng.int(0, 1500), limit, r)) {
            assert.ok(r.offset + r.length <= Math.max(limit, buf.sentOffset));
            const bytes = bytesOf(buf, r);
            assert.deepEqual(bytes, source.subarray(r.offset, r.offset + r.length));
            inFlight.push(r);
          }
        } else if (inFlight.length > 0) {
          const r = inFlight.splice(rng.int(0, inFlight.length - 1), 1)[0]!;
          if (rng.chance(0.75)) {
            received.set(source.subarray(r.offset, r.offset + r.length), r.offset);
            got.fill(1, r.offset, r.offset + r.length);
            buf.onAcked(r.offset, r.length, r.fin);
            if (r.fin) finAcked = buf.allAcked;
          } else {
            buf.onLost(r.offset, r.length, r.fin);
          }
        }
        // Overhead: a partly acknowledged first chunk, an unfilled last one, and spare chunks
        // no more than those in use.
        assert.ok(buf.memoryBytes <= 2 * (buf.bufferedBytes + 2 * 64 * 1024), `step ${step}`);
        if (buf.allAcked) finAcked = true;
      }
      // Drain: deliver everything still outstanding.
      while (!buf.allAcked) {
        limit = Infinity;
        const r = new SendRange();
        if (buf.nextRange(1500, limit, r)) inFlight.push(r);
        const f = inFlight.shift();
        if (f === undefined) break;
        received.set(source.subarray(f.offset, f.offset + f.length), f.offset);
        got.fill(1, f.offset, f.offset + f.length);
        buf.onAcked(f.offset, f.length, f.fin);
      }
      assert.ok(buf.allAcked, 'all data and the FIN acknowledged');
      assert.equal(buf.written, total);
      assert.equal(buf.ackedOffset, total);
      assert.ok(got.every((v) => v === 1));
      assert.deepEqual(received, source);
      assert.equal(buf.memoryBytes, 0, 'memory released');
    });
  }
});
