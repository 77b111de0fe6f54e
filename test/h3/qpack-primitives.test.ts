import assert from 'node:assert/strict';
import { INCOMPLETE, QpackReader, writeInt, writeString } from '../../src/h3/qpack/primitives.js';
import { fromHex, toHex } from '../../src/util/bytes.js';
import { Writer } from '../../src/util/cursor.js';
import { DecodeError } from '../../src/util/errors.js';
import { randInt, seededRandom } from './helpers.js';

function int(flags: number, prefix: number, v: number): string {
  const w = Writer.growable(4);
  writeInt(w, flags, prefix, v);
  return toHex(w.finish());
}

describe('h3/qpack/primitives', () => {
  it('encodes the RFC 7541 C.1 integer examples', () => {
    assert.equal(int(0, 5, 10), '0a'); // C.1.1
    assert.equal(int(0, 5, 1337), '1f9a0a'); // C.1.2
    assert.equal(int(0, 8, 42), '2a'); // C.1.3
    assert.equal(int(0xe0, 5, 10), 'ea'); // flags above the prefix are kept
    assert.equal(int(0, 5, 31), '1f00'); // exactly 2^N-1 needs a continuation octet
  });

  it('decodes the RFC 7541 C.1 integer examples', () => {
    assert.equal(new QpackReader(fromHex('ea')).int(5), 10);
    const r = new QpackReader(fromHex('ff9a0aff'));
    assert.equal(r.int(5), 1337);
    assert.equal(r.pos, 3);
    assert.equal(new QpackReader(fromHex('2a')).int(8), 42);
  });

  it('round-trips integers for every prefix size, up to 2^53-1', () => {
    const rand = seededRandom(51);
    for (let prefix = 1; prefix <= 8; prefix++) {
      const values = [
        0,
        1,
        (1 << prefix) - 2,
        (1 << prefix) - 1,
        1 << prefix,
        127,
        128,
        2 ** 32,
        2 ** 53 - 1,
      ];
      for (let i = 0; i < 50; i++) values.push(Math.floor(rand() * 2 ** randInt(rand, 53)));
      for (const v of values) {
        const w = Writer.growable(4);
        writeInt(w, 0, prefix, v);
        const r = new QpackReader(w.finish());
        assert.equal(r.int(prefix), v, `prefix ${prefix} value ${v}`);
        assert.equal(r.remaining, 0);
      }
    }
  });

  it('reports truncation without moving, at every cut', () => {
    const w = Writer.growable(4);
    writeInt(w, 0, 3, 2 ** 40);
    const bytes = w.finish();
    for (let cut = 0; cut < bytes.length; cut++) {
      const r = new QpackReader(bytes, 0, cut);
      assert.equal(r.int(3), INCOMPLETE);
      assert.equal(r.pos, 0);
    }
  });

  it('rejects integers above 2^53-1 and over-long encodings', () => {
    // 62-bit value 2^62-1 with a 6-bit prefix: decodable length, but beyond a safe integer.
    const w = Writer.growable(4);
    w.u8(0x3f);
    let v = 2n ** 62n - 1n - 63n;
    while (v >= 128n) {
      w.u8(Number(v % 128n) | 0x80);
      v /= 128n;
    }
    w.u8(Number(v));
    assert.throws(() => new QpackReader(w.finish()).int(6), DecodeError);
    // Eleven continuation octets (redundant zeros) exceed the length limit.
    assert.throws(
      () => new QpackReader(fromHex('ff' + '80'.repeat(11) + '00')).int(8),
      DecodeError,
    );
    // Ten are accepted when the value is small.
    assert.equal(new QpackReader(fromHex('ff' + '80'.repeat(9) + '00')).int(8), 255);
    assert.throws(() => writeInt(Writer.growable(), 0, 8, -1), RangeError);
    assert.throws(() => writeInt(Writer.growable(), 0, 8, 2 ** 53), RangeError);
  });

  it('writes and reads string literals with and without Huffman', () => {
    const w = Writer.growable(8);
    writeString(w, 0, 7, 'www.example.com', true);
    assert.equal(toHex(w.finish()), '8cf1e3c2e5f23a6ba0ab90f4ff');
    w.reset();
    writeString(w, 0, 7, 'www.example.com', false);
    assert.equal(toHex(w.finish()), '0f7777772e6578616d706c652e636f6d');
    // A 6-bit prefix string (RFC 9204 §4.1.2) keeps the two flag bits above it.
    w.reset();
    writeString(w, 0x40, 5, 'custom-key', false);
    assert.equal(toHex(w.finish()), '4a637573746f6d2d6b6579');
    assert.equal(new QpackReader(w.finish()).string(5, 100), 'custom-key');
    // Huffman is not used where it would be longer.
    w.reset();
    writeString(w, 0, 7, '\x00\x01', true);
    assert.equal(toHex(w.finish()), '020001');
  });

  it('round-trips arbitrary octet strings at every prefix size', () => {
    const rand = seededRandom(52);
    for (let prefix = 1; prefix <= 7; prefix++) {
      for (let i = 0; i < 40; i++) {
        let s = '';
        const n = randInt(rand, 300);
        for (let j = 0; j < n; j++)
          s += String.fromCharCode(rand() < 0.7 ? 97 + randInt(rand, 26) : randInt(rand, 256));
        const w = Writer.growable(8);
        writeString(w, 0, prefix, s, rand() < 0.5);
        const r = new QpackReader(w.finish());
        assert.equal(r.string(prefix, 1000), s);
        assert.equal(r.remaining, 0);
      }
    }
  });

  it('string literals report truncation, enforce the length limit and bad Huffman', () => {
    const w = Writer.growable(8);
    writeString(w, 0, 7, 'hello world', false);
    const bytes = w.finish();
    for (let cut = 0; cut < bytes.length; cut++) {
      const r = new QpackReader(bytes, 0, cut);
      assert.equal(r.string(7, 100), null);
      assert.equal(r.pos, 0);
    }
    assert.throws(() => new QpackReader(bytes).string(7, 10), DecodeError);
    // The limit applies before the bytes arrive.
    assert.throws(() => new QpackReader(fromHex('7f8101')).string(7, 100), DecodeError);
    assert.throws(() => new QpackReader(fromHex('81ff')).string(7, 100), DecodeError);
    assert.throws(() => writeString(Writer.growable(), 0, 7, 'é\u0100', false), TypeError);
  });
});
