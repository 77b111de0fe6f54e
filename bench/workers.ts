/**
 * The multi-worker server (src/node/workers.ts) against one server process: concurrent
 * handshakes through the loopback benchmark's processes, a server with `--workers 1` and one
 * with `--workers 2` measured in alternation, so load from elsewhere hits both alike. The client
 * is one tsquic process on the same two cores: its CPU per handshake is reported beside the
 * server's, since it bounds what any server configuration can show here.
 */
import os from 'node:os';
import type { WorkerServerStats } from '../src/node/workers.js';
import type { BenchGroup } from './lib/group.js';
import {
  makeCredentials,
  measure,
  startProcesses,
  stopProcesses,
  type Processes,
} from './loopback.js';

const ALPN = 'tsquic-bench';

export const workersGroup: BenchGroup = {
  name: 'workers',
  summary: 'multi-worker server: handshakes per second with 2 workers vs 1 (loopback)',
  async run(ctx) {
    const runs = ctx.quick ? 1 : 3;
    const durationMs = ctx.quick ? 2_000 : 4_000;
    const concurrency = 32;
    const creds = makeCredentials();
    const rates: Record<1 | 2, number[]> = { 1: [], 2: [] };
    const serverCpu: Record<1 | 2, number[]> = { 1: [], 2: [] };
    const clientCpu: number[] = [];
    /** Busy time of each worker's event loop per handshake (its CPU, near enough), µs. */
    const workerBusy: Record<1 | 2, number[]> = { 1: [], 2: [] };
    /** Datagrams routed by hash (no CID of ours yet) / all datagrams received. */
    const hashedShare: number[] = [];
    /** Datagrams a worker handed to another through the main thread / all received. */
    const forwardedShare: number[] = [];
    let steering = '';
    const loads: number[] = [];
    const stats = async (p: Processes): Promise<WorkerServerStats> => {
      const r = await p.server.request({ type: 'stats' }, 'stats', 10_000);
      if (r.type !== 'stats' || r.stats === null) throw new Error('no worker statistics');
      return r.stats;
    };
    for (let i = 0; i < runs; i++) {
      for (const workers of [1, 2] as const) {
        ctx.log(
          `workers: ${concurrency} concurrent handshakes, ${workers} worker(s), run ${i + 1}/${runs}`,
        );
        const p = await startProcesses(creds, undefined, undefined, workers);
        try {
          const task = {
            type: 'handshakes',
            port: p.port,
            alpn: ALPN,
            concurrency,
            durationMs,
          } as const;
          await measure(p, { ...task, durationMs: 500 }, 60_000); // warm-up: JIT, worker start
          const before = await stats(p);
          const m = await measure(p, task, durationMs + 60_000);
          const after = await stats(p);
          loads.push(os.loadavg()[0]!);
          if (m.client.count === 0)
            throw new Error(`no handshake completed with ${workers} worker(s)`);
          rates[workers].push(m.client.count / (m.client.wallMs / 1000));
          serverCpu[workers].push((m.serverCpuSeconds / m.client.count) * 1e6);
          clientCpu.push((m.client.cpuSeconds / m.client.count) * 1e6);
          for (const w of after.workers) {
            const b = before.workers.find((x) => x.worker === w.worker)?.busyMs ?? 0;
            workerBusy[workers].push(((w.busyMs - b) * 1000) / m.client.count);
          }
          const inAll = after.datagramsIn - before.datagramsIn;
          if (workers === 2 && inAll > 0) {
            hashedShare.push((after.hashedIn - before.hashedIn) / inAll);
            forwardedShare.push((after.forwarded - before.forwarded) / inAll);
            steering = after.steering;
          }
        } finally {
          await stopProcesses(p);
        }
      }
    }
    const rec = ctx.rec;
    for (const w of [1, 2] as const) {
      rec.figure({
        id: `workers.handshakes-concurrent.w${w}`,
        name: `handshakes per second, ${concurrency} at a time, ${w} worker thread(s)`,
        unit: 'handshakes/s',
        runs: rates[w],
      });
      rec.figure({
        id: `workers.server-cpu-per-handshake.w${w}`,
        name: `server process CPU per handshake (router and workers), ${w} worker thread(s)`,
        unit: 'µs',
        runs: serverCpu[w],
      });
    }
    for (const w of [1, 2] as const) {
      rec.figure({
        id: `workers.worker-busy-per-handshake.w${w}`,
        name: `busy time of each worker's event loop per handshake of the whole server, ${w} worker thread(s) (one value per worker and run)`,
        unit: 'µs',
        runs: workerBusy[w],
      });
    }
    rec.figure({
      id: 'workers.hashed-share',
      name: 'datagrams routed by hash (a DCID the client chose) / all datagrams received, 2 workers',
      unit: 'ratio',
      runs: hashedShare,
      note: `steering: ${steering}`,
    });
    rec.figure({
      id: 'workers.forwarded-share',
      name: 'datagrams forwarded from worker to worker (the kernel steered them elsewhere) / all datagrams received, 2 workers',
      unit: 'ratio',
      runs: forwardedShare,
      note:
        steering === 'kernel'
          ? 'each worker reads its own socket of a SO_REUSEPORT group steered by a BPF program'
          : 'router design: the main thread reads every datagram and hands it to one worker',
    });
    rec.figure({
      id: 'workers.load-average',
      name: 'load average (1 min) at the end of each run',
      unit: 'processes',
      runs: loads,
    });
    rec.figure({
      id: 'workers.ratio.handshakes',
      name: 'handshakes per second, 2 workers / 1 worker (runs paired)',
      unit: 'x',
      runs: rates[2].map((r, i) => r / rates[1][i]!),
    });
    rec.figure({
      id: 'workers.client-cpu-per-handshake',
      name: 'client process CPU per handshake (the load generator shares the two cores)',
      unit: 'µs',
      runs: clientCpu,
    });
  },
};
