#!/usr/bin/env node
/**
 * The `tsquic` command: dispatches to the subcommands registered in COMMANDS, prints help and
 * the version. `main` is exported so tests run the CLI in-process with captured output.
 *
 * Exit codes: what the command returns (0 success, 1 failure), 2 for a usage error (bad
 * option, unreadable file, bad hex), printed as one line `tsquic: ...` on stderr.
 */
import { readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type CliIo,
  type Command,
  HELP_OPTION,
  UsageError,
  formatCommandHelp,
  parseCommandArgs,
} from './args.js';
import { backend, describeBackend } from '../crypto/default-provider.js';
import { describeSocket } from '../node/socket-choice.js';
import { inspectCommand } from './inspect.js';
import { demoCommand } from './demo.js';
import { getCommand } from './get.js';
import { serveCommand } from './serve.js';
import { benchCommand } from './bench.js';
import { keysCommand } from './keys.js';
import { isExitingAtOnce } from './stop-signals.js';

/** The subcommands, in the order `tsquic --help` lists them. One line registers a command. */
export const COMMANDS: readonly Command[] = [
  serveCommand,
  getCommand,
  demoCommand,
  inspectCommand,
  benchCommand,
  keysCommand,
];

const USAGE_EXIT = 2;

/** The package version, from the package.json above this file (in src/cli or dist/src/cli). */
function packageVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'tsquic' && pkg.version !== undefined) return pkg.version;
    } catch {
      // No package.json here: look one level up.
    }
    dir = path.dirname(dir);
  }
  return 'unknown';
}

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: tsquic <command> [options]',
    '       tsquic <command> --help',
    '',
    'tsquic: a QUIC transport stack (RFC 9000/9001/9002) with its own TLS 1.3 and HTTP/3.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Options:',
    '  -h, --help     show this help',
    '  -V, --version  print the version and the backend (TSQUIC_BACKEND=pure|native)',
    '',
  ].join('\n');
}

async function runCommand(command: Command, argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(argv, { ...command.options, help: HELP_OPTION });
  if (args.values['help'] === true) {
    io.stdout.write(formatCommandHelp(command));
    return 0;
  }
  const max = command.maxPositionals ?? 0;
  if (args.positionals.length > max) {
    throw new UsageError(`unexpected argument '${args.positionals[max]!}'`);
  }
  return command.run(args, io);
}

async function dispatch(argv: readonly string[], io: CliIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.stderr.write(mainHelp());
    return USAGE_EXIT;
  }
  if (first === '--help' || first === '-h') {
    io.stdout.write(mainHelp());
    return 0;
  }
  if (first === '--version' || first === '-V') {
    io.stdout.write(
      `tsquic ${packageVersion()}\nbackend: ${describeBackend(backend)}\n` +
        `udp socket: ${describeSocket(backend.provider.name)}\n`,
    );
    return 0;
  }
  if (first === 'help') {
    const target = rest[0] === undefined ? undefined : COMMANDS.find((c) => c.name === rest[0]);
    if (rest[0] !== undefined && target === undefined) {
      throw new UsageError(`unknown command '${rest[0]}' (see tsquic --help)`);
    }
    io.stdout.write(target === undefined ? mainHelp() : formatCommandHelp(target));
    return 0;
  }
  if (first.startsWith('-')) throw new UsageError(`unknown option '${first}' (see tsquic --help)`);
  const command = COMMANDS.find((c) => c.name === first);
  if (command === undefined) throw new UsageError(`unknown command '${first}' (see tsquic --help)`);
  return runCommand(command, rest, io);
}

const oneLine = (s: string): string => s.replace(/\s*\n\s*/g, ' ');

/** Runs `tsquic` with `argv` (the arguments after the program name); resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`tsquic: ${oneLine(e.message)}\n`);
      return USAGE_EXIT;
    }
    // A bug, not the user's mistake: still one line, with what went wrong.
    io.stderr.write(`tsquic: internal error: ${oneLine(String((e as Error).message ?? e))}\n`);
    return 1;
  }
}

/** The I/O of the running process. */
export function processIo(): CliIo {
  return {
    stdout: { write: (s) => void process.stdout.write(s), isTTY: process.stdout.isTTY === true },
    stderr: { write: (s) => void process.stderr.write(s), isTTY: process.stderr.isTTY === true },
    async readStdin() {
      if (process.stdin.isTTY === true) return null;
      const chunks: Uint8Array[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Uint8Array);
      return new Uint8Array(Buffer.concat(chunks));
    },
  };
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  // Until main() settles, an exit means the event loop ran dry while main() still waited for
  // something nothing will deliver: that is a failure, never a success.
  process.exitCode = 1;
  const unfinished = (): void => {
    if (isExitingAtOnce()) return; // a second stop signal: ended on purpose
    process.stderr.write('tsquic: internal error: stopped with work unfinished\n');
  };
  process.once('exit', unfinished);
  void main(process.argv.slice(2)).then((code) => {
    process.off('exit', unfinished);
    process.exitCode = code;
  });
}
