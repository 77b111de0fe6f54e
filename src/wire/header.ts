/**
 * Packet headers, RFC 9000 §17: parsing the unprotected parts of received packets (header
 * protection is removed later by the crypto layer, so parsing stops at the Packet Number field),
 * Version Negotiation and Retry packets, coalesced-packet splitting (§12.2), and header writers
 * for packet assembly.
 *
 * Parsers take network input and never throw: a packet to drop comes back as `{ drop: reason }`
 * (or null where only "no" is useful). Byte fields are views into the datagram.
 */
import { Reader, Writer } from '../util/cursor.js';
import { varintLengthFromFirstByte } from '../util/varint.js';
import { encodePacketNumber } from './packet-number.js';
import {
  PacketType,
  VERSION_NEGOTIATION,
  isSupportedVersion,
  longTypeBits,
  packetTypeFromBits,
} from './version.js';

/** Largest connection ID in QUIC v1 and v2 (RFC 9000 §17.2). */
export const MAX_CID_LENGTH = 20;
/** Length of the Retry Integrity Tag (RFC 9001 §5.8). */
export const RETRY_INTEGRITY_TAG_LENGTH = 16;

/** Why a received packet or datagram is dropped before any decryption. */
export type HeaderDropReason =
  /** The header does not fit in the datagram. */
  | 'truncated'
  /** The header form bit says the other form. */
  | 'wrong_header_form'
  /** The QUIC bit is 0 and greasing it was not negotiated (RFC 9000 §17.2, RFC 9287). */
  | 'fixed_bit_zero'
  /** Not a version this stack parses beyond the invariants (RFC 8999). */
  | 'unsupported_version'
  /** A connection ID longer than 20 bytes in a v1/v2 long header (RFC 9000 §17.2). */
  | 'cid_too_long'
  /** The Length field points past the end of the datagram. */
  | 'length_exceeds_datagram'
  /** A Retry without a token (RFC 9000 §17.2.5.2). */
  | 'empty_retry_token'
  /** decodeVersionNegotiation was given a packet whose version is not 0. */
  | 'not_version_negotiation'
  /** A Version Negotiation packet whose version list is not a whole number of versions. */
  | 'bad_version_list';

export interface HeaderDrop {
  drop: HeaderDropReason;
}

/** Narrows a parse result to the drop case. */
export function isHeaderDrop(r: object): r is HeaderDrop {
  return 'drop' in r;
}

/** The version-independent fields of a long header (RFC 8999 §5.1). */
export interface InvariantHeader {
  version: number;
  /** Up to 255 bytes: other versions may use longer connection IDs. */
  dcid: Uint8Array;
  scid: Uint8Array;
  /** Offset just past the Source Connection ID. */
  afterScid: number;
}

/** An Initial, 0-RTT or Handshake packet header, up to the protected Packet Number field. */
export interface LongHeader {
  type: typeof PacketType.Initial | typeof PacketType.ZeroRtt | typeof PacketType.Handshake;
  version: number;
  /** Offset of the first byte of the packet in the datagram. */
  offset: number;
  dcid: Uint8Array;
  scid: Uint8Array;
  /** The Initial packet's token; empty for other types. */
  token: Uint8Array;
  /** The Length field: bytes of Packet Number plus protected payload. */
  length: number;
  /** Offset of the (protected) Packet Number field. */
  pnOffset: number;
  /** Offset just past this packet: pnOffset + length. */
  end: number;
}

/** A Retry packet (RFC 9000 §17.2.5). It has no protected fields and takes the whole datagram. */
export interface RetryHeader {
  type: typeof PacketType.Retry;
  version: number;
  offset: number;
  dcid: Uint8Array;
  scid: Uint8Array;
  token: Uint8Array;
  integrityTag: Uint8Array;
  end: number;
}

/** A 1-RTT packet header up to the protected Packet Number field (RFC 9000 §17.3.1). */
export interface ShortHeader {
  dcid: Uint8Array;
  /** The latency spin bit, which is not protected (§17.4). */
  spin: boolean;
  pnOffset: number;
}

