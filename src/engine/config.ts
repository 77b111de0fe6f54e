/**
 * The engine's configuration (src/engine/engine.ts): the shapes a host gives `new Engine()` and
 * `Engine.connect`, and their normalisation: the shared key material applied, the CID scheme
 * chosen, the server's versions checked, a default anti-replay store for 0-RTT, and a server
 * misconfiguration (certificate and key that do not match, a bad preferred address or
 * congestion controller) refused at construction rather than when a client arrives.
 */
import { congestionControlFactory } from '../cc/choice.js';
import type { Connection } from '../conn/connection.js';
import { preferredAddressParam } from '../conn/migration.js';
import { clientVersions } from '../conn/version-negotiation.js';
import type { ConnectionOptions } from '../conn/options.js';
import type { QlogSink } from '../conn/qlog.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { QuicLbCidGenerator, type QuicLbServerConfig } from '../lb/generator.js';
import { MemoryAntiReplayStore } from '../tls/anti-replay.js';
import type { ClientHelloPeek } from '../tls/client-hello-peek.js';
import { keyMatchesCertificate } from '../tls/x509/key-match.js';
import type { SocketAddress, Transmit } from '../util/address.js';
import { isSupportedVersion, SUPPORTED_VERSIONS } from '../wire/version.js';
import type { AdmissionOptions } from './admission.js';
import { ticketKeysFrom, type KeyMaterial } from './key-material.js';
import { createClientTls, type ClientTlsOptions, type ServerTlsOptions } from './tls-setup.js';
import type { TransmitBatch } from './transmit-batch.js';

/** What the accept hook decides for a new client, before any state is kept. */
export type AcceptDecision = 'accept' | 'refuse' | 'retry';

export interface EngineConfig {
  /** Crypto provider (default: the fastest per primitive). */
  crypto?: CryptoProvider;
  /** Length of the connection IDs this engine issues, 4..20 (default 8). */
  cidLength?: number;
  /** Makes CIDs of the engine's own scheme. Must return `cidLength` bytes. */
  cidGenerator?: () => Uint8Array;
  /**
   * Issue QUIC-LB connection IDs (draft-ietf-quic-load-balancers-21) carrying this server ID, so
   * that load balancers and workers route by CID: every CID the engine issues (handshake, Retry,
   * NEW_CONNECTION_ID, preferred address). Sets `cidLength` (1 + serverIdLength + nonceLength);
   * not with `cidGenerator`.
   */
  quicLb?: QuicLbServerConfig;
  /** Key for stateless reset tokens (32 bytes); share it across restarts to reset old peers. */
  statelessResetKey?: Uint8Array;
  /**
   * Key material shared with the other servers of a pool or kept across restarts (see
   * key-material.ts): session ticket keys, the token key and the stateless reset key, so that
   * resumption, 0-RTT, Retry, NEW_TOKEN and stateless reset work whichever server gets the
   * packet. `statelessResetKey`, `server.tokenKey` and `server.ticketKeys` override its parts.
   */
  keys?: KeyMaterial;
  /** Server configuration; without it the engine only makes client connections. */
  server?: ServerConfig;
  /** Default options for every connection (overridable per connect()). */
  connection?: Partial<ConnectionOptions>;
  /** Creates a qlog sink per connection (by its original DCID, hex). */
  qlog?: (traceId: string, role: 'client' | 'server') => QlogSink | undefined;
  /** Most connections at once (server accept refuses beyond). Default 10 000. */
  maxConnections?: number;
}

export interface ServerConfig extends ServerTlsOptions {
  /** ALPN protocols the server accepts, in preference order. */
  alpn: string[];
  /**
   * QUIC versions this server accepts (each one the engine speaks), in preference order. A new
   * client offering another one gets Version Negotiation listing these (RFC 9000 §6.1); a
   * client whose first flight converts into one it prefers and offers in version_information
   * is switched to it (RFC 9368 §2.3). Default: v1 and v2, in the client's order of preference.
   */
  versions?: readonly number[];
  /** Always demand address validation with Retry (RFC 9000 §8.1.2). */
  retry?: boolean;
  /**
   * Flood defence: limits on connections whose client address is not validated, beyond which
   * new clients get Retry (default) or are dropped before any TLS work (see AdmissionOptions).
   */
  admission?: AdmissionOptions;
  /**
   * Sees each new client before any state is kept; may accept, refuse (CONNECTION_REFUSED) or
   * demand address validation (Retry). `hello` holds the SNI and ALPN read from the CRYPTO data
   * of the client's first Initial packet (null when that holds no ClientHello start); when the
   * ClientHello spans several packets (`hello.complete` false), an extension beyond the first
   * packet reads as null. Default: accept (or retry when `retry` is set).
   */
  accept?: (
    remote: SocketAddress,
    validated: boolean,
    hello: ClientHelloPeek | null,
  ) => AcceptDecision;
  /**
   * Each connection's key log lines (NSS format, as `keyLog`'s) with the connection they belong
   * to, as node:tls's server 'keylog' event gives them with the socket.
   */
  connectionKeyLog?: (conn: Connection, line: string) => void;
  /** Issue NEW_TOKEN tokens after the handshake (RFC 9000 §8.1.3). Default true. */
  newTokens?: boolean;
  /** Key sealing address-validation tokens (16 bytes); random by default. */
  tokenKey?: Uint8Array;
  /**
   * Addresses this server prefers clients to move to after the handshake (RFC 9000 §9.6),
   * offered in preferred_address with a CID of their own. The engine must also receive
   * datagrams sent there. Default: none.
   */
  preferredAddress?: { ipv4?: SocketAddress; ipv6?: SocketAddress };
}

