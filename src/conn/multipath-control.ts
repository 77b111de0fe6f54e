/**
 * The connection side of Multipath QUIC (RFC 10069): the frames of §4 as they arrive, paths
 * coming into use (a client's `openPath`, a peer's first packet on a new path ID), their
 * validation, abandonment and timers. The path table and the frame rules are the Multipath
 * component's (multipath.ts); what touches the connection (acknowledgments, retransmission,
 * events) is here.
 */
import { PnSpace } from '../ack/pn-space.js';
import type { SentPacket } from '../ack/sent.js';
import { sameAddress, type SocketAddress } from '../util/address.js';
import { QuicError, TransportError } from '../wire/errors.js';
import { FrameType, type AckFrame, type MultipathFrame } from '../wire/frame-types.js';
import type { PeerCid } from './cids.js';
import type { ConnectionContext } from './context.js';
import { checkNextSequence, MultipathPath, type Multipath } from './multipath.js';
import { PathSet } from './path-set.js';
import { PathState } from './path-state.js';
import { onPathPackets } from './path-mtu.js';
import { onFramesLost, onPacketsAcked } from './retransmit.js';
import type { SentFrame } from './sent-frames.js';

/** The multipath component of a connection that negotiated it; a PROTOCOL_VIOLATION if not. */
export function negotiated(conn: ConnectionContext, frameType: number, kind: string): Multipath {
  const mp = conn.multipath;
  // RFC 10069 §2: without initial_max_path_id from both sides, no multipath frame may be used.
  if (mp === null || !mp.enabled) {
    throw new QuicError(
      TransportError.PROTOCOL_VIOLATION,
      `${kind} without negotiated multipath`,
      frameType,
    );
  }
  return mp;
}

/** Turns multipath on once the peer's transport parameters are known (RFC 10069 §2). */
export function negotiateMultipath(conn: ConnectionContext): void {
  const mp = conn.multipath;
  if (mp === null || conn.peerParams === null || mp.enabled) return;
  const path0 = new MultipathPath(0, conn.paths, conn.spaces[PnSpace.Application]);
  mp.negotiate(conn.peerParams.initialMaxPathId, path0);
}

/** A multipath frame other than PATH_ACK for path 0 and the CID frames of path 0 (frames-in.ts). */
export function onMultipathFrame(
  conn: ConnectionContext,
  frame: MultipathFrame,
  now: number,
): void {
  switch (frame.kind) {
    case 'path_ack':
      onPathAck(conn, negotiated(conn, FrameType.PATH_ACK, frame.kind), frame, now);
      return;
    case 'path_abandon': {
      const mp = negotiated(conn, FrameType.PATH_ABANDON, frame.kind);
      if (!mp.checkPathId(frame.pathId, FrameType.PATH_ABANDON)) return;
      const p = mp.get(frame.pathId);
      if (p) abandonPath(conn, p, frame.errorCode, 'peer', 'abandoned by the peer', now);
      return;
    }
    case 'path_status_backup':
    case 'path_status_available': {
      const type =
        frame.kind === 'path_status_backup'
          ? FrameType.PATH_STATUS_BACKUP
          : FrameType.PATH_STATUS_AVAILABLE;
      const status = frame.kind === 'path_status_backup' ? 'backup' : 'available';
      const mp = negotiated(conn, type, frame.kind);
      const p = mp.get(frame.pathId);
      const before = p?.backup;
      mp.onPathStatus(frame.pathId, frame.sequenceNumber, status, type);
      if (p && p.backup !== before) logPath(conn, p, now);
      return;
    }
    case 'path_new_connection_id':
      negotiated(conn, FrameType.PATH_NEW_CONNECTION_ID, frame.kind).onNewCid(frame);
      return;
    case 'path_retire_connection_id':
      negotiated(conn, FrameType.PATH_RETIRE_CONNECTION_ID, frame.kind).onRetireCid(
        frame,
        conn.rx.dcid,
      );
      return;
    case 'max_path_id':
      negotiated(conn, FrameType.MAX_PATH_ID, frame.kind).onMaxPathId(
        frame.maximum,
        conn.peerParams?.initialMaxPathId ?? 0,
      );
      return;
    case 'paths_blocked':
      negotiated(conn, FrameType.PATHS_BLOCKED, frame.kind).onPathsBlocked(frame.maximum);
      return;
    case 'path_cids_blocked': {
      const mp = negotiated(conn, FrameType.PATH_CIDS_BLOCKED, frame.kind);
      const peerLimit = conn.peerParams?.activeConnectionIdLimit ?? 2;
      if (frame.pathId !== 0) {
        mp.onPathCidsBlocked(frame.pathId, frame.nextSequenceNumber, peerLimit);
        return;
      }
      // Path 0's CIDs are the connection's (RFC 10069 §2: NEW_CONNECTION_ID is path 0's).
      if (!mp.checkPathId(0, FrameType.PATH_CIDS_BLOCKED)) return;
      checkNextSequence(frame.nextSequenceNumber, conn.localCids.nextSequenceNumber);
      if (mp.get(0)?.state !== 'open') return;
      conn.localCids.topUp(peerLimit);
      conn.controlFrames.announceCids(conn.localCids.pending);
      return;
    }
  }
}

