/**
 * QPACK primitives (RFC 9204 §4.1): prefixed integers (RFC 7541 §5.1) and string literals with
 * the Huffman flag (RFC 7541 §5.2), including the N-bit prefix strings that start mid-byte.
 *
 * Reading distinguishes "input ended early" (a return value: INCOMPLETE / null, so the encoder
 * and decoder streams can wait for more bytes without exceptions) from malformed input (a
 * DecodeError, which the caller turns into the QPACK error code of its context).
 */
import { DecodeError } from '../../util/errors.js';
import type { Writer } from '../../util/cursor.js';
import { huffmanDecode, huffmanEncodedLength, huffmanEncodeInto } from '../huffman.js';
import { assertLatin1, latin1Decode, latin1EncodeInto } from '../latin1.js';

/** What QpackReader.int returns when the input ends inside the integer. */
export const INCOMPLETE = -1;

/**
 * Continuation octets accepted after the prefix: 62-bit values (RFC 9204 §4.1.1) need at most 9;
 * one more tolerates a redundant zero octet. Longer encodings exceed the implementation limit
 * (RFC 7541 §5.1, RFC 9204 §7.4).
 */
const MAX_CONTINUATION_OCTETS = 10;

/** A cursor over QPACK-encoded bytes: buf[pos..end). */
export class QpackReader {
  constructor(
    public buf: Uint8Array,
    public pos = 0,
    public end = buf.length,
  ) {}

  reset(buf: Uint8Array, pos = 0, end = buf.length): this {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
    return this;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /**
   * An integer whose prefix is the low `prefixBits` bits of the current octet. Returns
   * INCOMPLETE (position unchanged) when the input ends first. Values above
   * Number.MAX_SAFE_INTEGER, or encodings longer than 62 bits need, throw DecodeError.
   */
  int(prefixBits: number): number {
    const buf = this.buf;
    let p = this.pos;
    if (p >= this.end) return INCOMPLETE;
    const mask = (1 << prefixBits) - 1;
    let v = buf[p++]! & mask;
    if (v < mask) {
      this.pos = p;
      return v;
    }
    let mult = 1;
    for (let n = 0; ; n++) {
      if (n === MAX_CONTINUATION_OCTETS)
        throw new DecodeError('prefixed integer encoding too long');
      if (p >= this.end) return INCOMPLETE;
      const b = buf[p++]!;
      v += (b & 0x7f) * mult;
      if ((b & 0x80) === 0) break;
      mult *= 128;
    }
    // Terms only add, so once the sum passes 2^53 it cannot round back below it.
    if (v > Number.MAX_SAFE_INTEGER) throw new DecodeError('prefixed integer too large');
    this.pos = p;
    return v;
  }

  /**
   * A string literal whose Huffman flag is bit `lengthPrefixBits` of the current octet and whose
   * length is a `lengthPrefixBits`-bit prefixed integer (RFC 9204 §4.1.2: an "N-bit prefix
   * string literal" has lengthPrefixBits = N - 1). Returns null (position unchanged) when the
   * input ends first; throws DecodeError when the encoded length exceeds `maxLength` or the
   * Huffman data is invalid.
   */
  string(lengthPrefixBits: number, maxLength: number): string | null {
    const start = this.pos;
    if (start >= this.end) return null;
    const huffman = (this.buf[start]! & (1 << lengthPrefixBits)) !== 0;
    const len = this.int(lengthPrefixBits);
    if (len === INCOMPLETE) return null;
    if (len > maxLength)
      throw new DecodeError(`string literal of ${len} bytes exceeds ${maxLength}`);
    const from = this.pos;
    if (len > this.end - from) {
      this.pos = start;
      return null;
    }
    this.pos = from + len;
    return huffman
      ? huffmanDecode(this.buf, from, from + len)
      : latin1Decode(this.buf, from, from + len);
  }
}

/**
 * Writes `v` as an integer with a `prefixBits`-bit prefix; `flags` holds the bits of the first
 * octet above the prefix.
 */
export function writeInt(w: Writer, flags: number, prefixBits: number, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`QPACK integer out of range: ${v}`);
  const max = (1 << prefixBits) - 1;
  if (v < max) {
    w.u8(flags | v);
    return;
  }
  w.u8(flags | max);
  v -= max;
  while (v >= 128) {
    w.u8((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  w.u8(v);
}

/**
 * Writes `s` as a string literal: `flags` are the first octet's bits above the Huffman flag, the
 * flag is bit `lengthPrefixBits`, the length takes the low `lengthPrefixBits` bits. With
 * `allowHuffman` the Huffman form is used when it is shorter (RFC 7541 §5.2 leaves the choice to
 * the encoder). Throws TypeError when `s` is not an octet string.
 */
export function writeString(
  w: Writer,
  flags: number,
  lengthPrefixBits: number,
  s: string,
  allowHuffman: boolean,
): void {
  if (allowHuffman) {
    const hlen = huffmanEncodedLength(s); // validates the characters
    if (hlen < s.length) {
      writeInt(w, flags | (1 << lengthPrefixBits), lengthPrefixBits, hlen);
      const at = w.pos;
      w.zeros(hlen); // reserves the room, then fill it in place
      huffmanEncodeInto(s, w.buf, at);
      return;
    }
  } else {
    assertLatin1(s, 'field name or value');
  }
  writeInt(w, flags, lengthPrefixBits, s.length);
  const at = w.pos;
  w.zeros(s.length);
  latin1EncodeInto(s, w.buf, at);
}
