/**
 * The send side's data for one stream: bytes written by the application, kept until the peer
 * acknowledges them (RFC 9000 §2.2, §13.3: STREAM data is retransmitted in new frames until
 * acknowledged).
 *
 * Ownership: `write()` copies the caller's bytes into chunks the buffer owns, so the caller may
 * reuse its array at once. Chunks grow with the amount buffered (1 KiB up to 64 KiB) and leave
 * the buffer as soon as every byte in them is acknowledged. Chunks freed while data is still
 * buffered are kept for the next writes, as many as there are chunks in use, so that a steady
 * transfer allocates no buffers (one ACK frees several chunks at once, which the next writes take
 * back); an open stream with everything acknowledged keeps just its last chunk, and an ended
 * stream whose data is all acknowledged holds nothing. The connection copies outgoing bytes straight into its
 * packet buffer with `copyOut()`: one copy, no buffer allocated per packet.
 *
 * Offsets are stream offsets. `sentOffset` is the highest offset handed out so far: below it
 * every byte has been sent at least once, and the bytes still needing a (re)transmission are the
 * `lost` ranges, which `nextRange()` serves before new data (RFC 9000 §13.3: retransmissions
 * first).
 */
import { RangeSet } from './range-set.js';

const MIN_CHUNK = 1024;
const MAX_CHUNK = 64 * 1024;

/** One range to put in a STREAM frame; filled in place by `SendBuffer.nextRange()`. */
export class SendRange {
  /** Stream offset of the first byte. */
  offset = 0;
  /** Number of bytes (0 only for a FIN-only frame). */
  length = 0;
  /** The frame carries the FIN bit: it ends at the final size. */
  fin = false;
  /** Bytes never sent before (they consume flow-control credit); 0 for a retransmission. */
  newBytes = 0;
}

/** Where the FIN stands: not written yet, to be sent, in flight, acknowledged. */
type FinState = 'none' | 'pending' | 'sent' | 'acked';

export class SendBuffer {
  private readonly chunks: Uint8Array[] = [];
  /** Stream offset of the first byte of each chunk. */
  private readonly chunkStarts: number[] = [];
  /** Bytes used in the last chunk. */
  private tailUsed = 0;
  /** Freed chunks for the next writes: at most as many as `chunks` holds. */
  private readonly spares: Uint8Array[] = [];
  private writtenBytes = 0;
  private sent = 0;
  private readonly lost = new RangeSet();
  private readonly acked = new RangeSet();
  private ackedPrefix = 0;
  private finAt = -1;
  private finState: FinState = 'none';
  private discarded = false;

  /** Total bytes written by the application (the end offset of the written data). */
  get written(): number {
    return this.writtenBytes;
  }

  /** Highest offset sent so far: bytes below it were all sent at least once. */
  get sentOffset(): number {
    return this.sent;
  }

  /** Every byte below this offset is acknowledged (and its memory released). */
  get ackedOffset(): number {
    return this.ackedPrefix;
  }

  /** Number of distinct bytes acknowledged, in or out of order. */
  get ackedBytes(): number {
    return this.acked.totalLength;
  }

  /** Bytes held for the stream: written but not yet acknowledged in order. */
  get bufferedBytes(): number {
    return this.writtenBytes - this.ackedPrefix;
  }

  /** Bytes of memory held: chunk capacities plus the spare chunks. */
  get memoryBytes(): number {
    let n = 0;
    for (const c of this.spares) n += c.length;
    for (const c of this.chunks) n += c.length;
    return n;
  }

  /** Bytes written but never sent. */
  get unsentBytes(): number {
    return this.writtenBytes - this.sent;
  }

  /** The final size once `end()` was called, else -1. */
  get finalSize(): number {
    return this.finAt;
  }

  get ended(): boolean {
    return this.finAt >= 0;
  }

  /** The FIN was sent in at least one frame (it may since have been declared lost). */
  get finSent(): boolean {
    return this.finState === 'sent' || this.finState === 'acked';
  }

