/**
 * Multipath QUIC (RFC 10069, draft-ietf-quic-multipath-21): which path IDs exist and what each
 * owns. Negotiated when both endpoints send initial_max_path_id (§2); a path ID then has its own
 * connection IDs both ways (§3.2: PATH_NEW_CONNECTION_ID / PATH_RETIRE_CONNECTION_ID, sequence
 * numbers per path), its own 1-RTT packet-number space (§2.3, acknowledged by PATH_ACK; ACK
 * means path 0) and its own paths (a PathSet: address pair, validation, send control with RTT,
 * loss detection, congestion controller and pacer). Path 0 is the handshake path: its CIDs, its
 * space and its PathSet are the connection's own.
 *
 * This component owns the path table and the frame rules of §4 (limits, sequence numbers,
 * abandonment); it returns the frames to send and never touches packets or the connection.
 */
import { PnSpace } from '../ack/pn-space.js';
import { SlotState } from '../ack/sent.js';
import { QuicError, TransportError } from '../wire/errors.js';
import {
  FrameType,
  type Frame,
  type PathNewConnectionIdFrame,
  type PathRetireConnectionIdFrame,
} from '../wire/frame-types.js';
import { bytesEqual } from '../util/bytes.js';
import { LocalCids, PeerCids, type CidHost } from './cids.js';
import type { PathSet } from './path-set.js';
import { SpaceState } from './space.js';
import type { PathScheduler, ScheduleContext, SchedulablePath } from '../path/schedulers/types.js';

/** The scheduler's view of a path (mutable: refreshed in place, nothing allocated per packet). */
export type SchedulablePathView = { -readonly [K in keyof SchedulablePath]: SchedulablePath[K] };
type MutableScheduleContext = { -readonly [K in keyof ScheduleContext]: ScheduleContext[K] };

/** The peer's (or our) preference for sending on a path (RFC 10069 §3.3). */
export type PathStatus = 'available' | 'backup';

/** The largest path ID: 32 bits of the AEAD nonce (RFC 10069 §2.4). */
export const MAX_PATH_ID = 0xffffffff;
/** CIDs issued per path ID: one in use and one spare for rebinding (RFC 10069 §3.2.1). */
const CIDS_PER_PATH = 2;

/** One path ID in use (RFC 10069 §3). */
export class MultipathPath {
  /** 'open' until either side abandons it (§3.4); then its state lingers until `dropAt`. */
  state: 'open' | 'abandoned' = 'open';
  /** Abandoned: when the path's CIDs and space are forgotten (§3.4: 3 PTO). */
  dropAt = Infinity;
  /** We sent (or queued) our PATH_ABANDON for it. */
  abandonSent = false;
  /** The error code of the PATH_ABANDON that ended it, ours or the peer's. */
  abandonCode = 0;
  /** What the peer asked for sending on this path (PATH_STATUS_*, §3.3), and its sequence. */
  peerStatus: PathStatus = 'available';
  peerStatusSeq = -1;
  /** What we asked the peer; our next status sequence number. */
  localStatus: PathStatus = 'available';
  localStatusSeq = 0;
  /** Bytes of datagrams sent and received on the path (stats). */
  bytesSent = 0;
  bytesReceived = 0;
  /** Packets of the path whose frames the scheduler re-injected onto other paths (stats). */
  reinjectedPackets = 0;
  /** The highest packet number re-injected; the path counts as failing while it is outstanding. */
  reinjectedUpTo = -1;
  /** The highest packet number already judged overdue (handed to the scheduler or not). */
  overdueUpTo = -1;
  /** What the scheduler sees of the path, refreshed before each choice (`refresh`). */
  readonly view: SchedulablePathView;

