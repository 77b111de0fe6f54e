import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { renderCharts } from '../../bench/lib/charts.js';
import { describeEnvironment, findRepoRoot } from '../../bench/lib/env.js';
import { backend, describeBackend } from '../../src/crypto/default-provider.js';
import { describeCheck, formatNumber, formatReport } from '../../bench/lib/report.js';
import { checkTarget, checkTargets, Recorder, type SuiteResults } from '../../bench/lib/results.js';
import { writeOutputs } from '../../bench/main.js';

/** A small but complete set of results, as the groups would record them. */
function sampleResults(): SuiteResults {
  const rec = new Recorder();
  rec.group = 'inmem';
  rec.figure({
    id: 'inmem.ratio',
    name: 'goodput / ceiling',
    unit: 'ratio',
    runs: [0.2, 0.25, 0.3],
    target: { op: '>=', value: 0.5 },
  });
  rec.figure({
    id: 'memory.heap',
    name: 'heap per connection',
    unit: 'bytes',
    runs: [40_000, 41_000],
    target: { op: '<=', value: 65_536 },
  });
  for (const cc of ['newreno', 'cubic']) {
    for (const loss of [0, 1]) {
      const params = { cc, rttMs: 50, lossPct: loss, bandwidthMbit: 10, bytes: 500_000 };
      const link = `${cc}.50ms.${loss}pct.10mbit`;
      rec.figure({
        id: `cc.${link}.goodput`,
        name: `goodput ${link}`,
        unit: 'Mbit/s',
        runs: [7 - loss, 6 - loss],
        params,
      });
      rec.figure({
        id: `cc.${link}.completion`,
        name: `completion ${link}`,
        unit: 's',
        runs: [0.5 + loss],
        params,
      });
    }
  }
  rec.chart({
    id: 'cwnd',
    title: 'Congestion window',
    xLabel: 'time (ms)',
    yLabel: 'bytes',
    series: [
      {
        name: 'cubic cwnd',
        points: [
          [0, 14_000],
          [10, 28_000],
          [20, 20_000],
        ],
      },
    ],
  });
  rec.group = 'loopback';
  rec.figure({
    id: 'loopback.download',
    name: 'download',
    unit: 'MiB/s',
    runs: [20],
    params: { impl: 'tsquic', metric: 'download' },
    target: { op: '>=', value: 100 },
  });
  rec.figure({
    id: 'loopback.ngtcp2.download',
    name: 'ngtcp2 download',
    unit: 'MiB/s',
    runs: [200],
    params: { impl: 'ngtcp2', metric: 'download' },
  });
  rec.groups.push(
    { group: 'inmem', status: 'ok', durationMs: 1000, loadAverage: 1 },
    { group: 'loopback', status: 'ok', durationMs: 2000, loadAverage: 1 },
    { group: 'memory', status: 'skipped', reason: 'not today', durationMs: 0, loadAverage: 1 },
  );
  return {
    tool: 'tsquic-bench',
    command: 'node dist/bench/main.js --quick',
    quick: true,
    startedAt: '2025-01-15T00:00:00.000Z',
    durationMs: 3000,
    environment: describeEnvironment(findRepoRoot()),
    groups: rec.groups,
    figures: rec.figures,
    series: rec.series,
    profiles: [
      {
        title: 'inmem-transfer',
        figureId: 'inmem.ratio',
        totalMs: 100,
        idleMs: 5,
        top: [{ name: 'seal', location: 'src/crypto/node-provider.ts', selfMs: 40, selfPct: 40 }],
        topWithRuntime: [
          { name: 'seal', location: 'src/crypto/node-provider.ts', selfMs: 40, selfPct: 40 },
        ],
        areas: [{ area: 'src/crypto', selfMs: 40, selfPct: 40 }],
      },
    ],
    notes: [{ group: 'loopback', text: 'the ngtcp2 comparison stopped' }],
    heapProfiles: [
      {
        title: 'heap growth for 100 idle connections (both ends)',
        figureId: 'memory.heap',
        totalBytes: 4_000_000,
        units: 100,
        top: [{ name: 'SentPacket', count: 500, bytes: 1_000_000 }],
      },
    ],
  };
}

