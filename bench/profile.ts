/**
 * Profiles for missed targets: each target figure names a profiler. In-process CPU cases run in a
 * child `node --cpu-prof` (bench/cases.ts through `main --case`); the loopback ones run their
 * server and client processes under `--cpu-prof` (bench/loopback.ts); the memory one prints the
 * heap growth by constructor from two heap snapshots. The summaries go into the report: where
 * the time (or the memory) goes.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { summarizeProfile, type CpuProfile, type ProfileSummary } from './lib/cpuprofile.js';
import type { GroupContext } from './lib/group.js';
import type { HeapSummary } from './lib/heapsnapshot.js';
import type { TargetCheck } from './lib/results.js';
import { profileLoopback } from './loopback.js';

/** Runs `main --case name` with extra node options; resolves to its stdout. */
function runCase(
  mainModule: string,
  name: string,
  nodeOptions: string[],
  quick: boolean,
): Promise<string> {
  const args = [
    ...process.execArgv,
    ...nodeOptions,
    mainModule,
    '--case',
    name,
    ...(quick ? ['--quick'] : []),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0
        ? resolve(stdout)
        : reject(new Error(`--case ${name} exited with ${String(code)}: ${stderr.trim()}`)),
    );
  });
}

/** Runs `main --case name` under --cpu-prof and summarises its profile. */
async function profileCase(
  mainModule: string,
  name: string,
  figureId: string,
  ctx: GroupContext,
): Promise<ProfileSummary> {
  const dir = path.join(ctx.workDir, `profile-${name}`);
  mkdirSync(dir, { recursive: true });
  await runCase(mainModule, name, ['--cpu-prof', '--cpu-prof-dir', dir], ctx.quick);
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (file === undefined) throw new Error(`--case ${name} wrote no profile`);
  const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
  return summarizeProfile(profile, `${name} (in-process case)`, figureId);
}

export interface MissedTargetProfiles {
  cpu: ProfileSummary[];
  heap: HeapSummary[];
}

/**
 * Profiles every missed target that names a profiler (each profiler once). A profiler that fails
 * is reported on the log and skipped: the figures stand without it.
 */
export async function profileMissedTargets(
  checks: readonly TargetCheck[],
  mainModule: string,
  ctx: GroupContext,
): Promise<MissedTargetProfiles> {
  const out: MissedTargetProfiles = { cpu: [], heap: [] };
  const done = new Set<string>();
  for (const c of checks) {
    const key = c.figure.profile;
    if (c.met || key === undefined || done.has(key)) continue;
    done.add(key);
    ctx.log(`profile: ${key} (for ${c.figure.id})`);
    try {
      if (key === 'loopback-download') {
        out.cpu.push(...(await profileLoopback('download', c.figure.id, ctx)));
      } else if (key === 'loopback-handshakes') {
        out.cpu.push(...(await profileLoopback('handshakes', c.figure.id, ctx)));
      } else if (key === 'memory-heap') {
        const text = await runCase(mainModule, key, [], ctx.quick);
        out.heap.push(JSON.parse(text) as HeapSummary);
      } else {
        out.cpu.push(await profileCase(mainModule, key, c.figure.id, ctx));
      }
    } catch (e) {
      ctx.log(`profile ${key} failed: ${(e as Error).message}`);
    }
  }
  return out;
}