  constructor(
    readonly id: number,
    /** The path's address pairs, validation and send control. */
    readonly paths: PathSet,
    /** The path's 1-RTT packet-number space (path 0: the connection's Application space). */
    readonly space: SpaceState,
  ) {
    this.view = {
      pathId: id,
      srtt: 0,
      sendAllowance: 0,
      bytesInFlight: 0,
      status: 'available',
      validated: false,
      ptoCount: 0,
      cwnd: 0,
      slowStart: true,
      rttVariance: 0,
      maxAckDelay: 0,
      sendableAt: Infinity,
    };
  }

  /** Brings `view` up to date for a scheduling decision at `now`. */
  refresh(now: number): SchedulablePathView {
    const v = this.view;
    const path = this.paths.active;
    const sc = path.sendControl;
    v.srtt = sc.rtt.smoothed;
    v.sendAllowance = Math.min(sc.sendAllowance(now), path.amplificationAllowance());
    v.bytesInFlight = sc.bytesInFlight;
    v.status = this.backup ? 'backup' : 'available';
    v.validated = path.validated;
    v.ptoCount = sc.ptoCount;
    v.cwnd = sc.cwnd;
    // An application-limited window controller is still in slow start below ssthresh.
    const cc = sc.cc;
    const state = cc.state;
    v.slowStart =
      state === 'slow_start' ||
      state === 'conservative_slow_start' ||
      (state === 'application_limited' && cc.window < cc.ssthresh);
    v.rttVariance = sc.rtt.variance;
    v.maxAckDelay = sc.rtt.maxAckDelay;
    v.sendableAt = v.sendAllowance > 0 ? now : sc.nextSendTime(now);
    v.reinjecting = this.reinjecting;
    return v;
  }

  /** Its oldest outstanding packet was re-injected: the path counts as failing. */
  get reinjecting(): boolean {
    if (this.reinjectedUpTo < 0) return false;
    const log = this.paths.active.sendControl.lossDetection.log(PnSpace.Application);
    const i = log.firstOutstandingIndex();
    return i < log.endIndex() && log.pnAt(i) <= this.reinjectedUpTo;
  }

  /**
   * When its oldest ack-eliciting packet not yet judged becomes overdue: one PTO period (RFC 9002
   * §6.2.1, without backoff) after it was sent; Infinity when there is none.
   */
  overdueDeadline(): number {
    const sc = this.paths.active.sendControl;
    const log = sc.lossDetection.log(PnSpace.Application);
    // The common case on a receiving path: only ACK-only packets outstanding, nothing to judge.
    if (log.ackElicitingInFlight === 0) return Infinity;
    const end = log.endIndex();
    for (let i = log.firstOutstandingIndex(); i < end; i = log.nextLive(i + 1)) {
      if (log.stateAt(i) !== SlotState.Outstanding || log.pnAt(i) <= this.overdueUpTo) continue;
      const p = log.packetAt(i)!;
      if (p.ackEliciting) return p.timeSent + sc.rtt.ptoPeriod(true);
      // Nothing ack-eliciting before it waits: an ACK-only packet is never judged, skip it for
      // good.
      this.overdueUpTo = p.pn;
    }
    return Infinity;
  }

  /** Whether packets may be sent on it: open and its active address pair validated. */
  get usable(): boolean {
    return this.state === 'open' && this.paths.active.validated;
  }

  /** A path either side marked as backup (RFC 10069 §3.3). */
  get backup(): boolean {
    return this.peerStatus === 'backup' || this.localStatus === 'backup';
  }
}

export class Multipath {
  /** Both sides sent initial_max_path_id with non-zero-length CIDs (RFC 10069 §2). */
  enabled = false;
  /** The largest path ID we allow the peer (initial_max_path_id, then MAX_PATH_ID). */
  private localMax: number;
  /** The largest path ID the peer allows us. */
  private peerMax = 0;
  private readonly open = new Map<number, MultipathPath>();
  /** CIDs we issued per path ID other than 0 (path 0's are the connection's). */
  private readonly localCids = new Map<number, LocalCids>();
  /** CIDs the peer issued per path ID other than 0. */
  private readonly peerCids = new Map<number, PeerCids>();
  /** Path IDs abandoned and forgotten: never reused (§3.4), their frames ignored (§4). */
  private readonly closedIds = new Set<number>();
  /** The lowest path ID not used yet by a path we opened or the peer opened. */
  private nextId = 1;
  /** Frames to send (PATH_NEW_CONNECTION_ID, PATH_ABANDON, ...), taken by `takeFrames`. */
  private readonly out: Frame[] = [];

