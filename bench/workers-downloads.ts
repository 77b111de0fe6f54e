/**
 * Issue 14's download figures for the multi-worker server, with `tsquic serve` as a user runs
 * it and ngtcp2's gtlsclient processes as cheap load generators (HTTP/3):
 *
 * - 8 parallel downloads of one file, `--workers 2` against `--workers 1`, alternating run by
 *   run: aggregate MiB/s, the server's CPU per GiB and the clients' CPU beside it;
 * - the same 8 downloads while the server is reloaded (SIGHUP) 10 times: every download must
 *   complete and be byte-exact (the file's SHA-256), none dropped.
 *
 *   npx tsc -p . && node dist/bench/workers-downloads.js [MiB per download] [runs] [reloads] [warm-up rounds] [steering]
 *
 * `steering` router runs the servers on node:dgram (TSQUIC_SOCKET=dgram), where `--workers 2`
 * routes every datagram in its main thread; the default is the server's own choice (kernel
 * steering on the native backend).
 *
 * Linux only (CPU time from /proc and bash's `times`); needs gtlsclient (Debian ngtcp2-client).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findNgtcp2, procCpuSeconds } from './ngtcp2.js';

const MiB = 1024 * 1024;
const size = Number(process.argv[2] ?? 100) * MiB;
const runs = Number(process.argv[3] ?? 2);
const reloads = Number(process.argv[4] ?? 10);
/** Unmeasured rounds of the same downloads before each measured one. */
const warmups = Number(process.argv[5] ?? 1);
const steering = process.argv[6] ?? 'default';
if (steering !== 'default' && steering !== 'router')
  throw new Error(`steering must be 'router' or 'default', not '${steering}'`);
const PARALLEL = 8;

const ng = findNgtcp2();
if (ng === null) throw new Error('gtlsclient/gtlsserver not installed (Debian ngtcp2-client)');
const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const dir = mkdtempSync(path.join(os.tmpdir(), 'tsquic-workers-'));
const www = path.join(dir, 'www');

/** A file of `size` random bytes (written in 1 MiB pieces) and its SHA-256. */
async function makeFile(): Promise<string> {
  mkdirSync(www);
  const out = createWriteStream(path.join(www, 'file'));
  const hash = createHash('sha256');
  for (let left = size; left > 0; left -= MiB) {
    const piece = randomBytes(Math.min(MiB, left));
    hash.update(piece);
    if (!out.write(piece)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return hash.digest('hex');
}

interface Serve {
  child: ChildProcess;
  port: number;
  /** What the server wrote to stderr so far. */
  stderr: () => string;
}

async function startServe(workers: number): Promise<Serve> {
  const child = spawn(
    process.execPath,
    [cli, 'serve', '--port', '0', '--root', www, '--workers', String(workers)],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: steering === 'router' ? { ...process.env, TSQUIC_SOCKET: 'dgram' } : process.env,
    },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const m = /listening on [^\n]*:(\d+)\n/.exec(out);
    if (m !== null) return { child, port: Number(m[1]), stderr: () => err };
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`tsquic serve --workers ${workers} did not start: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stopServe(s: Serve): Promise<void> {
  if (s.child.exitCode !== null) return;
  const exited = once(s.child, 'exit');
  s.child.kill('SIGTERM');
  await exited;
}

interface Download {
  ok: boolean;
  cpuSeconds: number;
  file: string;
}

/** One gtlsclient download into `into`; CPU time from bash's `times`. */
function download(port: number, into: string): Promise<Download> {
  const args = [
    '-q',
    '--no-quic-dump',
    '--no-http-dump',
    '--exit-on-all-streams-close',
    `--download=${into}`,
    '127.0.0.1',
    String(port),
    `https://127.0.0.1:${port}/file`,
  ];
  const script = `${[ng!.client, ...args].map((a) => `'${a}'`).join(' ')} >/dev/null 2>&1; code=$?; times; exit $code`;
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', script], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => {
      const lines = out.trim().split('\n');
      const times = [...(lines[lines.length - 1] ?? '').matchAll(/(\d+)m([\d.]+)s/g)];
      const cpu = times.slice(0, 2).reduce((s, m) => s + Number(m[1]) * 60 + Number(m[2]), 0);
      resolve({ ok: code === 0, cpuSeconds: cpu, file: path.join(into, 'file') });
    });
  });
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

