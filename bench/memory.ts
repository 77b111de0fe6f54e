/**
 * The memory group: heap per established, idle connection. A server and a client engine in this
 * process open 1,000 connections over the in-memory network, complete the handshakes and let
 * the acknowledgements settle; the heap growth over a forced garbage collection before and after,
 * divided by 1,000, is the cost of one connection (both of its ends live in this heap, so this
 * counts the client and the server side of each connection).
 */
import type { BenchGroup } from './lib/group.js';
import { diffHeap, snapshotGroups, type HeapSummary } from './lib/heapsnapshot.js';
import { benchCertificate, completeHandshakes, createSimPair, type SimPair } from './lib/sim.js';
import { collectGarbage } from './lib/timing.js';

const CONNECTIONS = 1000;
const TARGET_BYTES = 64 * 1024;

interface MemorySample {
  heapPerConnection: number;
  externalPerConnection: number;
}

/** `count` connections between two engines, established and left idle. */
function establishIdle(count: number, seed: number): SimPair {
  const pair = createSimPair({ seed, connections: count, conditions: { delay: 5_000 } });
  if (!completeHandshakes(pair)) throw new Error('not every benchmark connection was established');
  // Let the last ACKs, HANDSHAKE_DONE and NEW_CONNECTION_ID frames land, well within the idle
  // timeout, so what remains is an idle connection's steady state.
  pair.net.runFor(1_000_000);
  const open = pair.conns.filter((c) => c.state === 'established').length;
  if (open !== count) throw new Error(`${count - open} connections did not stay open`);
  return pair;
}

function measureOnce(seed: number): MemorySample {
  benchCertificate(); // made once, outside the measurement
  collectGarbage();
  const before = process.memoryUsage();
  const pair = establishIdle(CONNECTIONS, seed);
  collectGarbage();
  const after = process.memoryUsage();
  // Used after the measurement, so the connections stay reachable until it is taken.
  if (pair.accepted.length !== CONNECTIONS) throw new Error('the server lost connections');
  return {
    heapPerConnection: (after.heapUsed - before.heapUsed) / CONNECTIONS,
    // `external` already includes `arrayBuffers` (ArrayBuffer backing stores): counted once.
    externalPerConnection: (after.external - before.external) / CONNECTIONS,
  };
}

/**
 * What the heap gains for `count` idle connections, by constructor: two heap snapshots around
 * establishing them (run in a child process by the profiler of a missed memory target).
 */
export async function heapGrowth(count: number): Promise<HeapSummary> {
  benchCertificate();
  // A warm-up set first: compiled code and object shapes are made once, not per connection.
  establishIdle(Math.min(50, count), 2);
  const before = await snapshotGroups();
  const pair = establishIdle(count, 1);
  const after = await snapshotGroups();
  if (pair.accepted.length !== count) throw new Error('the server lost connections');
  return diffHeap(
    before,
    after,
    `heap growth for ${count} idle connections (both ends)`,
    'memory.heap-per-connection',
    count,
  );
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
      profile: 'memory-heap',
      note: 'heapUsed after minus before, over forced GCs, divided by the connection count',
    });
    ctx.rec.figure({
      id: 'memory.heap-per-endpoint',
      name: 'heap per connection endpoint (the same growth over both ends: 2,000 connection objects)',
      unit: 'bytes',
      runs: samples.map((s) => s.heapPerConnection / 2),
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
