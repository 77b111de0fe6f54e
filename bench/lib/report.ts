/**
 * report.md of a benchmark run: the environment, every target with whether it is met and by how
 * much it falls short, the figures of each group (the congestion-control grid as a pivot table),
 * the charts, and the CPU profile summaries of missed targets.
 */
import type { Chart } from './charts.js';
import type { ProfileSummary } from './cpuprofile.js';
import type { HeapSummary } from './heapsnapshot.js';
import { checkTargets, type Figure, type SuiteResults, type TargetCheck } from './results.js';

/** A number for a table: thousands separators for large values, 3 significant digits below. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  if (a >= 100) return Math.round(x).toLocaleString('en-US');
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  if (a === 0) return '0';
  return x.toPrecision(3);
}

function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

function table(head: string[], rows: string[][], rightFrom = 1): string[] {
  const align = head.map((_, i) => (i >= rightFrom ? '---:' : '---'));
  return [
    `| ${head.join(' | ')} |`,
    `| ${align.join(' | ')} |`,
    ...rows.map((r) => `| ${r.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`),
  ];
}

/** "falls short by 62 % (needs 2.6x)" / "exceeds the limit by 27 %" / "met (+35 %)". */
export function describeCheck(c: TargetCheck): string {
  const t = c.figure.target!;
  if (c.met) {
    const margin = t.value === 0 ? 0 : Math.abs(c.shortfall) * 100;
    return `met (${margin.toFixed(0)} % margin)`;
  }
  if (t.op === '>=') {
    const factor = c.figure.median > 0 ? t.value / c.figure.median : Infinity;
    const need = Number.isFinite(factor) ? `, needs ${factor.toFixed(1)}x` : '';
    return `**falls short by ${(c.shortfall * 100).toFixed(0)} %**${need}`;
  }
  return `**exceeds the limit by ${(c.shortfall * 100).toFixed(0)} %**`;
}

function targetSection(checks: TargetCheck[]): string[] {
  if (checks.length === 0) return ['No figure with a target was measured.', ''];
  return [
    ...table(
      ['target', 'goal', 'measured (median ± spread)', 'result'],
      checks.map((c) => {
        const f = c.figure;
        return [
          f.name,
          `${f.target!.op === '>=' ? '≥' : '≤'} ${formatNumber(f.target!.value)} ${f.unit}`,
          `${formatNumber(f.median)} ± ${formatNumber(f.spread)} ${f.unit}`,
          describeCheck(c),
        ];
      }),
      1,
    ),
    '',
  ];
}

function figureTable(figures: Figure[]): string[] {
  return table(
    ['figure', 'median', 'spread', 'unit', 'runs'],
    figures.map((f) => [
      f.note === undefined ? f.name : `${f.name} (${f.note})`,
      formatNumber(f.median),
      `±${formatNumber(f.spread)}`,
      f.unit,
      String(f.runs.length),
    ]),
  );
}

/** The controller grid: one row per (bandwidth, RTT, loss), goodput and completion per controller. */
function gridTable(figures: Figure[]): string[] {
  const grid = figures.filter((f) => f.id.startsWith('cc.'));
  if (grid.length === 0) return [];
  const ccs = [...new Set(grid.map((f) => String(f.params?.['cc'])))];
  const keyOf = (f: Figure): string =>
    [f.params?.['bandwidthMbit'], f.params?.['rttMs'], f.params?.['lossPct']].join('|');
  const keys = [...new Set(grid.map(keyOf))].sort((a, b) => {
    const x = a.split('|').map(Number);
    const y = b.split('|').map(Number);
    return x[0]! - y[0]! || x[1]! - y[1]! || x[2]! - y[2]!;
  });
  const cell = (cc: string, key: string, what: string): string => {
    const f = grid.find((g) => g.params?.['cc'] === cc && keyOf(g) === key && g.id.endsWith(what));
    return f === undefined ? '–' : `${formatNumber(f.median)} ±${formatNumber(f.spread)}`;
  };
  const bytes = (key: string): string => {
    const f = grid.find((g) => keyOf(g) === key);
    return f === undefined ? '' : `${formatNumber(Number(f.params?.['bytes']) / 1e6)} MB`;
  };
  return [
    'Congestion-controller grid (virtual time; median ± spread over seeds): goodput in Mbit/s and',
    'completion time in s of one download, per controller.',
    '',
    ...table(
      [
        'bandwidth',
        'RTT',
        'loss',
        'size',
        ...ccs.flatMap((cc) => [`${cc} goodput`, `${cc} completion`]),
      ],
      keys.map((k) => {
        const [bw, rtt, loss] = k.split('|');
        return [
          `${bw} Mbit/s`,
          `${rtt} ms`,
          `${loss} %`,
          bytes(k),
          ...ccs.flatMap((cc) => [cell(cc, k, '.goodput'), cell(cc, k, '.completion')]),
        ];
      }),
      1,
    ),
    '',
  ];
}