  /** The views of the open paths, reused for each scheduling decision. */
  private readonly views: SchedulablePathView[] = [];
  /** The context of a scheduling decision, reused likewise. */
  private readonly context: MutableScheduleContext = { now: 0, backlog: 0 };

  constructor(
    private readonly host: CidHost,
    maxPathId: number,
    /** Our active_connection_id_limit: CIDs the peer may issue us per path (§2.2). */
    private readonly cidLimit: number,
    /** Picks the path of each packet (src/path/schedulers, RFC 10069 §5.5). */
    readonly scheduler: PathScheduler,
  ) {
    this.localMax = maxPathId;
  }

  /**
   * The open path the scheduler picks for new data at `now` (RFC 10069 §5.5), or null when none
   * may send now or the data waits for a faster path; `backlog` is the bytes of new data
   * waiting (ScheduleContext).
   */
  schedule(now: number, backlog: number): MultipathPath | null {
    const views = this.views;
    views.length = 0;
    for (const p of this.open.values()) if (p.state === 'open') views.push(p.refresh(now));
    this.context.now = now;
    this.context.backlog = backlog;
    const v = this.scheduler.select(views, 'new_data', this.context);
    return v === null ? null : (this.open.get(v.pathId) ?? null);
  }

  /** The largest path ID we accept. */
  get localMaxPathId(): number {
    return this.localMax;
  }

  /** The largest path ID the peer accepts. */
  get peerMaxPathId(): number {
    return this.peerMax;
  }

  /**
   * The peer's transport parameters arrived: multipath is on when both sent initial_max_path_id
   * (RFC 10069 §2). `path0` is the handshake path.
   */
  negotiate(peerMaxPathId: number | undefined, path0: MultipathPath): boolean {
    if (peerMaxPathId === undefined) return false;
    this.enabled = true;
    this.peerMax = peerMaxPathId;
    this.open.set(0, path0);
    return true;
  }

  get(id: number): MultipathPath | undefined {
    return this.open.get(id);
  }

  /** The paths in use, path 0 first. */
  all(): IterableIterator<MultipathPath> {
    return this.open.values();
  }

  get size(): number {
    return this.open.size;
  }

  /** The path ID a Destination CID we issued belongs to, or -1 (path 0's are not here). */
  pathIdOf(dcid: Uint8Array): number {
    for (const [id, cids] of this.localCids) {
      for (const c of cids.all()) if (bytesEqual(c.cid, dcid)) return id;
    }
    return -1;
  }

  /**
   * Issues CIDs for every unused path ID up to both limits (RFC 10069 §3.2.1: proactively, and
   * without gaps), as PATH_NEW_CONNECTION_ID frames queued for sending.
   */
  issueCids(): void {
    if (!this.enabled) return;
    const top = Math.min(this.localMax, this.peerMax);
    for (let id = 1; id <= top; id++) {
      if (this.closedIds.has(id)) continue;
      let cids = this.localCids.get(id);
      if (!cids) {
        cids = new LocalCids(this.host);
        this.localCids.set(id, cids);
      }
      this.topUp(id, cids, CIDS_PER_PATH);
    }
  }

  /** Issues CIDs of `pathId` until the peer holds `count` of ours, queued for sending. */
  private topUp(pathId: number, cids: LocalCids, count: number): void {
    cids.topUp(count);
    for (const c of cids.pending.splice(0)) {
      this.out.push({
        kind: 'path_new_connection_id',
        pathId,
        sequenceNumber: c.sequence,
        retirePriorTo: 0,
        connectionId: c.cid,
        statelessResetToken: c.resetToken,
      });
    }
  }

