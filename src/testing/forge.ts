/**
 * Packet forging for tests: protected Initial, 0-RTT, Handshake and 1-RTT packets built from
 * frames, Retry packets with a valid integrity tag, and stateless resets. The counterpart of
 * dissect.ts; the packets are what a real endpoint would send (RFC 9000 §10.3, §17, RFC 9001
 * §5), but nothing here checks that the frames make sense for the packet type, so tests can
 * forge invalid packets too.
 */
import { Writer } from '../util/cursor.js';
import { varintLength } from '../util/varint.js';
import type { Frame } from '../wire/frame-types.js';
import { encodeFrame, frameEncodedLength } from '../wire/frames.js';
import {
  encodeRetryPacket,
  writeLengthField,
  writeLongHeader,
  writeShortHeader,
} from '../wire/header.js';
import { PacketType, QUIC_V1 } from '../wire/version.js';
import type { CryptoProvider, PacketProtector } from '../crypto/index.js';
import {
  AEAD_TAG_LENGTH,
  HP_SAMPLE_OFFSET,
  RETRY_TAG_LENGTH,
  createInitialProtectors,
  defaultProvider,
  retryIntegrityTag,
} from '../crypto/index.js';

const EMPTY = new Uint8Array(0);

export interface ForgeLongOptions {
  type: 'initial' | '0rtt' | 'handshake';
  /** Default QUIC v1. */
  version?: number;
  dcid: Uint8Array;
  scid: Uint8Array;
  /** Initial packets only. */
  token?: Uint8Array;
  packetNumber: number;
  /** Default 4. */
  packetNumberLength?: 1 | 2 | 3 | 4;
  frames: readonly Frame[];
  /** Raw bytes written after the frames, to forge malformed payloads. */
  rawPayload?: Uint8Array;
  /** Keys of the sender at this packet's encryption level. */
  protector: PacketProtector;
  /**
   * PADDING is appended until the packet has this many bytes (1200 for a client's Initial,
   * RFC 9000 §14.1).
   */
  minSize?: number;
}

export interface ForgeShortOptions {
  dcid: Uint8Array;
  packetNumber: number;
  /** Default 4. */
  packetNumberLength?: 1 | 2 | 3 | 4;
  keyPhase?: boolean;
  spin?: boolean;
  frames: readonly Frame[];
  /** Raw bytes written after the frames, to forge malformed payloads. */
  rawPayload?: Uint8Array;
  protector: PacketProtector;
  minSize?: number;
}

const LONG_TYPES = {
  initial: PacketType.Initial,
  '0rtt': PacketType.ZeroRtt,
  handshake: PacketType.Handshake,
} as const;

/**
 * The PADDING bytes to add after frames of `framesLength` bytes: enough for a header
 * protection sample (RFC 9001 §5.4.2: packet number plus payload of at least 4 bytes) and to
 * reach `minSize` when the rest of the packet takes `overhead` bytes.
 */
function paddingFor(pnLength: number, framesLength: number, overhead: number, minSize = 0): number {
  const forSample = Math.max(0, HP_SAMPLE_OFFSET - pnLength - framesLength);
  const forSize = Math.max(0, minSize - (overhead + framesLength));
  return Math.max(forSample, forSize);
}

function encodedPayloadLength(o: { frames: readonly Frame[]; rawPayload?: Uint8Array }): number {
  return o.frames.reduce((n, f) => n + frameEncodedLength(f), o.rawPayload?.length ?? 0);
}

function writePayload(
  w: Writer,
  o: { frames: readonly Frame[]; rawPayload?: Uint8Array },
  padding: number,
): void {
  for (const f of o.frames) encodeFrame(w, f);
  if (o.rawPayload !== undefined) w.bytes(o.rawPayload);
  if (padding > 0) w.zeros(padding);
}

/** A protected Initial, 0-RTT or Handshake packet (RFC 9000 §17.2). */
export function forgeLongPacket(o: ForgeLongOptions): Uint8Array {
  const version = o.version ?? QUIC_V1;
  const pnLength = o.packetNumberLength ?? 4;
  const token = o.token ?? EMPTY;
  const type = LONG_TYPES[o.type];
  const framesLength = encodedPayloadLength(o);
  const tokenField = type === PacketType.Initial ? varintLength(token.length) + token.length : 0;
  const beforeLength = 7 + o.dcid.length + o.scid.length + tokenField;
  // A 2-byte Length field holds up to 16383 (RFC 9000 §16); larger packets take 4 bytes.
  let lengthBytes: 2 | 4 = 2;
  let overhead = beforeLength + lengthBytes + pnLength + AEAD_TAG_LENGTH;
  let padding = paddingFor(pnLength, framesLength, overhead, o.minSize);
  if (pnLength + framesLength + padding + AEAD_TAG_LENGTH > 0x3fff) {
    lengthBytes = 4;
    overhead += 2;
    padding = paddingFor(pnLength, framesLength, overhead, o.minSize);
  }
  const payloadLength = framesLength + padding;

  const w = new Writer(new Uint8Array(overhead + payloadLength));
  const { lengthOffset, pnOffset } = writeLongHeader(w, {
    version,
    type,
    dcid: o.dcid,
    scid: o.scid,
    token,
    packetNumber: o.packetNumber,
    packetNumberLength: pnLength,
    lengthFieldBytes: lengthBytes,
  });
  writePayload(w, o, padding);
  writeLengthField(w.buf, lengthOffset, lengthBytes, pnLength + payloadLength + AEAD_TAG_LENGTH);
  o.protector.protect(w.buf, 0, pnOffset, w.pos, o.packetNumber);
  return w.buf;
}

