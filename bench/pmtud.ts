/**
 * Path MTU discovery over the in-memory network (virtual time, seeded, so every figure repeats
 * exactly): how long the search takes to settle on a 1,280-byte MTU link, and what a PMTU black
 * hole in mid-transfer costs in goodput.
 *
 *   npx tsx bench/pmtud.ts
 *
 * Link: 10 ms each way (RTT 20 ms), 50 Mbit/s, a 128 KiB queue (one bandwidth-delay product); a 10 MB download from server to
 * client. The network counts IP and UDP headers in the MTU (28 bytes over IPv4).
 */
import type { Connection } from '../src/conn/connection.js';
import type { PathMtuDiscovery } from '../src/path/pmtud.js';
import { createEnginePair, type EnginePair } from '../src/testing/index.js';

const MB = 1_000_000;
const LINK = { delay: 10_000, rate: 50e6, queueBytes: 128 * 1024 };

interface Run {
  /** Handshake confirmed → download complete, µs. */
  transferUs: number;
  /** When each side's search first completed, µs after the handshake (-1: never). */
  settledUs: { server: number; client: number };
  server: PathMtuDiscovery;
  client: PathMtuDiscovery;
  /** µs after the handshake when the server detected the black hole (-1: none). */
  blackHoleUs: number;
  /** The longest time the receiver got no stream data, µs. */
  longestStallUs: number;
  /** Bytes the client had received by each time (µs after the handshake), as they arrived. */
  progress: [number, number][];
}

function download(
  p: EnginePair,
  n: number,
  onStep: () => void,
  progress: [number, number][],
): { ok: boolean; stall: number } {
  const server = p.serverConn()!;
  const s = p.conn.openStream(true)!;
  s.end();
  const chunk = new Uint8Array(64 * 1024).fill(7);
  let sent = 0;
  let received = 0;
  let fin = false;
  let last = p.now;
  let stall = 0;
  const push = (st: ReturnType<Connection['getStream']>): void => {
    while (st && sent < n) {
      const k = st.write(
        chunk.subarray(0, Math.min(chunk.length, n - sent)),
        sent + chunk.length >= n,
      );
      if (k === 0) return;
      sent += k;
    }
  };
  server.on('stream', (st) => push(st));
  server.on('writable', (st) => push(st));
  p.conn.on('readable', (st) => {
    for (let r = st.read(); r; r = st.read()) {
      if (r.data.length > 0) {
        stall = Math.max(stall, p.now - last);
        last = p.now;
      }
      received += r.data.length;
      progress.push([p.now, received]);
      if (r.fin) fin = true;
    }
  });
  const ok = p.runUntil(() => {
    onStep();
    return fin && received === n;
  }, 120_000_000);
  return { ok, stall };
}

function run(opts: { mtu?: number; dropAtUs?: number }): Run {
  const p = createEnginePair({
    seed: 11,
    conditions: { ...LINK, ...(opts.mtu !== undefined ? { mtu: opts.mtu } : {}) },
  });
  if (!p.handshake()) throw new Error('handshake failed');
  const t0 = p.now;
  const server = p.serverConn()!;
  const settled = { server: -1, client: -1 };
  let blackHoleUs = -1;
  let dropped = false;
  // With a drop, the server's search counts once it settled again after the black hole; the
  // client, which sends almost only small ACK packets, has nothing to detect.
  const drop = opts.dropAtUs !== undefined;
  const progress: [number, number][] = [];
  const { ok, stall } = download(
    p,
    10 * MB,
    () => {
      const sp = server.path.pmtud;
      const cp = p.conn.path.pmtud;
      const holes = sp?.stats.blackHoles ?? 0;
      if (blackHoleUs < 0 && holes > 0) blackHoleUs = p.now - t0;
      if (settled.server < 0 && sp?.phase === 'complete' && (!drop || holes > 0)) {
        settled.server = p.now - t0;
      }
      if (settled.client < 0 && cp?.phase === 'complete') settled.client = p.now - t0;
      if (!dropped && drop && p.now - t0 >= opts.dropAtUs!) {
        dropped = true;
        p.net.setMtu('server', 'client', 1280);
        p.net.setMtu('client', 'server', 1280);
      }
    },
    progress,
  );
  if (!ok) throw new Error('download incomplete');
  const transferUs = p.now - t0;
  // A search still under way when the data ended goes on.
  p.runUntil(() => {
    const done = server.path.pmtud!.phase === 'complete' && p.conn.path.pmtud!.phase === 'complete';
    if (done && settled.server < 0) settled.server = p.now - t0;
    if (done && settled.client < 0) settled.client = p.now - t0;
    return done;
  }, 10_000_000);
  return {
    transferUs,
    settledUs: settled,
    server: server.path.pmtud!,
    client: p.conn.path.pmtud!,
    blackHoleUs,
    longestStallUs: stall,
    progress: progress.map(([t, b]) => [t - t0, b]),
  };
}

const ms = (us: number): string => (us < 0 ? 'never' : `${(us / 1000).toFixed(0)} ms`);
const goodput = (us: number): string => `${((10 * MB * 8) / us).toFixed(1)} Mbit/s`;

const base = run({});
const small = run({ mtu: 1280 });
const hole = run({ dropAtUs: 500_000 });

console.log(
  '| run | settles at (server / client) | search settled after (server / client) | probes sent / lost (server) | 10 MB in | goodput | longest stall |',
);
console.log('|---|---|---|---|---|---|---|');
for (const [name, r] of [
  ['unlimited link', base],
  ['1,280-byte MTU link', small],
  ['MTU 1,500 → 1,280 at 500 ms', hole],
] as const) {
  console.log(
    `| ${name} | ${r.server.mtu} / ${r.client.mtu} | ${ms(r.settledUs.server)} / ${ms(r.settledUs.client)} | ` +
      `${r.server.stats.probesSent} / ${r.server.stats.probesLost} | ${ms(r.transferUs)} | ${goodput(r.transferUs)} | ${ms(r.longestStallUs)} |`,
  );
}
console.log(
  `black hole: detected ${ms(hole.blackHoleUs - 500_000)} after the drop; ` +
    `transfer ${ms(hole.transferUs - base.transferUs)} longer than on the unlimited link, ` +
    `${ms(hole.transferUs - small.transferUs)} longer than on a 1,280-byte link from the start`,
);

/** Goodput over [from, to) µs after the handshake, Mbit/s. */
function windowGoodput(r: Run, from: number, to: number): number {
  const at = (t: number): number => {
    let b = 0;
    for (const [time, bytes] of r.progress) if (time <= t) b = bytes;
    return b;
  };
  return ((at(to) - at(from)) * 8) / (to - from);
}
for (const [from, to] of [
  [500_000, 700_000],
  [500_000, 1_000_000],
] as const) {
  console.log(
    `goodput ${from / 1000}-${to / 1000} ms: unlimited ${windowGoodput(base, from, to).toFixed(1)}, ` +
      `1,280 from the start ${windowGoodput(small, from, to).toFixed(1)}, ` +
      `drop at 500 ms ${windowGoodput(hole, from, to).toFixed(1)} Mbit/s`,
  );
}