  /** Whether frames wait to be taken. */
  get hasPendingFrames(): boolean {
    return this.out.length > 0;
  }

  /**
   * A lost frame of ours, if it is a multipath one: sent again while still relevant (RFC 10069
   * §4: PATH_ABANDON, the latest PATH_STATUS_*, MAX_PATH_ID, CIDs not retired since). Returns
   * false for other frames.
   */
  onFrameLost(frame: Frame): boolean {
    switch (frame.kind) {
      case 'path_new_connection_id':
        if (this.isCidActive(frame.pathId, frame.sequenceNumber)) this.out.push(frame);
        return true;
      case 'path_status_backup':
      case 'path_status_available': {
        const p = this.open.get(frame.pathId);
        if (p && p.state === 'open' && frame.sequenceNumber === p.localStatusSeq - 1) {
          this.out.push(frame);
        }
        return true;
      }
      case 'path_abandon':
        if (!this.closedIds.has(frame.pathId)) this.out.push(frame);
        return true;
      case 'path_retire_connection_id':
      case 'max_path_id':
        this.out.push(frame);
        return true;
      case 'paths_blocked':
      case 'path_cids_blocked':
        // Informational (§4.7): MAY be sent again; the next attempt to open a path does.
        return true;
      default:
        return false;
    }
  }

  /** Frames waiting to be sent; the caller queues them as control frames. */
  takeFrames(): Frame[] {
    return this.out.splice(0);
  }

  /** Whether a lost PATH_NEW_CONNECTION_ID is still worth sending (its CID not retired). */
  isCidActive(pathId: number, sequence: number): boolean {
    return this.localCids.get(pathId)?.isActive(sequence) ?? false;
  }

  /**
   * RFC 10069 §4: a path ID above our limit is a PROTOCOL_VIOLATION; one we forgot is ignored
   * (returns false).
   */
  checkPathId(pathId: number, frameType: number): boolean {
    if (pathId > this.localMax) {
      throw new QuicError(
        TransportError.PROTOCOL_VIOLATION,
        `path ID ${pathId} above the maximum ${this.localMax}`,
        frameType,
      );
    }
    return !this.closedIds.has(pathId);
  }

  /** PATH_NEW_CONNECTION_ID for a path other than 0 (RFC 10069 §4.4). */
  onNewCid(frame: PathNewConnectionIdFrame): void {
    if (!this.checkPathId(frame.pathId, FrameType.PATH_NEW_CONNECTION_ID)) return;
    const p = this.open.get(frame.pathId);
    if (p && p.state !== 'open') return;
    const cids = this.peerCids.get(frame.pathId);
    if (!cids) {
      const fresh = new PeerCids(frame.connectionId.slice(), this.cidLimit, {
        sequence: frame.sequenceNumber,
        resetToken: frame.statelessResetToken.slice(),
      });
      this.peerCids.set(frame.pathId, fresh);
      return;
    }
    cids.add({ ...frame, kind: 'new_connection_id' });
    this.retireQueued(frame.pathId, cids);
  }

  /** PATH_RETIRE_CONNECTION_ID for a path other than 0 (RFC 10069 §4.5). */
  onRetireCid(frame: PathRetireConnectionIdFrame, packetDcid: Uint8Array): void {
    if (!this.checkPathId(frame.pathId, FrameType.PATH_RETIRE_CONNECTION_ID)) return;
    const cids = this.localCids.get(frame.pathId);
    if (!cids) {
      throw new QuicError(
        TransportError.PROTOCOL_VIOLATION,
        `PATH_RETIRE_CONNECTION_ID for path ${frame.pathId}, which has no CID of ours`,
        FrameType.PATH_RETIRE_CONNECTION_ID,
      );
    }
    cids.retire(frame.sequenceNumber, packetDcid);
    // §3.2.2: a retirement asks for a replacement while the path is open.
    if (this.open.get(frame.pathId)?.state !== 'abandoned') this.issueCids();
  }

