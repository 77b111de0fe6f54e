/**
 * The benchmark suite (`npm run bench`, `tsquic bench`): runs the groups, checks the targets,
 * profiles the missed ones, and writes results.json, report.md and SVG charts.
 *
 *     node dist/bench/main.js [--quick] [--out DIR] [--only GROUP[,GROUP]] [--no-profile]
 *
 * Progress goes to stderr, the target summary to stdout. Repeatable: the simulations are seeded,
 * every figure is the median of repeated runs after warm-up runs. The exit code is 1 when a group
 * failed (a bug, not a missed target), 2 for a usage error, 0 otherwise.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CASES } from './cases.js';
import { inmemGroup } from './inmem.js';
import { renderCharts } from './lib/charts.js';
import { describeEnvironment, findRepoRoot } from './lib/env.js';
import { SkipGroup, type BenchGroup, type GroupContext } from './lib/group.js';
import { describeCheck, formatNumber, formatReport } from './lib/report.js';
import { checkTargets, Recorder, type SuiteResults } from './lib/results.js';
import { loopbackGroup } from './loopback.js';
import { memoryGroup } from './memory.js';
import { microGroup } from './micro.js';
import { multipathGroup } from './multipath.js';
import { workersGroup } from './workers.js';
import { profileMissedTargets } from './profile.js';

/** The groups in the order they run. */
export const GROUPS: readonly BenchGroup[] = [
  microGroup,
  memoryGroup,
  inmemGroup,
  multipathGroup,
  loopbackGroup,
  workersGroup,
];

export interface BenchIo {
  stdout: { write(text: string): void };
  stderr: { write(text: string): void };
}

export interface SuiteOptions {
  quick: boolean;
  /** Group names to run; all when empty. */
  only: readonly string[];
  profile: boolean;
  /** How the suite was started, for the report. */
  command: string;
}

export const USAGE = `Usage: node dist/bench/main.js [options]   (or: npm run bench -- [options], tsquic bench [options])

Runs the tsquic benchmark suite: ${GROUPS.map((g) => g.name).join(', ')}.

Options:
  --quick          reduced sizes and runs (finishes within minutes: the CI smoke test)
  --out DIR        write results.json, report.md and SVG charts to DIR
  --only GROUP     run only this group (repeat, or separate names with commas)
  --no-profile     do not take CPU profiles for missed targets
  -h, --help       show this help

Groups:
${GROUPS.map((g) => `  ${g.name.padEnd(9)} ${g.summary}`).join('\n')}
`;

const thisModule = fileURLToPath(import.meta.url);

