import assert from 'node:assert/strict';
import { Reader, Writer } from '../../src/util/cursor.js';
import { fromHex, toHex } from '../../src/util/bytes.js';
import { VARINT_SATURATED } from '../../src/util/varint.js';
import { QuicError, TransportError } from '../../src/wire/errors.js';
import { decodeFrame } from '../../src/wire/frame-decode.js';
import { encodeFrame, frameEncodedLength, frameTypeOf } from '../../src/wire/frame-encode.js';
import type { Frame } from '../../src/wire/frame-types.js';
import { loadVector } from '../vectors.js';
import { Rng } from './random.js';
import { ALL_KINDS, randomFrame } from './random-frames.js';

function encode(f: Frame, lastInPacket = false): Uint8Array {
  const w = Writer.growable(64);
  encodeFrame(w, f, lastInPacket);
  return w.finish();
}

function decodeAll(bytes: Uint8Array): Frame[] {
  const r = new Reader(bytes);
  const out: Frame[] = [];
  while (r.remaining > 0) out.push(decodeFrame(r));
  return out;
}

/** Asserts that decoding `hex` raises a QuicError with `code` (and `frameType` when given). */
function rejects(hex: string | Uint8Array, code: number, frameType?: number): void {
  const bytes = typeof hex === 'string' ? fromHex(hex) : hex;
  let thrown: unknown;
  try {
    decodeFrame(new Reader(bytes));
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown instanceof QuicError, `expected QuicError, got ${String(thrown)}`);
  assert.equal(thrown.code, code, thrown.message);
  if (frameType !== undefined) assert.equal(thrown.frameType, frameType);
}

const FEE = TransportError.FRAME_ENCODING_ERROR;

