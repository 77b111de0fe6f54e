/**
 * The package as a user gets it: `npm pack`, the tarball installed offline into an empty project
 * (its dependencies packed from this checkout's node_modules, so nothing is downloaded), then a
 * program that imports every entry point and every ```ts block of README.md type-checked with the
 * project's tsc against the shipped declarations, and run.
 *
 * Each README block is preceded by a marker: `<!-- readme-test: run; prelude: NAME; expect: RE -->`
 * runs it (with the named prelude before it, `expect` a multiline regex its stdout must match);
 * `<!-- readme-test: typecheck; why: ... -->` only type-checks a block that cannot run alone, and
 * must say why. A block without a marker fails the test: none is skipped silently.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { backend } from '../src/index.js';
import { RUNNING_TS } from './node/helpers.js';

const ROOT = fileURLToPath(new URL(RUNNING_TS ? '..' : '../..', import.meta.url));
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

interface ReadmeBlock {
  /** Line of the opening fence, 1-based. */
  line: number;
  code: string;
  mode: 'run' | 'typecheck';
  prelude: string | undefined;
  expect: RegExp | undefined;
}

/** The ```ts blocks of README.md with their markers; an unmarked block is an error. */
function readmeBlocks(): { blocks: ReadmeBlock[]; errors: string[] } {
  const lines = README.split('\n');
  const blocks: ReadmeBlock[] = [];
  const errors: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== '```ts') continue;
    const end = lines.indexOf('```', i + 1);
    const code = lines.slice(i + 1, end).join('\n');
    const marker = /^<!-- readme-test: (.*) -->$/.exec(lines[i - 1] ?? '');
    if (marker === null) {
      errors.push(`README.md:${i + 1}: a ts block without a readme-test marker`);
      continue;
    }
    const [mode, ...fields] = marker[1]!.split('; ');
    const opts = new Map(
      fields.map((f) => [f.slice(0, f.indexOf(':')), f.slice(f.indexOf(':') + 2)]),
    );
    if (mode !== 'run' && mode !== 'typecheck') {
      errors.push(`README.md:${i}: mode must be run or typecheck, not ${mode}`);
    } else if (mode === 'typecheck' && !opts.get('why')) {
      errors.push(`README.md:${i}: a typecheck-only block must say why it cannot run`);
    } else {
      const expect = opts.get('expect');
      blocks.push({
        line: i + 1,
        code,
        mode,
        prelude: opts.get('prelude'),
        expect: expect === undefined ? undefined : new RegExp(expect, 'm'),
      });
    }
    i = end;
  }
  return { blocks, errors };
}

/**
 * What a block assumes from the text around it. `cert` is real (a certificate made in memory);
 * the others only declare the host's values, for blocks that are type-checked.
 */
const PRELUDES: Record<string, string> = {
  cert: `import { createSelfSignedCertificate, defaultProvider, pemEncode } from 'tsquic';
const made = createSelfSignedCertificate(defaultProvider, { names: ['localhost'] });
const cert = pemEncode('CERTIFICATE', made.cert);
const key = pemEncode('PRIVATE KEY', made.pkcs8);`,
  workers: `import { createWorkerServer, type QuicServer } from 'tsquic/node';
declare const cert: string;
declare const key: string;`,
  callback: `import type { Socket } from 'node:dgram';
import { Engine, type EngineConfig, type SocketAddress } from 'tsquic';
declare const config: EngineConfig;
declare const socket: Socket;
declare const local: SocketAddress;
declare function rearm(delayUs: number): void;
declare function nowUs(): number;`,
  'quic-lb': `import type { ServerConfig } from 'tsquic';
declare const key: Uint8Array;
declare const server: ServerConfig;
declare const datagram: Uint8Array;`,
};

/** A program using each entry point, as a new user's first file might. */
const ENTRY_POINTS = `import { Engine, backend, QUIC_V1 } from 'tsquic';
import { createServer, connect, monotonicMicros } from 'tsquic/node';
import { h3Client, h3Server } from 'tsquic/h3';
import { createEnginePair, SeededRandom } from 'tsquic/testing';

const engine: Engine = new Engine();
const fns: unknown[] = [createServer, connect, h3Client, h3Server, createEnginePair];
const pair = createEnginePair({ seed: 3 });
const ok = pair.handshake();
console.log(
  \`entry points: \${fns.length} functions, v1 0x\${QUIC_V1.toString(16)}, handshake \${ok}, \` +
    \`backend \${backend.name}, clock \${monotonicMicros() > 0}, random \${new SeededRandom(1).int(10) < 10}, \` +
    \`engine \${engine.nextTimeout() === Infinity}\`,
);
`;

function run(
  file: string,
  args: string[],
  cwd: string,
  timeoutMs: number,
): Promise<{ code: number; stdout: string; stderr: string }> {
  // npm's own variables (npm test runs us) must not leak into the npm we start.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')),
  );
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { cwd, env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
        resolve({
          code,
          stdout,
          stderr: stderr + (err !== null && code === -1 ? String(err) : ''),
        });
      },
    );
  });
}

async function mustRun(
  file: string,
  args: string[],
  cwd: string,
  timeoutMs: number,
): Promise<string> {
  const r = await run(file, args, cwd, timeoutMs);
  assert.equal(
    r.code,
    0,
    `${path.basename(file)} ${args.join(' ')}: exit ${r.code}\n${r.stdout}${r.stderr}`,
  );
  return r.stdout;
}

