import assert from 'node:assert/strict';
import { Reader, Writer } from '../../src/util/cursor.js';
import { fromHex, toHex } from '../../src/util/bytes.js';
import { decodeFrame } from '../../src/wire/frame-decode.js';
import {
  cryptoFrameDataCapacity,
  cryptoFrameHeaderLength,
  encodeCryptoFrameHeader,
  encodeFrame,
  encodeStreamFrameHeader,
  frameEncodedLength,
  frameTypeOf,
  streamFrameDataCapacity,
  streamFrameHeaderLength,
} from '../../src/wire/frame-encode.js';
import type { Frame } from '../../src/wire/frame-types.js';
import { Rng } from './random.js';

function hex(f: Frame, lastInPacket = false): string {
  const w = Writer.growable(32);
  encodeFrame(w, f, lastInPacket);
  return toHex(w.view());
}

const TOKEN = fromHex('00112233445566778899aabbccddeeff');

describe('wire/frame-encode', () => {
  it('writes the RFC 9000 §19 layouts byte for byte', () => {
    assert.equal(hex({ kind: 'padding', length: 3 }), '000000');
    assert.equal(hex({ kind: 'ping' }), '01');
    assert.equal(
      hex({
        kind: 'ack',
        ackDelay: 100,
        ranges: [
          { smallest: 95, largest: 100 },
          { smallest: 80, largest: 90 },
          { smallest: 0, largest: 0 },
        ],
      }),
      // largest 100, delay 100, count 2, first 5, gap 95-90-2=3, len 10, gap 80-0-2=78, len 0
      '02' + '4064' + '4064' + '02' + '05' + '03' + '0a' + '404e' + '00',
    );
    assert.equal(
      hex({
        kind: 'ack',
        ackDelay: 0,
        ranges: [{ smallest: 0, largest: 0 }],
        ecn: { ect0: 1, ect1: 0, ce: 64 },
      }),
      '03' + '00000000' + '01' + '00' + '4040',
    );
    assert.equal(
      hex({ kind: 'reset_stream', streamId: 4, errorCode: 0x100, finalSize: 70000 }),
      '04' + '04' + '4100' + '80011170',
    );
    assert.equal(hex({ kind: 'stop_sending', streamId: 8, errorCode: 1 }), '050801');
    assert.equal(
      hex({ kind: 'crypto', offset: 64, data: fromHex('aabb') }),
      '06' + '4040' + '02' + 'aabb',
    );
    assert.equal(hex({ kind: 'new_token', token: fromHex('0102') }), '07020102');
    assert.equal(hex({ kind: 'max_data', maximum: 16384 }), '10' + '80004000');
    assert.equal(hex({ kind: 'max_stream_data', streamId: 1, maximum: 2 }), '110102');
    assert.equal(hex({ kind: 'max_streams', bidi: true, maximum: 3 }), '1203');
    assert.equal(hex({ kind: 'max_streams', bidi: false, maximum: 3 }), '1303');
    assert.equal(hex({ kind: 'data_blocked', limit: 2 ** 30 }), '14' + 'c000000040000000');
    assert.equal(hex({ kind: 'stream_data_blocked', streamId: 2, limit: 0 }), '150200');
    assert.equal(hex({ kind: 'streams_blocked', bidi: true, limit: 1 }), '1601');
    assert.equal(hex({ kind: 'streams_blocked', bidi: false, limit: 1 }), '1701');
    assert.equal(
      hex({
        kind: 'new_connection_id',
        sequenceNumber: 2,
        retirePriorTo: 1,
        connectionId: fromHex('c0ffee'),
        statelessResetToken: TOKEN,
      }),
      '18' + '02' + '01' + '03c0ffee' + toHex(TOKEN),
    );
    assert.equal(hex({ kind: 'retire_connection_id', sequenceNumber: 63 }), '193f');
    assert.equal(
      hex({ kind: 'path_challenge', data: fromHex('0102030405060708') }),
      '1a0102030405060708',
    );
    assert.equal(
      hex({ kind: 'path_response', data: fromHex('0102030405060708') }),
      '1b0102030405060708',
    );
    assert.equal(
      hex({
        kind: 'connection_close',
        application: false,
        errorCode: 7,
        frameType: 8,
        reason: fromHex('61'),
      }),
      '1c' + '07' + '08' + '0161',
    );
    assert.equal(
      hex({
        kind: 'connection_close',
        application: true,
        errorCode: 7,
        frameType: 0,
        reason: fromHex(''),
      }),
      '1d' + '07' + '00',
    );
    assert.equal(hex({ kind: 'handshake_done' }), '1e');
    assert.equal(hex({ kind: 'datagram', data: fromHex('aa') }), '3101aa');
    assert.equal(hex({ kind: 'datagram', data: fromHex('aa') }, true), '30aa');
  });

  it('sets the STREAM OFF, LEN and FIN bits (RFC 9000 §19.8)', () => {
    const base = { kind: 'stream', streamId: 4, data: fromHex('aa') } as const;
    assert.equal(hex({ ...base, offset: 0, fin: false }), '0a' + '04' + '01aa');
    assert.equal(hex({ ...base, offset: 0, fin: true }), '0b' + '04' + '01aa');
    assert.equal(hex({ ...base, offset: 5, fin: false }), '0e' + '04' + '05' + '01aa');
    assert.equal(hex({ ...base, offset: 5, fin: true }, true), '0d' + '04' + '05' + 'aa');
    assert.equal(hex({ ...base, offset: 0, fin: false }, true), '08' + '04' + 'aa');
    assert.equal(frameTypeOf({ ...base, offset: 5, fin: true }), 0x0f);
    assert.equal(frameTypeOf({ ...base, offset: 5, fin: true }, true), 0x0d);
  });

  describe('STREAM and CRYPTO header helpers', () => {
    it('write the same bytes as encodeFrame, and say how long they are', () => {
      const rng = new Rng(3);
      for (let i = 0; i < 500; i++) {
        const streamId = rng.varint();
        const offset = rng.bool() ? 0 : rng.varint();
        const data = rng.bytes(rng.int(200));
        const fin = rng.bool();
        const withLength = rng.bool();
        const w = Writer.growable(32);
        encodeStreamFrameHeader(w, streamId, offset, data.length, fin, withLength);
        assert.equal(w.pos, streamFrameHeaderLength(streamId, offset, data.length, withLength));
        w.bytes(data);
        const f: Frame = { kind: 'stream', streamId, offset, data, fin };
        assert.equal(toHex(w.view()), hex(f, !withLength));

        const c = Writer.growable(32);
        encodeCryptoFrameHeader(c, offset, data.length);
        assert.equal(c.pos, cryptoFrameHeaderLength(offset, data.length));
        c.bytes(data);
        assert.equal(toHex(c.view()), hex({ kind: 'crypto', offset, data }));
      }
    });

    it('size data to fill the space exactly or as closely as possible', () => {
      // Brute force: the largest d whose frame fits in `space`, for spaces around the varint
      // width edges of the Length field.
      const spaces: number[] = [];
      for (const edge of [0, 64, 16384, 2 ** 30]) {
        for (let s = Math.max(0, edge - 12); s < edge + 14; s++) spaces.push(s);
      }
      for (const [streamId, offset] of [
        [0, 0],
        [4, 100],
        [2 ** 40, 2 ** 31],
      ] as const) {
        for (const space of spaces) {
          for (const withLength of [true, false]) {
            let best = -1;
            // A STREAM header is at most 25 bytes.
            for (let d = Math.max(0, space - 25); d <= space; d++) {
              if (streamFrameHeaderLength(streamId, offset, d, withLength) + d <= space) best = d;
            }
            const cap = streamFrameDataCapacity(streamId, offset, space, withLength);
            assert.equal(
              cap,
              best,
              `stream ${streamId}/${offset} space ${space} len ${withLength}`,
            );
          }
          let best = -1;
          for (let d = Math.max(0, space - 20); d <= space; d++) {
            if (cryptoFrameHeaderLength(offset, d) + d <= space) best = d;
          }
          assert.equal(
            cryptoFrameDataCapacity(offset, space),
            best,
            `crypto ${offset} space ${space}`,
          );
        }
      }
    });
  });

  it('reports frameEncodedLength for ACKs with wide gaps', () => {
    const f: Frame = {
      kind: 'ack',
      ackDelay: 2 ** 40,
      ranges: [
        { smallest: 2 ** 50, largest: 2 ** 51 },
        { smallest: 70000, largest: 2 ** 31 },
        { smallest: 0, largest: 10 },
      ],
      ecn: { ect0: 2 ** 35, ect1: 0, ce: 16383 },
    };
    const w = Writer.growable(64);
    encodeFrame(w, f);
    assert.equal(w.pos, frameEncodedLength(f));
    assert.deepStrictEqual(decodeFrame(new Reader(w.view())), f);
  });

  it('rejects frames the caller got wrong (RangeError)', () => {
    const w = Writer.growable(64);
    const bad: Frame[] = [
      { kind: 'padding', length: 0 },
      { kind: 'ack', ackDelay: 0, ranges: [] },
      { kind: 'ack', ackDelay: 0, ranges: [{ smallest: 5, largest: 4 }] },
      { kind: 'ack', ackDelay: 0, ranges: [{ smallest: -1, largest: 4 }] },
      // Adjacent ranges must be merged: the Gap would be -1.
      {
        kind: 'ack',
        ackDelay: 0,
        ranges: [
          { smallest: 5, largest: 9 },
          { smallest: 0, largest: 4 },
        ],
      },
      {
        kind: 'ack',
        ackDelay: 0,
        ranges: [
          { smallest: 0, largest: 4 },
          { smallest: 6, largest: 9 },
        ],
      },
      { kind: 'new_token', token: new Uint8Array(0) },
      { kind: 'max_streams', bidi: true, maximum: 2 ** 60 },
      { kind: 'streams_blocked', bidi: true, limit: -1 },
      {
        kind: 'new_connection_id',
        sequenceNumber: 1,
        retirePriorTo: 2,
        connectionId: fromHex('01'),
        statelessResetToken: TOKEN,
      },
      {
        kind: 'new_connection_id',
        sequenceNumber: 1,
        retirePriorTo: 0,
        connectionId: new Uint8Array(0),
        statelessResetToken: TOKEN,
      },
      {
        kind: 'new_connection_id',
        sequenceNumber: 1,
        retirePriorTo: 0,
        connectionId: new Uint8Array(21),
        statelessResetToken: TOKEN,
      },
      {
        kind: 'new_connection_id',
        sequenceNumber: 1,
        retirePriorTo: 0,
        connectionId: fromHex('01'),
        statelessResetToken: new Uint8Array(15),
      },
      { kind: 'path_challenge', data: new Uint8Array(7) },
      { kind: 'path_response', data: new Uint8Array(9) },
      { kind: 'max_data', maximum: 2 ** 53 + 2 },
    ];
    for (const f of bad) assert.throws(() => encodeFrame(w, f), RangeError, JSON.stringify(f));
    assert.throws(() => frameEncodedLength({ kind: 'ack', ackDelay: 0, ranges: [] }), RangeError);
  });

  it('throws RangeError when a fixed buffer is too small (a sizing bug in the caller)', () => {
    const w = new Writer(new Uint8Array(3));
    assert.throws(
      () => encodeFrame(w, { kind: 'crypto', offset: 0, data: new Uint8Array(5) }),
      RangeError,
    );
  });
});
