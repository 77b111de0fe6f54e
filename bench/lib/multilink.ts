/**
 * Downloads over several links between one client and one server engine (the multi-link
 * in-memory network of src/testing: `LinkOptions`), in virtual time, seeded. Each flow is one
 * client connection from its own local address; the server answers each request with a
 * deterministic byte pattern that the client checks byte by byte, so a run says whether the
 * transfer was exact, how long it took, how the goodput went over time and how long the
 * longest stall (no new stream bytes) lasted.
 */
import type { ConnectOptions } from '../../src/engine/engine.js';
import type { Connection } from '../../src/conn/connection.js';
import type { Stream } from '../../src/stream/stream.js';
import type { LinkConditions, LinkOptions } from '../../src/testing/network.js';
import { createEnginePair, type EnginePair } from '../../src/testing/pair.js';
import { sameAddress, type SocketAddress } from '../../src/util/address.js';
import { benchCertificate } from './sim.js';

/** The simulated server's address. */
export const SERVER: SocketAddress = { address: '10.0.0.1', port: 443 };

/** The client's `i`-th local address: 10.0.i.2, port 50000 (one per link). */
export function clientAddress(i: number, port = 50_000): SocketAddress {
  return { address: `10.0.${i}.2`, port };
}

/** A link in the bench's terms: rate, RTT, loss and a queue of one BDP (at least 32 KiB). */
export interface LinkShape {
  mbit: number;
  rttMs: number;
  lossPct?: number;
  /** Queue in bytes; default max(32 KiB, one bandwidth-delay product). */
  queueBytes?: number;
}

export function shapeConditions(l: LinkShape): LinkConditions {
  const rate = l.mbit * 1e6;
  const bdp = (rate / 8) * (l.rttMs / 1000);
  return {
    delay: (l.rttMs * 1000) / 2,
    loss: (l.lossPct ?? 0) / 100,
    rate,
    queueBytes: l.queueBytes ?? Math.max(32 * 1024, Math.round(bdp)),
  };
}

/** A link named `name` between the server and client addresses `clients` (their indexes). */
export function serverLink(name: string, clients: number[], shape: LinkShape): LinkOptions {
  return {
    name,
    between: clients.map((i) => [clientAddress(i).address, SERVER.address]),
    conditions: shapeConditions(shape),
  };
}

export interface FlowSpec {
  /** Index of the client address the connection starts from (see `clientAddress`). */
  from: number;
  /** Bytes to download; Infinity for a flow that runs until the end of the run. */
  bytes: number;
  /** Virtual time after the handshakes at which the request is sent, µs. Default 0. */
  startUs?: number;
  /** Connection options over the pair's (e.g. a congestion controller). */
  options?: Partial<ConnectOptions>;
  /**
   * Client addresses (indexes) of more paths to open (Multipath QUIC, RFC 10069: the
   * connection needs `multipath` on both sides). The flows start once every path is opened;
   * the scheduler uses each once it is validated.
   */
  paths?: number[];
}

/** What happened to one flow. */
export interface FlowResult {
  received: number;
  /** Every byte matched the pattern and the stream ended where it should. */
  exact: boolean;
  complete: boolean;
  /** Request to last byte, µs (to the end of the run when incomplete). */
  transferUs: number;
  /**
   * Longest time without new stream bytes between the first and the last one (to the end of
   * the run for an incomplete flow), µs.
   */
  longestStallUs: number;
  /** When that stall began, µs after the request. */
  stallStartUs: number;
  /** [seconds since the flows started, Mbit/s] per sampling interval. */
  series: [number, number][];
}

export interface RunOptions {
  seed?: number;
  links: LinkOptions[];
  flows: FlowSpec[];
  /** Options of every client connection. */
  client?: Partial<ConnectOptions>;
  /** Connection defaults of the server engine. */
  server?: Partial<ConnectOptions>;
  /** The run ends here (µs after the flows start) even if flows are not complete. */
  maxUs: number;
  /** Throughput sampling interval, µs. Default 100 ms. */
  sampleUs?: number;
  /** Called at each sampling point with the time since the flows started, µs. */
  onSample?: (tUs: number, sim: MultiLinkSim) => void;
  /** Called when the flows start (virtual time `t0`, µs): schedule link failures and the like. */
  atStart?: (sim: MultiLinkSim, t0: number) => void;
}

