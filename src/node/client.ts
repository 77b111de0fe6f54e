/**
 * `connect(target, options)`: a QUIC client connection on its own UDP socket, Node style.
 *
 *   const conn = connect('https://example.com:4433', { alpn: ['hq-interop'] });
 *   await conn.ready;                      // handshake done (rejects with err.code on failure)
 *   const s = await conn.openStream();
 *   s.end('GET /\r\n');
 *   for await (const chunk of s) ...
 *   await conn.close();
 *
 * The connection returns at once; the host name resolves and the socket binds in the
 * background. The socket is connected to the server so that an ICMP port unreachable during the
 * handshake ends the attempt at once (ERR_QUIC_REFUSED) instead of after the idle timeout.
 * With `endpoint` (client-endpoint.ts), the connection runs on that endpoint's socket and engine
 * instead, beside its other connections.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { CryptoProvider, KeyExchangeGroup } from '../crypto/provider.js';
import { defaultProvider } from '../crypto/default-provider.js';
import type { EngineConnectOptions } from '../engine/engine.js';
import type { CertifiedKey } from '../tls/types.js';
import type { QlogSink } from '../conn/qlog.js';
import { formatAddress, type SocketAddress } from '../util/address.js';
import {
  abortError,
  emitSafely,
  QuicConnection,
  refusedCloseInfo,
  type PeerCertificate,
} from './connection.js';
import {
  certificateChainFrom,
  defaultTrustAnchors,
  signingKeyFrom,
  trustAnchorsFrom,
  type CredentialInput,
} from './credentials.js';
import { clientEngineConfig, type QuicClientEndpoint } from './client-endpoint.js';
import { Endpoint, monotonicMicros } from './endpoint.js';
import { QuicConnectionError, QuicNodeError } from './errors.js';
import { transportOptions, type TransportOptions } from './server.js';
import type { QuicStreamOptions } from './stream.js';
import type { UdpSocketOptions } from './udp.js';

export interface ConnectOptions extends Partial<TransportOptions> {
  /** ALPN protocols to offer, in preference order (RFC 7301). Required. */
  alpn: string[];
  /** Name for SNI and the certificate check. Default: the target's host name or IP literal. */
  serverName?: string;
  /** @deprecated The same as `serverName` (node:tls spells it so; tsquic 0.1 did too). */
  servername?: string;
  /** Trusted CA certificates (PEM or DER). Default: Node's bundled roots (tls.rootCertificates). */
  ca?: CredentialInput;
  /** Skip certificate chain and name checks (testing only). */
  insecure?: boolean;
  /** node:tls's spelling: false is `insecure: true`. Default true. */
  rejectUnauthorized?: boolean;
  /**
   * The check of the server's name, as node:tls's: when given it REPLACES tsquic's built-in one
   * (the chain is still verified against `ca`; call the exported `checkServerIdentity` from it
   * to keep the name check too). It runs once the handshake completed; return an Error to
   * refuse the certificate (`ready` rejects with ERR_QUIC_CERTIFICATE, the connection closes).
   * Default: the built-in check, inside the handshake (a mismatch is a bad_certificate alert).
   */
  checkServerIdentity?: (hostname: string, cert: PeerCertificate | null) => Error | undefined;
  /** Gives up: before the handshake completes `ready` rejects with ERR_QUIC_ABORTED. */
  signal?: AbortSignal;
  /** A ticket from an earlier connection's 'sessionTicket' event: resume (RFC 8446 §2.2). */
  session?: Uint8Array;
  /** Send early data (0-RTT) when resuming with a ticket that allows it (RFC 9001 §4.6). */
  earlyData?: boolean;
  /** A NEW_TOKEN token from an earlier connection to this server (RFC 9000 §8.1.3). */
  token?: Uint8Array;
  /**
   * Groups to send key shares for (RFC 8446 §4.2.8). Default: the first of `groups`, and x25519
   * with it when that is X25519MLKEM768 (no HelloRetryRequest from servers without ML-KEM).
   */
  keyShareGroups?: KeyExchangeGroup[];
  /**
   * QUIC version of the first flight: 1 or 2 (0x6b3343cf, RFC 9369). Default v1 when `versions`
   * lists it, else the first of `versions`.
   */
  version?: number;
  /**
   * QUIC versions accepted, in descending preference: offered to the server, which may switch
   * to one, and tried after Version Negotiation (RFC 9368). Default `version`, then the others.
   */
  versions?: readonly number[];
  /** Client certificate chain (PEM or DER) and key, presented when the server asks. */
  cert?: CredentialInput;
  key?: string | Uint8Array;
  /** The client certificate's chain and key already loaded (instead of `cert` and `key`). */
  certificate?: CertifiedKey;
  /** SSLKEYLOGFILE lines, for decrypting captures (also the connection's 'keylog' event). */
  keyLog?: (line: string) => void;
  /** A qlog sink for the connection (by original DCID in hex). */
  qlog?: (traceId: string, role: 'client' | 'server') => QlogSink | undefined;
  /** Crypto provider; default the fastest per primitive on this runtime. */
  crypto?: CryptoProvider;
  /** Local address to bind (default the wildcard of the server's address family). */
  localAddress?: string;
  /**
   * Run on this endpoint's socket and engine, shared with its other connections
   * (createClientEndpoint). The socket options (`localAddress`, `socket`) and the engine's
   * (`crypto`, `qlog`, `statelessResetKey`) are then the endpoint's: giving them here too is a
   * TypeError.
   */
  endpoint?: QuicClientEndpoint;
  /** Kernel buffer sizes and the send queue bound of the UDP socket. */
  socket?: UdpSocketOptions;
  /** Buffer sizes of each stream's Duplex. */
  stream?: QuicStreamOptions;
  /** Wall clock for certificate validity (ms since the epoch); default Date.now. */
  currentTime?: () => number;
  /**
   * Key for the stateless reset tokens of the CIDs this client issues (32 bytes, RFC 9000
   * §10.3.2); default random per connection.
   */
  statelessResetKey?: Uint8Array;
}

