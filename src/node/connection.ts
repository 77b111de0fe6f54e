/**
 * A QUIC connection with Node conventions: an EventEmitter, streams as `stream.Duplex`,
 * promises for the handshake (`ready`) and the end (`closed`), Error subclasses with a `code`.
 *
 * A client connection exists before its core connection does: `connect()` returns at once while
 * the host name resolves and the socket binds; `start()` attaches the core then. Calls that need
 * the core before that either wait (`openStream`) or throw ERR_QUIC_NOT_STARTED.
 *
 * Peer-opened streams are wrapped in QuicStream only while someone listens to 'stream'; without
 * a listener they stay on the core connection (`conn.core`) for a protocol layer (HTTP/3) that
 * drives the core Connection/Stream API itself.
 *
 * Events: QuicConnectionEvents below (typed).
 */
import { EventEmitter } from 'node:events';
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import type { Connection, CloseInfo, ConnectionState } from '../conn/connection.js';
import type { PathCloseInfo } from '../conn/events.js';
import type { ConnectionStatsSnapshot } from '../conn/stats.js';
import type { BackendName } from '../crypto/default-provider.js';
import type { SocketAddress } from '../util/address.js';
import type { Stream } from '../stream/stream.js';
import type { TlsSessionInfo } from '../tls/types.js';
import { TransportError } from '../wire/errors.js';
import { monotonicMicros, type Endpoint, type FlushReader, type FlushWatcher } from './endpoint.js';
import { QuicConnectionError, QuicNodeError, errorFromClose, isCleanClose } from './errors.js';
import type { SocketKind } from './socket-choice.js';
import { QuicStream, type QuicStreamOptions, type StreamHost } from './stream.js';

/** How long `migrate()` waits for a spare connection ID from the server, and how often it looks. */
const MIGRATE_WAIT_MS = 500;
const MIGRATE_RETRY_MS = 10;

/** A Node connection's statistics: the core's, and which backend protected its packets. */
export interface NodeConnectionStats extends ConnectionStatsSnapshot {
  backend: BackendName;
  /** The UDP socket its endpoint runs on (src/node/socket-choice.ts). */
  socket: SocketKind | 'none';
}

export interface OpenStreamOptions {
  /** Open a unidirectional stream (send only). Default false: bidirectional. */
  unidirectional?: boolean;
  /** Gives up waiting for the peer's stream limit: the promise rejects with ERR_QUIC_ABORTED. */
  signal?: AbortSignal;
}

/** The peer's certificate in node:tls's `getPeerCertificate()` shape (the fields tsquic fills). */
export interface PeerCertificate {
  subject: string;
  issuer: string;
  subjectaltname: string;
  valid_from: string;
  valid_to: string;
  fingerprint256: string;
  serialNumber: string;
  raw: Buffer;
}

export interface QuicConnectionInit {
  /**
   * A client's connection: it ends as soon as it is closing or draining (afterFlush) and its
   * core waits out the closing period alone, on its own socket or a shared one.
   */
  client: boolean;
  /** The connection owns its endpoint (a client's own socket) and releases it when it closes. */
  ownsEndpoint: boolean;
  streamOptions?: QuicStreamOptions;
  /** Reported as remoteAddress until the core exists (the client's target). */
  target?: SocketAddress;
  /** Whether this side verifies the peer's certificate (client: not `insecure`; server: clientAuth). */
  verifiesPeer?: boolean;
  /** The user's extra check of the peer's certificate, run when the handshake completes. */
  checkIdentity?: (cert: PeerCertificate | null) => Error | undefined;
}

/** A socket address with its family, as node:net's `address()` gives it. */
export interface AddressInfo extends SocketAddress {
  family: 'IPv4' | 'IPv6';
}

/** The address with its family (an IPv6 literal is IPv6, anything else IPv4). */
export function addressInfo(a: SocketAddress): AddressInfo {
  return { address: a.address, port: a.port, family: isIP(a.address) === 6 ? 'IPv6' : 'IPv4' };
}

