/**
 * The QPACK decoder (RFC 9204 §2.2): applies encoder-stream instructions to its dynamic table,
 * decodes field sections, holds sections that reference entries not yet received ("blocked",
 * RFC 9204 §2.2.1) and produces decoder-stream instructions (RFC 9204 §4.4).
 *
 * Memory a peer can make it hold is bounded by the table capacity it advertises, the number of
 * blocked streams, the largest field section (checked by the caller on the encoded size and here
 * on the decoded size) and the largest string an insert could legally carry.
 */
import { Writer } from '../../util/cursor.js';
import { DecodeError } from '../../util/errors.js';
import { H3ProtocolError, H3ErrorCode } from '../errors.js';
import { DynamicTable, entrySize } from './dynamic-table.js';
import {
  decodeFieldLines,
  type FieldLine,
  type FieldSectionPrefix,
  maxEntries,
  readFieldSectionPrefix,
} from './field-section.js';
import {
  type EncoderInstruction,
  InstructionInput,
  readEncoderInstruction,
  writeInsertCountIncrement,
  writeSectionAck,
  writeStreamCancel,
} from './instructions.js';
import { QpackReader } from './primitives.js';
import { STATIC_TABLE } from './static-table.js';

export interface QpackDecoderOptions {
  /** SETTINGS_QPACK_MAX_TABLE_CAPACITY this endpoint advertises (RFC 9204 §5). Default 4096. */
  maxTableCapacity?: number;
  /** SETTINGS_QPACK_BLOCKED_STREAMS this endpoint advertises (RFC 9204 §5). Default 16. */
  maxBlockedStreams?: number;
  /**
   * Largest decoded field section accepted, counted as in RFC 9114 §4.2.2 (the value of
   * SETTINGS_MAX_FIELD_SECTION_SIZE this endpoint advertises). Default 65536.
   */
  maxFieldSectionSize?: number;
}

interface BlockedSection {
  readonly prefix: FieldSectionPrefix;
  /** The field lines after the prefix, copied. */
  readonly lines: Uint8Array;
}

const NONE: readonly number[] = Object.freeze([]);

export class QpackDecoder {
  readonly maxTableCapacity: number;
  readonly maxBlockedStreams: number;
  readonly maxFieldSectionSize: number;

  private readonly table = new DynamicTable();
  private readonly entries: number;
  private readonly input = new InstructionInput();
  private readonly reader = new QpackReader(new Uint8Array(0));
  private readonly out = Writer.growable(64);
  private readonly blocked = new Map<number, BlockedSection>();
  /** The encoder's Known Received Count as this decoder has reported it (RFC 9204 §2.1.4). */
  private reportedInsertCount = 0;

  constructor(options: QpackDecoderOptions = {}) {
    this.maxTableCapacity = options.maxTableCapacity ?? 4096;
    this.maxBlockedStreams = options.maxBlockedStreams ?? 16;
    this.maxFieldSectionSize = options.maxFieldSectionSize ?? 65536;
    for (const [k, v] of Object.entries({
      maxTableCapacity: this.maxTableCapacity,
      maxBlockedStreams: this.maxBlockedStreams,
      maxFieldSectionSize: this.maxFieldSectionSize,
    })) {
      if (!Number.isSafeInteger(v) || v < 0)
        throw new RangeError(`${k} must be a non-negative integer`);
    }
    this.entries = maxEntries(this.maxTableCapacity);
  }

  /** Total number of inserts applied (the decoder's Insert Count). */
  get insertCount(): number {
    return this.table.insertCount;
  }

  /** Current dynamic table capacity as set by the peer's encoder. */
  get capacity(): number {
    return this.table.capacity;
  }

  /** Bytes the dynamic table entries take (RFC 9204 §3.2.1). */
  get tableSize(): number {
    return this.table.size;
  }

  /** Inserts acknowledged to the peer's encoder so far (Section Acknowledgments, Insert Count Increments). */
  get acknowledgedInsertCount(): number {
    return this.reportedInsertCount;
  }

  /** Number of streams with a blocked field section. */
  get blockedStreamCount(): number {
    return this.blocked.size;
  }

  /** Whether this stream has a blocked field section waiting for inserts. */
  isBlocked(streamId: number): boolean {
    return this.blocked.has(streamId);
  }

  /**
   * Processes bytes received on the peer's encoder stream (RFC 9204 §4.3). Instructions may be
   * split across calls. Returns the streams whose blocked section can now be decoded (call
   * decodeUnblocked for each). Throws H3ProtocolError QPACK_ENCODER_STREAM_ERROR for bad instructions.
   */
  handleEncoderStream(data: Uint8Array): readonly number[] {
    const before = this.table.insertCount;
    const r = this.input.begin(data);
    try {
      for (;;) {
        const instruction = readEncoderInstruction(r, this.maxStringLength());
        if (instruction === null) break;
        this.apply(instruction);
      }
    } catch (e) {
      if (e instanceof DecodeError) throw encoderStreamError(e.message);
      throw e;
    }
    this.input.finish(r);
    if (this.table.insertCount === before || this.blocked.size === 0) return NONE;
    const ready: number[] = [];
    for (const [streamId, section] of this.blocked) {
      if (section.prefix.requiredInsertCount <= this.table.insertCount) ready.push(streamId);
    }
    return ready;
  }

