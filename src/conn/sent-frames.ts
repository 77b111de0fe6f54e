/**
 * What a sent packet carried, kept in its sent-packet record (docs/ARCHITECTURE.md §1.5: retransmit
 * frames, not packets). On acknowledgement the descriptors release state; on loss they go back to
 * the queues, re-generated with current values where the frame carries state (RFC 9000 §13.3).
 */
import type { Frame } from '../wire/frame-types.js';
import type { StreamControlFrame } from '../stream/frame-size.js';
import type { PnSpace } from '../ack/pn-space.js';

export type SentFrame =
  /** STREAM data [offset, offset+length), with FIN. */
  | { k: 'stream'; streamId: number; offset: number; length: number; fin: boolean }
  /** CRYPTO data of a space. */
  | { k: 'crypto'; space: PnSpace; offset: number; length: number }
  /**
   * An ACK frame whose largest acknowledged is `largest` (RFC 9000 §13.2.4); a PATH_ACK of path
   * `pathId` (RFC 10069 §4.1) when given.
   */
  | { k: 'ack'; space: PnSpace; largest: number; pathId?: number }
  /** Flow-control and stream control frames owned by the stream layer. */
  | { k: 'stream_control'; frame: StreamControlFrame }
  /**
   * Connection frames resent as they were when still relevant: NEW_CONNECTION_ID,
   * RETIRE_CONNECTION_ID, NEW_TOKEN, HANDSHAKE_DONE (RFC 9000 §13.3).
   */
  | { k: 'control'; frame: Frame }
  /**
   * PATH_CHALLENGE, PATH_RESPONSE, CONNECTION_CLOSE: nothing to redo (a path probe has its own
   * timer, RFC 9000 §8.2.4); the frame is kept so that qlog can describe the packet.
   */
  | { k: 'once'; frame: Frame }
  /** PING, PADDING, DATAGRAM: nothing to redo. */
  | { k: 'none' };

export const NOTHING: SentFrame = { k: 'none' };

/** Descriptor arrays are recycled for packets of up to this many descriptors (most have 1-3). */
const MAX_POOLED_LENGTH = 4;
/** Recycled arrays kept per length: about what one ACK frees; more wait for the next ACK. */
const MAX_SPARES = 64;

/**
 * Collects the descriptors of the packet being built in a reused array; `take` hands out an
 * exact-size array for the sent-packet record (a fresh array grown by push would reserve 16
 * slots for the two or three a packet holds, for as long as the packet is in flight). The arrays
 * of acknowledged packets come back through `recycle` and are handed out again by `take` for a
 * packet with as many descriptors: no array per packet while ACKs keep up.
 */
export class SentFrameList {
  private readonly items: SentFrame[] = [];
  /** `spares[n]`: recycled arrays of length n, their slots holding NOTHING. */
  private readonly spares: SentFrame[][][] = Array.from(
    { length: MAX_POOLED_LENGTH + 1 },
    () => [],
  );
  length = 0;

  push(f: SentFrame): void {
    this.items[this.length++] = f;
  }

  take(): SentFrame[] {
    const n = this.length;
    this.length = 0;
    const out = n <= MAX_POOLED_LENGTH ? this.spares[n]!.pop() : undefined;
    if (out === undefined) return this.items.slice(0, n);
    for (let i = 0; i < n; i++) out[i] = this.items[i]!;
    return out;
  }

  /**
   * Takes back the array `take` gave a packet that is acknowledged and done with: the caller
   * must hold no record that still reads it (loss detection reports a packet acknowledged once,
   * and its record is dropped). Its descriptors are let go at once.
   */
  recycle(frames: SentFrame[]): void {
    const n = frames.length;
    if (n === 0 || n > MAX_POOLED_LENGTH) return;
    const pool = this.spares[n]!;
    if (pool.length >= MAX_SPARES) return;
    frames.fill(NOTHING);
    pool.push(frames);
  }
}