/** Throws the adapter's abort error when `signal` has aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw abortError(signal);
}

/** An AbortSignal's abort as the adapter's error (code ERR_QUIC_ABORTED, cause the reason). */
export function abortError(signal: AbortSignal): QuicNodeError {
  return new QuicNodeError('ERR_QUIC_ABORTED', 'the operation was aborted', {
    cause: signal.reason,
  });
}

const NO_ADDRESS: SocketAddress = { address: '', port: 0 };

/** The adapter's monotonic clock (µs) and an interval timer that does not hold the process. */
const NODE_TIMERS = {
  now: monotonicMicros,
  repeat(ms: number, tick: () => void): () => void {
    const t = setInterval(tick, ms);
    t.unref();
    return () => clearInterval(t);
  },
} as const;

/**
 * The events of a QuicConnection and their arguments (typed: `conn.on('strem', ...)` does not
 * compile).
 */
export interface QuicConnectionEvents {
  /** The handshake completed (RFC 9001 §4.1.1; a client's request made now leaves with its Finished). */
  handshakeDone: [];
  /** @deprecated The same as 'handshakeDone' (the name of tsquic 0.1). */
  handshake: [];
  /** The peer opened a stream. */
  stream: [stream: QuicStream];
  /** An unreliable DATAGRAM arrived (RFC 9221). */
  datagram: [data: Buffer];
  /** Client: a resumption ticket to pass as `session` later. */
  sessionTicket: [ticket: Buffer];
  /** Client: an address-validation token (RFC 9000 §8.1.3). */
  newToken: [token: Buffer];
  /** Client: a key log line (NSS format, with its newline), as node:tls's 'keylog'. */
  keylog: [line: Buffer];
  /** The connection moved to a new path (RFC 9000 §9). */
  pathChange: [remote: SocketAddress, local: SocketAddress];
  /** Multipath (RFC 10069): a path ID came into use (`openPath`, or the peer opened it). */
  pathOpened: [pathId: number];
  /** Multipath: the path was validated and carries data. */
  pathValidated: [pathId: number];
  /** Multipath: the path was abandoned (PATH_ABANDON, RFC 10069 §3.4). */
  pathClosed: [pathId: number, info: PathCloseInfo];
  /** The connection is gone; `error` is null after a clean close. */
  close: [info: CloseInfo, error: QuicNodeError | null];
}

/** Runs a user-facing emit so a throwing listener surfaces as an uncaught exception, as in Node. */
export function emitSafely<T extends Record<keyof T, unknown[]>, K extends keyof T & string>(
  emitter: EventEmitter<T>,
  event: K,
  ...args: T[K]
): void {
  try {
    (emitter as EventEmitter).emit(event, ...args);
  } catch (e) {
    process.nextTick(() => {
      throw e;
    });
  }
}

