/**
 * The protocol logic per packet per side (issue 13 item 4), alone: the inmem group's download
 * with packet protection taken out of both engines (bench/lib/null-crypto.ts). For profiling:
 *
 *   npx tsc -p . && node dist/bench/perf-protocol.js [MiB] [runs]
 *   node --cpu-prof dist/bench/perf-protocol.js 16 3
 */
import { measureProtocol, warmUp } from './inmem.js';
import { nullPacketProtection } from './lib/null-crypto.js';

const MiB = 1024 * 1024;
const size = Number(process.argv[2] ?? 16) * MiB;
const runs = Number(process.argv[3] ?? 5);

warmUp(size, nullPacketProtection);
const us: number[] = [];
for (let i = 0; i < runs; i++) {
  const s = measureProtocol(size, i + 1);
  us.push(s.usPerPacketPerSide);
  console.log(
    `run ${i + 1}: ${s.usPerPacketPerSide.toFixed(3)} µs per packet per side (${s.packets} packets)`,
  );
}
const sorted = [...us].sort((a, b) => a - b);
console.log(
  `median ${sorted[sorted.length >> 1]!.toFixed(3)} µs, best ${sorted[0]!.toFixed(3)} µs`,
);