/** Where to connect: an URL ('https://host:port/...'), 'host:port', or host and port. */
export type ConnectTarget = string | URL | { host: string; port: number };

/** Host name (brackets stripped from IPv6 literals) and port of a target. */
export function parseTarget(target: ConnectTarget): { host: string; port: number } {
  if (typeof target === 'object' && !(target instanceof URL)) {
    return { host: stripBrackets(target.host), port: checkPort(target.port) };
  }
  let url: URL;
  try {
    url =
      target instanceof URL
        ? target
        : new URL(target.includes('://') ? target : `quic://${target}`);
  } catch {
    throw new TypeError(`not a URL or host:port: ${String(target)}`);
  }
  if (url.hostname === '') throw new TypeError(`no host in ${url.href}`);
  const port = url.port === '' ? 443 : Number(url.port);
  return { host: stripBrackets(url.hostname), port: checkPort(port) };
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function checkPort(port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(`port must be an integer from 1 to 65535, got ${port}`);
  }
  return port;
}

/** Resolves a host name, IPv4 first (what `localhost` servers usually bind). */
async function resolveHost(host: string): Promise<string> {
  if (isIP(host) !== 0) return host;
  try {
    const all = await lookup(host, { all: true });
    const first = all.find((a) => a.family === 4) ?? all[0];
    if (first === undefined) throw new Error('no address');
    return first.address;
  } catch (e) {
    throw new QuicNodeError('ERR_QUIC_HOST_NOT_FOUND', `unknown host ${host}`, { cause: e });
  }
}

/** Opens a client connection to `target`; see the module comment. */
export function connect(target: ConnectTarget, options: ConnectOptions): QuicConnection {
  if (!Array.isArray(options.alpn) || options.alpn.length === 0) {
    throw new TypeError('connect: options.alpn must list at least one protocol');
  }
  const shared = options.endpoint;
  if (shared !== undefined) {
    for (const k of ENDPOINT_OPTIONS) {
      if (options[k] !== undefined) {
        throw new TypeError(`connect: options.${k} belongs to the endpoint (options.endpoint)`);
      }
    }
  }
  const { host, port } = parseTarget(target);
  const connectOpts = clientOptions(options, host, shared?.crypto ?? options.crypto);
  const check = options.checkServerIdentity;
  if (check !== undefined) connectOpts.checkServerName = false; // the user's check replaces it
  const conn = new QuicConnection({
    client: true,
    ownsEndpoint: shared === undefined,
    target: { address: host, port },
    verifiesPeer: connectOpts.insecure !== true,
    ...(check ? { checkIdentity: (cert) => check(connectOpts.serverName ?? host, cert) } : {}),
    ...(options.stream ? { streamOptions: options.stream } : {}),
  });
  // node:tls's 'keylog' event, beside the keyLog callback; lines are made only when asked for.
  const userKeyLog = options.keyLog;
  connectOpts.keyLog = (line) => {
    userKeyLog?.(line);
    if (conn.listenerCount('keylog') > 0) emitSafely(conn, 'keylog', Buffer.from(`${line}\n`));
  };
  const signal = options.signal;
  if (signal !== undefined) {
    const abort = (): void => {
      if (!conn.handshakeComplete) conn.destroy(abortError(signal));
    };
    if (signal.aborted) abort();
    else {
      signal.addEventListener('abort', abort, { once: true });
      conn.once('close', () => signal.removeEventListener('abort', abort));
    }
  }
  const starting =
    shared === undefined
      ? start(conn, host, port, options, connectOpts)
      : startShared(conn, host, port, shared, connectOpts);
  starting.catch((e: unknown) => {
    conn.failStart(
      e instanceof QuicNodeError
        ? e
        : new QuicNodeError('ERR_QUIC_SOCKET', (e as Error).message, { cause: e }),
    );
  });
  return conn;
}

