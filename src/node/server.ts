/**
 * `createServer(options)`: a QUIC server on one UDP socket, Node style.
 *
 *   const server = createServer({ cert, key, alpn: ['hq-interop'] });
 *   server.on('connection', (conn) => conn.on('stream', (s) => s.pipe(s)));
 *   const addr = await server.listen(4433, '127.0.0.1');
 *   ...
 *   await server.close();
 *
 * Events: 'connection' (conn: QuicConnection) for each accepted client, before its handshake
 * completes (wait for `conn.ready`); 'listening'; 'close' once closed.
 */
import { EventEmitter } from 'node:events';
import type { CryptoProvider } from '../crypto/provider.js';
import { defaultProvider } from '../crypto/default-provider.js';
import type { EngineConfig, ServerConfig } from '../engine/engine.js';
import type { AdmissionOptions } from '../engine/admission.js';
import { ticketKeysFrom, type KeyMaterial } from '../engine/key-material.js';
import type { QuicLbServerConfig } from '../lb/generator.js';
import type { Connection } from '../conn/connection.js';
import type { ConnectionOptions } from '../conn/options.js';
import type { QlogSink } from '../conn/qlog.js';
import { TicketKeys } from '../tls/ticket-keys.js';
import type { AntiReplayStore } from '../tls/anti-replay.js';
import type { CertifiedKey, CertificateSelectionInfo } from '../tls/types.js';
import {
  addressInfo,
  emitSafely,
  QuicConnection,
  throwIfAborted,
  type AddressInfo,
} from './connection.js';
import { keyMatchesCertificate } from '../tls/x509/key-match.js';
import { certificateChainFrom, signingKeyFrom, type CredentialInput } from './credentials.js';
import { Endpoint } from './endpoint.js';
import { QuicNodeError } from './errors.js';
import type { SocketAddress } from '../util/address.js';
import type { QuicStreamOptions } from './stream.js';
import type { SocketBinder, UdpSocketOptions } from './udp.js';
import type { SocketKind } from './socket-choice.js';

/** Per-connection transport options a server applies to every connection. */
export type TransportOptions = Omit<ConnectionOptions, 'alpn' | 'version' | 'keyLog' | 'crypto'>;

