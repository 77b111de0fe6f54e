/**
 * The QPACK encoder (RFC 9204 §2.1): turns field sections into encoded field sections plus
 * encoder-stream instructions, and processes the peer decoder's instructions.
 *
 * Policy:
 * - The dynamic table is used only after the peer's SETTINGS allow it; its capacity is the
 *   smaller of the peer's SETTINGS_QPACK_MAX_TABLE_CAPACITY and this encoder's own limit.
 * - A field line is inserted when indexing is likely to pay off: it is not sensitive, fits in
 *   half the table, and either has a name whose values usually repeat on a connection
 *   (:authority, user-agent, ...) or was already sent once recently. Sensitive fields
 *   (authorization, cookies, or the caller's neverIndex) are never inserted and are sent as
 *   literals with the 'N' bit (RFC 9204 §7.1.3).
 * - Unacknowledged entries are referenced only while the number of streams that could become
 *   blocked stays within the peer's SETTINGS_QPACK_BLOCKED_STREAMS (RFC 9204 §2.1.2).
 * - Entries in the oldest quarter of the table ("draining", RFC 9204 §2.1.1.1) get no new
 *   references; a repeated field found there is re-inserted with Duplicate instead, so old
 *   entries become evictable.
 * - An insert happens only if every entry it evicts is acknowledged and unreferenced by
 *   unacknowledged field sections (RFC 9204 §2.1.1).
 */
import { Writer } from '../../util/cursor.js';
import { DecodeError } from '../../util/errors.js';
import { H3ProtocolError, H3ErrorCode } from '../errors.js';
import { assertLatin1 } from '../latin1.js';
import { DynamicTable, entrySize } from './dynamic-table.js';
import {
  type FieldLine,
  maxEntries,
  writeFieldSectionPrefix,
  writeIndexedDynamic,
  writeIndexedPostBase,
  writeIndexedStatic,
  writeLiteralName,
  writeLiteralNameRef,
  writeLiteralPostBaseNameRef,
} from './field-section.js';
import {
  type DecoderInstruction,
  InstructionInput,
  readDecoderInstruction,
  writeDuplicate,
  writeInsertLiteralName,
  writeInsertNameRef,
  writeSetCapacity,
} from './instructions.js';
import { staticExactIndex, staticNameIndex } from './static-table.js';

export interface QpackEncoderOptions {
  /** Largest dynamic table capacity this encoder uses, whatever the peer allows. Default 4096. */
  maxTableCapacity?: number;
  /** Largest number of streams this encoder lets risk blocking, whatever the peer allows. */
  maxBlockedStreams?: number;
  /** Huffman-code string literals when that is shorter. Default true. */
  huffman?: boolean;
  /**
   * Replaces the built-in insertion policy: called for a non-sensitive field line that is in
   * neither table, returns whether to insert it. Sensitive lines are never inserted.
   */
  shouldIndex?: (name: string, value: string) => boolean;
}

/** Names never inserted and always sent with the 'N' bit (RFC 9204 §7.1.3). */
const SENSITIVE_NAMES = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);

/** Names whose values usually stay the same across the requests of a connection. */
const REPEATING_NAMES = new Set([
  ':authority',
  'user-agent',
  'accept',
  'accept-encoding',
  'accept-language',
  'origin',
  'server',
  'content-type',
  'cache-control',
  'vary',
  'access-control-allow-origin',
  'alt-svc',
  'strict-transport-security',
]);

/** How many recently sent field lines are remembered to detect repetition. */
const RECENT_LIMIT = 256;

/** An encoded field section with dynamic references, not yet acknowledged. */
interface OutstandingSection {
  readonly requiredInsertCount: number;
  /** Absolute indices referenced (with repetition: each one holds one reference). */
  readonly refs: number[];
}

export class QpackEncoder {
  private readonly ownMaxCapacity: number;
  private readonly ownMaxBlocked: number;
  private readonly huffman: boolean;
  private readonly indexPolicy: ((name: string, value: string) => boolean) | undefined;

  private peerSettingsApplied = false;
  private entries = 0;
  private maxBlocked = 0;
  /** Capacity to use once the dynamic table is needed (0: never). */
  private targetCapacity = 0;

  private readonly table = new DynamicTable((abs, name, value) => this.forget(abs, name, value));
  /** RFC 9204 §2.1.4 */
  private knownReceived = 0;
  /** Outstanding references per absolute index. */
  private readonly refCounts = new Map<number, number>();
  /** Unacknowledged sections with dynamic references, per stream, oldest first. */
  private readonly outstanding = new Map<number, OutstandingSection[]>();
  /** Streams with an outstanding section whose Required Insert Count exceeds knownReceived. */
  private readonly blocking = new Set<number>();
  /** Newest absolute index per name and value, and per name. */
  private readonly exact = new Map<string, Map<string, number>>();
  private readonly byName = new Map<string, number>();
  private readonly recent = new Map<string, true>();

