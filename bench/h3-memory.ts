/**
 * HTTP/3 memory under two abuses, over the in-memory network (virtual time, seeded); memory is
 * the heap plus `external` (ArrayBuffers), over forced garbage collections:
 *
 * - slowloris: 10 connections, 100 request streams each, every stream sending 13 bytes (the
 *   header of a HEADERS frame announcing 65,535 bytes, and 8 bytes of it) and nothing more. The
 *   heap the server side gains is measured over forced garbage collections, per connection; then
 *   virtual time passes the request-header timeout and the streams must be gone.
 * - unread bodies: 10 connections, 100 uploads each of 1 MiB, to a handler that never reads
 *   them. What the h3 layer buffers per connection (H3Server.bufferedBodyBytes, exact) is
 *   reported, and how much the clients got through (the rest is held back by flow control).
 *
 * Run: npm run build && node --expose-gc dist/bench/h3-memory.js
 */
import { execFileSync } from 'node:child_process';
import type { Connection } from '../src/conn/connection.js';
import { h3Server, type H3Server, type H3ServerOptions } from '../src/h3/api/server.js';
import { completeHandshakes, createSimPair, type SimPair } from './lib/sim.js';
import { collectGarbage } from './lib/timing.js';

export const CONNECTIONS = 10;
export const STREAMS_PER_CONNECTION = 100;

/** A HEADERS frame header announcing 65,535 bytes, and 8 bytes of its payload: 13 bytes. */
export const SLOWLORIS_PREFIX = Uint8Array.from([
  0x01,
  ...varint4(65_535),
  0x00,
  0x00,
  0xd1,
  0xd7,
  0x50,
  0x89,
  0x41,
  0xed,
]);

export interface H3Pair {
  pair: SimPair;
  servers: H3Server[];
}

/** Connections between two engines, each with an HTTP/3 server on its server side. */
export function h3Pair(
  connections: number,
  options: H3ServerOptions,
  handler: Parameters<typeof h3Server>[1] = (_req, res) => void res.writeHead(204).end(),
): H3Pair {
  const pair = createSimPair({ seed: 7, connections, conditions: { delay: 5_000 } });
  if (!completeHandshakes(pair)) throw new Error('the connections were not established');
  // The simulation's virtual clock is the host clock requests are dated by (header timeout).
  const servers = pair.accepted.map((c) =>
    h3Server(c, handler, { clock: () => pair.now, ...options }),
  );
  pair.net.runFor(100_000);
  return { pair, servers };
}

/** Bidirectional (request) streams the server side still holds. */
export function serverRequestStreams(p: H3Pair): number {
  let n = 0;
  for (const c of p.pair.accepted) for (const s of c.streams) if (s.bidirectional) n++;
  return n;
}

export interface SlowlorisResult {
  /** Heap growth of the whole process per connection, bytes, once every stream sent its bytes. */
  heapPerConnection: number;
  /** Request streams the server side still holds after the header timeout passed. */
  streamsAfterTimeout: number;
  /** Heap growth per connection after the timeout, bytes. */
  heapPerConnectionAfterTimeout: number;
}

/** Runs the slowloris scenario (see the module comment). */
export function slowloris(requestHeaderTimeout: number): SlowlorisResult {
  const p = h3Pair(CONNECTIONS, { requestHeaderTimeout });
  collectGarbage();
  const before = memoryInUse();
  for (const conn of p.pair.conns) openSlowStreams(conn, STREAMS_PER_CONNECTION);
  p.pair.net.runFor(200_000);
  collectGarbage();
  const held = memoryInUse() - before;
  // Past the header timeout, the server resets the streams (the clients keep the connections
  // alive with PINGs meanwhile, so only the timeout can end them).
  const end = p.pair.net.now + requestHeaderTimeout * 1000 + 1_000_000;
  while (p.pair.net.now < end) {
    for (const c of p.pair.conns) c.ping();
    p.pair.net.runFor(1_000_000);
    // The host drives the servers' timers on the network's clock (sans-IO).
    for (const s of p.servers) s.handleTimeout(p.pair.net.now);
  }
  collectGarbage();
  const after = memoryInUse() - before;
  const streams = serverRequestStreams(p);
  if (p.servers.length !== CONNECTIONS) throw new Error('servers lost'); // keeps them reachable
  return {
    heapPerConnection: held / CONNECTIONS,
    streamsAfterTimeout: streams,
    heapPerConnectionAfterTimeout: after / CONNECTIONS,
  };
}

