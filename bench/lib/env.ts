/** The machine and software a benchmark ran on, recorded with every result. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { backend, describeBackend } from '../../src/crypto/default-provider.js';

/**
 * The repository root: the nearest directory above this file with tsquic's package.json (this
 * file runs as bench/lib/env.ts under tsx and as dist/bench/lib/env.js when built).
 */
export function findRepoRoot(): string {
  const start = path.dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name?: string;
      };
      if (pkg.name === 'tsquic') return dir;
    } catch {
      // No package.json here: look one level up.
    }
    if (path.dirname(dir) === dir) return path.resolve(start, '..', '..');
  }
}

export interface Environment {
  node: string;
  v8: string;
  openssl: string;
  /** The backend of the bench process (TSQUIC_BACKEND; src/crypto/default-provider.ts), in words. */
  backend: string;
  platform: string;
  arch: string;
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  /** 1-minute load average when the run started (other work on the machine skews figures). */
  loadAverage: number;
  /** `git rev-parse HEAD`, null outside a git checkout. */
  gitCommit: string | null;
  /** Whether the work tree had uncommitted changes. */
  gitDirty: boolean | null;
}

function git(args: string[], cwd: string): string | null {
  try {
    return execFileSync('git', args, {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 10_000,
    }).trim();
  } catch {
    return null;
  }
}

/** Describes this machine; `repoDir` is where git is asked for the commit. */
export function describeEnvironment(repoDir: string): Environment {
  const cpus = os.cpus();
  const commit = git(['rev-parse', 'HEAD'], repoDir);
  const status =
    commit === null ? null : git(['status', '--porcelain', '--untracked-files=no'], repoDir);
  return {
    node: process.version,
    v8: process.versions.v8,
    openssl: process.versions.openssl ?? 'none',
    backend: describeBackend(backend),
    platform: `${os.platform()} ${os.release()}`,
    arch: os.arch(),
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadAverage: Math.round(os.loadavg()[0]! * 100) / 100,
    gitCommit: commit,
    gitDirty: status === null ? null : status.length > 0,
  };
}
