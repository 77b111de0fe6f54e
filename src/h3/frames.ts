/**
 * HTTP/3 frames (RFC 9114 §7) and unidirectional stream types (RFC 9114 §6.2): codes, encoders,
 * and an incremental parser for frames that arrive split across reads.
 *
 * DATA payloads are streamed as they arrive, never buffered whole; the payloads of the other
 * known frames are small or bounded (HEADERS by the field section limit) and are delivered
 * complete. An incomplete payload holds only the bytes that arrived, never its declared length:
 * a peer that announces a large HEADERS frame and sends a few bytes of it (slowloris) pins a few
 * bytes. Unknown and reserved frame types are skipped without buffering (RFC 9114 §9).
 */
import { Reader, Writer } from '../util/cursor.js';
import { DecodeError } from '../util/errors.js';
import { VARINT_SATURATED, varintLengthFromFirstByte } from '../util/varint.js';
import { H3ProtocolError, H3ErrorCode, isReservedCodePoint, reservedCodePoint } from './errors.js';

/** Frame types of RFC 9114 §7.2 and §11.2.1. */
export const H3FrameType = {
  DATA: 0x00,
  HEADERS: 0x01,
  CANCEL_PUSH: 0x03,
  SETTINGS: 0x04,
  PUSH_PROMISE: 0x05,
  GOAWAY: 0x07,
  MAX_PUSH_ID: 0x0d,
} as const;

/**
 * HTTP/2 frame types with no HTTP/3 equivalent (PRIORITY, PING, WINDOW_UPDATE, CONTINUATION):
 * receipt is a connection error of type H3_FRAME_UNEXPECTED (RFC 9114 §7.2.8).
 */
export function isHttp2OnlyFrameType(type: number): boolean {
  return type === 0x02 || type === 0x06 || type === 0x08 || type === 0x09;
}

/** Unidirectional stream types (RFC 9114 §6.2, RFC 9204 §4.2). */
export const H3StreamType = {
  CONTROL: 0x00,
  PUSH: 0x01,
  QPACK_ENCODER: 0x02,
  QPACK_DECODER: 0x03,
} as const;

/** Setting identifiers (RFC 9114 §7.2.4.1, RFC 9204 §5). */
export const H3SettingId = {
  QPACK_MAX_TABLE_CAPACITY: 0x01,
  MAX_FIELD_SECTION_SIZE: 0x06,
  QPACK_BLOCKED_STREAMS: 0x07,
} as const;

/**
 * HTTP/2 setting identifiers reserved in HTTP/3: receipt is a connection error of type
 * H3_SETTINGS_ERROR (RFC 9114 §7.2.4.1, §11.2.2).
 */
export function isHttp2OnlySetting(id: number): boolean {
  return id === 0x00 || (id >= 0x02 && id <= 0x05);
}

/**
 * A complete HTTP/3 frame other than DATA. Identifiers are numbers; values above 2^53-1
 * saturate to 2^53 on receipt (util/varint.ts), which keeps comparisons against real IDs right.
 */
export type H3Frame =
  | { readonly type: 'headers'; readonly fieldSection: Uint8Array }
  | { readonly type: 'cancel_push'; readonly pushId: number }
  | { readonly type: 'settings'; readonly settings: ReadonlyMap<number, number> }
  | { readonly type: 'push_promise'; readonly pushId: number; readonly fieldSection: Uint8Array }
  | { readonly type: 'goaway'; readonly id: number }
  | { readonly type: 'max_push_id'; readonly pushId: number };

// Encoding.

/** A frame header: Type (i) and Length (i) (RFC 9114 §7.1). */
export function encodeFrameHeader(type: number, length: number): Uint8Array {
  return new Writer(new Uint8Array(16)).varint(type).varint(length).finish();
}

/** The header of a DATA frame carrying `length` bytes; the payload follows unframed. */
export function encodeDataFrameHeader(length: number): Uint8Array {
  return encodeFrameHeader(H3FrameType.DATA, length);
}

function frameWith(type: number, body: (w: Writer) => void): Uint8Array {
  const payload = Writer.growable(32);
  body(payload);
  const w = Writer.growable(payload.pos + 16);
  return w.varint(type).varint(payload.pos).bytes(payload.view()).finish();
}

