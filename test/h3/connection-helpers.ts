/**
 * HTTP/3 over two real tsquic engines on the in-memory network (`createEnginePair` of
 * src/testing). The network is synchronous and the HTTP/3 API is promise-based, so the driver
 * alternates: let pending promise jobs run, then advance the network by one event, until a
 * condition holds or the virtual-time budget is spent.
 */
import { h3Client, type H3Client, type H3ClientOptions } from '../../src/h3/api/client.js';
import {
  h3Server,
  type H3RequestHandler,
  type H3Server,
  type H3ServerOptions,
} from '../../src/h3/api/server.js';
import type { ConnectOptions, ServerConfig } from '../../src/engine/engine.js';
import type { LinkConditions } from '../../src/testing/network.js';
import type { Connection } from '../../src/conn/connection.js';
import type { ConnectionOptions } from '../../src/conn/options.js';
import { type EnginePair, createEnginePair } from '../../src/testing/index.js';
import { seededRandom } from './helpers.js';

export interface H3PairOptions {
  seed?: number;
  conditions?: LinkConditions;
  client?: H3ClientOptions;
  server?: H3ServerOptions;
  /** QUIC options of the client connection. */
  quic?: Partial<ConnectOptions>;
  /** QUIC options of the server connection. */
  serverQuic?: Partial<ConnectionOptions>;
  /** Server engine configuration over `alpn: ['h3']` (ticket keys, 0-RTT, ...). */
  serverConfig?: Partial<ServerConfig>;
}

export interface H3Pair {
  pair: EnginePair;
  client: H3Client;
  /** The server side, once the server accepted the connection (see drive()). */
  server: H3Server | null;
  serverConn: Connection | null;
}

export function h3Pair(handler: H3RequestHandler, options: H3PairOptions = {}): H3Pair {
  const pair = createEnginePair({
    seed: options.seed ?? 1,
    ...(options.conditions ? { conditions: options.conditions } : {}),
    server: { alpn: ['h3'], ...options.serverConfig },
    serverEngine: options.serverQuic ? { connection: options.serverQuic } : {},
    client: { alpn: ['h3'], ...options.quic },
  });
  const client = h3Client(pair.conn, {
    authority: 'localhost',
    random: seededRandom(11),
    ...options.client,
  });
  const h: H3Pair = { pair, client, server: null, serverConn: null };
  // The pair's virtual clock is the host clock the server dates requests by (header timeout).
  const serverOptions: H3ServerOptions = {
    random: seededRandom(12),
    clock: () => pair.now,
    ...options.server,
  };
  attachers.set(h, () => {
    if (h.server !== null) return;
    const conn = pair.serverConn();
    if (conn === null) return;
    h.serverConn = conn;
    h.server = h3Server(conn, handler, serverOptions);
  });
  return h;
}

const attachers = new WeakMap<H3Pair, () => void>();

/** Lets every pending promise job (and the jobs they queue) run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A stretch of virtual time with no event in it is quiet (µs)... */
const QUIET_US = 1_000_000;
/** ... and before it the application gets up to this many turns. */
const QUIET_TURNS = 1000;

/**
 * Runs the network until `done()` holds; false when the virtual time budget (µs) ran out or
 * nothing was left to do.
 */
export async function drive(h: H3Pair, done: () => boolean, maxUs = 60_000_000): Promise<boolean> {
  const net = h.pair.net;
  const limit = net.now + maxUs;
  // Pairs built by hand (not by h3Pair) attach their server themselves.
  const attach = attachers.get(h) ?? ((): void => {});
  for (;;) {
    await settle();
    attach();
    if (done()) return true;
    // Before a jump over a quiet stretch (only idle or keep-alive timers left), the application
    // gets the turns it needs: a consumer working through buffered data takes many turns and
    // no network time, and must not be overtaken by the idle timeout.
    for (let turns = 0; turns < QUIET_TURNS && net.nextEventTime() > net.now + QUIET_US; turns++) {
      await settle();
      attach();
      if (done()) return true;
    }
    if (!net.step(limit)) {
      await settle();
      attach();
      if (done()) return true;
      if (!net.step(limit)) return false;
    }
  }
}

/** Drives the network until `promise` settles, and returns its outcome. */
export async function until<T>(h: H3Pair, promise: Promise<T>, maxUs?: number): Promise<T> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  if (!(await drive(h, () => settled, maxUs))) {
    throw new Error(`not settled within the virtual time budget (now ${h.pair.net.now} µs)`);
  }
  return promise;
}

/** Drives the network until `promise` rejects, and returns the rejection. */
export async function rejection(
  h: H3Pair,
  promise: Promise<unknown>,
  maxUs?: number,
): Promise<unknown> {
  try {
    await until(h, promise, maxUs);
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

/** Collects an async iterable of chunks into one array. */
export async function collect(body: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const c of body) {
    parts.push(c);
    n += c.length;
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
