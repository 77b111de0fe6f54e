/**
 * A multi-worker server: N worker threads each run an ordinary tsquic/node server (one Engine),
 * and every datagram reaches the worker holding its connection. Two designs:
 *
 * - kernel steering (the native socket on Linux): each worker reads and sends on its own socket
 *   of one SO_REUSEPORT group, and a classic BPF program (steering-bpf.ts) makes the kernel
 *   deliver each datagram to the socket of the worker its CID names; a worker forwards what the
 *   kernel could not steer through this thread (steered-socket.ts), so datagrams cross threads
 *   only by exception;
 * - a router thread (node:dgram, which cannot join a reuseport group on Node 20): this thread
 *   owns the socket, reads each datagram's Destination Connection ID and hands the datagram to
 *   the worker holding the connection, and sends what the workers send.
 *
 * Either way the routing rule is the same:
 *
 * - every CID a worker issues is a QUIC-LB CID (draft-ietf-quic-load-balancers-21) whose server
 *   ID is the worker's index, so the router decodes it (§4.1) — also after NAT rebinding or
 *   migration, where the address changes and the CID still names the worker;
 * - the client's own DCID of its first Initials (and 0-RTT) carries no server ID: the router
 *   hashes it (§4.3's fallback), which sends a client's retransmitted Initials to one worker and
 *   spreads new clients evenly.
 *
 * Datagrams cross between threads in batches (worker-socket.ts). Workers share key material
 * (key-material.ts): a session ticket, Retry or NEW_TOKEN token one worker minted is good at any
 * other, and any worker can reset a connection another one lost.
 *
 * Functions cannot cross into a thread, so the application's side of the server lives in a
 * module: its default export `(server: QuicServer, data) => void` runs in every worker before
 * it listens, and adds its 'connection' handler there.
 */
import { EventEmitter } from 'node:events';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { generateKeyMaterial, type KeyMaterial } from '../engine/key-material.js';
import { defaultProvider } from '../crypto/default-provider.js';
import { QuicLbDecoder } from '../lb/decoder.js';
import { MAX_SERVER_ID_LENGTH } from '../lb/config.js';
import type { QuicLbConfig, QuicLbServerConfig } from '../lb/index.js';
import type { SocketAddress } from '../util/address.js';
import { QuicNodeError } from './errors.js';
import { ReusePortGroup } from './reuseport-group.js';
import type { ServerOptions } from './server.js';
import { chooseSocket } from './socket-choice.js';
import type { LiveRoutes } from './steered-socket.js';
import { UdpSocket, type UdpSocketOptions } from './udp.js';
import {
  BatchReader,
  BatchWriter,
  createDatagramRing,
  isDatagramBatch,
  type DatagramRings,
} from './worker-socket.js';
import { copyBytes } from '../util/bytes.js';

/** What a worker's server may be configured with: everything that can cross into a thread. */
export type WorkerServerConfig = Omit<
  ServerOptions,
  | 'certificate'
  | 'selectCertificate'
  | 'ticketKeys'
  | 'keyLog'
  | 'qlog'
  | 'crypto'
  | 'bindSocket'
  | 'quicLb'
  | 'keys'
  | 'statelessResetKey'
  | 'socket'
  | 'bindSocketKind'
  | 'ticketApplication'
>;

export interface WorkerServerOptions {
  /** Worker threads; default the number of cores (os.availableParallelism()). At most 255. */
  workers?: number;
  /** The application's module (path or file: URL): `export default (server, data) => { ... }`. */
  module: string | URL;
  /** Passed to the module's function in every worker (structured-cloneable). */
  moduleData?: unknown;
  /** The workers' server options (certificates as PEM text or bytes, ALPN, limits, ...). */
  server: WorkerServerConfig;
  /**
   * The QUIC-LB configuration of the workers' CIDs (config rotation codepoint, nonce length,
   * an optional AES key); the server ID is one octet, the worker's index. Default: codepoint 0,
   * 7-octet nonce, no key (the server ID a CID carries says only which worker holds it).
   */
  quicLb?: Omit<QuicLbConfig, 'serverIdLength'>;
  /** Kernel buffer sizes and the send queue bound of the UDP socket. */
  socket?: UdpSocketOptions;
  /**
   * Key material every worker (and every generation) shares: session tickets, Retry and
   * NEW_TOKEN tokens and stateless resets work whichever worker receives the packet. Default:
   * fresh keys for this server (`generateKeyMaterial`); give a key file's to share them further.
   */
  keys?: KeyMaterial;
  /**
   * How datagrams reach the workers: 'kernel' (each worker's own socket in a SO_REUSEPORT group
   * steered by CID; needs the native socket) or 'router' (this thread reads and routes). Default
   * 'kernel' where the endpoints would use the native socket, else 'router'.
   */
  steering?: 'kernel' | 'router';
}

