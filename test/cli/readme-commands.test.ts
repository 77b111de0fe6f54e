/**
 * README.md's commands are the CLI's: every `tsquic ...` line in it parses with the options its
 * command declares, every `--flag` it names exists, every `npm run NAME` is a script, and each
 * command's --help lists every option it takes (the help is generated from the same table). The
 * README's ts blocks are run by test/package.test.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HELP_OPTION, parseCommandArgs } from '../../src/cli/args.js';
import { COMMANDS } from '../../src/cli/main.js';
import { RUNNING_TS } from '../node/helpers.js';
import { runCli } from './run-cli.js';

const ROOT = fileURLToPath(new URL(RUNNING_TS ? '../..' : '../../..', import.meta.url));
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** Flags the README names that belong to a program other than `tsquic`, and where it reads them. */
const OTHER_FLAGS: Record<string, string> = { '--seconds': 'test/fuzz/engine-fuzz.ts' };

/** The `tsquic` command lines of README.md: in sh blocks and in inline code, comments cut. */
function readmeCommandLines(): string[] {
  const found: string[] = [];
  let inSh = false;
  for (const line of README.split('\n')) {
    if (line.startsWith('```')) {
      inSh = !inSh && line === '```sh';
      continue;
    }
    if (inSh && line.startsWith('npx tsquic ')) found.push(line.replace(/\s+#.*$/, ''));
  }
  for (const m of README.matchAll(/`(?:npx )?(tsquic [^`]+)`/g)) found.push(m[1]!);
  return found.map((l) => l.replace(/^npx /, ''));
}

describe('README.md and the tsquic command', () => {
  it('every tsquic command line in the README parses with its command options', () => {
    const lines = readmeCommandLines();
    assert.ok(lines.length >= 10, `only ${lines.length} command lines found`);
    for (const line of lines) {
      const [, name, ...rest] = line.split(/\s+/);
      if (name === '--version' || name === '--help') continue;
      const command = COMMANDS.find((c) => c.name === name);
      assert.ok(command !== undefined, `README: '${line}': no command ${name}`);
      assert.doesNotThrow(
        () => parseCommandArgs(rest, { ...command.options, help: HELP_OPTION }),
        `README: '${line}'`,
      );
    }
  });

  it('every --flag the README names is an option of a tsquic command or of the program named', () => {
    const known = new Set(['--help', '--version']);
    for (const c of COMMANDS) for (const name of Object.keys(c.options)) known.add(`--${name}`);
    const unknown: string[] = [];
    for (const [flag] of README.matchAll(/(?<![\w-])--[a-z][a-z0-9-]*/g)) {
      if (known.has(flag)) continue;
      const owner = OTHER_FLAGS[flag];
      if (owner !== undefined && readFileSync(path.join(ROOT, owner), 'utf8').includes(flag)) {
        continue;
      }
      unknown.push(flag);
    }
    assert.deepEqual(unknown, []);
  });

  it('every npm script the README runs exists', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const names = [...README.matchAll(/npm (?:run ([\w:-]+)|(start|test)\b)/g)].map(
      (m) => m[1] ?? m[2]!,
    );
    assert.ok(names.length >= 8, `only ${names.length} npm commands found`);
    for (const name of names) assert.ok(name in pkg.scripts, `README: npm run ${name}: no script`);
  });

  it('tsquic --help lists every command, and each command --help every option', async () => {
    const top = await runCli(['--help']);
    assert.equal(top.code, 0);
    for (const c of COMMANDS) assert.match(top.stdout, new RegExp(`^  ${c.name} `, 'm'));
    for (const c of COMMANDS) {
      const help = await runCli([c.name, '--help']);
      assert.equal(help.code, 0, c.name);
      for (const [name, spec] of Object.entries(c.options)) {
        const short = spec.short === undefined ? '    ' : `-${spec.short}, `;
        assert.ok(
          help.stdout.includes(`  ${short}--${name}`),
          `tsquic ${c.name} --help: --${name}`,
        );
      }
    }
  });
});
