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

/**
 * Collects the descriptors of the packet being built in a reused array; `take` hands out an
 * exact-size copy for the sent-packet record (a fresh array grown by push would reserve 16
 * slots for the two or three a packet holds, for as long as the packet is in flight).
 */
export class SentFrameList {
  private readonly items: SentFrame[] = [];
  length = 0;

  push(f: SentFrame): void {
    this.items[this.length++] = f;
  }

  take(): SentFrame[] {
    const out = this.items.slice(0, this.length);
    this.length = 0;
    return out;
  }
}
