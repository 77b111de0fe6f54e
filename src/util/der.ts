/**
 * A small ASN.1 DER reader and writer (ITU-T X.690 §8 and §10), enough for X.509 certificates
 * and PKCS#1/#8, SEC1 and SPKI keys. The reader is strict: it accepts only the distinguished
 * encoding (definite, minimal lengths; minimal INTEGERs; BOOLEAN as 00/FF; BIT STRING padding
 * bits zero; times in the exact RFC 5280 §4.1.2.5 forms) and raises DecodeError otherwise.
 * Only low-number tags (0..30) are supported; X.509 uses no others.
 */
import { concatBytes } from './bytes.js';
import { DecodeError } from './errors.js';

/** Universal tags (X.690 §8.x) with the constructed bit set for SEQUENCE and SET. */
export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8String: 0x0c,
  PrintableString: 0x13,
  TeletexString: 0x14,
  IA5String: 0x16,
  UTCTime: 0x17,
  GeneralizedTime: 0x18,
  UniversalString: 0x1c,
  BMPString: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** The identifier octet of a context-specific tag [n]. */
export function contextTag(n: number, constructed: boolean): number {
  if (!Number.isInteger(n) || n < 0 || n > 30)
    throw new RangeError(`context tag out of range: ${n}`);
  return 0x80 | (constructed ? 0x20 : 0) | n;
}

/** One decoded element: its identifier octet, its contents and its whole encoding (views). */
export interface DerElement {
  readonly tag: number;
  readonly value: Uint8Array;
  readonly raw: Uint8Array;
}

const MAX_LENGTH_OCTETS = 4;

/** Reads consecutive DER elements from a region of a buffer. */
export class DerReader {
  private pos: number;

  constructor(
    private readonly buf: Uint8Array,
    start = 0,
    private readonly end = buf.length,
  ) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** The identifier octet of the next element, or -1 at the end. */
  peekTag(): number {
    return this.pos < this.end ? this.buf[this.pos]! : -1;
  }

  /** Reads the next element, whatever its tag. */
  read(): DerElement {
    const b = this.buf;
    const start = this.pos;
    if (start >= this.end) throw new DecodeError('DER: unexpected end of data');
    const tag = b[start]!;
    if ((tag & 0x1f) === 0x1f) throw new DecodeError('DER: high tag numbers are not supported');
    if (start + 1 >= this.end) throw new DecodeError('DER: truncated length');
    let p = start + 1;
    const first = b[p++]!;
    let len: number;
    if (first < 0x80) {
      len = first;
    } else {
      const n = first & 0x7f;
      if (n === 0) throw new DecodeError('DER: indefinite length is not allowed');
      if (n > MAX_LENGTH_OCTETS) throw new DecodeError('DER: length too large');
      if (p + n > this.end) throw new DecodeError('DER: truncated length');
      if (b[p] === 0) throw new DecodeError('DER: non-minimal length');
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + b[p++]!;
      // X.690 §10.1: the short form must be used for lengths up to 127.
      if (len < 0x80) throw new DecodeError('DER: non-minimal length');
    }
    if (len > this.end - p) throw new DecodeError('DER: element longer than its container');
    this.pos = p + len;
    return { tag, value: b.subarray(p, p + len), raw: b.subarray(start, p + len) };
  }

  /** Reads the next element and checks its tag. */
  expect(tag: number, what = describeTag(tag)): DerElement {
    const t = this.peekTag();
    if (t !== tag) {
      throw new DecodeError(
        t < 0 ? `DER: missing ${what}` : `DER: expected ${what}, got ${describeTag(t)}`,
      );
    }
    return this.read();
  }

  /** Reads the next element if it has `tag`, else returns null and consumes nothing. */
  optional(tag: number): DerElement | null {
    return this.peekTag() === tag ? this.read() : null;
  }

  /** Throws unless every element was consumed. */
  finish(what = 'structure'): void {
    if (this.pos !== this.end) throw new DecodeError(`DER: trailing data in ${what}`);
  }

  /** A reader over the contents of the next SEQUENCE. */
  sequence(): DerReader {
    return DerReader.over(this.expect(Tag.SEQUENCE, 'SEQUENCE').value);
  }

  /** A reader over the contents of the next SET. */
  set(): DerReader {
    return DerReader.over(this.expect(Tag.SET, 'SET').value);
  }

  /** A reader over the contents of an explicit [n] tag, or null when the next element is not [n]. */
  optionalExplicit(n: number): DerReader | null {
    const e = this.optional(contextTag(n, true));
    return e === null ? null : DerReader.over(e.value);
  }

