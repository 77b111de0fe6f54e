/**
 * Sending with Multipath QUIC (RFC 10069): which path the next datagram goes on, and 1-RTT
 * packets on paths other than 0, numbered in the path's own space and sealed with its path ID in
 * the nonce (§2.4). PATH_ACKs of every path ride on any path (§3.1); lost frames go back to the
 * connection's queues and leave on whichever path is picked next (§5.5). Path 0 keeps the
 * ordinary assembly (assemble.ts), which adds the PATH_ACKs of the other paths.
 */
import { PnSpace } from '../ack/pn-space.js';
import type { Writer } from '../util/cursor.js';
import { encodeFrame, frameEncodedLength } from '../wire/frame-encode.js';
import { FrameType, type Frame } from '../wire/frame-types.js';
import { writeShortHeader } from '../wire/header.js';
import { packetNumberLength } from '../wire/packet-number.js';
import { PacketType } from '../wire/version.js';
import type { ConnectionContext } from './context.js';
import type { MultipathPath } from './multipath.js';
import type { PathState } from './path-state.js';
import { hasPathFrames } from './path-set.js';
import { datagramSize } from './path-mtu.js';
import { NOTHING, type SentFrameList } from './sent-frames.js';

const TAG = 16;
const MIN_PN_AND_PAYLOAD = 4;
/** RFC 9000 §8.2.1: a datagram that validates a path is expanded to 1200 bytes. */
const MIN_PROBE_DATAGRAM = 1200;
const MAX_ACK_RANGES = 32;

/** What the path-0 assembly and this module share (exported by assemble.ts). */
export interface PathPacketWriters {
  writeAppFrames(
    conn: ConnectionContext,
    path: MultipathPath['paths']['active'],
    w: Writer,
    limit: number,
    frames: SentFrameList,
    now: number,
  ): boolean;
  writePathFrames(
    conn: ConnectionContext,
    path: MultipathPath['paths']['active'],
    w: Writer,
    limit: number,
    frames: SentFrameList,
    now: number,
  ): boolean;
  writeStreams(conn: ConnectionContext, limit: number): boolean;
}

/** `scheduleData`'s answer when data waits for a path that cannot send yet (a faster one). */
export const WAIT = 'wait';

/**
 * A path other than 0 that owes a PATH_CHALLENGE, PATH_RESPONSE or PTO probe, or null: these go
 * first, on their own path, whatever the scheduler would pick.
 */
export function pathOwingFrames(conn: Pick<ConnectionContext, 'multipath'>): MultipathPath | null {
  for (const p of conn.multipath!.all()) {
    if (p.id === 0 || p.state !== 'open') continue;
    if (p.paths.hasPendingSend || p.space.probes > 0) return p;
  }
  return null;
}

/**
 * The path the next data goes on (RFC 10069 §5.5: a local decision), by the connection's
 * scheduler (src/path/schedulers: min-RTT by default; backup paths only while no available
 * path works, §3.3). Path 0 is returned like any other (the caller builds its packets). Null
 * when there is no data; WAIT when there is but no path may take it now: every window is full,
 * or it waits for a faster path (the caller then sends no data on path 0 either).
 */
export function scheduleData(
  conn: ConnectionContext,
  now: number,
): MultipathPath | typeof WAIT | null {
  const hasData = conn.streams.hasPendingSend || conn.controlFrames.hasPending;
  // Nothing but ACKs to send: each path's go on it (`ackDuePath`), not here.
  if (!hasData) return null;
  return conn.multipath!.schedule(now, conn.streams.unsentBytes) ?? WAIT;
}

/**
 * How long a usable path may go without an ack-eliciting packet while data flows on the others.
 * A path the scheduler avoids gets no RTT samples (its ACK-only packets elicit none), so an
 * estimate from the handshake, inflated by the peer's TLS work, would keep it looking slow for
 * good; a PING now and then (`rttProbeDue`) costs a few bytes a second.
 */
const RTT_REFRESH_US = 200_000;

/**
 * A usable, available path whose RTT estimate is stale (nothing ack-eliciting sent on it for
 * RTT_REFRESH_US, nothing in flight), or null; asked while data waits, so that the scheduler
 * compares current RTTs. The caller sends it a PING with IMMEDIATE_ACK: a delayed
 * acknowledgment of a lone PING would give a sample that RFC 9002 §5.3 cannot correct when the
 * path's min_rtt is older and larger.
 */
