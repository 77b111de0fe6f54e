import assert from 'node:assert/strict';
import type { Connection } from '../../src/conn/connection.js';
import { createEnginePair } from '../../src/testing/pair.js';
import { pattern, pump, Sink } from './transfer-kit.js';

/** 10 Mbit/s, 40 ms RTT, a drop-tail queue of four bandwidth-delay products (200 kB). */
const RATE = 10e6;
const RTT = 40_000;
const BDP = (RATE / 8) * (RTT / 1e6);

interface Outcome {
  complete: boolean;
  mismatch: number;
  goodputMbit: number;
  minRttMs: number;
  /** Mean of the server's RTT samples during the download: base RTT plus queueing delay. */
  meanRttMs: number;
  queueDrops: number;
}

/** Downloads `bytes` over the bottleneck with `cc` at both ends (virtual time, seeded). */
function download(cc: string, bytes: number): Outcome {
  const p = createEnginePair({
    seed: 11,
    conditions: { delay: RTT / 2, rate: RATE, queueBytes: 4 * BDP },
    client: { congestionControl: cc },
    serverEngine: { connection: { congestionControl: cc } },
  });
  const data = pattern(bytes, 2);
  const sink = new Sink(data);
  let handshake = false;
  p.conn.on('handshakeDone', () => (handshake = true));
  assert.ok(p.net.runUntil(() => handshake, 10_000_000));
  p.conn.openStream(true)!.end();
  p.conn.on('readable', (s) => sink.take(s));
  let server: Connection | null = null;
  const rtts: number[] = [];
  let last = -1;
  const start = p.net.now;
  p.net.runUntil(() => {
    if (server === null) {
      server = p.serverConn();
      const sc = server;
      sc?.on('stream', (s) => pump(sc, s, data));
    }
    if (server !== null) {
      // One entry per new RTT sample (the latest changes when a sample is taken).
      const latest = server.getStats().latestRttMs;
      if (latest !== last) rtts.push(latest);
      last = latest;
    }
    return sink.complete;
  }, 60_000_000);
  const seconds = (p.net.now - start) / 1e6;
  const stats = (server as Connection | null)!.getStats();
  return {
    complete: sink.complete,
    mismatch: sink.mismatch,
    goodputMbit: (bytes * 8) / seconds / 1e6,
    minRttMs: stats.minRttMs,
    meanRttMs: rtts.reduce((a, b) => a + b, 0) / rtts.length,
    queueDrops: p.net.stats.queueDrops,
  };
}

describe('scenario: BBR through a bottleneck with a deep queue', () => {
  it('delivers byte-exact at the link rate while keeping the queue far below CUBIC', function () {
    this.timeout(120_000);
    const bbr = download('bbr', 3_000_000);
    const cubic = download('cubic', 3_000_000);
    assert.ok(bbr.complete && cubic.complete);
    assert.equal(bbr.mismatch, -1);
    // Virtual-time figures (deterministic): at 10 Mbit/s, 40 ms, 4 BDP of queue, seed 11, BBR
    // measured 9.39 Mbit/s with a mean RTT of 59 ms (min 40.4) and no drops; CUBIC 9.43 Mbit/s
    // with a mean RTT of 128 ms, filling the queue until it overflowed (44 drops). The margins
    // below are wide.
    assert.ok(bbr.goodputMbit > 0.85 * (RATE / 1e6), `BBR goodput ${bbr.goodputMbit}`);
    const bbrQueueing = bbr.meanRttMs - bbr.minRttMs;
    const cubicQueueing = cubic.meanRttMs - cubic.minRttMs;
    assert.ok(
      bbrQueueing < 0.5 * cubicQueueing,
      `queueing delay: BBR ${bbrQueueing} ms, CUBIC ${cubicQueueing} ms`,
    );
    assert.ok(bbr.meanRttMs < 2 * bbr.minRttMs, `BBR mean RTT ${bbr.meanRttMs}`);
    assert.ok(bbr.queueDrops <= cubic.queueDrops);
  });
});
