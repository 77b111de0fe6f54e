/**
 * The datagram link between a multi-worker server's router thread and its workers (workers.ts).
 * Datagrams cross in batches: every datagram queued for one thread during an event-loop turn is
 * packed into one ArrayBuffer that is transferred, not copied, with one postMessage. A per-message
 * cost of a few microseconds is then paid once per batch rather than once per datagram.
 *
 * On the worker side a PortSocket stands in for the UDP socket of an ordinary server: its
 * endpoint receives and sends datagrams through the port as if it owned the router's socket.
 */
import type { MessagePort } from 'node:worker_threads';
import type { SocketAddress } from '../util/address.js';
import type { DatagramSocket, UdpHandlers } from './udp.js';

/** Datagrams of one turn, packed: `lengths[i]` bytes from `buf` for `addresses[i]:ports[i]`. */
export interface DatagramBatch {
  readonly type: 'datagrams';
  readonly buf: ArrayBuffer;
  readonly lengths: number[];
  readonly addresses: string[];
  readonly ports: number[];
}

/** Collects datagrams into one buffer until `take()`; beyond `maxBytes` it drops. */
export class BatchWriter {
  private buf: Uint8Array;
  private used = 0;
  private lengths: number[] = [];
  private addresses: string[] = [];
  private ports: number[] = [];
  /** Datagrams refused because the batch was full. */
  dropped = 0;

  constructor(
    private readonly maxBytes = 8 * 1024 * 1024,
    initialBytes = 64 * 1024,
  ) {
    this.buf = new Uint8Array(initialBytes);
  }

  get isEmpty(): boolean {
    return this.lengths.length === 0;
  }

  /** Copies `data` into the batch; false (dropped) when the batch is full. */
  add(data: Uint8Array, remote: SocketAddress): boolean {
    const need = this.used + data.length;
    if (need > this.maxBytes) {
      this.dropped++;
      return false;
    }
    if (need > this.buf.length) {
      const grown = new Uint8Array(Math.min(this.maxBytes, Math.max(need, this.buf.length * 2)));
      grown.set(this.buf.subarray(0, this.used));
      this.buf = grown;
    }
    this.buf.set(data, this.used);
    this.used = need;
    this.lengths.push(data.length);
    this.addresses.push(remote.address);
    this.ports.push(remote.port);
    return true;
  }

  /** The batch so far (its buffer is handed over: transfer it), or null when empty. */
  take(): DatagramBatch | null {
    if (this.lengths.length === 0) return null;
    const batch: DatagramBatch = {
      type: 'datagrams',
      buf: this.buf.buffer.slice(0, this.used) as ArrayBuffer,
      lengths: this.lengths,
      addresses: this.addresses,
      ports: this.ports,
    };
    this.used = 0;
    this.lengths = [];
    this.addresses = [];
    this.ports = [];
    return batch;
  }
}

/** Calls `fn` for each datagram of `batch`; a sender's address object is shared by a run. */
export function forEachDatagram(
  batch: DatagramBatch,
  fn: (data: Uint8Array, remote: SocketAddress) => void,
): void {
  let offset = 0;
  let remote: SocketAddress = { address: '', port: 0 };
  for (let i = 0; i < batch.lengths.length; i++) {
    const length = batch.lengths[i]!;
    const address = batch.addresses[i]!;
    const port = batch.ports[i]!;
    if (address !== remote.address || port !== remote.port) remote = { address, port };
    fn(new Uint8Array(batch.buf, offset, length), remote);
    offset += length;
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
  private readonly out = new BatchWriter();
  private flushQueued = false;
  private closed = false;
  private readonly onPortMessage = (m: unknown): void => {
    if (this.closed || !isDatagramBatch(m)) return;
    forEachDatagram(m, (data, remote) => this.handlers.message(data, remote, this));
  };

  constructor(
    private readonly port: MessagePort,
    readonly local: SocketAddress,
    private readonly handlers: UdpHandlers,
  ) {
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

  /** send() copies each datagram into the batch: none of the engine's memory stays here. */
  holdsSends(): boolean {
    return false;
  }

  private readonly flush = (): void => {
    this.flushQueued = false;
    const batch = this.out.take();
    if (batch !== null) this.port.postMessage(batch, [batch.buf]);
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
