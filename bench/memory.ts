/**
 * The memory group: heap per established, idle connection. A server and a client engine in this
 * process open 1,000 connections over the in-memory network, complete the handshakes and let
 * the acknowledgements settle; the heap growth over a forced garbage collection before and after,
 * divided by 1,000, is the cost of one connection (both of its ends live in this heap, so this
 * counts the client and the server side of each connection).
 */
import type { BenchGroup } from './lib/group.js';
import { benchCertificate, completeHandshakes, createSimPair } from './lib/sim.js';
import { collectGarbage } from './lib/timing.js';

const CONNECTIONS = 1000;
const TARGET_BYTES = 64 * 1024;

interface MemorySample {
  heapPerConnection: number;
  externalPerConnection: number;
}

function measureOnce(seed: number): MemorySample {
  benchCertificate(); // made once, outside the measurement
  collectGarbage();
  const before = process.memoryUsage();
  let pair: ReturnType<typeof createSimPair> | null = createSimPair({
    seed,
    connections: CONNECTIONS,
    conditions: { delay: 5_000 },
  });
  if (!completeHandshakes(pair)) throw new Error('not every benchmark connection was established');
  // Let the last ACKs, HANDSHAKE_DONE and NEW_CONNECTION_ID frames land, well within the idle
  // timeout, so what remains is an idle connection's steady state.
  pair.net.runFor(1_000_000);
  const open = pair.conns.filter((c) => c.state === 'established').length;
  if (open !== CONNECTIONS) throw new Error(`${CONNECTIONS - open} connections did not stay open`);
  collectGarbage();
  const after = process.memoryUsage();
  // Keep the pair alive across the measurement, then let it go.
  if (pair.accepted.length !== CONNECTIONS) throw new Error('the server lost connections');
  pair = null;
  return {
    heapPerConnection: (after.heapUsed - before.heapUsed) / CONNECTIONS,
    externalPerConnection:
      (after.external + after.arrayBuffers - before.external - before.arrayBuffers) / CONNECTIONS,
  };
}

export const memoryGroup: BenchGroup = {
  name: 'memory',
  summary: `heap per established idle connection (${CONNECTIONS} connections, two engines in memory)`,
  run(ctx) {
    const runs = ctx.quick ? 2 : 5;
    const samples: MemorySample[] = [];
    for (let i = 0; i < runs; i++) {
      ctx.log(`${CONNECTIONS} idle connections, run ${i + 1}/${runs}`);
      samples.push(measureOnce(i + 1));
    }
    collectGarbage();
    ctx.rec.figure({
      id: 'memory.heap-per-connection',
      name: `heap per established idle connection (${CONNECTIONS} connections, both ends in one heap)`,
      unit: 'bytes',
      runs: samples.map((s) => s.heapPerConnection),
      target: { op: '<=', value: TARGET_BYTES },
      note: 'heapUsed after minus before, over forced GCs, divided by the connection count',
    });
    ctx.rec.figure({
      id: 'memory.external-per-connection',
      name: 'ArrayBuffer and external memory per idle connection (outside the V8 heap)',
      unit: 'bytes',
      runs: samples.map((s) => s.externalPerConnection),
    });
    return Promise.resolve();
  },
};
