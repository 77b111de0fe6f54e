/** Shared fixtures for the congestion controller tests. */
import type { AckedPacket, RttSnapshot } from '../../src/cc/types.js';

export const MDS = 1200;

/** A mutable RTT snapshot; `sample(rtt)` records a new sample. */
export class FakeRtt implements RttSnapshot {
  latest: number;
  min: number;
  smoothed: number;
  variance: number;
  sampleCount = 0;

  constructor(rtt = 100_000) {
    this.latest = rtt;
    this.min = rtt;
    this.smoothed = rtt;
    this.variance = rtt / 2;
  }

  sample(rtt: number): void {
    this.latest = rtt;
    this.min = Math.min(this.min, rtt);
    this.sampleCount++;
  }
}

export function acked(timeSent: number, size = MDS): AckedPacket {
  return { timeSent, size };
}

/** `count` full-size packets all sent at `timeSent`. */
export function ackedMany(count: number, timeSent: number): AckedPacket[] {
  return Array.from({ length: count }, () => acked(timeSent));
}