describe('the npm package', function () {
  this.timeout(600_000);
  const { blocks, errors } = readmeBlocks();
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  let dir = '';
  let project = '';
  let packed: string[] = [];
  let typecheck = '';

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'tsquic-pack-'));
    project = path.join(dir, 'project');
    mkdirSync(path.join(project, 'src'), { recursive: true });
    // npm test has just compiled dist/; a TypeScript run (test:one) compiles the library first.
    if (RUNNING_TS) {
      await mustRun(process.execPath, [tsc, '-p', 'tsconfig.build.json'], ROOT, 300_000);
    }
    const pack = await mustRun('npm', ['pack', '--json', '--pack-destination', dir], ROOT, 120_000);
    const info = JSON.parse(pack) as { filename: string; files: { path: string }[] }[];
    packed = info[0]!.files.map((f) => f.path);
    // The dependencies, packed from node_modules: the install below runs offline.
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const tarballs = [path.join(dir, info[0]!.filename)];
    for (const name of Object.keys(pkg.dependencies)) {
      const out = await mustRun(
        'npm',
        ['pack', '--json', '--pack-destination', dir, path.join(ROOT, 'node_modules', name)],
        ROOT,
        120_000,
      );
      tarballs.push(path.join(dir, (JSON.parse(out) as { filename: string }[])[0]!.filename));
    }
    writeFileSync(
      path.join(project, 'package.json'),
      JSON.stringify({ name: 'user-project', version: '1.0.0', private: true, type: 'module' }),
    );
    await mustRun(
      'npm',
      ['install', '--offline', '--no-audit', '--no-fund', ...tarballs],
      project,
      300_000,
    );
    writeFileSync(
      path.join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          types: ['node'],
          typeRoots: [path.join(ROOT, 'node_modules', '@types')],
          rootDir: 'src',
          outDir: 'out',
        },
        include: ['src'],
      }),
    );
    writeFileSync(path.join(project, 'src', 'entry-points.ts'), ENTRY_POINTS);
    for (const b of blocks) {
      const prelude = b.prelude === undefined ? '' : PRELUDES[b.prelude];
      assert.ok(prelude !== undefined, `README.md:${b.line}: no prelude named ${b.prelude}`);
      writeFileSync(path.join(project, 'src', `readme-${b.line}.ts`), `${prelude}\n${b.code}\n`);
    }
    // One compilation of everything; its diagnostics are checked below (and JS emitted anyway).
    const r = await run(process.execPath, [tsc, '-p', '.'], project, 300_000);
    typecheck = r.code === 0 ? '' : r.stdout + r.stderr;
  });

  after(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('marks every ts block of README.md as run or type-checked', () => {
    assert.deepEqual(errors, []);
    assert.ok(blocks.length >= 7, `only ${blocks.length} README blocks found`);
  });

  it('installs the tsquic command: npx tsquic --help and --version, as the README runs them', async () => {
    // --no: never download; the command must come from the package just installed.
    const help = await mustRun('npx', ['--no', '--', 'tsquic', '--help'], project, 60_000);
    for (const name of ['serve', 'get', 'demo', 'inspect', 'keys']) {
      assert.match(help, new RegExp(`^  ${name} `, 'm'));
    }
    const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    const v = await mustRun('npx', ['--no', '--', 'tsquic', '--version'], project, 60_000);
    assert.match(v, new RegExp(`^tsquic ${version.replace(/\./g, '\\.')}\n`));
  });

  it('ships LICENSE, CHANGELOG.md, README.md and the compiled library, and no tests', () => {
    for (const f of ['LICENSE', 'CHANGELOG.md', 'README.md', 'package.json', 'dist/src/index.js']) {
      assert.ok(packed.includes(f), `${f} is not in the tarball`);
    }
    for (const entry of ['index', 'node/index', 'h3/index', 'testing/index']) {
      assert.ok(packed.includes(`dist/src/${entry}.d.ts`), `dist/src/${entry}.d.ts is missing`);
    }
    assert.deepEqual(
      packed.filter((f) => /^(dist\/)?(test|bench|interop|examples)\//.test(f)),
      [],
    );
  });

  it('ships the sources every source map points at', () => {
    const maps = packed.filter((f) => f.endsWith('.map'));
    assert.ok(maps.length > 100, `${maps.length} source maps`);
    const missing: string[] = [];
    for (const m of maps) {
      const map = JSON.parse(
        readFileSync(path.join(project, 'node_modules/tsquic', m), 'utf8'),
      ) as {
        sources: string[];
      };
      for (const s of map.sources) {
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(m), s));
        if (!packed.includes(target)) missing.push(`${m} -> ${target}`);
      }
    }
    assert.deepEqual(missing, []);
  });

  it('type-checks a program and every README block against the shipped declarations', () => {
    assert.equal(typecheck, '', typecheck);
  });

  it('runs a program that imports tsquic, tsquic/node, tsquic/h3 and tsquic/testing', async () => {
    const out = await mustRun(process.execPath, ['out/entry-points.js'], project, 60_000);
    // The same backend as this process: the install built the native addon where it could.
    assert.equal(
      out.trim(),
      `entry points: 5 functions, v1 0x1, handshake true, backend ${backend.name}, ` +
        'clock true, random true, engine true',
    );
  });

  for (const b of blocks.filter((x) => x.mode === 'run')) {
    it(`runs the README block at line ${b.line}`, async () => {
      assert.ok(existsSync(path.join(project, 'out', `readme-${b.line}.js`)), typecheck);
      const out = await mustRun(process.execPath, [`out/readme-${b.line}.js`], project, 60_000);
      if (b.expect !== undefined) assert.match(out, b.expect);
    });
  }
});