/** A protected 1-RTT packet (RFC 9000 §17.3.1). */
export function forgeShortPacket(o: ForgeShortOptions): Uint8Array {
  const pnLength = o.packetNumberLength ?? 4;
  const framesLength = encodedPayloadLength(o);
  const overhead = 1 + o.dcid.length + pnLength + AEAD_TAG_LENGTH;
  const padding = paddingFor(pnLength, framesLength, overhead, o.minSize);
  const w = new Writer(new Uint8Array(overhead + framesLength + padding));
  const pnOffset = writeShortHeader(
    w,
    o.dcid,
    o.packetNumber,
    pnLength,
    o.keyPhase ?? false,
    o.spin ?? false,
  );
  writePayload(w, o, padding);
  o.protector.protect(w.buf, 0, pnOffset, w.pos, o.packetNumber);
  return w.buf;
}

/**
 * The Initial packet protector of `sender` for a connection whose client's first DCID was
 * `clientDcid` (RFC 9001 §5.2).
 */
export function initialProtector(
  sender: 'client' | 'server',
  clientDcid: Uint8Array,
  version: number = QUIC_V1,
  provider: CryptoProvider = defaultProvider,
): PacketProtector {
  return createInitialProtectors(provider, version, clientDcid)[sender];
}

export interface ForgeStatelessResetOptions {
  /** The stateless reset token, the datagram's last 16 bytes (RFC 9000 §10.3). */
  token: Uint8Array;
  /** Datagram size; default 43, like a short packet (RFC 9000 §10.3 requires at least 21). */
  size?: number;
  /**
   * Bytes right after the first one, e.g. a CID of the receiver so the datagram routes to its
   * connection instead of looking unknown. Default: none (all unpredictable bytes).
   */
  prefix?: Uint8Array;
  /** Set the header form bit: a receiver must honour a token whatever the header (§10.3). */
  longHeader?: boolean;
  /** Source of the unpredictable bytes (a seeded generator for reproducible tests). */
  random?: (n: number) => Uint8Array;
}

/**
 * A stateless reset (RFC 9000 §10.3): fixed bit set, unpredictable bits, the token at the end.
 * Throws RangeError when `size` leaves no room for the first byte, `prefix` and token.
 */
export function forgeStatelessReset(o: ForgeStatelessResetOptions): Uint8Array {
  const size = o.size ?? 43;
  const prefix = o.prefix ?? EMPTY;
  if (o.token.length !== 16) throw new RangeError('a stateless reset token has 16 bytes');
  if (size < 1 + prefix.length + 16) {
    throw new RangeError(`a ${size}-byte datagram cannot hold the prefix and the token`);
  }
  const out = (o.random ?? ((n: number) => defaultProvider.random(n)))(size);
  if (out.length !== size) throw new RangeError('random() returned the wrong number of bytes');
  out[0] = (out[0]! & 0x3f) | 0x40 | (o.longHeader === true ? 0x80 : 0);
  out.set(prefix, 1);
  out.set(o.token, size - 16);
  return out;
}

export interface ForgeRetryOptions {
  version?: number;
  /** The client's SCID, echoed. */
  dcid: Uint8Array;
  /** The connection ID the client must use next. */
  scid: Uint8Array;
  token: Uint8Array;
  /** The DCID of the client's Initial this Retry answers, covered by the tag (RFC 9001 §5.8). */
  originalDcid: Uint8Array;
  provider?: CryptoProvider;
}

/** A Retry packet with a valid integrity tag (RFC 9000 §17.2.5, RFC 9001 §5.8). */
export function forgeRetry(o: ForgeRetryOptions): Uint8Array {
  const version = o.version ?? QUIC_V1;
  const fields = { version, dcid: o.dcid, scid: o.scid, token: o.token };
  const untagged = encodeRetryPacket({ ...fields, integrityTag: new Uint8Array(RETRY_TAG_LENGTH) });
  const body = untagged.subarray(0, untagged.length - RETRY_TAG_LENGTH);
  const tag = retryIntegrityTag(o.provider ?? defaultProvider, version, o.originalDcid, body);
  return encodeRetryPacket({ ...fields, integrityTag: tag });
}