/** Per-worker figures of `getStats()`. */
export interface WorkerStats {
  worker: number;
  /** Connections alive now. */
  connections: number;
  /** Connections accepted since the start. */
  accepted: number;
  /** Time the worker's event loop was busy, ms (its CPU, near enough). */
  busyMs: number;
  /** Kernel steering: datagrams its socket read, sent, and forwarded to another worker. */
  datagramsIn: number;
  datagramsOut: number;
  forwarded: number;
  /** Kernel steering: datagrams read whose CID named no live worker (the kernel hashed them). */
  hashedIn: number;
}

export interface WorkerServerStats {
  /** The design in use (WorkerServerOptions.steering). */
  steering: 'kernel' | 'router';
  workers: WorkerStats[];
  /** The sum over workers. */
  total: Omit<WorkerStats, 'worker'>;
  /** Datagrams received for the workers (router: by this thread; kernel: by their sockets). */
  datagramsIn: number;
  /** Datagrams sent for the workers. */
  datagramsOut: number;
  /** Received datagrams whose CID named no worker (first Initials, 0-RTT): routed by hash. */
  hashedIn: number;
  /**
   * Kernel steering: datagrams a worker read and handed to another through this thread (the
   * kernel could not steer them); their share of datagramsIn says how well steering works.
   */
  forwarded: number;
  /** Reloads completed (new generations of workers). */
  reloads: number;
}

/** @internal What a worker is started with. */
export interface WorkerInit {
  index: number;
  local: SocketAddress;
  module: string;
  moduleData: unknown;
  server: WorkerServerConfig;
  quicLb: QuicLbServerConfig;
  keys: KeyMaterial;
  /** The datagram rings between the main thread and this worker (worker-socket.ts). */
  rings: DatagramRings;
  /** Kernel steering: the worker's socket of the group and the live generations. */
  steered?: { fd: number; routes: LiveRoutes };
}

/** @internal Router → worker. */
export type RouterCommand =
  | { type: 'stats'; id: number }
  /** `code` undefined: each connection's own clean code (Connection.gracefulCloseCode). */
  | { type: 'close'; code: number | undefined; reason: string }
  | { type: 'drain'; timeoutMs: number }
  /** The whole server drains: refuse new clients, report once no connection is left, stay. */
  | { type: 'refuse' }
  | LiveRoutes;

/** @internal Worker → router (besides datagram batches). */
export type WorkerReport =
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  | { type: 'closed' }
  /** After 'refuse': the worker's last connection has ended. */
  | { type: 'drained' }
  | { type: 'stats'; id: number; stats: WorkerStats };

interface WorkerSlot {
  readonly worker: Worker;
  /** Datagrams for the worker. */
  readonly out: BatchWriter;
  /** Datagrams from the worker. */
  readonly in: BatchReader;
  /**
   * Router: the ring position up to which the worker's datagrams were handed to the socket, which
   * references them until its sends complete (sendsDone); -1 when nothing waits.
   */
  releaseWhenSent: number;
  ready: boolean;
  /**
   * The worker has closed its port (its server closed) or exited: it answers nothing more, so
   * stats requests to it are answered for it.
   */
  gone: boolean;
  /** Ids of the stats requests it has not answered yet. */
  readonly statsPending: Set<number>;
  exited: Promise<void>;
  /** Resolves when the worker reports 'drained' or leaves. */
  readonly drained: Promise<void>;
  readonly markDrained: () => void;
}

/** The workers started together under one config rotation codepoint (§3.1). */
interface Generation {
  readonly lb: QuicLbConfig;
  readonly slots: WorkerSlot[];
  /** Kernel steering: the workers' sockets of the group, by worker index. */
  readonly fds: number[];
}

/** What a generation is started with; a reload may change it. */
export interface GenerationSpec {
  server: WorkerServerConfig;
  moduleData: unknown;
}

