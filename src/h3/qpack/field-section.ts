/**
 * Encoded field sections (RFC 9204 §4.5): the prefix (Required Insert Count and Base) and the
 * five field line representations, both directions.
 */
import type { Writer } from '../../util/cursor.js';
import { DecodeError } from '../../util/errors.js';
import { H3ProtocolError, H3ErrorCode } from '../errors.js';
import type { DynamicTable } from './dynamic-table.js';
import { ENTRY_OVERHEAD } from './dynamic-table.js';
import { INCOMPLETE, type QpackReader, writeInt, writeString } from './primitives.js';
import { STATIC_TABLE } from './static-table.js';

/** One field line of a header or trailer section. Names and values are octet strings. */
export interface FieldLine {
  readonly name: string;
  readonly value: string;
  /**
   * The 'N' bit (RFC 9204 §4.5.4): the line must stay a literal on every hop and is never put in
   * a dynamic table. Set it for sensitive values; decoded lines carry what the peer sent.
   */
  readonly neverIndex?: boolean;
}

/** Maximum number of dynamic table entries: floor(MaxTableCapacity / 32) (RFC 9204 §4.5.1.1). */
export function maxEntries(maxTableCapacity: number): number {
  return Math.floor(maxTableCapacity / ENTRY_OVERHEAD);
}

/** The Encoded Required Insert Count of RFC 9204 §4.5.1.1. */
export function encodeRequiredInsertCount(requiredInsertCount: number, entries: number): number {
  if (requiredInsertCount === 0) return 0;
  return (requiredInsertCount % (2 * entries)) + 1;
}

/**
 * Reconstructs the Required Insert Count from its encoding (RFC 9204 §4.5.1.1). Throws
 * DecodeError for a value no conforming encoder could have produced.
 */
export function decodeRequiredInsertCount(
  encoded: number,
  entries: number,
  totalInserts: number,
): number {
  if (encoded === 0) return 0;
  const fullRange = 2 * entries;
  if (encoded > fullRange) throw new DecodeError('Required Insert Count out of range');
  const maxValue = totalInserts + entries;
  const maxWrapped = Math.floor(maxValue / fullRange) * fullRange;
  let ric = maxWrapped + encoded - 1;
  if (ric > maxValue) {
    if (ric <= fullRange) throw new DecodeError('Required Insert Count out of range');
    ric -= fullRange;
  }
  if (ric === 0) throw new DecodeError('Required Insert Count of 0 encoded as non-zero');
  return ric;
}

/** Writes the encoded field section prefix (RFC 9204 §4.5.1). */
export function writeFieldSectionPrefix(
  w: Writer,
  requiredInsertCount: number,
  base: number,
  entries: number,
): void {
  if (requiredInsertCount === 0) {
    // Base is meaningless without dynamic references: Delta Base 0 is the shortest form.
    w.u8(0).u8(0);
    return;
  }
  writeInt(w, 0, 8, encodeRequiredInsertCount(requiredInsertCount, entries));
  if (base >= requiredInsertCount) writeInt(w, 0, 7, base - requiredInsertCount);
  else writeInt(w, 0x80, 7, requiredInsertCount - base - 1);
}

/** A decoded field section prefix. */
export interface FieldSectionPrefix {
  readonly requiredInsertCount: number;
  readonly base: number;
}

/**
 * Reads the prefix at the reader's position (RFC 9204 §4.5.1). `totalInserts` is the decoder's
 * insert count now: the Required Insert Count is reconstructed relative to it, once, on receipt.
 * Throws DecodeError when truncated or invalid.
 */
export function readFieldSectionPrefix(
  r: QpackReader,
  entries: number,
  totalInserts: number,
): FieldSectionPrefix {
  const encoded = r.int(8);
  if (encoded === INCOMPLETE) throw new DecodeError('truncated field section prefix');
  const requiredInsertCount = decodeRequiredInsertCount(encoded, entries, totalInserts);
  if (r.remaining === 0) throw new DecodeError('truncated field section prefix');
  const negative = (r.buf[r.pos]! & 0x80) !== 0;
  const delta = r.int(7);
  if (delta === INCOMPLETE) throw new DecodeError('truncated field section prefix');
  // RFC 9204 §4.5.1.2: Base must not be negative.
  if (negative && requiredInsertCount <= delta) throw new DecodeError('negative Base');
  const base = negative ? requiredInsertCount - delta - 1 : requiredInsertCount + delta;
  return { requiredInsertCount, base };
}

// Field line representations, encoder side (RFC 9204 §4.5.2-§4.5.6).

/** Indexed Field Line, static table (RFC 9204 §4.5.2, T=1). */
export function writeIndexedStatic(w: Writer, index: number): void {
  writeInt(w, 0xc0, 6, index);
}

/** Indexed Field Line, dynamic table, relative index = Base - 1 - absolute (§4.5.2, T=0). */
export function writeIndexedDynamic(w: Writer, relativeIndex: number): void {
  writeInt(w, 0x80, 6, relativeIndex);
}

/** Indexed Field Line with Post-Base Index = absolute - Base (RFC 9204 §4.5.3). */
export function writeIndexedPostBase(w: Writer, postBaseIndex: number): void {
  writeInt(w, 0x10, 4, postBaseIndex);
}

