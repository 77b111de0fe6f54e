/**
 * An Initial flood over real UDP on loopback against `tsquic serve` in a child process, with
 * the default flood defence and with its limits lifted; a `tsquic get` of a small file is
 * started halfway through. Reports the server's CPU time over the flood and until the get ended
 * (from /proc), its resident memory before and at its peak (VmHWM), and how long the get took
 * and its exit code.
 *
 *   npm run build && node dist/bench/flood-udp.js [--count 100000] [--seconds 10]
 *
 * All Initials come from one socket (loopback cannot spoof addresses without raw sockets), each
 * with its own DCID, so each still looks like a new client; `count` distinct ones are forged
 * before the flood starts. "limits lifted" is `--max-unvalidated 1000000 --max-new-per-second
 * 1000000` (silent connections are still dropped after 5 s).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { InitialFlood } from '../src/testing/initial-flood.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** The built CLI: next to this file in dist/, or in dist/ when this runs from the sources. */
const CLI = [
  path.join(HERE, '../src/cli/main.js'),
  path.join(HERE, '../dist/src/cli/main.js'),
].find((p) => existsSync(p))!;
const TICKS_PER_SECOND = 100;

function procCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

function procMemoryMiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? NaN) / 1024;
}

function startServer(
  root: string,
  extra: string[],
): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--root', root, ...extra], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on [^\s]*:(\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}`)));
  });
}

function timedGet(
  port: number,
  out: string,
): Promise<{ seconds: number; code: number | null; stderr: string }> {
  const start = performance.now();
  const child = spawn(
    process.execPath,
    [
      CLI,
      'get',
      '--insecure',
      '--timeout',
      '60',
      '--output',
      out,
      `https://127.0.0.1:${port}/small.txt`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => {
    child.on('exit', (code) =>
      resolve({ seconds: (performance.now() - start) / 1000, code, stderr: stderr.trim() }),
    );
  });
}

async function run(
  label: string,
  extra: string[],
  initials: Uint8Array[],
  seconds: number,
): Promise<void> {
  const root = mkdtempSync(path.join(tmpdir(), 'tsquic-flood-'));
  writeFileSync(path.join(root, 'small.txt'), 'x'.repeat(10_000));
  mkdirSync(path.join(root, 'got'));
  const { child, port } = await startServer(root, extra);
  const pid = child.pid!;
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  const rssBefore = procMemoryMiB(pid, 'VmRSS');
  const cpuBefore = procCpuSeconds(pid);
  const start = performance.now();
  let sent = 0;
  let get: Promise<{ seconds: number; code: number | null; stderr: string }> | null = null;
  await new Promise<void>((done) => {
    const tick = (): void => {
      const elapsed = (performance.now() - start) / 1000;
      const due = Math.min(initials.length, Math.floor((elapsed / seconds) * initials.length));
      for (; sent < due; sent++) socket.send(initials[sent]!, port, '127.0.0.1');
      if (get === null && elapsed >= seconds / 2) get = timedGet(port, path.join(root, 'got'));
      if (sent >= initials.length) done();
      else setTimeout(tick, 5);
    };
    tick();
  });
  const floodSeconds = (performance.now() - start) / 1000;
  const cpu = procCpuSeconds(pid) - cpuBefore;
  const peak = procMemoryMiB(pid, 'VmHWM');
  const g = await get!;
  const cpuUntilServed = procCpuSeconds(pid) - cpuBefore;
  socket.close();
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(root, { recursive: true, force: true });
  console.log(
    `${label.padEnd(15)} ${sent} Initials in ${floodSeconds.toFixed(1)} s: ` +
      `server CPU ${cpu.toFixed(2)} s (${cpuUntilServed.toFixed(2)} s until the get ended), RSS ${rssBefore.toFixed(0)} -> peak ${peak.toFixed(0)} MiB; ` +
      `get started at ${seconds / 2} s took ${g.seconds.toFixed(2)} s, exit ${g.code}${g.stderr ? ` (${g.stderr})` : ''}`,
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      count: { type: 'string', default: '100000' },
      seconds: { type: 'string', default: '10' },
    },
  });
  const count = Number(values.count);
  const seconds = Number(values.seconds);
  const flood = new InitialFlood({
    target: { address: '127.0.0.1', port: 0 },
    count,
    duration: seconds * 1e6,
    alpn: ['h3'],
  });
  const initials: Uint8Array[] = [];
  for (let i = 0; i < count; i++) initials.push(flood.forge());
  console.log(`${count} Initials over ${seconds} s on loopback, one tsquic serve process`);
  await run('defence', [], initials, seconds);
  await run(
    'limits lifted',
    ['--max-unvalidated', '1000000', '--max-new-per-second', '1000000'],
    initials,
    seconds,
  );
}

await main();
