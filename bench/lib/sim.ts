/**
 * Bulk downloads over the shared two-engine pair of src/testing (`createEnginePair`): a server
 * and a client engine joined by one link, one or more client connections, and downloads on them.
 * Everything is seeded, so a run with the same seed is the same run in virtual time; only the
 * CPU time it takes varies.
 */
import type { EngineConfig } from '../../src/engine/engine.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import type { Connection } from '../../src/conn/connection.js';
import type { Stream } from '../../src/stream/stream.js';
import { defaultProvider } from '../../src/crypto/default-provider.js';
import { createSelfSignedCertificate } from '../../src/tls/x509/index.js';
import type { LinkConditions } from '../../src/testing/network.js';
import { createEnginePair, type EnginePair, type TestCertificate } from '../../src/testing/pair.js';

let cert: TestCertificate | null = null;

/** One self-signed ECDSA P-256 certificate for the simulated server, made once. */
export function benchCertificate(): TestCertificate {
  if (cert === null) {
    const c = createSelfSignedCertificate(defaultProvider, {
      names: ['bench.example'],
      // Ed25519 signatures have one length: the server's first flight, larger than a datagram
      // with the post-quantum key share, then has one size, and a seeded run repeats exactly.
      keyType: 'ed25519',
      notBefore: Date.UTC(2020, 0, 1),
      notAfter: Date.UTC(2099, 0, 1),
    });
    cert = { certificate: c, cert: c, ca: c.cert };
  }
  return cert;
}

export interface SimOptions {
  seed?: number;
  /** Conditions of both directions of the link. */
  conditions?: LinkConditions;
  /** Congestion controller of both sides. Default the library default (cubic). */
  congestionControl?: string;
  /** Client connections, all between the same two engines (they share the link). Default 1. */
  connections?: number;
  /** qlog factory for both engines. */
  qlog?: EngineConfig['qlog'];
  /** Crypto provider of both engines (default: the backend's). */
  crypto?: CryptoProvider;
  /** ACK frequency (draft-ietf-quic-ack-frequency) on both sides. Default the library's (on). */
  ackFrequency?: boolean;
}

/** The shared pair of src/testing: `conns` are the client connections, `accepted` the server's. */
export type SimPair = EnginePair;

export function createSimPair(opts: SimOptions = {}): SimPair {
  const connection = {
    ...(opts.congestionControl ? { congestionControl: opts.congestionControl } : {}),
    ...(opts.ackFrequency !== undefined ? { ackFrequency: opts.ackFrequency } : {}),
  };
  const qlog = opts.qlog ? { qlog: opts.qlog } : {};
  const crypto = opts.crypto ? { crypto: opts.crypto } : {};
  return createEnginePair({
    seed: opts.seed ?? 1,
    ...(opts.conditions !== undefined ? { conditions: opts.conditions } : {}),
    alpn: ['bench'],
    serverName: 'bench.example',
    certificate: benchCertificate(),
    serverEngine: { connection, ...qlog, ...crypto },
    clientEngine: { connection, ...qlog, ...crypto },
    connections: opts.connections ?? 1,
  });
}

/** Runs until every client connection has completed its handshake. */
export function completeHandshakes(p: SimPair, maxTimeUs = 60_000_000): boolean {
  return p.net.runUntil(() => {
    p.acceptAll();
    return p.conns.every((c) => c.handshakeComplete) && p.accepted.length === p.conns.length;
  }, maxTimeUs);
}

/** Bytes the client asked for on one stream, and what has arrived. */
export class Download {
  received = 0;
  fin = false;
  /** Virtual time (µs) the request was sent, and the last byte arrived (-1 until then). */
  readonly startUs: number;
  endUs = -1;
  constructor(
    readonly conn: Connection,
    readonly stream: Stream,
    readonly size: number,
    now: number,
  ) {
    this.startUs = now;
  }

  get complete(): boolean {
    return this.fin && this.received === this.size;
  }
}

const CHUNK = new Uint8Array(64 * 1024).fill(0x5a);

/**
 * Serves downloads: on each new server connection, each stream the client opens is answered with
 * the number of bytes the client wrote as an 8-byte big-endian request. Content is a constant
 * chunk written repeatedly (the stack copies what it buffers).
 */
function serveDownloads(conn: Connection): void {
  const pending = new Map<Stream, { request: number[]; left: number; writing: boolean }>();
  const pump = (s: Stream, st: { left: number }): void => {
    while (st.left > 0) {
      // The whole chunk needs no view; a write refused for lack of credit costs nothing then.
      const last = st.left <= CHUNK.length;
      const n = s.write(last ? CHUNK.subarray(0, st.left) : CHUNK, last);
      if (n === 0) return;
      st.left -= n;
    }
  };
  conn.on('readable', (s) => {
    let st = pending.get(s);
    if (st === undefined) {
      st = { request: [], left: 0, writing: false };
      pending.set(s, st);
    }
    for (let r = s.read(); r; r = s.read()) {
      for (const b of r.data) if (st.request.length < 8) st.request.push(b);
      if (r.fin && !st.writing) {
        st.writing = true;
        st.left = st.request.reduce((acc, b) => acc * 256 + b, 0);
        if (st.left === 0) s.end();
        else pump(s, st);
      }
    }
  });
  conn.on('writable', (s) => {
    const st = pending.get(s);
    if (st?.writing) pump(s, st);
  });
  conn.on('streamClosed', (s) => pending.delete(s));
}

