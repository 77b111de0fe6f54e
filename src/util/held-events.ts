/**
 * Events held while an emitter's owner is in the middle of its own work, delivered in order once
 * it is done: a connection holds its events during a datagram, a timer or a poll so that
 * application code never runs in the middle of a packet (docs/ARCHITECTURE.md §2.1, no
 * re-entry). Holds nest; the queue is flat pairs of event name and arguments, and the array of
 * one delivery is reused by the next.
 */
export class HeldEvents<Events> {
  private queue: unknown[] = [];
  /** The array of the last delivery, reused (a listener may drive the owner again). */
  private spare: unknown[] | null = null;
  private depth = 0;

  /** Whether events are being held now. */
  get holding(): boolean {
    return this.depth > 0;
  }

  /** How many events wait for delivery. */
  get size(): number {
    return this.queue.length / 2;
  }

  hold(): void {
    this.depth++;
  }

  release(): void {
    this.depth--;
  }

  push<K extends keyof Events>(event: K, args: unknown[]): void {
    this.queue.push(event, args);
  }

  /**
   * Delivers the held events in order through `emit`. A listener's error is rethrown in a
   * microtask: it surfaces as an uncaught exception (the Node convention for an unhandled error)
   * without leaving the owner half-way through its own work, and the next events still go out.
   */
  deliver(emit: (event: keyof Events, args: unknown[]) => void): void {
    const q = this.queue;
    if (q.length === 0) return;
    // A listener may drive the owner (write, close, flush): what that raises is held in a fresh
    // queue and delivered by that call, never this queue twice.
    this.queue = this.spare ?? [];
    this.spare = null;
    for (let i = 0; i < q.length; i += 2) {
      try {
        emit(q[i] as keyof Events, q[i + 1] as unknown[]);
      } catch (e) {
        queueMicrotask(() => {
          throw e;
        });
      }
    }
    q.length = 0;
    this.spare = q;
  }
}
