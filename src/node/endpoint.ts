/**
 * An endpoint: one Engine in callback mode (DESIGN.md §1.3) over one or more UDP sockets, one
 * timer and a monotonic clock. Reads are batched: every datagram of a read burst goes to the
 * engine, then `finishRecv` runs once (setImmediate runs after libuv's poll phase has delivered
 * the whole burst). Sends are routed by the Transmit's `local` address to the socket bound
 * there, which is how a migrated client (a second socket, RFC 9000 §9.2) sends on its new path.
 */
import { Engine, type EngineConfig, type Transmit } from '../engine/engine.js';
import type { Connection } from '../conn/connection.js';
import { addressKey, type SocketAddress } from '../util/address.js';
import { encodeVersionNegotiation, parseInvariantHeader } from '../wire/header.js';
import { UdpSocket, type DatagramSocket, type SocketBinder, type UdpSocketOptions } from './udp.js';

/** The monotonic clock of the Node adapter, in microseconds (DESIGN.md §1.1). */
export function monotonicMicros(): number {
  return performance.now() * 1000;
}

/** Delays below this (µs) are served by setImmediate rather than a millisecond timer. */
const SUB_MILLISECOND_TIMER = 1000;

export interface EndpointOptions {
  /**
   * Server: the QUIC versions accepted (default every version the engine speaks). A new client
   * offering another one gets Version Negotiation listing these (RFC 9000 §6.1).
   */
  versions?: readonly number[];
  /** How sockets are bound (default node:dgram; a worker of a multi-worker server binds its port). */
  bindSocket?: SocketBinder;
}

export interface EndpointHandlers {
  /** A server accepted a new connection. */
  connection?(conn: Connection): void;
  /** A socket reported an error (ECONNREFUSED on a connected client socket, ...). */
  socketError?(err: Error & { code?: string }, socket: DatagramSocket): void;
}

/** Something that looks at its connection after each flush (close detection, graceful close). */
export interface FlushWatcher {
  afterFlush(): void;
}

export class Endpoint {
  readonly engine: Engine;
  private readonly sockets = new Map<string, DatagramSocket>();
  private primary: DatagramSocket | null = null;
  private readonly bindSocket: SocketBinder;
  private timer: NodeJS.Timeout | null = null;
  private immediateTimer: NodeJS.Immediate | null = null;
  private recvFlushScheduled = false;
  private closed = false;
  private readonly socketOptions: UdpSocketOptions;
  private readonly handlers: EndpointHandlers;
  private readonly watchers = new Set<FlushWatcher>();

  private readonly versions: readonly number[] | null;

  constructor(
    config: EngineConfig,
    socketOptions: UdpSocketOptions,
    handlers: EndpointHandlers,
    options: EndpointOptions = {},
  ) {
    this.socketOptions = socketOptions;
    this.handlers = handlers;
    this.versions = options.versions ?? null;
    this.bindSocket = options.bindSocket ?? UdpSocket.bind;
    this.engine = new Engine(config, {
      sendto: (t) => this.sendto(t),
      setTimer: (delayUs) => this.setTimer(delayUs),
      now: monotonicMicros,
      onConnection: (conn) => {
        // Callback mode hands connections over here; keep the engine's accept queue empty.
        this.engine.accept();
        this.handlers.connection?.(conn);
      },
    });
  }

