/**
 * The receive side's data for one stream: reassembles STREAM frames that arrive out of order,
 * duplicated or overlapping (RFC 9000 §2.2) into the ordered byte stream the application reads,
 * and enforces the final-size (RFC 9000 §4.5) and flow-control (RFC 9000 §4.1) rules on them.
 *
 * Storage is one ring buffer whose capacity is a power of two covering
 * `[readOffset, highest received offset)`; flow control bounds that span by the advertised
 * window, so memory is bounded too. `insert()` copies only the bytes not held yet and allocates
 * nothing once the ring is large enough. The ring starts small and doubles as needed.
 *
 * Ownership: `read()` returns a fresh copy that belongs to the caller (the ring is reused).
 */
import { FrameType } from '../wire/frame-types.js';
import { QuicError, TransportError } from '../wire/errors.js';
import { RangeSet } from './range-set.js';

const MIN_RING = 256;
/**
 * A ring that must hold more than a small message grows to at least this (or to what the
 * window allows, when less). A ring sized to one packet's data, as a stream read at once would
 * keep, has most frames straddle its end, each costing two copies in and two out instead of one.
 */
const BULK_RING = 16 * 1024;
const SMALL_SPAN = 1024;
/** Most disjoint received ranges kept for one stream. */
export const MAX_GAPS = 1000;

export class RecvBuffer {
  private ring: Uint8Array | null = null;
  /** Ring index of `readOffset`. */
  private head = 0;
  private readPos = 0;
  private highestEnd = 0;
  private finalAt = -1;
  /** Received byte ranges at or above `readOffset`. */
  private readonly received = new RangeSet();
  private discarding = false;

  /** Bytes delivered to (or skipped for) the application: the start of the unread data. */
  get readOffset(): number {
    return this.readPos;
  }

  /** Highest end offset received so far (counts toward flow control, RFC 9000 §4.1). */
  get highest(): number {
    return this.highestEnd;
  }

  /** Final size once known from a FIN or RESET_STREAM, else -1. */
  get finalSize(): number {
    return this.finalAt;
  }

  /** Contiguous bytes ready to read at `readOffset`. */
  get readableLength(): number {
    if (this.received.isEmpty || this.received.start(0) > this.readPos) return 0;
    return this.received.end(0) - this.readPos;
  }

  /** Every byte up to the final size has arrived (the "Data Recvd" condition). */
  get allReceived(): boolean {
    return this.finalAt >= 0 && this.received.covers(this.readPos, this.finalAt);
  }

  /** Every byte up to the final size has been read. */
  get fullyRead(): boolean {
    return this.finalAt >= 0 && this.readPos === this.finalAt;
  }

  /** Bytes of memory held by the ring. */
  get capacity(): number {
    return this.ring === null ? 0 : this.ring.length;
  }

  /**
   * Takes the data of a STREAM frame. `limit` is the stream flow-control limit advertised to the
   * peer. Returns how much the highest received offset grew (for connection flow control).
   * Throws QuicError FINAL_SIZE_ERROR or FLOW_CONTROL_ERROR on a violation.
   */
  insert(offset: number, data: Uint8Array, fin: boolean, limit: number): number {
    const end = offset + data.length;
    // RFC 9000 §4.5: the final size cannot change, no data at or beyond it, and a FIN cannot
    // fall below data already received.
    if (this.finalAt >= 0) {
      if (end > this.finalAt || (fin && end !== this.finalAt)) {
        throw new QuicError(
          TransportError.FINAL_SIZE_ERROR,
          `stream data up to ${end}${fin ? ' with FIN' : ''} conflicts with final size ${this.finalAt}`,
          FrameType.STREAM,
        );
      }
    } else if (fin && end < this.highestEnd) {
      throw new QuicError(
        TransportError.FINAL_SIZE_ERROR,
        `final size ${end} is below data already received (${this.highestEnd})`,
        FrameType.STREAM,
      );
    }
    // RFC 9000 §4.1: no data beyond the advertised limit.
    if (end > limit) {
      throw new QuicError(
        TransportError.FLOW_CONTROL_ERROR,
        `stream data up to ${end} exceeds the flow control limit ${limit}`,
        FrameType.STREAM,
      );
    }
    const grown = end > this.highestEnd ? end - this.highestEnd : 0;
    this.highestEnd += grown;
    if (fin) this.finalAt = end;
    const from = Math.max(offset, this.readPos);
    if (from < end) {
      // A peer that scatters tiny fragments would make every insert cost a long range walk:
      // bound the gaps, as other stacks do, rather than let one stream eat the CPU (RFC 9000
      // §21.10 asks for such a mitigation, §21.9 allows a connection error for it). The code:
      // no transport error names this; FLOW_CONTROL_ERROR means data beyond the advertised
      // limits (§20.1), which this data is not, and INTERNAL_ERROR would blame ourselves.
      // PROTOCOL_VIOLATION is the code for "an error with protocol compliance that was not
      // covered by more specific error codes" (§20.1).
      if (this.received.count >= MAX_GAPS && !this.received.covers(from, end)) {
        throw new QuicError(
          TransportError.PROTOCOL_VIOLATION,
          `more than ${MAX_GAPS} gaps in received stream data`,
          FrameType.STREAM,
        );
      }
      if (!this.discarding) this.store(offset, data, from, end, limit);
      this.received.add(from, end);
    }
    return grown;
  }

