/** Summary statistics for repeated benchmark runs. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  /** Half the interquartile range, as a spread figure robust to one outlier. */
  spread: number;
  runs: number[];
}

export function summarize(runs: number[]): Summary {
  if (runs.length === 0) throw new RangeError('no runs to summarize');
  const s = [...runs].sort((a, b) => a - b);
  const q = (p: number): number => {
    const i = (s.length - 1) * p;
    const lo = Math.floor(i);
    const hi = Math.ceil(i);
    return s[lo]! + (s[hi]! - s[lo]!) * (i - lo);
  };
  return {
    median: q(0.5),
    min: s[0]!,
    max: s[s.length - 1]!,
    spread: (q(0.75) - q(0.25)) / 2,
    runs,
  };
}

/** Jain's fairness index of a set of throughputs: 1 is perfectly fair, 1/n maximally unfair. */
export function jainIndex(xs: number[]): number {
  let sum = 0;
  let sq = 0;
  for (const x of xs) {
    sum += x;
    sq += x * x;
  }
  return sq === 0 ? 1 : (sum * sum) / (xs.length * sq);
}
