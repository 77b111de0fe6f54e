/**
 * Multipath QUIC (RFC 10069) over the multi-link in-memory network (virtual time, seeded), for
 * each path scheduler (src/path/schedulers), beside single-path baselines on the same links:
 * - aggregation: two 10 Mbit/s, 20 ms links; goodput of one download over both paths;
 * - heterogeneous: 100 Mbit/s at 10 ms plus 10 Mbit/s at 100 ms; goodput against the better
 *   single path;
 * - failover: two 10 Mbit/s links, one blackholed for good mid-transfer; the longest stall
 *   against 3 PTO of the surviving path, and whether the download is byte-exact;
 * - fairness: a multipath flow (two paths) and a single-path flow through one shared
 *   20 Mbit/s bottleneck; Jain's index of their goodputs over the second half of the run.
 *
 * Run alone: `npx tsx bench/multipath.ts [--quick]` prints the figures as a Markdown table; in
 * the suite it is the `multipath` group (figures `mp.*`, charts `mp-*.svg`).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pathSchedulerNames } from '../src/path/schedulers/registry.js';
import type { Connection } from '../src/conn/connection.js';
import type { BenchGroup, GroupContext } from './lib/group.js';
import {
  goodputMbit,
  runFlows,
  serverLink,
  type FlowResult,
  type FlowSpec,
  type LinkShape,
  type MultiLinkSim,
  type RunOptions,
} from './lib/multilink.js';
import { Recorder } from './lib/results.js';
import { jainIndex } from './lib/stats.js';
import type { Series } from './lib/svg.js';

const MB = 1_000_000;

/** Multipath on both sides, with the sender's (the server's) scheduler. */
function multipathOptions(scheduler: string): Pick<RunOptions, 'client' | 'server'> {
  return { client: { multipath: true }, server: { multipath: { scheduler } } };
}

/** Bytes each path of the server's connection for flow `i` sent, sampled per interval. */
class PathSampler {
  readonly series = new Map<number, [number, number][]>();
  private last = new Map<number, number>();
  constructor(
    private readonly flow: number,
    private readonly sampleUs: number,
  ) {}
  sample = (tUs: number, sim: MultiLinkSim): void => {
    const sc = sim.serverConn(this.flow);
    if (sc === null) return;
    for (const p of sc.getStats().paths) {
      const prev = this.last.get(p.pathId) ?? 0;
      this.last.set(p.pathId, p.bytesSent);
      let s = this.series.get(p.pathId);
      if (s === undefined) this.series.set(p.pathId, (s = []));
      s.push([tUs / 1e6, ((p.bytesSent - prev) * 8) / this.sampleUs]);
    }
  };
  toSeries(label: string): Series[] {
    return [...this.series].map(([id, points]) => ({ name: `${label} path ${id}`, points }));
  }
}

interface CaseResult {
  flows: FlowResult[];
  paths: Series[];
}

function runCase(
  label: string,
  opts: Omit<RunOptions, 'onSample'>,
  onSample?: RunOptions['onSample'],
): CaseResult {
  const sampleUs = opts.sampleUs ?? 100_000;
  const sampler = new PathSampler(0, sampleUs);
  const flows = runFlows({
    ...opts,
    sampleUs,
    onSample: (t, sim) => {
      sampler.sample(t, sim);
      onSample?.(t, sim);
    },
  });
  return { flows, paths: sampler.toSeries(label) };
}

function checkExact(label: string, r: FlowResult[]): void {
  for (const f of r) {
    if (f.complete && !f.exact) throw new Error(`${label}: a download was not byte-exact`);
  }
}

/** Aggregate goodput of complete flows: all their bytes over the longest transfer. */
function aggregateMbit(r: FlowResult[]): number {
  const bytes = r.reduce((a, f) => a + f.received, 0);
  const us = Math.max(...r.map((f) => f.transferUs));
  return (bytes * 8) / us;
}

