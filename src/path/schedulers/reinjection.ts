/**
 * Re-injection of a failing path's outstanding packets onto the other paths (xquic's
 * "reinjection"; RFC 10069 §5.7: when a path's PTO expires, its delayed packets are not declared
 * lost until an ACK arrives or the path is declared broken, so their content can be sent again
 * on other available paths; §5.6 lists duplicating on another path among the retransmission
 * strategies).
 *
 * The policy remembers, per path, the highest packet number it already handed out, so a second
 * PTO on the same path re-injects only what was sent since; it forgets a path on close.
 */
import type { FailingReason, ReinjectablePacket } from './types.js';

export class Reinjection {
  /** Per failing path: the highest packet number already re-injected. */
  private readonly reinjectedUpTo = new Map<number, number>();

  constructor(private readonly enabled: boolean) {}

  /**
   * The packets of `outstanding` (path `pathId`'s packets neither acknowledged nor lost) whose
   * frames go to the other paths: the ack-eliciting ones not re-injected before. A packet that
   * only held ACK or PADDING carries nothing worth repeating.
   */
  onPathFailing<T extends ReinjectablePacket>(
    pathId: number,
    _reason: FailingReason,
    outstanding: Iterable<T>,
  ): T[] {
    const out: T[] = [];
    if (!this.enabled) return out;
    const done = this.reinjectedUpTo.get(pathId) ?? -1;
    let highest = done;
    for (const p of outstanding) {
      if (p.pn <= done || p.lost || !p.ackEliciting) continue;
      out.push(p);
      if (p.pn > highest) highest = p.pn;
    }
    if (highest > done) this.reinjectedUpTo.set(pathId, highest);
    return out;
  }

  onPathClosed(pathId: number): void {
    this.reinjectedUpTo.delete(pathId);
  }
}