const DEFAULT_NONCE_LENGTH = 7;
/** Config rotation codepoints 0..6 (7 marks unroutable CIDs, §3.1). */
const CONFIG_IDS = 7;

/** @internal The first config rotation codepoint after `from` that no generation in `live` holds. */
export function nextFreeConfigId(
  from: number,
  live: readonly { lb: { configId: number } }[],
): number | null {
  for (let step = 1; step < CONFIG_IDS; step++) {
    const id = (from + step) % CONFIG_IDS;
    if (!live.some((g) => g.lb.configId === id)) return id;
  }
  return null;
}

/** The events of a WorkerServer and their arguments. */
export interface WorkerServerEvents {
  /** A worker failed. */
  error: [error: Error];
  /** The port is bound and the workers run. */
  listening: [];
  /** A reload started a new generation under this config rotation codepoint. */
  reload: [configId: number];
  /** The server closed. */
  close: [];
}

export class WorkerServer extends EventEmitter<WorkerServerEvents> {
  private readonly options: WorkerServerOptions;
  private readonly count: number;
  private readonly lbBase: Omit<QuicLbConfig, 'configId'> & { configId: number };
  /** How datagrams reach the workers (WorkerServerOptions.steering). */
  readonly steering: 'kernel' | 'router';
  /** Router design: the socket this thread reads. */
  private socket: UdpSocket | null = null;
  /** Kernel steering: the workers' sockets. */
  private group: ReusePortGroup | null = null;
  /** Live generations, oldest first; the last takes new connections. */
  private generations: Generation[] = [];
  private decoder: QuicLbDecoder | null = null;
  /** slotFor's scratch: the server ID of the datagram at hand (one octet: the worker index). */
  private readonly serverId = new Uint8Array(MAX_SERVER_ID_LENGTH);
  private spec: GenerationSpec;
  private readonly keys: KeyMaterial;
  private flushQueued = false;
  private closing: Promise<void> | null = null;
  private released = false;
  private reloading: Promise<void> = Promise.resolve();
  private datagramsIn = 0;
  private datagramsOut = 0;
  private hashedIn = 0;
  private forwarded = 0;
  /**
   * Datagrams that arrived between the bind and the first generation's start (a client that
   * sees the port bound and connects at once): routed once the workers exist, instead of being
   * dropped and waiting out the client's Initial PTO. Bounded like a socket buffer.
   */
  private early: { data: Uint8Array; remote: SocketAddress }[] = [];
  private reloads = 0;
  private nextStatsId = 1;
  private readonly statsWaiters = new Map<number, (s: WorkerStats) => void>();

  constructor(options: WorkerServerOptions) {
    super();
    const count = options.workers ?? availableParallelism();
    if (!Number.isInteger(count) || count < 1 || count > 255) {
      throw new RangeError(`workers must be an integer from 1 to 255, got ${count}`);
    }
    this.count = count;
    this.options = options;
    this.lbBase = {
      nonceLength: DEFAULT_NONCE_LENGTH,
      configId: 0,
      ...options.quicLb,
      serverIdLength: 1,
    };
    this.spec = { server: options.server, moduleData: options.moduleData };
    this.keys = options.keys ?? generateKeyMaterial();
    this.steering = options.steering ?? (kernelSteeringAvailable() ? 'kernel' : 'router');
    if (this.steering === 'kernel' && ReusePortGroup.addon() === null) {
      throw new QuicNodeError('ERR_QUIC_SOCKET', 'kernel steering needs the native UDP socket');
    }
  }

  /** The number of worker threads (of the current generation). */
  get workers(): number {
    return this.count;
  }

  /** The bound address, or null before listen(). */
  address(): SocketAddress | null {
    return this.group?.local ?? this.socket?.local ?? null;
  }