  integer(): bigint {
    return decodeInteger(this.expect(Tag.INTEGER, 'INTEGER').value);
  }

  /** An INTEGER that must fit in 0..Number.MAX_SAFE_INTEGER. */
  smallInteger(): number {
    const v = this.integer();
    if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER))
      throw new DecodeError('DER: integer out of range');
    return Number(v);
  }

  /** The content octets of an INTEGER (checked minimal), two's complement as encoded. */
  integerBytes(): Uint8Array {
    const v = this.expect(Tag.INTEGER, 'INTEGER').value;
    checkInteger(v);
    return v;
  }

  /** A non-negative INTEGER as its unsigned big-endian magnitude (no leading zero octet). */
  unsignedIntegerBytes(): Uint8Array {
    const v = this.integerBytes();
    if (v[0]! & 0x80) throw new DecodeError('DER: negative integer where unsigned expected');
    return v[0] === 0 && v.length > 1 ? v.subarray(1) : v;
  }

  boolean(): boolean {
    const v = this.expect(Tag.BOOLEAN, 'BOOLEAN').value;
    if (v.length !== 1 || (v[0] !== 0 && v[0] !== 0xff)) throw new DecodeError('DER: bad BOOLEAN');
    return v[0] === 0xff;
  }

  null(): void {
    if (this.expect(Tag.NULL, 'NULL').value.length !== 0) throw new DecodeError('DER: bad NULL');
  }

  octetString(): Uint8Array {
    return this.expect(Tag.OCTET_STRING, 'OCTET STRING').value;
  }

  /** A BIT STRING with its unused-bit count; the padding bits are checked to be zero. */
  bitStringWithPadding(): { bytes: Uint8Array; unusedBits: number } {
    return decodeBitString(this.expect(Tag.BIT_STRING, 'BIT STRING').value);
  }

  /** A BIT STRING that holds whole octets (keys, signatures). */
  bitString(): Uint8Array {
    const { bytes, unusedBits } = this.bitStringWithPadding();
    if (unusedBits !== 0) throw new DecodeError('DER: BIT STRING is not octet-aligned');
    return bytes;
  }

  oid(): string {
    return decodeOid(this.expect(Tag.OID, 'OBJECT IDENTIFIER').value);
  }

  /** A UTCTime or GeneralizedTime as milliseconds since the epoch (RFC 5280 §4.1.2.5). */
  time(): number {
    const t = this.peekTag();
    if (t === Tag.UTCTime) return decodeUtcTime(this.read().value);
    if (t === Tag.GeneralizedTime) return decodeGeneralizedTime(this.read().value);
    throw new DecodeError(`DER: expected a time, got ${describeTag(t)}`);
  }

  /** A character string of any of the string types X.509 names use. */
  string(): string {
    const e = this.read();
    const s = decodeString(e.tag, e.value);
    if (s === null) throw new DecodeError(`DER: expected a string, got ${describeTag(e.tag)}`);
    return s;
  }

  /** A reader over `buf` (typically an element's contents). */
  static over(buf: Uint8Array): DerReader {
    return new DerReader(buf);
  }
}

/** Parses `der` as exactly one element (no trailing bytes) and returns it. */
export function decodeSingle(der: Uint8Array, what = 'DER data'): DerElement {
  const r = new DerReader(der);
  const e = r.read();
  r.finish(what);
  return e;
}

/** A reader over the contents of `der`, which must be exactly one SEQUENCE. */
export function readSequence(der: Uint8Array, what: string): DerReader {
  const e = decodeSingle(der, what);
  if (e.tag !== Tag.SEQUENCE) throw new DecodeError(`DER: ${what} is not a SEQUENCE`);
  return DerReader.over(e.value);
}

function describeTag(tag: number): string {
  if (tag < 0) return 'end of data';
  for (const [name, v] of Object.entries(Tag)) if (v === tag) return name;
  if ((tag & 0xc0) === 0x80) return `[${tag & 0x1f}]`;
  return `tag 0x${tag.toString(16).padStart(2, '0')}`;
}

// ---------------------------------------------------------------- primitive value decoding

function checkInteger(v: Uint8Array): void {
  if (v.length === 0) throw new DecodeError('DER: empty INTEGER');
  // X.690 §8.3.2: the first nine bits must not be all zeros or all ones.
  if (v.length > 1 && ((v[0] === 0 && v[1]! < 0x80) || (v[0] === 0xff && v[1]! >= 0x80))) {
    throw new DecodeError('DER: non-minimal INTEGER');
  }
}

