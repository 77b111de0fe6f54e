/**
 * A worker's socket in a steered multi-worker server (workers.ts on the native backend): the
 * worker's own native socket of the server's SO_REUSEPORT group, which the kernel's steering
 * program (steering-bpf.ts) fills with the datagrams whose QUIC-LB CID names this worker.
 *
 * What the kernel could not steer (an encrypted configuration, a group that changed under a
 * reload, a client-chosen CID that reached a generation that drains) is checked here by the
 * same rule: a datagram whose CID names another live worker, or that is a new client's while
 * this worker drains, goes to the main thread, which hands it to the right worker; datagrams the
 * main thread forwards to this worker arrive through the port and are taken as they are. Sends
 * leave on the native socket directly (every socket of the group has the server's address).
 */
import type { MessagePort } from 'node:worker_threads';
import { MAX_SERVER_ID_LENGTH, type QuicLbConfig } from '../lb/config.js';
import { QuicLbDecoder } from '../lb/decoder.js';
import type { SocketAddress } from '../util/address.js';
import { NativeUdpSocket } from './native-udp.js';
import type { DatagramSocket, UdpHandlers, UdpSocketOptions } from './udp.js';
import { BatchReader, BatchWriter, isDatagramBatch, type DatagramRings } from './worker-socket.js';

/** The live generations of the server: their QUIC-LB configurations and worker counts. */
export interface LiveRoutes {
  readonly type: 'routes';
  readonly generations: readonly { lb: QuicLbConfig; workers: number }[];
}

export class SteeredSocket implements DatagramSocket {
  private readonly native: NativeUdpSocket;
  private readonly toMain: BatchWriter;
  private readonly fromMain: BatchReader;
  private flushQueued = false;
  private closed = false;
  private decoder: QuicLbDecoder;
  /** Workers per live config rotation codepoint. */
  private workers: number[] = [];
  private draining = false;
  /** isMine's scratch: the server ID of the datagram at hand (one octet: the worker index). */
  private readonly serverId = new Uint8Array(MAX_SERVER_ID_LENGTH);
  /** Datagrams this socket read, of them those it sent to the main thread or that named no worker. */
  received = 0;
  forwarded = 0;
  unrouted = 0;

  private readonly deliver = (data: Uint8Array, remote: SocketAddress): void =>
    this.handlers.message(data, remote, this);
  private readonly onPortMessage = (m: unknown): void => {
    if (this.closed) return;
    if (isDatagramBatch(m)) {
      // The endpoint copies what it keeps of a datagram (as from the native socket's buffer).
      this.fromMain.release(this.fromMain.forEach(m, this.deliver));
    } else if ((m as { type?: unknown }).type === 'routes') {
      this.setRoutes(m as LiveRoutes);
    }
  };

  constructor(
    private readonly port: MessagePort,
    rings: DatagramRings,
    fd: number,
    host: string,
    opts: UdpSocketOptions,
    private readonly handlers: UdpHandlers,
    /** This worker: its generation's config rotation codepoint and its server ID. */
    private readonly me: { configId: number; serverId: number },
    routes: LiveRoutes,
  ) {
    this.toMain = new BatchWriter(rings.toMain);
    this.fromMain = new BatchReader(rings.toWorker);
    this.native = NativeUdpSocket.adopt(fd, host, opts, {
      message: (data, remote, _s, ecn) => this.onNative(data, remote, ecn),
      error: (err) => handlers.error(err, this),
    });
    this.decoder = new QuicLbDecoder([]);
    this.setRoutes(routes);
    port.on('message', this.onPortMessage);
  }

  get local(): SocketAddress {
    return this.native.local;
  }

  /** Datagrams sent. */
  get sent(): number {
    return this.native.datagramsSent;
  }

  get dropped(): number {
    return this.native.dropped + this.toMain.dropped;
  }

  /** New connections are the current generation's: those this worker reads go to it. */
  drain(): void {
    this.draining = true;
  }

  private setRoutes(r: LiveRoutes): void {
    this.decoder = new QuicLbDecoder(r.generations.map((g) => g.lb));
    this.workers = [];
    for (const g of r.generations) this.workers[g.lb.configId] = g.workers;
  }

  private onNative(data: Uint8Array, remote: SocketAddress, ecn: number | undefined): void {
    this.received++;
    if (this.isMine(data)) {
      this.handlers.message(data, remote, this, ecn);
      return;
    }
    // The main thread routes it as the steering program would have (workers.ts route()).
    this.forwarded++;
    this.toMain.add(data, remote);
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(this.flush);
    }
  }

  /**
   * Whether this worker takes `data`: its CID names this worker, or it names no live worker
   * (a client's first Initials, a CID of a server that is gone) while this worker takes new
   * connections.
   */
  private isMine(data: Uint8Array): boolean {
    // Per datagram: the allocation-free decision (route() would make a route object).
    const configId = this.decoder.routeInto(data, this.serverId);
    const serverId = this.serverId[0]!;
    if (configId < 0 || serverId >= (this.workers[configId] ?? 0)) {
      this.unrouted++;
      return !this.draining;
    }
    return configId === this.me.configId && serverId === this.me.serverId;
  }

  private readonly flush = (): void => {
    this.flushQueued = false;
    const batch = this.toMain.take();
    if (batch !== null) this.port.postMessage(batch);
  };

  send(data: Uint8Array, remote: SocketAddress): boolean {
    return this.native.send(data, remote);
  }

  sendBatch(data: Uint8Array, segmentSize: number, remote: SocketAddress, ecn?: number): boolean {
    return this.native.sendBatch(data, segmentSize, remote, ecn);
  }

  flushSends(): void {
    this.native.flushSends();
  }

  /**
   * What the native socket still queues. Without it the endpoint takes every datagram as held
   * and never lets the engine write its slabs again (Engine.releaseTransmits): a new slab per
   * ~180 datagrams, whose external memory V8 answered with a mark-compact every ~100 ms.
   */
  holdsSends(): boolean {
    return this.native.holdsSends();
  }

  connect(): Promise<void> {
    return Promise.reject(new Error('a worker socket serves a server; it cannot connect'));
  }

  ref(): void {
    this.native.ref();
    this.port.ref();
  }

  unref(): void {
    this.native.unref();
    this.port.unref();
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.port.off('message', this.onPortMessage);
    this.native.close();
  }
}
