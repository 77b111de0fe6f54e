/**
 * What a benchmark run produces: figures (each the median and spread of repeated runs, with an
 * optional target), time series for charts, the outcome of each group (ran, skipped with a
 * reason, failed) and CPU profile summaries for the targets that were missed. `results.json` is
 * this structure; report.md and the charts are drawn from it.
 */
import { summarize } from './stats.js';
import type { Series } from './svg.js';
import type { Environment } from './env.js';
import type { ProfileSummary } from './cpuprofile.js';
import type { HeapSummary } from './heapsnapshot.js';

/** A goal a figure is held to. */
export interface Target {
  /** '>=': the figure must be at least `value`; '<=': at most. */
  op: '>=' | '<=';
  value: number;
}

export interface Figure {
  /** Stable key, e.g. "inmem.goodput". */
  id: string;
  group: string;
  /** What was measured, for people. */
  name: string;
  unit: string;
  median: number;
  /** Half the interquartile range of the runs. */
  spread: number;
  min: number;
  max: number;
  /** Each repeated run's value. */
  runs: number[];
  /** Parameters of the case (controller, RTT, implementation ...), for tables and charts. */
  params?: Record<string, string | number>;
  target?: Target;
  /** The profiler to run when the target is missed (see bench/profile.ts). */
  profile?: string;
  /** How the figure was obtained, when the name does not say it all. */
  note?: string;
}

export interface FigureInput {
  id: string;
  name: string;
  unit: string;
  runs: number[];
  params?: Record<string, string | number>;
  target?: Target;
  profile?: string;
  note?: string;
}

/** Data of one chart: a line chart (time series). */
export interface SeriesRecord {
  id: string;
  group: string;
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
}

export interface GroupOutcome {
  group: string;
  status: 'ok' | 'skipped' | 'failed';
  /** Why it was skipped or how it failed. */
  reason?: string;
  durationMs: number;
  /** 1-minute load average when the group ended: other work on the machine skews timings. */
  loadAverage: number;
}

/** A target figure checked against its goal. */
export interface TargetCheck {
  figure: Figure;
  met: boolean;
  /**
   * How far the median is from the goal, as a fraction of the goal: for '>=' targets
   * (goal - median) / goal, for '<=' targets (median - goal) / goal. Zero or less when met.
   */
  shortfall: number;
}

export interface SuiteResults {
  tool: 'tsquic-bench';
  command: string;
  quick: boolean;
  startedAt: string;
  durationMs: number;
  environment: Environment;
  groups: GroupOutcome[];
  figures: Figure[];
  series: SeriesRecord[];
  profiles: ProfileSummary[];
  /** Remarks of the groups for the report. */
  notes: { group: string; text: string }[];
  /** Heap-growth summaries for missed memory targets. */
  heapProfiles: HeapSummary[];
}

/** Collects what the groups measure. */
export class Recorder {
  readonly figures: Figure[] = [];
  readonly series: SeriesRecord[] = [];
  readonly groups: GroupOutcome[] = [];
  readonly profiles: ProfileSummary[] = [];
  readonly heapProfiles: HeapSummary[] = [];
  readonly notes: { group: string; text: string }[] = [];
  /** The group being run; figures and series are filed under it. */
  group = '';

  /** Records a figure from the values of its repeated runs. */
  figure(input: FigureInput): Figure {
    if (this.figures.some((f) => f.id === input.id)) {
      throw new RangeError(`figure ${input.id} recorded twice`);
    }
    const s = summarize(input.runs);
    const f: Figure = {
      id: input.id,
      group: this.group,
      name: input.name,
      unit: input.unit,
      median: s.median,
      spread: s.spread,
      min: s.min,
      max: s.max,
      runs: input.runs,
    };
    if (input.params !== undefined) f.params = input.params;
    if (input.target !== undefined) f.target = input.target;
    if (input.profile !== undefined) f.profile = input.profile;
    if (input.note !== undefined) f.note = input.note;
    this.figures.push(f);
    return f;
  }

  /** Records a remark for the report, under the current group. */
  note(text: string): void {
    this.notes.push({ group: this.group, text });
  }

  /** Records a time series chart. */
  chart(record: Omit<SeriesRecord, 'group'>): void {
    this.series.push({ ...record, group: this.group });
  }

  get(id: string): Figure | undefined {
    return this.figures.find((f) => f.id === id);
  }
}

/** Whether a figure meets its target, and by how much it falls short. */
export function checkTarget(f: Figure): TargetCheck | null {
  const t = f.target;
  if (t === undefined) return null;
  if (t.value === 0)
    return { figure: f, met: t.op === '>=' ? f.median >= 0 : f.median <= 0, shortfall: 0 };
  const shortfall = t.op === '>=' ? (t.value - f.median) / t.value : (f.median - t.value) / t.value;
  return { figure: f, met: shortfall <= 0, shortfall };
}

/** Every figure with a target, checked. */
export function checkTargets(figures: readonly Figure[]): TargetCheck[] {
  const out: TargetCheck[] = [];
  for (const f of figures) {
    const c = checkTarget(f);
    if (c !== null) out.push(c);
  }
  return out;
}