/** PATH_ACK for a path other than 0 (RFC 10069 §4.1); path 0's goes as an ACK (frames-in.ts). */
function onPathAck(
  conn: ConnectionContext,
  mp: Multipath,
  frame: Extract<MultipathFrame, { kind: 'path_ack' }>,
  now: number,
): void {
  if (!mp.checkPathId(frame.pathId, FrameType.PATH_ACK)) return;
  const p = mp.get(frame.pathId);
  // §3.4.3: a PATH_ACK for a path whose state is gone is ignored.
  if (!p) return;
  conn.stats.acksReceived++;
  const path = p.paths.active;
  const sc = path.sendControl;
  const ack: AckFrame = {
    kind: 'ack',
    ackDelay: frame.ackDelay,
    ranges: frame.ranges,
    ...(frame.ecn ? { ecn: frame.ecn } : {}),
  };
  const exponent = conn.peerParams?.ackDelayExponent ?? 3;
  const out = sc.onAckReceived(PnSpace.Application, ack, frame.ackDelay * 2 ** exponent, now);
  onPacketsAcked(conn, out.newlyAcked);
  for (const sp of out.lost) onFramesLost(conn, sp.frames);
  onPathPackets(path, out.newlyAcked, out.lost, now);
  // RFC 10069 §2.5: an acknowledged packet of the current key phase on any path completes it.
  conn.keys.oneRtt?.onPathAckReceived(p.id, frame.ranges[0]!.largest);
  if (out.lost.length > 0) conn.stats.onLossEvent(out.lost.length);
  sc.releaseOutcomes();
}

/**
 * Abandons `p` (RFC 10069 §3.4): PATH_ABANDON goes (once), the peer's CIDs for it are retired,
 * its state stays three PTOs for late packets; what it had in flight goes again on the other
 * paths. Abandoning the last path closes the connection (§3.4: SHOULD).
 */
export function abandonPath(
  conn: ConnectionContext,
  p: MultipathPath,
  errorCode: number,
  source: 'local' | 'peer',
  reason: string,
  now: number,
): void {
  const mp = conn.multipath!;
  if (!mp.abandon(p, errorCode, now, 3 * largestPto(conn))) return;
  reinject(conn, p);
  // RFC 6356: a coupled controller stops weighing a path that carries nothing more.
  p.paths.active.sendControl.cc.close?.();
  conn.emit('pathClosed', p.id, { source, errorCode, reason });
  logPath(conn, p, now);
  let open = 0;
  for (const q of mp.all()) if (q.state === 'open') open++;
  if (open === 0) {
    conn.closeWithError(new QuicError(TransportError.NO_ERROR, 'the last path was abandoned'), now);
  }
  conn.wake();
}

/**
 * The frames of every packet still in flight on `p` go back to their queues for the other paths
 * (RFC 10069 §5.6: a failing path's data is sent again elsewhere). They stay tracked on `p`, so
 * a late acknowledgment still frees them.
 */
export function reinject(conn: ConnectionContext, p: MultipathPath): void {
  const log = p.paths.active.sendControl.lossDetection.log(PnSpace.Application);
  for (const sp of log.outstandingPackets()) onFramesLost(conn, sp.frames);
}

