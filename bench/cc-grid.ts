/**
 * Congestion control over the in-memory network (virtual time, seeded):
 * - the grid: completion time and goodput of a download for each registered controller over
 *   RTT x random loss x bottleneck bandwidth;
 * - fairness: two connections between the same two engines share one rate-limited link (the
 *   network's rate applies per direction between two nodes); the second starts later, and
 *   Jain's index of their goodputs over the second half of the run says how evenly they share;
 * - a window trace: congestion window, bytes in flight and RTT of the sender over one transfer.
 *
 * The figures are virtual-time results of the simulation, not of the CPU; each is the median over
 * runs with different seeds (different loss patterns, start offsets).
 */
import { congestionControllerNames } from '../src/cc/registry.js';
import type { LinkConditions } from '../src/testing/network.js';
import type { GroupContext } from './lib/group.js';
import {
  attachClient,
  attachServer,
  completeHandshakes,
  createSimPair,
  runDownload,
  startDownload,
  type CwndPoint,
} from './lib/sim.js';
import { jainIndex } from './lib/stats.js';
import type { Series } from './lib/svg.js';

const MB = 1_000_000;

export interface LinkSpec {
  rttMs: number;
  /** Random loss probability in each direction, percent. */
  lossPct: number;
  bandwidthMbit: number;
}

/**
 * Link conditions for both directions: half the RTT each way, the loss, the bandwidth, and a
 * queue of one bandwidth-delay product (at least 32 KiB) in front of it.
 */
export function linkConditions(l: LinkSpec): LinkConditions {
  const rate = l.bandwidthMbit * 1e6;
  const bdp = (rate / 8) * (l.rttMs / 1000);
  return {
    delay: (l.rttMs * 1000) / 2,
    loss: l.lossPct / 100,
    rate,
    queueBytes: Math.max(32 * 1024, Math.round(bdp)),
  };
}

interface GridShape {
  rtts: number[];
  losses: number[];
  bandwidths: number[];
  /** Seeds per point. */
  seeds: number;
  /** Download size for a bandwidth: about this many seconds of the link's capacity. */
  seconds: number;
}

const FULL_GRID: GridShape = {
  rtts: [10, 50, 200],
  losses: [0, 1, 5],
  bandwidths: [10, 100],
  seeds: 3,
  seconds: 1.6,
};
const QUICK_GRID: GridShape = {
  rtts: [50],
  losses: [0, 1, 5],
  bandwidths: [10, 100],
  seeds: 2,
  seconds: 0.4,
};

/** The grid as the report and charts read it: ids `cc.<cc>.<rtt>ms.<loss>pct.<bw>mbit.*`. */
export function gridFigureId(cc: string, l: LinkSpec, what: 'goodput' | 'completion'): string {
  return `cc.${cc}.${l.rttMs}ms.${l.lossPct}pct.${l.bandwidthMbit}mbit.${what}`;
}

export function runControllerGrid(ctx: GroupContext): void {
  const g = ctx.quick ? QUICK_GRID : FULL_GRID;
  const ccs = congestionControllerNames();
  const points = g.rtts.length * g.losses.length * g.bandwidths.length * ccs.length;
  let n = 0;
  for (const bandwidthMbit of g.bandwidths) {
    const bytes = Math.round(((bandwidthMbit * 1e6) / 8) * g.seconds);
    for (const rttMs of g.rtts) {
      for (const lossPct of g.losses) {
        const link: LinkSpec = { rttMs, lossPct, bandwidthMbit };
        for (const cc of ccs) {
          ctx.log(
            `grid ${++n}/${points}: ${cc}, RTT ${rttMs} ms, loss ${lossPct} %, ${bandwidthMbit} Mbit/s`,
          );
          const completion: number[] = [];
          const goodput: number[] = [];
          for (let seed = 1; seed <= g.seeds; seed++) {
            const pair = createSimPair({
              seed,
              congestionControl: cc,
              conditions: linkConditions(link),
            });
            const r = runDownload(pair, bytes, { maxTimeUs: 3_600_000_000 });
            if (!r.done)
              throw new Error(`grid download did not finish (${cc}, ${JSON.stringify(link)})`);
            completion.push(r.transferUs / 1e6);
            goodput.push((r.bytes * 8) / r.transferUs);
          }
          const params = { cc, rttMs, lossPct, bandwidthMbit, bytes };
          const what = `${(bytes / MB).toFixed(1)} MB download, ${cc}, RTT ${rttMs} ms, loss ${lossPct} %, ${bandwidthMbit} Mbit/s`;
          ctx.rec.figure({
            id: gridFigureId(cc, link, 'completion'),
            name: `completion time of a ${what}`,
            unit: 's',
            runs: completion,
            params,
          });
          ctx.rec.figure({
            id: gridFigureId(cc, link, 'goodput'),
            name: `goodput of a ${what}`,
            unit: 'Mbit/s',
            runs: goodput,
            params,
          });
        }
      }
    }
  }
}