export interface ServerOptions extends Partial<TransportOptions> {
  /** ALPN protocols accepted, in preference order (RFC 7301). Required. */
  alpn: string[];
  /** Certificate chain, leaf first: PEM text or bytes, DER bytes, or a list of them. */
  cert?: CredentialInput;
  /** Private key of the leaf: PEM (PKCS#8, SEC1 or PKCS#1) or PKCS#8 DER. */
  key?: string | Uint8Array;
  /** The chain and key already loaded (instead of `cert` and `key`). */
  certificate?: CertifiedKey;
  /** Picks a certificate per ClientHello (SNI); may return a promise. */
  selectCertificate?: (
    info: CertificateSelectionInfo,
  ) => CertifiedKey | null | Promise<CertifiedKey | null>;
  /** Demand address validation with Retry from every new client (RFC 9000 §8.1.2). Default false. */
  retry?: boolean;
  /**
   * Flood defence: how many connections with an unvalidated client address are kept, how many
   * are made per second, and how long they wait; beyond, Retry (default) or drop. Defaults:
   * 128, 1000/s, 5 s (see AdmissionOptions).
   */
  admission?: AdmissionOptions;
  /** Issue session tickets for resumption. Default true. */
  sessionTickets?: boolean;
  /**
   * Ticket keys; default those of `keys`, else fresh random ones per server. To share tickets
   * between servers or restarts, give `keys` (or `new TicketKeys(provider, { secret })`).
   */
  ticketKeys?: TicketKeys;
  /**
   * Key material shared by the servers of a pool or kept across restarts (session tickets,
   * Retry and NEW_TOKEN tokens, stateless resets): read one key file with `decodeKeyMaterial`
   * and give it to every server. Default: random keys per server.
   */
  keys?: KeyMaterial;
  /**
   * Key for stateless reset tokens (32 bytes, RFC 9000 §10.3.2): a restarted server with the
   * same key resets its old clients at once instead of leaving them to their idle timeout.
   * Default: that of `keys`, else random.
   */
  statelessResetKey?: Uint8Array;
  /**
   * Issue QUIC-LB connection IDs (draft-ietf-quic-load-balancers-21) with this server ID, so a
   * load balancer in front routes by CID. Default: random CIDs.
   */
  quicLb?: QuicLbServerConfig;
  /** Accept 0-RTT early data from resuming clients (RFC 9001 §4.6). Default false. */
  earlyData?: boolean;
  /**
   * The application protocol's part of session tickets, so that 0-RTT is refused once its
   * remembered limits are no longer met (HTTP/3: `h3TicketApplication(h3Options)` of
   * tsquic/h3, RFC 9114 §7.2.4.2). The transport limits are checked in any case.
   */
  ticketApplication?: ServerConfig['ticketApplication'];
  /** Final say on each 0-RTT attempt (given the ticket's data, SNI and ALPN). Default: accept. */
  acceptEarlyData?: ServerConfig['acceptEarlyData'];
  /**
   * Single-use record of accepted 0-RTT ClientHellos (RFC 8446 §8.2), to share between servers
   * that share `ticketKeys`. Default: one in-process store per server.
   */
  antiReplay?: AntiReplayStore;
  /** Picks the application protocol from the client's offer and SNI; may return a promise. */
  selectAlpn?: ServerConfig['selectAlpn'];
  /**
   * Sees each new client before any state is kept, with the SNI and ALPN of its first Initial
   * (see the engine's `accept`): 'accept', 'refuse' or 'retry'. Default: accept (retry with
   * `retry`).
   */
  accept?: ServerConfig['accept'];
  /** Ask for client certificates and verify them against these roots. */
  clientAuth?: { required?: boolean; ca: CredentialInput };
  /** SSLKEYLOGFILE lines, for decrypting captures. */
  keyLog?: (line: string) => void;
  /** A qlog sink per connection (by original DCID in hex). */
  qlog?: (traceId: string, role: 'client' | 'server') => QlogSink | undefined;
  /** Crypto provider; default the fastest per primitive on this runtime. */
  crypto?: CryptoProvider;
  /**
   * QUIC versions accepted, in preference order, e.g. [1] or [0x6b3343cf, 1] (RFC 9369): a v1
   * client that offers v2 is switched to v2 when v2 comes first (RFC 9368 §2.3); others get
   * Version Negotiation. Default: v1 and v2, in the client's order of preference.
   */
  versions?: readonly number[];
  /**
   * A second address the server listens on and offers in its transport parameters; clients move
   * there after the handshake (RFC 9000 §9.6). The socket is bound by listen().
   */
  preferredAddress?: { ipv4?: SocketAddress; ipv6?: SocketAddress };
  /** Most connections at once; new clients beyond are refused. Default 10 000. */
  maxConnections?: number;
  /** Kernel buffer sizes and the send queue bound of the UDP socket. */
  socket?: UdpSocketOptions;
  /** Buffer sizes of each stream's Duplex. */
  stream?: QuicStreamOptions;
  /** @internal How the listening socket is bound (a worker of a multi-worker server binds its port). */
  bindSocket?: SocketBinder;
  /** @internal What `bindSocket` binds ('native': a worker's own socket of a steered group). */
  bindSocketKind?: SocketKind;
}

/** The events of a QuicServer and their arguments. */
export interface QuicServerEvents {
  /** A client connected (before its handshake completes: wait for `conn.ready`). */
  connection: [conn: QuicConnection];
  /** The socket is bound. */
  listening: [];
  /** The server closed. */
  close: [];
  /**
   * The server began to drain (drain() or stopAccepting()): new clients are refused, and the
   * protocols on the live connections should end gracefully, e.g. HTTP/3 sends GOAWAY, lets the
   * requests in progress finish and closes with H3_NO_ERROR (RFC 9114 §5.2).
   */
  draining: [];
  /**
   * A client's handshake failed (node:tls's 'tlsClientError'): its certificate was refused, no
   * common ALPN, cipher suite or group, a TLS alert, or it stopped answering. `conn` is the
   * server's side of it (`conn.remoteAddress`: the client's address). Never an 'error'.
   */
  tlsClientError: [error: QuicNodeError, conn: QuicConnection];
  /**
   * A key log line (NSS format, with its newline) of a connection, as node:tls's server
   * 'keylog' (SSLKEYLOGFILE, to decrypt captures). Lines are made only while listened to.
   */
  keylog: [line: Buffer, conn: QuicConnection];
  /**
   * The server itself failed: its socket reported an error (ERR_QUIC_SOCKET, the socket's error
   * as the cause). Emitted only while listened to: a UDP socket's errors are about single
   * datagrams, whose loss QUIC recovers from, so an unhandled one must not end the process.
   * Failed handshakes are 'tlsClientError', failed connections their own 'close'.
   */
  error: [error: QuicNodeError];
}

