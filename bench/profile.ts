/**
 * CPU profiles for missed targets: each target figure names a profiler; in-process cases run in a
 * child `node --cpu-prof` (bench/cases.ts through `main --case`), the loopback ones run their
 * server and client processes under `--cpu-prof` (bench/loopback.ts). The summaries go into the
 * report: where the time goes, by function and by source area.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { summarizeProfile, type CpuProfile, type ProfileSummary } from './lib/cpuprofile.js';
import type { GroupContext } from './lib/group.js';
import type { TargetCheck } from './lib/results.js';
import { profileLoopback } from './loopback.js';

/** Runs `main --case name` under --cpu-prof and summarises its profile. */
async function profileCase(
  mainModule: string,
  name: string,
  figureId: string,
  ctx: GroupContext,
): Promise<ProfileSummary[]> {
  const dir = path.join(ctx.workDir, `profile-${name}`);
  mkdirSync(dir, { recursive: true });
  const args = [
    ...process.execArgv,
    '--cpu-prof',
    '--cpu-prof-dir',
    dir,
    mainModule,
    '--case',
    name,
    ...(ctx.quick ? ['--quick'] : []),
  ];
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`--case ${name} exited with ${String(code)}: ${stderr.trim()}`)),
    );
  });
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (file === undefined) throw new Error(`--case ${name} wrote no profile`);
  const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
  return [summarizeProfile(profile, `${name} (in-process case)`, figureId)];
}

/**
 * Profiles every missed target that names a profiler (each profiler once). A profiler that fails
 * is reported on the log and skipped: the figures stand without it.
 */
export async function profileMissedTargets(
  checks: readonly TargetCheck[],
  mainModule: string,
  ctx: GroupContext,
): Promise<ProfileSummary[]> {
  const out: ProfileSummary[] = [];
  const done = new Set<string>();
  for (const c of checks) {
    const key = c.figure.profile;
    if (c.met || key === undefined || done.has(key)) continue;
    done.add(key);
    ctx.log(`profile: ${key} (for ${c.figure.id})`);
    try {
      if (key === 'loopback-download') {
        out.push(...(await profileLoopback('download', c.figure.id, ctx)));
      } else if (key === 'loopback-handshakes') {
        out.push(...(await profileLoopback('handshakes', c.figure.id, ctx)));
      } else {
        out.push(...(await profileCase(mainModule, key, c.figure.id, ctx)));
      }
    } catch (e) {
      ctx.log(`profile ${key} failed: ${(e as Error).message}`);
    }
  }
  return out;
}