  /** Binds the UDP socket, starts the workers and resolves once every one is serving. */
  async listen(port = 0, host = '0.0.0.0'): Promise<SocketAddress> {
    if (this.socket !== null || this.group !== null)
      throw new QuicNodeError('ERR_QUIC_SOCKET', 'server already listening');
    let fds: number[] = [];
    if (this.steering === 'kernel') {
      const opened = ReusePortGroup.open(host, port, this.count, this.options.socket ?? {});
      this.group = opened.group;
      fds = opened.fds;
      // The program goes on before any worker runs: a client that sends as soon as the port is
      // bound would otherwise have its first Initials spread by the kernel's 4-tuple hash and
      // its retransmissions by the program's DCID hash, and two workers would each answer it
      // with a handshake of their own.
      opened.group.steer({
        generations: [{ configId: this.lbBase.configId, fds }],
        current: fds,
        plaintext: this.lbBase.key === undefined,
      });
    } else {
      this.socket = await UdpSocket.bind(host, port, this.options.socket ?? {}, {
        message: (data, remote) => {
          this.datagramsIn++;
          this.route(data, remote);
        },
        error: (err) => this.emit('error', err),
        sendsDone: () => this.releaseSent(),
      });
    }
    try {
      this.adopt(await this.startGeneration(this.lbBase.configId, fds));
    } catch (e) {
      this.socket?.close();
      this.socket = null;
      this.group?.close();
      this.group = null;
      throw e;
    }
    this.emit('listening');
    return this.address()!;
  }

  /**
   * Starts a new generation of workers (with `changes`: a new certificate, new options) under
   * the next config rotation codepoint; once it serves, it takes every new connection while the
   * old generation keeps its connections to their end (by default with no time limit; or
   * `drainTimeoutMs`, then closes them gracefully) and exits. No connection is dropped: the CIDs
   * of the old connections keep naming their old workers. Reloads run one after another.
   */
  reload(changes: Partial<GenerationSpec> = {}, drainTimeoutMs = Infinity): Promise<void> {
    const run = this.reloading.then(async () => {
      if (this.address() === null || this.closing !== null) {
        throw new QuicNodeError('ERR_QUIC_CLOSED', 'reload needs a listening server');
      }
      const current = this.generations[this.generations.length - 1]!;
      // The next codepoint no live generation holds: after seven reloads the sequence wraps
      // to codepoints whose generations left long ago.
      const configId = nextFreeConfigId(current.lb.configId, this.generations);
      if (configId === null) {
        throw new QuicNodeError('ERR_QUIC_SOCKET', 'too many generations still draining');
      }
      const previous = this.spec;
      this.spec = { ...this.spec, ...changes };
      let next: Generation;
      const fds = this.group?.add(this.count) ?? [];
      try {
        next = await this.startGeneration(configId, fds);
      } catch (e) {
        this.spec = previous;
        for (const fd of fds) this.group?.remove(fd);
        throw e;
      }
      if (this.closing !== null) {
        // Destroyed or drained while the new generation started: it never serves. Its sockets
        // close once no thread reads them.
        await Promise.all(next.slots.map((slot) => slot.worker.terminate()));
        for (const fd of fds) this.group?.remove(fd);
        throw new QuicNodeError('ERR_QUIC_CLOSED', 'the server closed during the reload');
      }
      this.adopt(next);
      this.reloads++;
      this.retire(current, drainTimeoutMs);
      this.emit('reload', configId);
    });
    this.reloading = run.catch(() => {});
    return run;
  }

  /**
   * Per-worker figures (every live worker, oldest generation first) and the whole server's. A
   * worker that has left (a drained generation, a closing server) is not waited for.
   */
  async getStats(): Promise<WorkerServerStats> {
    // Behind a drain or close begun before this call (they too wait for a reload under way):
    // the workers see their command before the stats request.
    await this.reloading;
    const slots = this.generations.flatMap((g) => g.slots).filter((s) => !s.gone);
    const workers = await Promise.all(
      slots.map((slot) => {
        const id = this.nextStatsId++;
        return new Promise<WorkerStats>((resolve) => {
          this.statsWaiters.set(id, resolve);
          slot.statsPending.add(id);
          slot.worker.postMessage({ type: 'stats', id } satisfies RouterCommand);
        });
      }),
    );
    const total = { ...NO_STATS };
    for (const w of workers) {
      for (const k of Object.keys(total) as (keyof typeof total)[]) total[k] += w[k];
    }
    const kernel = this.steering === 'kernel';
    return {
      steering: this.steering,
      workers: workers.filter((w) => w.worker >= 0),
      total,
      datagramsIn: kernel ? total.datagramsIn : this.datagramsIn,
      datagramsOut: kernel ? total.datagramsOut : this.datagramsOut,
      hashedIn: kernel ? total.hashedIn : this.hashedIn,
      forwarded: this.forwarded,
      reloads: this.reloads,
    };
  }