export interface ListenOptions {
  /** Closes the server when aborted (as node:net's `listen({ signal })`). */
  signal?: AbortSignal;
}

export class QuicServer extends EventEmitter<QuicServerEvents> {
  private readonly options: ServerOptions;
  private readonly serverConfig: ServerConfig;
  private endpoint: Endpoint | null = null;
  private readonly live = new Set<QuicConnection>();
  private closing: Promise<void> | null = null;
  private draining: Promise<void> | null = null;
  /** New clients are refused (stopAccepting()); 'draining' was emitted. */
  private refusing = false;
  private refed = true;
  /** The Node connection of each core one, and key log lines that came before it existed. */
  private readonly byCore = new WeakMap<Connection, QuicConnection>();
  private readonly earlyKeyLog = new WeakMap<Connection, Buffer[]>();

  constructor(options: ServerOptions) {
    super();
    if (!Array.isArray(options.alpn) || options.alpn.length === 0) {
      throw new TypeError('createServer: options.alpn must list at least one protocol');
    }
    this.options = options;
    this.serverConfig = {
      ...buildServerConfig(options, () => this.closing !== null || this.refusing),
      connectionKeyLog: (core, line) => this.onKeyLog(core, line),
    };
  }

  /** Connections alive now. */
  get connections(): ReadonlySet<QuicConnection> {
    return this.live;
  }

  /** The bound address with its family (node:net style), or null before listen(). */
  address(): AddressInfo | null {
    const local = this.endpoint?.mainSocket?.local;
    return local === undefined ? null : addressInfo(local);
  }

  /** Lets the process exit while the server's socket and timer are all that is left. */
  unref(): this {
    this.refed = false;
    this.endpoint?.setRef(false);
    return this;
  }

  /** Keeps the process alive while the server listens (the default). */
  ref(): this {
    this.refed = true;
    this.endpoint?.setRef(true);
    return this;
  }

  /** `await using server = createServer(...)`: closes at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /**
   * Binds the UDP socket (port 0: any free port; host default '0.0.0.0', '::' for IPv6 and
   * IPv4) and starts accepting. Resolves to the bound address.
   */
  async listen(port = 0, host = '0.0.0.0', options: ListenOptions = {}): Promise<AddressInfo> {
    const signal = options.signal;
    throwIfAborted(signal);
    if (this.endpoint !== null)
      throw new QuicNodeError('ERR_QUIC_SOCKET', 'server already listening');
    if (this.closing !== null) throw new QuicNodeError('ERR_QUIC_CLOSED', 'server closed');
    const o = this.options;
    const resetKey = o.statelessResetKey ?? o.keys?.statelessResetKey;
    const config: EngineConfig = {
      server: { ...this.serverConfig, ...(o.versions ? { versions: o.versions } : {}) },
      connection: transportOptions(o),
      ...(o.crypto ? { crypto: o.crypto } : {}),
      ...(o.qlog ? { qlog: o.qlog } : {}),
      ...(o.maxConnections !== undefined ? { maxConnections: o.maxConnections } : {}),
      // The parts of `keys`, not the whole: ticket keys are this server's choice
      // (buildServerConfig), and sessionTickets: false must stay without tickets.
      ...(resetKey ? { statelessResetKey: resetKey } : {}),
      ...(o.quicLb ? { quicLb: o.quicLb } : {}),
    };
    const endpoint = new Endpoint(
      config,
      o.socket ?? {},
      {
        connection: (core) => this.onConnection(core, endpoint),
        socketError: (err) => this.onSocketError(err),
      },
      o.bindSocket
        ? {
            bindSocket: o.bindSocket,
            ...(o.bindSocketKind ? { socketKind: o.bindSocketKind } : {}),
          }
        : {},
    );
    this.endpoint = endpoint;
    try {
      const socket = await endpoint.addSocket(host, port);
      // RFC 9000 §9.6: the preferred address is served by the same engine on its own socket.
      const pa = o.preferredAddress;
      for (const a of [pa?.ipv4, pa?.ipv6]) if (a) await endpoint.addSocket(a.address, a.port);
      if (!this.refed) endpoint.setRef(false);
      if (signal !== undefined) {
        const abort = (): void => void this.close();
        if (signal.aborted) abort();
        else signal.addEventListener('abort', abort, { once: true });
        this.once('close', () => signal.removeEventListener('abort', abort));
      }
      this.emit('listening');
      return addressInfo(socket.local);
    } catch (e) {
      this.endpoint = null;
      endpoint.close();
      throw e;
    }
  }