/** The pair and its flows while a run goes on (for `setup` and `onSample`). */
export interface MultiLinkSim {
  pair: EnginePair;
  conns: Connection[];
  /** The server connection serving flow `i` (null until accepted). */
  serverConn(i: number): Connection | null;
  /** The path IDs of flow `i`'s extra paths, in the order of `FlowSpec.paths`. */
  pathIds: number[][];
}

/** The byte at `offset` of every download: a pattern that catches misplaced or lost data. */
function patternByte(offset: number): number {
  return offset % 251;
}

const PATTERN_CHUNK = 64 * 1024;
const PATTERN = Uint8Array.from({ length: PATTERN_CHUNK + 251 }, (_, i) => patternByte(i));

/** Answers each stream's 8-byte request (a size) with that many pattern bytes. */
function servePattern(conn: Connection): void {
  const state = new Map<Stream, { request: number[]; offset: number; size: number }>();
  const pump = (s: Stream, st: { offset: number; size: number }): void => {
    while (st.offset < st.size) {
      const n = Math.min(PATTERN_CHUNK, st.size - st.offset);
      const start = st.offset % 251;
      const w = s.write(PATTERN.subarray(start, start + n), st.offset + n === st.size);
      if (w === 0) return;
      st.offset += w;
    }
  };
  conn.on('readable', (s) => {
    let st = state.get(s);
    if (st === undefined) {
      st = { request: [], offset: 0, size: -1 };
      state.set(s, st);
    }
    for (let r = s.read(); r; r = s.read()) {
      for (const b of r.data) if (st.request.length < 8) st.request.push(b);
      if (r.fin && st.size < 0) {
        st.size = st.request.reduce((acc, b) => acc * 256 + b, 0);
        if (st.size === 0) s.end();
        else pump(s, st);
      }
    }
  });
  conn.on('writable', (s) => {
    const st = state.get(s);
    if (st !== undefined && st.size > 0) pump(s, st);
  });
}

class FlowState {
  received = 0;
  exact = true;
  fin = false;
  startUs = -1;
  endUs = -1;
  lastProgressUs = -1;
  longestStallUs = 0;
  stallStartUs = 0;
  sampled = 0;
  series: [number, number][] = [];
  constructor(readonly bytes: number) {}
}

/** Largest request a flow can make (2^53 - 1 fits the 8-byte request exactly). */
const ENDLESS = Number.MAX_SAFE_INTEGER;

