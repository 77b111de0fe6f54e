import assert from 'node:assert/strict';
import { H3ProtocolError, H3ErrorCode } from '../../src/h3/errors.js';
import {
  encodeDataFrameHeader,
  encodeFrame,
  encodeRawFrame,
  encodeStreamType,
  FrameParser,
  type FrameEvent,
  type H3Frame,
  H3FrameType,
  H3SettingId,
  H3StreamType,
  isReservedStreamType,
  PartialVarint,
  reservedFrameType,
} from '../../src/h3/frames.js';
import { concatBytes, fromHex, toHex } from '../../src/util/bytes.js';
import { assertH3Error, randInt, seededRandom } from './helpers.js';

const parser = (max = 1 << 16) => new FrameParser({ maxFieldSectionBytes: max });

/** Feeds `bytes` in the given pieces; returns the events with DATA pieces merged per frame. */
function parseAll(bytes: Uint8Array, cuts: number[], p = parser()): string[] {
  const out: string[] = [];
  let dataOpen = false;
  const record = (e: FrameEvent) => {
    if (e.kind === 'data') {
      if (dataOpen && e.data.length > 0) out[out.length - 1] += toHex(e.data);
      else out.push('data:' + toHex(e.data));
      dataOpen = true;
      return;
    }
    dataOpen = false;
    if (e.kind === 'unknown') out.push(`unknown:${e.type}`);
    else out.push(show(e.frame));
  };
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    p.push(bytes.subarray(at, cut));
    at = cut;
    for (let e = p.next(); e !== null; e = p.next()) record(e);
  }
  p.finish();
  return out;
}

function show(f: H3Frame): string {
  switch (f.type) {
    case 'headers':
      return 'headers:' + toHex(f.fieldSection);
    case 'push_promise':
      return `push_promise:${f.pushId}:${toHex(f.fieldSection)}`;
    case 'settings':
      return 'settings:' + [...f.settings].map(([k, v]) => `${k}=${v}`).join(',');
    case 'goaway':
      return `goaway:${f.id}`;
    case 'cancel_push':
      return `cancel_push:${f.pushId}`;
    case 'max_push_id':
      return `max_push_id:${f.pushId}`;
  }
}