  private readonly out = Writer.growable(256);
  private readonly body = Writer.growable(256);
  private readonly prefix = Writer.growable(16);
  private readonly input = new InstructionInput();

  constructor(options: QpackEncoderOptions = {}) {
    this.ownMaxCapacity = options.maxTableCapacity ?? 4096;
    this.ownMaxBlocked = options.maxBlockedStreams ?? Number.MAX_SAFE_INTEGER;
    this.huffman = options.huffman ?? true;
    this.indexPolicy = options.shouldIndex;
    if (!Number.isSafeInteger(this.ownMaxCapacity) || this.ownMaxCapacity < 0) {
      throw new RangeError('maxTableCapacity must be a non-negative integer');
    }
    if (!Number.isSafeInteger(this.ownMaxBlocked) || this.ownMaxBlocked < 0) {
      throw new RangeError('maxBlockedStreams must be a non-negative integer');
    }
  }

  /** Entries inserted so far. */
  get insertCount(): number {
    return this.table.insertCount;
  }

  /** Inserts the decoder is known to have received (RFC 9204 §2.1.4). */
  get knownReceivedCount(): number {
    return this.knownReceived;
  }

  /** Dynamic table capacity in use (0 until the first insert needs it). */
  get capacity(): number {
    return this.table.capacity;
  }

  /** Bytes the dynamic table entries take (RFC 9204 §3.2.1). */
  get tableSize(): number {
    return this.table.size;
  }

  /** Streams that could currently be blocked at the decoder (RFC 9204 §2.1.2). */
  get blockingStreamCount(): number {
    return this.blocking.size;
  }

  /** Outstanding references to the entry with this absolute index. */
  referenceCount(absoluteIndex: number): number {
    return this.refCounts.get(absoluteIndex) ?? 0;
  }

  /**
   * Applies the peer decoder's SETTINGS_QPACK_MAX_TABLE_CAPACITY and
   * SETTINGS_QPACK_BLOCKED_STREAMS (RFC 9204 §5). Until then both are 0: no dynamic table.
   * Values remembered for 0-RTT may be replaced by the peer's own while nothing was inserted.
   */
  applyPeerSettings(maxTableCapacity: number, blockedStreams: number): void {
    if (this.peerSettingsApplied && this.table.insertCount > 0) {
      throw new RangeError('peer QPACK settings already applied and used');
    }
    this.peerSettingsApplied = true;
    // MaxEntries uses the decoder's advertised maximum, not the capacity in use (§4.5.1.1).
    this.entries = maxEntries(maxTableCapacity);
    this.maxBlocked = Math.min(blockedStreams, this.ownMaxBlocked);
    this.targetCapacity = Math.min(maxTableCapacity, this.ownMaxCapacity);
  }