  /**
   * `insert()` without FIN, then `read()`: the bytes readable now, or null. Data that starts
   * exactly at the read offset with nothing buffered (CRYPTO data in order, each frame read at
   * once: the handshake's usual case) is copied out directly, without the ring and its second
   * copy; anything else goes through the ring.
   */
  insertAndRead(offset: number, data: Uint8Array, limit: number): Uint8Array | null {
    const end = offset + data.length;
    if (
      offset === this.readPos &&
      this.received.isEmpty &&
      this.finalAt < 0 &&
      !this.discarding &&
      data.length > 0 &&
      end <= limit
    ) {
      // Nothing buffered: the ring (if any) is empty, and its head may stay where it is.
      if (end > this.highestEnd) this.highestEnd = end;
      this.readPos = end;
      return new Uint8Array(data);
    }
    this.insert(offset, data, false, limit);
    return this.read();
  }

  /**
   * Applies the Final Size of a RESET_STREAM (RFC 9000 §4.5, §19.4) with the same checks as a
   * FIN. Returns how much the highest received offset grew.
   */
  setResetFinalSize(finalSize: number, limit: number): number {
    if (
      (this.finalAt >= 0 && finalSize !== this.finalAt) ||
      (this.finalAt < 0 && finalSize < this.highestEnd)
    ) {
      throw new QuicError(
        TransportError.FINAL_SIZE_ERROR,
        `RESET_STREAM final size ${finalSize} conflicts with ${this.finalAt >= 0 ? `final size ${this.finalAt}` : `received data up to ${this.highestEnd}`}`,
        FrameType.RESET_STREAM,
      );
    }
    if (finalSize > limit) {
      throw new QuicError(
        TransportError.FLOW_CONTROL_ERROR,
        `RESET_STREAM final size ${finalSize} exceeds the flow control limit ${limit}`,
        FrameType.RESET_STREAM,
      );
    }
    const grown = finalSize - this.highestEnd;
    this.highestEnd = finalSize;
    this.finalAt = finalSize;
    return grown;
  }

  /** Reads up to `max` contiguous bytes as a new array the caller owns; null if none. */
  read(max = Number.MAX_SAFE_INTEGER): Uint8Array | null {
    const n = Math.min(max, this.readableLength);
    if (n <= 0 || this.ring === null) return null;
    const out = new Uint8Array(n);
    this.readInto(out, 0, n);
    return out;
  }

  /** Copies up to `max` contiguous bytes into `dest` at `offset`; returns how many. */
  readInto(dest: Uint8Array, offset: number, max: number): number {
    const n = Math.min(max, this.readableLength);
    if (n <= 0 || this.ring === null) return 0;
    const ring = this.ring;
    const first = Math.min(n, ring.length - this.head);
    dest.set(ring.subarray(this.head, this.head + first), offset);
    if (first < n) dest.set(ring.subarray(0, n - first), offset + first);
    this.advance(n);
    return n;
  }

  /** Skips up to `max` contiguous readable bytes without copying them; returns how many. */
  skip(max = Number.MAX_SAFE_INTEGER): number {
    const n = Math.min(max, this.readableLength);
    if (n > 0) this.advance(n);
    return n;
  }

  /**
   * Stops storing data: frees the ring. Later inserts are still checked and counted (RFC 9000
   * §3.5: data after STOP_SENDING still counts toward flow control), but their bytes are dropped.
   */
  discard(): void {
    this.discarding = true;
    this.ring = null;
    this.head = 0;
  }

  private advance(n: number): void {
    this.readPos += n;
    if (this.ring !== null) this.head = (this.head + n) & (this.ring.length - 1);
    this.received.removeBelow(this.readPos);
    if (this.fullyRead) this.ring = null;
  }

  /** Copies the parts of `[from, end)` not received yet out of `data` (which starts at `offset`). */
  private store(offset: number, data: Uint8Array, from: number, end: number, limit: number): void {
    this.ensureCapacity(end - this.readPos, limit - this.readPos);
    const received = this.received;
    let pos = from;
    let i = received.firstEndingAfter(pos);
    while (pos < end) {
      if (i >= received.count || received.start(i) >= end) {
        this.copyIn(data, offset, pos, end);
        return;
      }
      const gapEnd = received.start(i);
      if (gapEnd > pos) this.copyIn(data, offset, pos, gapEnd);
      pos = Math.max(pos, received.end(i));
      i++;
    }
  }

  private copyIn(data: Uint8Array, dataOffset: number, from: number, to: number): void {
    const ring = this.ring!;
    const mask = ring.length - 1;
    const at = (this.head + (from - this.readPos)) & mask;
    const n = to - from;
    const src = from - dataOffset;
    const first = Math.min(n, ring.length - at);
    if (first === n && src === 0 && n === data.length) {
      ring.set(data, at); // the common in-order case: no view object
      return;
    }
    ring.set(data.subarray(src, src + first), at);
    if (first < n) ring.set(data.subarray(src + first, src + n), 0);
  }

  /**
   * Grows the ring to hold `span` bytes from `readOffset`, keeping the buffered bytes in place.
   * `window`: the most the flow-control limit lets the peer send from `readOffset`, which bounds
   * the ring (to twice that at most, a power of two).
   */
  private ensureCapacity(span: number, window: number): void {
    const old = this.ring;
    if (old !== null && old.length >= span) return;
    let size = old === null ? MIN_RING : old.length * 2;
    while (size < span) size *= 2;
    if (span > SMALL_SPAN) {
      const bulk = Math.min(BULK_RING, window);
      while (size < bulk) size *= 2;
    }
    const ring = new Uint8Array(size);
    if (old !== null && !this.received.isEmpty) {
      // Move [readOffset, last received end) to the start of the new ring.
      const live = this.received.end(this.received.count - 1) - this.readPos;
      const first = Math.min(live, old.length - this.head);
      ring.set(old.subarray(this.head, this.head + first), 0);
      if (first < live) ring.set(old.subarray(0, live - first), first);
    }
    this.ring = ring;
    this.head = 0;
  }
}
