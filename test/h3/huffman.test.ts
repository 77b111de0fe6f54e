import assert from 'node:assert/strict';
import {
  huffmanDecode,
  huffmanEncode,
  huffmanEncodedLength,
  huffmanEncodeInto,
} from '../../src/h3/huffman.js';
import { HUFFMAN_CODES, HUFFMAN_CODE_LENGTHS } from '../../src/h3/huffman-table.js';
import { fromHex, toHex } from '../../src/util/bytes.js';
import { DecodeError } from '../../src/util/errors.js';
import { loadVector } from '../vectors.js';
import { octets, randInt, seededRandom } from './helpers.js';

// RFC 7541 Appendix C.4 and C.6: every "Huffman encoded" literal with its decoded text.
const RFC7541_STRINGS: [string, string][] = [
  ['www.example.com', 'f1e3c2e5f23a6ba0ab90f4ff'],
  ['no-cache', 'a8eb10649cbf'],
  ['custom-key', '25a849e95ba97d7f'],
  ['custom-value', '25a849e95bb8e8b4bf'],
  ['302', '6402'],
  ['private', 'aec3771a4b'],
  ['Mon, 21 Oct 2013 20:13:21 GMT', 'd07abe941054d444a8200595040b8166e082a62d1bff'],
  ['https://www.example.com', '9d29ad171863c78f0b97c8e9ae82ae43d3'],
  ['307', '640eff'],
  ['Mon, 21 Oct 2013 20:13:22 GMT', 'd07abe941054d444a8200595040b8166e084a62d1bff'],
  ['gzip', '9bd9ab'],
  [
    'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1',
    '94e7821dd7f2e6c7b335dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007',
  ],
];

describe('h3/huffman', () => {
  it('generated table matches the RFC 7541 Appendix B vector', () => {
    const table = loadVector('qpack-huffman.json').table as [string, number][];
    assert.equal(table.length, 257);
    assert.equal(HUFFMAN_CODES.length, 257);
    assert.equal(HUFFMAN_CODE_LENGTHS.length, 257);
    table.forEach(([hex, len], sym) => {
      assert.equal(HUFFMAN_CODES[sym], parseInt(hex, 16), `code of symbol ${sym}`);
      assert.equal(HUFFMAN_CODE_LENGTHS[sym], len, `length of symbol ${sym}`);
    });
  });

  it('encodes and decodes the RFC 7541 C.4/C.6 strings', () => {
    for (const [text, hex] of RFC7541_STRINGS) {
      assert.equal(toHex(huffmanEncode(text)), hex, text);
      assert.equal(huffmanEncodedLength(text), hex.length / 2);
      assert.equal(huffmanDecode(fromHex(hex)), text);
    }
  });

  it('round-trips every octet value, alone and all together', () => {
    const all: number[] = [];
    for (let b = 0; b < 256; b++) {
      all.push(b);
      const s = String.fromCharCode(b);
      assert.equal(huffmanDecode(huffmanEncode(s)), s, `octet ${b}`);
    }
    const s = octets(all);
    assert.equal(huffmanDecode(huffmanEncode(s)), s);
    const reversed = octets(all.reverse());
    assert.equal(huffmanDecode(huffmanEncode(reversed)), reversed);
  });

  it('round-trips seeded random strings and decodes from an offset', () => {
    const rand = seededRandom(7541);
    for (let i = 0; i < 300; i++) {
      const n = randInt(rand, 80);
      const bytes: number[] = [];
      // Mix printable text with arbitrary octets so long codes appear too.
      for (let j = 0; j < n; j++)
        bytes.push(rand() < 0.8 ? 32 + randInt(rand, 95) : randInt(rand, 256));
      const s = octets(bytes);
      const len = huffmanEncodedLength(s);
      const buf = new Uint8Array(len + 6);
      assert.equal(huffmanEncodeInto(s, buf, 3), 3 + len);
      assert.equal(huffmanDecode(buf, 3, 3 + len), s);
    }
  });

  it('decodes the empty string', () => {
    assert.equal(huffmanEncode('').length, 0);
    assert.equal(huffmanDecode(new Uint8Array(0)), '');
  });

  it('rejects padding longer than 7 bits (RFC 7541 §5.2)', () => {
    // 'a' is 00011; a whole extra 0xff octet makes 11 padding bits.
    assert.equal(toHex(huffmanEncode('a')), '1f');
    assert.throws(() => huffmanDecode(fromHex('1fff')), DecodeError);
    assert.throws(() => huffmanDecode(fromHex('ff')), DecodeError);
    assert.throws(() => huffmanDecode(fromHex('ffff')), DecodeError);
  });

  it('rejects padding that is not a prefix of EOS', () => {
    assert.throws(() => huffmanDecode(fromHex('18')), DecodeError); // 00011 000
    assert.throws(() => huffmanDecode(fromHex('1e')), DecodeError); // 00011 110
    // A truncated long code is not all-ones padding either.
    const long = huffmanEncode('\x00'); // 13 bits
    assert.throws(() => huffmanDecode(long.subarray(0, 1)), DecodeError);
  });

  it('rejects the EOS symbol inside the string', () => {
    // 30 one-bits (EOS) then two zero bits.
    assert.throws(() => huffmanDecode(fromHex('fffffffc')), DecodeError);
    // 'a' then EOS then padding.
    assert.throws(() => huffmanDecode(fromHex('1ffffffffe')), DecodeError);
  });

  it('rejects characters above 0xff when encoding', () => {
    assert.throws(() => huffmanEncodedLength('\u0100'), TypeError);
  });
});
