/**
 * Batches at the I/O boundary (docs/ARCHITECTURE.md §7.4).
 *
 * Send: the GSO shape. Consecutive datagrams of one connection to one destination, of one size
 * (the last may be shorter) and one ECN mark, are laid end to end in one buffer, which a
 * socket hands to the kernel in one call (UDP_SEGMENT splits it again, Linux's UDP GSO). A
 * connection writes its datagrams one after another into its slab (conn/packet-builder.ts), so
 * a batch is usually a view of bytes already in place; only a batch whose datagrams are not
 * contiguous (the connection started a new slab in the middle of it) is copied into a slab of
 * this module. Like the connection's slab, a buffer handed out is never written again; a full
 * slab is let go and a new one started.
 */
import { sameAddress, type SocketAddress, type Transmit } from '../util/address.js';
import { uninitializedBytes } from '../util/uninitialized.js';
import { HandOuts, type TransmitRelease } from '../util/transmit-release.js';

/** N datagrams of `segmentSize` bytes in `data`, the last may be shorter, for one destination. */
export interface TransmitBatch {
  data: Uint8Array;
  /** Bytes per datagram (the last may be shorter). */
  segmentSize: number;
  /** Datagrams in `data`. */
  count: number;
  remote: SocketAddress;
  local?: SocketAddress;
  /** IP ECN codepoint (0..3) of every datagram; absent: not-ECT. */
  ecn?: number;
}

/**
 * Linux's UDP GSO takes at most 64 segments (UDP_MAX_SEGMENTS on older kernels) and at most
 * 64 KiB of payload in one call.
 */
export const MAX_BATCH_SEGMENTS = 64;
const MAX_BATCH_BYTES = 65000;
/** Only batches that straddle two of a connection's slabs are copied: a small slab serves. */
const SLAB_SIZE = 256 * 1024;

/** Where the datagrams of a batch come from: the next one, or the next of the same sender. */
export interface TransmitSource {
  /** The next datagram of any sender (the engine's pollTransmit). */
  next(now: number): Transmit | null;
  /** The next datagram of the sender of the last one, or null (nothing, or another sender). */
  again(now: number): Transmit | null;
  /** A datagram that did not fit this batch: the next `next` returns it first. */
  putBack(t: Transmit): void;
}

export class TransmitBatcher {
  private slab = new Uint8Array(0);
  private slabPos = 0;
  /** Whether the batches copied into this slab were all released since they went out. */
  private readonly handOuts: HandOuts;

  /** `released`: the engine's record of datagrams its caller released (transmit-release.ts). */
  constructor(released: TransmitRelease | null = null) {
    this.handOuts = new HandOuts(released);
  }

  /** The next batch, or null when nothing is ready. */
  next(
    source: TransmitSource,
    now: number,
    maxSegments = MAX_BATCH_SEGMENTS,
  ): TransmitBatch | null {
    const first = source.next(now);
    if (first === null) return null;
    const size = first.data.length;
    const limit = Math.min(maxSegments, Math.max(1, Math.floor(MAX_BATCH_BYTES / size)));
    let second: Transmit | null = limit > 1 && size > 0 ? source.again(now) : null;
    if (second !== null && !this.fits(first, second, size)) {
      source.putBack(second);
      second = null;
    }
    if (second === null) return this.single(first);
    // The datagrams so far lie end to end in `run` (a view of the connection's slab) until one
    // does not continue it; from then on they are copied into this batcher's slab.
    const run = first.data;
    let runEnd = run.byteOffset + size;
    let out: Uint8Array | null = null;
    let start = 0;
    let end = 0;
    let count = 1;
    for (let t: Transmit | null = second; t !== null;) {
      const d = t.data;
      if (out === null && d.buffer === run.buffer && d.byteOffset === runEnd) {
        runEnd += d.length;
      } else {
        if (out === null) {
          out = this.room(limit * size);
          start = this.slabPos;
          const length = runEnd - run.byteOffset;
          out.set(new Uint8Array(run.buffer, run.byteOffset, length), start);
          end = start + length;
        }
        out.set(d, end);
        end += d.length;
      }
      count++;
      // A shorter datagram ends the batch (only the last segment may be short).
      if (d.length < size || count === limit) break;
      t = source.again(now);
      if (t !== null && !this.fits(first, t, size)) {
        source.putBack(t);
        break;
      }
    }
    if (out === null) {
      const data = new Uint8Array(run.buffer, run.byteOffset, runEnd - run.byteOffset);
      return this.batchOf(first, data, size, count);
    }
    this.slabPos = end;
    this.handOuts.handedOut();
    return this.batchOf(first, out.subarray(start, end), size, count);
  }

  /** This batcher's slab with `bytes` free from slabPos on (a new slab when it is too full). */
  private room(bytes: number): Uint8Array {
    // Every batch copied here before the caller's last release is free again.
    if (this.handOuts.allReleased) this.slabPos = 0;
    if (this.slab.length - this.slabPos < bytes) {
      this.slab = uninitializedBytes(Math.max(SLAB_SIZE, bytes));
      this.slabPos = 0;
    }
    return this.slab;
  }

  private fits(first: Transmit, t: Transmit, size: number): boolean {
    return (
      t.data.length <= size &&
      t.data.length > 0 &&
      t.ecn === first.ecn &&
      sameAddress(t.remote, first.remote) &&
      (t.local === first.local ||
        (t.local !== undefined && first.local !== undefined && sameAddress(t.local, first.local)))
    );
  }

  private single(t: Transmit): TransmitBatch {
    return this.batchOf(t, t.data, t.data.length, 1);
  }

  private batchOf(
    t: Transmit,
    data: Uint8Array,
    segmentSize: number,
    count: number,
  ): TransmitBatch {
    const b: TransmitBatch = { data, segmentSize, count, remote: t.remote };
    if (t.local !== undefined) b.local = t.local;
    if (t.ecn !== undefined) b.ecn = t.ecn;
    return b;
  }
}
