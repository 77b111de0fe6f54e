/**
 * Bulk transfer over a pair: the client sends `up` bytes on a bidirectional stream, the server
 * sends `down` bytes back on it; both sides check every byte against the seeded pattern.
 */
import type { Connection } from '../../src/conn/connection.js';
import type { Stream } from '../../src/stream/stream.js';
import { type EnginePair } from '../../src/testing/index.js';

/** Deterministic content: byte i of a stream is a function of i and the seed. */
export function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Writes `data` to `s` as fast as flow control allows, with FIN at the end. */
export function pump(conn: Connection, s: Stream, data: Uint8Array): void {
  let off = 0;
  const push = (): void => {
    while (off < data.length) {
      const n = s.write(data.subarray(off), true);
      if (n === 0) return;
      off += n;
    }
  };
  conn.on('writable', (st) => {
    if (st === s) push();
  });
  push();
}

/** Collects a stream's bytes and compares them with `expected` as they arrive. */
export class Sink {
  received = 0;
  fin = false;
  mismatch = -1;
  constructor(private readonly expected: Uint8Array) {}
  take(s: Stream): void {
    for (let r = s.read(); r; r = s.read()) {
      const d = r.data;
      for (let i = 0; i < d.length && this.mismatch < 0; i++) {
        if (d[i] !== this.expected[this.received + i]) this.mismatch = this.received + i;
      }
      this.received += d.length;
      if (r.fin) this.fin = true;
    }
  }
  get complete(): boolean {
    return this.fin && this.received === this.expected.length && this.mismatch < 0;
  }
}

export interface TransferResult {
  up: Sink;
  down: Sink;
  done: boolean;
  timeUs: number;
}

/** Runs the handshake and a transfer of `up` bytes up and `down` bytes down. */
export function transfer(
  p: Pick<EnginePair, 'net' | 'conn' | 'serverConn'>,
  up: number,
  down: number,
  maxTimeUs = 120_000_000,
  /** Called with the sinks before the transfer starts, to watch in-order delivery as it runs. */
  watch?: (sinks: { up: Sink; down: Sink }) => void,
): TransferResult {
  const upData = pattern(up, 1);
  const downData = pattern(down, 2);
  const upSink = new Sink(upData);
  const downSink = new Sink(downData);
  watch?.({ up: upSink, down: downSink });
  const start = p.net.now;
  let serverConn: Connection | null = null;
  const attach = (): void => {
    if (serverConn) return;
    serverConn = p.serverConn();
    if (!serverConn) return;
    const sc = serverConn;
    sc.on('stream', (s) => {
      if (down > 0) pump(sc, s, downData);
      else s.end();
    });
    sc.on('readable', (s) => upSink.take(s));
  };
  let hs = p.conn.handshakeConfirmed;
  p.conn.on('handshakeDone', () => (hs = true));
  if (!p.net.runUntil(() => hs, maxTimeUs)) {
    return { up: upSink, down: downSink, done: false, timeUs: p.net.now - start };
  }
  const s = p.conn.openStream(true)!;
  pump(p.conn, s, upData);
  p.conn.on('readable', (st) => downSink.take(st));
  const done = p.net.runUntil(() => {
    attach();
    return upSink.complete && downSink.complete;
  }, maxTimeUs);
  return { up: upSink, down: downSink, done, timeUs: p.net.now - start };
}
