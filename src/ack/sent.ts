/**
 * Sent-packet records of one packet number space (RFC 9002 Appendix A.1), kept in packet-number
 * order in a compacting array with O(1) append and binary-searched acknowledgment.
 *
 * A record stays in its slot until it is acknowledged or released. A packet declared lost keeps
 * its record for a while (RFC 9000 §13.3 allows state for reordering), so a late acknowledgment
 * can be recognised as a spurious loss. Acknowledged slots leave a tombstone that persistent
 * congestion detection uses to see whether anything between two lost packets was delivered.
 */

/** A packet we sent, as loss recovery and congestion control need it (RFC 9002 §A.1.1). */
export class SentPacket<T = unknown> {
  /**
   * 0 while the packet is outstanding; set by loss detection to the number of the loss batch
   * that declared it lost.
   */
  lossBatch = 0;

  // Delivery-rate snapshot taken at send (draft-ietf-ccwg-bbr §4.5.2.2), filled in by the path's
  // DeliveryRateSampler; plain number fields so that recording a packet allocates nothing more.
  /** C.delivered when sent. */
  delivered = 0;
  /** C.delivered_time when sent, microseconds. */
  deliveredTime = 0;
  /** C.first_send_time when sent, microseconds. */
  firstSentTime = 0;
  /** Sent while the path was application limited. */
  isAppLimited = false;
  /** Bytes in flight right after this packet was sent. */
  txInFlight = 0;
  /** C.lost when sent. */
  lostBefore = 0;
  /** Sent in a datagram marked ECT(0) (RFC 9000 §13.4.2: validation counts these). */
  ecnMarked = false;

  constructor(
    /** Packet number. */
    readonly pn: number,
    /** Send time, microseconds. */
    readonly timeSent: number,
    /** Bytes of the QUIC packet including header and AEAD tag, excluding UDP/IP (RFC 9002 §A.1.1). */
    readonly size: number,
    /** Holds a frame other than ACK, PADDING and CONNECTION_CLOSE (RFC 9000 §13.2.1, §2 of RFC 9002). */
    readonly ackEliciting: boolean,
    /** Counts toward bytes in flight: ack-eliciting or holding PADDING (RFC 9002 §2). */
    readonly inFlight: boolean,
    /** The connection's descriptors of what the packet carried, returned on ack and on loss. */
    readonly frames: T[],
    /**
     * A PMTU probe: its loss is no sign of congestion (RFC 9000 §14.4), so it neither reduces the
     * window nor counts toward persistent congestion.
     */
    readonly pmtuProbe = false,
  ) {}

  /** True once loss detection declared the packet lost. */
  get lost(): boolean {
    return this.lossBatch !== 0;
  }
}

/** State of a slot in the log. */
export const SlotState = {
  /** Sent, neither acknowledged nor declared lost. */
  Outstanding: 0,
  /** Declared lost; the record is kept to notice a late acknowledgment. */
  Lost: 1,
  /** Acknowledged; the record was handed back. */
  Acked: 2,
  /** Forgotten without an acknowledgment (a lost record aged out, or a pruned ACK-only packet). */
  Released: 3,
} as const;

export type SlotState = (typeof SlotState)[keyof typeof SlotState];

/** Below this many dead slots at the front, compaction is not worth a copy. */
const COMPACT_MIN = 64;
/** An empty log whose arrays grew past this many slots lets them go (a burst is over). */
const MAX_KEPT_SLOTS = 4096;

/**
 * The sent packets of one packet number space, in increasing packet number order.
 *
 * Dead slots (Acked, Released) stay in place until compaction so that slot order keeps telling
 * what was delivered between two lost packets. To keep acknowledgment processing proportional to
 * the packets it actually acknowledges - an ACK frame's first range usually covers a whole round
 * trip of packets acknowledged before - dead slots are skipped through "next live slot" links
 * with path compression (the union-find deletion trick), amortised near O(1) per skip.
 */
export class SentPacketLog<T = unknown> {
  // Parallel arrays indexed by slot; slots [head, len) are live or dead-in-place. The arrays keep
  // their capacity across compactions (`len` is the count in use): truncating them would make
  // the appends that follow grow a new backing store each time.
  private readonly pns: number[] = [];
  private readonly recs: (SentPacket<T> | undefined)[] = [];
  private readonly states: SlotState[] = [];
  /** next[i] === i for a live slot (Outstanding, Lost); a later slot index for a dead one. */
  private readonly next: number[] = [];
  /** Slots in use. */
  private len = 0;
  /** First slot that is not dead. */
  private head = 0;
  /** First slot that may be Outstanding (every slot before it is not). */
  private scan = 0;

