/**
 * A set of disjoint half-open integer ranges `[start, end)`, kept sorted and merged. Stream
 * buffers use it for byte offsets: what was received, acknowledged, or declared lost.
 *
 * Stored as two parallel number arrays so that queries walk plain indices and allocate nothing;
 * the number of ranges stays small in practice (gaps from loss or reordering).
 */
export class RangeSet {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];

  /** Number of disjoint ranges. */
  get count(): number {
    return this.starts.length;
  }

  get isEmpty(): boolean {
    return this.starts.length === 0;
  }

  /** Start of range `i` (0 <= i < count). */
  start(i: number): number {
    return this.starts[i]!;
  }

  /** End (exclusive) of range `i` (0 <= i < count). */
  end(i: number): number {
    return this.ends[i]!;
  }

  /** Sum of the lengths of all ranges. */
  get totalLength(): number {
    let n = 0;
    for (let i = 0; i < this.starts.length; i++) n += this.ends[i]! - this.starts[i]!;
    return n;
  }

  clear(): void {
    this.starts.length = 0;
    this.ends.length = 0;
  }

  /** Index of the first range whose end is greater than `pos`, or `count` if none. */
  firstEndingAfter(pos: number): number {
    let lo = 0;
    let hi = this.ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ends[mid]! > pos) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** True if every integer in `[start, end)` is in the set (vacuously true when empty). */
  covers(start: number, end: number): boolean {
    if (start >= end) return true;
    const i = this.firstEndingAfter(start);
    return i < this.starts.length && this.starts[i]! <= start && this.ends[i]! >= end;
  }

  /** Adds `[start, end)`, merging with overlapping or adjacent ranges. */
  add(start: number, end: number): void {
    if (start >= end) return;
    // First range that overlaps or touches [start, end): its end >= start.
    let i = this.firstEndingAfter(start - 1);
    const n = this.starts.length;
    if (i === n || this.starts[i]! > end) {
      this.starts.splice(i, 0, start);
      this.ends.splice(i, 0, end);
      return;
    }
    let j = i;
    while (j + 1 < n && this.starts[j + 1]! <= end) j++;
    const newStart = Math.min(start, this.starts[i]!);
    const newEnd = Math.max(end, this.ends[j]!);
    this.starts[i] = newStart;
    this.ends[i] = newEnd;
    if (j > i) {
      i++;
      this.starts.splice(i, j - i + 1);
      this.ends.splice(i, j - i + 1);
    }
  }

  /** Removes `[start, end)`, splitting ranges that straddle it. */
  remove(start: number, end: number): void {
    if (start >= end) return;
    const i = this.firstEndingAfter(start);
    const n = this.starts.length;
    if (i === n || this.starts[i]! >= end) return;
    let j = i;
    while (j + 1 < n && this.starts[j + 1]! < end) j++;
    const leftStart = this.starts[i]!;
    const rightEnd = this.ends[j]!;
    const keepLeft = leftStart < start;
    const keepRight = rightEnd > end;
    const removed = j - i + 1;
    if (keepLeft && keepRight) {
      this.starts.splice(i, removed, leftStart, end);
      this.ends.splice(i, removed, start, rightEnd);
    } else if (keepLeft) {
      this.starts.splice(i, removed, leftStart);
      this.ends.splice(i, removed, start);
    } else if (keepRight) {
      this.starts.splice(i, removed, end);
      this.ends.splice(i, removed, rightEnd);
    } else {
      this.starts.splice(i, removed);
      this.ends.splice(i, removed);
    }
  }

  /** Removes everything below `pos`. */
  removeBelow(pos: number): void {
    if (this.starts.length === 0 || this.starts[0]! >= pos) return;
    this.remove(this.starts[0]!, pos);
  }
}