  /** Every byte and the FIN are acknowledged: the sending part may enter "Data Recvd". */
  get allAcked(): boolean {
    return this.finState === 'acked' && this.ackedPrefix === this.finAt;
  }

  /**
   * True if something can be sent without new flow-control credit: lost bytes, or a FIN with
   * every byte already sent.
   */
  get canSendWithoutCredit(): boolean {
    return !this.discarded && this.nextOffset(this.sent) >= 0;
  }

  /** Copies `data` into the buffer. Throws a TypeError after `end()` or `discard()`. */
  write(data: Uint8Array): void {
    if (this.finAt >= 0) throw new TypeError('write after end of stream');
    if (this.discarded) throw new TypeError('write to a discarded send buffer');
    let pos = 0;
    while (pos < data.length) {
      let tail = this.chunks[this.chunks.length - 1];
      if (tail === undefined || this.tailUsed === tail.length) {
        tail = this.newChunk(data.length - pos);
        this.chunks.push(tail);
        this.chunkStarts.push(this.writtenBytes);
        this.tailUsed = 0;
      }
      const n = Math.min(tail.length - this.tailUsed, data.length - pos);
      tail.set(pos === 0 && n === data.length ? data : data.subarray(pos, pos + n), this.tailUsed);
      this.tailUsed += n;
      this.writtenBytes += n;
      pos += n;
    }
  }

  /** Marks the end of the stream: the final size is what has been written. */
  end(): void {
    if (this.finAt >= 0 || this.discarded) return;
    this.finAt = this.writtenBytes;
    this.finState = 'pending';
  }

  /**
   * Offset of the range `nextRange()` would produce, or -1 if nothing can be sent. New bytes are
   * limited to offsets below `newLimit` (flow control); retransmissions and a FIN at an offset
   * already reached are not.
   */
  nextOffset(newLimit: number): number {
    if (this.discarded) return -1;
    if (!this.lost.isEmpty) return this.lost.start(0);
    if (this.sent < Math.min(this.writtenBytes, newLimit)) return this.sent;
    if (this.finState === 'pending' && this.sent === this.finAt) return this.finAt;
    return -1;
  }

  /**
   * Takes the next range to send, at most `maxLength` bytes, into `out`: first lost ranges, then
   * new data below `newLimit`, then a lone FIN. Returns false when there is nothing to send (or
   * `maxLength` is 0 and the range needs bytes). The range counts as sent from now on.
   */
  nextRange(maxLength: number, newLimit: number, out: SendRange): boolean {
    if (this.discarded) return false;
    if (!this.lost.isEmpty) {
      const start = this.lost.start(0);
      const length = Math.min(this.lost.end(0) - start, maxLength);
      if (length <= 0) return false;
      this.lost.remove(start, start + length);
      return this.fill(out, start, length, 0);
    }
    const limit = Math.min(this.writtenBytes, newLimit);
    if (this.sent < limit) {
      const length = Math.min(limit - this.sent, maxLength);
      if (length <= 0) return false;
      const start = this.sent;
      this.sent += length;
      return this.fill(out, start, length, length);
    }
    if (this.finState === 'pending' && this.sent === this.finAt) {
      return this.fill(out, this.finAt, 0, 0);
    }
    return false;
  }

  private fill(out: SendRange, offset: number, length: number, newBytes: number): true {
    out.offset = offset;
    out.length = length;
    out.newBytes = newBytes;
    out.fin = this.finState === 'pending' && offset + length === this.finAt;
    if (out.fin) this.finState = 'sent';
    return true;
  }

  /**
   * Copies `length` bytes starting at stream offset `offset` into `dest` at `destOffset`. The
   * range must have been handed out by `nextRange()` and not yet be acknowledged.
   */
  copyOut(offset: number, length: number, dest: Uint8Array, destOffset: number): void {
    if (length === 0) return;
    const first = this.chunkStarts[0];
    if (first === undefined || offset < first || offset + length > this.writtenBytes) {
      throw new RangeError(`stream range ${offset}+${length} is not buffered`);
    }
    let i = this.chunkIndex(offset);
    let pos = offset;
    let d = destOffset;
    const end = offset + length;
    while (pos < end) {
      const chunk = this.chunks[i]!;
      const from = pos - this.chunkStarts[i]!;
      const n = Math.min(end - pos, chunk.length - from);
      dest.set(from === 0 && n === chunk.length ? chunk : chunk.subarray(from, from + n), d);
      pos += n;
      d += n;
      i++;
    }
  }