/** Literal Field Line with Name Reference (RFC 9204 §4.5.4): static or relative dynamic name. */
export function writeLiteralNameRef(
  w: Writer,
  isStatic: boolean,
  index: number,
  value: string,
  neverIndex: boolean,
  huffman: boolean,
): void {
  writeInt(w, 0x40 | (neverIndex ? 0x20 : 0) | (isStatic ? 0x10 : 0), 4, index);
  writeString(w, 0, 7, value, huffman);
}

/** Literal Field Line with Post-Base Name Reference (RFC 9204 §4.5.5). */
export function writeLiteralPostBaseNameRef(
  w: Writer,
  postBaseIndex: number,
  value: string,
  neverIndex: boolean,
  huffman: boolean,
): void {
  writeInt(w, neverIndex ? 0x08 : 0, 3, postBaseIndex);
  writeString(w, 0, 7, value, huffman);
}

/** Literal Field Line with Literal Name (RFC 9204 §4.5.6). */
export function writeLiteralName(
  w: Writer,
  name: string,
  value: string,
  neverIndex: boolean,
  huffman: boolean,
): void {
  writeString(w, 0x20 | (neverIndex ? 0x10 : 0), 3, name, huffman);
  writeString(w, 0, 7, value, huffman);
}

// Field line representations, decoder side.

function fail(message: string): never {
  throw new H3ProtocolError(H3ErrorCode.QPACK_DECOMPRESSION_FAILED, message);
}

function readIndex(r: QpackReader, prefixBits: number): number {
  const v = r.int(prefixBits);
  if (v === INCOMPLETE) fail('truncated field line');
  return v;
}

function readValue(r: QpackReader, lengthPrefixBits: number): string {
  const s = r.string(lengthPrefixBits, r.remaining);
  if (s === null) fail('truncated field line');
  return s;
}

/**
 * Resolves a dynamic reference (RFC 9204 §3.2.5, §3.2.6): it must be below the Required Insert
 * Count and still in the table (RFC 9204 §2.2.3).
 */
function dynamicEntry(table: DynamicTable, abs: number, ric: number): number {
  if (abs < 0 || abs >= ric) fail(`dynamic reference ${abs} outside Required Insert Count ${ric}`);
  if (!table.has(abs)) fail(`dynamic table entry ${abs} is not present`);
  return abs;
}

function staticEntry(index: number): readonly [string, string] {
  const entry = STATIC_TABLE[index];
  if (entry === undefined) fail(`invalid static table index ${index}`);
  return entry;
}

/**
 * Decodes the field lines after the prefix up to the reader's end. The caller has checked that
 * the table holds `prefix.requiredInsertCount` inserts. Throws H3ProtocolError
 * QPACK_DECOMPRESSION_FAILED (connection) for malformed or invalid input, or H3_EXCESSIVE_LOAD
 * (stream) once the decoded size (RFC 9114 §4.2.2: name + value + 32 per line) passes
 * `maxSectionSize`. DecodeError from the primitives (Huffman, integer limits) is converted here.
 */
export function decodeFieldLines(
  r: QpackReader,
  prefix: FieldSectionPrefix,
  table: DynamicTable,
  maxSectionSize: number,
): FieldLine[] {
  try {
    return decodeLines(r, prefix, table, maxSectionSize);
  } catch (e) {
    if (e instanceof DecodeError) fail(e.message);
    throw e;
  }
}

function decodeLines(
  r: QpackReader,
  prefix: FieldSectionPrefix,
  table: DynamicTable,
  maxSectionSize: number,
): FieldLine[] {
  const { requiredInsertCount: ric, base } = prefix;
  const lines: FieldLine[] = [];
  let size = 0;
  while (r.pos < r.end) {
    const b = r.buf[r.pos]!;
    let name: string;
    let value: string;
    let neverIndex = false;
    if (b & 0x80) {
      // 1T: Indexed Field Line (§4.5.2)
      const index = readIndex(r, 6);
      if (b & 0x40) {
        [name, value] = staticEntry(index);
      } else {
        const abs = dynamicEntry(table, base - 1 - index, ric);
        name = table.name(abs);
        value = table.value(abs);
      }
    } else if (b & 0x40) {
      // 01NT: Literal Field Line with Name Reference (§4.5.4)
      neverIndex = (b & 0x20) !== 0;
      const index = readIndex(r, 4);
      name =
        b & 0x10 ? staticEntry(index)[0] : table.name(dynamicEntry(table, base - 1 - index, ric));
      value = readValue(r, 7);
    } else if (b & 0x20) {
      // 001N: Literal Field Line with Literal Name (§4.5.6)
      neverIndex = (b & 0x10) !== 0;
      name = readValue(r, 3);
      value = readValue(r, 7);
    } else if (b & 0x10) {
      // 0001: Indexed Field Line with Post-Base Index (§4.5.3)
      const abs = dynamicEntry(table, base + readIndex(r, 4), ric);
      name = table.name(abs);
      value = table.value(abs);
    } else {
      // 0000N: Literal Field Line with Post-Base Name Reference (§4.5.5)
      neverIndex = (b & 0x08) !== 0;
      name = table.name(dynamicEntry(table, base + readIndex(r, 3), ric));
      value = readValue(r, 7);
    }
    size += name.length + value.length + ENTRY_OVERHEAD;
    if (size > maxSectionSize) {
      throw new H3ProtocolError(
        H3ErrorCode.H3_EXCESSIVE_LOAD,
        `field section exceeds ${maxSectionSize} bytes`,
        'stream',
      );
    }
    lines.push({ name, value, neverIndex });
  }
  return lines;
}
