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
 *
 * `--ack-frequency` compares ACK frequency (draft-ietf-quic-ack-frequency) on and off: each
 * round runs one transfer of each, the order alternating round by round, and reports CPU per
 * MiB and ACK frames per MiB of both sides.
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
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? NaN;

if (process.argv.includes('--ack-frequency')) {
  // Warm-up with both settings, so neither pays for the JIT.
  for (const ackFrequency of [true, false, true, false]) {
    runDownload(createSimPair({ seed: 99, conditions: { delay: 1_000 }, ackFrequency }), size);
  }
  const cpu: Record<'on' | 'off', number[]> = { on: [], off: [] };
  const acks: Record<'on' | 'off', number[]> = { on: [], off: [] };
  for (let i = 0; i < runs; i++) {
    const order = i % 2 === 0 ? [true, false] : [false, true];
    for (const ackFrequency of order) {
      const key = ackFrequency ? 'on' : 'off';
      const pair = createSimPair({ seed: i + 1, conditions: { delay: 1_000 }, ackFrequency });
      const c0 = cpuSeconds();
      const run = runDownload(pair, size);
      const seconds = cpuSeconds() - c0;
      if (!run.done) throw new Error(`transfer stopped at ${run.bytes} of ${size} bytes`);
      cpu[key].push(seconds / mib);
      acks[key].push(run.acksSent / mib);
      console.log(
        `round ${i + 1} ack-frequency ${key}: ${((seconds / mib) * 1000).toFixed(2)} ms CPU/MiB,` +
          ` ${(run.acksSent / mib).toFixed(1)} ACK frames/MiB, packets ${run.packetsSent},` +
          ` virtual ${(run.transferUs / 1000).toFixed(0)} ms`,
      );
    }
  }
  const on = median(cpu.on);
  const off = median(cpu.off);
  console.log(
    `median CPU/MiB: on ${(on * 1000).toFixed(2)} ms, off ${(off * 1000).toFixed(2)} ms` +
      ` (${(((off - on) / off) * 100).toFixed(1)} % saved);` +
      ` ACK frames/MiB: on ${median(acks.on).toFixed(1)}, off ${median(acks.off).toFixed(1)}`,
  );
  process.exit(0);
}

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

console.log(
  `goodput median ${median(goodputs).toFixed(1)} best ${Math.max(...goodputs).toFixed(1)} MiB/cpu-s` +
    (ratios.length > 0 ? `, ratio median ${median(ratios).toFixed(3)}` : ''),
);
