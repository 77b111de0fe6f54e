/**
 * Datagrams assembled ahead of sending, so that their 1-RTT packets are protected in batches:
 * one AEAD call and one header-protection call for up to MAX_BATCH_PACKETS packets (the
 * provider's sealBatch and maskBatch, which the native backend does in one trip into C) instead
 * of two calls per packet.
 *
 * A poll that finds nothing ready assembles datagrams until the connection has nothing more to
 * send at that `now` (window, pacer, data) or the queue is full; the 1-RTT packets among them are
 * queued unprotected (`defer`), then all are protected (`seal`) and the datagrams handed out in
 * order (`shift`), the first at once and the rest by the following polls. Everything recorded
 * about a packet when it is assembled (sent-packet record, packet number, keys' packet count)
 * is what per-packet protection records: only the moment its bytes are encrypted moves.
 */
import {
  MAX_BATCH_PACKETS,
  ProtectionBatch,
  type PacketProtector,
} from '../crypto/packet-protection.js';
import type { SocketAddress } from '../util/address.js';

/** A datagram a connection hands out to be sent (assemble.ts builds them). */
export interface OutgoingDatagram {
  data: Uint8Array;
  remote: SocketAddress;
  local: SocketAddress;
  /** The IP ECN codepoint to send with (RFC 9000 §13.4: ECT(0) while ECN is tested or validated). */
  ecn: number;
}

/** Datagrams assembled in one go, at most: one GSO batch (engine/transmit-batch.ts). */
export const MAX_AHEAD_DATAGRAMS = MAX_BATCH_PACKETS;

const NO_BYTES = new Uint8Array(0);

export class AheadQueue {
  /** 1-RTT packets written and not yet protected, all under `keys` in `buf`. */
  private readonly batch = new ProtectionBatch();
  private keys: PacketProtector | null = null;
  private buf: Uint8Array = NO_BYTES;
  /**
   * Datagrams assembled and not yet handed out: a ring of `count` from `head` on, of fixed size
   * so that filling and draining it never resizes an array.
   */
  private readonly ready: (OutgoingDatagram | null)[] = new Array<OutgoingDatagram | null>(
    MAX_AHEAD_DATAGRAMS,
  ).fill(null);
  private head = 0;
  private count = 0;

  /** Datagrams waiting to be handed out. */
  get length(): number {
    return this.count;
  }

  /** Whether assembly should stop: the queue holds a full batch of datagrams. */
  get full(): boolean {
    return this.count === MAX_AHEAD_DATAGRAMS;
  }

  /**
   * Queues one written 1-RTT packet of `buf` for protection under `keys` (see
   * PacketProtector.protect for the arguments). A batch holds one buffer and one key phase: a
   * packet with others, or one past a full batch, first protects what is queued. Returns the end
   * of the protected packet.
   */
  defer(
    keys: PacketProtector,
    buf: Uint8Array,
    packetStart: number,
    pnOffset: number,
    payloadEnd: number,
    pn: number,
  ): number {
    if (keys !== this.keys || buf !== this.buf || this.batch.full) {
      this.seal();
      this.keys = keys;
      this.buf = buf;
    }
    return keys.queue(this.batch, buf, packetStart, pnOffset, payloadEnd, pn);
  }

  /** Protects every queued packet; after it, every datagram in the queue may be sent. */
  seal(): void {
    const keys = this.keys;
    if (keys === null) return;
    keys.protectQueued(this.buf, this.batch);
    this.keys = null;
    this.buf = NO_BYTES;
  }

  /**
   * Adds an assembled datagram; it is handed out only after `seal`. Throws a RangeError when
   * the queue is `full` (assembly stops before).
   */
  push(d: OutgoingDatagram): void {
    if (this.count === MAX_AHEAD_DATAGRAMS) throw new RangeError('ahead queue full');
    this.ready[(this.head + this.count++) % MAX_AHEAD_DATAGRAMS] = d;
  }

  /** The oldest datagram not handed out, or null. Call `seal` first. */
  shift(): OutgoingDatagram | null {
    if (this.count === 0) return null;
    const d = this.ready[this.head]!;
    // Not kept alive by the queue once handed out.
    this.ready[this.head] = null;
    this.head = (this.head + 1) % MAX_AHEAD_DATAGRAMS;
    this.count--;
    return d;
  }
}
