/**
 * The datagram link between a multi-worker server's router thread and its workers (workers.ts).
 * Datagrams cross in batches: every datagram queued for one thread during an event-loop turn is
 * written into a ring of shared memory (one SharedArrayBuffer per direction and worker, made
 * once) and announced with one postMessage. A per-message cost of a few microseconds is then paid
 * once per batch rather than once per datagram, and no turn makes a buffer of its own: a fresh
 * ArrayBuffer per batch is external memory, which drove V8 to a mark-compact every few hundred
 * milliseconds (issue 14, as the engine's send slabs did).
 *
 * The ring: the writer puts each datagram whole at its head (wrapping to the start when the rest
 * of the ring is too short for it); the reader, done with a batch, publishes the position after it
 * (Atomics), and the writer reuses what lies behind that. A reader that falls behind leaves no room:
 * the writer drops and counts, as a full socket buffer would, and the memory stays the ring's.
 *
 * On the worker side a PortSocket stands in for the UDP socket of an ordinary server: its
 * endpoint receives and sends datagrams through the port as if it owned the router's socket.
 */
import type { MessagePort } from 'node:worker_threads';
import type { SocketAddress } from '../util/address.js';
import type { DatagramSocket, UdpHandlers } from './udp.js';

/** The two rings between the main thread and one worker. */
export interface DatagramRings {
  readonly toWorker: SharedArrayBuffer;
  readonly toMain: SharedArrayBuffer;
}

/** Control words at the ring's start: the reader's released position (Int32, mod 2^32). */
const CONTROL_BYTES = 8;

/** A ring of `bytes` (a power of two, so that positions mod 2^32 map onto it) for datagrams. */
export function createDatagramRing(bytes: number): SharedArrayBuffer {
  if (!Number.isInteger(Math.log2(bytes)) || bytes < 2048 || bytes > 2 ** 30)
    throw new RangeError(`a datagram ring is a power of two from 2 KiB to 1 GiB, not ${bytes}`);
  return new SharedArrayBuffer(CONTROL_BYTES + bytes);
}

/** Where a datagram of `length` octets at ring position `position` starts (it wraps if cut). */
function placeAt(position: number, length: number, size: number): number {
  const at = position & (size - 1);
  return at + length > size ? position + (size - at) : position;
}

/**
 * Datagrams of one turn, written in the ring from position `start` on: `lengths[i]` bytes for
 * `addresses[i]:ports[i]`.
 */
export interface DatagramBatch {
  readonly type: 'datagrams';
  readonly start: number;
  readonly lengths: number[];
  readonly addresses: string[];
  readonly ports: number[];
}

/** Writes datagrams into a ring until `take()`; when the reader has left no room, it drops. */
export class BatchWriter {
  private readonly data: Uint8Array;
  private readonly released: Int32Array;
  private readonly size: number;
  /** Octets written since the ring was made, mod 2^32. */
  private head = 0;
  private start = 0;
  private lengths: number[] = [];
  private addresses: string[] = [];
  private ports: number[] = [];
  /** Datagrams refused because the ring was full. */
  dropped = 0;

  constructor(ring: SharedArrayBuffer) {
    this.size = ring.byteLength - CONTROL_BYTES;
    this.data = new Uint8Array(ring, CONTROL_BYTES, this.size);
    this.released = new Int32Array(ring, 0, 1);
  }

  get isEmpty(): boolean {
    return this.lengths.length === 0;
  }

  /** Copies `data` into the ring; false (dropped) when the reader has left no room for it. */
  add(data: Uint8Array, remote: SocketAddress): boolean {
    const length = data.length;
    const at = placeAt(this.head, length, this.size);
    const end = (at + length) >>> 0;
    // What the reader still holds, and what this datagram would take (with the cut-off tail).
    if ((end - Atomics.load(this.released, 0)) >>> 0 > this.size) {
      this.dropped++;
      return false;
    }
    if (this.lengths.length === 0) this.start = this.head;
    this.data.set(data, at & (this.size - 1));
    this.head = end;
    this.lengths.push(length);
    this.addresses.push(remote.address);
    this.ports.push(remote.port);
    return true;
  }