describe('bench: results, targets, report and charts', () => {
  it('records medians and spreads, and checks targets both ways', () => {
    const r = sampleResults();
    const ratio = r.figures.find((f) => f.id === 'inmem.ratio')!;
    assert.equal(ratio.median, 0.25);
    assert.equal(ratio.group, 'inmem');
    const c = checkTarget(ratio)!;
    assert.equal(c.met, false);
    assert.equal(c.shortfall, 0.5);
    assert.equal(describeCheck(c), '**falls short by 50 %**, needs 2.0x');
    const heap = checkTarget(r.figures.find((f) => f.id === 'memory.heap')!)!;
    assert.equal(heap.met, true);
    assert.equal(checkTargets(r.figures).length, 3);
    assert.throws(() => {
      const rec = new Recorder();
      rec.figure({ id: 'x', name: 'x', unit: 'u', runs: [1] });
      rec.figure({ id: 'x', name: 'x', unit: 'u', runs: [1] });
    }, RangeError);
  });

  it('formats numbers for tables', () => {
    assert.equal(formatNumber(123_456.7), '123,457');
    assert.equal(formatNumber(12.34), '12.3');
    assert.equal(formatNumber(1.234), '1.23');
    assert.equal(formatNumber(0.01234), '0.0123');
    assert.equal(formatNumber(NaN), '–');
  });

  it('draws a goodput chart per bandwidth, each time series, and the ngtcp2 comparison', () => {
    const charts = renderCharts(sampleResults());
    assert.deepEqual(
      charts.map((c) => c.file),
      ['cc-goodput-10mbit.svg', 'cwnd.svg', 'loopback-vs-ngtcp2.svg'],
    );
    for (const c of charts) {
      assert.match(c.svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      assert.match(c.svg, /<\/svg>\n$/);
    }
    // Two loss rates x two controllers: four bars (the legend swatches have whole widths).
    const bars = charts[0]!.svg.match(
      /<rect x="[\d.]+" y="[\d.]+" width="\d+\.\d" height="[\d.]+" fill="#/g,
    )!;
    assert.equal(bars.length, 4);
    assert.match(charts[0]!.svg, />50 ms, 1 %</);
  });

  it('writes a report with the targets, the grid, skipped groups and profiles', () => {
    const r = sampleResults();
    const md = formatReport(r, renderCharts(r));
    assert.match(md, /^# tsquic benchmark report/);
    // The backend the figures ran on (src/crypto/default-provider.ts).
    assert.ok(md.includes(`| backend | ${describeBackend(backend)} |`));
    assert.match(
      md,
      /\| goodput \/ ceiling \| ≥ 0\.500 ratio \| 0\.250 ± 0\.0250 ratio \| \*\*falls short by 50 %\*\*, needs 2\.0x \|/,
    );
    assert.match(md, /\| heap per connection \| ≤ 65,536 bytes \| .* \| met \(38 % margin\) \|/);
    assert.match(md, /\| 10 Mbit\/s \| 50 ms \| 1 % \| 0\.500 MB \| 5\.50 ±0\.250 \| 1\.50 ±0 \|/);
    assert.match(md, /skipped: not today/);
    assert.match(md, /## loopback\n\nNote: the ngtcp2 comparison stopped\n/);
    assert.match(md, /!\[Congestion window\]\(cwnd\.svg\)/);
    assert.match(md, /### inmem-transfer/);
    assert.match(md, /\| `seal` \| src\/crypto\/node-provider\.ts \| 40\.0 % \|/);
    assert.match(md, /### heap growth for 100 idle connections/);
    assert.match(md, /\| `SentPacket` \| 5\.00 \| 10,000 \| 25\.0 % \|/);
  });

  it('writes results.json, report.md and the charts into the output directory', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tsquic-bench-test-'));
    try {
      const r = sampleResults();
      const files = writeOutputs(r, path.join(dir, 'out'));
      assert.deepEqual(readdirSync(path.join(dir, 'out')).sort(), [...files].sort());
      const json = JSON.parse(
        readFileSync(path.join(dir, 'out', 'results.json'), 'utf8'),
      ) as SuiteResults;
      assert.deepEqual(json, JSON.parse(JSON.stringify(r)));
      assert.ok(json.environment.cores >= 1);
      assert.equal(typeof json.environment.cpuModel, 'string');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