export function rttProbeDue(conn: ConnectionContext, now: number): MultipathPath | null {
  const mp = conn.multipath!;
  if (mp.size < 2) return null;
  for (const p of mp.all()) {
    if (!p.usable || p.backup) continue;
    const sc = p.paths.active.sendControl;
    if (sc.ptoCount > 0 || sc.hasAckElicitingInFlight(PnSpace.Application)) continue;
    const last = sc.lossDetection.lastAckElicitingSent(PnSpace.Application);
    if (now - last >= RTT_REFRESH_US) return p;
  }
  return null;
}

/** Writes the RTT probe (`rttProbeDue`): PING, and IMMEDIATE_ACK when the peer knows it. */
export function writeRttProbe(conn: ConnectionContext, w: Writer, frames: SentFrameList): void {
  w.u8(0x01); // PING (RFC 9000 §19.2)
  frames.push(NOTHING);
  if (conn.ackFrequency.peerSupports) {
    w.u8(FrameType.IMMEDIATE_ACK); // draft-ietf-quic-ack-frequency-12 §7
    conn.ackFrequency.immediateAcksSent++;
  }
}

/**
 * Whether an abandoned path other than 0 has an ACK due now: it can no longer carry its own
 * PATH_ACK (§3.4.3), so path 0 does.
 */
export function multipathAckDue(conn: ConnectionContext, now: number): boolean {
  const mp = conn.multipath;
  if (mp === null || !mp.enabled) return false;
  for (const p of mp.all()) {
    if (p.id !== 0 && p.state !== 'open' && p.space.tracker.wantsAckNow(now)) return true;
  }
  return false;
}

/**
 * An open path other than 0 whose ACK is due now, or null. Each path's PATH_ACK goes on the path
 * itself (RFC 10069 §5.4 allows any path): its RTT samples are then that path's, and a broken
 * path swallows only its own acknowledgments.
 */
export function ackDuePath(conn: ConnectionContext, now: number): MultipathPath | null {
  for (const p of conn.multipath!.all()) {
    if (p.id !== 0 && p.state === 'open' && p.space.tracker.wantsAckNow(now)) return p;
  }
  return null;
}

/**
 * Path 0 was abandoned (RFC 10069 §3.4), its state lingering or forgotten: no packet goes on it
 * any more and its own timers (loss detection, PTO, validation) are stopped; the connection
 * lives on the other paths.
 */
export function pathZeroGone(conn: ConnectionContext): boolean {
  const mp = conn.multipath;
  return mp !== null && mp.enabled && mp.get(0)?.state !== 'open';
}

/**
 * The open path other than 0 a CONNECTION_CLOSE goes on once path 0 is gone (RFC 10069 §2.6:
 * on any open path), a validated one first; null when none is open (then the close is silent:
 * the peer's CIDs of every path are retired, §3.4).
 */
export function closingPath(conn: ConnectionContext): MultipathPath | null {
  let best: MultipathPath | null = null;
  for (const p of conn.multipath!.all()) {
    if (p.id === 0 || p.state !== 'open') continue;
    if (best === null || (p.usable && !best.usable)) best = p;
  }
  return best;
}

/**
 * Path 0 is failing (its PTO expired, RFC 9002 §6.2) while another path works: new data avoids
 * it (what it had in flight went to the others, `reinject`); its probes are bare PINGs.
 */
export function pathZeroHeld(conn: ConnectionContext): boolean {
  const mp = conn.multipath;
  if (mp === null || !mp.enabled) return false;
  const zero = mp.get(0);
  if (zero === undefined || zero.paths.active.sendControl.ptoCount === 0) return false;
  for (const p of mp.all()) {
    if (p.id !== 0 && p.usable && p.paths.active.sendControl.ptoCount === 0) return true;
  }
  return false;
}

/**
 * PATH_ACK frames (§4.1) for path `on` (the packet's path; 0 for none) and for the abandoned
 * paths, which can carry none themselves while their state lasts (§3.4.3). Returns whether any
 * was written.
 */
export function writePathAcks(
  conn: ConnectionContext,
  w: Writer,
  limit: number,
  frames: SentFrameList,
  now: number,
  on: number,
): boolean {
  const mp = conn.multipath;
  if (mp === null || !mp.enabled) return false;
  let wrote = false;
  for (const p of mp.all()) {
    if (p.id === 0 || (p.id !== on && p.state === 'open')) continue;
    const t = p.space.tracker;
    if (!t.hasUnackedAckEliciting()) continue;
    const ack = t.buildAck(now, conn.opts.ackDelayExponent, MAX_ACK_RANGES);
    if (!ack || ack.kind !== 'ack') continue;
    const frame: Frame = {
      kind: 'path_ack',
      pathId: p.id,
      ackDelay: ack.ackDelay,
      ranges: ack.ranges,
      ...(ack.ecn ? { ecn: ack.ecn } : {}),
    };
    if (frameEncodedLength(frame) > limit - w.pos) break;
    encodeFrame(w, frame);
    frames.push({
      k: 'ack',
      space: PnSpace.Application,
      largest: ack.ranges[0]!.largest,
      pathId: p.id,
    });
    t.onAckSent();
    conn.stats.acksSent++;
    wrote = true;
  }
  return wrote;
}