/** Makes the server answer download requests on every connection it accepts. */
export function attachServer(p: SimPair): () => void {
  const served = new Set<Connection>();
  let seen = 0;
  return () => {
    p.acceptAll();
    // Called on every simulation step: only connections accepted since the last call are new.
    for (; seen < p.accepted.length; seen++) {
      const c = p.accepted[seen]!;
      if (!served.has(c)) {
        served.add(c);
        serveDownloads(c);
      }
    }
  };
}

/** Starts a download of `size` bytes on a new stream of `conn`. */
export function startDownload(conn: Connection, size: number, now: number): Download {
  const s = conn.openStream(true);
  if (s === null) throw new RangeError('no stream available for the download');
  const req = new Uint8Array(8);
  let v = size;
  for (let i = 7; i >= 0; i--) {
    req[i] = v % 256;
    v = Math.floor(v / 256);
  }
  s.write(req, true);
  return new Download(conn, s, size, now);
}

/** The download on stream `s` (a loop, not find(): no closure per readable event). */
function downloadOn(downloads: Download[], s: Stream): Download | undefined {
  for (let i = 0; i < downloads.length; i++) if (downloads[i]!.stream === s) return downloads[i];
  return undefined;
}

/**
 * Client side: counts the bytes of every download as they arrive. The data is read into one
 * reused buffer and not kept, as an application streaming to its own buffers would.
 */
export function attachClient(downloads: Download[], clock: { now: number }): void {
  const byConn = new Set<Connection>();
  const sink = new Uint8Array(64 * 1024);
  for (const d of downloads) {
    if (byConn.has(d.conn)) continue;
    byConn.add(d.conn);
    d.conn.on('readable', (s) => {
      const dl = downloadOn(downloads, s);
      if (dl === undefined) return;
      for (let n = s.readInto(sink); n > 0; n = s.readInto(sink)) dl.received += n;
      if (s.readFinished && !dl.fin) {
        dl.fin = true;
        dl.endUs = clock.now;
      }
    });
  }
}

/** One sample of a connection's congestion state during a run. */
export interface CwndPoint {
  /** Virtual time since the download started, ms. */
  timeMs: number;
  cwnd: number;
  bytesInFlight: number;
  srttMs: number;
  latestRttMs: number;
}

export interface TransferRun {
  done: boolean;
  bytes: number;
  /** Virtual time from the request to the last byte, µs. */
  transferUs: number;
  /** Virtual time of the handshake, µs. */
  handshakeUs: number;
  /** Packets and bytes both sides sent (for the crypto-only ceiling). */
  packetsSent: number;
  bytesSent: number;
  /** ACK frames both sides sent. */
  acksSent: number;
  /** Samples of the server connection's congestion state (when asked for). */
  trace: CwndPoint[];
}

/**
 * Handshake, then a download of `bytes` from the server on the first client connection.
 * `sampleEveryUs` > 0 records the sending (server) side's window, bytes in flight and RTT.
 */
export function runDownload(
  p: SimPair,
  bytes: number,
  opts: { sampleEveryUs?: number; maxTimeUs?: number } = {},
): TransferRun {
  const t0 = p.net.now;
  const serve = attachServer(p);
  if (!completeHandshakes(p)) throw new Error('benchmark handshake did not complete');
  const handshakeUs = p.net.now - t0;
  const conn = p.conns[0]!;
  const dl = startDownload(conn, bytes, p.net.now);
  attachClient([dl], p.net);
  const trace: CwndPoint[] = [];
  const every = opts.sampleEveryUs ?? 0;
  let nextSample = p.net.now;
  const done = p.net.runUntil(() => {
    serve();
    if (every > 0 && p.net.now >= nextSample) {
      const s = p.accepted[0]!.getStats();
      trace.push({
        timeMs: (p.net.now - dl.startUs) / 1000,
        cwnd: s.cwnd,
        bytesInFlight: s.bytesInFlight,
        srttMs: s.srttMs,
        latestRttMs: s.latestRttMs,
      });
      nextSample = p.net.now + every;
    }
    return dl.complete;
  }, opts.maxTimeUs ?? 600_000_000);
  let packetsSent = 0;
  let bytesSent = 0;
  let acksSent = 0;
  for (const c of [...p.conns, ...p.accepted]) {
    packetsSent += c.stats.packetsSent;
    bytesSent += c.stats.bytesSent;
    acksSent += c.stats.acksSent;
  }
  return {
    done,
    bytes: dl.received,
    transferUs: (done ? dl.endUs : p.net.now) - dl.startUs,
    handshakeUs,
    packetsSent,
    bytesSent,
    acksSent,
    trace,
  };
}