  /**
   * Encodes a field section to send on `streamId`. Returns the encoded field section (the
   * HEADERS payload); encoder-stream instructions it needs are queued for
   * takeEncoderStreamData(), which should be sent no later than the section. With
   * `allowInserts` false no instruction is produced (the encoder stream is backed up, RFC 9204
   * §2.1.3); acknowledged entries are still referenced. Throws TypeError when a name or value
   * holds a character above 0xff.
   */
  encode(streamId: number, fields: readonly FieldLine[], allowInserts = true): Uint8Array {
    // Validate first: a failure half-way would leave references that are never released.
    for (const { name, value } of fields) {
      assertLatin1(name, 'field name');
      assertLatin1(value, 'field value');
    }
    const w = this.body.reset();
    const base = this.table.insertCount;
    const refs: number[] = [];
    let ric = 0;
    // A stream that already risks blocking costs nothing more; otherwise a slot must be free.
    const mayBlock = this.blocking.has(streamId) || this.blocking.size < this.maxBlocked;
    const huffman = this.huffman;

    const reference = (abs: number): void => {
      this.refCounts.set(abs, (this.refCounts.get(abs) ?? 0) + 1);
      refs.push(abs);
      if (abs + 1 > ric) ric = abs + 1;
    };
    // An entry may be referenced if it is not draining and, unless acknowledged, blocking is
    // allowed for this stream.
    const usable = (abs: number): boolean =>
      abs >= this.drainingIndex() && (abs < this.knownReceived || mayBlock);

    for (const field of fields) {
      const { name, value } = field;
      const sensitive = field.neverIndex === true || SENSITIVE_NAMES.has(name);
      if (!sensitive) {
        const si = staticExactIndex(name, value);
        if (si >= 0) {
          writeIndexedStatic(w, si);
          continue;
        }
        let abs = this.exact.get(name)?.get(value) ?? -1;
        if (allowInserts) {
          if (abs >= 0 && abs < this.drainingIndex()) abs = this.duplicate(abs);
          else if (abs < 0 && this.shouldIndex(name, value)) abs = this.insertNew(name, value);
        }
        if (abs >= 0 && usable(abs)) {
          reference(abs);
          if (abs < base) writeIndexedDynamic(w, base - 1 - abs);
          else writeIndexedPostBase(w, abs - base);
          continue;
        }
      }
      const sn = staticNameIndex(name);
      if (sn >= 0) {
        writeLiteralNameRef(w, true, sn, value, sensitive, huffman);
        continue;
      }
      const dn = this.byName.get(name) ?? -1;
      if (dn >= 0 && usable(dn)) {
        reference(dn);
        if (dn < base) writeLiteralNameRef(w, false, base - 1 - dn, value, sensitive, huffman);
        else writeLiteralPostBaseNameRef(w, dn - base, value, sensitive, huffman);
        continue;
      }
      writeLiteralName(w, name, value, sensitive, huffman);
    }

    if (ric > 0) {
      let list = this.outstanding.get(streamId);
      if (list === undefined) this.outstanding.set(streamId, (list = []));
      list.push({ requiredInsertCount: ric, refs });
      if (ric > this.knownReceived) this.blocking.add(streamId);
    }
    const p = this.prefix.reset();
    writeFieldSectionPrefix(p, ric, base, this.entries);
    const section = new Uint8Array(p.pos + w.pos);
    section.set(p.view());
    section.set(w.view(), p.pos);
    return section;
  }

  /**
   * Processes bytes received on the peer's decoder stream (RFC 9204 §4.4); instructions may be
   * split across calls. Throws H3ProtocolError QPACK_DECODER_STREAM_ERROR for invalid instructions.
   */
  handleDecoderStream(data: Uint8Array): void {
    const r = this.input.begin(data);
    try {
      for (;;) {
        const instruction = readDecoderInstruction(r);
        if (instruction === null) break;
        this.apply(instruction);
      }
    } catch (e) {
      if (e instanceof DecodeError) throw decoderStreamError(e.message);
      throw e;
    }
    this.input.finish(r);
  }

  /** Encoder-stream bytes to send, or null when there are none. */
  takeEncoderStreamData(): Uint8Array | null {
    if (this.out.pos === 0) return null;
    const data = this.out.finish();
    this.out.reset();
    return data;
  }

  private apply(ins: DecoderInstruction): void {
    switch (ins.type) {
      case 'section-ack': {
        // RFC 9204 §4.4.1: acknowledges the oldest unacknowledged section on the stream.
        const list = this.outstanding.get(ins.streamId);
        const section = list?.shift();
        if (section === undefined) {
          throw decoderStreamError(
            `Section Acknowledgment for stream ${ins.streamId} with none outstanding`,
          );
        }
        if (list!.length === 0) this.outstanding.delete(ins.streamId);
        this.release(section);
        if (section.requiredInsertCount > this.knownReceived) {
          this.advanceKnownReceived(section.requiredInsertCount);
        } else {
          this.updateBlocking(ins.streamId);
        }
        return;
      }
      case 'stream-cancel': {
        // RFC 9204 §4.4.2: no reference on that stream is outstanding any more.
        const list = this.outstanding.get(ins.streamId);
        if (list !== undefined) {
          for (const section of list) this.release(section);
          this.outstanding.delete(ins.streamId);
        }
        this.blocking.delete(ins.streamId);
        return;
      }
      case 'insert-count-increment': {
        // RFC 9204 §4.4.3
        if (ins.increment === 0) throw decoderStreamError('Insert Count Increment of 0');
        if (ins.increment > this.table.insertCount - this.knownReceived) {
          throw decoderStreamError('Insert Count Increment beyond the inserts sent');
        }
        this.advanceKnownReceived(this.knownReceived + ins.increment);
        return;
      }
    }
  }

  private release(section: OutstandingSection): void {
    for (const abs of section.refs) {
      const n = this.refCounts.get(abs)! - 1;
      if (n === 0) this.refCounts.delete(abs);
      else this.refCounts.set(abs, n);
    }
  }

  private advanceKnownReceived(count: number): void {
    this.knownReceived = count;
    for (const streamId of this.blocking) this.updateBlocking(streamId);
  }

  private updateBlocking(streamId: number): void {
    const list = this.outstanding.get(streamId);
    if (list === undefined || !list.some((s) => s.requiredInsertCount > this.knownReceived)) {
      this.blocking.delete(streamId);
    }
  }

