/**
 * A binary min-heap ordered by a numeric key; ties pop in insertion order (stable). Keys,
 * insertion numbers and items sit in parallel arrays, and sifting moves a hole rather than
 * swapping, so push and pop allocate nothing (a hot path for timers and the simulator's events).
 */
export class MinHeap<T> {
  private keys: number[] = [];
  private seqs: number[] = [];
  private items: T[] = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  push(key: number, item: T): void {
    const keys = this.keys;
    const seqs = this.seqs;
    const items = this.items;
    const seq = this.seq++;
    let i = items.length;
    keys.push(key);
    seqs.push(seq);
    items.push(item);
    // The new entry is the latest inserted: it passes a parent only on a strictly smaller key.
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pk = keys[p]!;
      if (pk <= key) break;
      keys[i] = pk;
      seqs[i] = seqs[p]!;
      items[i] = items[p]!;
      i = p;
    }
    keys[i] = key;
    seqs[i] = seq;
    items[i] = item;
  }

  peekKey(): number {
    return this.items.length === 0 ? Infinity : this.keys[0]!;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  pop(): T | undefined {
    const items = this.items;
    const n = items.length - 1;
    if (n < 0) return undefined;
    const top = items[0];
    const keys = this.keys;
    const seqs = this.seqs;
    const key = keys.pop()!;
    const seq = seqs.pop()!;
    const item = items.pop()!;
    if (n === 0) return top;
    // Sift the last entry down from the root.
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      let ck = keys[c]!;
      let cs = seqs[c]!;
      const r = c + 1;
      if (r < n) {
        const rk = keys[r]!;
        const rs = seqs[r]!;
        if (rk < ck || (rk === ck && rs < cs)) {
          c = r;
          ck = rk;
          cs = rs;
        }
      }
      if (key < ck || (key === ck && seq < cs)) break;
      keys[i] = ck;
      seqs[i] = cs;
      items[i] = items[c]!;
      i = c;
    }
    keys[i] = key;
    seqs[i] = seq;
    items[i] = item;
    return top;
  }
}