  /**
   * Stops accepting (new clients are refused, RFC 9000 §10.2 CONNECTION_REFUSED), closes every
   * connection gracefully with `code` (by default each connection's own clean code, which its
   * application protocol chose: H3_NO_ERROR under HTTP/3, RFC 9114 §8.1, else 0), then releases
   * the socket.
   */
  close(code?: number, reason = 'server closing'): Promise<void> {
    this.closing ??= (async () => {
      this.flushQlogs();
      // Established connections close gracefully. Those still in their handshake, or already
      // closing or draining, would only wait out a closing period (three PTOs, RFC 9000 §10.2),
      // which nothing needs once the socket goes: they are abandoned (with a CONNECTION_CLOSE).
      const established = [...this.live].filter((c) => c.usable && c.handshakeComplete);
      await Promise.all(established.map((c) => c.close(code, reason)));
      const abandoned = [...this.live];
      for (const c of abandoned) c.abandon();
      // dgram resolves the destination of a send on the next tick: let those closes leave.
      await new Promise((resolve) => setImmediate(resolve));
      // Then their closing or draining periods end (RFC 9000 §10.2: nothing can reach them once
      // the socket goes), so the core connections finish: their qlog files are written and
      // closed, not left empty in a process about to exit.
      for (const c of abandoned) c.endClosingPeriod();
      this.endpoint?.close();
      this.emit('close');
    })();
    return this.closing;
  }

  /**
   * Stops accepting (new clients are refused) and lets the live connections finish on their own;
   * once the last one has ended, or after `timeoutMs` (then the rest are closed gracefully with
   * `code`, by default each one's own clean code as in close(); `Infinity`: no limit), the socket
   * is released. A reload's old generation leaves this way.
   */
  drain(timeoutMs = 60_000, code?: number, reason = 'server draining'): Promise<void> {
    this.stopAccepting();
    this.draining ??= (async () => {
      let timer: NodeJS.Timeout | undefined;
      // setTimeout turns anything above 2^31-1 ms into 1 ms, so an unbounded drain has no timer.
      const late = Number.isFinite(timeoutMs)
        ? new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))
        : new Promise<void>(() => {});
      const ended = Promise.all(
        [...this.live].map((c) => new Promise<void>((resolve) => c.once('close', () => resolve()))),
      );
      await Promise.race([ended, late]);
      clearTimeout(timer);
      await this.close(code, reason);
    })();
    return this.draining;
  }

  /**
   * Refuses new clients from now on (RFC 9000 §10.2) and emits 'draining', so that the protocols
   * on the live connections end gracefully. drain() begins with it; a server that stays up while
   * its connections end (a worker of a draining pool, until the pool closes it) calls it alone.
   */
  stopAccepting(): void {
    if (this.refusing) return;
    this.refusing = true;
    this.flushQlogs();
    emitSafely(this, 'draining');
  }

  /** Whether new clients are refused: the server drains or closes. */
  get refusesClients(): boolean {
    return this.refusing || this.closing !== null;
  }

  /**
   * Writes what the connections logged so far, as the server starts to stop: draining or a
   * graceful close may outlast the time the process is given (the interop runner kills a server
   * 2 s after SIGTERM), and a trace is otherwise written in large blocks or at its close.
   */
  private flushQlogs(): void {
    for (const c of this.live) c.coreIfStarted?.qlog?.flush?.();
  }

  private onKeyLog(core: Connection, line: string): void {
    if (this.listenerCount('keylog') === 0) return;
    const bytes = Buffer.from(`${line}\n`);
    const conn = this.byCore.get(core);
    if (conn !== undefined) emitSafely(this, 'keylog', bytes, conn);
    else if (this.earlyKeyLog.has(core)) this.earlyKeyLog.get(core)!.push(bytes);
    else this.earlyKeyLog.set(core, [bytes]);
  }

  private onSocketError(err: Error & { code?: string }): void {
    if (this.listenerCount('error') === 0) return;
    const error = new QuicNodeError('ERR_QUIC_SOCKET', `server socket: ${err.message}`, {
      cause: err,
    });
    emitSafely(this, 'error', error);
  }

  private onConnection(core: Connection, endpoint: Endpoint): void {
    const conn = new QuicConnection({
      client: false,
      ownsEndpoint: false,
      verifiesPeer: this.options.clientAuth !== undefined,
      ...(this.options.stream ? { streamOptions: this.options.stream } : {}),
    });
    conn.start(core, endpoint);
    this.live.add(conn);
    this.byCore.set(core, conn);
    // Lines of the handshake's first secrets, made before this connection was announced.
    for (const line of this.earlyKeyLog.get(core) ?? []) emitSafely(this, 'keylog', line, conn);
    this.earlyKeyLog.delete(core);
    conn.once('close', (_info, error) => {
      this.live.delete(conn);
      if (error !== null && !conn.handshakeComplete && this.listenerCount('tlsClientError') > 0) {
        this.emit('tlsClientError', error, conn);
      }
    });
    try {
      this.emit('connection', conn);
    } catch (e) {
      process.nextTick(() => {
        throw e;
      });
    }
  }
}

