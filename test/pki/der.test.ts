import assert from 'node:assert/strict';
import { DecodeError } from '../../src/util/errors.js';
import { fromHex, toHex } from '../../src/util/bytes.js';
import {
  DerReader,
  Tag,
  contextTag,
  decodeOid,
  decodeSingle,
  derBitString,
  derBoolean,
  derExplicit,
  derGeneralizedTime,
  derIa5String,
  derImplicit,
  derInteger,
  derNamedBits,
  derNull,
  derOctetString,
  derOid,
  derPrintableString,
  derSequence,
  derSet,
  derTime,
  derTlv,
  derUnsignedInteger,
  derUtcTime,
  derUtf8String,
  encodeOid,
  readSequence,
} from '../../src/util/der.js';

const reader = (hex: string) => new DerReader(fromHex(hex));
const rejects = (hex: string, read: (r: DerReader) => unknown) =>
  assert.throws(() => read(reader(hex)), DecodeError, hex);

describe('DER', () => {
  describe('lengths', () => {
    it('reads short and long forms', () => {
      assert.equal(reader('0400').octetString().length, 0);
      const long = derOctetString(new Uint8Array(200));
      assert.equal(toHex(long.subarray(0, 3)), '0481c8');
      assert.equal(new DerReader(long).octetString().length, 200);
      const longer = derOctetString(new Uint8Array(300));
      assert.equal(toHex(longer.subarray(0, 4)), '0482012c');
      assert.equal(new DerReader(longer).octetString().length, 300);
    });

    it('rejects non-minimal, indefinite, oversized and truncated lengths', () => {
      rejects('04817f' + '00'.repeat(127), (r) => r.read()); // 127 needs the short form
      rejects('0482007f' + '00'.repeat(127), (r) => r.read()); // leading zero length octet
      rejects('308000000000', (r) => r.read()); // indefinite length (BER only)
      rejects('0485010000000000', (r) => r.read()); // 5 length octets
      rejects('0403aabb', (r) => r.read()); // content shorter than the length
      rejects('04', (r) => r.read()); // no length at all
      rejects('0482', (r) => r.read()); // truncated long length
      rejects('', (r) => r.read());
      rejects('1f0100', (r) => r.read()); // high tag number form
    });

    it('checks that an element fits its container', () => {
      // SEQUENCE of length 3 whose inner OCTET STRING claims 4 bytes.
      const r = reader('30030404aabbcc').sequence();
      assert.throws(() => r.octetString(), DecodeError);
      rejects('3005040100', (r) => r.read()); // outer element longer than the buffer
      const inner = readSequence(fromHex('30050403aabbcc'), 'test');
      assert.equal(toHex(inner.octetString()), 'aabbcc');
      const bad = readSequence(fromHex('30040404aabbcc').subarray(0, 6), 'test');
      assert.throws(() => bad.octetString(), DecodeError);
    });

    it('decodeSingle and readSequence refuse trailing data', () => {
      assert.throws(() => decodeSingle(fromHex('050000')), DecodeError);
      assert.throws(() => readSequence(fromHex('300000'), 'x'), DecodeError);
      assert.throws(() => readSequence(fromHex('0500'), 'x'), /not a SEQUENCE/);
      const r = readSequence(fromHex('30020500'), 'x');
      r.null();
      r.finish();
      const extra = readSequence(fromHex('300405000500'), 'x');
      extra.null();
      assert.throws(() => extra.finish('x'), /trailing data in x/);
    });
  });

  describe('INTEGER', () => {
    const cases: [bigint, string][] = [
      [0n, '020100'],
      [1n, '020101'],
      [127n, '02017f'],
      [128n, '02020080'],
      [255n, '020200ff'],
      [256n, '02020100'],
      [-1n, '0201ff'],
      [-128n, '020180'],
      [-129n, '0202ff7f'],
      [2n ** 64n, '0209010000000000000000'],
    ];
    for (const [v, hex] of cases) {
      it(`round-trips ${v}`, () => {
        assert.equal(toHex(derInteger(v)), hex);
        assert.equal(reader(hex).integer(), v);
      });
    }

    it('rejects non-minimal and empty encodings', () => {
      rejects('02020001', (r) => r.integer());
      rejects('0202ff80', (r) => r.integer());
      rejects('0200', (r) => r.integer());
    });

    it('smallInteger bounds, integerBytes and unsigned magnitudes', () => {
      assert.equal(reader('02020100').smallInteger(), 256);
      rejects('0201ff', (r) => r.smallInteger());
      rejects('0208' + '7f'.repeat(8), (r) => r.smallInteger());
      assert.equal(toHex(reader('02020080').integerBytes()), '0080');
      assert.equal(toHex(reader('02020080').unsignedIntegerBytes()), '80');
      assert.equal(toHex(reader('020100').unsignedIntegerBytes()), '00');
      rejects('020180', (r) => r.unsignedIntegerBytes());
      assert.equal(toHex(derUnsignedInteger(fromHex('0000ff'))), '020200ff');
      assert.equal(toHex(derUnsignedInteger(fromHex('0000'))), '020100');
      assert.equal(toHex(derUnsignedInteger(new Uint8Array(0))), '020100');
      assert.equal(toHex(derUnsignedInteger(fromHex('7f01'))), '02027f01');
    });
  });

  describe('OBJECT IDENTIFIER', () => {
    const cases: [string, string][] = [
      ['1.2.840.113549.1.1.11', '2a864886f70d01010b'],
      ['1.2.840.10045.3.1.7', '2a8648ce3d030107'],
      ['1.3.101.112', '2b6570'],
      ['2.5.29.17', '551d11'],
      ['0.9.2342.19200300.100.1.25', '0992268993f22c640119'],
      ['2.999.3', '883703'], // first subidentifier beyond 80
      ['2.25.329800735698586629295641978511506172918', '6983f09da7ebcfdee0c7a1a7b2c0948cc8f9d776'],
    ];
    for (const [dotted, hex] of cases) {
      it(`round-trips ${dotted}`, () => {
        assert.equal(toHex(encodeOid(dotted)), hex);
        assert.equal(decodeOid(fromHex(hex)), dotted);
        assert.equal(new DerReader(derOid(dotted)).oid(), dotted);
      });
    }

    it('rejects malformed contents and strings', () => {
      assert.throws(() => decodeOid(new Uint8Array(0)), DecodeError);
      assert.throws(() => decodeOid(fromHex('2a80')), DecodeError); // truncated subidentifier
      assert.throws(() => decodeOid(fromHex('2a808601')), DecodeError); // leading 0x80
      for (const bad of ['1', '3.1', '1.40', '1..2', '1.2.', '1.02', 'a.b']) {
        assert.throws(() => encodeOid(bad), TypeError, bad);
      }
    });
  });

  describe('strings, BOOLEAN, NULL, BIT STRING', () => {
    it('round-trips the string types', () => {
      assert.equal(new DerReader(derUtf8String('héllo ✓')).string(), 'héllo ✓');
      assert.equal(
        new DerReader(derPrintableString('Test CA (1), Inc.')).string(),
        'Test CA (1), Inc.',
      );
      assert.equal(new DerReader(derIa5String('a@b.c')).string(), 'a@b.c');
      assert.equal(reader('1e0400410042').string(), 'AB'); // BMPString
      assert.equal(reader('1c080000004100000042').string(), 'AB'); // UniversalString
      assert.throws(() => derPrintableString('a@b'), TypeError);
      assert.throws(() => derIa5String('é'), TypeError);
      rejects('0c02c328', (r) => r.string()); // invalid UTF-8
      rejects('1601ff', (r) => r.string()); // non-ASCII IA5String
      rejects('1e03004100', (r) => r.string());
      rejects('0400', (r) => r.string()); // not a string type
    });

    it('BOOLEAN accepts only 00 and FF', () => {
      assert.equal(new DerReader(derBoolean(true)).boolean(), true);
      assert.equal(new DerReader(derBoolean(false)).boolean(), false);
      rejects('010101', (r) => r.boolean());
      rejects('01020000', (r) => r.boolean());
    });

    it('NULL is empty', () => {
      new DerReader(derNull()).null();
      rejects('050100', (r) => r.null());
    });

    it('BIT STRING padding rules', () => {
      assert.equal(toHex(new DerReader(derBitString(fromHex('abcd'))).bitString()), 'abcd');
      const padded = new DerReader(derBitString(fromHex('a0'), 5)).bitStringWithPadding();
      assert.equal(padded.unusedBits, 5);
      assert.equal(reader('030100').bitString().length, 0);
      rejects('0300', (r) => r.bitString()); // no unused-bits octet
      rejects('030108', (r) => r.bitString()); // unused count > 7
      rejects('030101', (r) => r.bitString()); // padding in an empty string
      rejects('030203a1', (r) => r.bitStringWithPadding()); // padding bits not zero
      rejects('030203a0', (r) => r.bitString()); // not octet-aligned
    });

    it('named bits drop trailing zeros', () => {
      assert.equal(toHex(derNamedBits([0])), '03020780'); // digitalSignature
      assert.equal(toHex(derNamedBits([0, 5, 6])), '03020186'); // + keyCertSign, cRLSign
      assert.equal(toHex(derNamedBits([8])), '0303070080'); // decipherOnly
      assert.equal(toHex(derNamedBits([])), '030100');
    });
  });

  describe('times', () => {
    const t2025 = Date.UTC(2025, 0, 1, 0, 0, 0);
    it('UTCTime and GeneralizedTime round trip', () => {
      assert.equal(toHex(derUtcTime(t2025)), '170d3235303130313030303030305a');
      assert.equal(new DerReader(derUtcTime(t2025)).time(), t2025);
      const t1999 = Date.UTC(1999, 11, 31, 23, 59, 59);
      assert.equal(new DerReader(derUtcTime(t1999)).time(), t1999);
      const t2050 = Date.UTC(2050, 5, 15, 12, 30, 45);
      assert.equal(derTime(t2050)[0], Tag.GeneralizedTime);
      assert.equal(derTime(Date.UTC(2049, 11, 31, 23, 59, 59))[0], Tag.UTCTime);
      assert.equal(new DerReader(derTime(t2050)).time(), t2050);
      assert.equal(new DerReader(derGeneralizedTime(t2025)).time(), t2025);
      assert.throws(() => derUtcTime(t2050), RangeError);
      assert.throws(() => derTime(Date.UTC(1949, 0, 1)), RangeError);
    });

    it('the UTCTime century pivot is 1950', () => {
      assert.equal(
        new DerReader(derTlv(Tag.UTCTime, new TextEncoder().encode('491231235959Z'))).time(),
        Date.UTC(2049, 11, 31, 23, 59, 59),
      );
      assert.equal(
        new DerReader(derTlv(Tag.UTCTime, new TextEncoder().encode('500101000000Z'))).time(),
        Date.UTC(1950, 0, 1),
      );
    });

    it('rejects forms RFC 5280 does not allow and impossible dates', () => {
      const enc = (tag: number, s: string) =>
        new DerReader(derTlv(tag, new TextEncoder().encode(s)));
      for (const s of [
        '2501010000Z',
        '250101000000',
        '250101000000+0100',
        '2501010000000Z',
        '251301000000Z',
        '250230000000Z',
        '250101240000Z',
        '25010100000aZ',
        '25010100000/Z',
        '2501010000:0Z',
        ' 50101000000Z',
        '250101000000z',
      ]) {
        assert.throws(() => enc(Tag.UTCTime, s).time(), DecodeError, s);
      }
      for (const s of [
        '20250101000000.5Z',
        '202501010000Z',
        '20250101000000',
        '2025010100000+Z',
        '00500101000000Z', // a year below 100 (Date.UTC would read 1950)
      ]) {
        assert.throws(() => enc(Tag.GeneralizedTime, s).time(), DecodeError, s);
      }
      rejects('0400', (r) => r.time());
    });
  });

  describe('structure', () => {
    it('SEQUENCE, SET (sorted), explicit and implicit tags round trip', () => {
      const set = derSet(derInteger(3), derInteger(1), derOctetString(fromHex('00')));
      assert.equal(toHex(set), '3109020101020103040100');
      const der = derSequence(
        derExplicit(0, derInteger(2)),
        derImplicit(2, new TextEncoder().encode('example.com')),
        derImplicit(1, derSequence(derNull()).subarray(2), true),
        set,
      );
      const r = readSequence(der, 'test');
      const v = r.optionalExplicit(0)!;
      assert.equal(v.smallInteger(), 2);
      v.finish();
      assert.equal(r.optionalExplicit(0), null);
      const implicit = r.expect(contextTag(2, false));
      assert.equal(new TextDecoder().decode(implicit.value), 'example.com');
      assert.equal(r.optional(contextTag(3, true)), null);
      const constructed = r.expect(contextTag(1, true));
      new DerReader(constructed.value).null();
      const s = r.set();
      assert.equal(s.integer(), 1n);
      r.finish();
      assert.equal(r.done, true);
      assert.equal(r.peekTag(), -1);
    });

    it('expect names what it wanted', () => {
      assert.throws(() => reader('0500').integer(), /expected INTEGER, got NULL/);
      assert.throws(() => reader('').sequence(), /missing SEQUENCE/);
      assert.throws(() => reader('a000').oid(), /got \[0\]/);
      assert.throws(() => contextTag(31, false), RangeError);
      assert.throws(() => derBitString(new Uint8Array(0), 1), RangeError);
    });

    it('a long SEQUENCE round trips', () => {
      const items = Array.from({ length: 100 }, (_, i) => derOctetString(new Uint8Array(i)));
      const der = derSequence(...items);
      const r = readSequence(der, 'big');
      for (let i = 0; i < 100; i++) assert.equal(r.octetString().length, i);
      r.finish();
    });
  });
});