export function runAggregation(ctx: GroupContext): void {
  const link: LinkShape = { mbit: 10, rttMs: 20 };
  const links = [serverLink('a', [0], link), serverLink('b', [1], link)];
  const bytes = (ctx.quick ? 5 : 10) * MB;
  const maxUs = 60_000_000;
  const what = `${bytes / MB} MB over two ${link.mbit} Mbit/s, ${link.rttMs} ms links`;
  ctx.log(`multipath aggregation: ${what}, single-path baselines`);
  const single = runFlows({ links, flows: [{ from: 0, bytes }], maxUs });
  checkExact('aggregation single', single);
  ctx.rec.figure({
    id: 'mp.aggregation.single.goodput',
    name: `goodput of one single-path download, ${what} (uses one)`,
    unit: 'Mbit/s',
    runs: [goodputMbit(single[0]!)],
    params: { case: 'single path' },
  });
  const two = runFlows({
    links,
    flows: [
      { from: 0, bytes },
      { from: 1, bytes },
    ],
    maxUs,
  });
  checkExact('aggregation two connections', two);
  ctx.rec.figure({
    id: 'mp.aggregation.two-connections.goodput',
    name: `aggregate goodput of two single-path connections, one per link, ${what}`,
    unit: 'Mbit/s',
    runs: [aggregateMbit(two)],
    params: { case: 'two connections' },
  });
  const chart: Series[] = [{ name: 'single path', points: single[0]!.series }];
  for (const scheduler of pathSchedulerNames()) {
    ctx.log(`multipath aggregation: ${what}, scheduler ${scheduler}`);
    const r = runCase(scheduler, {
      links,
      flows: [{ from: 0, bytes, paths: [1] }],
      maxUs,
      ...multipathOptions(scheduler),
    });
    checkExact(`aggregation ${scheduler}`, r.flows);
    ctx.rec.figure({
      id: `mp.aggregation.${scheduler}.goodput`,
      name: `goodput of one multipath download (scheduler ${scheduler}), ${what}`,
      unit: 'Mbit/s',
      runs: [goodputMbit(r.flows[0]!)],
      params: { case: 'multipath', scheduler },
      // The backup scheduler uses the second path only when the first fails.
      ...(scheduler === 'backup' ? {} : { target: { op: '>=', value: 18 } }),
    });
    chart.push({ name: `multipath ${scheduler}`, points: r.flows[0]!.series });
    if (scheduler === 'minrtt') {
      ctx.rec.chart({
        id: 'mp-aggregation-paths',
        title: `Multipath (min-RTT) over two ${link.mbit} Mbit/s, ${link.rttMs} ms links: each path`,
        xLabel: 'time (s)',
        yLabel: 'throughput (Mbit/s)',
        series: r.paths,
      });
    }
  }
  ctx.rec.chart({
    id: 'mp-aggregation',
    title: `One download over two ${link.mbit} Mbit/s, ${link.rttMs} ms links`,
    xLabel: 'time (s)',
    yLabel: 'goodput (Mbit/s)',
    series: chart,
  });
}