describe('h3/frames', () => {
  it('encodes frames as RFC 9114 §7.2 lays them out', () => {
    assert.equal(toHex(encodeDataFrameHeader(5)), '0005');
    assert.equal(toHex(encodeDataFrameHeader(300)), '00412c');
    assert.equal(
      toHex(encodeFrame({ type: 'headers', fieldSection: fromHex('0000d1') })),
      '01030000d1',
    );
    assert.equal(
      toHex(
        encodeFrame({
          type: 'settings',
          settings: new Map([
            [H3SettingId.QPACK_MAX_TABLE_CAPACITY, 4096],
            [H3SettingId.QPACK_BLOCKED_STREAMS, 16],
          ]),
        }),
      ),
      '0405' + '015000' + '0710',
    );
    assert.equal(toHex(encodeFrame({ type: 'goaway', id: 8 })), '070108');
    assert.equal(toHex(encodeFrame({ type: 'cancel_push', pushId: 1 })), '030101');
    assert.equal(toHex(encodeFrame({ type: 'max_push_id', pushId: 100 })), '0d024064');
    assert.equal(
      toHex(encodeFrame({ type: 'push_promise', pushId: 2, fieldSection: fromHex('0000') })),
      '0503020000',
    );
    assert.equal(reservedFrameType(0), 0x21);
    assert.equal(reservedFrameType(1), 0x40);
    assert.equal(toHex(encodeRawFrame(0x21, fromHex('aa'))), '2101aa');
  });

  it('encodes stream types and recognizes reserved ones', () => {
    assert.equal(toHex(encodeStreamType(H3StreamType.CONTROL)), '00');
    assert.equal(toHex(encodeStreamType(H3StreamType.QPACK_DECODER)), '03');
    assert.equal(toHex(encodeStreamType(0x21)), '21');
    assert.equal(toHex(encodeStreamType(0x1f * 1000 + 0x21)), '80007939');
    assert.equal(isReservedStreamType(0x21), true);
    assert.equal(isReservedStreamType(0x40), true);
    assert.equal(isReservedStreamType(0x1f * 77 + 0x21), true);
    assert.equal(isReservedStreamType(0x22), false);
    assert.equal(isReservedStreamType(0x00), false);
  });

  const stream = concatBytes(
    encodeFrame({ type: 'headers', fieldSection: fromHex('00005f1d') }),
    encodeRawFrame(0x21, fromHex('0102030405')), // reserved
    encodeDataFrameHeader(3),
    fromHex('616263'),
    encodeDataFrameHeader(0),
    encodeRawFrame(0x1f * 3 + 0x21, new Uint8Array(0)),
    encodeDataFrameHeader(200),
    new Uint8Array(200).fill(0x7a),
    encodeFrame({
      type: 'settings',
      settings: new Map([
        [6, 16384],
        [0x21, 7],
      ]),
    }),
    encodeFrame({ type: 'goaway', id: 2 ** 30 }),
    encodeRawFrame(0x4040, new Uint8Array(70000)), // unknown type, large payload skipped
    encodeFrame({ type: 'headers', fieldSection: new Uint8Array(3000).fill(1) }),
  );
  const expected = [
    'headers:00005f1d',
    'unknown:33',
    'data:616263',
    'data:',
    'unknown:126',
    'data:' + '7a'.repeat(200),
    'settings:6=16384,33=7',
    `goaway:${2 ** 30}`,
    'unknown:16448',
    'headers:' + '01'.repeat(3000),
  ];

  it('parses a sequence of frames in one piece', () => {
    assert.deepEqual(parseAll(stream, []), expected);
  });

  it('parses frames split at every byte boundary', () => {
    // Two pieces at every cut (the long frames make this ~75k cuts: sample the big ones).
    for (
      let cut = 0;
      cut <= stream.length;
      cut += cut < 400 || cut > stream.length - 3100 ? 1 : 997
    ) {
      assert.deepEqual(parseAll(stream, [cut]), expected, `cut ${cut}`);
    }
  });

  it('parses frames delivered one byte at a time and in random pieces', () => {
    const head = stream.subarray(0, 400);
    // The first six frames end at byte 226.
    const headExpected = parseAll(head.subarray(0, 226), []);
    assert.equal(headExpected.length, 6);
    const oneByte: number[] = [];
    for (let i = 1; i < 226; i++) oneByte.push(i);
    assert.deepEqual(parseAll(head.subarray(0, 226), oneByte), headExpected);
    const rand = seededRandom(9114);
    for (let round = 0; round < 30; round++) {
      const cuts: number[] = [];
      for (let at = randInt(rand, 50); at < stream.length; at += 1 + randInt(rand, 2000))
        cuts.push(at);
      assert.deepEqual(parseAll(stream, cuts), expected);
    }
  });

  it('rejects a stream that ends inside a frame (RFC 9114 §7.1)', () => {
    const bytes = concatBytes(
      encodeFrame({ type: 'goaway', id: 300 }),
      encodeDataFrameHeader(2),
      fromHex('aabb'),
    );
    const boundaries = new Set([0, 4, bytes.length]);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const p = parser();
      p.push(bytes.subarray(0, cut));
      while (p.next() !== null);
      if (boundaries.has(cut)) p.finish();
      else assertH3Error(() => p.finish(), H3ErrorCode.H3_FRAME_ERROR);
    }
  });

  it('rejects HTTP/2-only frame types with H3_FRAME_UNEXPECTED (RFC 9114 §7.2.8)', () => {
    for (const type of [0x02, 0x06, 0x08, 0x09]) {
      const p = parser();
      p.push(encodeRawFrame(type, new Uint8Array(4)));
      assertH3Error(() => p.next(), H3ErrorCode.H3_FRAME_UNEXPECTED);
    }
  });

  it('checks SETTINGS: reserved identifiers kept, duplicates and HTTP/2 ones rejected', () => {
    const parse = (hex: string) => {
      const p = parser();
      p.push(fromHex(hex));
      return p.next();
    };
    const ok = parse('0407' + '014100' + '2105' + '0600');
    assert.ok(ok?.kind === 'frame' && ok.frame.type === 'settings');
    assert.deepEqual(
      [...ok.frame.settings],
      [
        [1, 256],
        [0x21, 5],
        [6, 0],
      ],
    );
    assertH3Error(() => parse('0404' + '0100' + '0101'), H3ErrorCode.H3_SETTINGS_ERROR); // duplicate
    for (const id of ['00', '02', '03', '04', '05']) {
      assertH3Error(() => parse('0402' + id + '00'), H3ErrorCode.H3_SETTINGS_ERROR);
    }
    assertH3Error(() => parse('0401' + '01'), H3ErrorCode.H3_FRAME_ERROR); // value missing
    assertH3Error(() => parse('0402' + '01' + '41'), H3ErrorCode.H3_FRAME_ERROR); // value truncated
    // Two grease identifiers beyond 2^53 are not duplicates of each other.
    const big = parse('0412' + 'c040000000000021' + '00' + 'c080000000000021' + '00');
    assert.ok(big?.kind === 'frame' && big.frame.type === 'settings');
    assert.equal(big.frame.settings.size, 0);
  });

  it('checks single-varint frames for exact length', () => {
    const parse = (hex: string) => {
      const p = parser();
      p.push(fromHex(hex));
      return p.next();
    };
    assertH3Error(() => parse('070208' + '00'), H3ErrorCode.H3_FRAME_ERROR); // extra byte
    assertH3Error(() => parse('0700'), H3ErrorCode.H3_FRAME_ERROR); // empty
    assertH3Error(() => parse('0d09' + '00'.repeat(9)), H3ErrorCode.H3_FRAME_ERROR); // too long
    assertH3Error(() => parse('030140'), H3ErrorCode.H3_FRAME_ERROR); // truncated varint
    const e = parse('0708c000000000000004');
    assert.ok(e?.kind === 'frame' && e.frame.type === 'goaway' && e.frame.id === 4);
  });

  it('limits HEADERS size with a stream error and lets the caller veto frame types', () => {
    const p = parser(100);
    p.push(encodeFrame({ type: 'headers', fieldSection: new Uint8Array(101) }));
    assertH3Error(() => p.next(), H3ErrorCode.H3_EXCESSIVE_LOAD, 'stream');
    const seen: number[] = [];
    const checked = new FrameParser({
      maxFieldSectionBytes: 100,
      checkFrameType: (type) => {
        seen.push(type);
        if (type === H3FrameType.DATA)
          throw new H3ProtocolError(H3ErrorCode.H3_FRAME_UNEXPECTED, 'DATA here');
      },
    });
    checked.push(
      concatBytes(encodeRawFrame(0x21, new Uint8Array(1)), encodeDataFrameHeader(1), fromHex('00')),
    );
    assert.deepEqual(checked.next(), { kind: 'unknown', type: 0x21 });
    assertH3Error(() => checked.next(), H3ErrorCode.H3_FRAME_UNEXPECTED);
    assert.deepEqual(seen, [0x21, 0]);
  });

  it('holds only the bytes of an incomplete HEADERS frame that arrived, not its declared length', () => {
    const section = new Uint8Array(60_000).map((_, i) => i & 0xff);
    const frame = encodeFrame({ type: 'headers', fieldSection: section });
    const p = parser();
    const capacity = (): number => (p as unknown as { payload: Uint8Array }).payload.length;
    // The frame header and 10 bytes: what a slowloris client sends and then holds.
    const head = frame.length - section.length;
    p.push(frame.subarray(0, head + 10));
    assert.equal(p.next(), null);
    assert.equal(p.bufferedBytes, 10);
    assert.ok(capacity() <= 20, `buffer of ${capacity()} bytes for 10 received`);
    // Byte by byte up to 1000, then the rest: the buffer stays within twice what arrived.
    for (let at = head + 10; at < head + 1000; at++) {
      p.push(frame.subarray(at, at + 1));
      assert.equal(p.next(), null);
      assert.ok(capacity() <= 2 * p.bufferedBytes);
    }
    p.push(frame.subarray(head + 1000));
    const e = p.next();
    assert.ok(e?.kind === 'frame' && e.frame.type === 'headers');
    assert.deepEqual(e.frame.fieldSection, section);
    assert.equal(p.bufferedBytes, 0);
  });

  it('PartialVarint reads across chunks', () => {
    const v = new PartialVarint();
    const bytes = fromHex('c00000000000abcd' + '25');
    let pos = v.feed(bytes, 0, 3);
    assert.equal(v.complete, false);
    assert.equal(v.started, true);
    pos = v.feed(bytes, pos);
    assert.equal(v.complete, true);
    assert.equal(v.take(), 0xabcd);
    assert.equal(v.started, false);
    v.feed(bytes, pos);
    assert.equal(v.take(), 0x25);
  });

  it('random bytes only ever raise H3ProtocolError', () => {
    const rand = seededRandom(71);
    for (let i = 0; i < 3000; i++) {
      const p = parser(512);
      const bytes = new Uint8Array(1 + randInt(rand, 64));
      for (let j = 0; j < bytes.length; j++)
        bytes[j] = rand() < 0.5 ? randInt(rand, 16) : randInt(rand, 256);
      try {
        p.push(bytes);
        while (p.next() !== null);
        p.finish();
      } catch (e) {
        assert.ok(e instanceof H3ProtocolError, String(e));
      }
    }
  });
});
