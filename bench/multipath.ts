/**
 * Multipath QUIC (RFC 10069) over the in-memory network with one link per path (virtual time,
 * seeded: every figure repeats exactly). A client with two local addresses downloads from a
 * server; each address pair takes its own link (src/testing Network.addLink).
 *
 *   npx tsx bench/multipath.ts
 *
 * Cases: aggregation over two equal links (10 Mbit/s, 20 ms RTT each) against one of them alone;
 * heterogeneous links (100 Mbit/s at 10 ms RTT beside 10 Mbit/s at 100 ms RTT) against the
 * better one alone; the second link failing mid-transfer (the longest time without progress
 * against the surviving path's PTO). Goodput: stream bytes over the time from the request to
 * the last byte.
 */
import type { Connection } from '../src/conn/connection.js';
import type { LinkConditions, LinkOptions } from '../src/testing/network.js';
import {
  createEnginePair,
  PAIR_CLIENT_ADDRESS,
  PAIR_SERVER_ADDRESS,
  type EnginePair,
} from '../src/testing/index.js';
import type { SocketAddress } from '../src/util/address.js';

const SECOND: SocketAddress = { address: '10.0.0.3', port: 50001 };
const MB = 1_000_000;

interface Case {
  name: string;
  /** Link of path 0 (the handshake address) and of path 1 (null: one path only). */
  a: LinkConditions;
  b: LinkConditions | null;
  bytes: number;
  scheduler?: string;
  /** The second link goes down this long after the request (µs), for good. */
  failBAfterUs?: number;
}

interface Result {
  goodputMbps: number;
  timeMs: number;
  perPathMB: number[];
  longestStallMs: number;
  ptoMs: number;
}

function queueFor(rateBps: number, rttUs: number): number {
  // One bandwidth-delay product of queue, at least 16 KiB.
  return Math.max(16 * 1024, Math.round((rateBps / 8) * (rttUs / 1e6)));
}

function link(rate: number, rttMs: number): LinkConditions {
  return { rate, delay: (rttMs * 1000) / 2, queueBytes: queueFor(rate, rttMs * 1000) };
}

function run(c: Case): Result {
  const linkList: LinkOptions[] = [
    { name: 'a', between: [[PAIR_CLIENT_ADDRESS, PAIR_SERVER_ADDRESS]], conditions: c.a },
    ...(c.b
      ? [{ name: 'b', between: [[SECOND, PAIR_SERVER_ADDRESS]], conditions: c.b } as LinkOptions]
      : []),
  ];
  const mp = c.b ? { multipath: { scheduler: c.scheduler ?? 'minrtt' } } : {};
  const p: EnginePair = createEnginePair({
    links: linkList,
    client: { ...mp, maxStreamWindow: 32 << 20, maxConnectionWindow: 64 << 20 },
    serverEngine: { connection: { ...mp } },
  });
  if (!p.handshake()) throw new Error(`${c.name}: no handshake`);
  const server = p.serverConn()!;
  if (c.b) {
    let id = -1;
    if (!p.runUntil(() => (id = p.conn.openPath(SECOND)) >= 0, 2_000_000)) {
      throw new Error(`${c.name}: no path ID`);
    }
    const validated = (): boolean =>
      p.conn.getStats().paths.some((x) => x.pathId === id && x.validated);
    if (!p.runUntil(validated, 2_000_000)) throw new Error(`${c.name}: path not validated`);
  }
  const start = p.now;
  if (c.failBAfterUs !== undefined) p.net.failLink('b', start + c.failBAfterUs, Infinity);
  const got = download(p, server, c.bytes);
  const timeUs = got.doneAt - start;
  const paths = server.getStats().paths;
  return {
    goodputMbps: (c.bytes * 8) / timeUs,
    timeMs: timeUs / 1000,
    perPathMB: paths.map((x) => x.bytesSent / MB),
    longestStallMs: got.longestStall / 1000,
    ptoMs: server.path.sendControl.rtt.ptoPeriod(true) / 1000,
  };
}

/** The server sends `n` bytes on the client's stream; returns when the last arrived. */
function download(
  p: EnginePair,
  server: Connection,
  n: number,
): { doneAt: number; longestStall: number } {
  const chunk = new Uint8Array(64 * 1024).fill(7);
  let sent = 0;
  let received = 0;
  let fin = false;
  let lastProgress = p.now;
  let longestStall = 0;
  const push = (st: ReturnType<Connection['getStream']>): void => {
    while (st && sent < n) {
      const k = st.write(chunk.subarray(0, Math.min(chunk.length, n - sent)), sent + 65536 >= n);
      if (k === 0) return;
      sent += k;
    }
  };
  server.on('stream', (st) => push(st));
  server.on('writable', (st) => push(st));
  p.conn.on('readable', (st) => {
    for (let r = st.read(); r; r = st.read()) {
      received += r.data.length;
      longestStall = Math.max(longestStall, p.now - lastProgress);
      lastProgress = p.now;
      if (r.fin) fin = true;
    }
  });
  const s = p.conn.openStream(true)!;
  s.write(new Uint8Array([1]), true);
  if (!p.runUntil(() => fin && received === n, 600_000_000)) {
    throw new Error(`download incomplete: ${received} of ${n}`);
  }
  return { doneAt: p.now, longestStall };
}

const cases: Case[] = [
  { name: 'one 10 Mbit/s 20 ms link', a: link(10e6, 20), b: null, bytes: 20 * MB },
  {
    name: 'two 10 Mbit/s 20 ms links, minrtt',
    a: link(10e6, 20),
    b: link(10e6, 20),
    bytes: 20 * MB,
  },
  {
    name: 'two 10 Mbit/s 20 ms links, roundrobin',
    a: link(10e6, 20),
    b: link(10e6, 20),
    bytes: 20 * MB,
    scheduler: 'roundrobin',
  },
  { name: 'one 100 Mbit/s 10 ms link', a: link(100e6, 10), b: null, bytes: 50 * MB },
  {
    name: '100 Mbit/s 10 ms + 10 Mbit/s 100 ms, minrtt',
    a: link(100e6, 10),
    b: link(10e6, 100),
    bytes: 50 * MB,
  },
  {
    name: 'two 10 Mbit/s 20 ms links, the second fails after 2 s',
    a: link(10e6, 20),
    b: link(10e6, 20),
    bytes: 20 * MB,
    failBAfterUs: 2_000_000,
  },
];

console.log('Multipath QUIC, in-memory network (virtual time, seed 1), download server -> client');
for (const c of cases) {
  const r = run(c);
  const paths = r.perPathMB.map((m, i) => `path ${i} ${m.toFixed(1)} MB`).join(', ');
  const stall =
    c.failBAfterUs !== undefined
      ? `; longest stall ${r.longestStallMs.toFixed(0)} ms (surviving path PTO ${r.ptoMs.toFixed(0)} ms)`
      : '';
  console.log(
    `${c.name}: ${r.goodputMbps.toFixed(2)} Mbit/s in ${r.timeMs.toFixed(0)} ms (${paths})${stall}`,
  );
}
