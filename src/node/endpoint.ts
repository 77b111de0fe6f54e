/**
 * An endpoint: one Engine in callback mode (docs/ARCHITECTURE.md §1) over one or more UDP
 * sockets, one timer and a monotonic clock. The endpoint is the one owner of I/O scheduling:
 * the engine and its connections only say that they have work (a datagram was read, an API call
 * gave the engine something to send: the engine asks for its timer at 0), and the endpoint
 * flushes once per turn of the event loop, in the check phase (setImmediate), after libuv's poll
 * phase has delivered the whole burst of reads. So a burst of datagrams, the application's
 * answers to them and its calls in between all leave in one flush.
 *
 * On the native socket (socket-choice.ts) the engine hands out batches (the GSO shape), which
 * the sockets queue and send in one system call when the flush ends.
 *
 * Sends are routed by the Transmit's `local` address to the socket bound there, which is how a
 * migrated client (a second socket, RFC 9000 §9.2) sends on its new path.
 */
import { defaultProvider } from '../crypto/default-provider.js';
import { Engine, type EngineConfig } from '../engine/engine.js';
import type { Connection } from '../conn/connection.js';
import { addressKey, type SocketAddress, type Transmit } from '../util/address.js';
import type { TransmitBatch } from '../engine/transmit-batch.js';
import { chooseSocket, type SocketKind } from './socket-choice.js';
import type { DatagramSocket, SocketBinder, UdpSocketOptions } from './udp.js';

/** The monotonic clock of the Node adapter, in microseconds (docs/ARCHITECTURE.md §1.1). */
export function monotonicMicros(): number {
  return performance.now() * 1000;
}

/** Delays below this (µs) are served by setImmediate rather than a millisecond timer. */
const SUB_MILLISECOND_TIMER = 1000;

export interface EndpointOptions {
  /** How sockets are bound (default node:dgram; a worker of a multi-worker server binds its port). */
  bindSocket?: SocketBinder;
  /** What `bindSocket` binds: 'native' for sockets with batches and ECN (default 'custom'). */
  socketKind?: SocketKind;
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

/** A stream that got data during this turn's reads: it reads once, before the flush. */
export interface FlushReader {
  readBeforeFlush(): void;
}

export class Endpoint {
  readonly engine: Engine;
  private readonly sockets = new Map<string, DatagramSocket>();
  private primary: DatagramSocket | null = null;
  private readonly bindSocket: SocketBinder;
  /** The kind of socket this endpoint binds (getStats().socket). */
  readonly socketKind: SocketKind;
  /** The engine's timer when it is a millisecond or more away. */
  private timer: NodeJS.Timeout | null = null;
  /** When `timer` fires (µs, monotonicMicros). */
  private timerAt = 0;
  /** Whether the sockets and the timer keep the process alive (setRef). */
  private refed = true;
  /** The one flush of this turn of the event loop (check phase), or null. */
  private immediate: NodeJS.Immediate | null = null;
  /** The engine's timer is due by the time `immediate` runs (a sub-millisecond deadline). */
  private timerDue = false;
  private closed = false;
  /** Inside a call into the engine (application events run there). */
  private inEngine = false;
  /** close() was called inside the engine: it runs once the engine call returns. */
  private closeWhenOut = false;
  /** Flushes so far (one per turn of the event loop at most); for tests and diagnostics. */
  flushCount = 0;
  private readonly socketOptions: UdpSocketOptions;
  private readonly handlers: EndpointHandlers;
  private readonly watchers = new Set<FlushWatcher>();
  private readonly readers = new Set<FlushReader>();
  /** The last burst's sends have left (flushBurst); false from a burst's end to the next one. */
  private burstSent = true;
  /** A datagram of the burst being read began with a long header (Initial, Handshake, ...). */
  private burstHadLongHeader = false;

  constructor(
    config: EngineConfig,
    socketOptions: UdpSocketOptions,
    handlers: EndpointHandlers,
    options: EndpointOptions = {},
  ) {
    this.socketOptions = socketOptions;
    this.handlers = handlers;
    const provider = config.crypto?.name ?? defaultProvider.name;
    const choice = options.bindSocket ? null : chooseSocket(provider);
    this.bindSocket = options.bindSocket ?? choice!.bind;
    this.socketKind = choice?.kind ?? options.socketKind ?? 'custom';
    // RFC 9000 §13.4: the native socket marks and reads ECN, so its connections use ECN
    // (validated per path, §13.4.2); node:dgram can do neither.
    if (this.socketKind === 'native' && config.connection?.ecn === undefined) {
      config = { ...config, connection: { ...config.connection, ecn: true } };
    }
    this.engine = new Engine(config, {
      sendto: (t) => this.sendto(t),
      ...(this.socketKind === 'native' ? { sendBatch: (b) => this.sendBatch(b) } : {}),
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
      message: (data, remote, s, ecn) => this.onMessage(data, remote, s, ecn),
      error: (err, s) => this.handlers.socketError?.(err, s),
      sendsDone: () => this.releaseIfSent(),
      burstEnd: (_s, last) => this.onBurstEnd(last),
    });
    if (this.closed) {
      socket.close();
      throw new Error('endpoint closed while binding');
    }
    this.sockets.set(addressKey(socket.local), socket);
    this.primary ??= socket;
    if (!this.refed) socket.unref();
    return socket;
  }