/** Creates a QUIC server; `onConnection` is added as a 'connection' listener. */
export function createServer(
  options: ServerOptions,
  onConnection?: (conn: QuicConnection) => void,
): QuicServer {
  const server = new QuicServer(options);
  if (onConnection) server.on('connection', onConnection);
  return server;
}

/** The connection options of ServerOptions (everything ConnectionOptions knows, minus ALPN). */
export function transportOptions(o: Partial<TransportOptions>): Partial<ConnectionOptions> {
  const keys: (keyof TransportOptions)[] = [
    'congestionControl',
    'idleTimeout',
    'keepAlive',
    'initialMaxData',
    'initialMaxStreamData',
    'maxConnectionWindow',
    'maxStreamWindow',
    'maxStreamsBidi',
    'maxStreamsUni',
    'streamSendBuffer',
    'maxAckDelay',
    'ackDelayExponent',
    'maxDatagramFrameSize',
    'initialRtt',
    'maxUdpPayload',
    'pmtud',
    'disableActiveMigration',
    'cipherSuites',
    'groups',
    'keyUpdateInterval',
    'keyUpdateAfterBytes',
    'greaseQuicBit',
    'multipath',
    'random',
  ];
  const out: Record<string, unknown> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out as Partial<ConnectionOptions>;
}

function buildServerConfig(o: ServerOptions, closing: () => boolean): ServerConfig {
  const provider = o.crypto ?? defaultProvider;
  let certificate = o.certificate;
  if (certificate === undefined && o.cert !== undefined) {
    if (o.key === undefined) throw new TypeError('createServer: options.cert needs options.key');
    certificate = { chain: certificateChainFrom(o.cert), key: signingKeyFrom(provider, o.key) };
  }
  if (
    certificate !== undefined &&
    !keyMatchesCertificate(provider, certificate.chain[0]!, certificate.key)
  ) {
    throw new TypeError('createServer: the certificate and the private key do not match');
  }
  if (certificate === undefined && o.selectCertificate === undefined) {
    throw new TypeError('createServer: give options.cert and options.key (or certificate)');
  }
  const ticketKeys =
    o.ticketKeys ??
    (o.sessionTickets === false
      ? undefined
      : o.keys
        ? ticketKeysFrom(o.keys, provider)
        : new TicketKeys(provider));
  const retry = o.retry === true;
  return {
    alpn: o.alpn,
    retry,
    ...(o.admission ? { admission: o.admission } : {}),
    // RFC 9000 §10.2: a closing server refuses new connections.
    accept: (remote, validated, hello) => {
      if (closing()) return 'refuse';
      if (o.accept) return o.accept(remote, validated, hello);
      return retry && !validated ? 'retry' : 'accept';
    },
    ...(certificate ? { certificate } : {}),
    ...(o.selectCertificate ? { selectCertificate: o.selectCertificate } : {}),
    ...(ticketKeys ? { ticketKeys } : {}),
    ...(o.keys ? { tokenKey: o.keys.tokenKey } : {}),
    ...(o.earlyData ? { earlyData: true } : {}),
    ...(o.preferredAddress ? { preferredAddress: o.preferredAddress } : {}),
    ...(o.ticketApplication ? { ticketApplication: o.ticketApplication } : {}),
    ...(o.acceptEarlyData ? { acceptEarlyData: o.acceptEarlyData } : {}),
    ...(o.antiReplay ? { antiReplay: o.antiReplay } : {}),
    ...(o.selectAlpn ? { selectAlpn: o.selectAlpn } : {}),
    ...(o.clientAuth
      ? {
          clientAuth: {
            trustAnchors: certificateChainFrom(o.clientAuth.ca),
            ...(o.clientAuth.required !== undefined ? { required: o.clientAuth.required } : {}),
          },
        }
      : {}),
    ...(o.cipherSuites ? { cipherSuites: o.cipherSuites } : {}),
    ...(o.groups ? { groups: o.groups } : {}),
    ...(o.keyLog ? { keyLog: o.keyLog } : {}),
    ...(o.preferredAddress ? { preferredAddress: o.preferredAddress } : {}),
  };
}
