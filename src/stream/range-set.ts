/**
 * A set of disjoint half-open integer ranges `[start, end)`, kept sorted and merged. Stream
 * buffers use it for byte offsets: what was received, acknowledged, or declared lost.
 *
 * Stored as two parallel Float64Arrays (offsets stay below 2^62, and are exact up to 2^53)
 * with an explicit count, grown by doubling and never shrunk: queries walk plain indices, and
 * the per-packet updates (extend the last range, drop the front one) allocate nothing. The
 * number of ranges stays small in practice (gaps from loss or reordering). An empty set holds no
 * arrays of its own (most sets of an idle connection stay empty): the first range makes them.
 */
const INITIAL_CAPACITY = 4;
/** Shared by every set that never held a range; zero length, so it is never written. */
const NONE = new Float64Array(0);

export class RangeSet {
  private starts = NONE;
  private ends = NONE;
  private n = 0;

  /** Number of disjoint ranges. */
  get count(): number {
    return this.n;
  }

  get isEmpty(): boolean {
    return this.n === 0;
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
    let total = 0;
    for (let i = 0; i < this.n; i++) total += this.ends[i]! - this.starts[i]!;
    return total;
  }

  clear(): void {
    this.n = 0;
  }

  /** Index of the first range whose end is greater than `pos`, or `count` if none. */
  firstEndingAfter(pos: number): number {
    let lo = 0;
    let hi = this.n;
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
    return i < this.n && this.starts[i]! <= start && this.ends[i]! >= end;
  }

  /** Adds `[start, end)`, merging with overlapping or adjacent ranges. */
  add(start: number, end: number): void {
    if (start >= end) return;
    // First range that overlaps or touches [start, end): its end >= start.
    let i = this.firstEndingAfter(start - 1);
    const n = this.n;
    if (i === n || this.starts[i]! > end) {
      this.insertAt(i, start, end);
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
      this.cut(i, j - i + 1);
    }
  }

  /** Removes `[start, end)`, splitting ranges that straddle it. */
  remove(start: number, end: number): void {
    if (start >= end) return;
    const i = this.firstEndingAfter(start);
    const n = this.n;
    if (i === n || this.starts[i]! >= end) return;
    let j = i;
    while (j + 1 < n && this.starts[j + 1]! < end) j++;
    const leftStart = this.starts[i]!;
    const rightEnd = this.ends[j]!;
    // Ranges i..j become what is kept of the first and of the last, rewritten in place; the
    // rest is cut out.
    let at = i;
    if (leftStart < start) {
      this.ends[at] = start;
      at++;
    }
    if (rightEnd > end) {
      if (at > j) {
        this.insertAt(at, end, rightEnd);
        return;
      }
      this.starts[at] = end;
      this.ends[at] = rightEnd;
      at++;
    }
    if (at <= j) this.cut(at, j - at + 1);
  }

  /** Removes everything below `pos`. */
  removeBelow(pos: number): void {
    if (this.n === 0 || this.starts[0]! >= pos) return;
    this.remove(this.starts[0]!, pos);
  }

  /** Inserts the range `[start, end)` at index `i` (the caller keeps the order). */
  private insertAt(i: number, start: number, end: number): void {
    const n = this.n;
    if (n === this.starts.length) {
      const capacity = Math.max(2 * n, INITIAL_CAPACITY);
      const starts = new Float64Array(capacity);
      const ends = new Float64Array(capacity);
      starts.set(this.starts);
      ends.set(this.ends);
      this.starts = starts;
      this.ends = ends;
    }
    if (i < n) {
      this.starts.copyWithin(i + 1, i, n);
      this.ends.copyWithin(i + 1, i, n);
    }
    this.starts[i] = start;
    this.ends[i] = end;
    this.n = n + 1;
  }

  /** Removes the `k` ranges from index `i`. */
  private cut(i: number, k: number): void {
    const n = this.n;
    if (i + k < n) {
      this.starts.copyWithin(i, i + k, n);
      this.ends.copyWithin(i, i + k, n);
    }
    this.n = n - k;
  }
}