/** Options of `Engine.connect` (`tsquic/node`'s `connect` takes `ConnectOptions`, a Node shape). */
export interface EngineConnectOptions extends Partial<ConnectionOptions>, ClientTlsOptions {
  /** Local address the datagrams are sent from. Default 0.0.0.0:0 (the host's socket). */
  local?: SocketAddress;
  /** A NEW_TOKEN token from an earlier connection to this server. */
  token?: Uint8Array;
}

/** @deprecated Use `EngineConnectOptions` (`ConnectOptions` is `tsquic/node`'s shape). */
export type ConnectOptions = EngineConnectOptions;

/** Callbacks of callback mode (xquic style). */
export interface EngineCallbacks {
  sendto(datagram: Transmit): void;
  /**
   * When given, finishRecv hands out batches (the GSO shape, transmit-batch.ts) here instead of
   * single datagrams to `sendto`.
   */
  sendBatch?(batch: TransmitBatch): void;
  /**
   * Arm the engine's single timer to fire after `delayUs` µs (Infinity: disarm). The engine
   * also asks for 0 when an API call outside a receive or timer call gave it something to send:
   * the host schedules all I/O, the engine none (a host may serve delays this short in the
   * same turn of its event loop, after the reads).
   */
  setTimer(delayUs: number): void;
  /** The host's monotonic clock in µs, for work triggered outside a receive or timer call. */
  now(): number;
  /** A server accepted a new connection. */
  onConnection?(conn: Connection): void;
}

/** `config` with the server's ticket keys taken from `config.keys` when it names none. */
export function withKeyMaterial(config: EngineConfig, provider: CryptoProvider): EngineConfig {
  const keys = config.keys;
  if (keys && config.server && !config.server.ticketKeys)
    return {
      ...config,
      server: { ...config.server, ticketKeys: ticketKeysFrom(keys, provider) },
    };
  return config;
}

/** The length of the CIDs the engine issues and how they are made (own scheme or QUIC-LB). */
export function cidScheme(
  config: EngineConfig,
  provider: CryptoProvider,
): { length: number; generate: () => Uint8Array } {
  let generate = config.cidGenerator;
  let length: number;
  if (config.quicLb) {
    if (generate) throw new TypeError('quicLb and cidGenerator are exclusive');
    const lb = new QuicLbCidGenerator(config.quicLb, provider);
    if (config.cidLength !== undefined && config.cidLength !== lb.cidLength)
      throw new RangeError(`cidLength must be ${lb.cidLength} for this quicLb configuration`);
    generate = () => lb.next();
    length = lb.cidLength;
  } else length = config.cidLength ?? 8;
  if (length < 4 || length > 20) {
    throw new RangeError('cidLength must be within 4..20');
  }
  return { length, generate: generate ?? (() => provider.random(length)) };
}

/** The versions a server accepts from new clients, in preference order, each one spoken here. */
export function serverVersions(config: EngineConfig): readonly number[] {
  const versions = config.server?.versions ?? SUPPORTED_VERSIONS;
  for (const v of versions) {
    if (!isSupportedVersion(v))
      throw new RangeError(`unsupported QUIC version 0x${v.toString(16)}`);
  }
  return versions;
}

/**
 * The server's TLS options, with an anti-replay store of the engine's own when 0-RTT is on and
 * none is given.
 */
export function withAntiReplay(server: ServerConfig | undefined): ServerConfig | undefined {
  // RFC 8446 §8.2: one single-use record per engine at least, so that 0-RTT is never
  // accepted twice for one ClientHello by this engine.
  return server?.earlyData === true && server.antiReplay === undefined
    ? { ...server, antiReplay: new MemoryAntiReplayStore() }
    : server;
}

/** Throws for a server certificate that is not its key's, a bad preferred address or controller. */
export function checkServerConfig(config: EngineConfig, provider: CryptoProvider): void {
  const pa = config.server?.preferredAddress;
  const certified = config.server?.certificate;
  if (certified && !keyMatchesCertificate(provider, certified.chain[0]!, certified.key)) {
    throw new TypeError('the server certificate and its private key do not match');
  }
  if (pa) preferredAddressParam({ ...pa, cid: new Uint8Array(8), resetToken: new Uint8Array(16) });
  const cc = config.connection?.congestionControl;
  if (cc !== undefined) congestionControlFactory(cc);
}

/**
 * A client connection's options (the engine's defaults under `opts`), the version of its first
 * flight and the versions it accepts, in preference order.
 */
export function clientStart(
  defaults: Partial<ConnectionOptions> | undefined,
  opts: EngineConnectOptions,
): { options: EngineConnectOptions; version: number; preferences: readonly number[] } {
  let options = { ...defaults, ...opts } as EngineConnectOptions;
  if (!options.alpn) throw new TypeError('connect: options.alpn is required');
  const chosen = clientVersions(options.version, options.versions);
  const preferences = chosen.preferences;
  let version = chosen.first;
  // RFC 9369 §5: a ticket resumes only the version that issued it. Without a version asked
  // for, the first flight goes in the ticket's (a server that issued a v2 ticket means to keep
  // v2, §7); otherwise a ticket of another version is not offered.
  const ticketVersion = options.session ? createClientTls.ticketVersion(options.session) : null;
  if (ticketVersion !== null && ticketVersion !== version) {
    if (options.version === undefined && preferences.includes(ticketVersion)) {
      version = ticketVersion;
    } else options = withoutResumption(options);
  }
  return { options, version, preferences };
}

/** Client options for a new attempt after Version Negotiation: no session ticket, no 0-RTT. */
export function withoutResumption(options: EngineConnectOptions): EngineConnectOptions {
  const fresh = { ...options };
  delete fresh.session;
  delete fresh.earlyData;
  return fresh;
}
