/**
 * What the receive pipeline (receive.ts, frames-in.ts, migration.ts) knows of the datagram and
 * the packet it is processing: the addresses it came on, the bytes a path it opens is credited
 * with, the packet's type, space and number, where its Destination CID lies, and the reader of
 * its frames. One per connection, reused for every datagram: nothing is allocated per packet,
 * and no parameter list carries these through the pipeline. Packets are processed one at a
 * time, never nested (buffered packets are replayed after the packet that brought their keys),
 * so one context is enough; a replay saves and restores the datagram's part.
 */
import { PnSpace } from '../ack/pn-space.js';
import type { SocketAddress } from '../util/address.js';
import { Reader } from '../util/cursor.js';
import { PacketType } from '../wire/version.js';

/** Stands in for absent byte strings (shared, never written). */
const NO_BYTES = new Uint8Array(0);
const NO_ADDRESS: SocketAddress = Object.freeze({ address: '', port: 0 });

export class ReceiveContext {
  /** Our address the datagram arrived on. */
  local: SocketAddress = NO_ADDRESS;
  /** The peer address it came from. */
  remote: SocketAddress = NO_ADDRESS;
  /**
   * Bytes credited to a path this datagram opens (RFC 9000 §9.3.1): the datagram's size, or a
   * buffered packet's own size when it is replayed.
   */
  size = 0;
  /** The IP ECN codepoint the datagram arrived with (RFC 9000 §13.4.1), 0 when unknown. */
  ecn = 0;
  /** The packet being processed: its type, packet-number space and packet number. */
  packetType: PacketType = PacketType.Initial;
  space: PnSpace = PnSpace.Initial;
  pn = -1;
  /** The path ID of a 1-RTT packet under Multipath QUIC (RFC 10069), 0 otherwise. */
  pathId = 0;
  /** Reads the frames of the packet being processed. */
  readonly frames = new Reader(NO_BYTES);
  /**
   * Where the DCID of the packet lies (the RETIRE_CONNECTION_ID check, RFC 9000 §19.16): kept
   * as a position, so that receiving a packet makes no view of it.
   */
  private dcidBuf: Uint8Array = NO_BYTES;
  private dcidOffset = 0;
  private dcidLength = 0;

  /**
   * A datagram (or a replayed packet) from `remote` to `local`, of `size` bytes, with the ECN
   * codepoint `ecn`.
   */
  begin(local: SocketAddress, remote: SocketAddress, size: number, ecn: number): void {
    this.local = local;
    this.remote = remote;
    this.size = size;
    this.ecn = ecn;
  }

  /** The packet about to have its frames processed. */
  setPacket(packetType: PacketType, space: PnSpace, pn: number, pathId = 0): void {
    this.packetType = packetType;
    this.space = space;
    this.pn = pn;
    this.pathId = pathId;
  }

  setDcid(buf: Uint8Array, offset: number, length: number): void {
    this.dcidBuf = buf;
    this.dcidOffset = offset;
    this.dcidLength = length;
  }

  /** The DCID of the packet being processed (a view: valid while it is processed). */
  get dcid(): Uint8Array {
    return this.dcidBuf.subarray(this.dcidOffset, this.dcidOffset + this.dcidLength);
  }

  /** The datagram is done: drop every view of it, so that it is not kept alive until the next. */
  end(): void {
    this.local = NO_ADDRESS;
    this.remote = NO_ADDRESS;
    this.dcidBuf = NO_BYTES;
    this.dcidOffset = 0;
    this.dcidLength = 0;
    this.frames.reset(NO_BYTES);
  }
}
