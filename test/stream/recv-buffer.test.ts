import assert from 'node:assert/strict';
import { RecvBuffer } from '../../src/stream/recv-buffer.js';
import { QuicError, TransportError } from '../../src/wire/errors.js';
import { Rng } from './rng.js';

const BIG = Number.MAX_SAFE_INTEGER;

function quicError(code: number): (e: unknown) => boolean {
  return (e) => e instanceof QuicError && e.code === code;
}

function readAll(buf: RecvBuffer): Uint8Array {
  const parts: number[] = [];
  for (let r = buf.read(); r !== null; r = buf.read()) parts.push(...r);
  return Uint8Array.from(parts);
}

describe('stream/recv-buffer', () => {
  it('delivers in-order data and counts the highest offset', () => {
    const buf = new RecvBuffer();
    assert.equal(buf.insert(0, Uint8Array.of(1, 2, 3), false, BIG), 3);
    assert.equal(buf.readableLength, 3);
    assert.deepEqual(buf.read(2), Uint8Array.of(1, 2));
    assert.deepEqual(buf.read(), Uint8Array.of(3));
    assert.equal(buf.read(), null);
    assert.equal(buf.readOffset, 3);
  });

  it('holds out-of-order data until the gap fills', () => {
    const buf = new RecvBuffer();
    assert.equal(buf.insert(5, Uint8Array.of(6, 7, 8), false, BIG), 8);
    assert.equal(buf.readableLength, 0);
    assert.equal(buf.read(), null);
    assert.equal(buf.insert(0, Uint8Array.of(1, 2, 3, 4, 5), false, BIG), 0);
    assert.deepEqual(readAll(buf), Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
  });

  it('copies only new bytes: data already held is kept as first received', () => {
    const buf = new RecvBuffer();
    buf.insert(2, Uint8Array.of(12, 13), false, BIG);
    const packet = Uint8Array.of(0, 1, 99, 99, 4, 5);
    buf.insert(0, packet, false, BIG);
    packet.fill(0); // the packet buffer is reused: the stream must have copied
    assert.deepEqual(readAll(buf), Uint8Array.of(0, 1, 12, 13, 4, 5));
  });

  it('ignores data below the read offset', () => {
    const buf = new RecvBuffer();
    buf.insert(0, Uint8Array.of(1, 2, 3, 4), false, BIG);
    buf.read();
    assert.equal(buf.insert(0, Uint8Array.of(9, 9, 9, 9, 5), false, BIG), 1);
    assert.deepEqual(readAll(buf), Uint8Array.of(5));
  });

  it('tracks the final size and completion', () => {
    const buf = new RecvBuffer();
    buf.insert(3, Uint8Array.of(4, 5), true, BIG);
    assert.equal(buf.finalSize, 5);
    assert.equal(buf.allReceived, false);
    buf.insert(0, Uint8Array.of(1, 2, 3), false, BIG);
    assert.equal(buf.allReceived, true);
    assert.equal(buf.fullyRead, false);
    readAll(buf);
    assert.equal(buf.fullyRead, true);
    assert.equal(buf.capacity, 0, 'memory released once everything is read');
  });

  describe('final size (RFC 9000 §4.5)', () => {
    it('rejects a FIN below data already received', () => {
      const buf = new RecvBuffer();
      buf.insert(0, new Uint8Array(10), false, BIG);
      assert.throws(
        () => buf.insert(0, new Uint8Array(5), true, BIG),
        quicError(TransportError.FINAL_SIZE_ERROR),
      );
    });

    it('rejects a changed final size', () => {
      const buf = new RecvBuffer();
      buf.insert(0, new Uint8Array(10), true, BIG);
      assert.throws(
        () => buf.insert(0, new Uint8Array(8), true, BIG),
        quicError(TransportError.FINAL_SIZE_ERROR),
      );
      assert.throws(
        () => buf.insert(10, new Uint8Array(2), true, BIG),
        quicError(TransportError.FINAL_SIZE_ERROR),
      );
      buf.insert(10, new Uint8Array(0), false, BIG); // empty, at the final size: fine
    });

    it('accepts a repeated FIN with the same final size', () => {
      const buf = new RecvBuffer();
      buf.insert(0, new Uint8Array(10), true, BIG);
      buf.insert(5, new Uint8Array(5), true, BIG);
      buf.insert(10, new Uint8Array(0), true, BIG);
      assert.equal(buf.finalSize, 10);
    });

    it('rejects data beyond the final size', () => {
      const buf = new RecvBuffer();
      buf.insert(0, new Uint8Array(4), true, BIG);
      assert.throws(
        () => buf.insert(2, new Uint8Array(3), false, BIG),
        quicError(TransportError.FINAL_SIZE_ERROR),
      );
    });

    it('checks RESET_STREAM final sizes the same way', () => {
      const a = new RecvBuffer();
      a.insert(0, new Uint8Array(10), false, BIG);
      assert.throws(() => a.setResetFinalSize(9, BIG), quicError(TransportError.FINAL_SIZE_ERROR));
      assert.equal(a.setResetFinalSize(15, BIG), 5);
      assert.throws(() => a.setResetFinalSize(16, BIG), quicError(TransportError.FINAL_SIZE_ERROR));
      assert.throws(
        () => a.insert(15, Uint8Array.of(1), false, BIG),
        quicError(TransportError.FINAL_SIZE_ERROR),
      );
      const b = new RecvBuffer();
      b.insert(0, new Uint8Array(10), true, BIG);
      assert.throws(() => b.setResetFinalSize(11, BIG), quicError(TransportError.FINAL_SIZE_ERROR));
      assert.equal(b.setResetFinalSize(10, BIG), 0);
    });
  });

  describe('flow control (RFC 9000 §4.1)', () => {
    it('accepts data up to the limit and rejects data beyond it', () => {
      const buf = new RecvBuffer();
      buf.insert(0, new Uint8Array(100), false, 100);
      assert.throws(
        () => buf.insert(100, Uint8Array.of(1), false, 100),
        quicError(TransportError.FLOW_CONTROL_ERROR),
      );
      assert.throws(
        () => buf.insert(1000, new Uint8Array(0), true, 100),
        quicError(TransportError.FLOW_CONTROL_ERROR),
      );
    });

    it('rejects a RESET_STREAM final size beyond the limit', () => {
      const buf = new RecvBuffer();
      assert.throws(
        () => buf.setResetFinalSize(101, 100),
        quicError(TransportError.FLOW_CONTROL_ERROR),
      );
    });

    it('treats a saturated offset (2^53) as beyond any limit', () => {
      const buf = new RecvBuffer();
      assert.throws(
        () => buf.insert(2 ** 53, Uint8Array.of(1), false, 2 ** 40),
        quicError(TransportError.FLOW_CONTROL_ERROR),
      );
    });
  });

  it('counts but drops data after discard()', () => {
    const buf = new RecvBuffer();
    buf.insert(0, new Uint8Array(10), false, BIG);
    buf.discard();
    assert.equal(buf.capacity, 0);
    assert.equal(buf.insert(10, new Uint8Array(10), true, BIG), 10);
    assert.equal(buf.read(), null);
    assert.equal(buf.skip(), 20);
    assert.ok(buf.fullyRead);
  });

  it('gives a stream read as it arrives a ring of several packets, bounded by the window', () => {
    const rng = new Rng(5);
    const source = rng.bytes(200 * 1200);
    const buf = new RecvBuffer();
    const out = new Uint8Array(source.length);
    let got = 0;
    for (let off = 0; off < source.length; off += 1200) {
      buf.insert(off, source.subarray(off, off + 1200), false, BIG);
      got += buf.readInto(out, got, out.length - got);
      // Packet-sized frames read at once: the ring holds many of them, so few straddle its end.
      assert.equal(buf.capacity, 16384);
    }
    assert.deepEqual(out, source);
    // A window smaller than that bounds the ring (to the next power of two).
    const small = new RecvBuffer();
    small.insert(0, source.subarray(0, 1500), false, 3000);
    assert.equal(small.capacity, 4096);
  });

  it('keeps bytes intact when the ring wraps and grows', () => {
    const rng = new Rng(11);
    const source = rng.bytes(5000);
    const buf = new RecvBuffer();
    // Fill and drain to move the ring head, then force growth with data far ahead.
    buf.insert(0, source.subarray(0, 200), false, BIG);
    assert.deepEqual(buf.read(150), source.subarray(0, 150));
    buf.insert(300, source.subarray(300, 400), false, BIG); // wraps in a 256-byte ring: grows
    buf.insert(200, source.subarray(200, 300), false, BIG);
    buf.insert(1000, source.subarray(1000, 5000), false, BIG);
    buf.insert(400, source.subarray(400, 1000), false, BIG);
    assert.deepEqual(readAll(buf), source.subarray(150));
  });

  for (const seed of [21, 22, 23, 24, 25, 26]) {
    it(`reassembles random fragments with duplicates and overlaps, seed ${seed}`, () => {
      const rng = new Rng(seed);
      const total = rng.int(1, 60_000);
      const source = rng.bytes(total);
      const frags: [number, number][] = [];
      for (let off = 0; off < total;) {
        const len = Math.min(total - off, rng.int(1, 1500));
        frags.push([off, len]);
        off += len;
      }
      // Duplicates and overlapping pieces at random places.
      const extra = rng.int(0, frags.length);
      for (let i = 0; i < extra; i++) {
        const off = rng.int(0, total - 1);
        frags.push([off, Math.min(total - off, rng.int(1, 3000))]);
      }
      rng.shuffle(frags);
      const buf = new RecvBuffer();
      const out: number[] = [];
      let highest = 0;
      for (const [off, len] of frags) {
        const end = off + len;
        const packet = source.slice(off, end);
        const grown = buf.insert(off, packet, end === total, total);
        assert.equal(grown, Math.max(0, end - highest));
        highest = Math.max(highest, end);
        packet.fill(0);
        if (rng.chance(0.5)) {
          const r = buf.read(rng.int(1, 4000));
          if (r !== null) out.push(...r);
        }
        assert.ok(buf.capacity <= 2 * Math.max(256, total), 'ring bounded by the window');
      }
      for (let r = buf.read(); r !== null; r = buf.read()) out.push(...r);
      assert.equal(buf.allReceived, true);
      assert.equal(buf.fullyRead, true);
      assert.deepEqual(Uint8Array.from(out), source);
    });
  }
});

describe('RecvBuffer gap bound', () => {
  it('refuses data that would leave more than MAX_GAPS disjoint ranges', async () => {
    const { RecvBuffer, MAX_GAPS } = await import('../../src/stream/recv-buffer.js');
    const { QuicError, TransportError } = await import('../../src/wire/errors.js');
    const b = new RecvBuffer();
    const limit = 4 * MAX_GAPS + 100;
    for (let i = 0; i < MAX_GAPS; i++) b.insert(4 * i + 2, new Uint8Array(1), false, limit);
    // A duplicate of a held range is still fine; a new fragment is not.
    b.insert(2, new Uint8Array(1), false, limit);
    let err: unknown;
    try {
      b.insert(4 * MAX_GAPS + 10, new Uint8Array(1), false, limit);
    } catch (e) {
      err = e;
    }
    if (!(err instanceof QuicError) || err.code !== TransportError.PROTOCOL_VIOLATION) {
      throw new Error(`expected PROTOCOL_VIOLATION, got ${String(err)}`);
    }
  });
  describe('insertAndRead', () => {
    it('hands in-order data out directly, as a copy, without a ring', () => {
      const buf = new RecvBuffer();
      const data = Uint8Array.of(1, 2, 3, 4);
      const out = buf.insertAndRead(0, data, BIG);
      assert.deepEqual(out, Uint8Array.of(1, 2, 3, 4));
      assert.notEqual(out!.buffer, data.buffer);
      data[0] = 9;
      assert.equal(out![0], 1);
      assert.equal(buf.capacity, 0);
      assert.equal(buf.readOffset, 4);
      assert.equal(buf.highest, 4);
      assert.equal(buf.readableLength, 0);
    });

    it('matches insert() then read() for any order of fragments, duplicates included', () => {
      const rng = new Rng(13);
      for (let trial = 0; trial < 50; trial++) {
        const total = rng.int(1, 3000);
        const bytes = rng.bytes(total);
        const viaRing = new RecvBuffer();
        const direct = new RecvBuffer();
        const got: number[] = [];
        const want: number[] = [];
        for (let n = 0; n < 40; n++) {
          // Half the fragments start where reading stands: the direct path, between ring uses.
          const at = direct.readOffset;
          const offset = at < total && rng.chance(0.5) ? at : rng.int(0, total - 1);
          const end = Math.min(total, offset + rng.int(1, 600));
          const frag = bytes.subarray(offset, end);
          viaRing.insert(offset, frag, false, BIG);
          const r = viaRing.read();
          if (r !== null) want.push(...r);
          const d = direct.insertAndRead(offset, frag, BIG);
          if (d !== null) got.push(...d);
          assert.equal(direct.readOffset, viaRing.readOffset);
          assert.equal(direct.highest, viaRing.highest);
        }
        assert.deepEqual(got, want);
        assert.deepEqual(Uint8Array.from(got), bytes.subarray(0, got.length));
      }
    });

    it('checks the limit like insert()', () => {
      const buf = new RecvBuffer();
      assert.throws(
        () => buf.insertAndRead(0, new Uint8Array(10), 5),
        quicError(TransportError.FLOW_CONTROL_ERROR),
      );
    });
  });
});