function openSlowStreams(conn: Connection, count: number): void {
  for (let i = 0; i < count; i++) {
    const s = conn.openStream(true);
    if (s === null) throw new Error(`stream ${i} refused by the stream limit`);
    s.write(SLOWLORIS_PREFIX, false);
  }
}

export interface UnreadBodiesResult {
  /** Largest H3Server.bufferedBodyBytes seen on one connection. */
  maxBufferedPerConnection: number;
  /** Bytes the server connections received in all (the rest was held back by flow control). */
  bytesReceived: number;
}

/** Runs the unread-bodies scenario (see the module comment). */
export function unreadBodies(maxBufferedBodyBytes: number): UnreadBodiesResult {
  const p = h3Pair(CONNECTIONS, { maxBufferedBodyBytes }, () => {
    // Never reads the body and never answers.
  });
  const chunk = new Uint8Array(4096).fill(0x61);
  const body = 1024 * 1024;
  const uploads: { s: NonNullable<ReturnType<Connection['openStream']>>; left: number }[] = [];
  for (const conn of p.pair.conns) {
    for (let i = 0; i < STREAMS_PER_CONNECTION; i++) {
      const s = conn.openStream(true)!;
      // HEADERS with a valid request (QPACK static references only), then one DATA frame.
      s.write(REQUEST_HEADERS, false);
      s.write(Uint8Array.from([0x00, ...varint4(body)]), false);
      uploads.push({ s, left: body });
    }
  }
  let maxBuffered = 0;
  for (let round = 0; round < 2000; round++) {
    for (const u of uploads) {
      // A client queues a chunk only when the last one left: its own buffers are not the
      // subject (both ends share this heap; at most 4 KiB per stream, 0.4 MiB per connection).
      if (u.left > 0 && u.s.bytesWritten === u.s.bytesSent) {
        u.left -= u.s.write(chunk.subarray(0, Math.min(chunk.length, u.left)), false);
      }
    }
    p.pair.net.runFor(5_000);
    for (const s of p.servers) maxBuffered = Math.max(maxBuffered, s.bufferedBodyBytes);
  }
  return {
    maxBufferedPerConnection: maxBuffered,
    bytesReceived: p.pair.accepted.reduce((n, c) => n + c.getStats().bytesReceived, 0),
  };
}

/**
 * A request's HEADERS frame (RFC 9114 §7.2.2) whose field section (RFC 9204 §4.5) has Required
 * Insert Count 0 and Base 0, then static references :method POST (20), :scheme https (23),
 * :path / (1), and :authority "a" as a literal with a static name reference (0).
 */
const REQUEST_HEADERS = Uint8Array.from([
  0x01, 0x08, 0x00, 0x00, 0xd4, 0xd7, 0xc1, 0x50, 0x01, 0x61,
]);

/**
 * Heap plus memory outside it (`external` already includes ArrayBuffer backing stores, where
 * received bytes live): what the process holds for JavaScript.
 */
function memoryInUse(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

/** A 4-byte QUIC varint (RFC 9000 §16). */
function varint4(v: number): number[] {
  return [0x80 | ((v >>> 24) & 0x3f), (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}

/**
 * Runs one scenario per process (`slowloris` or `unread`; both, each in a child process, when
 * none is named): memory freed by one must not be counted in the other.
 */
function main(which: string | undefined): void {
  const mib = (n: number): string => (n / (1024 * 1024)).toFixed(2);
  if (which === undefined) {
    for (const name of ['slowloris', 'unread']) {
      const args = [...process.execArgv, process.argv[1]!, name];
      process.stdout.write(execFileSync(process.execPath, args, { encoding: 'utf8' }));
    }
    return;
  }
  if (which === 'slowloris') {
    const s = slowloris(10_000);
    console.log(
      `slowloris: ${CONNECTIONS} connections x ${STREAMS_PER_CONNECTION} streams x 13 bytes: ` +
        `${mib(s.heapPerConnection)} MiB per connection; after the 10 s request-header ` +
        `timeout: ${s.streamsAfterTimeout} request streams left, ` +
        `${mib(s.heapPerConnectionAfterTimeout)} MiB per connection`,
    );
    return;
  }
  const u = unreadBodies(1024 * 1024);
  console.log(
    `unread bodies: ${CONNECTIONS} connections x ${STREAMS_PER_CONNECTION} uploads of 1 MiB, ` +
      `cap 1 MiB: at most ${mib(u.maxBufferedPerConnection)} MiB buffered by HTTP/3 per ` +
      `connection; ${mib(u.bytesReceived / CONNECTIONS)} MiB received per connection, the ` +
      `rest held back by flow control`,
  );
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  main(process.argv[2]);
}