  /**
   * Decodes an encoded field section (a HEADERS or PUSH_PROMISE payload) received on
   * `streamId`. Returns the field lines, or null when the section references inserts not yet
   * received: the decoder then keeps a copy and handleEncoderStream reports the stream when it
   * can proceed (RFC 9204 §2.2.1). Throws H3ProtocolError: QPACK_DECOMPRESSION_FAILED (connection) for
   * invalid input or too many blocked streams, H3_EXCESSIVE_LOAD (stream) for an oversized
   * section. A stream has at most one blocked section: its reader waits until it is decoded.
   */
  decode(streamId: number, section: Uint8Array): FieldLine[] | null {
    if (this.blocked.has(streamId)) {
      throw new RangeError(`stream ${streamId} already has a blocked field section`);
    }
    const r = this.reader.reset(section);
    let prefix: FieldSectionPrefix;
    try {
      prefix = readFieldSectionPrefix(r, this.entries, this.table.insertCount);
    } catch (e) {
      if (e instanceof DecodeError) throw decompressionFailed(e.message);
      throw e;
    }
    if (prefix.requiredInsertCount > this.table.insertCount) {
      // RFC 9204 §2.1.2: more blocked streams than advertised is a connection error.
      if (this.blocked.size >= this.maxBlockedStreams) {
        throw decompressionFailed(`more than ${this.maxBlockedStreams} blocked streams`);
      }
      this.blocked.set(streamId, { prefix, lines: section.slice(r.pos) });
      return null;
    }
    return this.decodeLines(streamId, prefix, r);
  }

  /** Decodes the blocked section of a stream that handleEncoderStream reported ready. */
  decodeUnblocked(streamId: number): FieldLine[] {
    const section = this.blocked.get(streamId);
    if (section === undefined || section.prefix.requiredInsertCount > this.table.insertCount) {
      throw new RangeError(`stream ${streamId} has no decodable blocked section`);
    }
    this.blocked.delete(streamId);
    return this.decodeLines(streamId, section.prefix, this.reader.reset(section.lines));
  }

  /**
   * The stream was reset or its reader gave up before all its field sections were decoded
   * (RFC 9204 §2.2.2.2): drops any blocked section and tells the encoder its references on that
   * stream are void. A decoder with no dynamic table omits the instruction, as allowed.
   */
  cancelStream(streamId: number): void {
    this.blocked.delete(streamId);
    if (this.maxTableCapacity > 0) writeStreamCancel(this.out, streamId);
  }

  /**
   * Decoder-stream bytes to send (Section Acknowledgments, Stream Cancellations, and an Insert
   * Count Increment covering inserts not yet acknowledged otherwise), or null when there are
   * none. Increments are coalesced until this is called (RFC 9204 §2.2.2.3).
   */
  takeDecoderStreamData(): Uint8Array | null {
    if (this.table.insertCount > this.reportedInsertCount) {
      writeInsertCountIncrement(this.out, this.table.insertCount - this.reportedInsertCount);
      this.reportedInsertCount = this.table.insertCount;
    }
    if (this.out.pos === 0) return null;
    const data = this.out.finish();
    this.out.reset();
    return data;
  }

  private decodeLines(streamId: number, prefix: FieldSectionPrefix, r: QpackReader): FieldLine[] {
    const lines = decodeFieldLines(r, prefix, this.table, this.maxFieldSectionSize);
    if (prefix.requiredInsertCount > 0) {
      // RFC 9204 §4.4.1; the acknowledgment also raises the Known Received Count (§2.1.4).
      writeSectionAck(this.out, streamId);
      if (prefix.requiredInsertCount > this.reportedInsertCount) {
        this.reportedInsertCount = prefix.requiredInsertCount;
      }
    }
    return lines;
  }

  /**
   * Largest encoded string an insert can carry: its entry must fit the current capacity, and a
   * Huffman code is at most 30 bits per octet.
   */
  private maxStringLength(): number {
    return Math.ceil((this.table.capacity * 30) / 8);
  }

  private apply(ins: EncoderInstruction): void {
    const table = this.table;
    switch (ins.type) {
      case 'set-capacity':
        // RFC 9204 §4.3.1
        if (ins.capacity > this.maxTableCapacity) {
          throw encoderStreamError(`capacity ${ins.capacity} exceeds ${this.maxTableCapacity}`);
        }
        table.setCapacity(ins.capacity);
        return;
      case 'insert-name-ref': {
        let name: string;
        if (ins.isStatic) {
          const entry = STATIC_TABLE[ins.nameIndex];
          if (entry === undefined)
            throw encoderStreamError(`invalid static index ${ins.nameIndex}`);
          name = entry[0];
        } else {
          name = table.name(this.relative(ins.nameIndex));
        }
        this.insert(name, ins.value);
        return;
      }
      case 'insert-literal-name':
        this.insert(ins.name, ins.value);
        return;
      case 'duplicate': {
        const abs = this.relative(ins.relativeIndex);
        this.insert(table.name(abs), table.value(abs));
        return;
      }
    }
  }

  /** Absolute index of an encoder-stream relative index (RFC 9204 §3.2.5). */
  private relative(index: number): number {
    const abs = this.table.insertCount - 1 - index;
    if (!this.table.has(abs))
      throw encoderStreamError(`relative index ${index} is not in the table`);
    return abs;
  }

  private insert(name: string, value: string): void {
    // RFC 9204 §3.2.2: an entry larger than the capacity is an encoder stream error.
    const size = entrySize(name, value);
    if (size > this.table.capacity) {
      throw encoderStreamError(`entry of ${size} bytes exceeds capacity ${this.table.capacity}`);
    }
    this.table.insert(name, value);
  }
}

function encoderStreamError(message: string): H3ProtocolError {
  return new H3ProtocolError(H3ErrorCode.QPACK_ENCODER_STREAM_ERROR, message);
}

function decompressionFailed(message: string): H3ProtocolError {
  return new H3ProtocolError(H3ErrorCode.QPACK_DECOMPRESSION_FAILED, message);
}