export interface VersionNegotiationPacket {
  dcid: Uint8Array;
  scid: Uint8Array;
  versions: number[];
}

/** A packet's place in a datagram: bytes [start, end). */
export interface PacketSpan {
  start: number;
  end: number;
}

const EMPTY: Uint8Array = new Uint8Array(0);
const TRUNCATED: HeaderDrop = Object.freeze({ drop: 'truncated' });
// One reader reused to decode varints whose bytes were already checked to be present.
const scratch = new Reader(EMPTY);

export function isLongHeader(firstByte: number): boolean {
  return (firstByte & 0x80) !== 0;
}

function readU32(buf: Uint8Array, p: number): number {
  return ((buf[p]! << 24) >>> 0) + ((buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!);
}

/**
 * Reads the version and connection IDs that every QUIC version places the same way (RFC 8999
 * §5.1). Null when the bytes are not a long header or are cut short.
 */
export function parseInvariantHeader(buf: Uint8Array, offset = 0): InvariantHeader | null {
  const end = buf.length;
  if (offset + 6 > end || (buf[offset]! & 0x80) === 0) return null;
  const version = readU32(buf, offset + 1);
  let p = offset + 5;
  const dcidLen = buf[p++]!;
  if (p + dcidLen + 1 > end) return null;
  const dcid = buf.subarray(p, p + dcidLen);
  p += dcidLen;
  const scidLen = buf[p++]!;
  if (p + scidLen > end) return null;
  const scid = buf.subarray(p, p + scidLen);
  return { version, dcid, scid, afterScid: p + scidLen };
}

/**
 * Parses the unprotected part of a v1/v2 long-header packet starting at `offset` in `datagram`.
 * `allowZeroFixedBit` is set once the endpoint has advertised grease_quic_bit (RFC 9287 §3).
 */
export function parseLongHeader(
  datagram: Uint8Array,
  offset = 0,
  allowZeroFixedBit = false,
): LongHeader | RetryHeader | HeaderDrop {
  const first = datagram[offset];
  if (first === undefined) return TRUNCATED;
  if ((first & 0x80) === 0) return { drop: 'wrong_header_form' };
  const inv = parseInvariantHeader(datagram, offset);
  if (inv === null) return TRUNCATED;
  const { version, dcid, scid } = inv;
  if (!isSupportedVersion(version)) return { drop: 'unsupported_version' };
  // RFC 9000 §17.2: a v1 long header with a longer CID MUST be dropped (RFC 9369 keeps this).
  if (dcid.length > MAX_CID_LENGTH || scid.length > MAX_CID_LENGTH) return { drop: 'cid_too_long' };
  if ((first & 0x40) === 0 && !allowZeroFixedBit) return { drop: 'fixed_bit_zero' };
  const type = packetTypeFromBits(version, (first >> 4) & 3);
  const end = datagram.length;
  let p = inv.afterScid;

  if (type === PacketType.Retry) {
    // RFC 9000 §17.2.5: the token runs up to the 16-byte integrity tag at the end.
    if (end - p < RETRY_INTEGRITY_TAG_LENGTH) return TRUNCATED;
    const tagStart = end - RETRY_INTEGRITY_TAG_LENGTH;
    if (tagStart === p) return { drop: 'empty_retry_token' };
    return {
      type,
      version,
      offset,
      dcid,
      scid,
      token: datagram.subarray(p, tagStart),
      integrityTag: datagram.subarray(tagStart, end),
      end,
    };
  }

  let token = EMPTY;
  if (type === PacketType.Initial) {
    if (p >= end) return TRUNCATED;
    const n = varintLengthFromFirstByte(datagram[p]!);
    if (p + n > end) return TRUNCATED;
    const tokenLen = scratch.reset(datagram, p, end).varint();
    p += n;
    if (tokenLen > end - p) return TRUNCATED;
    token = datagram.subarray(p, p + tokenLen);
    p += tokenLen;
  }
  if (p >= end) return TRUNCATED;
  const n = varintLengthFromFirstByte(datagram[p]!);
  if (p + n > end) return TRUNCATED;
  const length = scratch.reset(datagram, p, end).varint();
  p += n;
  if (length > end - p) return { drop: 'length_exceeds_datagram' };
  return { type, version, offset, dcid, scid, token, length, pnOffset: p, end: p + length };
}

/**
 * Parses a short-header (1-RTT) packet at `offset`; it runs to the end of the datagram. The
 * DCID length is not on the wire: it is the length of the connection IDs this endpoint issues.
 */
export function parseShortHeader(
  datagram: Uint8Array,
  offset: number,
  dcidLen: number,
  allowZeroFixedBit = false,
): ShortHeader | HeaderDrop {
  const pnOffset = shortHeaderPnOffset(datagram, offset, dcidLen, allowZeroFixedBit);
  if (pnOffset < 0) return SHORT_DROPS[-pnOffset - 1]!;
  return {
    dcid: datagram.subarray(offset + 1, pnOffset),
    spin: (datagram[offset]! & 0x20) !== 0,
    pnOffset,
  };
}

const SHORT_DROPS: readonly HeaderDrop[] = [
  TRUNCATED,
  Object.freeze({ drop: 'wrong_header_form' }),
  Object.freeze({ drop: 'fixed_bit_zero' }),
];

/**
 * The packet number offset of a short-header packet at `offset`, or a negative number when it
 * must be dropped (-1 truncated, -2 not a short header, -3 fixed bit zero): the receive path's
 * allocation-free form of `parseShortHeader`.
 */
export function shortHeaderPnOffset(
  datagram: Uint8Array,
  offset: number,
  dcidLen: number,
  allowZeroFixedBit = false,
): number {
  const first = datagram[offset];
  if (first === undefined) return -1;
  if ((first & 0x80) !== 0) return -2;
  if ((first & 0x40) === 0 && !allowZeroFixedBit) return -3;
  const pnOffset = offset + 1 + dcidLen;
  // At least one byte of packet number must follow the DCID.
  return pnOffset >= datagram.length ? -1 : pnOffset;
}

/**
 * The Destination Connection ID of the first packet in a datagram, for routing it to a
 * connection. Long headers carry the length (up to 255 for unknown versions, RFC 8999 §5.1);
 * short headers use `shortDcidLen`. Null when the datagram is too short.
 */
export function peekDestinationCid(datagram: Uint8Array, shortDcidLen: number): Uint8Array | null {
  const first = datagram[0];
  if (first === undefined) return null;
  if ((first & 0x80) !== 0) {
    if (datagram.length < 6) return null;
    const len = datagram[5]!;
    if (6 + len > datagram.length) return null;
    return datagram.subarray(6, 6 + len);
  }
  if (1 + shortDcidLen > datagram.length) return null;
  return datagram.subarray(1, 1 + shortDcidLen);
}

/**
 * The packets of a datagram that coalesces several (RFC 9000 §12.2). A v1/v2 long header ends
 * where its Length field says; a short header, a Retry, a Version Negotiation packet or a packet
 * of an unknown version takes the rest of the datagram. A packet that cannot be delimited (bad
 * header, Length past the end) stops the split: it and everything after it are dropped.
 */
export function splitCoalesced(datagram: Uint8Array, shortDcidLen: number): PacketSpan[] {
  const spans: PacketSpan[] = [];
  const end = datagram.length;
  let start = 0;
  while (start < end) {
    const first = datagram[start]!;
    if ((first & 0x80) === 0) {
      if (start + 1 + shortDcidLen < end) spans.push({ start, end });
      break;
    }
    // The fixed bit is left to the per-packet parse: splitting only needs the boundaries.
    const h = parseLongHeader(datagram, start, true);
    if ('drop' in h) {
      if (h.drop === 'unsupported_version') spans.push({ start, end });
      break;
    }
    spans.push({ start, end: h.end });
    start = h.end;
  }
  return spans;
}

/**
 * Encodes a Version Negotiation packet (RFC 9000 §17.2.1). `dcid` and `scid` echo the client's
 * SCID and DCID. The Unused bits take `unusedBits` (random) with 0x40 set so the packet looks like
 * it carries the QUIC bit.
 */
export function encodeVersionNegotiation(
  dcid: Uint8Array,
  scid: Uint8Array,
  versions: readonly number[],
  unusedBits: number,
): Uint8Array {
  if (dcid.length > 255 || scid.length > 255) throw new RangeError('connection ID too long');
  const w = new Writer(new Uint8Array(7 + dcid.length + scid.length + 4 * versions.length));
  w.u8(0xc0 | (unusedBits & 0x3f)).u32(VERSION_NEGOTIATION);
  w.vec(1, dcid).vec(1, scid);
  for (const v of versions) w.u32(v);
  return w.buf;
}

/** Decodes a Version Negotiation packet; the Unused bits are ignored (RFC 9000 §17.2.1). */
export function decodeVersionNegotiation(
  datagram: Uint8Array,
): VersionNegotiationPacket | HeaderDrop {
  const inv = parseInvariantHeader(datagram, 0);
  if (inv === null) return TRUNCATED;
  if (inv.version !== VERSION_NEGOTIATION) return { drop: 'not_version_negotiation' };
  const p = inv.afterScid;
  if ((datagram.length - p) % 4 !== 0) return { drop: 'bad_version_list' };
  const versions: number[] = [];
  for (let i = p; i < datagram.length; i += 4) versions.push(readU32(datagram, i));
  return { dcid: inv.dcid, scid: inv.scid, versions };
}

export interface RetryFields {
  version: number;
  dcid: Uint8Array;
  scid: Uint8Array;
  token: Uint8Array;
  /** The 16-byte tag, computed by the crypto layer over retryPseudoPacket() (RFC 9001 §5.8). */
  integrityTag: Uint8Array;
  /** The four Unused bits (arbitrary, RFC 9000 §17.2.5); 0 by default. */
  unusedBits?: number;
}

/** Encodes a Retry packet (RFC 9000 §17.2.5) with the integrity tag given. */
export function encodeRetryPacket(f: RetryFields): Uint8Array {
  if (f.dcid.length > MAX_CID_LENGTH || f.scid.length > MAX_CID_LENGTH) {
    throw new RangeError('connection ID longer than 20 bytes');
  }
  if (f.token.length === 0) throw new RangeError('a Retry token must not be empty');
  if (f.integrityTag.length !== RETRY_INTEGRITY_TAG_LENGTH) {
    throw new RangeError('the Retry Integrity Tag is 16 bytes');
  }
  const size = 7 + f.dcid.length + f.scid.length + f.token.length + RETRY_INTEGRITY_TAG_LENGTH;
  const w = new Writer(new Uint8Array(size));
  w.u8(0xc0 | (longTypeBits(f.version, PacketType.Retry) << 4) | ((f.unusedBits ?? 0) & 0x0f));
  w.u32(f.version).vec(1, f.dcid).vec(1, f.scid).bytes(f.token).bytes(f.integrityTag);
  return w.buf;
}

/**
 * The Retry Pseudo-Packet the integrity tag is computed over: ODCID Length, ODCID, then the
 * Retry packet without its tag (RFC 9001 §5.8). `retryPacket` includes the tag (any 16 bytes
 * when building one).
 */
export function retryPseudoPacket(originalDcid: Uint8Array, retryPacket: Uint8Array): Uint8Array {
  const body = retryPacket.length - RETRY_INTEGRITY_TAG_LENGTH;
  if (body < 0) throw new RangeError('Retry packet shorter than its integrity tag');
  const out = new Uint8Array(1 + originalDcid.length + body);
  out[0] = originalDcid.length;
  out.set(originalDcid, 1);
  out.set(retryPacket.subarray(0, body), 1 + originalDcid.length);
  return out;
}

/** What writeLongHeader needs for an Initial, 0-RTT or Handshake packet. */
export interface LongHeaderFields {
  version: number;
  type: typeof PacketType.Initial | typeof PacketType.ZeroRtt | typeof PacketType.Handshake;
  dcid: Uint8Array;
  scid: Uint8Array;
  /** Initial packets only; empty when absent. */
  token?: Uint8Array;
  packetNumber: number;
  packetNumberLength: 1 | 2 | 3 | 4;
  /**
   * Width of the Length placeholder: 2 bytes covers packets up to 16383 bytes of packet number
   * and payload, 4 bytes anything larger. Default 2.
   */
  lengthFieldBytes?: 2 | 4;
  /** The QUIC bit; false only when greasing it (RFC 9287 §3). Default true. */
  fixedBit?: boolean;
}

export interface LongHeaderOffsets {
  /** Where the Length placeholder starts; patch it with writeLengthField. */
  lengthOffset: number;
  /** Where the Packet Number field starts (for header protection). */
  pnOffset: number;
}

/**
 * Writes a long header with the Reserved Bits 0 (RFC 9000 §17.2), a Length placeholder of fixed
 * width, and the truncated packet number. The caller writes the payload, then patches the
 * Length with writeLengthField once it knows the sealed size.
 */
export function writeLongHeader(w: Writer, h: LongHeaderFields): LongHeaderOffsets {
  if (h.dcid.length > MAX_CID_LENGTH || h.scid.length > MAX_CID_LENGTH) {
    throw new RangeError('connection ID longer than 20 bytes');
  }
  const token = h.token ?? EMPTY;
  if (token.length > 0 && h.type !== PacketType.Initial) {
    throw new RangeError('only Initial packets carry a token');
  }
  const fixed = h.fixedBit === false ? 0 : 0x40;
  const pnLen = h.packetNumberLength;
  w.u8(0x80 | fixed | (longTypeBits(h.version, h.type) << 4) | (pnLen - 1));
  w.u32(h.version).vec(1, h.dcid).vec(1, h.scid);
  if (h.type === PacketType.Initial) w.varintVec(token);
  const lengthOffset = w.pos;
  w.varint(0, h.lengthFieldBytes ?? 2);
  const pnOffset = w.pos;
  encodePacketNumber(w, h.packetNumber, pnLen);
  return { lengthOffset, pnOffset };
}

/**
 * Fills a Length placeholder of `width` bytes at `offset` with `length` (packet number plus
 * payload plus AEAD tag), keeping the width (a non-minimal varint is valid, RFC 9000 §16).
 */
export function writeLengthField(
  buf: Uint8Array,
  offset: number,
  width: 2 | 4,
  length: number,
): void {
  if (width === 2) {
    if (!(length >= 0 && length < 0x4000)) throw new RangeError(`length ${length} needs 4 bytes`);
    buf[offset] = 0x40 | (length >>> 8);
    buf[offset + 1] = length & 0xff;
  } else {
    if (!(length >= 0 && length < 0x40000000)) throw new RangeError(`length ${length} too large`);
    buf[offset] = 0x80 | (length >>> 24);
    buf[offset + 1] = (length >>> 16) & 0xff;
    buf[offset + 2] = (length >>> 8) & 0xff;
    buf[offset + 3] = length & 0xff;
  }
}

/**
 * Writes a short (1-RTT) header: Reserved Bits 0, the key phase and spin bits, the DCID and the
 * truncated packet number (RFC 9000 §17.3.1). Returns the Packet Number offset.
 */
export function writeShortHeader(
  w: Writer,
  dcid: Uint8Array,
  packetNumber: number,
  packetNumberLength: 1 | 2 | 3 | 4,
  keyPhase: boolean,
  spin = false,
  fixedBit = true,
): number {
  w.u8(
    (fixedBit ? 0x40 : 0) | (spin ? 0x20 : 0) | (keyPhase ? 0x04 : 0) | (packetNumberLength - 1),
  );
  w.bytes(dcid);
  const pnOffset = w.pos;
  encodePacketNumber(w, packetNumber, packetNumberLength);
  return pnOffset;
}
