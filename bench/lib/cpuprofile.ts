/**
 * Summarises a V8 `.cpuprofile` (what `node --cpu-prof` writes): self time per function, the
 * functions with the most self time, and the share of each source area (src/crypto, src/conn,
 * node internals, garbage collection ...). Self time is what a function spent in its own code,
 * not in the functions it called: where the CPU actually went.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findRepoRoot } from './env.js';

/** The parts of the .cpuprofile format read here. */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber?: number };
  hitCount?: number;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface FunctionCost {
  /** Function name ("(anonymous)" when it has none). */
  name: string;
  /**
   * The source file relative to the repository (compiled files under dist/ are named by their
   * TypeScript source; line numbers are left out as they would be those of the compiled code),
   * or `node:...:line` for node internals.
   */
  location: string;
  selfMs: number;
  /** Share of all sampled time, percent. */
  selfPct: number;
}

export interface AreaCost {
  /** "src/crypto", "node:internal", "(garbage collector)", ... */
  area: string;
  selfMs: number;
  selfPct: number;
}

export interface ProfileSummary {
  /** What was profiled, e.g. "loopback download, server process". */
  title: string;
  /** The target figure this profile explains. */
  figureId: string;
  /** Sampled time the thread was busy (idle time excluded), ms. */
  totalMs: number;
  /** Sampled time the thread was idle (waiting for I/O or timers), ms. */
  idleMs: number;
  top: FunctionCost[];
  /**
   * Functions of the repository (src/, bench/) and its dependencies, each charged with its own
   * time plus that of the node internals and native code it calls directly: where node:crypto
   * or Buffer work is requested from.
   */
  topWithRuntime: FunctionCost[];
  areas: AreaCost[];
}

const repoRoot = findRepoRoot();

/** A repository-relative path for a script URL; compiled files map back to their source. */
function relativeLocation(url: string): string {
  if (url === '') return '';
  if (!url.startsWith('file://')) return url;
  let p = path.relative(repoRoot, fileURLToPath(url));
  // The build puts src/ and bench/ under dist/: report the source tree's names.
  if (p.startsWith(`dist${path.sep}`)) p = p.slice(5).replace(/\.js$/, '.ts');
  return p.split(path.sep).join('/');
}

/** Where a function is, as FunctionCost.location describes it. */
function locationOf(frame: ProfileNode['callFrame']): string {
  const file = relativeLocation(frame.url);
  if (file === '') return '';
  return file.startsWith('node:') ? `${file}:${frame.lineNumber + 1}` : file;
}

/** The area of a location: src/<layer>, bench, node internals or a dependency. */
function areaOf(name: string, location: string): string {
  if (location === '') return name.startsWith('(') ? name : '(native)';
  if (location.startsWith('node:')) return 'node:internal';
  const parts = location.split('/');
  if (parts[0] === 'src' && parts.length > 2) return `src/${parts[1]}`;
  if (parts[0] === 'node_modules') {
    const scoped = parts[1]?.startsWith('@') === true;
    return `node_modules/${parts.slice(1, scoped ? 3 : 2).join('/')}`;
  }
  return parts[0] ?? location;
}

/** Self time per node id, ms: from the sample timeline when present, else from hit counts. */
function selfTimes(p: CpuProfile): Map<number, number> {
  const self = new Map<number, number>();
  if (p.samples !== undefined && p.timeDeltas !== undefined && p.samples.length > 0) {
    // timeDeltas[i] is the time between sample i-1 and sample i: it belongs to sample i-1's node.
    for (let i = 0; i < p.samples.length; i++) {
      const id = p.samples[i]!;
      const next = p.timeDeltas[i + 1] ?? 0;
      self.set(id, (self.get(id) ?? 0) + next / 1000);
    }
    return self;
  }
  const hits = p.nodes.reduce((n, x) => n + (x.hitCount ?? 0), 0);
  const per = hits > 0 ? (p.endTime - p.startTime) / 1000 / hits : 0;
  for (const n of p.nodes) self.set(n.id, (n.hitCount ?? 0) * per);
  return self;
}

/** Self time by function and by area, the `topN` most expensive functions first. */
export function summarizeProfile(
  p: CpuProfile,
  title: string,
  figureId: string,
  topN = 15,
): ProfileSummary {
  const self = selfTimes(p);
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of p.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  /** The nearest ancestor-or-self that is code of the project or a dependency, if any. */
  const owner = (n: ProfileNode): ProfileNode | null => {
    for (let cur: ProfileNode | undefined = n; cur; cur = byId.get(parent.get(cur.id) ?? -1)) {
      if (cur.callFrame.url.startsWith('file://')) return cur;
    }
    return null;
  };
  const byFunction = new Map<string, { name: string; location: string; ms: number }>();
  const byOwner = new Map<string, { name: string; location: string; ms: number }>();
  const byArea = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const n of p.nodes) {
    const ms = self.get(n.id) ?? 0;
    if (ms === 0) continue;
    const name = n.callFrame.functionName || '(anonymous)';
    if (name === '(idle)') {
      idle += ms;
      continue;
    }
    total += ms;
    const location = locationOf(n.callFrame);
    const file = relativeLocation(n.callFrame.url);
    const key = `${name}@${location}`;
    const entry = byFunction.get(key) ?? { name, location, ms: 0 };
    entry.ms += ms;
    byFunction.set(key, entry);
    const o = owner(n);
    if (o !== null) {
      const oName = o.callFrame.functionName || '(anonymous)';
      const oLocation = locationOf(o.callFrame);
      const oKey = `${oName}@${oLocation}`;
      const oEntry = byOwner.get(oKey) ?? { name: oName, location: oLocation, ms: 0 };
      oEntry.ms += ms;
      byOwner.set(oKey, oEntry);
    }
    const area = areaOf(name, file);
    byArea.set(area, (byArea.get(area) ?? 0) + ms);
  }
  const pct = (ms: number): number => (total > 0 ? (100 * ms) / total : 0);
  const rank = (m: Map<string, { name: string; location: string; ms: number }>): FunctionCost[] =>
    [...m.values()]
      .sort((a, b) => b.ms - a.ms)
      .slice(0, topN)
      .map((e) => ({ name: e.name, location: e.location, selfMs: e.ms, selfPct: pct(e.ms) }));
  const areas = [...byArea.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([area, ms]) => ({ area, selfMs: ms, selfPct: pct(ms) }));
  return {
    title,
    figureId,
    totalMs: total,
    idleMs: idle,
    top: rank(byFunction),
    topWithRuntime: rank(byOwner),
    areas,
  };
}
