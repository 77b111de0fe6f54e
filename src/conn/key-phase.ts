/**
 * 1-RTT keys and key updates (RFC 9001 §6). Keys come in generations; the Key Phase bit is the
 * generation's low bit. We keep the current read keys, the next generation (derived on demand,
 * used to detect the peer's update), and the previous read keys for a while so reordered packets
 * still decrypt (§6.5). Sending uses its own generation, which runs ahead by one while an update
 * we initiated waits for the peer's response.
 */
import type { PacketProtector } from '../crypto/packet-protection.js';

export class KeyPhases {
  /** Generation of the keys we send with. */
  writeGen = 0;
  /** Generation of the newest keys the peer sent with. */
  readGen = 0;
  write: PacketProtector;
  read: PacketProtector;
  private readNext: PacketProtector | null = null;
  /** Read keys of generation readGen - 1, kept until `prevDiscardAt`. */
  prevRead: PacketProtector | null = null;
  prevDiscardAt = Infinity;
  /** Lowest packet number received in the current read generation (§6.5). */
  firstPnInReadGen = -1;
  /**
   * The same for the other paths of a multipath connection, whose packet numbers are their own
   * (RFC 10069 §2.5: one key phase for all paths). Absent: none received in this generation.
   */
  private readonly firstPnOnPath = new Map<number, number>();
  /** First packet number we sent in the current write generation (-1 until one is sent). */
  firstPnInWriteGen = -1;
  /** Whether a packet of the current write generation has been acknowledged (§6.1). */
  writeGenAcked = false;
  /** Key updates done (initiated by either side). */
  updates = 0;

  constructor(read: PacketProtector, write: PacketProtector) {
    this.read = read;
    this.write = write;
  }

  get sendKeyPhase(): boolean {
    return (this.writeGen & 1) === 1;
  }

  /**
   * Whether the last `select` chose the next generation: a key update by the peer, to confirm
   * with `commitPeerUpdate` only after the packet authenticates.
   */
  selectedNext = false;

  /**
   * The protector to open a packet whose header says `keyPhase` and whose packet number is
   * `pn` (`selectedNext` tells whether it is the next generation's).
   */
  select(keyPhase: boolean, pn: number, pathId = 0): PacketProtector {
    this.selectedNext = false;
    if (keyPhase === ((this.readGen & 1) === 1)) return this.read;
    // A different phase: older packets use the previous keys (§6.5), newer ones are an update.
    const first = pathId === 0 ? this.firstPnInReadGen : (this.firstPnOnPath.get(pathId) ?? -1);
    if (this.prevRead && (first < 0 || pn < first)) {
      return this.prevRead;
    }
    if (!this.readNext) this.readNext = this.read.nextKeyPhase();
    this.selectedNext = true;
    return this.readNext;
  }

  /** Records a packet authenticated with the current read generation. */
  onPacketOpened(pn: number, pathId = 0): void {
    if (pathId !== 0) {
      const first = this.firstPnOnPath.get(pathId);
      if (first === undefined || pn < first) this.firstPnOnPath.set(pathId, pn);
      return;
    }
    if (this.firstPnInReadGen < 0 || pn < this.firstPnInReadGen) this.firstPnInReadGen = pn;
  }

  /**
   * The peer moved to the next generation (§6.2): rotate read keys, and answer with our own
   * update if it was the peer's initiative. `discardAt` is when the old read keys go (3 PTO).
   * We answer at once, so the peer can never be two generations ahead.
   */
  commitPeerUpdate(pn: number, discardAt: number, pathId = 0): void {
    this.prevRead = this.read;
    this.prevDiscardAt = discardAt;
    this.read = this.readNext!;
    this.readNext = null;
    this.readGen++;
    this.firstPnOnPath.clear();
    this.firstPnInReadGen = pathId === 0 ? pn : -1;
    if (pathId !== 0) this.firstPnOnPath.set(pathId, pn);
    if (this.writeGen < this.readGen) {
      // The peer's initiative: respond in kind (§6.2).
      this.advanceWrite();
      this.updates++;
    }
  }

  /** Whether we may start a key update now (§6.1: the last one is complete and acknowledged). */
  canInitiate(): boolean {
    return this.writeGen === this.readGen && this.writeGenAcked;
  }

  /** Starts a key update: we send with the next generation from now on (§6.1). */
  initiate(): void {
    this.advanceWrite();
    this.updates++;
  }

  onPacketSent(pn: number): void {
    if (this.firstPnInWriteGen < 0) this.firstPnInWriteGen = pn;
  }

  /**
   * The first packet numbers sent in the current write generation on the other paths of a
   * multipath connection (RFC 10069 §2.5: their packet numbers are their own).
   */
  private readonly firstWriteOnPath = new Map<number, number>();

  /** A packet of the current write generation went on path `pathId` (not 0). */
  onPathPacketSent(pathId: number, pn: number): void {
    if (!this.firstWriteOnPath.has(pathId)) this.firstWriteOnPath.set(pathId, pn);
  }

  /** A PATH_ACK of path `pathId` (not 0) acknowledged up to `largestAcked`. */
  onPathAckReceived(pathId: number, largestAcked: number): void {
    const first = this.firstWriteOnPath.get(pathId);
    if (first !== undefined && largestAcked >= first) this.writeGenAcked = true;
  }

  /** An ACK acknowledged `largestAcked`: it may cover a packet of the current write generation. */
  onAckReceived(largestAcked: number): void {
    if (this.firstPnInWriteGen >= 0 && largestAcked >= this.firstPnInWriteGen) {
      this.writeGenAcked = true;
    }
  }

  /** Drops the previous read keys once their time is up (§6.5). */
  discardOld(now: number): void {
    if (this.prevRead && now >= this.prevDiscardAt) {
      this.prevRead = null;
      this.prevDiscardAt = Infinity;
    }
  }

  private advanceWrite(): void {
    this.write = this.write.nextKeyPhase();
    this.writeGen++;
    this.firstPnInWriteGen = -1;
    this.firstWriteOnPath.clear();
    this.writeGenAcked = false;
  }
}
