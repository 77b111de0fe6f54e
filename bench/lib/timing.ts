/**
 * CPU-time measurement for single-process benchmarks. CPU time rather than wall time: on a shared
 * machine, time spent descheduled is not the code's cost. Cases compared with each other are
 * timed round-robin so a change in background load shifts them alike.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

/** CPU time of this process (user + system), seconds. */
export function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Runs `fn` and returns its result with the CPU and wall seconds it took. */
export function measure<T>(fn: () => T): { value: T; cpu: number; wall: number } {
  const w0 = performance.now();
  const c0 = cpuSeconds();
  const value = fn();
  return { value, cpu: cpuSeconds() - c0, wall: (performance.now() - w0) / 1000 };
}

/** One operation to time repeatedly. */
export interface RateCase {
  op: () => void;
  /** Operations per CPU-second of each timed run, filled by `timeRates`. */
  rates: number[];
}

/**
 * Times every case `runs` times for `durationMs` of CPU time each, round-robin, after sizing a
 * batch to about a millisecond and a warm-up of `warmupMs` (JIT tiers, caches).
 */
export function timeRates(
  cases: RateCase[],
  durationMs: number,
  runs: number,
  warmupMs = 100,
): void {
  const batches = cases.map((c) => {
    let batch = 1;
    for (;;) {
      const t0 = performance.now();
      for (let i = 0; i < batch; i++) c.op();
      if (performance.now() - t0 >= 1 || batch >= 1 << 20) break;
      batch *= 2;
    }
    for (const t0 = performance.now(); performance.now() - t0 < warmupMs;) {
      for (let i = 0; i < batch; i++) c.op();
    }
    return batch;
  });
  for (let r = 0; r < runs; r++) {
    cases.forEach((c, k) => {
      const batch = batches[k]!;
      let n = 0;
      const t0 = cpuSeconds();
      let elapsed = 0;
      do {
        for (let i = 0; i < batch; i++) c.op();
        n += batch;
        elapsed = cpuSeconds() - t0;
      } while (elapsed * 1000 < durationMs);
      c.rates.push(n / elapsed);
    });
  }
}

let gcFunction: (() => void) | null = null;

/**
 * A full garbage collection, for heap measurements. Uses `global.gc` when node runs with
 * --expose-gc, else turns the flag on at run time and takes `gc` from a fresh context (V8 installs
 * it in contexts created after the flag is set).
 */
export function collectGarbage(): void {
  if (gcFunction === null) {
    const g = (globalThis as { gc?: () => void }).gc;
    if (typeof g === 'function') {
      gcFunction = g;
    } else {
      v8.setFlagsFromString('--expose-gc');
      gcFunction = vm.runInNewContext('gc') as () => void;
    }
  }
  // Twice: the first pass can leave weak and finalizable objects for the next.
  gcFunction();
  gcFunction();
}