/** Two flows through one bottleneck; returns Jain's index and the per-flow throughput series. */
function fairnessRun(
  cc: string,
  link: LinkSpec,
  durationUs: number,
  lateStartUs: number,
  seed: number,
): { jain: number; series: Series[] } {
  const pair = createSimPair({
    seed,
    congestionControl: cc,
    conditions: linkConditions(link),
    connections: 2,
  });
  const serve = attachServer(pair);
  if (!completeHandshakes(pair)) throw new Error('fairness handshakes did not complete');
  const huge = 2 ** 40; // never completes within the run
  const t0 = pair.net.now;
  const first = startDownload(pair.conns[0]!, huge, t0);
  attachClient([first], pair.net);
  const flows = [first];
  const step = 250_000;
  const series: Series[] = [
    { name: `${cc} flow 1`, points: [] },
    { name: `${cc} flow 2 (+${lateStartUs / 1e6} s)`, points: [] },
  ];
  const last = [0, 0];
  const atHalf = [0, 0];
  const half = t0 + durationUs / 2;
  for (let t = t0 + step; t <= t0 + durationUs; t += step) {
    if (flows.length === 1 && t - t0 > lateStartUs) {
      pair.net.runUntil(() => {
        serve();
        return pair.net.now >= t0 + lateStartUs;
      }, lateStartUs);
      const second = startDownload(pair.conns[1]!, huge, pair.net.now);
      attachClient([second], pair.net);
      flows.push(second);
    }
    pair.net.runUntil(
      () => {
        serve();
        return pair.net.now >= t;
      },
      t - pair.net.now + 1,
    );
    flows.forEach((f, i) => {
      series[i]!.points.push([(t - t0) / 1e6, ((f.received - last[i]!) * 8) / step]);
      last[i] = f.received;
      if (t <= half) atHalf[i] = f.received;
    });
  }
  const secondHalf = flows.map((f, i) => f.received - atHalf[i]!);
  while (secondHalf.length < 2) secondHalf.push(0);
  return { jain: jainIndex(secondHalf), series };
}

export function runFairness(ctx: GroupContext): void {
  const link: LinkSpec = { rttMs: 40, lossPct: 0, bandwidthMbit: ctx.quick ? 10 : 20 };
  const durationUs = (ctx.quick ? 8 : 20) * 1e6;
  const runs = ctx.quick ? 2 : 3;
  for (const cc of congestionControllerNames()) {
    const jain: number[] = [];
    let chart: Series[] = [];
    for (let i = 0; i < runs; i++) {
      const late = 500_000 * (i + 1);
      ctx.log(`fairness: ${cc}, second flow after ${late / 1e6} s, run ${i + 1}/${runs}`);
      const r = fairnessRun(cc, link, durationUs, late, i + 1);
      jain.push(r.jain);
      if (i === 0) chart = r.series;
    }
    ctx.rec.figure({
      id: `fairness.${cc}.jain`,
      name: `Jain's index of two ${cc} flows sharing ${link.bandwidthMbit} Mbit/s, RTT ${link.rttMs} ms (second half of ${durationUs / 1e6} s)`,
      unit: 'index',
      runs: jain,
      params: { cc, ...link },
      note: 'the second flow starts 0.5 s x run later; 1 = equal shares, 0.5 = one flow has all',
    });
    ctx.rec.chart({
      id: `fairness-${cc}`,
      title: `Two ${cc} flows through one ${link.bandwidthMbit} Mbit/s bottleneck`,
      xLabel: 'time (s)',
      yLabel: 'throughput (Mbit/s)',
      series: chart,
    });
  }
}

export function runWindowTrace(ctx: GroupContext): void {
  const link: LinkSpec = { rttMs: 50, lossPct: 1, bandwidthMbit: 10 };
  const bytes = (ctx.quick ? 2 : 6) * MB;
  const traces: { cc: string; points: CwndPoint[] }[] = [];
  for (const cc of congestionControllerNames()) {
    ctx.log(`window trace: ${cc}, RTT 50 ms, loss 1 %, 10 Mbit/s`);
    const pair = createSimPair({
      seed: 1,
      congestionControl: cc,
      conditions: linkConditions(link),
    });
    const r = runDownload(pair, bytes, { sampleEveryUs: 10_000, maxTimeUs: 3_600_000_000 });
    traces.push({ cc, points: r.trace });
  }
  const title = `${bytes / MB} MB, RTT ${link.rttMs} ms, ${link.lossPct} % loss, ${link.bandwidthMbit} Mbit/s`;
  ctx.rec.chart({
    id: 'cwnd',
    title: `cwnd and bytes in flight: ${title}`,
    xLabel: 'time (ms)',
    yLabel: 'bytes',
    series: traces.flatMap((t) => [
      { name: `${t.cc} cwnd`, points: t.points.map((p) => [p.timeMs, p.cwnd] as [number, number]) },
      {
        name: `${t.cc} in flight`,
        points: t.points.map((p) => [p.timeMs, p.bytesInFlight] as [number, number]),
      },
    ]),
  });
  ctx.rec.chart({
    id: 'rtt',
    title: `Smoothed and latest RTT: ${title}`,
    xLabel: 'time (ms)',
    yLabel: 'RTT (ms)',
    series: traces.flatMap((t) => [
      {
        name: `${t.cc} smoothed`,
        points: t.points.map((p) => [p.timeMs, p.srttMs] as [number, number]),
      },
      {
        name: `${t.cc} latest`,
        points: t.points.map((p) => [p.timeMs, p.latestRttMs] as [number, number]),
      },
    ]),
  });
}