export function decodeInteger(v: Uint8Array): bigint {
  checkInteger(v);
  let n = 0n;
  for (const b of v) n = (n << 8n) | BigInt(b);
  if (v[0]! & 0x80) n -= 1n << BigInt(v.length * 8);
  return n;
}

function decodeBitString(v: Uint8Array): { bytes: Uint8Array; unusedBits: number } {
  if (v.length === 0) throw new DecodeError('DER: empty BIT STRING');
  const unusedBits = v[0]!;
  if (unusedBits > 7 || (v.length === 1 && unusedBits !== 0)) {
    throw new DecodeError('DER: bad BIT STRING padding count');
  }
  // X.690 §11.2.1: the unused bits are zero in DER.
  if (unusedBits !== 0 && (v[v.length - 1]! & ((1 << unusedBits) - 1)) !== 0) {
    throw new DecodeError('DER: BIT STRING padding bits are not zero');
  }
  return { bytes: v.subarray(1), unusedBits };
}

/** Decodes OBJECT IDENTIFIER contents to dotted form (X.690 §8.19). */
export function decodeOid(v: Uint8Array): string {
  if (v.length === 0) throw new DecodeError('DER: empty OBJECT IDENTIFIER');
  const arcs: bigint[] = [];
  let acc = 0n;
  let fresh = true;
  for (const b of v) {
    if (fresh && b === 0x80) throw new DecodeError('DER: non-minimal OID subidentifier');
    acc = (acc << 7n) | BigInt(b & 0x7f);
    fresh = (b & 0x80) === 0;
    if (fresh) {
      arcs.push(acc);
      acc = 0n;
    }
  }
  if (!fresh) throw new DecodeError('DER: truncated OID subidentifier');
  const first = arcs[0]!;
  const head = first < 40n ? [0n, first] : first < 80n ? [1n, first - 40n] : [2n, first - 80n];
  return [...head, ...arcs.slice(1)].join('.');
}

/** Encodes a dotted OID to its contents octets. Throws TypeError on a malformed string. */
export function encodeOid(dotted: string): Uint8Array {
  if (!/^[0-2](\.(0|[1-9][0-9]*))+$/.test(dotted)) throw new TypeError(`malformed OID: ${dotted}`);
  const arcs = dotted.split('.').map(BigInt);
  if (arcs[0]! < 2n && arcs[1]! >= 40n) throw new TypeError(`malformed OID: ${dotted}`);
  const subs = [arcs[0]! * 40n + arcs[1]!, ...arcs.slice(2)];
  const out: number[] = [];
  for (const s of subs) {
    const chunk: number[] = [Number(s & 0x7fn)];
    for (let x = s >> 7n; x > 0n; x >>= 7n) chunk.unshift(Number(x & 0x7fn) | 0x80);
    out.push(...chunk);
  }
  return Uint8Array.from(out);
}

const DIGIT_0 = 0x30;
const LETTER_Z = 0x5a;

/**
 * The fields (year, month, day, hour, minute, second) of YY[YY]MMDDHHMMSSZ, read straight from
 * the bytes (a certificate has two times, parsed in every handshake); null when the form is wrong.
 */
function timeFields(v: Uint8Array, yearDigits: 2 | 4): number[] | null {
  if (v.length !== yearDigits + 11 || v[v.length - 1] !== LETTER_Z) return null;
  const f = [0, 0, 0, 0, 0, 0];
  for (let i = 0; i < v.length - 1; i++) {
    const d = v[i]! - DIGIT_0;
    if (d < 0 || d > 9) return null;
    const k = i < yearDigits ? 0 : 1 + ((i - yearDigits) >> 1);
    f[k] = f[k]! * 10 + d;
  }
  return f;
}

function toEpoch(f: number[], what: string): number {
  const [y, mo, d, h, mi, s] = f as [number, number, number, number, number, number];
  const t = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(t);
  // Rejects month 13, February 30, hour 24 and the like: the fields must round-trip.
  if (
    y < 0 ||
    back.getUTCFullYear() !== y ||
    back.getUTCMonth() !== mo - 1 ||
    back.getUTCDate() !== d ||
    back.getUTCHours() !== h ||
    back.getUTCMinutes() !== mi ||
    back.getUTCSeconds() !== s
  ) {
    throw new DecodeError(`DER: invalid ${what}`);
  }
  return t;
}