/**
 * Packets of `p` are overdue (unacknowledged one PTO period after they were sent): the scheduler
 * may have their frames sent again at once on the other paths (RFC 10069 §5.6, §5.7; xquic's
 * reinjection), before the path's own PTO, which runs from its last ack-eliciting packet
 * (RFC 9002 §6.2.1) and so comes up to a window's worth of sending later. The originals stay in
 * flight; whichever copy arrives first delivers the data (stream offsets make the other a
 * duplicate the receiver drops). With no other working path there is nowhere to send them.
 */
function reinjectOverdue(
  conn: ConnectionContext,
  mp: Multipath,
  p: MultipathPath,
  now: number,
): void {
  const log = p.paths.active.sendControl.lossDetection.log(PnSpace.Application);
  const pto = p.paths.active.sendControl.rtt.ptoPeriod(true);
  const overdue: SentPacket<SentFrame>[] = [];
  for (const sp of log.outstandingPackets()) {
    if (sp.pn <= p.overdueUpTo || !sp.ackEliciting) continue;
    if (sp.timeSent + pto > now) break;
    overdue.push(sp);
  }
  if (overdue.length === 0) return;
  p.overdueUpTo = overdue[overdue.length - 1]!.pn;
  if (!otherPathWorks(mp, p)) return;
  const again = mp.scheduler.onPathFailing(p.id, 'overdue', overdue);
  if (again.length === 0) return;
  for (const sp of again) {
    onFramesLost(conn, sp.frames);
    if (sp.pn > p.reinjectedUpTo) p.reinjectedUpTo = sp.pn;
  }
  p.reinjectedPackets += again.length;
  conn.stats.reinjectedPackets += again.length;
  conn.wake();
}

/** Whether a path other than `p` is open, validated and not failing. */
function otherPathWorks(mp: Multipath, p: MultipathPath): boolean {
  for (const q of mp.all()) {
    if (q === p || !q.usable) continue;
    if (q.paths.active.sendControl.ptoCount === 0 && !q.reinjecting) return true;
  }
  return false;
}

/** The largest PTO among the open paths (RFC 10069 §2.5, §2.6: closing and key updates). */
export function largestPto(conn: ConnectionContext): number {
  let t = conn.ptoPeriod();
  const mp = conn.multipath;
  if (mp === null || !mp.enabled) return t;
  for (const p of mp.all()) {
    if (p.state === 'open') t = Math.max(t, p.paths.active.sendControl.rtt.ptoPeriod(true));
  }
  return t;
}

/**
 * Client: opens path `id` from `local` to `remote` (RFC 10069 §3.1): a new 4-tuple with its own
 * send control, validated by PATH_CHALLENGE on a CID of that path ID.
 */
export function openPathNow(
  conn: ConnectionContext,
  id: number,
  local: SocketAddress,
  remote: SocketAddress,
  now: number,
): MultipathPath | null {
  const mp = conn.multipath!;
  const cids = mp.peerCidsOf(id);
  if (!cids) return null;
  const path = new PathState(local, remote, conn.newPathSendControl(now), false, cids.current);
  // A client's own path toward the server's address is not bound by the limit (RFC 9000 §8.1).
  path.liftAmplificationLimit();
  return addPath(conn, id, path, now);
}

/**
 * Server (or client): the first packet on path `id`, which the peer opened (RFC 10069 §3.1).
 * The path is validated before data goes on it; until then the anti-amplification limit holds.
 * Null when we hold no CID of the peer's for it yet (the packet is dropped; the peer repeats its
 * PATH_CHALLENGE).
 */
export function acceptPath(
  conn: ConnectionContext,
  id: number,
  local: SocketAddress,
  remote: SocketAddress,
  now: number,
): MultipathPath | null {
  const mp = conn.multipath!;
  const cids = mp.peerCidsOf(id);
  if (!cids) return null;
  const path = new PathState(local, remote, conn.newPathSendControl(now), false, cids.current);
  return addPath(conn, id, path, now);
}

/** RFC 9000 §8.2.4: validation gives up after three times the larger PTO. */
function validationTimeout(conn: ConnectionContext): number {
  return 3 * Math.max(conn.ptoPeriod(), 3 * conn.opts.initialRttUs);
}