function profileSection(p: ProfileSummary): string[] {
  return [
    `### ${p.title}`,
    '',
    `For \`${p.figureId}\`: ${formatNumber(p.totalMs)} ms of CPU sampled (${formatNumber(p.idleMs)} ms idle not counted).`,
    '',
    'Where the time went, by source area (self time):',
    '',
    ...table(
      ['area', 'share'],
      p.areas.slice(0, 10).map((a) => [a.area, `${a.selfPct.toFixed(1)} %`]),
    ),
    '',
    'Top functions by self time:',
    '',
    ...table(
      ['function', 'where', 'share'],
      p.top
        .slice(0, 12)
        .map((t) => [`\`${t.name}\``, t.location || '(native)', `${t.selfPct.toFixed(1)} %`]),
      2,
    ),
    '',
    'Top functions of the project and its dependencies, charged with the node internals and',
    'native code they call (e.g. node:crypto work under the provider function that asks for it):',
    '',
    ...table(
      ['function', 'where', 'share'],
      p.topWithRuntime
        .slice(0, 12)
        .map((t) => [`\`${t.name}\``, t.location, `${t.selfPct.toFixed(1)} %`]),
      2,
    ),
    '',
  ];
}

function heapSection(h: HeapSummary): string[] {
  const per = (x: number): string => formatNumber(x / h.units);
  return [
    `### ${h.title}`,
    '',
    `For \`${h.figureId}\`: the shallow size of all objects grew by ${formatNumber(h.totalBytes)} bytes, ` +
      `${per(h.totalBytes)} bytes per connection (both ends). What grew, per connection:`,
    '',
    ...table(
      ['object (constructor or kind)', 'count', 'bytes', 'share'],
      h.top.map((g) => [
        `\`${g.name}\``,
        per(g.count),
        per(g.bytes),
        `${((100 * g.bytes) / Math.max(1, h.totalBytes)).toFixed(1)} %`,
      ]),
    ),
    '',
  ];
}

export function formatReport(r: SuiteResults, charts: readonly Chart[]): string {
  const e = r.environment;
  const checks = checkTargets(r.figures);
  const out: string[] = [
    '# tsquic benchmark report',
    '',
    `Command: \`${r.command}\`${r.quick ? ' (quick: reduced sizes and runs)' : ''}  `,
    `Started ${r.startedAt}, took ${formatDuration(r.durationMs)}.`,
    '',
    '## Environment',
    '',
    ...table(
      ['', ''],
      [
        ['CPU', `${e.cpuModel}, ${e.cores} cores`],
        ['memory', `${e.memoryGiB} GiB`],
        ['system', `${e.platform} (${e.arch})`],
        ['Node', `${e.node} (V8 ${e.v8}, OpenSSL ${e.openssl})`],
        ['backend', e.backend],
        [
          'git commit',
          e.gitCommit === null
            ? 'unknown'
            : `${e.gitCommit}${e.gitDirty === true ? ' (with uncommitted changes)' : ''}`,
        ],
        ['load average at start', String(e.loadAverage)],
      ],
      2,
    ),
    '',
    'Figures are medians of repeated runs; the spread is half the interquartile range. CPU-bound',
    'figures of one process are per CPU-second; loopback figures are wall clock, so load from',
    'other work on the machine (see the load averages) lowers them.',
    '',
    '## Targets',
    '',
    ...targetSection(checks),
    '## Groups',
    '',
    ...table(
      ['group', 'status', 'duration', 'load average at end'],
      r.groups.map((g) => [
        g.group,
        g.status === 'ok' ? 'ran' : `${g.status}: ${g.reason ?? ''}`,
        formatDuration(g.durationMs),
        String(g.loadAverage),
      ]),
      2,
    ),
    '',
  ];
  for (const g of r.groups) {
    const figures = r.figures.filter((f) => f.group === g.group);
    out.push(`## ${g.group}`, '');
    if (g.status !== 'ok') {
      out.push(`${g.status === 'skipped' ? 'Skipped' : 'Failed'}: ${g.reason ?? ''}`, '');
      if (figures.length === 0) continue;
    }
    for (const n of r.notes.filter((x) => x.group === g.group)) out.push(`Note: ${n.text}`, '');
    const plain = figures.filter((f) => !f.id.startsWith('cc.'));
    if (plain.length > 0) out.push(...figureTable(plain), '');
    out.push(...gridTable(figures));
  }
  if (charts.length > 0) {
    out.push('## Charts', '');
    for (const c of charts) out.push(`![${c.title}](${c.file})`, '');
  }
  if (r.profiles.length > 0 || r.heapProfiles.length > 0) {
    out.push('## Profiles of missed targets', '');
    for (const p of r.profiles) out.push(...profileSection(p));
    for (const h of r.heapProfiles) out.push(...heapSection(h));
  } else if (checks.some((c) => !c.met)) {
    out.push(
      '## Profiles of missed targets',
      '',
      'No profile was taken (run without --no-profile).',
      '',
    );
  }
  return out.join('\n');
}
