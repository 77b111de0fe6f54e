/**
 * Counters and a short congestion-window history of one path, for `Connection.stats()` and qlog.
 * Nothing here logs; the owner reads the numbers.
 */

/** Loss-recovery counters of a path. Plain numbers, updated in place. */
export class RecoveryStats {
  /** Packets handed to loss recovery (every packet sent on the path, ACK-only included). */
  packetsSent = 0;
  bytesSent = 0;
  /** Packets newly acknowledged. */
  packetsAcked = 0;
  bytesAcked = 0;
  /** Packets declared lost (their frames were handed back for retransmission). */
  packetsLost = 0;
  bytesLost = 0;
  /** Lost packets that were acknowledged afterwards (RFC 9000 §13.3: reordering, not loss). */
  spuriousLosses = 0;
  /** PTO expirations (RFC 9002 §6.2). */
  ptoExpirations = 0;
  /** Reductions of the congestion window (recovery periods entered), loss or ECN. */
  congestionEvents = 0;
  /** Of those, caused by an ECN-CE count increase (RFC 9002 §7.1). */
  ecnCongestionEvents = 0;
  /** Persistent congestion established (RFC 9002 §7.6). */
  persistentCongestions = 0;
  /** Reductions undone because their losses proved spurious (RFC 9438 §4.9). */
  congestionUndos = 0;
}

/** One point of the congestion window history. */
export interface CwndSample {
  /** Microseconds. */
  readonly time: number;
  readonly cwnd: number;
  readonly ssthresh: number;
  readonly bytesInFlight: number;
}

/** Ring buffer of the last `capacity` congestion window changes (no allocation per sample). */
export class CwndHistory {
  private readonly times: Float64Array;
  private readonly cwnds: Float64Array;
  private readonly ssthreshes: Float64Array;
  private readonly inFlight: Float64Array;
  private count = 0;
  private next = 0;
  private lastCwnd = -1;
  private lastSsthresh = -1;
  private peak = 0;

  constructor(private readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 0) {
      throw new RangeError(`history capacity must be a non-negative integer, got ${capacity}`);
    }
    this.times = new Float64Array(capacity);
    this.cwnds = new Float64Array(capacity);
    this.ssthreshes = new Float64Array(capacity);
    this.inFlight = new Float64Array(capacity);
  }

  /** Largest window recorded so far. */
  get maxCwnd(): number {
    return this.peak;
  }

  /** Records the window if it or ssthresh changed since the last sample. */
  record(time: number, cwnd: number, ssthresh: number, bytesInFlight: number): void {
    if (cwnd === this.lastCwnd && ssthresh === this.lastSsthresh) return;
    this.lastCwnd = cwnd;
    this.lastSsthresh = ssthresh;
    if (cwnd > this.peak) this.peak = cwnd;
    if (this.capacity === 0) return;
    const i = this.next;
    this.times[i] = time;
    this.cwnds[i] = cwnd;
    this.ssthreshes[i] = ssthresh;
    this.inFlight[i] = bytesInFlight;
    this.next = (i + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /** The recorded samples, oldest first. */
  samples(): CwndSample[] {
    const out: CwndSample[] = [];
    const first = this.count < this.capacity ? 0 : this.next;
    for (let k = 0; k < this.count; k++) {
      const i = (first + k) % this.capacity;
      out.push({
        time: this.times[i]!,
        cwnd: this.cwnds[i]!,
        ssthresh: this.ssthreshes[i]!,
        bytesInFlight: this.inFlight[i]!,
      });
    }
    return out;
  }
}