/** Encodes a complete frame. */
export function encodeFrame(frame: H3Frame): Uint8Array {
  switch (frame.type) {
    case 'headers':
      return frameWith(H3FrameType.HEADERS, (w) => w.bytes(frame.fieldSection));
    case 'cancel_push':
      return frameWith(H3FrameType.CANCEL_PUSH, (w) => w.varint(frame.pushId));
    case 'settings':
      return frameWith(H3FrameType.SETTINGS, (w) => {
        for (const [id, value] of frame.settings) w.varint(id).varint(value);
      });
    case 'push_promise':
      return frameWith(H3FrameType.PUSH_PROMISE, (w) =>
        w.varint(frame.pushId).bytes(frame.fieldSection),
      );
    case 'goaway':
      return frameWith(H3FrameType.GOAWAY, (w) => w.varint(frame.id));
    case 'max_push_id':
      return frameWith(H3FrameType.MAX_PUSH_ID, (w) => w.varint(frame.pushId));
  }
}

/** A frame of any type with an opaque payload: reserved (grease) types or extensions. */
export function encodeRawFrame(type: number, payload: Uint8Array): Uint8Array {
  return frameWith(type, (w) => w.bytes(payload));
}

/** A reserved frame type, 0x1f * N + 0x21 (RFC 9114 §7.2.8), for greasing. */
export function reservedFrameType(n: number): number {
  return reservedCodePoint(n);
}

/** The header that starts a unidirectional stream (RFC 9114 §6.2): its type as a varint. */
export function encodeStreamType(type: number): Uint8Array {
  return new Writer(new Uint8Array(8)).varint(type).finish();
}

/** Whether a stream type is reserved (RFC 9114 §6.2.3). */
export const isReservedStreamType = isReservedCodePoint;

// Decoding.

/**
 * A QUIC varint read one chunk at a time (stream types, push IDs, frame headers): bytes are
 * taken until the length given by the first byte is complete.
 */
export class PartialVarint {
  private readonly bytes = new Uint8Array(8);
  private have = 0;
  private readonly reader = new Reader(this.bytes);

  /** Whether some bytes of the next varint have been taken. */
  get started(): boolean {
    return this.have > 0;
  }

  /**
   * Takes bytes from chunk[pos..end) until the varint is complete; returns the position after
   * the bytes taken. Check `complete` afterwards.
   */
  feed(chunk: Uint8Array, pos: number, end: number = chunk.length): number {
    while (pos < end && !this.complete) this.bytes[this.have++] = chunk[pos++]!;
    return pos;
  }

  get complete(): boolean {
    return this.have > 0 && this.have === varintLengthFromFirstByte(this.bytes[0]!);
  }

  /** The completed value (saturating above 2^53-1); resets for the next varint. */
  take(): number {
    const v = this.reader.reset(this.bytes, 0, this.have).varint();
    this.have = 0;
    return v;
  }
}

/** What FrameParser.next() yields. */
export type FrameEvent =
  | { readonly kind: 'frame'; readonly frame: H3Frame }
  /**
   * Part of a DATA frame payload: a view of the pushed chunk. An empty DATA frame yields one
   * event with an empty payload.
   */
  | { readonly kind: 'data'; readonly data: Uint8Array }
  /** A frame of an unknown or reserved type began; its payload is discarded. */
  | { readonly kind: 'unknown'; readonly type: number };

export interface FrameParserOptions {
  /** Largest HEADERS or PUSH_PROMISE payload accepted (an encoded field section). */
  maxFieldSectionBytes: number;
  /**
   * Called with each frame type as its header completes, before its payload is read; throws
   * the H3ProtocolError for frames not allowed on this stream (RFC 9114 §7.2).
   */
  checkFrameType?: (type: number) => void;
}

/** Largest SETTINGS payload accepted: far above any real one (RFC 9114 §10.5). */
const MAX_SETTINGS_BYTES = 16384;
const EMPTY = new Uint8Array(0);

const enum State {
  Header,
  Data,
  Buffer,
  Skip,
}

/**
 * Incremental frame parser for one stream. Feed a chunk with push(), then call next() until it
 * returns null (the chunk is used up), then push the next chunk. At the end of the stream call
 * finish(). Malformed frames throw H3ProtocolError with the RFC 9114 code.
 */
