/**
 * Picks which stream sends next, following the Extensible Priorities of RFC 9218 §4 and the
 * scheduling guidance of its §10:
 * - lower urgency first (0 is most urgent);
 * - within an urgency, non-incremental streams are served one at a time, lowest stream ID first,
 *   each to completion (or until it has nothing sendable) before the next;
 * - incremental streams of that urgency then share the bandwidth round-robin, one frame each.
 * When an urgency has both kinds, the non-incremental ones go first: their data is useless until
 * complete, while incremental data can wait a little (RFC 9218 §4.2 leaves this to the server).
 *
 * Members are the streams that have something to send; the owner adds and removes them.
 */

/** What the scheduler needs to know about a stream. */
export interface Schedulable {
  readonly id: number;
  readonly urgency: number;
  readonly incremental: boolean;
  /**
   * Owned by the scheduler: where the stream is filed (urgency * 2 + incremental), -1 when it
   * is not a member. Kept on the stream so that joining and leaving, which a busy stream does
   * every few packets, touch no map.
   */
  schedulerSlot: number;
}

/** Inserts at `i` without the array splice() returns. */
function insertAt<T>(list: T[], i: number, item: T): void {
  list.push(item);
  for (let j = list.length - 1; j > i; j--) list[j] = list[j - 1]!;
  list[i] = item;
}

/** Removes the element at `i` without the array splice() returns. */
function removeAt<T>(list: T[], i: number): void {
  for (let j = i; j < list.length - 1; j++) list[j] = list[j + 1]!;
  list.pop();
}

class Level<T extends Schedulable> {
  /** Non-incremental members, sorted by stream ID. */
  readonly sequential: T[] = [];
  /** Incremental members in round-robin order; `next` is the one whose turn it is. */
  readonly rotation: T[] = [];
  next = 0;
}

const URGENCY_LEVELS = 8;

export class StreamScheduler<T extends Schedulable> {
  /** Per urgency, made when a stream of that urgency first joins (most connections use one). */
  private readonly levels: (Level<T> | null)[] = [];
  private members = 0;

  constructor() {
    for (let i = 0; i < URGENCY_LEVELS; i++) this.levels.push(null);
  }

  get size(): number {
    return this.members;
  }

  has(s: T): boolean {
    return s.schedulerSlot >= 0;
  }

  /** Adds `s` (no-op if already a member) under its current priority. */
  add(s: T): void {
    if (s.schedulerSlot >= 0) return;
    let level = this.levels[s.urgency];
    if (!level) {
      level = new Level<T>();
      this.levels[s.urgency] = level;
    }
    if (s.incremental) {
      // Joins at the back of the rotation: just before the stream whose turn it is.
      insertAt(level.rotation, level.next, s);
      level.next++;
      if (level.next >= level.rotation.length) level.next = 0;
    } else {
      const list = level.sequential;
      let i = list.length;
      while (i > 0 && list[i - 1]!.id > s.id) i--;
      insertAt(list, i, s);
    }
    s.schedulerSlot = s.urgency * 2 + (s.incremental ? 1 : 0);
    this.members++;
  }

  /** Removes `s` if it is a member. */
  remove(s: T): void {
    const slot = s.schedulerSlot;
    if (slot < 0) return;
    s.schedulerSlot = -1;
    this.members--;
    const level = this.levels[slot >> 1]!;
    if ((slot & 1) === 0) {
      removeAt(level.sequential, level.sequential.indexOf(s));
      return;
    }
    const i = level.rotation.indexOf(s);
    removeAt(level.rotation, i);
    if (i < level.next) level.next--;
    if (level.next >= level.rotation.length) level.next = 0;
  }

  /** Re-files `s` after its priority changed. */
  update(s: T): void {
    if (s.schedulerSlot < 0) return;
    this.remove(s);
    this.add(s);
  }

  /**
   * The first member in scheduling order that `accept` takes, or null. Does not advance the
   * round-robin: call `sent()` for the stream that actually sent.
   */
  pick(accept: (s: T) => boolean): T | null {
    for (let u = 0; u < URGENCY_LEVELS; u++) {
      const level = this.levels[u];
      if (!level) continue;
      const seq = level.sequential;
      for (let i = 0; i < seq.length; i++) if (accept(seq[i]!)) return seq[i]!;
      const rot = level.rotation;
      const n = rot.length;
      for (let k = 0; k < n; k++) {
        const s = rot[(level.next + k) % n]!;
        if (accept(s)) return s;
      }
    }
    return null;
  }

  /** The sum of `value` over the members. */
  sum(value: (s: T) => number): number {
    let total = 0;
    for (const level of this.levels) {
      if (!level) continue;
      for (const s of level.sequential) total += value(s);
      for (const s of level.rotation) total += value(s);
    }
    return total;
  }

  /** `s` sent a frame: an incremental stream passes the turn to the next one. */
  sent(s: T): void {
    const slot = s.schedulerSlot;
    if (slot < 0 || (slot & 1) === 0) return;
    const level = this.levels[slot >> 1]!;
    const i = level.rotation.indexOf(s);
    level.next = (i + 1) % level.rotation.length;
  }
}