function ascii(v: Uint8Array): string {
  let s = '';
  for (const b of v) s += String.fromCharCode(b);
  return s;
}

/** UTCTime in the RFC 5280 form YYMMDDHHMMSSZ; YY < 50 means 20YY. */
export function decodeUtcTime(v: Uint8Array): number {
  const f = timeFields(v, 2);
  if (f === null) throw new DecodeError('DER: UTCTime is not YYMMDDHHMMSSZ');
  f[0] = f[0]! + (f[0]! < 50 ? 2000 : 1900);
  return toEpoch(f, 'UTCTime');
}

/** GeneralizedTime in the RFC 5280 form YYYYMMDDHHMMSSZ (no fractions). */
export function decodeGeneralizedTime(v: Uint8Array): number {
  const f = timeFields(v, 4);
  if (f === null) throw new DecodeError('DER: GeneralizedTime is not YYYYMMDDHHMMSSZ');
  return toEpoch(f, 'GeneralizedTime');
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** Decodes a character string by its tag, or returns null when `tag` is not a string type. */
export function decodeString(tag: number, v: Uint8Array): string | null {
  switch (tag) {
    case Tag.UTF8String:
      try {
        return utf8Decoder.decode(v);
      } catch {
        throw new DecodeError('DER: invalid UTF8String');
      }
    case Tag.PrintableString:
    case Tag.IA5String: {
      for (const b of v) if (b > 0x7f) throw new DecodeError('DER: non-ASCII octet in string');
      return ascii(v);
    }
    case Tag.TeletexString:
      return ascii(v); // Latin-1 is how T61String is read in practice.
    case Tag.BMPString: {
      if (v.length % 2 !== 0) throw new DecodeError('DER: odd BMPString length');
      let s = '';
      for (let i = 0; i < v.length; i += 2) s += String.fromCharCode((v[i]! << 8) | v[i + 1]!);
      return s;
    }
    case Tag.UniversalString: {
      if (v.length % 4 !== 0) throw new DecodeError('DER: bad UniversalString length');
      let s = '';
      for (let i = 0; i < v.length; i += 4) {
        const cp = ((v[i]! << 24) | (v[i + 1]! << 16) | (v[i + 2]! << 8) | v[i + 3]!) >>> 0;
        if (cp > 0x10ffff) throw new DecodeError('DER: bad UniversalString character');
        s += String.fromCodePoint(cp);
      }
      return s;
    }
    default:
      return null;
  }
}

// ---------------------------------------------------------------- writer

function lengthOctets(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let x = n; x > 0; x = Math.floor(x / 256)) out.unshift(x % 256);
  return [0x80 | out.length, ...out];
}

/** One element from its identifier octet and contents. */
export function derTlv(tag: number, value: Uint8Array): Uint8Array {
  const len = lengthOctets(value.length);
  const out = new Uint8Array(1 + len.length + value.length);
  out[0] = tag;
  out.set(len, 1);
  out.set(value, 1 + len.length);
  return out;
}

export function derSequence(...items: Uint8Array[]): Uint8Array {
  return derTlv(Tag.SEQUENCE, concatBytes(...items));
}

/** A SET OF: DER sorts the encodings in ascending octet order (X.690 §11.6). */
export function derSet(...items: Uint8Array[]): Uint8Array {
  const sorted = [...items].sort(compareOctets);
  return derTlv(Tag.SET, concatBytes(...sorted));
}

