/**
 * Quick measurement for the data-path performance pass: one in-memory download (both engines on
 * one core, no loss, 1 ms one-way delay) and its crypto-only ceiling, per CPU-second, plus the
 * virtual transfer time (a window-limited run takes longer in virtual time; CPU is what is
 * measured here).
 *
 *   npx tsc -p . && node dist/bench/perf-inmem.js [MiB] [runs] [--no-ceiling]
 *
 * `--no-ceiling` runs the transfers only, for a CPU profile of the stack alone
 * (`node --cpu-prof dist/bench/perf-inmem.js 16 2 --no-ceiling`).
 */
import { measureTransfer, warmUp } from './inmem.js';
import { createSimPair, runDownload } from './lib/sim.js';
import { cpuSeconds } from './lib/timing.js';

const MiB = 1024 * 1024;
const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const size = Number(args[0] ?? 16) * MiB;
const runs = Number(args[1] ?? 3);
const ceiling = !process.argv.includes('--no-ceiling');
const mib = size / MiB;

const goodputs: number[] = [];
const ratios: number[] = [];
if (ceiling) {
  warmUp(size);
  for (let i = 0; i < runs; i++) {
    const s = measureTransfer(size, i + 1);
    goodputs.push(mib / s.cpu);
    ratios.push(s.ceilingCpu / s.cpu);
    console.log(
      `run ${i + 1}: goodput ${(mib / s.cpu).toFixed(1)} MiB/cpu-s (wall ${(mib / s.wall).toFixed(1)}),` +
        ` ceiling ${(mib / s.ceilingCpu).toFixed(1)}, ratio ${(s.ceilingCpu / s.cpu).toFixed(3)}` +
        ` (one-loop ceiling: ${(s.ceilingWholeCpu / s.cpu).toFixed(3)}),` +
        ` packets ${s.run.packetsSent}, mean size ${s.meanPacketSize},` +
        ` virtual ${(s.run.transferUs / 1000).toFixed(0)} ms`,
    );
  }
} else {
  for (let i = 0; i < runs; i++) {
    const c0 = cpuSeconds();
    const run = runDownload(createSimPair({ seed: i + 1, conditions: { delay: 1_000 } }), size);
    const cpu = cpuSeconds() - c0;
    goodputs.push(mib / cpu);
    console.log(
      `run ${i + 1}: goodput ${(mib / cpu).toFixed(1)} MiB/cpu-s, packets ${run.packetsSent}`,
    );
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? NaN;
console.log(
  `goodput median ${median(goodputs).toFixed(1)} best ${Math.max(...goodputs).toFixed(1)} MiB/cpu-s` +
    (ratios.length > 0 ? `, ratio median ${median(ratios).toFixed(3)}` : ''),
);
