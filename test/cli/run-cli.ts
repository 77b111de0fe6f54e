/**
 * Runs the `tsquic` command in this process, as the CLI tests do: main() with its output
 * captured, and the checks of a failure's one-line report.
 */
import assert from 'node:assert/strict';
import type { CliIo } from '../../src/cli/args.js';
import { main } from '../../src/cli/main.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  /** What standard input holds; null (the default) is a terminal: nothing piped in. */
  stdin?: Uint8Array | null;
  /** Which of stdout and stderr claim to be terminals (none by default). */
  tty?: { stdout?: boolean; stderr?: boolean };
}

/** `tsquic ARGS`: the exit code and everything written to stdout and stderr. */
export async function runCli(
  args: readonly string[],
  options: CliRunOptions = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const stdin = options.stdin ?? null;
  const io: CliIo = {
    stdout: { write: (s) => void (stdout += s), isTTY: options.tty?.stdout === true },
    stderr: { write: (s) => void (stderr += s), isTTY: options.tty?.stderr === true },
    readStdin: () => Promise.resolve(stdin),
  };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

/** `text`'s one line, checked to be the only one and to hold no stack trace. */
export function onlyLine(text: string): string {
  const lines = text.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `expected one line, got: ${JSON.stringify(text)}`);
  assert.ok(!/\bat .*:\d+:\d+/.test(text), 'no stack trace');
  return lines[0]!;
}

/** The one line on stderr of a run that must have exited with `code`. */
export function stderrLine(r: CliRun, code: number): string {
  assert.equal(r.code, code, `exit code (stderr: ${r.stderr})`);
  return onlyLine(r.stderr);
}