/**
 * A PATH_CHALLENGE on path `p` (other than 0), in the packet described by `conn.rx`: answered
 * on that path ID and on the address pair it came on (RFC 9000 §8.2.2, RFC 10069 §5.1), which
 * after a NAT rebinding is not the path's active one.
 */
export function onPathChallengeOn(
  conn: ConnectionContext,
  p: MultipathPath,
  data: Uint8Array,
  now: number,
): void {
  const path = addressPairOf(conn, p, now);
  // A few outstanding responses per path: a flood of challenges costs nothing more.
  if (path.responses.length < 4) path.responses.push(data.slice());
}

/**
 * The address pair of `p` that the packet described by `conn.rx` came on: the active one, the
 * probed one, or a new probe (the peer's address changed on this path ID) sharing the path's
 * send control, answered without moving to it (RFC 9000 §8.2.2, §9.3).
 */
function addressPairOf(conn: ConnectionContext, p: MultipathPath, now: number): PathState {
  const { local, remote } = conn.rx;
  const paths = p.paths;
  if (paths.isActive(local, remote)) return paths.active;
  const probe = paths.probe;
  if (probe && sameAddress(probe.remote, remote) && sameAddress(probe.local, local)) return probe;
  const next = new PathState(
    local,
    remote,
    paths.active.sendControl,
    false,
    unusedPeerCid(conn.multipath!, p),
  );
  next.onDatagramReceived(conn.rx.size, now);
  paths.startProbe(next);
  return next;
}

/**
 * A peer CID of path `p` for a new address pair: one not used on another address if the peer
 * gave us a spare (RFC 9000 §9.5), else the current one (allowed when the peer's address
 * changed under the same CID).
 */
function unusedPeerCid(mp: Multipath, p: MultipathPath): PeerCid {
  const cids = mp.peerCidsOf(p.id);
  return cids?.spare() ?? cids?.current ?? p.paths.active.dcid;
}

/**
 * The 1-RTT packet described by `conn.rx`, on path `p` (other than 0), was processed. If it is
 * the highest-numbered one of the path and carries non-probing frames from a new address, the
 * peer moved on this path ID (NAT rebinding, RFC 10069 §5.1; RFC 9000 §9.3): the path follows
 * it and validates the new address, keeping the old one to return to (§9.3.2). The path ID, its
 * packet-number space and the other paths (path 0 among them) are unaffected.
 */
export function onPathPacketOn(
  conn: ConnectionContext,
  p: MultipathPath,
  nonProbing: boolean,
  now: number,
): void {
  const { local, remote, pn } = conn.rx;
  const paths = p.paths;
  if (!nonProbing || p.state !== 'open' || paths.isActive(local, remote)) return;
  if (pn !== p.space.tracker.largestReceived) return;
  // Servers do not move (RFC 9000 §9): a client keeps its path toward the server's address.
  if (conn.isClient) return;
  const mp = conn.multipath!;
  const old = paths.active;
  const probe = paths.probe;
  const fallback = paths.fallback;
  let next: PathState;
  if (probe && sameAddress(probe.remote, remote) && sameAddress(probe.local, local)) {
    next = probe;
  } else if (
    fallback &&
    sameAddress(fallback.remote, remote) &&
    sameAddress(fallback.local, local)
  ) {
    // Back to the last validated address pair (a spurious migration, §9.3.3).
    next = fallback;
    next.dcid = unusedPeerCid(mp, p);
  } else {
    next = new PathState(local, remote, old.sendControl, false, unusedPeerCid(mp, p));
    next.onDatagramReceived(conn.rx.size, now);
  }
  if (!next.validated && next.validation !== 'validating') {
    next.startValidation(conn.provider.random(8), validationTimeout(conn));
    next.armValidationDeadline(now);
  }
  // One CID per address pair (RFC 9000 §9.5): the old one is retired once we move.
  const cids = mp.peerCidsOf(p.id);
  if (cids) {
    if (next.dcid.sequence !== cids.current.sequence) cids.switchTo(next.dcid.sequence);
    next.dcid = cids.current;
    mp.retirePeerCids(p.id);
  }
  paths.moveTo(next, now, old.validated ? old : next === fallback ? null : fallback);
  conn.stats.migrations++;
  logPath(conn, p, now);
  conn.wake();
}