export function runHeterogeneous(ctx: GroupContext): void {
  const fast: LinkShape = { mbit: 100, rttMs: 10 };
  const slow: LinkShape = { mbit: 10, rttMs: 100 };
  const links = [serverLink('fast', [0], fast), serverLink('slow', [1], slow)];
  const bytes = (ctx.quick ? 10 : 20) * MB;
  const maxUs = 120_000_000;
  const what = `${bytes / MB} MB, ${fast.mbit} Mbit/s·${fast.rttMs} ms + ${slow.mbit} Mbit/s·${slow.rttMs} ms`;
  const singles = [0, 1].map((from) => {
    ctx.log(`multipath heterogeneous: ${what}, single path on link ${from}`);
    const r = runFlows({ links, flows: [{ from, bytes }], maxUs });
    checkExact('heterogeneous single', r);
    return goodputMbit(r[0]!);
  });
  const better = Math.max(...singles);
  ctx.rec.figure({
    id: 'mp.heterogeneous.single-fast.goodput',
    name: `goodput of a single-path download on the fast link, ${what}`,
    unit: 'Mbit/s',
    runs: [singles[0]!],
    params: { case: 'single path, fast link' },
  });
  ctx.rec.figure({
    id: 'mp.heterogeneous.single-slow.goodput',
    name: `goodput of a single-path download on the slow link, ${what}`,
    unit: 'Mbit/s',
    runs: [singles[1]!],
    params: { case: 'single path, slow link' },
  });
  const chart: Series[] = [];
  for (const scheduler of pathSchedulerNames()) {
    ctx.log(`multipath heterogeneous: ${what}, scheduler ${scheduler}`);
    const r = runCase(scheduler, {
      links,
      flows: [{ from: 0, bytes, paths: [1] }],
      maxUs,
      ...multipathOptions(scheduler),
    });
    checkExact(`heterogeneous ${scheduler}`, r.flows);
    ctx.rec.figure({
      id: `mp.heterogeneous.${scheduler}.goodput`,
      name: `goodput of one multipath download (scheduler ${scheduler}), ${what}`,
      unit: 'Mbit/s',
      runs: [goodputMbit(r.flows[0]!)],
      params: { case: 'multipath', scheduler },
      target: { op: '>=', value: better },
      note: 'target: the better single path measured in the same run',
    });
    chart.push({ name: `multipath ${scheduler}`, points: r.flows[0]!.series });
    if (scheduler === 'minrtt') {
      ctx.rec.chart({
        id: 'mp-heterogeneous-paths',
        title: `Multipath (min-RTT), ${fast.mbit} Mbit/s·${fast.rttMs} ms + ${slow.mbit} Mbit/s·${slow.rttMs} ms: each path`,
        xLabel: 'time (s)',
        yLabel: 'throughput (Mbit/s)',
        series: r.paths,
      });
    }
  }
  ctx.rec.chart({
    id: 'mp-heterogeneous',
    title: `One download over ${fast.mbit} Mbit/s·${fast.rttMs} ms + ${slow.mbit} Mbit/s·${slow.rttMs} ms`,
    xLabel: 'time (s)',
    yLabel: 'goodput (Mbit/s)',
    series: chart,
  });
}

/** PTO period of the server's path `pathId` of flow 0 (RFC 9002 §6.2.1), µs. */
function serverPto(sim: MultiLinkSim, pathId: number): number {
  const sc: Connection | null = sim.serverConn(0);
  const p =
    sc?.multipath === null || sc === null
      ? undefined
      : [...sc.multipath.all()].find((x) => x.id === pathId);
  if (p === undefined) return NaN;
  return p.paths.active.sendControl.rtt.ptoPeriod(true);
}

