/**
 * Events held while an emitter's owner is in the middle of its own work, delivered in order once
 * it is done: a connection holds its events during a datagram, a timer or a poll so that
 * application code never runs in the middle of a packet (docs/ARCHITECTURE.md §2.1, no
 * re-entry). Holds nest; the queue is flat pairs of event name and arguments, and the array of
 * one delivery is reused by the next: emptied in place, keeping its room, since a connection
 * holds events around every datagram (truncating it would free its backing store, and the next
 * datagram's first event would allocate a new one).
 */
export class HeldEvents<Events> {
  private queue: unknown[] = [];
  /** Entries of `queue` in use (two per event); the array may be longer. */
  private used = 0;
  /** The array of the last delivery, reused (a listener may drive the owner again). */
  private spare: unknown[] | null = null;
  private depth = 0;

  /** Whether events are being held now. */
  get holding(): boolean {
    return this.depth > 0;
  }

  /** How many events wait for delivery. */
  get size(): number {
    return this.used / 2;
  }

  hold(): void {
    this.depth++;
  }

  release(): void {
    this.depth--;
  }

  push<K extends keyof Events>(event: K, args: unknown[]): void {
    const q = this.queue;
    const n = this.used;
    if (n < q.length) {
      q[n] = event;
      q[n + 1] = args;
    } else {
      q.push(event, args);
    }
    this.used = n + 2;
  }

  /**
   * Delivers the held events in order through `emit`. A listener's error is rethrown in a
   * microtask: it surfaces as an uncaught exception (the Node convention for an unhandled error)
   * without leaving the owner half-way through its own work, and the next events still go out.
   */
  deliver(emit: (event: keyof Events, args: unknown[]) => void): void {
    const q = this.queue;
    const n = this.used;
    if (n === 0) return;
    // A listener may drive the owner (write, close, flush): what that raises is held in a fresh
    // queue and delivered by that call, never this queue twice.
    this.queue = this.spare ?? [];
    this.used = 0;
    this.spare = null;
    for (let i = 0; i < n; i += 2) {
      try {
        emit(q[i] as keyof Events, q[i + 1] as unknown[]);
      } catch (e) {
        queueMicrotask(() => {
          throw e;
        });
      }
    }
    // Lets the delivered arguments go, and keeps the array's room for the next queue.
    q.fill(undefined, 0, n);
    this.spare = q;
  }
}