export class QuicConnection
  extends EventEmitter<QuicConnectionEvents>
  implements StreamHost, FlushWatcher
{
  /**
   * Resolves when the handshake completes (RFC 9001 §4.1.1: for a client, when its Finished
   * leaves, so a request made now travels with it); rejects with a QuicNodeError on failure.
   */
  readonly ready: Promise<void>;
  /** Resolves on a clean close (code 0); rejects with a QuicNodeError otherwise. */
  readonly closed: Promise<void>;
  private coreConn: Connection | null = null;
  private endpoint: Endpoint | null = null;
  private readonly ownsEndpoint: boolean;
  private readonly client: boolean;
  private readonly target: SocketAddress;
  private readonly streams = new Map<Stream, QuicStream>();
  /**
   * Streams wrapped as they came with the handshake, for a 'stream' listener once `ready`
   * resolves, which nobody has taken yet (streamFor takes one).
   */
  private readonly unclaimed = new Set<Stream>();
  private readonly streamOptions: QuicStreamOptions;
  private resolveReady!: () => void;
  private rejectReady!: (e: Error) => void;
  private resolveClosed!: () => void;
  private rejectClosed!: (e: Error) => void;
  /**
   * Resolves once the core connection exists (after the socket is bound): `core` works from
   * then on, before the handshake (0-RTT requests are built on it).
   */
  readonly started: Promise<void>;
  private resolveStarted!: () => void;
  private waiters: { bidi: boolean; resolve: () => void; reject: (e: Error) => void }[] = [];
  /** `code` undefined: the application protocol's clean code (Connection.gracefulCloseCode). */
  private gracefulClose: {
    code: number | undefined;
    reason: string;
    deadline: NodeJS.Timeout | null;
  } | null = null;
  private finished = false;
  /** `ready` has resolved. */
  private handshook = false;
  /** Streams are emitted as they come (once the turn in which `ready` resolved is over). */
  private streamsLive = false;
  /** Whether the connection keeps the process alive (ref/unref). */
  private refed = true;
  private readonly verifiesPeer: boolean;
  private readonly checkIdentity: ((cert: PeerCertificate | null) => Error | undefined) | undefined;
  /** An error decided by the adapter (refused, destroyed) that overrides the core's close info. */
  private overrideError: QuicNodeError | null = null;

  constructor(init: QuicConnectionInit) {
    super();
    this.ownsEndpoint = init.ownsEndpoint;
    this.client = init.client;
    this.streamOptions = init.streamOptions ?? {};
    this.target = init.target ?? NO_ADDRESS;
    this.verifiesPeer = init.verifiesPeer ?? false;
    this.checkIdentity = init.checkIdentity;
    this.ready = new Promise((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.closed = new Promise((resolve, reject) => {
      this.resolveClosed = resolve;
      this.rejectClosed = reject;
    });
    this.started = new Promise((resolve) => (this.resolveStarted = resolve));
    // Failures are reported through these promises; an unobserved one must not crash the process.
    this.ready.catch(() => {});
    this.closed.catch(() => {});
  }

  /** Attaches the core connection and the endpoint that drives it. */
  start(core: Connection, endpoint: Endpoint): void {
    if (this.coreConn !== null) throw new Error('connection already started');
    this.coreConn = core;
    this.endpoint = endpoint;
    this.attach(core);
    if (!this.refed && this.ownsEndpoint) endpoint.setRef(false);
    // A client hears at once when its connection starts closing (see afterFlush).
    if (this.client) endpoint.watch(this);
    this.resolveStarted();
    if (this.finished) {
      // Destroyed while starting.
      core.close(undefined, '');
      if (this.ownsEndpoint) endpoint.close();
      return;
    }
    const g = this.gracefulClose;
    if (g !== null) {
      this.gracefulClose = null;
      void this.close(g.code, g.reason);
    }
  }

  /** Setup failed before the core existed (host lookup, bind). */
  failStart(error: QuicNodeError): void {
    this.overrideError ??= error;
    this.finish(null);
  }

  // ---- properties ---------------------------------------------------------------------------

  /** The core connection (for protocol layers built on the core API). */
  get core(): Connection {
    if (this.coreConn === null) {
      throw new QuicNodeError('ERR_QUIC_NOT_STARTED', 'the connection is still being set up');
    }
    return this.coreConn;
  }

  /** The core connection, or null while a client's connection is still being set up. */
  get coreIfStarted(): Connection | null {
    return this.coreConn;
  }

  /**
   * Resolves with the core connection once it exists (a client's after its host name resolved
   * and its socket bound); rejects with the setup's error when the connection ended first.
   */
  async whenStarted(): Promise<Connection> {
    if (this.coreConn === null && !this.finished) await this.started;
    if (this.coreConn !== null) return this.coreConn;
    throw this.overrideError ?? new QuicNodeError('ERR_QUIC_CLOSED', 'connection closed');
  }

  /** The adapter's clock and timers, for protocol layers with deadlines of their own (HTTP/3). */
  readonly timers = NODE_TIMERS;

  /**
   * Whether the peer's certificate chain was verified against trusted CAs (node:tls's
   * `authorized`): a client without `insecure` (or with `rejectUnauthorized`), or a server that
   * asked for client certificates and got one, once the handshake completed.
   */
  get authorized(): boolean {
    const core = this.coreConn;
    if (core === null || !core.handshakeComplete || !this.verifiesPeer) return false;
    return core.isClient || core.tls.peerCertificates.length > 0;
  }

  /**
   * The peer's certificate (the leaf) as node:crypto's X509Certificate, or undefined when it
   * sent none (a resumed handshake sends none, RFC 8446 §2.2).
   */
  getPeerX509Certificate(): X509Certificate | undefined {
    const der = this.coreConn?.tls.peerCertificates[0];
    return der === undefined ? undefined : new X509Certificate(der);
  }

  /**
   * The peer's certificate in node:tls's shape (subject, issuer, validity, SHA-256 fingerprint,
   * subjectaltname, raw DER), or null when it sent none.
   */
  getPeerCertificate(): PeerCertificate | null {
    const x = this.getPeerX509Certificate();
    if (x === undefined) return null;
    return {
      subject: x.subject,
      issuer: x.issuer,
      subjectaltname: x.subjectAltName ?? '',
      valid_from: x.validFrom,
      valid_to: x.validTo,
      fingerprint256: x.fingerprint256,
      serialNumber: x.serialNumber,
      raw: x.raw,
    };
  }

  /** The local address with its family (node:net style); null before the socket is bound. */
  address(): AddressInfo | null {
    return this.coreConn === null ? null : addressInfo(this.coreConn.localAddress);
  }

  /** `await using conn = connect(...)`: closes gracefully at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** The negotiated application protocol, null before the handshake. */
  get alpn(): string | null {
    return this.coreConn?.alpn ?? null;
  }

  get state(): ConnectionState {
    if (this.coreConn === null) return this.finished ? 'closed' : 'handshake';
    return this.coreConn.state;
  }

  get handshakeComplete(): boolean {
    return this.coreConn?.handshakeComplete ?? false;
  }

  get remoteAddress(): SocketAddress {
    return this.coreConn?.remoteAddress ?? this.target;
  }

  get localAddress(): SocketAddress {
    return this.coreConn?.localAddress ?? NO_ADDRESS;
  }

  /** The TLS session (cipher suite, group, resumption, peer certificates). */
  get tls(): TlsSessionInfo {
    return this.core.tls;
  }

  /** Whether the connection has ended (closed, failed or destroyed). */
  get isClosed(): boolean {
    return this.finished;
  }

  /** Whether the connection can still carry frames (not closing, draining or closed). */
  get usable(): boolean {
    const s = this.state;
    return !this.finished && (s === 'handshake' || s === 'established');
  }

  /** Largest DATAGRAM payload the peer accepts now (0 when unsupported). */
  get maxDatagramSize(): number {
    return this.coreConn?.maxDatagramSize ?? 0;
  }

  /**
   * The core connection's statistics, and the backend that protects its packets: `native` when
   * its crypto provider is the native addon's, else `pure` (see src/crypto/default-provider.ts).
   */
  getStats(): NodeConnectionStats {
    const backend: BackendName =
      this.endpoint?.engine.provider.name === 'native' ? 'native' : 'pure';
    return { ...this.core.getStats(), backend, socket: this.endpoint?.socketKind ?? 'none' };
  }

  // ---- streams --------------------------------------------------------------------------------

  /**
   * Opens a stream. Waits while the connection is being set up, and while the peer's stream
   * limit is reached (or not known yet, before its transport parameters) until MAX_STREAMS
   * allows one (RFC 9000 §4.6). With 0-RTT the remembered limits apply at once.
   */
  async openStream(opts: OpenStreamOptions = {}): Promise<QuicStream> {
    const bidi = opts.unidirectional !== true;
    const signal = opts.signal;
    throwIfAborted(signal);
    if (this.coreConn === null && !this.finished) await this.started;
    for (;;) {
      throwIfAborted(signal);
      this.checkUsable();
      const core = this.core.openStream(bidi);
      if (core !== null) {
        const s = this.wrap(core);
        return s;
      }
      await new Promise<void>((resolve, reject) => {
        const waiter = { bidi, resolve, reject };
        this.waiters.push(waiter);
        // Aborting gives up the wait: nothing was opened, the stream credit is untouched.
        signal?.addEventListener(
          'abort',
          () => {
            this.waiters = this.waiters.filter((w) => w !== waiter);
            reject(abortError(signal));
          },
          { once: true },
        );
      });
    }
  }

  /** The QuicStream of a core stream, wrapping it on first use. */
  streamFor(core: Stream): QuicStream {
    this.unclaimed.delete(core);
    return this.streams.get(core) ?? this.wrap(core);
  }

  /** StreamHost: a stream was destroyed. */
  release(stream: QuicStream): void {
    this.streams.delete(stream.core);
    this.checkDrained();
  }

  /**
   * StreamHost, and HTTP/3's host (h3/api/host.ts): `reader` reads before the endpoint's next
   * flush, once the burst of packets being received is processed (or now, without an endpoint).
   * @internal
   */
  readSoon(reader: FlushReader): void {
    const endpoint = this.endpoint;
    if (endpoint !== null && !endpoint.isClosed) endpoint.readSoon(reader);
    else reader.readBeforeFlush();
  }

  // ---- other operations ------------------------------------------------------------------------

  /**
   * Client: lets the process exit while this connection's socket and timer are all that is
   * left (like `socket.unref()` in node:net); `ref()` undoes it. A server's connections share
   * the server's socket: use the server's `unref()`.
   */
  unref(): this {
    this.refed = false;
    if (this.ownsEndpoint) this.endpoint?.setRef(false);
    return this;
  }

  /** Client: keeps the process alive while the connection is open again (the default). */
  ref(): this {
    this.refed = true;
    if (this.ownsEndpoint) this.endpoint?.setRef(true);
    return this;
  }

  /** Sends an unreliable DATAGRAM (RFC 9221); false when the peer does not accept it. */
  sendDatagram(data: Uint8Array): boolean {
    this.checkUsable();
    // A plain Uint8Array view: the core copies with slice(), which on a Buffer would not copy.
    const ok = this.core.sendDatagram(
      new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    );
    return ok;
  }

  ping(): void {
    this.checkUsable();
    this.core.ping();
  }

  /** Starts a 1-RTT key update (RFC 9001 §6) as soon as allowed. */
  updateKeys(): void {
    this.checkUsable();
    this.core.updateKeys();
  }

  /**
   * Client: moves the connection to a new UDP socket on a fresh local port (RFC 9000 §9.2).
   * Resolves to false when the server allows no migration or gave no spare connection ID. The
   * old socket keeps receiving until the connection closes.
   */
  async migrate(): Promise<boolean> {
    this.checkUsable();
    const core = this.core;
    if (!core.isClient) throw new TypeError('only a client can migrate');
    // `ready` comes when the handshake completes; migration waits for it to be confirmed
    // (RFC 9000 §9), which HANDSHAKE_DONE does half a round trip later.
    if (!core.handshakeConfirmed) {
      await this.confirmed(core);
      this.checkUsable();
    }
    const socket = await this.endpoint!.addSocket(core.localAddress.address, 0);
    this.checkUsable();
    // A server issues its spare CIDs with or just after HANDSHAKE_DONE (RFC 9000 §5.1.1), so
    // they may still be on their way: try again for a moment before reporting none.
    for (let waited = 0; ; waited += MIGRATE_RETRY_MS) {
      if (core.migrate(socket.local)) return true;
      if (waited >= MIGRATE_WAIT_MS) return false;
      await new Promise((resolve) => setTimeout(resolve, MIGRATE_RETRY_MS));
      this.checkUsable();
    }
  }

  /**
   * Client, Multipath QUIC (RFC 10069): opens another path over a second UDP socket bound to
   * `localAddress` (another interface: 127.0.0.2, ::1, ...) toward the server's address. Resolves
   * to its path ID ('pathValidated' follows once it carries data), or -1 when the server did not
   * negotiate multipath or no path ID is available.
   */
  async openPath(opts: { localAddress: string; port?: number }): Promise<number> {
    this.checkUsable();
    const core = this.core;
    if (!core.isClient) throw new TypeError('only a client opens paths');
    if (!core.handshakeConfirmed) {
      await this.confirmed(core);
      this.checkUsable();
    }
    if (core.multipath === null || !core.multipath.enabled) return -1;
    const socket = await this.endpoint!.addSocket(opts.localAddress, opts.port ?? 0);
    this.checkUsable();
    return core.openPath(socket.local);
  }

  /** Whether both sides negotiated Multipath QUIC (RFC 10069 §2). */
  get multipathEnabled(): boolean {
    return this.coreConn?.multipath?.enabled ?? false;
  }

  /** Multipath: abandons path `pathId` (PATH_ABANDON, RFC 10069 §3.4). */
  closePath(pathId: number, errorCode?: number): boolean {
    this.checkUsable();
    return this.core.closePath(pathId, errorCode);
  }

  /** Multipath: asks the peer to use path `pathId` only as a backup, or again (RFC 10069 §3.3). */
  setPathStatus(pathId: number, status: 'backup' | 'available'): boolean {
    this.checkUsable();
    return this.core.setPathStatus(pathId, status);
  }

  /**
   * Closes gracefully: waits (at most `timeoutMs`, default 5 s) until every stream's written data
   * is acknowledged, then sends CONNECTION_CLOSE with `code` (an application error code, RFC
   * 9000 §10.2; by default the clean one of the protocol on the connection,
   * `core.gracefulCloseCode`: 0, or H3_NO_ERROR under HTTP/3) and resolves once the connection
   * is gone and a client's socket released.
   */
  close(code?: number, reason = '', timeoutMs = 5000): Promise<void> {
    if (this.finished) return this.settled();
    if (this.coreConn === null) {
      // Not started yet: close as soon as it is.
      this.gracefulClose ??= { code, reason, deadline: null };
      return this.settled();
    }
    if (!this.usable) return this.settled();
    if (this.gracefulClose === null) {
      const deadline = setTimeout(() => this.sendClose(), timeoutMs);
      deadline.unref();
      this.gracefulClose = { code, reason, deadline };
      this.endpoint!.watch(this);
      this.checkDrained();
    }
    return this.settled();
  }

  /**
   * Closes at once: CONNECTION_CLOSE with `code` (default the protocol's clean code, see
   * close(), or 0x1 with an error) without waiting for streams; a client releases its socket
   * immediately. `closed` rejects with `error` when given.
   */
  destroy(error?: Error, code?: number): void {
    if (this.finished) return;
    const errorCode = code ?? (error === undefined ? (this.coreConn?.gracefulCloseCode ?? 0) : 1);
    if (error !== undefined && this.overrideError === null) {
      this.overrideError =
        error instanceof QuicNodeError
          ? error
          : new QuicConnectionError('ERR_QUIC_ABORTED', error.message, {
              source: 'local',
              errorCode,
              application: true,
              reason: error.message,
            });
    }
    const core = this.coreConn;
    if (core === null) {
      this.finish(null);
      return;
    }
    if (this.usable) {
      core.close(errorCode, error?.message ?? '');
    }
    if (this.client) {
      // On its own socket, nobody is left to hear the closing period's resends (RFC 9000
      // §10.2.1 allows skipping it); on a shared one, the core waits it out alone.
      this.finish(core.closeInfo);
    }
  }

  /** Ends the connection where it stands (its endpoint is going away): `close` fires now. */
  abandon(): void {
    if (this.finished) return;
    const core = this.coreConn;
    if (core !== null && this.usable) {
      core.close(undefined, '');
    }
    this.finish(core?.closeInfo ?? null);
  }

  /** A failure found by the adapter (e.g. ICMP port unreachable): the connection ends with it. */
  fail(error: QuicConnectionError): void {
    if (this.finished) return;
    this.overrideError ??= error;
    const core = this.coreConn;
    // Nothing is sent: the peer is unreachable and the socket that said so may be failing
    // (a CONNECTION_CLOSE on it crashed the dgram client). The core ends with the error, so
    // what runs on it (HTTP/3) sees a QUIC error rather than a close of its own protocol.
    if (core !== null && this.usable) core.terminate(error.info, monotonicMicros());
    // The core's 'close' finished this already; a connection not started ends here.
    this.finish(core?.closeInfo ?? null);
  }

  /** FlushWatcher: called after each receive burst and timer. */
  afterFlush(): void {
    const core = this.coreConn;
    if (core === null || this.finished) return;
    const info = core.closeInfo;
    // A client ends as soon as the connection is closing or draining, also after a clean local
    // close: its CONNECTION_CLOSE left in the flush just done (once), and closing the socket
    // makes sure late packets induce no response, which RFC 9000 §10.2 accepts as a reason to
    // end the closing or draining period early. A program that is done (tsquic get) exits
    // without waiting out three PTOs.
    if (this.client && info !== null && (core.state === 'draining' || core.state === 'closing')) {
      this.finish(info);
      return;
    }
    this.checkDrained();
  }

  /** A graceful close proceeds once every stream's data is acknowledged. */
  private checkDrained(): void {
    if (this.gracefulClose === null || this.gracefulClose.deadline === null || !this.usable) {
      return;
    }
    for (const s of this.streams.values()) if (!s.sendDone) return;
    this.sendClose();
  }

  // ---- internals ------------------------------------------------------------------------------

  /** Resolves once `core`'s handshake is confirmed or the connection ended, whichever first. */
  private confirmed(core: Connection): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        core.off('handshakeConfirmed', done);
        core.off('close', done);
        resolve();
      };
      core.on('handshakeConfirmed', done);
      core.on('close', done);
    });
  }

  private settled(): Promise<void> {
    return this.closed.catch(() => {});
  }

  private checkUsable(): void {
    if (this.usable) {
      if (this.coreConn === null) {
        throw new QuicNodeError('ERR_QUIC_NOT_STARTED', 'the connection is still being set up');
      }
      return;
    }
    if (this.overrideError !== null) throw this.overrideError;
    const info = this.coreConn?.closeInfo ?? null;
    throw info === null || isCleanClose(info, this.coreConn?.alpn ?? null)
      ? new QuicNodeError('ERR_QUIC_CLOSED', 'connection closed')
      : errorFromClose(info);
  }

  private wrap(core: Stream): QuicStream {
    const s = new QuicStream(core, this, this.streamOptions);
    this.streams.set(core, s);
    return s;
  }

  private sendClose(): void {
    const g = this.gracefulClose;
    if (g === null) return;
    if (g.deadline !== null) clearTimeout(g.deadline);
    if (!this.client) this.endpoint?.unwatch(this);
    if (this.usable && this.coreConn !== null) {
      this.coreConn.close(g.code, g.reason);
    }
  }

  private attach(c: Connection): void {
    c.on('handshakeDone', () => {
      const refused = this.checkIdentity?.(this.getPeerCertificate());
      if (refused !== undefined) {
        this.destroy(
          new QuicConnectionError('ERR_QUIC_CERTIFICATE', refused.message, {
            source: 'local',
            errorCode: 1,
            application: true,
            reason: 'certificate refused',
          }),
        );
        return;
      }
      this.handshook = true;
      this.resolveReady();
      setImmediate(() => {
        this.streamsLive = true;
      });
      emitSafely(this, 'handshakeDone');
      emitSafely(this, 'handshake');
    });
    c.on('stream', (core) => {
      if (!this.streamsLive) {
        // A stream that comes with the handshake's last flight (a client's request sent with its
        // Finished) would be emitted before an application's `await conn.ready` returns, to no
        // listener: it is delivered after the code waiting on `ready` has run.
        const stream = this.wrap(core);
        this.unclaimed.add(core);
        this.ready.then(
          () => {
            if (this.listenerCount('stream') > 0) {
              this.unclaimed.delete(core);
              emitSafely(this, 'stream', stream);
            } else if (this.unclaimed.delete(core)) {
              // Nobody took it (HTTP/3 reads the core streams itself): forgotten, as a stream
              // arriving later without a listener is never wrapped, so that a graceful close
              // does not wait for data nobody here writes.
              this.streams.delete(core);
              this.checkDrained();
            }
          },
          () => {},
        );
        return;
      }
      if (this.listenerCount('stream') === 0) return;
      emitSafely(this, 'stream', this.wrap(core));
    });
    c.on('readable', (core) => this.streams.get(core)?.onReadable());
    c.on('writable', (core) => this.streams.get(core)?.onWritable());
    c.on('streamReset', (core, code) => this.streams.get(core)?.onPeerReset(code));
    c.on('stopSending', (core, code) => this.streams.get(core)?.onPeerStopSending(code));
    c.on('streamClosed', (core) => this.streams.get(core)?.onClosed());
    c.on('streamsAvailable', (bidi) => {
      const waiting = this.waiters;
      this.waiters = waiting.filter((w) => w.bidi !== bidi);
      for (const w of waiting) if (w.bidi === bidi) w.resolve();
    });
    c.on('datagram', (data) => emitSafely(this, 'datagram', toBuffer(data)));
    c.on('sessionTicket', (t) => emitSafely(this, 'sessionTicket', toBuffer(t)));
    c.on('newToken', (t) => emitSafely(this, 'newToken', toBuffer(t)));
    c.on('pathChange', (remote, local) => emitSafely(this, 'pathChange', remote, local));
    c.on('pathOpened', (id) => emitSafely(this, 'pathOpened', id));
    c.on('pathValidated', (id) => emitSafely(this, 'pathValidated', id));
    c.on('pathClosed', (id, info) => emitSafely(this, 'pathClosed', id, info));
    c.on('close', (info) => this.finish(info));
  }

  /**
   * A client that released its socket, or a server's connection abandoned as its server closes,
   * ends its core connection's closing or draining period (RFC 9000 §10.2 allows it once late
   * packets can induce no response): the core then emits 'close' and closes its qlog, so layers
   * built on it (HTTP/3, library users of `core`) hear the end instead of waiting for a timer
   * that no endpoint runs any more. @internal
   */
  endClosingPeriod(): void {
    const core = this.coreConn;
    if (core === null || (core.state !== 'closing' && core.state !== 'draining')) return;
    core.endClosingPeriod(monotonicMicros());
  }

  private finish(info: CloseInfo | null): void {
    if (this.finished) return;
    this.finished = true;
    const g = this.gracefulClose;
    if (g !== null && g.deadline !== null) clearTimeout(g.deadline);
    this.endpoint?.unwatch(this);
    const error =
      this.overrideError ??
      (info === null || isCleanClose(info, this.coreConn?.alpn ?? null)
        ? null
        : errorFromClose(info));
    for (const s of [...this.streams.values()]) s.onConnectionClosed(error);
    this.streams.clear();
    this.unclaimed.clear();
    if (this.waiters.length > 0) {
      // Errors are made only for someone to reject: capturing a stack costs tens of µs.
      const waitError = error ?? new QuicNodeError('ERR_QUIC_CLOSED', 'connection closed');
      for (const w of this.waiters.splice(0)) w.reject(waitError);
    }
    this.resolveStarted();
    if (this.ownsEndpoint) {
      this.endpoint?.close();
      this.endClosingPeriod();
    }
    if (error === null) {
      // A clean close before the handshake completed still fails `ready`.
      if (!this.handshook) {
        this.rejectReady(
          new QuicNodeError('ERR_QUIC_CLOSED', 'connection closed before the handshake completed'),
        );
      }
      this.resolveClosed();
    } else {
      this.rejectReady(error);
      this.rejectClosed(error);
    }
    emitSafely(this, 'close', info ?? closeInfoOf(error), error);
  }
}

function toBuffer(data: Uint8Array): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.length);
}

function closeInfoOf(error: QuicNodeError | null): CloseInfo {
  if (error instanceof QuicConnectionError) return error.info;
  return {
    source: 'local',
    errorCode: 0,
    application: true,
    reason: error?.message ?? '',
  };
}

/** The CloseInfo of an ICMP port unreachable during the handshake. */
export function refusedCloseInfo(reason: string): CloseInfo {
  return {
    source: 'local',
    errorCode: TransportError.CONNECTION_REFUSED,
    application: false,
    reason,
  };
}
