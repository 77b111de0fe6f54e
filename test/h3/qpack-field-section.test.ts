import assert from 'node:assert/strict';
import { H3ErrorCode } from '../../src/h3/errors.js';
import { DynamicTable } from '../../src/h3/qpack/dynamic-table.js';
import {
  decodeFieldLines,
  decodeRequiredInsertCount,
  encodeRequiredInsertCount,
  maxEntries,
  readFieldSectionPrefix,
  writeFieldSectionPrefix,
  writeIndexedDynamic,
  writeIndexedPostBase,
  writeIndexedStatic,
  writeLiteralName,
  writeLiteralNameRef,
  writeLiteralPostBaseNameRef,
} from '../../src/h3/qpack/field-section.js';
import { QpackReader } from '../../src/h3/qpack/primitives.js';
import { toHex } from '../../src/util/bytes.js';
import { Writer } from '../../src/util/cursor.js';
import { DecodeError } from '../../src/util/errors.js';
import { assertH3Error } from './helpers.js';

describe('h3/qpack/field-section', () => {
  it('Required Insert Count wraps modulo 2 * MaxEntries (RFC 9204 §4.5.1.1)', () => {
    // "if the dynamic table is 100 bytes, then the Required Insert Count will be encoded modulo
    // 6. If a decoder has received 10 inserts, then an encoded value of 4 indicates that the
    // Required Insert Count is 9."
    const entries = maxEntries(100);
    assert.equal(entries, 3);
    assert.equal(decodeRequiredInsertCount(4, entries, 10), 9);
    assert.equal(encodeRequiredInsertCount(9, entries), 4);
    assert.equal(encodeRequiredInsertCount(0, entries), 0);
    // Every count the decoder can be asked for round-trips, from any decoder position that
    // allows it (RIC in [total - MaxEntries + 1, total + MaxEntries]).
    for (const cap of [32, 100, 220, 4096]) {
      const e = maxEntries(cap);
      for (let total = 0; total < 200; total++) {
        for (let ric = Math.max(1, total - e + 1); ric <= total + e; ric++) {
          assert.equal(decodeRequiredInsertCount(encodeRequiredInsertCount(ric, e), e, total), ric);
        }
      }
    }
  });

  it('rejects Required Insert Count encodings no encoder could produce', () => {
    assert.throws(() => decodeRequiredInsertCount(7, 3, 10), DecodeError); // > 2 * MaxEntries
    assert.throws(() => decodeRequiredInsertCount(1, 0, 0), DecodeError); // no table
    // Total 0, MaxEntries 3: encoded 6 gives 5 > MaxValue 3, and 5 <= FullRange.
    assert.throws(() => decodeRequiredInsertCount(6, 3, 0), DecodeError);
    // Encoded 1 at total 0 reconstructs as 0, which must have been encoded as 0.
    assert.throws(() => decodeRequiredInsertCount(1, 3, 0), DecodeError);
  });

  it('writes and reads the prefix with either Base sign', () => {
    const cases: [number, number, string][] = [
      [0, 0, '0000'],
      [0, 7, '0000'],
      [2, 0, '0381'], // RFC 9204 B.2
      [4, 4, '0500'], // RFC 9204 B.4
      [4, 10, '0506'],
    ];
    for (const [ric, base, hex] of cases) {
      const w = Writer.growable();
      writeFieldSectionPrefix(w, ric, base, 6);
      assert.equal(toHex(w.finish()), hex);
      const prefix = readFieldSectionPrefix(new QpackReader(w.finish()), 6, 4);
      assert.equal(prefix.requiredInsertCount, ric);
      if (ric > 0) assert.equal(prefix.base, base);
    }
  });

  it('round-trips every representation, with and without the N bit', () => {
    const table = new DynamicTable();
    table.setCapacity(1000);
    for (let i = 0; i < 6; i++) table.insert(`name-${i}`, `value-${i}`);
    const base = 4; // entries 4 and 5 are post-Base
    const w = Writer.growable();
    writeFieldSectionPrefix(w, 6, base, 31);
    writeIndexedStatic(w, 17);
    writeIndexedDynamic(w, 0); // absolute 3
    writeIndexedPostBase(w, 1); // absolute 5
    writeLiteralNameRef(w, true, 1, '/x', false, true);
    writeLiteralNameRef(w, false, 3, 'v', true, false); // absolute 0
    writeLiteralPostBaseNameRef(w, 0, 'w', true, true); // absolute 4
    writeLiteralName(w, 'x-y', 'z', true, false);
    writeLiteralName(w, 'x-q', '', false, true);
    const r = new QpackReader(w.finish());
    const prefix = readFieldSectionPrefix(r, 31, 6);
    const lines = decodeFieldLines(r, prefix, table, 1 << 16);
    assert.deepEqual(
      lines.map((l) => [l.name, l.value, l.neverIndex]),
      [
        [':method', 'GET', false],
        ['name-3', 'value-3', false],
        ['name-5', 'value-5', false],
        [':path', '/x', false],
        ['name-0', 'v', true],
        ['name-4', 'w', true],
        ['x-y', 'z', true],
        ['x-q', '', false],
      ],
    );
  });

  it('counts the decoded size as RFC 9114 §4.2.2 does', () => {
    const table = new DynamicTable();
    const w = Writer.growable();
    writeFieldSectionPrefix(w, 0, 0, 0);
    writeLiteralName(w, 'ab', 'cd', false, false); // 36
    writeLiteralName(w, 'ef', 'gh', false, false); // 72
    const bytes = w.finish();
    const decode = (limit: number) => {
      const r = new QpackReader(bytes);
      return decodeFieldLines(r, readFieldSectionPrefix(r, 0, 0), table, limit);
    };
    assert.equal(decode(72).length, 2);
    assertH3Error(() => decode(71), H3ErrorCode.H3_EXCESSIVE_LOAD, 'stream');
  });
});