export function runFailover(ctx: GroupContext): void {
  const link: LinkShape = { mbit: 10, rttMs: 20 };
  const links = [serverLink('a', [0], link), serverLink('b', [1], link)];
  const bytes = (ctx.quick ? 4 : 8) * MB;
  const failAtUs = 1_000_000;
  const maxUs = 30_000_000;
  // Path 0 (the handshake path, link a) or the path the client opened (link b) goes dark.
  for (const [which, failed, survivor] of [
    ['first', 'a', 1],
    ['second', 'b', 0],
  ] as const) {
    const what = `${bytes / MB} MB over two ${link.mbit} Mbit/s, ${link.rttMs} ms links, the ${which} path's link blackholed after ${failAtUs / 1e6} s`;
    const chart: Series[] = [];
    for (const scheduler of pathSchedulerNames()) {
      ctx.log(`multipath failover: ${what}, scheduler ${scheduler}`);
      let pto = NaN;
      let reinjected = 0;
      const r = runCase(
        scheduler,
        {
          links,
          flows: [{ from: 0, bytes, paths: [1] }],
          maxUs,
          sampleUs: 50_000,
          ...multipathOptions(scheduler),
          atStart: (sim, t0) => sim.pair.net.failLink(failed, t0 + failAtUs, Infinity),
        },
        (t, sim) => {
          // The surviving path's PTO as the failure strikes.
          if (Number.isNaN(pto) && t >= failAtUs) {
            pto = serverPto(sim, survivor === 0 ? 0 : sim.pathIds[0]![0]!);
          }
          reinjected = sim.serverConn(0)?.getStats().reinjectedPackets ?? reinjected;
        },
      );
      const f = r.flows[0]!;
      ctx.rec.figure({
        id: `mp.failover.${which}.${scheduler}.stall`,
        name: `longest stall of a multipath download (scheduler ${scheduler}), ${what}`,
        unit: 'ms',
        runs: [f.longestStallUs / 1000],
        params: {
          scheduler,
          failed: which,
          ptoMs: pto / 1000,
          stallStartMs: f.stallStartUs / 1000,
        },
        target: { op: '<=', value: (3 * pto) / 1000 },
        note: `target: 3 PTO of the surviving path (PTO ${(pto / 1000).toFixed(1)} ms when the link failed)${f.complete ? '' : `; incomplete after ${maxUs / 1e6} s (${f.received} of ${bytes} bytes)`}`,
      });
      ctx.rec.figure({
        id: `mp.failover.${which}.${scheduler}.exact`,
        name: `multipath download complete and byte-exact after the ${which} path failed (scheduler ${scheduler}): 1 = yes`,
        unit: 'bool',
        runs: [f.complete && f.exact ? 1 : 0],
        params: { scheduler, failed: which },
        target: { op: '>=', value: 1 },
      });
      ctx.rec.figure({
        id: `mp.failover.${which}.${scheduler}.reinjected`,
        name: `packets the server re-injected onto the surviving path (scheduler ${scheduler}), ${what}`,
        unit: 'packets',
        runs: [reinjected],
        params: { scheduler, failed: which },
      });
      chart.push({ name: `multipath ${scheduler}`, points: f.series });
      if (scheduler === 'minrtt') {
        ctx.rec.chart({
          id: `mp-failover-${which}-paths`,
          title: `Multipath (min-RTT) failover, the ${which} path's link fails at ${failAtUs / 1e6} s: each path`,
          xLabel: 'time (s)',
          yLabel: 'throughput (Mbit/s)',
          series: r.paths,
        });
      }
    }
    ctx.rec.chart({
      id: `mp-failover-${which}`,
      title: `Failover: ${what}`,
      xLabel: 'time (s)',
      yLabel: 'goodput (Mbit/s)',
      series: chart,
    });
  }
}

/** Jain's index of the flows' bytes over the second half of their series. */
function secondHalfJain(r: FlowResult[]): number {
  const half = (f: FlowResult): number => {
    const pts = f.series.slice(Math.floor(f.series.length / 2));
    return pts.reduce((a, [, mbit]) => a + mbit, 0);
  };
  return jainIndex(r.map(half));
}