export class FrameParser {
  private chunk: Uint8Array = EMPTY;
  private pos = 0;
  private state = State.Header;
  private readonly type = new PartialVarint();
  private readonly length = new PartialVarint();
  private frameType = 0;
  private remaining = 0;
  /**
   * An incomplete payload: `held` bytes so far in a buffer that grows by doubling as bytes
   * arrive, so it is never more than twice what arrived (nor above the declared length).
   */
  private payload: Uint8Array = EMPTY;
  private held = 0;
  private payloadLength = 0;
  private readonly maxFieldSectionBytes: number;
  private readonly checkFrameType: ((type: number) => void) | undefined;

  constructor(options: FrameParserOptions) {
    this.maxFieldSectionBytes = options.maxFieldSectionBytes;
    this.checkFrameType = options.checkFrameType;
  }

  /** Whether the current chunk is used up (push() may be called). */
  get needsInput(): boolean {
    return this.pos >= this.chunk.length;
  }

  /** Bytes of an incomplete frame payload held by the parser. */
  get bufferedBytes(): number {
    return this.held;
  }

  /** Whether the parser is between frames. */
  get atFrameBoundary(): boolean {
    return this.state === State.Header && !this.type.started;
  }

  /** Supplies the next chunk; the previous one must be used up. */
  push(chunk: Uint8Array): void {
    if (!this.needsInput)
      throw new RangeError('FrameParser.push before the previous chunk was consumed');
    this.chunk = chunk;
    this.pos = 0;
  }

  /** The stream ended cleanly: a truncated last frame is H3_FRAME_ERROR (RFC 9114 §7.1). */
  finish(): void {
    if (!this.atFrameBoundary) throw frameError('stream ended inside a frame');
  }

  /** The next event from the input so far, or null when more input is needed. */
  next(): FrameEvent | null {
    for (;;) {
      switch (this.state) {
        case State.Header: {
          if (this.pos >= this.chunk.length) return null;
          if (!this.type.complete) this.pos = this.type.feed(this.chunk, this.pos);
          if (this.type.complete) this.pos = this.length.feed(this.chunk, this.pos);
          if (!this.length.complete) return null;
          const event = this.begin(this.type.take(), this.length.take());
          if (event !== null) return event;
          break;
        }
        case State.Data: {
          if (this.pos >= this.chunk.length) return null;
          const n = Math.min(this.remaining, this.chunk.length - this.pos);
          const data = this.chunk.subarray(this.pos, this.pos + n);
          this.pos += n;
          this.remaining -= n;
          if (this.remaining === 0) this.state = State.Header;
          return { kind: 'data', data };
        }
        case State.Buffer: {
          if (this.pos >= this.chunk.length) return null;
          const n = Math.min(this.remaining, this.chunk.length - this.pos);
          this.reserve(this.held + n);
          this.payload.set(this.chunk.subarray(this.pos, this.pos + n), this.held);
          this.pos += n;
          this.held += n;
          this.remaining -= n;
          if (this.remaining > 0) return null;
          const payload = this.payload;
          this.payload = EMPTY;
          this.held = 0;
          this.state = State.Header;
          return { kind: 'frame', frame: decodePayload(this.frameType, payload) };
        }
        case State.Skip: {
          if (this.pos >= this.chunk.length) return null;
          const n = Math.min(this.remaining, this.chunk.length - this.pos);
          this.pos += n;
          this.remaining -= n;
          if (this.remaining === 0) this.state = State.Header;
          break;
        }
      }
    }
  }