/** Runs the groups and the profiles; the results, not yet written anywhere. */
export async function runSuite(opts: SuiteOptions, io: BenchIo): Promise<SuiteResults> {
  const started = Date.now();
  const t0 = performance.now();
  const log = (m: string): void =>
    io.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${m}\n`);
  const rec = new Recorder();
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'tsquic-bench-'));
  const environment = describeEnvironment(findRepoRoot());
  try {
    const ctx: GroupContext = {
      quick: opts.quick,
      rec,
      log,
      note: (text) => {
        log(`note: ${text}`);
        rec.note(text);
      },
      workDir,
    };
    for (const g of GROUPS) {
      if (opts.only.length > 0 && !opts.only.includes(g.name)) continue;
      rec.group = g.name;
      log(`== ${g.name}: ${g.summary}`);
      const g0 = performance.now();
      let status: 'ok' | 'skipped' | 'failed' = 'ok';
      let reason: string | undefined;
      try {
        await g.run(ctx);
      } catch (e) {
        status = e instanceof SkipGroup ? 'skipped' : 'failed';
        reason = e instanceof Error ? e.message : String(e);
        log(`${g.name} ${status}: ${reason}`);
        if (status === 'failed' && e instanceof Error && e.stack) io.stderr.write(`${e.stack}\n`);
      }
      rec.groups.push({
        group: g.name,
        status,
        ...(reason !== undefined ? { reason } : {}),
        durationMs: performance.now() - g0,
        loadAverage: Math.round(os.loadavg()[0]! * 100) / 100,
      });
    }
    if (opts.profile) {
      rec.group = 'profile';
      const p = await profileMissedTargets(checkTargets(rec.figures), thisModule, ctx);
      rec.profiles.push(...p.cpu);
      rec.heapProfiles.push(...p.heap);
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  return {
    tool: 'tsquic-bench',
    command: opts.command,
    quick: opts.quick,
    startedAt: new Date(started).toISOString(),
    durationMs: performance.now() - t0,
    environment,
    groups: rec.groups,
    figures: rec.figures,
    series: rec.series,
    profiles: rec.profiles,
    heapProfiles: rec.heapProfiles,
    notes: rec.notes,
  };
}

/** Writes results.json, report.md and the charts into `dir`; returns the file names. */
export function writeOutputs(results: SuiteResults, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const charts = renderCharts(results);
  writeFileSync(path.join(dir, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  writeFileSync(path.join(dir, 'report.md'), formatReport(results, charts));
  for (const c of charts) writeFileSync(path.join(dir, c.file), c.svg);
  return ['results.json', 'report.md', ...charts.map((c) => c.file)];
}

/** The one-screen summary printed on stdout. */
export function formatSummary(results: SuiteResults): string {
  const lines = [
    `tsquic bench: ${results.figures.length} figures in ${(results.durationMs / 1000).toFixed(0)} s`,
  ];
  for (const g of results.groups) {
    if (g.status !== 'ok') lines.push(`  ${g.group}: ${g.status}: ${g.reason ?? ''}`);
  }
  for (const c of checkTargets(results.figures)) {
    const f = c.figure;
    lines.push(
      `  ${f.id}: ${formatNumber(f.median)} ${f.unit} (goal ${f.target!.op} ${formatNumber(f.target!.value)}): ${describeCheck(c).replace(/\*\*/g, '')}`,
    );
  }
  return lines.join('\n') + '\n';
}

/**
 * The command line: parses `argv` (the arguments after the script), runs, writes, prints. Returns
 * the exit code.
 */
export async function runBench(
  argv: readonly string[],
  io: BenchIo,
  command: string,
): Promise<number> {
  let values: {
    quick?: boolean;
    out?: string;
    only?: string[];
    'no-profile'?: boolean;
    case?: string;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        quick: { type: 'boolean' },
        out: { type: 'string' },
        only: { type: 'string', multiple: true },
        'no-profile': { type: 'boolean' },
        case: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    io.stderr.write(`bench: ${(e as Error).message.split('\n')[0]}\n\n${USAGE}`);
    return 2;
  }
  if (values.help === true) {
    io.stdout.write(USAGE);
    return 0;
  }
  const quick = values.quick === true;
  if (values.case !== undefined) {
    const run = CASES[values.case];
    if (run === undefined) {
      io.stderr.write(`bench: unknown case '${values.case}' (${Object.keys(CASES).join(', ')})\n`);
      return 2;
    }
    await run(quick, (text) => io.stdout.write(text));
    return 0;
  }
  const only = (values.only ?? []).flatMap((s) => s.split(',')).filter((s) => s !== '');
  const unknown = only.filter((n) => !GROUPS.some((g) => g.name === n));
  if (unknown.length > 0) {
    io.stderr.write(
      `bench: unknown group '${unknown[0]!}' (groups: ${GROUPS.map((g) => g.name).join(', ')})\n`,
    );
    return 2;
  }
  const results = await runSuite(
    { quick, only, profile: values['no-profile'] !== true, command },
    io,
  );
  io.stdout.write(formatSummary(results));
  if (values.out !== undefined) {
    const files = writeOutputs(results, values.out);
    io.stdout.write(`wrote ${files.length} files to ${values.out}: ${files.join(', ')}\n`);
  }
  return results.groups.some((g) => g.status === 'failed') ? 1 : 0;
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(thisModule);
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  const argv = process.argv.slice(2);
  const command = ['node', path.relative(process.cwd(), thisModule), ...argv].join(' ');
  runBench(argv, { stdout: process.stdout, stderr: process.stderr }, command).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
