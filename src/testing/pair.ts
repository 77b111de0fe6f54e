/**
 * Two engines over the in-memory network: a server engine and a client engine with a test
 * certificate, joined by one link with the given conditions, and client connections already
 * started. This is the harness of the scenario tests, the HTTP/3 pair tests and the in-memory
 * benchmarks, and the quickest way for a user to try the stack without sockets (quinn's `Pair`,
 * quiche's `Pipe`). Everything runs in virtual time from one seed (docs/ARCHITECTURE.md §4).
 *
 * ```ts
 * const p = createEnginePair({ conditions: { delay: 20_000, loss: 0.01 } });
 * p.handshake();
 * p.conn.openStream(true)!.write(bytes, true);
 * p.runUntil(() => received === bytes.length);
 * ```
 */
import {
  Engine,
  type EngineConnectOptions,
  type EngineConfig,
  type ServerConfig,
} from '../engine/engine.js';
import type { Connection } from '../conn/connection.js';
import { defaultProvider } from '../crypto/default-provider.js';
import { createSelfSignedCertificate } from '../tls/x509/index.js';
import type { CertifiedKey } from '../tls/types.js';
import type { SocketAddress } from '../util/address.js';
import { Network, type LinkConditions, type LinkOptions, type SansIoEndpoint } from './network.js';

/** The server's address unless `serverAddress` says otherwise. */
export const PAIR_SERVER_ADDRESS: SocketAddress = { address: '10.0.0.1', port: 4433 };
/** The client's address unless `clientAddress` says otherwise. */
export const PAIR_CLIENT_ADDRESS: SocketAddress = { address: '10.0.0.2', port: 50000 };

/** A server certificate with its key, and the certificate a client trusts to verify it. */
export interface TestCertificate {
  /** The server's chain and key. */
  certificate: CertifiedKey;
  /** The certificate a client trusts, DER. */
  ca: Uint8Array;
  /** @deprecated Use `certificate` (in tsquic, `cert` is certificate bytes, not a chain and key). */
  cert: CertifiedKey;
}

/** A server's chain and key with the client's trust anchor; `{ cert, ca }` is the old spelling. */
export type PairCertificate =
  | { certificate: CertifiedKey; ca: Uint8Array }
  | { /** @deprecated Use `certificate`. */ cert: CertifiedKey; ca: Uint8Array };

let shared: TestCertificate | null = null;

/**
 * One self-signed ECDSA P-256 certificate for "localhost", 10.0.0.1 and 127.0.0.1, valid
 * 2020..2099, made on first use and shared (signing a certificate costs milliseconds).
 */
export function testCertificate(): TestCertificate {
  if (shared === null) {
    const c = createSelfSignedCertificate(defaultProvider, {
      names: ['localhost', '10.0.0.1', '127.0.0.1'],
      notBefore: Date.UTC(2020, 0, 1),
      notAfter: Date.UTC(2099, 0, 1),
    });
    shared = { certificate: c, cert: c, ca: c.cert };
  }
  return shared;
}

export interface EnginePairOptions {
  /** Seed of the network's randomness (loss, jitter, corruption, ...). Default 1. */
  seed?: number;
  /** Conditions of both directions of the link. Default: 10 ms one-way delay, nothing else. */
  conditions?: LinkConditions;
  /**
   * Links between addresses over the default one (`Network.addLink`): e.g. one per local
   * address of a multipath client, or one bottleneck shared by several address pairs.
   */
  links?: LinkOptions[];
  /** ALPN of both sides. Default `['test']`. */
  alpn?: string[];
  /** Server name the client asks for and verifies. Default "localhost". */
  serverName?: string;
  /** The server's certificate and the client's trust anchor. Default `testCertificate()`. */
  certificate?: PairCertificate;
  /** Server engine configuration (connection defaults, reset key, qlog, limits). */
  serverEngine?: Partial<EngineConfig>;
  /** Server configuration, over the defaults (alpn, certificate). */
  server?: Partial<ServerConfig>;
  /** Client engine configuration. */
  clientEngine?: EngineConfig;
  /** Options of every client connection, over the defaults (alpn, server name, CA, local). */
  client?: Partial<EngineConnectOptions>;
  /** Client connections started at once, all from the same client address. Default 1. */
  connections?: number;
  serverAddress?: SocketAddress;
  clientAddress?: SocketAddress;
  /**
   * Wraps an engine before it joins the network, to watch or alter what it receives and sends
   * (a tap on `handleDatagram`, buffer scribbling). Default: the engine itself.
   */
  endpoint?: (engine: Engine, role: 'client' | 'server') => SansIoEndpoint;
}

