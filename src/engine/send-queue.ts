/**
 * What an engine has to send, in the order it leaves: a datagram held back from a batch it did
 * not fit, then stateless datagrams (Version Negotiation, Retry, refusals, stateless resets;
 * bounded), then the connections that may have something to send, served round robin. It also
 * shapes batches (transmit-batch.ts) and keeps the caller's releases of what it handed out
 * (util/transmit-release.ts), which the connections' packet builders consult.
 */
import type { Transmit } from '../util/address.js';
import { TransmitRelease } from '../util/transmit-release.js';
import { TransmitBatcher, type TransmitBatch, type TransmitSource } from './transmit-batch.js';

/** Stateless datagrams waiting to be sent, at most: a flood must not grow the queue. */
const MAX_STATELESS_QUEUE = 256;

/** A sender of datagrams: a connection. */
export interface DatagramSender {
  /** Its next datagram, or null when it has nothing to send now. */
  poll(now: number): Transmit | null;
}

export class SendQueue<C extends DatagramSender> {
  /** The caller's releases of handed-out datagrams (Engine.releaseTransmits). */
  readonly release = new TransmitRelease();
  /** Senders that may have something to send, in turn; entries no longer in `queued` are skipped. */
  private readonly turns: C[] = [];
  private readonly queued = new Set<C>();
  private readonly stateless: Transmit[] = [];
  /** The sender whose datagram `next` returned last (null: a stateless one). */
  private lastPolled: C | null = null;
  /** A datagram polled for a batch it did not fit: the next `next` returns it. */
  private heldBack: Transmit | null = null;
  private readonly batcher = new TransmitBatcher(this.release);
  private readonly batchSource: TransmitSource = {
    next: (now) => this.next(now),
    again: (now) => this.again(now),
    putBack: (t) => {
      this.heldBack = t;
    },
  };

  /** `drained(sender)`: a queued sender had nothing more to send and left the queue. */
  constructor(private readonly drained: (sender: C) => void) {}

  /** Whether anything waits: the engine's timer is then due at once. */
  get pending(): boolean {
    return this.stateless.length > 0 || this.turns.length > 0 || this.heldBack !== null;
  }

  /** `sender` may have something to send (once in the queue however often it is added). */
  add(sender: C): void {
    if (this.queued.has(sender)) return;
    this.queued.add(sender);
    this.turns.push(sender);
  }

  /** `sender` is gone: its turn is skipped. */
  remove(sender: C): void {
    this.queued.delete(sender);
  }

  /** A stateless datagram; dropped when MAX_STATELESS_QUEUE wait already. */
  addStateless(t: Transmit): void {
    if (this.stateless.length < MAX_STATELESS_QUEUE) this.stateless.push(t);
  }

  /** The next datagram to send, or null when nothing is ready now. */
  next(now: number): Transmit | null {
    this.lastPolled = null;
    const held = this.heldBack;
    if (held !== null) {
      this.heldBack = null;
      return held;
    }
    const s = this.stateless.shift();
    if (s) return s;
    const q = this.turns;
    while (q.length > 0) {
      const sender = q[0]!;
      if (!this.queued.has(sender)) {
        q.shift();
        continue;
      }
      const d = sender.poll(now);
      if (d) {
        // Round robin: the sender goes to the back of the line.
        if (q.length > 1) q.push(q.shift()!);
        this.lastPolled = sender;
        return d;
      }
      q.shift();
      this.queued.delete(sender);
      this.drained(sender);
    }
    return null;
  }

  /** The next batch (transmit-batch.ts), at most `maxSegments` datagrams; null: nothing ready. */
  nextBatch(now: number, maxSegments?: number): TransmitBatch | null {
    return this.batcher.next(this.batchSource, now, maxSegments);
  }

  /**
   * The caller holds none of the datagrams handed out so far. A datagram held back here is not
   * the caller's to release: the release then waits for the next call.
   */
  released(): void {
    if (this.heldBack === null) this.release.epoch++;
  }

  /** The next datagram of the sender `next` served last (a batch's next), or null. */
  private again(now: number): Transmit | null {
    const sender = this.lastPolled;
    if (sender === null || !this.queued.has(sender)) return null;
    // Its bookkeeping when it has nothing more (drained) follows at the next `next`.
    return sender.poll(now);
  }
}