  /**
   * Every worker closes its server gracefully (connections closed with `code`, by default each
   * one's own clean code as in QuicServer.close(); new clients refused), then the workers exit
   * and the socket is released.
   */
  close(code?: number, reason = 'server closing'): Promise<void> {
    this.closing ??= (async () => {
      await this.reloading;
      const slots = this.generations.flatMap((g) => g.slots);
      for (const slot of slots) {
        slot.worker.postMessage({ type: 'close', code, reason } satisfies RouterCommand);
      }
      await Promise.all(slots.map((s) => s.exited));
      this.release();
    })();
    return this.closing;
  }

  /**
   * Stops taking new connections (new clients are refused, RFC 9000 §10.2) and lets every live
   * connection, of every generation, run to its end; after `timeoutMs` (Infinity: no limit) the
   * rest are closed gracefully with `code` (by default each one's own clean code: H3_NO_ERROR
   * under HTTP/3). Then the workers exit and the socket is released.
   */
  drain(timeoutMs = 60_000, code?: number, reason = 'server draining'): Promise<void> {
    this.closing ??= (async () => {
      await this.reloading;
      const slots = this.generations.flatMap((g) => g.slots);
      // Every worker (of every generation: an old one may be draining already) refuses new
      // clients and stays, so that whichever one a new client reaches answers it, until the
      // last connection of all has ended or the limit comes.
      for (const slot of slots) slot.worker.postMessage({ type: 'refuse' } satisfies RouterCommand);
      let timer: NodeJS.Timeout | undefined;
      // setTimeout turns anything above 2^31-1 ms into 1 ms: an unbounded drain has no timer.
      const late = Number.isFinite(timeoutMs)
        ? new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))
        : new Promise<void>(() => {});
      await Promise.race([Promise.all(slots.map((s) => s.drained)), late]);
      clearTimeout(timer);
      // Past the limit, what is left closes gracefully with `code`.
      for (const slot of slots) {
        slot.worker.postMessage({ type: 'close', code, reason } satisfies RouterCommand);
      }
      await Promise.all(slots.map((s) => s.exited));
      this.release();
    })();
    return this.closing;
  }

  /**
   * Stops at once: the workers are terminated (their connections vanish without a
   * CONNECTION_CLOSE; the clients find out by idle timeout or stateless reset) and the socket is
   * released. Also ends a close() or drain() in progress.
   */
  destroy(): Promise<void> {
    const slots = this.generations.flatMap((g) => g.slots);
    const terminated = Promise.all(slots.map((s) => s.worker.terminate())).then(() => {});
    this.closing ??= terminated.then(() => this.release());
    // A close or drain under way resolves once the workers have exited, which they now do.
    return terminated.then(() => this.closing!);
  }

  /** The workers have exited: the sockets go (the workers read them until now). */
  private release(): void {
    if (this.released) return;
    this.released = true;
    this.socket?.close();
    this.group?.close();
    this.emit('close');
  }

  private async startGeneration(configId: number, fds: number[]): Promise<Generation> {
    const local = this.address()!;
    const lb: QuicLbConfig = { ...this.lbBase, configId };
    const module = String(this.options.module);
    const entry = new URL(
      `./worker-entry${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`,
      import.meta.url,
    );
    const generation: Generation = { lb, slots: [], fds };
    const routes = this.liveRoutes([...this.generations, generation]);
    const started: Promise<void>[] = [];
    // A ring a socket buffer's size each way under a router, which carries every datagram; a
    // small one under kernel steering, which carries only those the kernel could not steer.
    const ringBytes = this.group === null ? ROUTER_RING_BYTES : STEERED_RING_BYTES;
    for (let index = 0; index < this.count; index++) {
      const rings: DatagramRings = {
        toWorker: createDatagramRing(ringBytes),
        toMain: createDatagramRing(ringBytes),
      };
      const init: WorkerInit = {
        index,
        local,
        module,
        moduleData: this.spec.moduleData,
        server: this.spec.server,
        quicLb: { ...lb, serverId: Uint8Array.of(index) },
        keys: this.keys,
        rings,
        ...(this.group !== null ? { steered: { fd: fds[index]!, routes } } : {}),
      };
      const worker = entry.pathname.endsWith('.ts')
        ? // TypeScript sources (tests under tsx): the worker registers tsx before the entry.
          new Worker(
            `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`,
            { eval: true, workerData: init },
          )
        : new Worker(entry, { workerData: init });
      let markDrained = (): void => {};
      const drained = new Promise<void>((resolve) => (markDrained = resolve));
      const slot: WorkerSlot = {
        worker,
        out: new BatchWriter(rings.toWorker),
        in: new BatchReader(rings.toMain),
        releaseWhenSent: -1,
        ready: false,
        gone: false,
        statsPending: new Set(),
        drained,
        markDrained,
        exited: new Promise((resolve) =>
          worker.once('exit', () => {
            this.leave(slot);
            resolve();
          }),
        ),
      };
      generation.slots.push(slot);
      started.push(
        new Promise((resolve, reject) => {
          worker.on('message', (m: unknown) => this.onWorkerMessage(slot, m, resolve, reject));
          worker.once('error', reject);
          worker.once('exit', (code) =>
            reject(new Error(`worker ${index} exited with code ${code} before it was ready`)),
          );
        }),
      );
    }
    try {
      await Promise.all(started);
    } catch (e) {
      await Promise.all(generation.slots.map((s) => s.worker.terminate()));
      throw e;
    }
    return generation;
  }

  /** `g` becomes the generation new connections go to. */
  private adopt(g: Generation): void {
    this.generations.push(g);
    this.routesChanged();
    const early = this.early;
    this.early = [];
    for (const d of early) this.route(d.data, d.remote);
    this.queueFlush();
  }

  /** `g` takes no new connections; it leaves once its connections have ended. */
  private retire(g: Generation, drainTimeoutMs: number): void {
    for (const slot of g.slots) {
      slot.worker.postMessage({ type: 'drain', timeoutMs: drainTimeoutMs } satisfies RouterCommand);
    }
    void Promise.all(g.slots.map((s) => s.exited)).then(() => {
      this.generations = this.generations.filter((x) => x !== g);
      // Its sockets leave the group only now: until its last worker left, they were read.
      for (const fd of g.fds) this.group?.remove(fd);
      this.routesChanged();
    });
  }

  /**
   * The live generations changed: the decoder (the router's and the forwarder's), the kernel's
   * steering program and the workers' view of who is live follow.
   */
  private routesChanged(): void {
    this.decoder = new QuicLbDecoder(this.generations.map((x) => x.lb));
    const group = this.group;
    // Also while closing or draining: an old generation that leaves renumbers the group's
    // sockets, and the program must follow, or the live connections' datagrams reach the wrong
    // workers (which would forward them). After the release the group steers nothing.
    if (group === null) return;
    const current = this.generations[this.generations.length - 1];
    group.steer({
      generations: this.generations.map((x) => ({ configId: x.lb.configId, fds: x.fds })),
      current: current?.fds ?? [],
      plaintext: this.lbBase.key === undefined,
    });
    const routes = this.liveRoutes(this.generations);
    for (const x of this.generations) {
      for (const slot of x.slots) if (!slot.gone) slot.worker.postMessage(routes);
    }
  }

  private liveRoutes(generations: readonly Generation[]): LiveRoutes {
    return {
      type: 'routes',
      generations: generations.map((x) => ({ lb: x.lb, workers: this.count })),
    };
  }

  private onWorkerMessage(
    slot: WorkerSlot,
    m: unknown,
    ready: () => void,
    failed: (e: Error) => void,
  ): void {
    if (isDatagramBatch(m)) {
      const socket = this.socket;
      if (socket === null) {
        // Kernel steering: datagrams a worker read for another one (route() copies them).
        slot.in.release(slot.in.forEach(m, this.forward));
        return;
      }
      const end = slot.in.forEach(m, this.sendOut);
      // dgram holds each datagram until its send completes: the room is free after that.
      if (socket.holdsSends()) slot.releaseWhenSent = end;
      else slot.in.release(end);
      return;
    }
    const r = m as WorkerReport;
    if (r.type === 'ready') {
      slot.ready = true;
      this.queueFlush();
      ready();
    } else if (r.type === 'failed') {
      failed(new Error(`worker failed: ${r.message}`));
    } else if (r.type === 'closed') {
      this.leave(slot);
      void slot.worker.terminate();
    } else if (r.type === 'drained') {
      slot.markDrained();
    } else if (r.type === 'stats') {
      slot.statsPending.delete(r.id);
      this.statsWaiters.get(r.id)?.(r.stats);
      this.statsWaiters.delete(r.id);
    }
  }

  private readonly forward = (data: Uint8Array, remote: SocketAddress): void => {
    this.forwarded++;
    this.route(data, remote);
  };

  private readonly sendOut = (data: Uint8Array, remote: SocketAddress): void => {
    this.datagramsOut++;
    this.socket!.send(data, remote);
  };

  /** Router: the socket's sends have completed; the rings they came from may be reused. */
  private releaseSent(): void {
    for (const g of this.generations) {
      for (const slot of g.slots) {
        if (slot.releaseWhenSent < 0) continue;
        slot.in.release(slot.releaseWhenSent);
        slot.releaseWhenSent = -1;
      }
    }
  }

  /** `slot`'s worker answers no more: its unanswered stats requests are answered for it. */
  private leave(slot: WorkerSlot): void {
    slot.gone = true;
    slot.markDrained();
    for (const id of slot.statsPending) {
      this.statsWaiters.get(id)?.({ ...NO_STATS, worker: -1 });
      this.statsWaiters.delete(id);
    }
    slot.statsPending.clear();
  }

  /**
   * Hands a received datagram to the worker its DCID names (or, for none, to the current
   * generation's worker its hash names). Routing goes on while closing: the workers' graceful
   * closes wait for the clients' acknowledgments.
   */
  private route(data: Uint8Array, remote: SocketAddress): void {
    if (this.generations.length === 0) {
      if (this.early.length < MAX_EARLY_DATAGRAMS)
        this.early.push({ data: copyBytes(data), remote });
      return;
    }
    const slot = this.slotFor(data);
    if (slot === undefined) return;
    slot.out.add(data, remote);
    this.queueFlush();
  }

  private slotFor(data: Uint8Array): WorkerSlot | undefined {
    // Per datagram: the allocation-free decision (route() would make a route object), and a
    // plain loop for the generation (find() would take a closure).
    const configId = this.decoder === null ? -1 : this.decoder.routeInto(data, this.serverId);
    if (configId >= 0) {
      const gens = this.generations;
      for (let i = 0; i < gens.length; i++) {
        if (gens[i]!.lb.configId !== configId) continue;
        const slot = gens[i]!.slots[this.serverId[0]!];
        if (slot !== undefined) return slot;
        break;
      }
    }
    const current = this.generations[this.generations.length - 1];
    if (current === undefined) return undefined;
    if (this.socket !== null) this.hashedIn++;
    return current.slots[hashDcid(data) % current.slots.length];
  }

  private queueFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    // After libuv's poll phase has delivered the whole read burst: one batch per worker.
    setImmediate(this.flush);
  }

  private readonly flush = (): void => {
    this.flushQueued = false;
    for (const g of this.generations) {
      for (const slot of g.slots) {
        if (!slot.ready) continue;
        const batch = slot.out.take();
        if (batch !== null) slot.worker.postMessage(batch);
      }
    }
  };
}