  private largestSentPn = -1;
  private outstanding = 0;
  private ackElicitingOutstanding = 0;
  private lostRetained = 0;

  /** Largest packet number appended, -1 before the first. */
  get largestSent(): number {
    return this.largestSentPn;
  }

  /** Packets neither acknowledged nor declared lost. */
  get outstandingCount(): number {
    return this.outstanding;
  }

  /** Outstanding packets that are ack-eliciting and in flight (they arm the PTO, RFC 9002 §6.2.1). */
  get ackElicitingInFlight(): number {
    return this.ackElicitingOutstanding;
  }

  /** Lost packets whose records are still kept. */
  get lostCount(): number {
    return this.lostRetained;
  }

  /** Appends a packet; its number must exceed every number appended before. */
  append(packet: SentPacket<T>): void {
    if (!(packet.pn > this.largestSentPn) || !Number.isSafeInteger(packet.pn)) {
      throw new RangeError(
        `packet numbers must increase: ${packet.pn} after ${this.largestSentPn}`,
      );
    }
    this.compact();
    const i = this.len++;
    if (i < this.pns.length) {
      this.next[i] = i;
      this.pns[i] = packet.pn;
      this.recs[i] = packet;
      this.states[i] = SlotState.Outstanding;
    } else {
      this.next.push(i);
      this.pns.push(packet.pn);
      this.recs.push(packet);
      this.states.push(SlotState.Outstanding);
    }
    this.largestSentPn = packet.pn;
    this.outstanding++;
    if (packet.ackEliciting && packet.inFlight) this.ackElicitingOutstanding++;
  }

  /** The record of an outstanding or lost packet, or undefined. */
  get(pn: number): SentPacket<T> | undefined {
    const i = this.lowerBound(pn);
    return i < this.len && this.pns[i] === pn ? this.recs[i] : undefined;
  }

  /**
   * Acknowledges every packet numbered `smallest..largest`: outstanding ones are appended to
   * `acked`, ones already declared lost to `ackedAfterLoss`, both in increasing order. Returns
   * how many records were handed back.
   */
  ackRange(
    smallest: number,
    largest: number,
    acked: SentPacket<T>[],
    ackedAfterLoss: SentPacket<T>[],
  ): number {
    const pns = this.pns;
    const end = this.len;
    let found = 0;
    for (let i = this.nextLive(this.lowerBound(smallest)); i < end && pns[i]! <= largest;) {
      const p = this.recs[i]!;
      if (this.states[i] === SlotState.Outstanding) {
        this.markOutstandingGone(p);
        acked.push(p);
      } else {
        this.lostRetained--;
        ackedAfterLoss.push(p);
      }
      this.kill(i, SlotState.Acked);
      found++;
      i = this.nextLive(i + 1);
    }
    this.advanceHead();
    return found;
  }

  /** First slot index worth scanning for outstanding packets (see `nextLive`, `packetAt`). */
  firstOutstandingIndex(): number {
    const end = this.len;
    let i = this.scan;
    while (i < end && this.states[i] !== SlotState.Outstanding) i = this.nextLive(i + 1);
    this.scan = i;
    return i;
  }

  /** The first live slot (Outstanding or Lost) at or after `index`; `endIndex()` if none. */
  nextLive(index: number): number {
    const next = this.next;
    const end = this.len;
    let root = index;
    while (root < end && next[root] !== root) root = next[root]!;
    // Path compression: every dead slot on the way now points at the live one.
    let i = index;
    while (i < root) {
      const n = next[i]!;
      next[i] = root;
      i = n;
    }
    return root;
  }

  /** One past the last slot index. */
  endIndex(): number {
    return this.len;
  }

  /** First live slot index. */
  headIndex(): number {
    return this.head;
  }

  pnAt(index: number): number {
    return this.pns[index]!;
  }

  stateAt(index: number): SlotState {
    return this.states[index]!;
  }

  /** The record in a slot, undefined for Acked/Released slots. */
  packetAt(index: number): SentPacket<T> | undefined {
    return this.recs[index];
  }