  /** A frame header is complete: decide how to read the payload. */
  private begin(type: number, length: number): FrameEvent | null {
    if (isHttp2OnlyFrameType(type)) {
      throw new H3ProtocolError(
        H3ErrorCode.H3_FRAME_UNEXPECTED,
        `HTTP/2 frame type 0x${type.toString(16)}`,
      );
    }
    this.checkFrameType?.(type);
    this.frameType = type;
    switch (type) {
      case H3FrameType.DATA:
        if (length === 0) return { kind: 'data', data: EMPTY };
        this.remaining = length;
        this.state = State.Data;
        return null;
      case H3FrameType.HEADERS:
      case H3FrameType.PUSH_PROMISE:
        if (length > this.maxFieldSectionBytes) {
          throw new H3ProtocolError(
            H3ErrorCode.H3_EXCESSIVE_LOAD,
            `field section of ${length} bytes exceeds ${this.maxFieldSectionBytes}`,
            'stream',
          );
        }
        return this.buffer(length);
      case H3FrameType.SETTINGS:
        if (length > MAX_SETTINGS_BYTES) {
          throw new H3ProtocolError(H3ErrorCode.H3_EXCESSIVE_LOAD, `SETTINGS of ${length} bytes`);
        }
        return this.buffer(length);
      case H3FrameType.CANCEL_PUSH:
      case H3FrameType.GOAWAY:
      case H3FrameType.MAX_PUSH_ID:
        // One varint: 1 to 8 bytes (RFC 9114 §7.1: the length must match the fields).
        if (length < 1 || length > 8)
          throw frameError(`frame 0x${type.toString(16)} of length ${length}`);
        return this.buffer(length);
      default:
        if (length > 0) {
          this.remaining = length;
          this.state = State.Skip;
        }
        return { kind: 'unknown', type };
    }
  }

  private buffer(length: number): FrameEvent | null {
    if (length === 0) return { kind: 'frame', frame: decodePayload(this.frameType, EMPTY) };
    // Zero-copy when the whole payload is in this chunk.
    if (this.chunk.length - this.pos >= length) {
      const payload = this.chunk.subarray(this.pos, this.pos + length);
      this.pos += length;
      return { kind: 'frame', frame: decodePayload(this.frameType, payload) };
    }
    // Held as it arrives (see the module comment), not allocated at its declared length.
    this.remaining = length;
    this.payloadLength = length;
    this.state = State.Buffer;
    return null;
  }

  /** Grows the payload buffer to hold `n` bytes: doubling, up to the declared length. */
  private reserve(n: number): void {
    if (n <= this.payload.length) return;
    const grown = new Uint8Array(
      Math.min(this.payloadLength, Math.max(n, 2 * this.payload.length)),
    );
    grown.set(this.payload.subarray(0, this.held));
    this.payload = grown;
  }
}

function frameError(message: string): H3ProtocolError {
  return new H3ProtocolError(H3ErrorCode.H3_FRAME_ERROR, message);
}

/** Decodes the payload of a complete non-DATA frame of a known type. */
function decodePayload(type: number, payload: Uint8Array): H3Frame {
  const r = new Reader(payload);
  try {
    switch (type) {
      case H3FrameType.HEADERS:
        return { type: 'headers', fieldSection: payload };
      case H3FrameType.PUSH_PROMISE: {
        const pushId = r.varint();
        return { type: 'push_promise', pushId, fieldSection: r.rest() };
      }
      case H3FrameType.SETTINGS:
        return { type: 'settings', settings: decodeSettings(r) };
      default: {
        const v = r.varint();
        if (r.remaining !== 0) throw frameError('extra bytes after the frame fields');
        if (type === H3FrameType.CANCEL_PUSH) return { type: 'cancel_push', pushId: v };
        if (type === H3FrameType.GOAWAY) return { type: 'goaway', id: v };
        return { type: 'max_push_id', pushId: v };
      }
    }
  } catch (e) {
    if (e instanceof DecodeError) throw frameError(`truncated frame 0x${type.toString(16)}`);
    throw e;
  }
}

/**
 * SETTINGS payload (RFC 9114 §7.2.4): duplicate identifiers and HTTP/2-only ones are
 * H3_SETTINGS_ERROR; unknown and reserved identifiers are kept (the receiver ignores them).
 */
function decodeSettings(r: Reader): Map<number, number> {
  const settings = new Map<number, number>();
  while (r.remaining > 0) {
    const id = r.varint();
    const value = r.varint();
    // Identifiers past 2^53 (grease picks them anywhere up to 2^62) are unknown and all read
    // as the same saturated number: ignore them rather than call them duplicates.
    if (id === VARINT_SATURATED) continue;
    if (isHttp2OnlySetting(id)) {
      throw new H3ProtocolError(
        H3ErrorCode.H3_SETTINGS_ERROR,
        `HTTP/2 setting 0x${id.toString(16)}`,
      );
    }
    if (settings.has(id)) {
      throw new H3ProtocolError(
        H3ErrorCode.H3_SETTINGS_ERROR,
        `duplicate setting 0x${id.toString(16)}`,
      );
    }
    settings.set(id, value);
  }
  return settings;
}