const NO_STATS: Omit<WorkerStats, 'worker'> = {
  connections: 0,
  accepted: 0,
  busyMs: 0,
  datagramsIn: 0,
  datagramsOut: 0,
  forwarded: 0,
  hashedIn: 0,
};

/** Whether endpoints here would run on the native socket, which can join a steered group. */
function kernelSteeringAvailable(): boolean {
  try {
    return chooseSocket(defaultProvider.name).kind === 'native' && ReusePortGroup.addon() !== null;
  } catch {
    return false;
  }
}

/** Ring sizes each way per worker: a router's default socket buffer, and a small one. */
const ROUTER_RING_BYTES = 4 * 1024 * 1024;
const STEERED_RING_BYTES = 256 * 1024;

/** Datagrams held for the first generation of workers (about a default socket buffer's worth). */
const MAX_EARLY_DATAGRAMS = 256;

/**
 * FNV-1a over the datagram's Destination CID (long header: its length byte; short header: the
 * rest is the same for every packet of a connection, so the first 8 bytes after the flags do).
 */
function hashDcid(data: Uint8Array): number {
  let start = 1;
  let end = Math.min(data.length, 9);
  if ((data[0]! & 0x80) !== 0 && data.length >= 6) {
    start = 6;
    end = Math.min(data.length, 6 + data[5]!);
  }
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ data[i]!, 0x01000193);
  return h >>> 0;
}

/** Creates a multi-worker server (see the module comment); `listen()` starts it. */
export function createWorkerServer(options: WorkerServerOptions): WorkerServer {
  return new WorkerServer(options);
}
