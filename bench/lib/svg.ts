/**
 * Minimal SVG charts for the benchmark report: line charts (time series) and grouped bar charts.
 * Plain SVG 1.1 text, no dependency, readable in any browser or on GitHub.
 */

export interface Series {
  name: string;
  points: [number, number][];
}

const COLORS = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#17becf',
];
const W = 720;
const H = 400;
const M = { left: 70, right: 160, top: 40, bottom: 50 };

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** "Nice" tick values covering [lo, hi]. */
function ticks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) hi = lo + 1;
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step)
    out.push(+v.toPrecision(12));
  return out;
}

function fmt(v: number): string {
  if (Math.abs(v) >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (Math.abs(v) >= 1e3) return `${+(v / 1e3).toPrecision(3)}k`;
  return `${+v.toPrecision(3)}`;
}

function frame(title: string, xLabel: string, yLabel: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2 - M.right / 2}" y="22" text-anchor="middle" font-size="15">${esc(title)}</text>`,
    `<text x="${M.left + (W - M.left - M.right) / 2}" y="${H - 10}" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text transform="translate(16 ${M.top + (H - M.top - M.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

export function lineChart(opts: {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
}): string {
  const all = opts.series.flatMap((s) => s.points);
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const x0 = Math.min(0, ...xs);
  const x1 = Math.max(1e-9, ...xs);
  const y0 = Math.min(0, ...ys);
  const y1 = Math.max(1e-9, ...ys) * 1.05;
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const sx = (x: number): number => M.left + ((x - x0) / (x1 - x0)) * pw;
  const sy = (y: number): number => M.top + ph - ((y - y0) / (y1 - y0)) * ph;
  const body: string[] = [];
  for (const t of ticks(y0, y1)) {
    body.push(
      `<line x1="${M.left}" x2="${M.left + pw}" y1="${sy(t)}" y2="${sy(t)}" stroke="#ddd"/>`,
    );
    body.push(`<text x="${M.left - 6}" y="${sy(t) + 4}" text-anchor="end">${fmt(t)}</text>`);
  }
  for (const t of ticks(x0, x1)) {
    body.push(`<text x="${sx(t)}" y="${M.top + ph + 16}" text-anchor="middle">${fmt(t)}</text>`);
  }
  body.push(
    `<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`,
  );
  opts.series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length]!;
    const d = s.points
      .map((p, j) => `${j ? 'L' : 'M'}${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`)
      .join('');
    body.push(`<path d="${d}" fill="none" stroke="${c}" stroke-width="1.5"/>`);
    body.push(
      `<rect x="${W - M.right + 12}" y="${M.top + i * 18}" width="12" height="12" fill="${c}"/>`,
    );
    body.push(`<text x="${W - M.right + 30}" y="${M.top + i * 18 + 10}">${esc(s.name)}</text>`);
  });
  return frame(opts.title, opts.xLabel, opts.yLabel, body);
}

/** Grouped bars: one group per category, one bar per series. */
export function barChart(opts: {
  title: string;
  yLabel: string;
  categories: string[];
  series: { name: string; values: number[] }[];
}): string {
  const vals = opts.series.flatMap((s) => s.values).filter((v) => Number.isFinite(v));
  const y1 = Math.max(1e-9, ...vals) * 1.1;
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const sy = (y: number): number => M.top + ph - (y / y1) * ph;
  const body: string[] = [];
  for (const t of ticks(0, y1)) {
    body.push(
      `<line x1="${M.left}" x2="${M.left + pw}" y1="${sy(t)}" y2="${sy(t)}" stroke="#ddd"/>`,
    );
    body.push(`<text x="${M.left - 6}" y="${sy(t) + 4}" text-anchor="end">${fmt(t)}</text>`);
  }
  const gw = pw / Math.max(1, opts.categories.length);
  const bw = (gw * 0.8) / Math.max(1, opts.series.length);
  opts.categories.forEach((cat, ci) => {
    const gx = M.left + ci * gw + gw * 0.1;
    opts.series.forEach((s, si) => {
      const v = s.values[ci] ?? 0;
      if (!Number.isFinite(v)) return;
      const c = COLORS[si % COLORS.length]!;
      body.push(
        `<rect x="${(gx + si * bw).toFixed(1)}" y="${sy(v).toFixed(1)}" width="${(bw - 1).toFixed(1)}" height="${(M.top + ph - sy(v)).toFixed(1)}" fill="${c}"/>`,
      );
    });
    body.push(
      `<text x="${gx + gw * 0.4}" y="${M.top + ph + 16}" text-anchor="middle" font-size="10">${esc(cat)}</text>`,
    );
  });
  body.push(
    `<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`,
  );
  opts.series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length]!;
    body.push(
      `<rect x="${W - M.right + 12}" y="${M.top + i * 18}" width="12" height="12" fill="${c}"/>`,
    );
    body.push(`<text x="${W - M.right + 30}" y="${M.top + i * 18 + 10}">${esc(s.name)}</text>`);
  });
  return frame(opts.title, '', opts.yLabel, body);
}