  /** Keeps the process alive (sockets and timer) or lets it exit while idle. */
  setRef(ref: boolean): void {
    this.refed = ref;
    for (const s of this.sockets.values()) {
      if (ref) s.ref();
      else s.unref();
    }
    if (this.timer !== null) {
      if (ref && this.engine.connectionCount > 0) this.timer.ref();
      else this.timer.unref();
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

  /**
   * `r` reads what arrived when the last burst of the socket's wake-up ends (onBurstEnd) or at
   * the start of the next flush, in this turn of the event loop: a burst of packets for one stream becomes one
   * read (one Buffer, one 'data' event) instead of one per packet, and the flow-control credit
   * the read gives leaves in the same flush.
   */
  readSoon(r: FlushReader): void {
    if (this.closed) return;
    this.readers.add(r);
    this.scheduleFlush();
  }

  private runReaders(): void {
    // Readers added while this runs (an application reading another stream) are served too.
    for (const r of this.readers) {
      this.readers.delete(r);
      r.readBeforeFlush();
    }
  }

  private notifyWatchers(): void {
    if (this.watchers.size === 0) return;
    for (const w of [...this.watchers]) w.afterFlush();
  }

  /**
   * Sends what is still pending (a CONNECTION_CLOSE just queued), then releases the sockets and
   * the timer. Idempotent.
   */
  close(): void {
    if (this.closed) return;
    if (this.inEngine) {
      // Never re-enter the engine from one of its events (a listener that destroys its
      // connection): the flush and the release follow when the engine call returns.
      this.closeWhenOut = true;
      return;
    }
    this.engine.finishRecv(monotonicMicros());
    this.flushSockets();
    this.closed = true;
    this.readers.clear(); // their connections close too, and deliver what is left then
    this.clearTimer();
    if (this.immediate !== null) {
      clearImmediate(this.immediate);
      this.immediate = null;
    }
    for (const s of this.sockets.values()) s.close();
    this.sockets.clear();
  }

  private onMessage(
    data: Uint8Array,
    remote: SocketAddress,
    socket: DatagramSocket,
    ecn: number | undefined,
  ): void {
    if (this.closed) return;
    if (!this.burstSent) this.flushBurst();
    // RFC 9000 §17.2: the first bit of a long header is set.
    if ((data[0]! & 0x80) !== 0) this.burstHadLongHeader = true;
    this.inEngine = true;
    try {
      this.engine.processDatagram(data, socket.local, remote, monotonicMicros(), ecn);
    } finally {
      this.inEngine = false;
    }
    if (this.closeWhenOut) this.close();
    else this.scheduleFlush();
  }

  /**
   * A socket delivered a burst. After the last one of its wake-up, the streams are read now
   * rather than at the flush, so what the application does with the data (a reply, a close)
   * runs in this phase's nextTick and microtask queues, before the flush, and leaves with the
   * burst's ACK in the same datagram: a short connection's client otherwise sent its last ACK
   * and its CONNECTION_CLOSE apart. Reading once per wake-up, not per burst, keeps a download
   * at one Buffer and one 'data' event for up to 8 recvmmsg.
   */
  private onBurstEnd(last: boolean): void {
    if (this.closed || this.inEngine) return;
    if (last && this.readers.size > 0) this.runReaders();
    this.burstSent = !this.burstHadLongHeader;
    this.burstHadLongHeader = false;
  }

  /**
   * A socket that reads in bursts starts another one in the same turn (its wake-up found more
   * than a batch waiting) after a burst that carried handshake packets (long headers): what that
   * burst made the engine and the application send leaves now, before the engine takes the next
   * one. Holding every answer until the whole wake-up is read (up to 128 datagrams) kept the
   * peer idle meanwhile: 32 handshakes at a time went in lockstep, each side waiting for the
   * other's whole burst. A burst of 1-RTT packets only owes ACKs, which leave once per wake-up:
   * sent after every burst, they cost a 100 MiB download 5-10 % more CPU on both sides.
   */
  private flushBurst(): void {
    this.burstSent = true;
    const immediate = this.immediate;
    if (immediate === null) return; // the last burst asked for nothing, or its flush ran
    clearImmediate(immediate);
    this.onImmediate();
  }

  /** One flush in the check phase of this turn, whoever asks and however often. */
  private scheduleFlush(): void {
    if (this.immediate === null && !this.closed) this.immediate = setImmediate(this.onImmediate);
  }

  private readonly onImmediate = (): void => {
    this.immediate = null;
    const timer = this.timerDue;
    this.timerDue = false;
    this.flush(timer);
  };

  private readonly onTimeout = (): void => {
    this.timer = null;
    this.flush(true);
  };

  /** Sends what the engine has and re-arms its timer; `timer`: the engine's timer is due too. */
  private flush(timer: boolean): void {
    if (this.readers.size > 0) this.runReaders();
    // The application may have closed the endpoint from a 'data' listener.
    if (this.closed) return;
    this.flushCount++;
    const now = monotonicMicros();
    this.inEngine = true;
    try {
      if (timer) this.engine.onTimer(now);
      else this.engine.finishRecv(now);
    } finally {
      this.inEngine = false;
    }
    this.flushSockets();
    if (this.closeWhenOut) this.close();
    else this.notifyWatchers();
  }

  private socketFor(local: SocketAddress | undefined): DatagramSocket | null {
    // One socket (the usual case) takes every send: no address key to build per datagram.
    return this.sockets.size === 1 || local === undefined
      ? this.primary
      : (this.sockets.get(addressKey(local)) ?? this.primary);
  }

  private sendto(t: Transmit): void {
    if (this.closed) return;
    const socket = this.socketFor(t.local);
    if (socket?.sendBatch) socket.sendBatch(t.data, t.data.length, t.remote, t.ecn);
    else socket?.send(t.data, t.remote);
  }

  private sendBatch(b: TransmitBatch): void {
    if (this.closed) return;
    const socket = this.socketFor(b.local);
    if (socket?.sendBatch) {
      socket.sendBatch(b.data, b.segmentSize, b.remote, b.ecn);
      return;
    }
    // A socket without batches (a migrated client's second socket could be one): one by one.
    for (let p = 0; p < b.data.length; p += b.segmentSize) {
      socket?.send(b.data.subarray(p, Math.min(p + b.segmentSize, b.data.length)), b.remote);
    }
  }

  /**
   * Sends what the sockets queued during the flush, in one system call each; once none holds a
   * datagram, the engine may write their memory again.
   */
  private flushSockets(): void {
    if (this.sockets.size === 1) this.primary?.flushSends?.();
    else for (const s of this.sockets.values()) s.flushSends?.();
    this.releaseIfSent();
  }

  /**
   * Lets the engine write its datagrams' memory again once no socket holds any: after a flush,
   * or when an asynchronous socket completes its last send (UdpHandlers.sendsDone). Between
   * flushes every datagram the engine handed out has gone to a socket.
   */
  private releaseIfSent(): void {
    if (this.closed || this.inEngine) return;
    if (this.sockets.size === 1) {
      if (this.primary?.holdsSends()) return;
    } else {
      for (const s of this.sockets.values()) if (s.holdsSends()) return;
    }
    this.engine.releaseTransmits();
  }

  private setTimer(delayUs: number): void {
    this.timerDue = false;
    if (this.closed) return;
    if (delayUs === Infinity) {
      this.clearTimer();
      return;
    }
    if (delayUs < SUB_MILLISECOND_TIMER) {
      // Pacing (RFC 9002 §7.7) asks for gaps of microseconds, and an API call asks for 0; a
      // millisecond timer would cap a paced sender at one burst per millisecond. The flush of
      // this turn serves it; if the deadline has not passed yet the engine simply re-arms.
      this.timerDue = true;
      this.scheduleFlush();
      return;
    }
    // libuv timers count whole milliseconds: round up so the deadline has passed when it fires.
    const ms = Math.max(1, Math.ceil(delayUs / 1000));
    const at = monotonicMicros() + ms * 1000;
    // A timer that fires no later stays: it wakes the engine early, which finds nothing due and
    // asks again. During a transfer the deadline moves with every ACK, and re-arming a libuv
    // timer at each flush cost more than those early wake-ups.
    if (this.timer === null || this.timerAt > at) {
      this.clearTimer();
      this.timer = setTimeout(this.onTimeout, ms);
      this.timerAt = at;
    }
    // Idle endpoints (no connection) must not keep the process alive on their timer.
    if (!this.refed || this.engine.connectionCount === 0) this.timer.unref();
    else this.timer.ref();
  }

  private clearTimer(): void {
    this.timerDue = false;
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }
}