/**
 * One datagram with a 1-RTT packet on path `p` (not path 0): its CID, its packet number, its
 * congestion window; ACKs first, then path frames, and when `withData` (the scheduler chose `p`)
 * control frames and stream data. A packet built for its ACK or its path frames carries no data:
 * the scheduler did not pick the path for data, and an ACK-only packet takes no window (RFC 9002
 * §7: not in flight) whereas data riding along would. `rttProbe`: add a PING to refresh the
 * path's RTT (`rttProbeDue`). Null when nothing could be sent.
 */
export function buildOnPath(
  conn: ConnectionContext,
  p: MultipathPath,
  now: number,
  writers: PathPacketWriters,
  withData: boolean,
  rttProbe = false,
): ReturnType<typeof finishOnPath> | null {
  const keys = conn.keys.oneRtt;
  if (!keys) return null;
  // PATH_RESPONSEs owed on another address pair of the path go there (RFC 9000 §8.2.2).
  const probe = p.paths.probe;
  const path = probe !== null && hasPathFrames(probe) ? probe : p.paths.active;
  const sc = path.sendControl;
  const s = p.space;
  const peerLimit = conn.peerParams?.maxUdpPayloadSize ?? 0;
  const mds = datagramSize(path, conn.opts.pmtud, peerLimit, true, now);
  const amp = path.amplificationAllowance();
  const room = Math.min(s.probes > 0 ? Math.min(mds, conn.opts.pmtud.base) : mds, amp);
  if (room < 64) return null;
  const b = conn.builder;
  const w = b.startDatagram();
  const frames = b.frames;
  frames.length = 0;
  const pn = s.nextPn;
  const pnLen = packetNumberLength(pn, sc.lossDetection.largestAcked(PnSpace.Application));
  const start = w.pos;
  const pnOffset = writeShortHeader(
    w,
    path.dcid.cid,
    pn,
    pnLen,
    keys.sendKeyPhase,
    false,
    conn.quicBit.next(),
  );
  const end = start + room - TAG;
  // ACKs first, never congestion controlled: this path's PATH_ACK, path 0's ACK only when path
  // 0 cannot carry it itself (abandoned).
  const app0 = conn.spaces[PnSpace.Application].tracker;
  if (conn.multipath!.get(0)?.state !== 'open' && app0.hasUnackedAckEliciting()) {
    const ack = app0.buildAck(now, conn.opts.ackDelayExponent, MAX_ACK_RANGES);
    if (ack && ack.kind === 'ack' && frameEncodedLength(ack) <= end - w.pos) {
      encodeFrame(w, ack);
      frames.push({ k: 'ack', space: PnSpace.Application, largest: ack.ranges[0]!.largest });
      app0.onAckSent();
      conn.stats.acksSent++;
    }
  }
  writePathAcks(conn, w, end, frames, now, p.id);
  let eliciting = false;
  const validating = hasPathFrames(path);
  if (!path.validated) {
    // Until the path is validated it carries its PATH_CHALLENGE / PATH_RESPONSE and ACKs only
    // (RFC 10069 §3.1: no data before validation); the peer may not even hold a CID of ours
    // for it yet and drop the packet.
    eliciting = writers.writePathFrames(conn, path, w, end, frames, now);
    // Its PATH_CHALLENGE has its own retry timer (RFC 9000 §8.2.1): no PTO probe of its own.
    if (path === p.paths.active) s.probes = 0;
  } else if (s.probes > 0) {
    // A PTO probe (RFC 9002 §6.2.4) is a PING here: what the path had in flight went back to
    // the queues for the other paths (`reinject`), so a broken path swallows no more data.
    eliciting = writers.writePathFrames(conn, path, w, end, frames, now);
  } else if (!withData) {
    eliciting = writers.writePathFrames(conn, path, w, end, frames, now);
  } else {
    const allowance = sc.sendAllowance(now);
    if (allowance > 0) {
      // RFC 9002 §7: the data stays within what the path's window leaves (a full datagram or
      // more while packets are in flight, SendControl.windowRoom).
      const limit = Math.min(end, start + allowance - TAG);
      eliciting = writers.writeAppFrames(conn, path, w, limit, frames, now);
      eliciting = writers.writeStreams(conn, limit) || eliciting;
    } else if (validating) {
      eliciting = writers.writePathFrames(conn, path, w, end, frames, now);
    }
  }
  if (rttProbe && !eliciting && end - w.pos >= 2) {
    writeRttProbe(conn, w, frames);
    eliciting = true;
  }
  if (path.validated && s.probes > 0 && !eliciting) {
    w.u8(0x01); // PING (RFC 9000 §19.2)
    frames.push(NOTHING);
    eliciting = true;
  }
  if (frames.length === 0) {
    w.pos = start;
    return null;
  }
  let padTo = pnOffset + pnLen + MIN_PN_AND_PAYLOAD;
  // RFC 9000 §8.2.1: a PATH_CHALLENGE or PATH_RESPONSE datagram is expanded to 1200 bytes.
  if (validating || !path.validated)
    padTo = Math.max(padTo, start + Math.min(MIN_PROBE_DATAGRAM, amp) - TAG);
  if (w.pos < padTo) w.zeros(padTo - w.pos);
  w.pos = keys.write.protect(w.buf, start, pnOffset, w.pos, pn, p.id);
  const size = w.pos - start;
  s.nextPn++;
  keys.onPathPacketSent(p.id, pn);
  if (eliciting && s.probes > 0) s.probes--;
  const sent = frames.take();
  path.recordSent(PnSpace.Application, pn, now, size, eliciting, eliciting, sent);
  conn.stats.packetsSent++;
  conn.qlog?.packetSent(conn, PacketType.OneRtt, pn, size, sent, now);
  return finishOnPath(conn, p, path, now);
}

