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
import type { Frame } from '../wire/frame-types.js';
import { writeShortHeader } from '../wire/header.js';
import { packetNumberLength } from '../wire/packet-number.js';
import { PacketType } from '../wire/version.js';
import type { ConnectionContext } from './context.js';
import type { MultipathPath } from './multipath.js';
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

/**
 * The path the next datagram goes on (RFC 10069 §5.5: a local decision). First any path that
 * owes a PATH_CHALLENGE, PATH_RESPONSE or PTO probe; then, when there is data, the one the
 * connection's scheduler picks (src/path/schedulers: min-RTT by default; backup paths only while
 * no available path works, §3.3); null when none may send now. Path 0 is returned like any
 * other (the caller builds its packets).
 */
export function choosePath(conn: ConnectionContext, now: number): MultipathPath | null {
  const mp = conn.multipath!;
  const hasData = conn.streams.hasPendingSend || conn.controlFrames.hasPending;
  for (const p of mp.all()) {
    if (p.id === 0 || p.state !== 'open') continue;
    if (hasPathFrames(p.paths.active) || p.space.probes > 0) return p;
  }
  // Nothing but ACKs to send: each path's go on it (`ackDuePath`), not here.
  if (!hasData) return null;
  return mp.schedule(now);
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
 * congestion window; ACKs of every path first, then path frames, control frames and stream data.
 * Null when nothing could be sent.
 */
export function buildOnPath(
  conn: ConnectionContext,
  p: MultipathPath,
  now: number,
  writers: PathPacketWriters,
): ReturnType<typeof finishOnPath> | null {
  const keys = conn.keys.oneRtt;
  if (!keys) return null;
  const path = p.paths.active;
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
    s.probes = 0;
  } else if (s.probes > 0) {
    // A PTO probe (RFC 9002 §6.2.4) is a PING here: what the path had in flight went back to
    // the queues for the other paths (`reinject`), so a broken path swallows no more data.
    eliciting = writers.writePathFrames(conn, path, w, end, frames, now);
  } else if (sc.sendAllowance(now) > 0 || validating) {
    eliciting = writers.writeAppFrames(conn, path, w, end, frames, now) || eliciting;
    eliciting = writers.writeStreams(conn, end) || eliciting;
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
    padTo = Math.max(padTo, Math.min(MIN_PROBE_DATAGRAM, amp) - TAG);
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
  return finishOnPath(conn, p, now);
}

/** Hands out the datagram built on `p`. */
function finishOnPath(conn: ConnectionContext, p: MultipathPath, now: number) {
  const path = p.paths.active;
  const data = conn.builder.finishDatagram();
  const ecn = path.sendControl.ecn.codepoint;
  path.onDatagramSent(data.length, now);
  p.bytesSent += data.length;
  conn.stats.datagramsSent++;
  conn.stats.bytesSent += data.length;
  conn.qlog?.datagramSent?.(conn, data.length, now);
  conn.resetIdleOnSend(now);
  return { data, remote: path.remote, local: path.local, ecn };
}

/** Whether a path other than 0 owes a PATH_CHALLENGE, PATH_RESPONSE or probe, or frames wait. */
export function multipathHasPendingSend(conn: Pick<ConnectionContext, 'multipath'>): boolean {
  const mp = conn.multipath!;
  if (mp.hasPendingFrames) return true;
  for (const p of mp.all()) {
    if (p.id === 0 || p.state !== 'open') continue;
    if (hasPathFrames(p.paths.active) || p.space.probes > 0) return true;
  }
  return false;
}

/** The earliest time the pacer of a usable path other than 0 lets a packet go. */
export function multipathSendTime(conn: Pick<ConnectionContext, 'multipath'>, now: number): number {
  const mp = conn.multipath;
  if (mp === null || !mp.enabled) return Infinity;
  let t = Infinity;
  for (const p of mp.all()) {
    if (p.id === 0 || !p.usable) continue;
    t = Math.min(t, p.paths.active.sendControl.nextSendTime(now));
  }
  return t;
}