describe('wire/frame-decode', () => {
  describe('round trips', () => {
    it('decodes what encodeFrame writes for every kind, 150 seeded frames each', () => {
      const rng = new Rng(2024);
      for (const kind of ALL_KINDS) {
        for (let i = 0; i < 150; i++) {
          const f = randomFrame(rng, kind);
          const lastInPacket = rng.bool();
          const bytes = encode(f, lastInPacket);
          assert.equal(bytes.length, frameEncodedLength(f, lastInPacket), kind);
          assert.equal(new Reader(bytes).varint(), frameTypeOf(f, lastInPacket), kind);
          const r = new Reader(bytes);
          assert.deepStrictEqual(decodeFrame(r), f);
          assert.equal(r.pos, bytes.length, `${kind} consumed`);
        }
      }
    });

    it('decodes a packet of many frames in sequence', () => {
      const rng = new Rng(99);
      const frames: Frame[] = [];
      for (let i = 0; i < 200; i++) {
        const kind = rng.pick(ALL_KINDS);
        // Consecutive PADDING frames would merge into one; keep them apart.
        if (kind === 'padding' && frames.at(-1)?.kind === 'padding') continue;
        frames.push(randomFrame(rng, kind));
      }
      const w = Writer.growable(4096);
      for (const f of frames) encodeFrame(w, f);
      assert.deepStrictEqual(decodeAll(w.finish()), frames);
    });

    it('round-trips boundary values of every varint width', () => {
      for (const v of [0, 63, 64, 16383, 16384, 2 ** 30 - 1, 2 ** 30, 2 ** 53 - 1]) {
        const frames: Frame[] = [
          { kind: 'max_data', maximum: v },
          { kind: 'reset_stream', streamId: v, errorCode: v, finalSize: v },
          { kind: 'stream', streamId: v, offset: v, data: fromHex('01'), fin: true },
          { kind: 'crypto', offset: v, data: new Uint8Array(0) },
          { kind: 'ack', ackDelay: v, ranges: [{ smallest: 0, largest: v }] },
          { kind: 'max_streams', bidi: false, maximum: v },
          {
            kind: 'connection_close',
            application: false,
            errorCode: v,
            frameType: v,
            reason: fromHex(''),
          },
        ];
        for (const f of frames) assert.deepStrictEqual(decodeAll(encode(f)), [f]);
      }
    });

    it('saturates values above 2^53 - 1 to 2^53', () => {
      // MAX_DATA with 2^62 - 1 (the usual "unlimited").
      assert.deepStrictEqual(decodeAll(fromHex('10ffffffffffffffff')), [
        { kind: 'max_data', maximum: VARINT_SATURATED },
      ]);
      // 2^53 exactly, and 2^53 + 1, both become 2^53.
      assert.deepStrictEqual(decodeAll(fromHex('11c020000000000000c020000000000001')), [
        { kind: 'max_stream_data', streamId: VARINT_SATURATED, maximum: VARINT_SATURATED },
      ]);
      // 2^53 - 1 stays exact.
      assert.deepStrictEqual(decodeAll(fromHex('14c01fffffffffffff')), [
        { kind: 'data_blocked', limit: 2 ** 53 - 1 },
      ]);
    });

    it('accepts non-minimal varints inside frames (only the type must be minimal)', () => {
      assert.deepStrictEqual(decodeAll(fromHex('10c000000000000005')), [
        { kind: 'max_data', maximum: 5 },
      ]);
    });
  });

  describe('RFC 9001 Appendix A payloads', () => {
    it('reads the client Initial: one CRYPTO frame then 917 bytes of PADDING as one frame', () => {
      const v = loadVector('quic-v1-initial.json').client_initial_packet;
      const frames = decodeAll(fromHex(v.unprotected_payload_derived));
      assert.equal(frames.length, 2);
      const [crypto, padding] = frames;
      assert.ok(crypto?.kind === 'crypto');
      assert.equal(crypto.offset, 0);
      assert.equal(crypto.data.length, 241);
      assert.equal(toHex(crypto.data), v.crypto_frame.slice(8));
      assert.deepStrictEqual(padding, { kind: 'padding', length: v.padding_bytes });
      assert.equal(toHex(encode(crypto)), v.crypto_frame);
    });

    it('reads the server Initial: ACK of packet 0 and a CRYPTO frame', () => {
      const v = loadVector('quic-v1-initial.json').server_initial_packet;
      const frames = decodeAll(fromHex(v.payload));
      assert.deepStrictEqual(frames[0], {
        kind: 'ack',
        ackDelay: 0,
        ranges: [{ smallest: 0, largest: 0 }],
      });
      assert.ok(frames[1]?.kind === 'crypto');
      assert.equal(frames[1].data.length, 90);
      assert.equal(frames.length, 2);
    });
  });

  describe('truncation', () => {
    it('raises FRAME_ENCODING_ERROR with the frame type for every cut of every frame', () => {
      const rng = new Rng(5);
      for (const kind of ALL_KINDS) {
        if (kind === 'padding') continue; // a shorter PADDING run is still PADDING
        for (let i = 0; i < 12; i++) {
          const f = randomFrame(rng, kind);
          const bytes = encode(f); // with Length fields: a cut is always detectable
          const type = frameTypeOf(f);
          // A cut inside a two-byte frame type (ACK_FREQUENCY) leaves no type to report.
          const typeLength = type < 0x40 ? 1 : 2;
          for (let n = typeLength; n < bytes.length; n++) rejects(bytes.subarray(0, n), FEE, type);
        }
      }
    });

    it('treats an empty payload as a FRAME_ENCODING_ERROR', () => {
      rejects('', FEE);
    });
  });

  describe('frame types', () => {
    it('rejects non-minimal frame type encodings with PROTOCOL_VIOLATION (RFC 9000 §12.4)', () => {
      rejects('4001', TransportError.PROTOCOL_VIOLATION, 0x01);
      rejects('4006000100', TransportError.PROTOCOL_VIOLATION, 0x06);
      rejects('80000008', TransportError.PROTOCOL_VIOLATION, 0x08);
      rejects('c00000000000001e', TransportError.PROTOCOL_VIOLATION, 0x1e);
      rejects('80003fff', TransportError.PROTOCOL_VIOLATION, 0x3fff);
      rejects('80004000', FEE, 0x4000); // minimal, but unknown
    });

    it('decodes ACK_FREQUENCY (0xaf, a two-byte type) and IMMEDIATE_ACK (0x1f)', () => {
      // draft-ietf-quic-ack-frequency-12 §4, §5.
      assert.deepStrictEqual(decodeFrame(new Reader(fromHex('40af0109538803'))), {
        kind: 'ack_frequency',
        sequenceNumber: 1,
        ackElicitingThreshold: 9,
        requestedMaxAckDelay: 5000,
        reorderingThreshold: 3,
      });
      assert.deepStrictEqual(decodeFrame(new Reader(fromHex('1f'))), { kind: 'immediate_ack' });
      // The type must be minimal: 0xaf in four bytes is a PROTOCOL_VIOLATION.
      rejects('800000af01095388', TransportError.PROTOCOL_VIOLATION, 0xaf);
      rejects('40af010953', FEE, 0xaf); // a field cut short
    });

    it('rejects unknown frame types with FRAME_ENCODING_ERROR', () => {
      for (let t = 0x20; t < 0x3e; t++) {
        if (t === 0x30 || t === 0x31) continue; // DATAGRAM; 0x3e-0x3f are PATH_ACK (RFC 10069)
        rejects(new Uint8Array([t, 0, 0, 0]), FEE, t);
      }
      rejects('40b000', FEE, 0xb0);
      rejects('40ae00', FEE, 0xae);
      rejects('7fff', FEE, 0x3fff);
      rejects('40', FEE); // truncated type varint
    });
  });

  describe('ACK validation (RFC 9000 §19.3.1)', () => {
    it('rejects a First ACK Range below packet 0', () => {
      rejects('0205000006', FEE, 0x02);
      assert.deepStrictEqual(decodeAll(fromHex('0205000005')), [
        { kind: 'ack', ackDelay: 0, ranges: [{ smallest: 0, largest: 5 }] },
      ]);
    });

    it('rejects a Gap or a range length that goes below 0', () => {
      // largest 10, first range 2 (8..10); gap 5 -> largest 8-5-2 = 1, length 1 -> 0..1: valid.
      assert.deepStrictEqual(decodeAll(fromHex('020a0001020501')), [
        {
          kind: 'ack',
          ackDelay: 0,
          ranges: [
            { smallest: 8, largest: 10 },
            { smallest: 0, largest: 1 },
          ],
        },
      ]);
      rejects('020a0001020502', FEE, 0x02); // length 2 -> smallest -1
      rejects('020a0001020700', FEE, 0x02); // gap 7 -> largest -1
    });

    it('fails a huge Range Count on truncation, without allocating for it', () => {
      // Largest 100, Range Count 2^62 - 1.
      rejects('02' + '4064' + '00' + 'ffffffffffffffff' + '00', FEE, 0x02);
      // A few valid ranges before the payload ends.
      rejects('02' + '4064' + '00' + 'ffffffffffffffff' + '00' + '0000'.repeat(10), FEE, 0x02);
      // Range Count 2^53 - 1 (exact, not saturated).
      rejects('02' + '4064' + '00' + 'c01fffffffffffff' + '00' + '0000', FEE, 0x02);
    });

    it('checks ranges exactly when the Largest Acknowledged saturates', () => {
      // largest 2^62-1, first range 2^62-1: smallest 0, valid.
      const f = decodeAll(fromHex('02ffffffffffffffff0000ffffffffffffffff'));
      assert.deepStrictEqual(f, [
        { kind: 'ack', ackDelay: 0, ranges: [{ smallest: 0, largest: VARINT_SATURATED }] },
      ]);
      // largest 2^53+1, first range 2^53+2: smallest -1 — only visible on exact values.
      rejects('02c0200000000000010000c020000000000002', FEE, 0x02);
      // Exact path with an extra range and ECN counts: largest 2^53+10, first 0, gap 0 -> 2^53+8,
      // length 2^53+8 -> 0; ECN 1,2,3.
      assert.deepStrictEqual(
        decodeAll(fromHex('03c02000000000000a000100' + '00c020000000000008' + '010203')),
        [
          {
            kind: 'ack',
            ackDelay: 0,
            ranges: [
              { smallest: VARINT_SATURATED, largest: VARINT_SATURATED },
              { smallest: 0, largest: VARINT_SATURATED },
            ],
            ecn: { ect0: 1, ect1: 2, ce: 3 },
          },
        ],
      );
      rejects('03c02000000000000a000100' + '00c020000000000009' + '010203', FEE, 0x03);
    });
  });

  describe('STREAM and CRYPTO offsets (RFC 9000 §19.8, §19.6)', () => {
    it('rejects offset + length above 2^62 - 1', () => {
      rejects('0e00ffffffffffffffff01aa', FEE, 0x0e); // offset 2^62-1, length 1
      rejects('06ffffffffffffffff01aa', FEE, 0x06);
      rejects('0c00fffffffffffffffe' + 'aaaa', FEE, 0x0c); // no Length: 2 bytes to the end
    });

    it('accepts offset + length of exactly 2^62 - 1', () => {
      assert.deepStrictEqual(decodeAll(fromHex('0e00fffffffffffffffe01aa')), [
        { kind: 'stream', streamId: 0, offset: VARINT_SATURATED, data: fromHex('aa'), fin: false },
      ]);
      assert.equal(decodeAll(fromHex('0f' + '00' + 'ffffffffffffffff' + '00')).length, 1);
      assert.deepStrictEqual(decodeAll(fromHex('06ffffffffffffffff00')), [
        { kind: 'crypto', offset: VARINT_SATURATED, data: new Uint8Array(0) },
      ]);
    });

    it('reads data to the end of the packet without a Length field', () => {
      const bytes = fromHex('0d04' + '10' + 'aabbcc');
      assert.deepStrictEqual(decodeAll(bytes), [
        { kind: 'stream', streamId: 4, offset: 16, data: fromHex('aabbcc'), fin: true },
      ]);
      const r = new Reader(fromHex('0804aabbcc01'), 0, 5);
      assert.deepStrictEqual(decodeFrame(r), {
        kind: 'stream',
        streamId: 4,
        offset: 0,
        data: fromHex('aabbcc'),
        fin: false,
      });
    });

    it('returns views into the packet, not copies', () => {
      const bytes = fromHex('0a0403aabbcc');
      const f = decodeFrame(new Reader(bytes));
      assert.ok(f.kind === 'stream');
      assert.equal(f.data.buffer, bytes.buffer);
      assert.equal(f.data.byteOffset, 3);
    });
  });

  describe('stream counts (RFC 9000 §19.11, §19.14)', () => {
    it('accepts 2^60 and rejects 2^60 + 1', () => {
      for (const t of [0x12, 0x13, 0x16, 0x17]) {
        const type = t.toString(16);
        assert.equal(decodeAll(fromHex(type + 'd000000000000000')).length, 1);
        rejects(type + 'd000000000000001', FEE, t);
        rejects(type + 'ffffffffffffffff', FEE, t);
      }
      assert.deepStrictEqual(decodeAll(fromHex('12d000000000000000')), [
        { kind: 'max_streams', bidi: true, maximum: VARINT_SATURATED },
      ]);
    });
  });

  describe('NEW_CONNECTION_ID (RFC 9000 §19.15)', () => {
    const token = '00'.repeat(16);

    it('rejects connection ID lengths 0 and 21', () => {
      rejects('180100' + '00' + token, FEE, 0x18);
      rejects('180100' + '15' + '11'.repeat(21) + token, FEE, 0x18);
      assert.equal(decodeAll(fromHex('180100' + '14' + '11'.repeat(20) + token)).length, 1);
    });

    it('rejects Retire Prior To above the Sequence Number, exactly above 2^53', () => {
      rejects('180102' + '04' + '11223344' + token, FEE, 0x18);
      assert.equal(decodeAll(fromHex('180202' + '04' + '11223344' + token)).length, 1);
      // seq 2^60, retire 2^60 + 1: both saturate, the exact comparison rejects.
      rejects('18d000000000000000d000000000000001' + '04' + '11223344' + token, FEE, 0x18);
      assert.equal(
        decodeAll(fromHex('18d000000000000001d000000000000000' + '04' + '11223344' + token)).length,
        1,
      );
      // retire saturated, seq not.
      rejects('1805d000000000000000' + '04' + '11223344' + token, FEE, 0x18);
    });
  });

  describe('other field checks', () => {
    it('rejects an empty NEW_TOKEN (RFC 9000 §19.7)', () => {
      rejects('0700', FEE, 0x07);
    });

    it('rejects a Length beyond the payload (bad varint lengths)', () => {
      rejects('3105aabb', FEE, 0x31);
      rejects('1c00007fff', FEE, 0x1c);
      rejects('0600ffffffffffffffff', FEE, 0x06); // saturated length
      rejects('1bfffe', FEE, 0x1b);
    });

    it('decodes DATAGRAM with and without a Length (RFC 9221 §4)', () => {
      assert.deepStrictEqual(decodeAll(fromHex('3102aabb' + '30ccdd')), [
        { kind: 'datagram', data: fromHex('aabb') },
        { kind: 'datagram', data: fromHex('ccdd') },
      ]);
      assert.deepStrictEqual(decodeAll(fromHex('3100' + '30')), [
        { kind: 'datagram', data: new Uint8Array(0) },
        { kind: 'datagram', data: new Uint8Array(0) },
      ]);
    });

    it('decodes both CONNECTION_CLOSE types', () => {
      assert.deepStrictEqual(decodeAll(fromHex('1c0a0603616263' + '1d4101026869')), [
        {
          kind: 'connection_close',
          application: false,
          errorCode: 10,
          frameType: 6,
          reason: fromHex('616263'),
        },
        {
          kind: 'connection_close',
          application: true,
          errorCode: 0x101,
          frameType: 0,
          reason: fromHex('6869'),
        },
      ]);
    });

    it('never throws anything but QuicError on random input', () => {
      const rng = new Rng(77);
      for (let i = 0; i < 5000; i++) {
        const bytes = rng.bytes(1 + rng.int(40));
        if (rng.bool()) bytes[0] = bytes[0]! & 0x3f; // mostly known types
        const r = new Reader(bytes);
        try {
          while (r.remaining > 0) decodeFrame(r);
        } catch (e) {
          assert.ok(e instanceof QuicError, String(e));
          assert.ok(e.code === FEE || e.code === TransportError.PROTOCOL_VIOLATION);
        }
      }
    });
  });
});
