/**
 * QPACK encoder-stream and decoder-stream instructions (RFC 9204 §4.3, §4.4): writers, readers
 * that return null while an instruction is still incomplete, and the carry buffer that holds a
 * partial instruction between reads.
 */
import type { Writer } from '../../util/cursor.js';
import { DecodeError } from '../../util/errors.js';
import { INCOMPLETE, QpackReader, writeInt, writeString } from './primitives.js';
import { STATIC_TABLE_SIZE } from './static-table.js';

export type EncoderInstruction =
  | { readonly type: 'set-capacity'; readonly capacity: number }
  | {
      readonly type: 'insert-name-ref';
      readonly isStatic: boolean;
      /** Static index, or relative index (0 = most recent insert) when !isStatic. */
      readonly nameIndex: number;
      readonly value: string;
    }
  | { readonly type: 'insert-literal-name'; readonly name: string; readonly value: string }
  | { readonly type: 'duplicate'; readonly relativeIndex: number };

export type DecoderInstruction =
  | { readonly type: 'section-ack'; readonly streamId: number }
  | { readonly type: 'stream-cancel'; readonly streamId: number }
  | { readonly type: 'insert-count-increment'; readonly increment: number };

// Encoder instructions (RFC 9204 §4.3).

/** Set Dynamic Table Capacity: '001' + capacity (5+) (RFC 9204 §4.3.1). */
export function writeSetCapacity(w: Writer, capacity: number): void {
  writeInt(w, 0x20, 5, capacity);
}

/** Insert with Name Reference: '1' T + name index (6+), value (8+ string) (RFC 9204 §4.3.2). */
export function writeInsertNameRef(
  w: Writer,
  isStatic: boolean,
  nameIndex: number,
  value: string,
  huffman: boolean,
): void {
  writeInt(w, isStatic ? 0xc0 : 0x80, 6, nameIndex);
  writeString(w, 0, 7, value, huffman);
}

/** Insert with Literal Name: '01' + name (6+ string), value (8+ string) (RFC 9204 §4.3.3). */
export function writeInsertLiteralName(
  w: Writer,
  name: string,
  value: string,
  huffman: boolean,
): void {
  writeString(w, 0x40, 5, name, huffman);
  writeString(w, 0, 7, value, huffman);
}

/** Duplicate: '000' + relative index (5+) (RFC 9204 §4.3.4). */
export function writeDuplicate(w: Writer, relativeIndex: number): void {
  writeInt(w, 0x00, 5, relativeIndex);
}

/**
 * Reads one encoder instruction; null (reader unchanged) when the input ends inside it. String
 * literals longer than `maxStringLength` encoded bytes, and static name indices beyond the
 * table, throw DecodeError before the rest of the instruction arrives, which bounds what a peer
 * can make the decoder buffer.
 */
export function readEncoderInstruction(
  r: QpackReader,
  maxStringLength: number,
): EncoderInstruction | null {
  if (r.remaining === 0) return null;
  const start = r.pos;
  const b = r.buf[start]!;
  let result: EncoderInstruction | null = null;
  if (b & 0x80) {
    const nameIndex = r.int(6);
    // An invalid static index is an error as soon as it is read, before the value arrives.
    if ((b & 0x40) !== 0 && nameIndex >= STATIC_TABLE_SIZE) {
      throw new DecodeError(`invalid static table index ${nameIndex}`);
    }
    const value = nameIndex === INCOMPLETE ? null : r.string(7, maxStringLength);
    if (value !== null)
      result = { type: 'insert-name-ref', isStatic: (b & 0x40) !== 0, nameIndex, value };
  } else if (b & 0x40) {
    const name = r.string(5, maxStringLength);
    const value = name === null ? null : r.string(7, maxStringLength);
    if (value !== null) result = { type: 'insert-literal-name', name: name!, value };
  } else if (b & 0x20) {
    const capacity = r.int(5);
    if (capacity !== INCOMPLETE) result = { type: 'set-capacity', capacity };
  } else {
    const relativeIndex = r.int(5);
    if (relativeIndex !== INCOMPLETE) result = { type: 'duplicate', relativeIndex };
  }
  if (result === null) r.pos = start;
  return result;
}

// Decoder instructions (RFC 9204 §4.4).

/** Section Acknowledgment: '1' + stream ID (7+) (RFC 9204 §4.4.1). */
export function writeSectionAck(w: Writer, streamId: number): void {
  writeInt(w, 0x80, 7, streamId);
}

/** Stream Cancellation: '01' + stream ID (6+) (RFC 9204 §4.4.2). */
export function writeStreamCancel(w: Writer, streamId: number): void {
  writeInt(w, 0x40, 6, streamId);
}

/** Insert Count Increment: '00' + increment (6+) (RFC 9204 §4.4.3). */
export function writeInsertCountIncrement(w: Writer, increment: number): void {
  writeInt(w, 0x00, 6, increment);
}

/** Reads one decoder instruction; null (reader unchanged) when the input ends inside it. */
export function readDecoderInstruction(r: QpackReader): DecoderInstruction | null {
  if (r.remaining === 0) return null;
  const b = r.buf[r.pos]!;
  if (b & 0x80) {
    const streamId = r.int(7);
    return streamId === INCOMPLETE ? null : { type: 'section-ack', streamId };
  }
  if (b & 0x40) {
    const streamId = r.int(6);
    return streamId === INCOMPLETE ? null : { type: 'stream-cancel', streamId };
  }
  const increment = r.int(6);
  return increment === INCOMPLETE ? null : { type: 'insert-count-increment', increment };
}

/**
 * Input side of an instruction stream: instructions may be split across reads, so the bytes of
 * an incomplete instruction are carried over to the next read. Complete input is parsed in place
 * from the caller's chunk; only the unparsed tail is copied.
 */
export class InstructionInput {
  private carry: Uint8Array | null = null;
  private readonly reader = new QpackReader(new Uint8Array(0));

  /** A reader over the carried bytes followed by `data`. */
  begin(data: Uint8Array): QpackReader {
    let buf = data;
    if (this.carry !== null) {
      buf = new Uint8Array(this.carry.length + data.length);
      buf.set(this.carry);
      buf.set(data, this.carry.length);
      this.carry = null;
    }
    return this.reader.reset(buf);
  }

  /** Keeps what `r` did not consume for the next begin(). */
  finish(r: QpackReader): void {
    this.carry = r.pos < r.end ? r.buf.slice(r.pos, r.end) : null;
  }
}
