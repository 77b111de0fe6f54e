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

/** Numbers per sample in the history's array: time, cwnd, ssthresh, bytes in flight. */
const FIELDS = 4;
/** Samples the history makes room for first; it doubles up to its capacity as samples come. */
const FIRST_ROOM = 8;

/**
 * Ring buffer of the last `capacity` congestion window changes (no allocation per sample once
 * full). The samples live in one array that starts small and grows to `capacity`: an idle
 * connection sees a handful of window changes, a busy one fills the ring once.
 */
export class CwndHistory {
  /** `FIELDS` numbers per sample; `room` samples fit. */
  private data: Float64Array = new Float64Array(0);
  private room = 0;
  private count = 0;
  private next = 0;
  private lastCwnd = -1;
  private lastSsthresh = -1;
  private peak = 0;

  constructor(private readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 0) {
      throw new RangeError(`history capacity must be a non-negative integer, got ${capacity}`);
    }
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
    // Until the ring has its full capacity it is filled in order from 0 (next === count).
    if (this.count === this.room && this.room < this.capacity) this.grow();
    const o = this.next * FIELDS;
    const d = this.data;
    d[o] = time;
    d[o + 1] = cwnd;
    d[o + 2] = ssthresh;
    d[o + 3] = bytesInFlight;
    this.next = (this.next + 1) % this.room;
    if (this.count < this.room) this.count++;
  }

  /** The recorded samples, oldest first. */
  samples(): CwndSample[] {
    const out: CwndSample[] = [];
    const first = this.count < this.room ? 0 : this.next;
    const d = this.data;
    for (let k = 0; k < this.count; k++) {
      const o = ((first + k) % this.room) * FIELDS;
      out.push({ time: d[o]!, cwnd: d[o + 1]!, ssthresh: d[o + 2]!, bytesInFlight: d[o + 3]! });
    }
    return out;
  }

  private grow(): void {
    const room = Math.min(this.capacity, Math.max(FIRST_ROOM, 2 * this.room));
    const data = new Float64Array(room * FIELDS);
    data.set(this.data);
    this.data = data;
    this.room = room;
    this.next = this.count;
  }
}
