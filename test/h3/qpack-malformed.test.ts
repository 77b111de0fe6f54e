// Malformed QPACK input: every failure is an H3ProtocolError with the RFC 9204 code, nothing else throws.
import assert from 'node:assert/strict';
import { H3ProtocolError, H3ErrorCode } from '../../src/h3/errors.js';
import { QpackDecoder } from '../../src/h3/qpack/decoder.js';
import { QpackEncoder } from '../../src/h3/qpack/encoder.js';
import type { FieldLine } from '../../src/h3/qpack/field-section.js';
import { fromHex } from '../../src/util/bytes.js';
import { assertH3Error, randInt, seededRandom } from './helpers.js';

const { QPACK_DECOMPRESSION_FAILED, QPACK_ENCODER_STREAM_ERROR, QPACK_DECODER_STREAM_ERROR } =
  H3ErrorCode;

// RFC 9204 B.2 + B.3: table with :authority=www.example.com, :path=/sample/path, custom-key=custom-value.
const TABLE_SETUP =
  '3fbd01c00f7777772e6578616d706c652e636f6dc10c2f73616d706c652f70617468' +
  '4a637573746f6d2d6b65790c637573746f6d2d76616c7565';

function decoderWithTable(): QpackDecoder {
  const dec = new QpackDecoder({ maxTableCapacity: 220, maxBlockedStreams: 2 });
  dec.handleEncoderStream(fromHex(TABLE_SETUP));
  return dec;
}

/** Runs fn; returns its result, or the H3ProtocolError it threw. Anything else fails the test. */
function outcome<T>(fn: () => T): T | H3ProtocolError {
  try {
    return fn();
  } catch (e) {
    if (e instanceof H3ProtocolError) return e;
    throw e;
  }
}

