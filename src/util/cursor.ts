/**
 * Byte reader and writer over Uint8Array. Every codec in tsquic reads and writes through these:
 * the reader never reads past its end (it throws DecodeError), the writer never grows past the
 * buffer it was given unless it owns a growable one.
 */
import { DecodeError } from './errors.js';
import { VARINT_SATURATED } from './varint.js';

export class Reader {
  /** Current read position, an index into `buf`. */
  pos: number;
  /** End of the readable region (exclusive). */
  end: number;

  constructor(
    public buf: Uint8Array,
    start = 0,
    end = buf.length,
  ) {
    this.pos = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** Re-targets the reader at a new region, so hot paths can reuse one instance. */
  reset(buf: Uint8Array, start = 0, end = buf.length): this {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    return this;
  }

  private need(n: number): void {
    if (n > this.end - this.pos) throw new DecodeError(`truncated: need ${n} bytes`);
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  u16(): number {
    this.need(2);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 2;
    return (b[p]! << 8) | b[p + 1]!;
  }

  u24(): number {
    this.need(3);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 3;
    return (b[p]! << 16) | (b[p + 1]! << 8) | b[p + 2]!;
  }

  u32(): number {
    this.need(4);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 4;
    return ((b[p]! << 24) >>> 0) + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
  }

  /** Unsigned big-endian integer of `n` bytes (1..6). */
  uint(n: number): number {
    this.need(n);
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 256 + this.buf[this.pos++]!;
    return v;
  }

  /**
   * A QUIC varint (RFC 9000 §16). Values above Number.MAX_SAFE_INTEGER saturate to
   * VARINT_SATURATED (see util/varint.ts); use varintBig() where the exact value matters.
   */
  varint(): number {
    this.need(1);
    const b = this.buf;
    const first = b[this.pos]!;
    const len = 1 << (first >> 6);
    this.need(len);
    let p = this.pos;
    this.pos = p + len;
    if (len === 1) return first;
    if (len === 2) return ((first & 0x3f) << 8) | b[p + 1]!;
    if (len === 4) {
      return (first & 0x3f) * 0x1000000 + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
    }
    const hi = (first & 0x3f) * 0x1000000 + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
    p += 4;
    const lo = ((b[p]! << 24) >>> 0) + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
    if (hi >= 0x200000) return VARINT_SATURATED; // hi * 2^32 >= 2^53
    return hi * 0x100000000 + lo;
  }

  /** A QUIC varint as an exact bigint. */
  varintBig(): bigint {
    this.need(1);
    const len = 1 << (this.buf[this.pos]! >> 6);
    this.need(len);
    let v = BigInt(this.buf[this.pos]! & 0x3f);
    for (let i = 1; i < len; i++) v = (v << 8n) | BigInt(this.buf[this.pos + i]!);
    this.pos += len;
    return v;
  }

  /** A view (not a copy) of the next `n` bytes. */
  bytes(n: number): Uint8Array {
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** A copy of the next `n` bytes, for values kept beyond the life of the input buffer. */
  copy(n: number): Uint8Array {
    return this.bytes(n).slice();
  }

  /** Bytes prefixed by a length of `lenBytes` bytes (TLS vectors) — a view. */
  vec(lenBytes: 1 | 2 | 3): Uint8Array {
    const n = lenBytes === 1 ? this.u8() : lenBytes === 2 ? this.u16() : this.u24();
    return this.bytes(n);
  }

  /** Bytes prefixed by a varint length — a view. */
  varintVec(): Uint8Array {
    const n = this.varint();
    return this.bytes(n);
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  /** A sub-reader over the next `n` bytes; this reader moves past them. */
  sub(n: number): Reader {
    this.need(n);
    const r = new Reader(this.buf, this.pos, this.pos + n);
    this.pos += n;
    return r;
  }

  rest(): Uint8Array {
    return this.bytes(this.remaining);
  }
}

/**
 * Writer over a buffer. Created with a fixed buffer (packet assembly into a reused scratch
 * buffer) it throws RangeError on overflow, which is a bug in the caller's size accounting; created
 * growable (`Writer.growable()`) it reallocates as needed (handshake messages, transport params).
 */
export class Writer {
  pos = 0;
  /**
   * End of the writable region (exclusive): the buffer's end unless `reset` bounds a region of
   * it, so that a writer can fill part of a larger buffer without a view of that part.
   */
  end: number;

  constructor(
    public buf: Uint8Array,
    private readonly grow = false,
  ) {
    this.end = buf.length;
  }

  static growable(initial = 256): Writer {
    return new Writer(new Uint8Array(initial), true);
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** Writes `buf` from `start` (default 0) up to `end` (default its length) from now on. */
  reset(buf: Uint8Array = this.buf, start = 0, end = buf.length): this {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    return this;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.end) return;
    if (!this.grow) throw new RangeError(`writer overflow: need ${n}, have ${this.remaining}`);
    let size = this.buf.length * 2 || 64;
    while (size < this.pos + n) size *= 2;
    const nb = new Uint8Array(size);
    nb.set(this.buf.subarray(0, this.pos));
    this.buf = nb;
    this.end = size;
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v;
    return this;
  }

  u16(v: number): this {
    this.ensure(2);
    this.buf[this.pos++] = v >>> 8;
    this.buf[this.pos++] = v;
    return this;
  }

  u24(v: number): this {
    this.ensure(3);
    this.buf[this.pos++] = v >>> 16;
    this.buf[this.pos++] = v >>> 8;
    this.buf[this.pos++] = v;
    return this;
  }

  u32(v: number): this {
    this.ensure(4);
    this.buf[this.pos++] = v >>> 24;
    this.buf[this.pos++] = v >>> 16;
    this.buf[this.pos++] = v >>> 8;
    this.buf[this.pos++] = v;
    return this;
  }

  /** Unsigned big-endian integer in `n` bytes (1..6). */
  uint(v: number, n: number): this {
    this.ensure(n);
    for (let i = n - 1; i >= 0; i--) {
      this.buf[this.pos + i] = v % 256;
      v = Math.floor(v / 256);
    }
    this.pos += n;
    return this;
  }

  /** A QUIC varint in its shortest encoding (or `len` bytes when given, RFC 9000 §16). */
  varint(v: number, len?: 1 | 2 | 4 | 8): this {
    if (!(v >= 0) || v > 2 ** 53) throw new RangeError(`varint out of range: ${v}`);
    const n = len ?? (v < 0x40 ? 1 : v < 0x4000 ? 2 : v < 0x40000000 ? 4 : 8);
    this.ensure(n);
    const b = this.buf;
    let p = this.pos;
    if (n === 1) {
      if (v >= 0x40) throw new RangeError('varint too large for 1 byte');
      b[p++] = v;
    } else if (n === 2) {
      if (v >= 0x4000) throw new RangeError('varint too large for 2 bytes');
      b[p++] = 0x40 | (v >>> 8);
      b[p++] = v;
    } else if (n === 4) {
      if (v >= 0x40000000) throw new RangeError('varint too large for 4 bytes');
      b[p++] = 0x80 | (v >>> 24);
      b[p++] = v >>> 16;
      b[p++] = v >>> 8;
      b[p++] = v;
    } else {
      const hi = Math.floor(v / 0x100000000);
      const lo = v >>> 0;
      b[p++] = 0xc0 | (hi >>> 24);
      b[p++] = hi >>> 16;
      b[p++] = hi >>> 8;
      b[p++] = hi;
      b[p++] = lo >>> 24;
      b[p++] = lo >>> 16;
      b[p++] = lo >>> 8;
      b[p++] = lo;
    }
    this.pos = p;
    return this;
  }

  /** A QUIC varint from a bigint, up to 2^62-1. */
  varintBig(v: bigint): this {
    if (v < 0n || v > 2n ** 62n - 1n) throw new RangeError(`varint out of range: ${v}`);
    if (v <= BigInt(Number.MAX_SAFE_INTEGER)) return this.varint(Number(v));
    this.ensure(8);
    for (let i = 7; i >= 0; i--) {
      this.buf[this.pos + i] = Number(v & 0xffn);
      v >>= 8n;
    }
    this.buf[this.pos] = this.buf[this.pos]! | 0xc0;
    this.pos += 8;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  /** Writes `n` zero bytes (PADDING frames are zero bytes, RFC 9000 §19.1). */
  zeros(n: number): this {
    this.ensure(n);
    this.buf.fill(0, this.pos, this.pos + n);
    this.pos += n;
    return this;
  }

  /** Bytes with a TLS-style length prefix of `lenBytes` bytes. */
  vec(lenBytes: 1 | 2 | 3, b: Uint8Array): this {
    if (b.length >= 2 ** (8 * lenBytes)) throw new RangeError('vector too long');
    if (lenBytes === 1) this.u8(b.length);
    else if (lenBytes === 2) this.u16(b.length);
    else this.u24(b.length);
    return this.bytes(b);
  }

  /** Bytes with a varint length prefix. */
  varintVec(b: Uint8Array): this {
    return this.varint(b.length).bytes(b);
  }

  /**
   * Reserves a TLS-style length prefix, runs `body`, then fills the prefix with the length of
   * what `body` wrote.
   */
  lengthPrefixed(lenBytes: 1 | 2 | 3, body: (w: this) => void): this {
    const at = this.pos;
    this.ensure(lenBytes);
    this.pos += lenBytes;
    body(this);
    const n = this.pos - at - lenBytes;
    if (n >= 2 ** (8 * lenBytes)) throw new RangeError('vector too long');
    for (let i = lenBytes - 1, v = n; i >= 0; i--, v >>>= 8) this.buf[at + i] = v & 0xff;
    return this;
  }

  /** The bytes written so far, as a view. */
  view(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  /** The bytes written so far, as a copy. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}