  /** The peer's CIDs for `pathId` (path 0 excluded), or undefined. */
  peerCidsOf(pathId: number): PeerCids | undefined {
    return this.peerCids.get(pathId);
  }

  /**
   * A path ID a client can open (RFC 10069 §3.1): not in use nor `reserved`, within both limits,
   * with a CID from the peer and one of ours. -1 when none (`onOpenBlocked` tells the peer).
   */
  nextOpenableId(reserved: readonly number[] = []): number {
    const top = Math.min(this.localMax, this.peerMax);
    for (let id = this.nextId; id <= top; id++) {
      if (this.open.has(id) || this.closedIds.has(id) || reserved.includes(id)) continue;
      if (this.peerCids.has(id) && this.localCids.has(id)) return id;
    }
    return -1;
  }

  /** Why no path can be opened: PATHS_BLOCKED or PATH_CIDS_BLOCKED to send (§4.7). */
  onOpenBlocked(): void {
    const top = Math.min(this.localMax, this.peerMax);
    let id = this.nextId;
    while (id <= top && (this.open.has(id) || this.closedIds.has(id))) id++;
    if (id > this.peerMax) {
      this.out.push({ kind: 'paths_blocked', maximum: this.peerMax });
    } else if (id <= top && !this.peerCids.has(id)) {
      this.out.push({ kind: 'path_cids_blocked', pathId: id, nextSequenceNumber: 0 });
    }
  }

  /** Registers a path ID now in use (opened by us, or by the peer's first packet on it). */
  add(path: MultipathPath): void {
    this.open.set(path.id, path);
    if (path.id >= this.nextId) this.nextId = path.id + 1;
  }

  /** A fresh 1-RTT space for a new path ID. */
  newSpace(maxAckDelayUs: number): SpaceState {
    return new SpaceState(PnSpace.Application, maxAckDelayUs);
  }

  /** MAX_PATH_ID (RFC 10069 §4.6). */
  onMaxPathId(maximum: number, initial: number): void {
    if (maximum > MAX_PATH_ID || maximum < initial) {
      throw new QuicError(
        TransportError.PROTOCOL_VIOLATION,
        `MAX_PATH_ID ${maximum} is invalid`,
        FrameType.MAX_PATH_ID,
      );
    }
    if (maximum <= this.peerMax) return; // a late one that does not raise the limit
    this.peerMax = maximum;
    this.issueCids();
  }

  /** PATHS_BLOCKED (RFC 10069 §4.7): informational, but checked. */
  onPathsBlocked(maximum: number): void {
    if (maximum > this.localMax) {
      throw new QuicError(
        TransportError.PROTOCOL_VIOLATION,
        `PATHS_BLOCKED at ${maximum}, above our maximum ${this.localMax}`,
        FrameType.PATHS_BLOCKED,
      );
    }
  }

  /**
   * PATH_CIDS_BLOCKED (RFC 10069 §4.7) for a path other than 0 (path 0's CIDs are the
   * connection's): a Next Sequence Number above the next one we would issue on that path is a
   * PROTOCOL_VIOLATION; otherwise the peer used up the CIDs it holds, and gets fresh ones while
   * the path is open, up to `peerLimit` (its active_connection_id_limit) held at once.
   */
  onPathCidsBlocked(pathId: number, nextSequence: number, peerLimit: number): void {
    if (!this.checkPathId(pathId, FrameType.PATH_CIDS_BLOCKED)) return;
    const issued = this.localCids.get(pathId);
    checkNextSequence(nextSequence, issued?.nextSequenceNumber ?? 0);
    if (!issued || this.open.get(pathId)?.state === 'abandoned') return;
    this.topUp(pathId, issued, Math.max(CIDS_PER_PATH, peerLimit));
  }