  /** Declares the outstanding packet in slot `index` lost; its record stays until released. */
  markLost(index: number): SentPacket<T> {
    const p = this.recs[index];
    if (p === undefined || this.states[index] !== SlotState.Outstanding) {
      throw new RangeError(`slot ${index} holds no outstanding packet`);
    }
    this.markOutstandingGone(p);
    this.states[index] = SlotState.Lost;
    this.lostRetained++;
    return p;
  }

  /**
   * Forgets, from the front of the log, lost records sent before `lostBefore` and outstanding
   * packets that are not in flight (ACK-only) sent before `notInFlightBefore`. Without this an
   * endpoint that only sends ACK frames would keep their records until the peer happens to
   * acknowledge them (RFC 9000 §13.2.4). Returns how many outstanding packets were dropped.
   */
  pruneFront(lostBefore: number, notInFlightBefore: number): number {
    const end = this.len;
    let dropped = 0;
    let i = this.nextLive(this.head);
    while (i < end) {
      const p = this.recs[i]!;
      if (this.states[i] === SlotState.Lost) {
        if (p.timeSent >= lostBefore) break;
        this.lostRetained--;
      } else {
        if (p.inFlight || p.timeSent >= notInFlightBefore) break;
        this.markOutstandingGone(p);
        dropped++;
      }
      this.kill(i, SlotState.Released);
      i = this.nextLive(i + 1);
    }
    this.head = i;
    if (this.scan < i) this.scan = i;
    return dropped;
  }

  /**
   * Forgets every packet (RFC 9002 §6.4, discarding keys). Outstanding packets are appended to
   * `out` when given, so the caller can take them out of bytes in flight.
   */
  clear(out?: SentPacket<T>[]): void {
    if (out !== undefined) {
      for (let i = this.head; i < this.len; i++) {
        if (this.states[i] === SlotState.Outstanding) out.push(this.recs[i]!);
      }
    }
    this.pns.length = 0;
    this.recs.length = 0;
    this.states.length = 0;
    this.next.length = 0;
    this.len = 0;
    this.head = 0;
    this.scan = 0;
    this.outstanding = 0;
    this.ackElicitingOutstanding = 0;
    this.lostRetained = 0;
  }

  /** Outstanding packets in packet-number order (diagnostics, tests; allocates). */
  outstandingPackets(): SentPacket<T>[] {
    const out: SentPacket<T>[] = [];
    for (let i = this.head; i < this.len; i++) {
      if (this.states[i] === SlotState.Outstanding) out.push(this.recs[i]!);
    }
    return out;
  }

  private markOutstandingGone(p: SentPacket<T>): void {
    this.outstanding--;
    if (p.ackEliciting && p.inFlight) this.ackElicitingOutstanding--;
  }

  private kill(index: number, state: SlotState): void {
    this.states[index] = state;
    this.recs[index] = undefined;
    this.next[index] = index + 1;
  }

  /** First slot index whose packet number is >= pn (searching from the head). */
  private lowerBound(pn: number): number {
    const pns = this.pns;
    let a = this.head;
    let b = this.len;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (pns[mid]! < pn) a = mid + 1;
      else b = mid;
    }
    return a;
  }

  private advanceHead(): void {
    const i = this.nextLive(this.head);
    this.head = i;
    if (this.scan < i) this.scan = i;
  }

  /** Drops dead slots at the front once they are at least half the slots (amortised O(1)). */
  private compact(): void {
    const head = this.head;
    const len = this.len;
    if (head === len && len > 0) {
      // Every slot is dead (their records were let go in `kill`): start over in place, unless
      // a burst left the arrays much larger than what is usually in flight.
      if (this.pns.length > MAX_KEPT_SLOTS) this.clear();
      this.len = 0;
      this.head = 0;
      this.scan = 0;
      return;
    }
    if (head < COMPACT_MIN || head * 2 < len) return;
    const n = len - head;
    // One plain loop over the four arrays: Array.prototype.copyWithin is a generic builtin,
    // several times slower per element on these arrays.
    const { pns, recs, states, next } = this;
    for (let i = 0, j = head; i < n; i++, j++) {
      pns[i] = pns[j]!;
      recs[i] = recs[j];
      states[i] = states[j]!;
      next[i] = next[j]! - head;
    }
    // The slots past the new end held the records moved down: they must not keep them alive.
    for (let i = n; i < len; i++) recs[i] = undefined;
    this.len = n;
    this.head = 0;
    this.scan -= head;
  }
}