describe('h3/qpack malformed input', () => {
  describe('field sections', () => {
    it('truncation at every byte fails with QPACK_DECOMPRESSION_FAILED or decodes a prefix', () => {
      const enc = new QpackEncoder({ shouldIndex: () => true });
      enc.applyPeerSettings(220, 2);
      const lines: FieldLine[] = [
        { name: ':authority', value: 'www.example.com' },
        { name: 'custom-key', value: 'custom-value' },
        { name: ':path', value: '/index.html?q=1' },
        { name: 'x-literal-name', value: 'some value', neverIndex: true },
        { name: ':method', value: 'GET' },
      ];
      // First section inserts (post-Base references); second references below Base.
      const sections = [enc.encode(0, lines), enc.encode(4, lines)];
      const dec = new QpackDecoder({ maxTableCapacity: 220, maxBlockedStreams: 2 });
      dec.handleEncoderStream(enc.takeEncoderStreamData()!);
      for (const section of sections) {
        assert.equal(dec.decode(99, section)?.length, lines.length);
        for (let cut = 0; cut < section.length; cut++) {
          const result = outcome(() => dec.decode(99, section.subarray(0, cut)));
          if (result instanceof H3ProtocolError) {
            assert.equal(result.code, QPACK_DECOMPRESSION_FAILED, `cut ${cut}`);
          } else {
            assert.ok(result !== null && result.length < lines.length, `cut ${cut}`);
            result.forEach((l, i) => assert.equal(l.value, lines[i]!.value));
          }
        }
        // The prefix alone never decodes.
        assertH3Error(() => dec.decode(99, section.subarray(0, 1)), QPACK_DECOMPRESSION_FAILED);
      }
    });

    it('rejects invalid static and dynamic indices', () => {
      const dec = decoderWithTable(); // Insert Count 3; MaxEntries 6
      const bad = [
        '0000ff24', // indexed static 99
        '00005f54', // literal with static name reference 99
        '0000' + '80', // dynamic reference with Required Insert Count 0
        '0400' + '83', // relative 3 from Base 3: absolute -1
        '0400' + '10', // post-Base 0 at Base 3: absolute 3 >= Required Insert Count 3
        '0300' + '10', // Required Insert Count 2, post-Base reaches absolute 2
        '0400' + '0000', // post-Base name reference at absolute 3 >= Required Insert Count 3
      ];
      for (const hex of bad)
        assertH3Error(() => dec.decode(0, fromHex(hex)), QPACK_DECOMPRESSION_FAILED);
    });

    it('rejects invalid Required Insert Count and Base encodings (RFC 9204 §4.5.1)', () => {
      const dec = decoderWithTable();
      assertH3Error(() => dec.decode(0, fromHex('0d00')), QPACK_DECOMPRESSION_FAILED); // 13 > 2*MaxEntries
      assertH3Error(() => dec.decode(0, fromHex('0283')), QPACK_DECOMPRESSION_FAILED); // Base = 1 - 3 - 1 < 0
      assertH3Error(() => dec.decode(0, fromHex('0281')), QPACK_DECOMPRESSION_FAILED); // Sign with Delta Base >= RIC
      // Sign 1 with Delta Base 0 and Required Insert Count 1 is Base 0, which is valid.
      assert.deepEqual(
        dec.decode(0, fromHex('028010'))?.map((l) => l.value),
        ['www.example.com'],
      );
    });

    it('rejects any dynamic reference when the table is disabled', () => {
      const dec = new QpackDecoder({ maxTableCapacity: 0 });
      assertH3Error(() => dec.decode(0, fromHex('0200')), QPACK_DECOMPRESSION_FAILED);
      assert.deepEqual(
        dec.decode(0, fromHex('0000d1'))?.map((l) => l.value),
        ['GET'],
      );
    });

    it('rejects over-long and over-large integers and bad Huffman', () => {
      const dec = decoderWithTable();
      assertH3Error(
        () => dec.decode(0, fromHex('0000ff' + '80'.repeat(11) + '00')),
        QPACK_DECOMPRESSION_FAILED,
      );
      assertH3Error(
        () => dec.decode(0, fromHex('0000ff' + 'ff'.repeat(9) + '7f')),
        QPACK_DECOMPRESSION_FAILED,
      );
      assertH3Error(
        () => dec.decode(0, fromHex('ff' + 'ff'.repeat(9) + '7f00')),
        QPACK_DECOMPRESSION_FAILED,
      );
      // Literal name, Huffman value with an EOS symbol.
      assertH3Error(
        () => dec.decode(0, fromHex('0000' + '2178' + '84fffffffc')),
        QPACK_DECOMPRESSION_FAILED,
      );
      // String length beyond the section.
      assertH3Error(
        () => dec.decode(0, fromHex('0000' + '5108' + '2f')),
        QPACK_DECOMPRESSION_FAILED,
      );
    });

    it('limits the decoded section size with a stream error', () => {
      const dec = new QpackDecoder({ maxFieldSectionSize: 100 });
      const enc = new QpackEncoder();
      const ok = enc.encode(0, [{ name: 'x-a', value: 'v'.repeat(60) }]);
      assert.equal(dec.decode(0, ok)?.length, 1);
      const big = enc.encode(4, [
        { name: 'x-a', value: 'v'.repeat(60) },
        { name: 'x-b', value: '' },
      ]);
      assertH3Error(() => dec.decode(4, big), H3ErrorCode.H3_EXCESSIVE_LOAD, 'stream');
    });

    it('limits the number of blocked streams (RFC 9204 §2.1.2)', () => {
      const dec = new QpackDecoder({ maxTableCapacity: 220, maxBlockedStreams: 2 });
      assert.equal(dec.decode(0, fromHex('020080')), null);
      assert.equal(dec.decode(4, fromHex('020080')), null);
      assertH3Error(() => dec.decode(8, fromHex('020080')), QPACK_DECOMPRESSION_FAILED);
      const none = new QpackDecoder({ maxTableCapacity: 220, maxBlockedStreams: 0 });
      assertH3Error(() => none.decode(0, fromHex('020080')), QPACK_DECOMPRESSION_FAILED);
    });

    it('random mutations of valid sections only ever raise H3ProtocolError', () => {
      const rand = seededRandom(9204);
      const enc = new QpackEncoder({ shouldIndex: () => true });
      enc.applyPeerSettings(1024, 4);
      const dec = new QpackDecoder({ maxTableCapacity: 1024, maxBlockedStreams: 4 });
      const sections: Uint8Array[] = [];
      for (let i = 0; i < 20; i++) {
        sections.push(
          enc.encode(i * 4, [
            { name: ':path', value: `/p/${i % 5}` },
            { name: 'x-k' + (i % 3), value: 'value ' + (i % 4) },
            { name: 'accept', value: '*/*' },
          ]),
        );
      }
      dec.handleEncoderStream(enc.takeEncoderStreamData()!);
      let failures = 0;
      for (let i = 0; i < 3000; i++) {
        const s = sections[randInt(rand, sections.length)]!.slice();
        const flips = 1 + randInt(rand, 3);
        for (let j = 0; j < flips; j++) s[randInt(rand, s.length)] = randInt(rand, 256);
        const result = outcome(() => dec.decode(1000 + i * 4, s));
        if (result instanceof H3ProtocolError) failures++;
        if (result === null) dec.cancelStream(1000 + i * 4);
      }
      assert.ok(failures > 0);
    });
  });

  describe('encoder stream', () => {
    it('accepts instructions split at every byte', () => {
      const bytes = fromHex(TABLE_SETUP);
      for (let cut = 0; cut <= bytes.length; cut++) {
        const dec = new QpackDecoder({ maxTableCapacity: 220 });
        dec.handleEncoderStream(bytes.subarray(0, cut));
        dec.handleEncoderStream(bytes.subarray(cut));
        assert.equal(dec.insertCount, 3, `cut ${cut}`);
        assert.equal(dec.tableSize, 160);
      }
      const dec = new QpackDecoder({ maxTableCapacity: 220 });
      for (const b of bytes) dec.handleEncoderStream(Uint8Array.of(b));
      assert.equal(dec.insertCount, 3);
    });

    it('rejects bad instructions with QPACK_ENCODER_STREAM_ERROR', () => {
      const bad = [
        '3fbe01', // capacity 221 > 220
        '3fbd01' + 'ff2400', // insert with static name reference 99
        '3fbd01' + '8000', // insert with dynamic name reference into an empty table
        '3fbd01' + '00', // duplicate of a missing entry
        '3fbd01' + '4a637573746f6d2d6b6579' + '7f53' + '61'.repeat(210), // entry of 252 bytes > 220
        '3fbd01' + 'c0' + '84fffffffc', // value with EOS
        '3f' + 'ff'.repeat(10) + '01', // integer too large
        '3fbd01' + 'c0' + '7fff' + 'ff'.repeat(3) + '0f', // declared length far above what could fit
        '20' + '4161' + '00', // insert while the capacity is 0
      ];
      for (const hex of bad) {
        const dec = new QpackDecoder({ maxTableCapacity: 220 });
        assertH3Error(() => dec.handleEncoderStream(fromHex(hex)), QPACK_ENCODER_STREAM_ERROR);
      }
    });

    it('evicts on capacity reduction and rejects references to evicted entries', () => {
      const dec = decoderWithTable();
      dec.handleEncoderStream(fromHex('3f77')); // capacity 150: evicts absolute 0
      assert.equal(dec.tableSize, 103);
      assertH3Error(() => dec.handleEncoderStream(fromHex('02')), QPACK_ENCODER_STREAM_ERROR);
      assertH3Error(() => dec.decode(0, fromHex('0400' + '82')), QPACK_DECOMPRESSION_FAILED);
    });

    it('random bytes only ever raise H3ProtocolError', () => {
      const rand = seededRandom(201);
      for (let i = 0; i < 2000; i++) {
        const dec = new QpackDecoder({ maxTableCapacity: 300 });
        const bytes = new Uint8Array(1 + randInt(rand, 40));
        for (let j = 0; j < bytes.length; j++) bytes[j] = randInt(rand, 256);
        const result = outcome(() => dec.handleEncoderStream(bytes));
        if (result instanceof H3ProtocolError)
          assert.equal(result.code, QPACK_ENCODER_STREAM_ERROR);
      }
    });
  });

  describe('decoder stream', () => {
    function encoderWithInserts(): QpackEncoder {
      const enc = new QpackEncoder({ shouldIndex: () => true });
      enc.applyPeerSettings(220, 10);
      enc.encode(4, [
        { name: 'x-a', value: '1' },
        { name: 'x-b', value: '2' },
      ]);
      return enc;
    }

    it('accepts instructions split at every byte', () => {
      // Section Ack for stream 4 with a multi-byte id is not needed; use a long Stream Cancel.
      const bytes = fromHex('7f81ff03' + '84');
      for (let cut = 0; cut <= bytes.length; cut++) {
        const enc = encoderWithInserts();
        enc.handleDecoderStream(bytes.subarray(0, cut));
        enc.handleDecoderStream(bytes.subarray(cut));
        assert.equal(enc.knownReceivedCount, 2);
        assert.equal(enc.referenceCount(0), 0);
      }
    });

    it('rejects bad instructions with QPACK_DECODER_STREAM_ERROR', () => {
      const bad = [
        '00', // Insert Count Increment of 0 (RFC 9204 §4.4.3)
        '03', // increment beyond the two inserts sent
        '0101' + '01', // cumulative increments beyond the inserts sent
        '88', // Section Acknowledgment for a stream with no outstanding section
        '84' + '84', // second acknowledgment of the only section
        '3f' + 'ff'.repeat(10) + '01', // integer too large
      ];
      for (const hex of bad) {
        const enc = encoderWithInserts();
        assertH3Error(() => enc.handleDecoderStream(fromHex(hex)), QPACK_DECODER_STREAM_ERROR);
      }
      // Stream Cancellation for an unknown stream is not an error.
      encoderWithInserts().handleDecoderStream(fromHex('4c'));
    });

    it('random bytes only ever raise H3ProtocolError', () => {
      const rand = seededRandom(202);
      for (let i = 0; i < 2000; i++) {
        const enc = encoderWithInserts();
        const bytes = new Uint8Array(1 + randInt(rand, 12));
        for (let j = 0; j < bytes.length; j++) bytes[j] = randInt(rand, 256);
        const result = outcome(() => enc.handleDecoderStream(bytes));
        if (result instanceof H3ProtocolError)
          assert.equal(result.code, QPACK_DECODER_STREAM_ERROR);
      }
    });
  });
});

describe('h3/qpack API misuse', () => {
  it('throws RangeError for calls out of order and bad options', () => {
    const dec = new QpackDecoder({ maxTableCapacity: 220, maxBlockedStreams: 4 });
    assert.equal(dec.decode(0, fromHex('020080')), null);
    assert.throws(() => dec.decode(0, fromHex('0000d1')), RangeError); // already blocked
    assert.throws(() => dec.decodeUnblocked(0), RangeError); // still blocked
    assert.throws(() => dec.decodeUnblocked(4), RangeError); // never blocked
    assert.throws(() => new QpackDecoder({ maxTableCapacity: -1 }), RangeError);
    assert.throws(() => new QpackDecoder({ maxBlockedStreams: 1.5 }), RangeError);
    assert.throws(() => new QpackEncoder({ maxTableCapacity: -1 }), RangeError);
    assert.throws(() => new QpackEncoder({ maxBlockedStreams: NaN }), RangeError);
  });
});