/** A server engine and a client engine on one in-memory network; see `createEnginePair`. */
export class EnginePair {
  readonly net: Network;
  readonly server: Engine;
  readonly client: Engine;
  readonly serverAddress: SocketAddress;
  readonly clientAddress: SocketAddress;
  /** The client connections, in the order they were started. */
  readonly conns: Connection[] = [];
  /** Server connections accepted so far, in accept order (see `acceptAll`). */
  readonly accepted: Connection[] = [];
  private readonly connectOptions: EngineConnectOptions;

  constructor(opts: EnginePairOptions = {}) {
    this.net = new Network({
      seed: opts.seed ?? 1,
      ...(opts.conditions !== undefined ? { conditions: opts.conditions } : {}),
    });
    for (const l of opts.links ?? []) this.net.addLink(l);
    const given = opts.certificate ?? testCertificate();
    const certificate = 'certificate' in given ? given.certificate : given.cert;
    const ca = given.ca;
    const alpn = opts.alpn ?? ['test'];
    this.serverAddress = opts.serverAddress ?? PAIR_SERVER_ADDRESS;
    this.clientAddress = opts.clientAddress ?? PAIR_CLIENT_ADDRESS;
    this.server = new Engine({
      ...opts.serverEngine,
      server: { alpn, certificate, ...opts.serverEngine?.server, ...opts.server },
    });
    this.client = new Engine(opts.clientEngine);
    const wrap = opts.endpoint ?? ((e: Engine): SansIoEndpoint => e);
    this.net.addEndpoint('server', wrap(this.server, 'server'), this.serverAddress);
    this.net.addEndpoint('client', wrap(this.client, 'client'), this.clientAddress);
    this.connectOptions = {
      alpn,
      serverName: opts.serverName ?? 'localhost',
      ca: [ca],
      local: this.clientAddress,
      ...opts.client,
    };
    for (let i = 0; i < (opts.connections ?? 1); i++) this.connect();
  }

  /** The first client connection. */
  get conn(): Connection {
    const c = this.conns[0];
    if (c === undefined) throw new RangeError('the pair started no client connection');
    return c;
  }

  /** Virtual time, µs. */
  get now(): number {
    return this.net.now;
  }

  /** Starts another client connection (options over the pair's client options). */
  connect(opts: Partial<EngineConnectOptions> = {}): Connection {
    const c = this.client.connect(
      this.serverAddress,
      { ...this.connectOptions, ...opts } as EngineConnectOptions,
      this.net.now,
    );
    this.conns.push(c);
    return c;
  }

  /** Takes the server connections accepted since the last call into `accepted`. */
  acceptAll(): void {
    for (let c = this.server.accept(); c !== null; c = this.server.accept()) this.accepted.push(c);
  }

  /** The first connection the server accepted, or null while there is none. */
  serverConn(): Connection | null {
    this.acceptAll();
    return this.accepted[0] ?? null;
  }

  /**
   * Runs until every client connection's handshake is confirmed (RFC 9001 §4.1.2) and the
   * server accepted as many connections. False when `maxUs` of virtual time ran out first.
   */
  handshake(maxUs = 10_000_000): boolean {
    return this.net.runUntil(() => {
      this.acceptAll();
      return (
        this.accepted.length >= this.conns.length && this.conns.every((c) => c.handshakeConfirmed)
      );
    }, maxUs);
  }

  /** Runs the network until `done()` holds; false when `maxUs` of virtual time ran out first. */
  runUntil(done: () => boolean, maxUs?: number): boolean {
    return this.net.runUntil(done, maxUs);
  }

  /** Runs the network for `us` µs of virtual time. */
  runFor(us: number): void {
    this.net.runFor(us);
  }
}

/** A server engine and a client engine over the in-memory network, with client connections started. */
export function createEnginePair(opts: EnginePairOptions = {}): EnginePair {
  return new EnginePair(opts);
}