interface Round {
  wallS: number;
  serverCpuS: number;
  clientCpuS: number;
  complete: number;
  exact: number;
}

/** 8 parallel downloads; `during` runs alongside them (the reloads). */
async function round(s: Serve, digest: string, during?: () => Promise<void>): Promise<Round> {
  const dirs = Array.from({ length: PARALLEL }, (_, i) => {
    const d = path.join(dir, `dl-${i}`);
    rmSync(d, { recursive: true, force: true });
    mkdirSync(d); // gtlsclient does not make it, and exits 0 when it cannot save
    return d;
  });
  const cpu0 = procCpuSeconds(s.child.pid!);
  const t0 = performance.now();
  const all = Promise.all(dirs.map((d) => download(s.port, d)));
  if (during !== undefined) await during();
  const results = await all;
  const wallS = (performance.now() - t0) / 1000;
  const serverCpuS = procCpuSeconds(s.child.pid!) - cpu0;
  let exact = 0;
  for (const r of results) {
    try {
      if (r.ok && sha256(r.file) === digest) exact++;
    } catch {
      // no file: not exact
    }
  }
  return {
    wallS,
    serverCpuS,
    clientCpuS: results.reduce((a, r) => a + r.cpuSeconds, 0),
    complete: results.filter((r) => r.ok).length,
    exact,
  };
}

function line(label: string, r: Round): string {
  const gib = (size * PARALLEL) / (1024 * MiB);
  return (
    `${label}: ${((size * PARALLEL) / MiB / r.wallS).toFixed(1)} MiB/s aggregate, ` +
    `${r.complete}/${PARALLEL} complete, ${r.exact} byte-exact; ` +
    `server CPU ${(r.serverCpuS / gib).toFixed(1)} s/GiB, clients' CPU ${(r.clientCpuS / gib).toFixed(1)} s/GiB; ` +
    `load ${os.loadavg()[0]!.toFixed(1)}`
  );
}

try {
  const digest = await makeFile();
  console.log(
    `${PARALLEL} x ${size / MiB} MiB, ${os.availableParallelism()} cores, steering ${steering}`,
  );
  const rates: Record<number, number[]> = { 1: [], 2: [] };
  for (let i = 0; i < runs; i++) {
    for (const workers of [1, 2]) {
      const s = await startServe(workers);
      try {
        // A warm-up round on the same server process: each worker thread optimizes its data
        // path on its own (V8 per thread), and a thread's first few hundred MiB cost up to twice
        // the CPU per byte of the rest, so two cold workers would be measured against one.
        for (let w = 0; w < warmups; w++) await round(s, digest);
        const r = await round(s, digest);
        rates[workers]!.push((size * PARALLEL) / MiB / r.wallS);
        console.log(line(`run ${i + 1}, --workers ${workers}`, r));
      } finally {
        await stopServe(s);
      }
    }
  }
  const ratios = rates[2]!.map((r, i) => (r / rates[1]![i]!).toFixed(2));
  console.log(`workers 2 / workers 1, runs paired: ${ratios.join(', ')}`);
  if (reloads > 0) {
    const s = await startServe(2);
    try {
      let done = 0;
      const r = await round(s, digest, async () => {
        // Spread the reloads over the first part of the downloads (a guess at their length
        // from the runs above), one at a time.
        const expectS = rates[2]!.length > 0 ? (size * PARALLEL) / MiB / rates[2]![0]! : 10;
        for (let i = 0; i < reloads; i++) {
          await new Promise((res) => setTimeout(res, ((expectS * 1000) / (reloads + 2)) | 0));
          s.child.kill('SIGHUP');
          done++;
        }
      });
      // Reloads run one after another: wait for the last to be reported.
      const deadline = Date.now() + 60_000;
      const reloaded = (): number => (s.stderr().match(/reloaded:/g) ?? []).length;
      while (reloaded() < done && Date.now() < deadline) {
        await new Promise((res) => setTimeout(res, 100));
      }
      console.log(
        line(
          `${done} SIGHUPs (${reloaded()} reloads reported) during the downloads, --workers 2`,
          r,
        ),
      );
    } finally {
      await stopServe(s);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