  /**
   * A frame carrying `[offset, offset+length)` (and the FIN if `fin`) was acknowledged. Frees
   * chunks once every byte in them is acknowledged.
   */
  onAcked(offset: number, length: number, fin: boolean): void {
    if (this.discarded) return;
    if (length > 0) {
      this.acked.add(offset, offset + length);
      this.lost.remove(offset, offset + length);
    }
    if (fin && this.finState !== 'none') this.finState = 'acked';
    if (this.acked.count > 0 && this.acked.start(0) === 0) this.ackedPrefix = this.acked.end(0);
    this.releaseAcked();
  }

  /**
   * A frame carrying `[offset, offset+length)` (and the FIN if `fin`) was declared lost: the
   * parts not acknowledged since are queued for retransmission.
   */
  onLost(offset: number, length: number, fin: boolean): void {
    if (this.discarded) return;
    const end = offset + length;
    let pos = Math.max(offset, this.ackedPrefix);
    let i = this.acked.firstEndingAfter(pos);
    while (pos < end) {
      if (i >= this.acked.count || this.acked.start(i) >= end) {
        this.lost.add(pos, end);
        break;
      }
      const ackedStart = this.acked.start(i);
      if (ackedStart > pos) this.lost.add(pos, ackedStart);
      pos = Math.max(pos, this.acked.end(i));
      i++;
    }
    if (fin && this.finState === 'sent') this.finState = 'pending';
  }

  /**
   * Drops all data and stops sending: used when the stream is reset (RFC 9000 §3.1: no STREAM
   * frames after RESET_STREAM). Counters keep their values.
   */
  discard(): void {
    this.discarded = true;
    this.chunks.length = 0;
    this.chunkStarts.length = 0;
    this.spares.length = 0;
    this.lost.clear();
    this.acked.clear();
  }

  /** Index of the chunk holding stream offset `offset` (which must be buffered). */
  private chunkIndex(offset: number): number {
    let lo = 0;
    let hi = this.chunkStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.chunkStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private newChunk(remaining: number): Uint8Array {
    // Large transfers get large chunks (fewer boundaries to copy across); small messages small.
    const want = Math.max(remaining, this.writtenBytes - this.ackedPrefix);
    let size = MIN_CHUNK;
    while (size < want && size < MAX_CHUNK) size *= 2;
    // A spare of at least that size serves; smaller ones, from quieter times, are let go.
    for (let spare = this.spares.pop(); spare !== undefined; spare = this.spares.pop()) {
      if (spare.length >= size) return spare;
    }
    return new Uint8Array(size);
  }

  private releaseAcked(): void {
    if (this.ackedPrefix === this.writtenBytes) {
      // Everything acknowledged. An ended stream holds no memory; an open one keeps only its
      // last chunk, rewound, for the next write (its size follows the stream's recent traffic).
      const last = this.finAt >= 0 ? undefined : this.chunks[this.chunks.length - 1];
      this.chunks.length = 0;
      this.chunkStarts.length = 0;
      this.tailUsed = 0;
      this.spares.length = 0;
      if (last !== undefined) {
        this.chunks.push(last);
        this.chunkStarts.push(this.writtenBytes);
      }
      return;
    }
    while (this.chunks.length > 1) {
      const chunk = this.chunks[0]!;
      if (this.chunkStarts[0]! + chunk.length > this.ackedPrefix) break;
      this.chunks.shift();
      this.chunkStarts.shift();
      if (this.spares.length < this.chunks.length) this.spares.push(chunk);
    }
  }
}
