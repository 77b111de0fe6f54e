/**
 * The SVG charts of a benchmark run, drawn from its results: goodput by congestion controller and
 * loss (one chart per bottleneck bandwidth), every recorded time series (window trace, RTT,
 * fairness), and tsquic against ngtcp2 on loopback when both were measured.
 */
import type { Figure, SuiteResults } from './results.js';
import { barChart, lineChart } from './svg.js';

export interface Chart {
  /** File name, e.g. "cc-goodput-10mbit.svg". */
  file: string;
  title: string;
  svg: string;
}

function gridFigures(figures: readonly Figure[]): Figure[] {
  return figures.filter((f) => f.id.startsWith('cc.') && f.id.endsWith('.goodput'));
}

function goodputCharts(figures: readonly Figure[]): Chart[] {
  const grid = gridFigures(figures);
  const num = (f: Figure, k: string): number => Number(f.params?.[k]);
  const bandwidths = [...new Set(grid.map((f) => num(f, 'bandwidthMbit')))].sort((a, b) => a - b);
  const ccs = [...new Set(grid.map((f) => String(f.params?.['cc'])))];
  return bandwidths.map((bw) => {
    const at = grid.filter((f) => num(f, 'bandwidthMbit') === bw);
    const cells = [...new Set(at.map((f) => `${num(f, 'rttMs')}|${num(f, 'lossPct')}`))].sort(
      (a, b) => {
        const [ra, la] = a.split('|').map(Number) as [number, number];
        const [rb, lb] = b.split('|').map(Number) as [number, number];
        return ra - rb || la - lb;
      },
    );
    const title = `Goodput by congestion controller and loss, ${bw} Mbit/s bottleneck`;
    return {
      file: `cc-goodput-${bw}mbit.svg`,
      title,
      svg: barChart({
        title,
        yLabel: 'goodput (Mbit/s)',
        categories: cells.map((c) => {
          const [rtt, loss] = c.split('|');
          return `${rtt} ms, ${loss} %`;
        }),
        series: ccs.map((cc) => ({
          name: cc,
          values: cells.map((c) => {
            const f = at.find(
              (x) => x.params?.['cc'] === cc && `${num(x, 'rttMs')}|${num(x, 'lossPct')}` === c,
            );
            return f === undefined ? NaN : f.median;
          }),
        })),
      }),
    };
  });
}

function comparisonChart(figures: readonly Figure[]): Chart[] {
  const pick = (impl: string, metric: string): number =>
    figures.find((f) => f.params?.['impl'] === impl && f.params?.['metric'] === metric)?.median ??
    NaN;
  const metrics: [string, string][] = [
    ['download', 'download (MiB/s)'],
    ['handshakes', 'handshakes per second'],
  ];
  if (metrics.every(([m]) => Number.isNaN(pick('ngtcp2', m)))) return [];
  const title = 'tsquic and ngtcp2 on loopback';
  return [
    {
      file: 'loopback-vs-ngtcp2.svg',
      title,
      svg: barChart({
        title,
        yLabel: 'MiB/s or handshakes/s',
        categories: metrics.map(([, label]) => label),
        series: ['tsquic', 'ngtcp2'].map((impl) => ({
          name: impl,
          values: metrics.map(([m]) => pick(impl, m)),
        })),
      }),
    },
  ];
}

export function renderCharts(results: SuiteResults): Chart[] {
  const charts = [...goodputCharts(results.figures)];
  for (const s of results.series) {
    charts.push({
      file: `${s.id}.svg`,
      title: s.title,
      svg: lineChart({ title: s.title, xLabel: s.xLabel, yLabel: s.yLabel, series: s.series }),
    });
  }
  charts.push(...comparisonChart(results.figures));
  return charts;
}