  /**
   * PATH_STATUS_BACKUP / PATH_STATUS_AVAILABLE (RFC 10069 §4.3): an older or equal sequence
   * number than one seen for the path is ignored.
   */
  onPathStatus(pathId: number, sequence: number, status: PathStatus, frameType: number): void {
    if (!this.checkPathId(pathId, frameType)) return;
    const p = this.open.get(pathId);
    if (!p || sequence <= p.peerStatusSeq) return;
    p.peerStatusSeq = sequence;
    p.peerStatus = status;
  }

  /** Our preference for `pathId` (RFC 10069 §3.3), sent to the peer. */
  setLocalStatus(p: MultipathPath, status: PathStatus): void {
    p.localStatus = status;
    const sequenceNumber = p.localStatusSeq++;
    this.out.push(
      status === 'backup'
        ? { kind: 'path_status_backup', pathId: p.id, sequenceNumber }
        : { kind: 'path_status_available', pathId: p.id, sequenceNumber },
    );
  }

  /**
   * Abandons `p` (RFC 10069 §3.4): our PATH_ABANDON is queued once, the peer's CIDs for it are
   * retired at once (no packet goes on it any more), its state lingers `linger` µs (3 PTO) for
   * late packets. Returns false when it was abandoned already.
   */
  abandon(p: MultipathPath, errorCode: number, now: number, linger: number): boolean {
    if (!p.abandonSent) {
      p.abandonSent = true;
      this.out.push({ kind: 'path_abandon', pathId: p.id, errorCode });
    }
    if (p.state === 'abandoned') return false;
    p.state = 'abandoned';
    p.abandonCode = errorCode;
    p.dropAt = now + linger;
    if (p.id !== 0) this.peerCids.delete(p.id);
    return true;
  }

  /** Forgets the state of abandoned paths whose time is up; returns them (their packets are lost). */
  dropExpired(now: number): MultipathPath[] {
    const gone: MultipathPath[] = [];
    for (const p of this.open.values()) {
      if (p.state !== 'abandoned' || now < p.dropAt) continue;
      gone.push(p);
    }
    for (const p of gone) {
      this.open.delete(p.id);
      this.closedIds.add(p.id);
      this.scheduler.onPathClosed(p.id);
      const cids = this.localCids.get(p.id);
      if (cids) {
        for (const c of [...cids.all()]) this.host.onCidRetired(c.cid);
        this.localCids.delete(p.id);
      }
    }
    return gone;
  }

  /** The earliest time an abandoned path is forgotten. */
  deadline(): number {
    let t = Infinity;
    for (const p of this.open.values()) if (p.dropAt < t) t = p.dropAt;
    return t;
  }

  /** Retirements the peer's CIDs of `pathId` owe, as PATH_RETIRE_CONNECTION_ID frames. */
  private retireQueued(pathId: number, cids: PeerCids): void {
    for (const seq of cids.toRetire.splice(0)) {
      this.out.push({ kind: 'path_retire_connection_id', pathId, sequenceNumber: seq });
    }
  }

  /** Moves the path's peer CID on (a new CID for a rebinding), queuing the retirement. */
  retirePeerCids(pathId: number): void {
    const cids = this.peerCids.get(pathId);
    if (cids) this.retireQueued(pathId, cids);
  }
}

/**
 * RFC 10069 §4.7: a PATH_CIDS_BLOCKED expecting a sequence number beyond `next`, the one our
 * next CID for that path gets, is a PROTOCOL_VIOLATION.
 */
export function checkNextSequence(nextSequence: number, next: number): void {
  if (nextSequence > next) {
    throw new QuicError(
      TransportError.PROTOCOL_VIOLATION,
      `PATH_CIDS_BLOCKED expects sequence ${nextSequence}, we issued up to ${next - 1}`,
      FrameType.PATH_CIDS_BLOCKED,
    );
  }
}