/** A PATH_RESPONSE on path `p` (other than 0) validated it. */
export function onPathResponseOn(
  conn: ConnectionContext,
  p: MultipathPath,
  data: Uint8Array,
  now: number,
): void {
  if (p.paths.onResponse(data, now) === 'active') {
    conn.emit('pathValidated', p.id);
    logPath(conn, p, now);
  }
}

/**
 * The earliest timer of the paths other than 0: loss detection, validation, abandonment (their
 * ACK deadlines are the connection's, with those of its own spaces).
 */
export function multipathDeadline(conn: ConnectionContext): number {
  const mp = conn.multipath;
  if (mp === null || !mp.enabled) return Infinity;
  let t = mp.deadline();
  for (const p of mp.all()) {
    if (p.state !== 'open') continue;
    t = Math.min(t, p.overdueDeadline());
    if (p.id === 0) continue;
    t = Math.min(t, p.paths.deadline(), p.paths.active.sendControl.timerDeadline());
  }
  return t;
}

/**
 * The timers of the paths other than 0: validation (a path that fails it is abandoned, RFC 10069
 * §3.1), loss detection and PTO per path (a PTO re-sends what the path had in flight on the
 * others, §5.6), and the end of abandoned paths (their unacknowledged packets are lost, §3.4.3).
 */
export function onMultipathTimers(conn: ConnectionContext, now: number): void {
  const mp = conn.multipath;
  if (mp === null || !mp.enabled) return;
  for (const p of mp.all()) {
    if (p.id === 0 || p.state !== 'open') continue;
    // An address pair the peer moved to that never answered: back to the last validated one
    // (RFC 9000 §9.3.2), with a CID not used on another address (§9.5).
    const back = p.paths.onTimers(now);
    if (back) {
      back.dcid = unusedPeerCid(mp, p);
      const cids = mp.peerCidsOf(p.id);
      if (cids) {
        cids.switchTo(back.dcid.sequence);
        back.dcid = cids.current;
        mp.retirePeerCids(p.id);
      }
      p.paths.moveTo(back, now, null);
      logPath(conn, p, now);
    }
    if (p.paths.active.validation === 'failed') {
      abandonPath(conn, p, 0, 'local', 'path validation failed', now);
      continue;
    }
    const sc = p.paths.active.sendControl;
    if (now < sc.timerDeadline()) continue;
    const out = sc.onTimeout(now);
    for (const sp of out.lost) onFramesLost(conn, sp.frames);
    onPathPackets(p.paths.active, [], out.lost, now);
    if (out.probeCount > 0) {
      p.space.probes = Math.max(p.space.probes, out.probeCount);
      reinject(conn, p);
    }
    conn.stats.onLossEvent(out.lost.length);
    sc.releaseOutcomes();
  }
  for (const p of mp.all()) {
    if (p.state === 'open' && now >= p.overdueDeadline()) reinjectOverdue(conn, mp, p, now);
  }
  for (const p of mp.dropExpired(now)) {
    // §3.4.3: what the path never saw acknowledged is lost once its state goes.
    if (p.id !== 0) reinject(conn, p);
  }
}

/** qlog quic:tuple_assigned for path `p` in its current state (RFC 10069 §3). */
export function logPath(conn: ConnectionContext, p: MultipathPath, now: number): void {
  const qlog = conn.qlog;
  if (!qlog?.pathUpdated) return;
  const path = p.paths.active;
  const status =
    p.state === 'abandoned'
      ? 'abandoned'
      : !path.validated
        ? 'validating'
        : p.backup
          ? 'backup'
          : 'available';
  qlog.pathUpdated(
    conn,
    { pathId: p.id, local: path.local, remote: path.remote, status, dcid: path.dcid.cid },
    now,
  );
}

/** Starts validating `path` as path `id` and adds it to the table (RFC 10069 §3.1). */
function addPath(conn: ConnectionContext, id: number, path: PathState, now: number): MultipathPath {
  const mp = conn.multipath!;
  path.startValidation(conn.provider.random(8), validationTimeout(conn));
  path.armValidationDeadline(now);
  const p = new MultipathPath(
    id,
    new PathSet(path, now),
    mp.newSpace(conn.opts.maxAckDelayMs * 1000),
  );
  mp.add(p);
  conn.emit('pathOpened', id);
  logPath(conn, p, now);
  return p;
}