/** Runs the flows over the links; see the module comment. */
export function runFlows(opts: RunOptions): FlowResult[] {
  const pair = createEnginePair({
    seed: opts.seed ?? 1,
    links: opts.links,
    alpn: ['bench'],
    serverName: 'bench.example',
    certificate: benchCertificate(),
    serverEngine: { connection: { ...opts.server } },
    connections: 0,
    serverAddress: SERVER,
    clientAddress: clientAddress(0),
  });
  // Each flow its own port, so that the server's connections can be told apart by address.
  const conns = opts.flows.map((f, i) =>
    pair.connect({ local: clientAddress(f.from, 50_000 + i), ...opts.client, ...f.options }),
  );
  const byFlow: (Connection | null)[] = conns.map(() => null);
  const pathIds = opts.flows.map(() => [] as number[]);
  const sim: MultiLinkSim = { pair, conns, serverConn: (i) => byFlow[i] ?? null, pathIds };
  let served = 0;
  const serve = (): void => {
    pair.acceptAll();
    for (; served < pair.accepted.length; served++) servePattern(pair.accepted[served]!);
  };
  if (!pair.net.runUntil(() => (serve(), conns.every((c) => c.handshakeConfirmed)), 30_000_000)) {
    throw new Error('multi-link bench: the handshakes did not complete');
  }
  for (const sc of pair.accepted) {
    const i = conns.findIndex((c) => sameAddress(c.localAddress, sc.remoteAddress));
    if (i >= 0) byFlow[i] = sc;
  }
  openPaths(sim, opts.flows);
  const t0 = pair.net.now;
  opts.atStart?.(sim, t0);
  const flows = opts.flows.map((f) => new FlowState(f.bytes));
  const sink = new Uint8Array(64 * 1024);
  const streams: (Stream | null)[] = opts.flows.map(() => null);
  conns.forEach((c, i) => {
    const flow = flows[i]!;
    c.on('readable', (s) => {
      if (s !== streams[i]) return;
      const now = pair.net.now;
      for (let n = s.readInto(sink); n > 0; n = s.readInto(sink)) {
        for (let j = 0; j < n; j++) {
          if (sink[j] !== patternByte(flow.received + j)) {
            flow.exact = false;
            break;
          }
        }
        if (flow.lastProgressUs >= 0 && now - flow.lastProgressUs > flow.longestStallUs) {
          flow.longestStallUs = now - flow.lastProgressUs;
          flow.stallStartUs = flow.lastProgressUs - flow.startUs;
        }
        flow.lastProgressUs = now;
        flow.received += n;
      }
      if (s.readFinished && !flow.fin) {
        flow.fin = true;
        flow.endUs = now;
        if (flow.received !== flow.bytes) flow.exact = false;
      }
    });
  });
  const start = (i: number): void => {
    const f = opts.flows[i]!;
    const c = conns[i]!;
    const s = c.openStream(true);
    if (s === null) throw new Error('multi-link bench: no stream for a download');
    streams[i] = s;
    const req = new Uint8Array(8);
    let v = Number.isFinite(f.bytes) ? f.bytes : ENDLESS;
    for (let k = 7; k >= 0; k--) {
      req[k] = v % 256;
      v = Math.floor(v / 256);
    }
    s.write(req, true);
    flows[i]!.startUs = pair.net.now;
  };
  const sampleUs = opts.sampleUs ?? 100_000;
  let nextSample = t0 + sampleUs;
  // Endless flows run until maxUs; the others until their last byte.
  const endless = flows.some((f) => !Number.isFinite(f.bytes));
  const done = (): boolean => !endless && flows.every((f) => f.fin);
  pair.net.runUntil(() => {
    serve();
    const now = pair.net.now;
    for (let i = 0; i < flows.length; i++) {
      if (flows[i]!.startUs < 0 && now >= t0 + (opts.flows[i]!.startUs ?? 0)) start(i);
    }
    while (now >= nextSample) {
      const t = nextSample - t0;
      for (const f of flows) {
        f.series.push([t / 1e6, ((f.received - f.sampled) * 8) / sampleUs]);
        f.sampled = f.received;
      }
      opts.onSample?.(t, sim);
      nextSample += sampleUs;
    }
    return done() && flows.every((f) => f.startUs >= 0);
  }, opts.maxUs);
  const end = pair.net.now;
  for (const f of flows) {
    // A flow that never resumed stalls until the end of the run.
    if (!f.fin && Number.isFinite(f.bytes) && f.lastProgressUs >= 0) {
      if (end - f.lastProgressUs > f.longestStallUs) {
        f.longestStallUs = end - f.lastProgressUs;
        f.stallStartUs = f.lastProgressUs - f.startUs;
      }
    }
  }
  return flows.map((f) => ({
    received: f.received,
    exact: f.exact && (f.fin || !Number.isFinite(f.bytes)),
    complete: f.fin,
    transferUs: (f.fin ? f.endUs : end) - f.startUs,
    longestStallUs: f.longestStallUs,
    stallStartUs: f.stallStartUs,
    series: f.series,
  }));
}

/**
 * Opens the flows' extra paths: runs until each has a path ID (one can be opened once the
 * server's PATH_NEW_CONNECTION_IDs arrived, after confirmation). The downloads start then, while
 * the paths validate, as a client that opens its paths and sends its request at once: waiting
 * idle for the validation (a round trip of the slowest link) gave the multipath runs RTT
 * samples the single-path baselines never see (PMTU probes acknowledged after the peer's ACK
 * delay, which RFC 9002 §5.3 cannot take off below an older min_rtt: path 0 started at 19.5 ms
 * smoothed RTT instead of 10.2 ms in the heterogeneous case).
 */
function openPaths(sim: MultiLinkSim, flows: FlowSpec[]): void {
  const ok = sim.pair.net.runUntil(() => {
    let all = true;
    flows.forEach((f, i) => {
      const ids = sim.pathIds[i]!;
      const wanted = f.paths ?? [];
      if (ids.length < wanted.length) {
        const id = sim.conns[i]!.openPath(clientAddress(wanted[ids.length]!, 50_000 + i));
        if (id >= 0) ids.push(id);
      }
      if (ids.length < wanted.length) all = false;
    });
    return all;
  }, 5_000_000);
  if (!ok) throw new Error('multi-link bench: the extra paths could not be opened within 5 s');
}

/** Goodput of a flow in Mbit/s over its transfer time. */
export function goodputMbit(r: FlowResult): number {
  return r.transferUs > 0 ? (r.received * 8) / r.transferUs : 0;
}