async function start(
  conn: QuicConnection,
  host: string,
  port: number,
  options: ConnectOptions,
  connectOpts: EngineConnectOptions,
): Promise<void> {
  const address = await resolveHost(host);
  if (conn.isClosed) return;
  const remote: SocketAddress = { address, port };
  const endpoint = new Endpoint(clientEngineConfig(options), options.socket ?? {}, {
    socketError: (err) => {
      // Only a connected socket hears ICMP errors; before the handshake completes nothing can
      // be lost by giving up on an unreachable server.
      if (err.code === 'ECONNREFUSED' && !conn.handshakeComplete) {
        conn.fail(
          new QuicConnectionError(
            'ERR_QUIC_REFUSED',
            `connection refused: nothing listens on UDP ${formatAddress(remote)}`,
            refusedCloseInfo('ICMP port unreachable'),
          ),
        );
      }
    },
  });
  try {
    const bindHost = options.localAddress ?? (address.includes(':') ? '::' : '0.0.0.0');
    const socket = await endpoint.addSocket(bindHost, 0);
    await socket.connect(remote);
    if (conn.isClosed) {
      endpoint.close();
      return;
    }
    const core = endpoint.engine.connect(
      remote,
      { ...connectOpts, local: socket.local },
      monotonicMicros(),
    );
    conn.start(core, endpoint);
  } catch (e) {
    endpoint.close();
    throw e;
  }
}

/** Options that belong to a shared endpoint, not to one of its connections. */
const ENDPOINT_OPTIONS = ['localAddress', 'socket', 'crypto', 'qlog', 'statelessResetKey'] as const;

/** A connection on a shared endpoint: the endpoint binds its socket on first use. */
async function startShared(
  conn: QuicConnection,
  host: string,
  port: number,
  shared: QuicClientEndpoint,
  connectOpts: EngineConnectOptions,
): Promise<void> {
  const address = await resolveHost(host);
  if (conn.isClosed) return;
  const remote: SocketAddress = { address, port };
  const endpoint = await shared.endpointFor(remote);
  if (conn.isClosed) return;
  shared.track(conn);
  const local = endpoint.mainSocket!.local;
  conn.start(
    endpoint.engine.connect(remote, { ...connectOpts, local }, monotonicMicros()),
    endpoint,
  );
}

/** The engine's connect options from the Node-style ones; bad credentials throw TypeError here. */
function clientOptions(
  o: ConnectOptions,
  host: string,
  provider: CryptoProvider = defaultProvider,
): EngineConnectOptions {
  const serverName = o.serverName ?? o.servername ?? host;
  const out: EngineConnectOptions = {
    ...transportOptions(o),
    alpn: o.alpn,
    serverName,
  };
  if (o.insecure === true || o.rejectUnauthorized === false) out.insecure = true;
  else out.ca = o.ca !== undefined ? trustAnchorsFrom(o.ca) : defaultTrustAnchors();
  // Copies as plain Uint8Arrays (a Buffer's slice() is a view, the core expects copies).
  if (o.session !== undefined) out.session = new Uint8Array(o.session);
  if (o.earlyData === true) out.earlyData = true;
  if (o.token !== undefined) out.token = new Uint8Array(o.token);
  if (o.version !== undefined) out.version = o.version;
  if (o.versions !== undefined) out.versions = o.versions;
  if (o.keyShareGroups !== undefined) out.keyShareGroups = o.keyShareGroups;
  if (o.keyLog !== undefined) out.keyLog = o.keyLog;
  if (o.currentTime !== undefined) out.currentTime = o.currentTime;
  if (o.cert !== undefined) {
    if (o.key === undefined) throw new TypeError('connect: options.cert needs options.key');
    out.certificate = { chain: certificateChainFrom(o.cert), key: signingKeyFrom(provider, o.key) };
  } else if (o.certificate !== undefined) {
    out.certificate = o.certificate;
  }
  return out;
}
