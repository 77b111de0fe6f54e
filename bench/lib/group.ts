/** What every benchmark group gets from the runner, and what it must provide. */
import type { Recorder } from './results.js';

export interface GroupContext {
  /** Smaller sizes and fewer runs (the CI smoke test: the whole suite within 5 minutes). */
  quick: boolean;
  rec: Recorder;
  /** Progress, one line on stderr. */
  log(message: string): void;
  /** A remark for the report under the group's heading (e.g. why a comparison is missing). */
  note(text: string): void;
  /** A scratch directory for this run (certificates, profiles), removed afterwards. */
  workDir: string;
}

/** Thrown by a group that cannot run here; the report shows "skipped: <reason>". */
export class SkipGroup extends Error {
  override name = 'SkipGroup';
}

export interface BenchGroup {
  name: string;
  /** One line for `--help` and the report. */
  summary: string;
  run(ctx: GroupContext): Promise<void>;
}