/** Hands out the datagram built on `p`, for the address pair `path`. */
function finishOnPath(conn: ConnectionContext, p: MultipathPath, path: PathState, now: number) {
  const data = conn.builder.finishDatagram();
  const ecn = path.sendControl.ecn.codepoint;
  if (path.onDatagramSent(data.length, now)) conn.onPeerResetTokens();
  p.bytesSent += data.length;
  conn.stats.datagramsSent++;
  conn.stats.bytesSent += data.length;
  conn.qlog?.datagramSent?.(conn, data.length, now);
  conn.resetIdleOnSend(now);
  return { data, remote: path.remote, local: path.local, ecn };
}

/** Whether a path other than 0 owes a PATH_CHALLENGE, PATH_RESPONSE or probe, or frames wait. */
export function multipathHasPendingSend(conn: Pick<ConnectionContext, 'multipath'>): boolean {
  return conn.multipath!.hasPendingFrames || pathOwingFrames(conn) !== null;
}

/**
 * When a packet held back at `now` may go (RFC 9002 §7.7): the earliest pacer release after
 * `now` of path 0 and, with multipath, of the other usable paths; Infinity when only an ACK can
 * open a window. With multipath a path that may send at once does not count: the scheduler held
 * the data back for another (`scheduleData`), and that path's pacer is what to wait for.
 */
export function pacerReleaseTime(
  conn: Pick<ConnectionContext, 'path' | 'multipath'>,
  now: number,
): number {
  const zero = conn.path.sendControl.nextSendTime(now);
  const mp = conn.multipath;
  if (mp === null || !mp.enabled) return zero;
  // An abandoned path 0 sends nothing more: its pacer is no reason to wake up.
  let t = zero > now && mp.get(0)?.state === 'open' ? zero : Infinity;
  for (const p of mp.all()) {
    if (p.id === 0 || !p.usable) continue;
    const release = p.paths.active.sendControl.nextSendTime(now);
    if (release > now && release < t) t = release;
  }
  return t;
}

/**
 * The RTT that sizes our flow-control windows (RFC 9000 §4.2; `RecvWindow.takeUpdate`
 * auto-tunes on it): `path`'s smoothed RTT, or with multipath the largest among the usable
 * paths. The sender's data spreads over all of them, so the window must cover what is in flight
 * on the slowest; tuned on the fastest it stays small and holds the fast path back while the
 * slow one's data is still under way (RFC 10069 §5.5 on reordering).
 */
export function flowControlRtt(conn: ConnectionContext, path: PathState): number {
  let rtt = path.sendControl.rtt.smoothed;
  const mp = conn.multipath;
  if (mp === null || !mp.enabled) return rtt;
  for (const p of mp.all()) {
    if (!p.usable) continue;
    const r = p.paths.active.sendControl.rtt.smoothed;
    if (r > rtt) rtt = r;
  }
  return rtt;
}