  /**
   * The smallest absolute index still worth referencing: older entries would be evicted by the
   * next quarter-capacity of inserts (RFC 9204 §2.1.1.1).
   */
  private drainingIndex(): number {
    const t = this.table;
    const reserve = t.capacity >>> 2;
    let abs = t.droppedCount;
    let newer = t.size; // bytes of the entries from abs to the newest
    while (abs < t.insertCount && newer + reserve > t.capacity) {
      newer -= t.sizeOf(abs);
      abs++;
    }
    return abs;
  }

  /** Insertion policy; also remembers the line to detect repetition next time. */
  private shouldIndex(name: string, value: string): boolean {
    if (this.targetCapacity === 0) return false;
    if (this.indexPolicy !== undefined) return this.indexPolicy(name, value);
    if (entrySize(name, value) > this.targetCapacity >>> 1) return false;
    if (REPEATING_NAMES.has(name)) return true;
    const key = `${name}\0${value}`;
    if (this.recent.has(key)) return true;
    this.recent.set(key, true);
    if (this.recent.size > RECENT_LIMIT) this.recent.delete(this.recent.keys().next().value!);
    return false;
  }

  /** Whether an entry of this size can be inserted without evicting a needed entry. */
  private canInsert(size: number): boolean {
    // Before first use the table is empty and its capacity not yet set (see ensureCapacity).
    if (this.table.capacity !== this.targetCapacity) return size <= this.targetCapacity;
    return size <= this.table.capacity && this.evictable(this.table.evictionEnd(size));
  }

  /** Whether all entries older than `end` may be evicted (RFC 9204 §2.1.1). */
  private evictable(end: number): boolean {
    if (end > this.knownReceived) return false;
    for (let abs = this.table.droppedCount; abs < end; abs++) {
      if (this.refCounts.has(abs)) return false;
    }
    return true;
  }

  private ensureCapacity(): void {
    if (this.table.capacity !== this.targetCapacity) {
      writeSetCapacity(this.out, this.targetCapacity);
      this.table.setCapacity(this.targetCapacity);
    }
  }

  /**
   * Inserts a field line now, whether or not a section uses it yet (a speculative insert, RFC
   * 9204 §2.1): a line already in the table is re-inserted with Duplicate. Returns false when
   * the table cannot take it now (no table allowed yet, too large, or it would evict an entry
   * that is unacknowledged or still referenced).
   */
  insert(name: string, value: string): boolean {
    const abs = this.exact.get(name)?.get(value);
    return (abs !== undefined ? this.duplicate(abs) : this.insertNew(name, value)) >= 0;
  }

  /** Inserts a new line if allowed; returns its absolute index or -1. */
  private insertNew(name: string, value: string): number {
    if (!this.canInsert(entrySize(name, value))) return -1;
    this.ensureCapacity();
    const si = staticNameIndex(name);
    const dn = this.byName.get(name);
    if (si >= 0) writeInsertNameRef(this.out, true, si, value, this.huffman);
    else if (dn !== undefined) {
      // A reference on the encoder stream never blocks eviction (RFC 9204 §2.1.1).
      writeInsertNameRef(this.out, false, this.table.insertCount - 1 - dn, value, this.huffman);
    } else writeInsertLiteralName(this.out, name, value, this.huffman);
    return this.remember(this.table.insert(name, value), name, value);
  }

  /** Re-inserts a draining entry with Duplicate (RFC 9204 §4.3.4); returns the new index or -1. */
  private duplicate(abs: number): number {
    const name = this.table.name(abs);
    const value = this.table.value(abs);
    if (!this.canInsert(entrySize(name, value))) return -1;
    this.ensureCapacity();
    writeDuplicate(this.out, this.table.insertCount - 1 - abs);
    return this.remember(this.table.insert(name, value), name, value);
  }

  private remember(abs: number, name: string, value: string): number {
    let values = this.exact.get(name);
    if (values === undefined) this.exact.set(name, (values = new Map()));
    values.set(value, abs);
    this.byName.set(name, abs);
    return abs;
  }

  /** Eviction listener: drops lookups that point at the evicted entry. */
  private forget(abs: number, name: string, value: string): void {
    const values = this.exact.get(name);
    if (values !== undefined && values.get(value) === abs) {
      values.delete(value);
      if (values.size === 0) this.exact.delete(name);
    }
    if (this.byName.get(name) === abs) this.byName.delete(name);
  }
}

function decoderStreamError(message: string): H3ProtocolError {
  return new H3ProtocolError(H3ErrorCode.QPACK_DECODER_STREAM_ERROR, message);
}