  /** The batch so far, to post to the reader, or null when empty. */
  take(): DatagramBatch | null {
    if (this.lengths.length === 0) return null;
    const batch: DatagramBatch = {
      type: 'datagrams',
      start: this.start,
      lengths: this.lengths,
      addresses: this.addresses,
      ports: this.ports,
    };
    this.lengths = [];
    this.addresses = [];
    this.ports = [];
    return batch;
  }
}

/** Reads the batches a BatchWriter wrote in the same ring, and hands their room back. */
export class BatchReader {
  private readonly ring: SharedArrayBuffer;
  private readonly released: Int32Array;
  private readonly size: number;

  constructor(ring: SharedArrayBuffer) {
    this.ring = ring;
    this.size = ring.byteLength - CONTROL_BYTES;
    this.released = new Int32Array(ring, 0, 1);
  }

  /**
   * Calls `fn` for each datagram of `batch` (a view of the ring: valid until released; a sender's
   * address object is shared by a run) and returns the position after the batch, for release().
   */
  forEach(batch: DatagramBatch, fn: (data: Uint8Array, remote: SocketAddress) => void): number {
    let position = batch.start;
    let remote: SocketAddress = { address: '', port: 0 };
    const mask = this.size - 1;
    for (let i = 0; i < batch.lengths.length; i++) {
      const length = batch.lengths[i]!;
      const address = batch.addresses[i]!;
      const port = batch.ports[i]!;
      if (address !== remote.address || port !== remote.port) remote = { address, port };
      position = placeAt(position, length, this.size);
      fn(new Uint8Array(this.ring, CONTROL_BYTES + (position & mask), length), remote);
      position = (position + length) >>> 0;
    }
    return position;
  }

  /** The writer may reuse the ring up to `position` (batches are released in their order). */
  release(position: number): void {
    Atomics.store(this.released, 0, position | 0);
  }
}

/** Whether a message from the other thread is a datagram batch. */
export function isDatagramBatch(m: unknown): m is DatagramBatch {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'datagrams';
}

/**
 * A worker's socket: the router's address, datagrams in and out through `port`. Sends made
 * during one turn leave as one batch at the end of it (a microtask after the endpoint's flush).
 */
export class PortSocket implements DatagramSocket {
  private readonly out: BatchWriter;
  private readonly in: BatchReader;
  private flushQueued = false;
  private closed = false;
  private readonly deliver = (data: Uint8Array, remote: SocketAddress): void =>
    this.handlers.message(data, remote, this);
  private readonly onPortMessage = (m: unknown): void => {
    if (this.closed || !isDatagramBatch(m)) return;
    // The endpoint copies what it keeps of a datagram (as from the native socket's buffer).
    this.in.release(this.in.forEach(m, this.deliver));
    if (!this.closed) this.handlers.burstEnd?.(this, true); // each batch is a message of its own
  };

  constructor(
    private readonly port: MessagePort,
    rings: DatagramRings,
    readonly local: SocketAddress,
    private readonly handlers: UdpHandlers,
  ) {
    this.out = new BatchWriter(rings.toMain);
    this.in = new BatchReader(rings.toWorker);
    port.on('message', this.onPortMessage);
  }

  get dropped(): number {
    return this.out.dropped;
  }

  send(data: Uint8Array, remote: SocketAddress): boolean {
    if (this.closed || !this.out.add(data, remote)) return false;
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(this.flush);
    }
    return true;
  }

  /** send() copies each datagram into the ring: none of the engine's memory stays here. */
  holdsSends(): boolean {
    return false;
  }

  private readonly flush = (): void => {
    this.flushQueued = false;
    const batch = this.out.take();
    if (batch !== null) this.port.postMessage(batch);
  };

  connect(): Promise<void> {
    return Promise.reject(new Error('a worker socket serves a server; it cannot connect'));
  }

  ref(): void {
    this.port.ref();
  }

  unref(): void {
    this.port.unref();
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.port.off('message', this.onPortMessage);
  }
}
