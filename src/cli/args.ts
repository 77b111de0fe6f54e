/**
 * What every `tsquic` subcommand shares: the Command shape main.ts dispatches on, the I/O
 * interface (so tests run commands in-process with captured output), strict argument parsing
 * over node:util parseArgs, help text generation, and parsers for user-given values that turn
 * mistakes into a UsageError (one line on stderr, exit code 2).
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

/** Something text can be written to: process.stdout, or a buffer in tests. */
export interface TextSink {
  write(text: string): void;
  /** Whether it is a terminal (process.stdout/stderr.isTTY); absent means no. */
  readonly isTTY?: boolean;
}

export interface CliIo {
  stdout: TextSink;
  stderr: TextSink;
  /** All of standard input, or null when it is a terminal (nothing was piped in). */
  readStdin(): Promise<Uint8Array | null>;
}

/**
 * A mistake in how a command was called or in the input it was given. main() prints
 * `tsquic: <message>` and exits with code 2.
 */
export class UsageError extends Error {
  override name = 'UsageError';
}

export interface OptionSpec {
  type: 'string' | 'boolean';
  /** One-letter alias. */
  short?: string;
  /** A string option that may be given several times (read with stringsOption). */
  multiple?: boolean;
  /** Placeholder for the value of a string option in the help text ("FILE", "HEX"). */
  valueName?: string;
  /** One line for the help text. */
  description: string;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

export interface ParsedArgs {
  /**
   * Option values by long name: a string, true for a boolean flag, every value of a `multiple`
   * option, undefined when absent.
   */
  values: Readonly<Record<string, string | boolean | string[] | undefined>>;
  positionals: readonly string[];
}

/** A subcommand: `tsquic <name> ...`. Register it in the COMMANDS table of main.ts. */
export interface Command {
  name: string;
  /** One line for `tsquic --help`. */
  summary: string;
  /** What follows "tsquic <name>" in the usage line, e.g. "[options] [HEX...]". */
  usage: string;
  /** Shown by `tsquic <name> --help` between the usage line and the options. */
  description: string;
  /** The command's options; --help/-h is added by main(). */
  options: OptionSpecs;
  /** Most positional arguments accepted; default 0. */
  maxPositionals?: number;
  /** Runs the command; the exit code is the result (0 success, 1 failure). */
  run(args: ParsedArgs, io: CliIo): Promise<number>;
}

export const HELP_OPTION: OptionSpec = {
  type: 'boolean',
  short: 'h',
  description: 'show this help',
};

/** node:util parseArgs messages, shortened to one line. */
function parseArgsMessage(e: Error & { code?: string }): string {
  const unknown = /^Unknown option '([^']+)'/.exec(e.message);
  if (unknown !== null) return `unknown option '${unknown[1]}'`;
  const ambiguous = /^Option '([^']+)' argument is ambiguous/.exec(e.message);
  if (ambiguous !== null) return `option '${ambiguous[1]}' needs a value`;
  const first = e.message.split('\n')[0]!;
  return first.charAt(0).toLowerCase() + first.slice(1);
}

/** Strict parsing: unknown options, missing values and values given to flags are UsageErrors. */
export function parseCommandArgs(argv: readonly string[], options: OptionSpecs): ParsedArgs {
  const config: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> =
    {};
  for (const [name, spec] of Object.entries(options)) {
    config[name] = {
      type: spec.type,
      ...(spec.short === undefined ? {} : { short: spec.short }),
      ...(spec.multiple === true ? { multiple: true } : {}),
    };
  }
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: config,
      strict: true,
      allowPositionals: true,
    });
    return { values: values as ParsedArgs['values'], positionals };
  } catch (e) {
    const err = e as Error & { code?: string };
    if (typeof err.code === 'string' && err.code.startsWith('ERR_PARSE_ARGS')) {
      throw new UsageError(parseArgsMessage(err));
    }
    throw e;
  }
}

/** The value of string option `name`, or undefined. */
export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name];
  return typeof v === 'string' ? v : undefined;
}

/** Every value of string option `name`, in order ([] when absent). */
export function stringsOption(args: ParsedArgs, name: string): string[] {
  const v = args.values[name];
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}

export function flagOption(args: ParsedArgs, name: string): boolean {
  return args.values[name] === true;
}

/** The "Options:" block of a help text, aligned. */
export function formatOptions(options: OptionSpecs): string {
  const rows = Object.entries(options).map(([name, spec]) => {
    const short = spec.short === undefined ? '    ' : `-${spec.short}, `;
    const value = spec.type === 'string' ? ` ${spec.valueName ?? 'VALUE'}` : '';
    return [`${short}--${name}${value}`, spec.description] as const;
  });
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, text]) => `  ${left.padEnd(width)}  ${text}`).join('\n');
}

export function formatCommandHelp(command: Command): string {
  return [
    `Usage: tsquic ${command.name} ${command.usage}`,
    '',
    command.description,
    '',
    'Options:',
    formatOptions({ ...command.options, help: HELP_OPTION }),
    '',
  ].join('\n');
}

/**
 * Bytes from hex text: whitespace and ':' separators are ignored, as is a leading "0x". `what`
 * names the input in the error message.
 */
export function parseHex(text: string, what: string): Uint8Array {
  const clean = text.replace(/^\s*0[xX]/, '').replace(/[\s:]+/g, '');
  if (clean === '') throw new UsageError(`${what} is empty`);
  const bad = /[^0-9a-fA-F]/.exec(clean);
  if (bad !== null) {
    throw new UsageError(`${what} is not hex: unexpected '${bad[0]}' at digit ${bad.index + 1}`);
  }
  if (clean.length % 2 !== 0) {
    throw new UsageError(`${what} is not hex: odd number of digits (${clean.length})`);
  }
  return Uint8Array.from(clean.match(/../g)!, (b) => parseInt(b, 16));
}

/** A non-negative integer in [min, max]. */
export function parseIntegerOption(text: string, name: string, min: number, max: number): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= min && n <= max)) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got '${text}'`);
  }
  return n;
}

/** Reads a file the user named; a failure is a UsageError naming it. */
export async function readUserFile(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a directory'
          : code === 'EACCES'
            ? 'permission denied'
            : (e as Error).message;
    throw new UsageError(`cannot read ${path}: ${why}`);
  }
}