  /** The first socket bound (the server's listening socket, the client's original one). */
  get mainSocket(): DatagramSocket | null {
    return this.primary;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Binds a new socket; the first one becomes the main socket. */
  async addSocket(host: string, port: number): Promise<DatagramSocket> {
    const socket = await this.bindSocket(host, port, this.socketOptions, {
      message: (data, remote, s) => this.onMessage(data, remote, s),
      error: (err, s) => this.handlers.socketError?.(err, s),
    });
    if (this.closed) {
      socket.close();
      throw new Error('endpoint closed while binding');
    }
    this.sockets.set(addressKey(socket.local), socket);
    this.primary ??= socket;
    return socket;
  }

  /** Keeps the process alive (sockets and timer) or lets it exit while idle. */
  setRef(ref: boolean): void {
    for (const s of this.sockets.values()) {
      if (ref) s.ref();
      else s.unref();
    }
  }

  /** Calls `w.afterFlush()` after each receive burst and timer until unwatched. */
  watch(w: FlushWatcher): void {
    this.watchers.add(w);
  }

  unwatch(w: FlushWatcher): void {
    this.watchers.delete(w);
  }

  /** Datagrams dropped on send because a socket's queue was full. */
  get droppedDatagrams(): number {
    let n = 0;
    for (const s of this.sockets.values()) n += s.dropped;
    return n;
  }

  /** Sends what the engine has now and re-arms the timer (after API calls outside callbacks). */
  flush(): void {
    if (this.closed) return;
    this.engine.finishRecv(monotonicMicros());
    this.notifyWatchers();
  }

  private notifyWatchers(): void {
    if (this.watchers.size === 0) return;
    for (const w of [...this.watchers]) w.afterFlush();
  }

  /** Releases the sockets and the timer at once. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.clearTimer();
    for (const s of this.sockets.values()) s.close();
    this.sockets.clear();
  }

  private onMessage(data: Uint8Array, remote: SocketAddress, socket: DatagramSocket): void {
    if (this.closed) return;
    if (
      this.versions !== null &&
      (data[0]! & 0x80) !== 0 &&
      this.refuseVersion(data, remote, socket)
    ) {
      return;
    }
    this.engine.processDatagram(data, socket.local, remote, monotonicMicros());
    if (!this.recvFlushScheduled) {
      this.recvFlushScheduled = true;
      setImmediate(this.onRecvBurstEnd);
    }
  }

  private readonly onRecvBurstEnd = (): void => {
    this.recvFlushScheduled = false;
    this.flush();
  };

  /** A long header with a version this server does not accept: answered with VN, dropped. */
  private refuseVersion(data: Uint8Array, remote: SocketAddress, socket: DatagramSocket): boolean {
    const inv = parseInvariantHeader(data, 0);
    if (inv === null || inv.version === 0 || this.versions!.includes(inv.version)) return false;
    // RFC 9000 §6.1: only datagrams that could carry a client Initial get an answer.
    if (data.length >= 1200) {
      const unused = this.engine.provider.random(1)[0]!;
      socket.send(encodeVersionNegotiation(inv.scid, inv.dcid, this.versions!, unused), remote);
    }
    return true;
  }

  private sendto(t: Transmit): void {
    if (this.closed) return;
    // One socket (the usual case) takes every send: no address key to build per datagram.
    const socket =
      this.sockets.size === 1
        ? this.primary
        : (this.sockets.get(addressKey(t.local)) ?? this.primary);
    socket?.send(t.data, t.remote);
  }

  private setTimer(delayUs: number): void {
    this.clearTimer();
    if (this.closed || delayUs === Infinity) return;
    if (delayUs < SUB_MILLISECOND_TIMER) {
      // Pacing (RFC 9002 §7.7) asks for gaps of microseconds; a millisecond timer would cap a
      // paced sender at one burst per millisecond. The check phase comes back within one turn of
      // the event loop; if the deadline has not passed yet the engine simply re-arms.
      this.immediateTimer = setImmediate(this.onTimer);
      return;
    }
    // libuv timers count whole milliseconds: round up so the deadline has passed when it fires.
    this.timer = setTimeout(this.onTimer, Math.max(1, Math.ceil(delayUs / 1000)));
    // Idle endpoints (no connection) must not keep the process alive on their timer.
    if (this.engine.connectionCount === 0) this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.immediateTimer !== null) {
      clearImmediate(this.immediateTimer);
      this.immediateTimer = null;
    }
  }

  private readonly onTimer = (): void => {
    this.timer = null;
    this.immediateTimer = null;
    if (this.closed) return;
    this.engine.onTimer(monotonicMicros());
    this.notifyWatchers();
  };
}
