/**
 * Sequential connections on loopback (issue 13 item 5), alone: the loopback group's server and
 * client processes, one connection at a time, each a handshake, one 1 KiB GET and a graceful
 * close, with the default (hybrid ML-KEM) key exchange and with x25519 alone. Besides the rate it
 * prints each process's CPU per connection and what is left of the wall time per connection
 * when both are taken out: the waits (timers, event-loop turns, wake-ups) plus, on a loaded
 * machine, the time the processes waited for a core.
 *
 *   npx tsc -p . && node dist/bench/perf-connect.js [seconds] [runs]
 */
import os from 'node:os';
import { makeCredentials, measure, startProcesses, stopProcesses } from './loopback.js';

const seconds = Number(process.argv[2] ?? 4);
const runs = Number(process.argv[3] ?? 3);
const kinds: readonly { label: string; groups?: string[] }[] = [
  { label: 'hybrid' },
  { label: 'x25519', groups: ['x25519'] },
];

const p = await startProcesses(makeCredentials());
try {
  const task = (groups: string[] | undefined, durationMs: number) =>
    ({
      type: 'handshakes',
      port: p.port,
      alpn: 'tsquic-bench',
      concurrency: 1,
      durationMs,
      getBytes: 1024,
      ...(groups !== undefined ? { groups } : {}),
    }) as const;
  // Warm-up: V8 optimizes the handshake path during the first few thousand connections (a 1 s
  // warm-up left the first run 20-50 % slower than the next ones).
  for (const k of kinds) await measure(p, task(k.groups, 5_000), 60_000);
  for (let r = 0; r < runs; r++) {
    for (const k of kinds) {
      const m = await measure(p, task(k.groups, seconds * 1000), seconds * 1000 + 60_000);
      const n = m.client.count;
      const wallUs = (m.client.wallMs * 1000) / n;
      const clientUs = (m.client.cpuSeconds * 1e6) / n;
      const serverUs = (m.serverCpuSeconds * 1e6) / n;
      console.log(
        `${k.label.padEnd(6)} run ${r + 1}: ${(n / (m.client.wallMs / 1000)).toFixed(1)} connections/s` +
          ` (${n}, ${m.client.failures} failed); per connection: wall ${wallUs.toFixed(0)} µs,` +
          ` client CPU ${clientUs.toFixed(0)} µs, server CPU ${serverUs.toFixed(0)} µs,` +
          ` rest ${(wallUs - clientUs - serverUs).toFixed(0)} µs; load ${os.loadavg()[0]!.toFixed(1)}`,
      );
    }
  }
} finally {
  await stopProcesses(p);
}