function compareOctets(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** An INTEGER in minimal two's complement. */
export function derInteger(value: bigint | number): Uint8Array {
  let v = BigInt(value);
  const bytes: number[] = [];
  if (v >= 0n) {
    do {
      bytes.unshift(Number(v & 0xffn));
      v >>= 8n;
    } while (v > 0n);
    if (bytes[0]! & 0x80) bytes.unshift(0);
  } else {
    do {
      bytes.unshift(Number(v & 0xffn));
      v >>= 8n;
    } while (v < -1n);
    if (!(bytes[0]! & 0x80)) bytes.unshift(0xff);
  }
  return derTlv(Tag.INTEGER, Uint8Array.from(bytes));
}

/** A non-negative INTEGER from an unsigned big-endian magnitude (leading zeros trimmed). */
export function derUnsignedInteger(magnitude: Uint8Array): Uint8Array {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  const m = magnitude.subarray(i);
  if (m.length === 0) return derTlv(Tag.INTEGER, Uint8Array.of(0));
  return derTlv(Tag.INTEGER, m[0]! & 0x80 ? concatBytes(Uint8Array.of(0), m) : m);
}

export function derBoolean(v: boolean): Uint8Array {
  return derTlv(Tag.BOOLEAN, Uint8Array.of(v ? 0xff : 0));
}

export function derNull(): Uint8Array {
  return derTlv(Tag.NULL, new Uint8Array(0));
}

export function derOctetString(v: Uint8Array): Uint8Array {
  return derTlv(Tag.OCTET_STRING, v);
}

/** A BIT STRING; with `unusedBits` > 0 the caller's last octet must have those bits zero. */
export function derBitString(bytes: Uint8Array, unusedBits = 0): Uint8Array {
  if (unusedBits < 0 || unusedBits > 7 || (bytes.length === 0 && unusedBits !== 0)) {
    throw new RangeError(`bad BIT STRING unused bit count: ${unusedBits}`);
  }
  return derTlv(Tag.BIT_STRING, concatBytes(Uint8Array.of(unusedBits), bytes));
}

/**
 * A named-bit BIT STRING (e.g. keyUsage) from bit numbers, bit 0 being the most significant bit
 * of the first octet; trailing zero bits are dropped as DER requires (X.690 §11.2.2).
 */
export function derNamedBits(bits: readonly number[]): Uint8Array {
  if (bits.length === 0) return derBitString(new Uint8Array(0));
  const highest = Math.max(...bits);
  const bytes = new Uint8Array((highest >> 3) + 1);
  for (const b of bits) bytes[b >> 3]! |= 0x80 >> (b & 7);
  return derBitString(bytes, 7 - (highest & 7));
}

export function derOid(dotted: string): Uint8Array {
  return derTlv(Tag.OID, encodeOid(dotted));
}

function checkTime(ms: number): Date {
  const d = new Date(ms);
  if (!Number.isFinite(ms) || d.getUTCFullYear() < 1950 || d.getUTCFullYear() > 9999) {
    throw new RangeError(`time out of range for X.509: ${ms}`);
  }
  return d;
}

function timeDigits(d: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    two(d.getUTCMonth() + 1) +
    two(d.getUTCDate()) +
    two(d.getUTCHours()) +
    two(d.getUTCMinutes()) +
    two(d.getUTCSeconds()) +
    'Z'
  );
}

/** UTCTime (years 1950..2049), whole seconds (fractions are truncated). */
export function derUtcTime(ms: number): Uint8Array {
  const d = checkTime(ms);
  const y = d.getUTCFullYear();
  if (y >= 2050) throw new RangeError('UTCTime cannot hold years after 2049');
  return derTlv(Tag.UTCTime, asciiBytes(String(y % 100).padStart(2, '0') + timeDigits(d)));
}

/** GeneralizedTime YYYYMMDDHHMMSSZ, whole seconds. */
export function derGeneralizedTime(ms: number): Uint8Array {
  const d = checkTime(ms);
  return derTlv(Tag.GeneralizedTime, asciiBytes(String(d.getUTCFullYear()) + timeDigits(d)));
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
export function derTime(ms: number): Uint8Array {
  return checkTime(ms).getUTCFullYear() < 2050 ? derUtcTime(ms) : derGeneralizedTime(ms);
}

function asciiBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

export function derUtf8String(s: string): Uint8Array {
  return derTlv(Tag.UTF8String, new TextEncoder().encode(s));
}

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

/** PrintableString (X.680 §41.4 character set). */
export function derPrintableString(s: string): Uint8Array {
  if (!PRINTABLE.test(s)) throw new TypeError(`not a PrintableString: ${JSON.stringify(s)}`);
  return derTlv(Tag.PrintableString, asciiBytes(s));
}

export function derIa5String(s: string): Uint8Array {
  if (!/^[\x00-\x7f]*$/.test(s)) throw new TypeError(`not an IA5String: ${JSON.stringify(s)}`);
  return derTlv(Tag.IA5String, asciiBytes(s));
}

/** An explicit tag [n] around one or more complete elements. */
export function derExplicit(n: number, ...inner: Uint8Array[]): Uint8Array {
  return derTlv(contextTag(n, true), concatBytes(...inner));
}

/**
 * An implicit tag [n]: `content` are the contents octets of the replaced type; `constructed`
 * must match that type (true for SEQUENCE/SET, false for primitive types).
 */
export function derImplicit(n: number, content: Uint8Array, constructed = false): Uint8Array {
  return derTlv(contextTag(n, constructed), content);
}
