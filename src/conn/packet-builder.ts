/**
 * The scratch of one connection's packet assembly (assemble.ts): the writer, the stream chunk
 * and frame list reused for every packet, the offsets of the header being written, and the slab
 * datagrams are carved from. Owned by the connection: nothing on the send path is shared
 * between connections or lives at module level.
 *
 * Datagrams are written one after another into a slab, so a datagram costs a view rather than
 * an allocation and a copy, and consecutive datagrams lie end to end: a batch of them (the GSO
 * shape, engine/transmit-batch.ts) is a view as well. The writer addresses the slab itself,
 * bounded to the datagram's room (no view per datagram while it is written): offsets in a
 * datagram being written are slab offsets, and `datagramStart` is where it begins. A datagram handed out is never written
 * again (the caller owns it, and the slab is freed with the last of its datagrams). A connection with nothing left to send
 * lets a grown slab go (`release`), so an idle connection pins only a few datagrams' worth.
 */
import { StreamChunk } from '../stream/stream.js';
import { Writer } from '../util/cursor.js';
import { uninitializedBytes } from '../util/uninitialized.js';
import { HandOuts, type TransmitRelease } from '../util/transmit-release.js';
import { PacketType } from '../wire/version.js';
import { AEAD_TAG_LENGTH, type PacketProtector } from '../crypto/packet-protection.js';
import { AheadQueue } from './ahead-queue.js';
import { SentFrameList } from './sent-frames.js';

/**
 * Slabs start with room for a few datagrams and double while the connection keeps sending, up
 * to this size (about 180 datagrams of 1452 bytes: a batch of up to 44 rarely straddles two).
 */
const MAX_SLAB = 256 * 1024;
const FIRST_SLAB_DATAGRAMS = 4;

const NO_BYTES = new Uint8Array(0);

/** What the packets of the datagram being assembled may still take (assemble.ts). */
export interface DatagramBudget {
  /** Bytes left in the datagram. */
  room: number;
  /** In-flight bytes the congestion controller and pacer allow (ACK-only packets ignore it). */
  cwnd: number;
  /** Multipath: path 0's RTT estimate is stale, a PING goes in its 1-RTT packet (rttProbeDue). */
  rttProbe: boolean;
}

/** Where the header just written put what finishing the packet needs. */
export interface HeaderOffsets {
  start: number;
  lengthOffset: number;
  pnOffset: number;
  type: PacketType;
}

export class PacketBuilder {
  readonly w = new Writer(NO_BYTES);
  readonly chunk = new StreamChunk();
  readonly frames = new SentFrameList();
  /** The header of the packet being written (valid until the next header). */
  readonly header: HeaderOffsets = {
    start: 0,
    lengthOffset: -1,
    pnOffset: 0,
    type: PacketType.OneRtt,
  };
  /** The budget of the datagram being assembled (valid until the next one). */
  readonly budget: DatagramBudget = { room: 0, cwnd: 0, rttProbe: false };
  /** 1-RTT packets in a row that carried nothing ack-eliciting (assemble.ts `elicitAckOfAcks`). */
  ackOnlyRun = 0;
  /** Datagrams assembled ahead, their 1-RTT packets protected in batches (ahead-queue.ts). */
  readonly ahead = new AheadQueue();
  private slab = NO_BYTES;
  private slabPos = 0;
  private slabSize: number;
  /** Whether the datagrams handed out from the slab were all released (rewindIfReleased). */
  private readonly handOuts: HandOuts;

  /**
   * `datagramRoom`: room given to one datagram, the largest UDP payload plus slack. `released`:
   * the engine's record of released datagrams; without it a slab is never written twice.
   */
  constructor(
    private readonly datagramRoom: number,
    released: TransmitRelease | null = null,
  ) {
    this.slabSize = FIRST_SLAB_DATAGRAMS * datagramRoom;
    this.handOuts = new HandOuts(released);
  }

  /** A datagram assembled here goes to the caller now (assemble.ts nextDatagram). */
  handedOut(): void {
    this.handOuts.handedOut();
  }

  /**
   * Before an assembly round: when nothing assembled waits to be handed out and the caller
   * released every datagram handed out so far, the slab is written again from its start.
   */
  rewindIfReleased(): void {
    if (this.ahead.length === 0 && this.slab.length > 0 && this.handOuts.allReleased) {
      this.slabPos = 0;
    }
  }

  /** Where the datagram being written starts in `w.buf` (the slab). */
  get datagramStart(): number {
    return this.slabPos;
  }

  /**
   * Points the writer at fresh room for one datagram (a new slab when this one is full): it
   * writes from `datagramStart` on, and never past the datagram's room.
   */
  startDatagram(): Writer {
    if (this.slab.length - this.slabPos < this.datagramRoom) {
      if (this.slab.length > 0) this.slabSize = Math.min(2 * this.slabSize, MAX_SLAB);
      this.slab = uninitializedBytes(Math.max(this.slabSize, this.datagramRoom));
      this.slabPos = 0;
    }
    return this.w.reset(this.slab, this.slabPos, this.slabPos + this.datagramRoom);
  }

  /**
   * Queues the packet just written in this datagram (offsets into `w.buf`) for batch protection
   * under `keys` (AheadQueue.defer); returns its end in `w.buf`, as `keys.protect` would.
   */
  deferProtection(
    keys: PacketProtector,
    packetStart: number,
    pnOffset: number,
    payloadEnd: number,
    pn: number,
  ): number {
    if (payloadEnd + AEAD_TAG_LENGTH > this.w.end) {
      throw new RangeError('no room for the AEAD tag after the payload');
    }
    return this.ahead.defer(keys, this.slab, packetStart, pnOffset, payloadEnd, pn);
  }

  /** Hands out the datagram written; the slab's next datagram starts after it. */
  finishDatagram(): Uint8Array {
    const end = this.w.pos;
    const data = this.slab.subarray(this.slabPos, end);
    // The next datagram starts right after this one: a batch of them is one view.
    this.slabPos = end;
    return data;
  }

  /**
   * Nothing more to send for now: a slab grown by a burst goes with the datagrams already handed
   * out, so an idle connection keeps at most a first-size slab (a few datagrams). That one is
   * kept: a connection that only acknowledges (a receiver) would otherwise allocate a slab for
   * every ACK.
   */
  release(): void {
    if (this.slab.length <= FIRST_SLAB_DATAGRAMS * this.datagramRoom) return;
    this.slab = NO_BYTES;
    this.slabPos = 0;
    this.slabSize = FIRST_SLAB_DATAGRAMS * this.datagramRoom;
    this.w.reset(NO_BYTES);
  }
}