export function runMultipathFairness(ctx: GroupContext): void {
  const bottleneck: LinkShape = { mbit: 20, rttMs: 40 };
  // One link carries both client addresses: both paths of the multipath flow and the
  // single-path flow share its queue.
  const links = [serverLink('bottleneck', [0, 1], bottleneck)];
  const durationUs = (ctx.quick ? 8 : 20) * 1e6;
  const what = `through one ${bottleneck.mbit} Mbit/s, ${bottleneck.rttMs} ms bottleneck (second half of ${durationUs / 1e6} s)`;
  const endless = Infinity;
  const base = runFlows({
    links,
    flows: [
      { from: 0, bytes: endless },
      { from: 1, bytes: endless },
    ],
    maxUs: durationUs,
  });
  ctx.rec.figure({
    id: 'mp.fairness.single-single.jain',
    name: `Jain's index of two single-path flows ${what}`,
    unit: 'index',
    runs: [secondHalfJain(base)],
    params: { case: 'two single-path flows' },
  });
  for (const scheduler of pathSchedulerNames()) {
    ctx.log(`multipath fairness: ${what}, scheduler ${scheduler}`);
    const flows: FlowSpec[] = [
      { from: 0, bytes: endless, paths: [1] },
      { from: 1, bytes: endless },
    ];
    const r = runFlows({ links, flows, maxUs: durationUs, ...multipathOptions(scheduler) });
    const share = (f: FlowResult): number =>
      f.series.slice(Math.floor(f.series.length / 2)).reduce((a, [, m]) => a + m, 0);
    const [mp, sp] = [share(r[0]!), share(r[1]!)];
    ctx.rec.figure({
      id: `mp.fairness.${scheduler}.jain`,
      name: `Jain's index of a multipath flow (scheduler ${scheduler}) and a single-path flow ${what}`,
      unit: 'index',
      runs: [secondHalfJain(r)],
      params: { scheduler, multipathShare: mp / (mp + sp) },
      note: `the multipath flow's share: ${((100 * mp) / (mp + sp)).toFixed(1)} %`,
    });
    if (scheduler === 'minrtt') {
      ctx.rec.chart({
        id: 'mp-fairness',
        title: `A multipath flow (min-RTT, two paths) and a single-path flow ${what}`,
        xLabel: 'time (s)',
        yLabel: 'throughput (Mbit/s)',
        series: [
          { name: 'multipath flow', points: r[0]!.series },
          { name: 'single-path flow', points: r[1]!.series },
        ],
      });
    }
  }
  // Coupled congestion control (RFC 6356 LIA) against its uncoupled counterpart: LIA on a lone
  // path is NewReno, so the reference is NewReno on every path. The server's choice applies to
  // both flows (the single-path flow's LIA is a NewReno of its own).
  for (const cc of ['newreno', 'lia']) {
    ctx.log(`multipath fairness: ${what}, min-RTT, ${cc} on every path`);
    const flows: FlowSpec[] = [
      { from: 0, bytes: endless, paths: [1] },
      { from: 1, bytes: endless },
    ];
    const r = runFlows({
      links,
      flows,
      maxUs: durationUs,
      client: { multipath: true },
      server: { multipath: { scheduler: 'minrtt' }, congestionControl: cc },
    });
    const share = (f: FlowResult): number =>
      f.series.slice(Math.floor(f.series.length / 2)).reduce((a, [, m]) => a + m, 0);
    const [mp, sp] = [share(r[0]!), share(r[1]!)];
    ctx.rec.figure({
      id: `mp.fairness.cc-${cc}.jain`,
      name: `Jain's index of a multipath flow (min-RTT, ${cc} on each path) and a single-path flow (${cc}) ${what}`,
      unit: 'index',
      runs: [secondHalfJain(r)],
      params: { scheduler: 'minrtt', cc, multipathShare: mp / (mp + sp) },
      note: `the multipath flow's share: ${((100 * mp) / (mp + sp)).toFixed(1)} %`,
      ...(cc === 'lia' ? { target: { op: '>=', value: 0.95 } } : {}),
    });
  }
}

export const multipathGroup: BenchGroup = {
  name: 'multipath',
  summary:
    'Multipath QUIC in virtual time per scheduler: aggregation, heterogeneous paths, failover, fairness on a shared bottleneck',
  run(ctx: GroupContext): Promise<void> {
    runAggregation(ctx);
    runHeterogeneous(ctx);
    runFailover(ctx);
    runMultipathFairness(ctx);
    return Promise.resolve();
  },
};

/** `npx tsx bench/multipath.ts [--quick] [--only CASE]`: the figures as a Markdown table. */
async function main(): Promise<void> {
  const rec = new Recorder();
  rec.group = 'multipath';
  const only = process.argv.includes('--only')
    ? process.argv[process.argv.indexOf('--only') + 1]
    : undefined;
  const ctx: GroupContext = {
    quick: process.argv.includes('--quick'),
    rec,
    log: (m) => process.stderr.write(`${m}\n`),
    note: (t) => process.stderr.write(`note: ${t}\n`),
    workDir: '.',
  };
  const cases: Record<string, (c: GroupContext) => void> = {
    aggregation: runAggregation,
    heterogeneous: runHeterogeneous,
    failover: runFailover,
    fairness: runMultipathFairness,
  };
  for (const [name, run] of Object.entries(cases)) if (!only || only === name) run(ctx);
  await Promise.resolve();
  process.stdout.write('| figure | value | target |\n|---|---:|---|\n');
  for (const f of rec.figures) {
    const t = f.target ? `${f.target.op} ${f.target.value.toFixed(2)}` : '';
    const note = f.note ? ` (${f.note})` : '';
    process.stdout.write(`| ${f.name}${note} | ${f.median.toFixed(3)} ${f.unit} | ${t} |\n`);
  }
}

if (
  process.argv[1] !== undefined &&
  path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)
) {
  await main();
}
