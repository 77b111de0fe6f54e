/**
 * Packet assembly: one datagram per call, coalescing Initial, Handshake and 1-RTT (or 0-RTT)
 * packets (RFC 9000 §12.2), with ACK frames first, then CRYPTO, control frames, DATAGRAMs and
 * STREAM data in priority order, within the congestion window, the pacer and the
 * anti-amplification budget. Packets are written straight into the datagram they are sent in
 * and protected in place, in the slab of the connection's PacketBuilder (packet-builder.ts). The
 * returned bytes are never written again (the caller owns them).
 */
import { PnSpace } from '../ack/pn-space.js';
import type { OutgoingDatagram } from './ahead-queue.js';
import { Writer } from '../util/cursor.js';
import {
  cryptoFrameDataCapacity,
  encodeCryptoFrameHeader,
  encodeFrame,
  encodeStreamFrameHeader,
  frameEncodedLength,
  streamFrameDataCapacity,
} from '../wire/frame-encode.js';
import { FrameType, type AckFrame, type Frame } from '../wire/frame-types.js';
import { writeLengthField, writeLongHeader, writeShortHeader } from '../wire/header.js';
import { packetNumberLength } from '../wire/packet-number.js';
import { PacketType } from '../wire/version.js';
import type { ConnectionContext } from './context.js';
import { reasonBytes, type CloseInfo } from './state.js';
import type { PathState } from './path-state.js';
import { hasPathFrames } from './path-set.js';
import type { SentFrame } from './sent-frames.js';
import { NOTHING, SentFrameList } from './sent-frames.js';
import type { DatagramBudget, HeaderOffsets, PacketBuilder } from './packet-builder.js';
import { requeueOutstandingCrypto } from './retransmit.js';
import { datagramSize } from './path-mtu.js';
import {
  ackDuePath,
  buildOnPath,
  flowControlRtt,
  pathOwingFrames,
  rttProbeDue,
  writeRttProbe,
  scheduleData,
  WAIT,
  pathZeroHeld,
  pathZeroGone,
  closingPath,
  multipathAckDue,
  writePathAcks,
  type PathPacketWriters,
} from './multipath-send.js';

export type { OutgoingDatagram } from './ahead-queue.js';

/** RFC 9000 §14.1: datagrams with client Initials (and ack-eliciting server Initials). */
const MIN_INITIAL_DATAGRAM = 1200;
const TAG = 16;
/** A packet's header protection sample needs pn + payload >= 4 bytes (RFC 9001 §5.4.2). */
const MIN_PN_AND_PAYLOAD = 4;
/** Keep ACK frames small: ranges beyond these are old news (RFC 9000 §13.2.4). */
const MAX_ACK_RANGES = 32;

/**
 * The next datagram to send, or null when nothing can be sent now. With none assembled ahead,
 * assembles as many as the connection can send at `now` (up to a batch, ahead-queue.ts),
 * protects their 1-RTT packets in one batch and hands out the first; the following calls hand
 * out the rest in order.
 */
export function nextDatagram(conn: ConnectionContext, now: number): OutgoingDatagram | null {
  const builder = conn.builder;
  const ahead = builder.ahead;
  const ready = ahead.shift();
  if (ready !== null) {
    builder.handedOut();
    return ready;
  }
  builder.rewindIfReleased();
  try {
    for (;;) {
      const d = buildDatagram(conn, now);
      if (d === null) break;
      ahead.push(d);
      if (ahead.full) break;
    }
  } finally {
    // Also after an exception: whatever was assembled before it leaves protected.
    ahead.seal();
  }
  const first = ahead.shift();
  if (first !== null) builder.handedOut();
  return first;
}

function buildDatagram(conn: ConnectionContext, now: number): OutgoingDatagram | null {
  const mp = conn.multipath;
  let dataWaits = false;
  let probeZero = false;
  if (mp !== null && mp.enabled && conn.state !== 'closing' && conn.handshakeConfirmed) {
    // Multipath (RFC 10069): path frames first, then the scheduler picks the path for data;
    // path 0 is built below, without data when the scheduler holds it back for another path.
    const owing = pathOwingFrames(conn);
    if (owing !== null) {
      const d = buildOnPath(conn, owing, now, PATH_WRITERS, false);
      if (d) return d;
    }
    const p = scheduleData(conn, now);
    // While data flows, a path left aside gets its RTT refreshed now and then (rttProbeDue).
    const stale = p === null ? null : rttProbeDue(conn, now);
    if (stale !== null && stale !== p) {
      if (stale.id === 0) probeZero = true;
      else {
        const d = buildOnPath(conn, stale, now, PATH_WRITERS, false, true);
        if (d) return d;
      }
    }
    if (p === WAIT) dataWaits = true;
    else if (p !== null && p.id !== 0) {
      const d = buildOnPath(conn, p, now, PATH_WRITERS, true);
      if (d) return d;
    }
    const ackPath = ackDuePath(conn, now);
    if (ackPath !== null) {
      const d = buildOnPath(conn, ackPath, now, PATH_WRITERS, false);
      if (d) return d;
    }
    // Path 0 abandoned (RFC 10069 §3.4): nothing more goes on it; its ACKs take another path
    // (data went above, where the scheduler put it).
    if (mp.get(0)?.state !== 'open') {
      for (const q of mp.all()) {
        if (q.id === 0 || !q.usable) continue;
        const d = buildOnPath(conn, q, now, PATH_WRITERS, false);
        if (d) return d;
      }
      return null;
    }
  }
  // Path 0 abandoned (RFC 10069 §3.4): the CONNECTION_CLOSE goes on another open path too.
  if (conn.state === 'closing' && pathZeroGone(conn)) return buildCloseOnPath(conn, now);
  const probe = conn.paths.probe;
  if (probe && conn.state !== 'closing' && hasPathFrames(probe)) {
    const d = buildPathProbe(conn, probe, now);
    if (d) return d;
  }
  const path = conn.path;
  const sc = path.sendControl;
  const s = conn.builder;
  const oldMds = sc.maxDatagramSize;
  const peerLimit = conn.peerParams?.maxUdpPayloadSize ?? 0;
  const mds = datagramSize(path, conn.opts.pmtud, peerLimit, conn.handshakeConfirmed, now);
  if (mds !== oldMds)
    conn.qlog?.mtuUpdated?.(conn, oldMds, mds, path.pmtud?.phase !== 'searching', now);
  const amp = path.amplificationAllowance();
  // PTO probes go at the base size: they get through a PMTU black hole, and their
  // acknowledgment is what reveals it (RFC 8899 §4.3, path/pmtud.ts).
  const pto = conn.spaces[PnSpace.Application].probes > 0;
  const room = Math.min(pto ? Math.min(mds, conn.opts.pmtud.base) : mds, amp);
  if (room < 64) return null;

  if (conn.state === 'closing') {
    if (!conn.lifecycle.takeCloseResend()) return null;
    buildClose(conn, s, room, now);
    return finish(conn, path, s, now);
  }

  maybeUpdateKeys(conn, now);
  // A client issues its CIDs once the server is authenticated (handshake complete); a server
  // once the handshake is confirmed, not to an unauthenticated client in 0.5-RTT.
  if (conn.peerParams && (conn.handshakeConfirmed || (conn.isClient && conn.handshakeComplete))) {
    conn.controlFrames.announceCids(conn.localCids.pending);
  }
  if (conn.peerParams && conn.handshakeConfirmed) requestAckFrequency(conn, now);

  // Multipath: a failing path 0 gets no new data while another path works (its probes go), nor
  // data the scheduler keeps for another path.
  const held = dataWaits || pathZeroHeld(conn);
  const budget = s.budget;
  budget.room = room;
  budget.cwnd = held ? 0 : sc.sendAllowance(now);
  budget.rttProbe = probeZero;
  if (conn.handshakeConfirmed && conn.keys.oneRtt && budget.cwnd > 0 && !pto && path.pmtud) {
    const size = path.pmtud.probeSize(now);
    // The probe counts in flight, so the window must hold it (RFC 9002 §7).
    if (size > 0 && size <= amp && size <= budget.cwnd) return buildMtuProbe(conn, path, size, now);
  }
  const client = conn.isClient;
  let hasInitial = false;
  let initialEliciting = false;
  let last = -1;
  // Bit `sp` set: space `sp` has something to send.
  let wants = 0;
  for (let sp = 0; sp < 3; sp++) {
    const probe = budget.rttProbe && sp === PnSpace.Application;
    if (probe || spaceWantsToSend(conn, sp as PnSpace, now, budget.cwnd > 0)) {
      wants |= 1 << sp;
      last = sp;
    }
  }
  if (last < 0) {
    sc.setAppLimited(budget.cwnd > 0);
    return null;
  }
  const w = s.startDatagram();
  const datagramStart = w.pos;
  if ((wants & (1 << PnSpace.Initial)) !== 0) {
    hasInitial = true;
    const is = conn.spaces[PnSpace.Initial];
    initialEliciting = is.hasCryptoToSend || is.probes > 0;
  }
  const padDatagram = hasInitial && (client || initialEliciting);
  for (let sp = 0; sp < 3; sp++) {
    if ((wants & (1 << sp)) === 0) continue;
    const padTo = sp === last && padDatagram ? datagramStart + MIN_INITIAL_DATAGRAM : 0;
    buildPacket(conn, path, sp as PnSpace, s, budget, padTo, now);
    // RFC 9001 §4.9.1: a client drops Initial keys once it sends a Handshake packet.
    if (
      sp === PnSpace.Handshake &&
      client &&
      !conn.spaces[PnSpace.Initial].discarded &&
      w.pos > datagramStart
    ) {
      conn.discardSpace(PnSpace.Initial, now);
    }
  }
  if (w.pos === datagramStart) return null;
  sc.setAppLimited(budget.cwnd > 0 && !conn.hasPendingSend());
  return finish(conn, path, s, now);
}

/** Hands out the datagram written in the slab; the slab's next datagram starts after it. */
function finish(
  conn: ConnectionContext,
  path: PathState,
  s: PacketBuilder,
  now: number,
): OutgoingDatagram {
  const data = s.finishDatagram();
  // Read before onDatagramSent: the testing period may end with this datagram.
  const ecn = path.sendControl.ecn.codepoint;
  if (path.onDatagramSent(data.length, now)) conn.onPeerResetTokens();
  conn.stats.datagramsSent++;
  conn.stats.bytesSent += data.length;
  conn.qlog?.datagramSent?.(conn, data.length, now);
  conn.resetIdleOnSend(now);
  return { data, remote: path.remote, local: path.local, ecn };
}

function spaceWantsToSend(
  conn: ConnectionContext,
  space: PnSpace,
  now: number,
  cwndOpen: boolean,
): boolean {
  const s = conn.spaces[space];
  if (s.discarded || !conn.keys.sealer(space)) return false;
  if (s.tracker.wantsAckNow(now)) return true;
  if (space === PnSpace.Application && multipathAckDue(conn, now)) return true;
  if (!cwndOpen && s.probes === 0) return false;
  if (s.probes > 0 || s.hasCryptoToSend) return true;
  if (space !== PnSpace.Application) return false;
  if (conn.controlFrames.hasPending) return true;
  if (hasPathFrames(conn.path)) return true;
  return conn.streams.hasPendingSend;
}

/**
 * Initiates a key update when asked, when the key has sealed enough packets (RFC 9001 §6), or
 * for the first one, when `keyUpdateAfterBytes` have been exchanged.
 */
function maybeUpdateKeys(conn: ConnectionContext, now: number): void {
  const k = conn.keys.oneRtt;
  if (!k || !conn.handshakeConfirmed) return;
  const after = conn.opts.keyUpdateAfterBytes;
  const due =
    k.write.sealedPackets >= conn.opts.keyUpdateInterval ||
    (after > 0 && k.updates === 0 && conn.stats.bytesSent + conn.stats.bytesReceived >= after);
  if (conn.keys.maybeInitiateUpdate(due)) conn.qlog?.keyUpdated(conn, 'local_update', now);
}

/**
 * Writes a packet header for `space`; returns the offsets needed to finish the packet, valid
 * until the next call (assembly is synchronous and finishes each packet before the next).
 */
function writeHeader(
  conn: ConnectionContext,
  path: PathState,
  space: PnSpace,
  b: PacketBuilder,
  pn: number,
  pnLen: 1 | 2 | 3 | 4,
): HeaderOffsets {
  const w = b.w;
  const h = b.header;
  h.start = w.pos;
  const dcid = path.dcid.cid;
  if (space === PnSpace.Application && (conn.keys.oneRtt || !conn.isClient)) {
    h.pnOffset = writeShortHeader(
      w,
      dcid,
      pn,
      pnLen,
      conn.keys.oneRtt?.sendKeyPhase ?? false,
      false,
      conn.quicBit.next(),
    );
    h.lengthOffset = -1;
    h.type = PacketType.OneRtt;
    return h;
  }
  const scid = conn.localCids.all()[0]?.cid ?? new Uint8Array(0);
  const type =
    space === PnSpace.Initial
      ? PacketType.Initial
      : space === PnSpace.Handshake
        ? PacketType.Handshake
        : PacketType.ZeroRtt;
  const o = writeLongHeader(w, {
    version: conn.version,
    type,
    dcid,
    scid,
    ...(type === PacketType.Initial
      ? { token: conn.isClient ? conn.token : new Uint8Array(0) }
      : {}),
    packetNumber: pn,
    packetNumberLength: pnLen,
    fixedBit: conn.quicBit.next(),
  });
  h.lengthOffset = o.lengthOffset;
  h.pnOffset = o.pnOffset;
  h.type = type;
  return h;
}

/**
 * Writes one packet of `space` at the writer's position. `padTo`: where in `scratch.w.buf` the
 * packet's padding must reach (the end of a padded Initial datagram), 0 for none.
 */
function buildPacket(
  conn: ConnectionContext,
  path: PathState,
  space: PnSpace,
  scratch: PacketBuilder,
  budget: DatagramBudget,
  padTo: number,
  now: number,
): void {
  const w = scratch.w;
  const s = conn.spaces[space];
  const keys = conn.keys.sealer(space)!;
  const sc = path.sendControl;
  const pn = s.nextPn;
  const pnLen = packetNumberLength(pn, sc.lossDetection.largestAcked(space));
  const h = writeHeader(conn, path, space, scratch, pn, pnLen);
  // `budget.room` is what is left of the datagram from this packet's start; the payload must
  // leave room for the tag within it.
  const end = h.start + budget.room - TAG;
  if (end - w.pos < 8) {
    w.pos = h.start;
    return;
  }
  const frames = scratch.frames;
  frames.length = 0;
  let eliciting = false;
  let inFlight = false;

  // ACK first (RFC 9000 §13.2.1): it is never congestion controlled. Only ack-eliciting packets
  // are acknowledged: a peer sending ACK-only packets elicits an ACK of them now and then
  // (`elicitAckOfAcks`), so acknowledging each one in every data packet is work for nothing.
  if (s.tracker.hasUnackedAckEliciting()) {
    const ack = s.tracker.buildAck(now, ackDelayExponent(conn, space), MAX_ACK_RANGES);
    if (ack && frameEncodedLength(ack) <= end - w.pos) {
      encodeFrame(w, ack);
      frames.push({ k: 'ack', space, largest: (ack as AckFrame).ranges[0]!.largest });
      s.tracker.onAckSent();
      conn.stats.acksSent++;
    }
  }
  // Multipath: the PATH_ACKs of the other paths ride along (RFC 10069 §3.1).
  if (h.type === PacketType.OneRtt) writePathAcks(conn, w, end, frames, now, 0);

  const cwndOpen = budget.cwnd > 0 || s.probes > 0;
  if (cwndOpen) {
    // RFC 9002 §7: no packet may take bytes in flight above the window, save PTO probes (whose
    // allowance is a full datagram, SendControl.sendAllowance) and the packet entering recovery
    // (sent on that allowance too). The allowance is at least a full datagram whenever it is
    // open with packets in flight (SendControl.windowRoom), so this bound rarely shortens one.
    const limit = s.probes > 0 ? end : Math.min(end, h.start + budget.cwnd - TAG);
    if (space === PnSpace.Application && h.type === PacketType.OneRtt) {
      eliciting = writeAppFrames(conn, path, w, limit, frames, now) || eliciting;
    }
    // Every probe in Initial or Handshake carries the unacknowledged CRYPTO data, not only the
    // first with a bare PING after it (RFC 9002 §6.2.4): any one of them may be the one that
    // arrives, and a server may close a new connection whose first Initial has no CRYPTO frame
    // (aioquic does).
    if (s.probes > 0 && space !== PnSpace.Application && !s.hasCryptoToSend) {
      requeueOutstandingCrypto(conn, space);
    }
    eliciting = writeCrypto(conn, space, scratch, limit) || eliciting;
    if (space === PnSpace.Application && h.type === PacketType.OneRtt && !pathZeroHeld(conn)) {
      eliciting = writeStreams(conn, scratch, limit) || eliciting;
    } else if (h.type === PacketType.ZeroRtt && writeStreams(conn, scratch, limit)) {
      eliciting = true;
      conn.stats.earlyStreamDataSent = true;
    }
    // draft-ietf-quic-ack-frequency-12 §7: a PTO probe asks to be acknowledged at once.
    if (
      s.probes > 0 &&
      h.type === PacketType.OneRtt &&
      conn.ackFrequency.peerSupports &&
      end > w.pos
    ) {
      w.u8(FrameType.IMMEDIATE_ACK);
      frames.push(NOTHING);
      eliciting = true;
      conn.ackFrequency.immediateAcksSent++;
    }
    if (
      !eliciting &&
      (s.probes > 0 ||
        (space === PnSpace.Application &&
          (conn.controlFrames.pingPending || elicitAckOfAcks(conn, scratch, now))))
    ) {
      w.u8(0x01); // PING (RFC 9000 §19.2)
      frames.push(NOTHING);
      eliciting = true;
      if (space === PnSpace.Application) conn.controlFrames.pingSent();
    }
  }
  if (budget.rttProbe && h.type === PacketType.OneRtt && !eliciting && end - w.pos >= 2) {
    writeRttProbe(conn, w, frames);
    eliciting = true;
    budget.rttProbe = false;
  }
  if (frames.length === 0) {
    w.pos = h.start;
    return;
  }
  // PADDING: to fill the datagram (Initial rule) and to give header protection its sample.
  let pad = Math.max(0, h.pnOffset + pnLen + MIN_PN_AND_PAYLOAD - w.pos);
  if (padTo > 0) pad = Math.max(pad, Math.min(end, padTo - TAG) - w.pos);
  if (pad > 0) {
    w.zeros(pad);
    inFlight = true;
  }
  if (eliciting) inFlight = true;
  const payloadEnd = w.pos;
  if (h.lengthOffset >= 0)
    writeLengthField(w.buf, h.lengthOffset, 2, payloadEnd + TAG - h.pnOffset);
  // 1-RTT packets, the bulk of a transfer, are protected in batches before their datagrams
  // leave (ahead-queue.ts); the others here and now.
  w.pos =
    h.type === PacketType.OneRtt
      ? scratch.deferProtection(keys, h.start, h.pnOffset, payloadEnd, pn)
      : keys.protect(w.buf, h.start, h.pnOffset, payloadEnd, pn);
  const size = w.pos - h.start;
  s.nextPn++;
  if (eliciting && s.probes > 0) s.probes--;
  if (space === PnSpace.Application) scratch.ackOnlyRun = eliciting ? 0 : scratch.ackOnlyRun + 1;
  budget.room -= size;
  if (inFlight) budget.cwnd = Math.max(0, budget.cwnd - size);
  const sent = frames.take();
  path.recordSent(space, pn, now, size, eliciting, inFlight, sent);
  if (h.type === PacketType.OneRtt) {
    conn.keys.onOneRttSent(pn);
  }
  conn.stats.packetsSent++;
  conn.qlog?.packetSent(conn, h.type, pn, size, sent, now);
}

/**
 * RFC 9000 §13.2.4: an endpoint that sends only ACK frames (a data receiver) never sees them
 * acknowledged, so it would keep repeating old ranges; about once per round trip such a packet
 * carries a PING, whose acknowledgment lets the tracker drop what the peer has seen
 * (`onAckAcked`). A single ACK-only packet, as after a handshake, elicits nothing.
 */
function elicitAckOfAcks(conn: ConnectionContext, scratch: PacketBuilder, now: number): boolean {
  if (scratch.frames.length === 0 || scratch.ackOnlyRun < 2) return false;
  const sc = conn.path.sendControl;
  return now - sc.lossDetection.lastAckElicitingSent(PnSpace.Application) >= sc.rtt.smoothed;
}

/** Queues an ACK_FREQUENCY request when the window or RTT moved enough (ack-frequency.ts). */
function requestAckFrequency(conn: ConnectionContext, now: number): void {
  const af = conn.ackFrequency;
  if (!af.peerSupports) return;
  const sc = conn.path.sendControl;
  const frame = af.poll(
    { cwnd: sc.cwnd, maxDatagramSize: sc.maxDatagramSize, srtt: sc.rtt.smoothed },
    now,
  );
  if (frame !== null) conn.controlFrames.queue(frame);
}

/** Initial and Handshake ACK delays use exponent 3 (RFC 9000 §19.3). */
function ackDelayExponent(conn: ConnectionContext, space: PnSpace): number {
  return space === PnSpace.Application ? conn.opts.ackDelayExponent : 3;
}

function writeCrypto(
  conn: ConnectionContext,
  space: PnSpace,
  scratch: PacketBuilder,
  limit: number,
): boolean {
  const { w, frames, chunk } = scratch;
  const s = conn.spaces[space];
  // Most Application spaces never carry CRYPTO data: do not make their buffer for nothing.
  if (!s.hasCryptoToSend) return false;
  const buf = s.cryptoSend;
  let wrote = false;
  for (;;) {
    const offset = buf.nextOffset(Infinity);
    if (offset < 0) break;
    const cap = cryptoFrameDataCapacity(offset, limit - w.pos);
    if (cap <= 0) break;
    if (!buf.nextRange(cap, Infinity, chunk)) break;
    encodeCryptoFrameHeader(w, chunk.offset, chunk.length);
    buf.copyOut(chunk.offset, chunk.length, w.buf, w.pos);
    w.pos += chunk.length;
    frames.push({ k: 'crypto', space, offset: chunk.offset, length: chunk.length });
    wrote = true;
  }
  return wrote;
}

/** Control frames, path frames and DATAGRAMs of a 1-RTT packet. Returns whether any was written. */
export function writeAppFrames(
  conn: ConnectionContext,
  path: PathState,
  w: Writer,
  limit: number,
  frames: SentFrameList,
  now: number,
): boolean {
  let wrote = conn.controlFrames.writeControl(w, limit, frames);
  wrote = writePathFrames(conn, path, w, limit, frames, now) || wrote;
  const rtt = flowControlRtt(conn, path);
  for (;;) {
    const f = conn.streams.pollControlFrame(limit - w.pos, now, rtt);
    if (!f) break;
    encodeFrame(w, f as Frame);
    frames.push({ k: 'stream_control', frame: f });
    wrote = true;
  }
  const maxDatagram = path.sendControl.maxDatagramSize;
  if (conn.controlFrames.writeDatagrams(w, limit, frames, maxDatagram)) wrote = true;
  return wrote;
}

/** The PATH_RESPONSEs and PATH_CHALLENGE `path` owes (RFC 9000 §8.2). Returns whether any went. */
export function writePathFrames(
  conn: ConnectionContext,
  path: PathState,
  w: Writer,
  limit: number,
  frames: SentFrameList,
  now: number,
): boolean {
  let wrote = false;
  while (path.responses.length > 0 && 9 <= limit - w.pos) {
    const frame: Frame = { kind: 'path_response', data: path.responses.shift()! };
    encodeFrame(w, frame);
    frames.push({ k: 'once', frame });
    wrote = true;
  }
  if (path.challenge && !path.challengeSent && 9 <= limit - w.pos) {
    const frame: Frame = { kind: 'path_challenge', data: path.challenge };
    encodeFrame(w, frame);
    path.onChallengeSent(now, conn.ptoPeriod());
    frames.push({ k: 'once', frame });
    wrote = true;
  }
  return wrote;
}

function writeStreams(conn: ConnectionContext, scratch: PacketBuilder, limit: number): boolean {
  const { w, frames, chunk } = scratch;
  let wrote = false;
  // A STREAM frame header is at most 1 + 8 + 8 + 2 bytes here; stop when little room is left.
  while (limit - w.pos > 24) {
    if (!conn.streams.pollStreamData(limit - w.pos, chunk)) break;
    const id = chunk.streamId;
    const cap = streamFrameDataCapacity(id, chunk.offset, limit - w.pos, true);
    if (cap < chunk.length) {
      // The map sized the frame with its own header estimate; this cannot happen, but never
      // overrun the packet: hand the range back as lost so it is sent again.
      conn.streams.onStreamDataLost(id, chunk.offset, chunk.length, chunk.fin);
      break;
    }
    encodeStreamFrameHeader(w, id, chunk.offset, chunk.length, chunk.fin, true);
    chunk.stream!.copyOut(chunk.offset, chunk.length, w.buf, w.pos);
    w.pos += chunk.length;
    frames.push({
      k: 'stream',
      streamId: id,
      offset: chunk.offset,
      length: chunk.length,
      fin: chunk.fin,
    });
    conn.stats.streamBytesSent += chunk.length;
    wrote = true;
  }
  return wrote;
}

/** CONNECTION_CLOSE in every space the peer may be able to read (RFC 9000 §10.2.3). */
function buildClose(conn: ConnectionContext, b: PacketBuilder, room: number, now: number): void {
  const w = b.startDatagram();
  const datagramStart = w.pos;
  const info = conn.closeInfo!;
  const reason = reasonBytes(info);
  const spaces: PnSpace[] = [];
  if (!conn.handshakeConfirmed) {
    if (!conn.spaces[PnSpace.Initial].discarded && conn.keys.sealer(PnSpace.Initial))
      spaces.push(PnSpace.Initial);
    if (!conn.spaces[PnSpace.Handshake].discarded && conn.keys.sealer(PnSpace.Handshake))
      spaces.push(PnSpace.Handshake);
  }
  if (conn.keys.oneRtt) spaces.push(PnSpace.Application);
  for (const space of spaces) {
    const s = conn.spaces[space];
    const keys = conn.keys.sealer(space)!;
    const pn = s.nextPn++;
    const h = writeHeader(conn, conn.path, space, b, pn, 4);
    const frame = closeFrame(info, reason, space);
    if (frameEncodedLength(frame) + (w.pos - datagramStart) + TAG > room) {
      w.pos = h.start;
      break;
    }
    encodeFrame(w, frame);
    const need = h.pnOffset + 4 + MIN_PN_AND_PAYLOAD - w.pos;
    if (need > 0) w.zeros(need);
    if (h.lengthOffset >= 0) writeLengthField(w.buf, h.lengthOffset, 2, w.pos + TAG - h.pnOffset);
    w.pos = keys.protect(w.buf, h.start, h.pnOffset, w.pos, pn);
    conn.qlog?.packetSent(conn, h.type, pn, w.pos - h.start, [{ k: 'once', frame }], now);
  }
  // Client Initials must still be padded (RFC 9000 §14.1).
  if (
    conn.isClient &&
    spaces[0] === PnSpace.Initial &&
    w.pos - datagramStart < MIN_INITIAL_DATAGRAM
  ) {
    // Padding after the last packet would not be inside any packet; accept a small datagram
    // here: servers drop too-small Initials only when creating state, and this one is closing.
  }
}

/** The CONNECTION_CLOSE frame for `info` in a packet of `space`. */
function closeFrame(info: CloseInfo, reason: Uint8Array, space: PnSpace): Frame {
  // An application close is only for 1-RTT; before that it becomes APPLICATION_ERROR
  // without a reason (RFC 9000 §10.2.3).
  const app = info.application && space === PnSpace.Application;
  return {
    kind: 'connection_close',
    application: app,
    errorCode: info.application && !app ? 0x0c : info.errorCode,
    frameType: info.frameType ?? 0,
    reason: info.application && !app ? new Uint8Array(0) : reason,
  };
}

/**
 * Closing with path 0 abandoned (RFC 10069 §3.4: no packet on it any more): the
 * CONNECTION_CLOSE goes in a 1-RTT packet of another open path, with its CID, packet number
 * and nonce (§2.6: on any open path); with no open path the close is silent.
 */
function buildCloseOnPath(conn: ConnectionContext, now: number): OutgoingDatagram | null {
  const p = closingPath(conn);
  const phases = conn.keys.oneRtt;
  if (p === null || phases === null) return null;
  const path = p.paths.active;
  const room = Math.min(path.sendControl.maxDatagramSize, path.amplificationAllowance());
  const frame = closeFrame(conn.closeInfo!, reasonBytes(conn.closeInfo!), PnSpace.Application);
  // Short header (at most 1 + 20 + 4 bytes) and the AEAD tag around the frame.
  if (25 + frameEncodedLength(frame) + TAG > room || !conn.lifecycle.takeCloseResend()) return null;
  const b = conn.builder;
  const w = b.startDatagram();
  const pn = p.space.nextPn++;
  const start = w.pos;
  const pnOffset = writeShortHeader(
    w,
    path.dcid.cid,
    pn,
    4,
    phases.sendKeyPhase,
    false,
    conn.quicBit.next(),
  );
  encodeFrame(w, frame);
  const need = pnOffset + 4 + MIN_PN_AND_PAYLOAD - w.pos;
  if (need > 0) w.zeros(need);
  w.pos = phases.write.protect(w.buf, start, pnOffset, w.pos, pn, p.id);
  phases.onPathPacketSent(p.id, pn);
  conn.qlog?.packetSent(conn, PacketType.OneRtt, pn, w.pos - start, [{ k: 'once', frame }], now);
  const d = finish(conn, path, b, now);
  p.bytesSent += d.data.length;
  return d;
}

/** A datagram on a path being validated: PATH_RESPONSE / PATH_CHALLENGE, padded (§8.2.1). */
function buildPathProbe(
  conn: ConnectionContext,
  probe: PathState,
  now: number,
): OutgoingDatagram | null {
  const phases = conn.keys.oneRtt;
  if (!phases) return null;
  const s = conn.builder;
  const w = s.startDatagram();
  const app = conn.spaces[PnSpace.Application];
  const keys = phases.write;
  const pn = app.nextPn;
  const pnLen = packetNumberLength(
    pn,
    probe.sendControl.lossDetection.largestAcked(PnSpace.Application),
  );
  const start = w.pos;
  const pnOffset = writeShortHeader(
    w,
    probe.dcid.cid,
    pn,
    pnLen,
    phases.sendKeyPhase,
    false,
    conn.quicBit.next(),
  );
  const frames: SentFrame[] = [];
  while (probe.responses.length > 0) {
    const frame: Frame = { kind: 'path_response', data: probe.responses.shift()! };
    encodeFrame(w, frame);
    frames.push({ k: 'once', frame });
  }
  if (probe.challenge && !probe.challengeSent) {
    const frame: Frame = { kind: 'path_challenge', data: probe.challenge };
    encodeFrame(w, frame);
    probe.onChallengeSent(now, conn.ptoPeriod());
    frames.push({ k: 'once', frame });
  }
  // RFC 9000 §8.2.1: expand to 1200 bytes unless the amplification limit forbids it.
  const target = start + Math.min(MIN_INITIAL_DATAGRAM, probe.amplificationAllowance()) - TAG;
  if (w.pos < target) w.zeros(target - w.pos);
  if (w.pos - pnOffset < MIN_PN_AND_PAYLOAD) w.zeros(MIN_PN_AND_PAYLOAD - (w.pos - pnOffset));
  w.pos = keys.protect(w.buf, start, pnOffset, w.pos, pn);
  app.nextPn++;
  conn.keys.onOneRttSent(pn);
  // Recorded without counting in flight: the challenge has its own timer (RFC 9000 §8.2.4).
  probe.recordSent(PnSpace.Application, pn, now, w.pos - start, false, false, frames);
  conn.qlog?.packetSent(conn, PacketType.OneRtt, pn, w.pos - start, frames, now);
  return finish(conn, probe, s, now);
}

/**
 * A PMTU probe of exactly `size` bytes: one 1-RTT packet of PING and PADDING (RFC 9000 §14.4,
 * RFC 8899 §4.1 "probing using padding data"), alone in its datagram. It counts in flight, but
 * its loss is no congestion signal (SentPacket.pmtuProbe).
 */
function buildMtuProbe(
  conn: ConnectionContext,
  path: PathState,
  size: number,
  now: number,
): OutgoingDatagram {
  const s = conn.builder;
  s.startDatagram();
  const w = s.w;
  const app = conn.spaces[PnSpace.Application];
  const keys = conn.keys.oneRtt!.write;
  const pn = app.nextPn;
  const pnLen = packetNumberLength(
    pn,
    path.sendControl.lossDetection.largestAcked(PnSpace.Application),
  );
  const h = writeHeader(conn, path, PnSpace.Application, s, pn, pnLen);
  w.u8(0x01); // PING (RFC 9000 §19.2)
  w.zeros(h.start + size - TAG - w.pos);
  w.pos = keys.protect(w.buf, h.start, h.pnOffset, w.pos, pn);
  app.nextPn++;
  conn.keys.onOneRttSent(pn);
  const frames = [NOTHING];
  path.recordSent(PnSpace.Application, pn, now, w.pos - h.start, true, true, frames, true);
  path.pmtud!.onProbeSent(pn, w.pos - h.start);
  conn.stats.packetsSent++;
  conn.qlog?.packetSent(conn, PacketType.OneRtt, pn, size, frames, now);
  return finish(conn, path, s, now);
}

/** The frame writers packets on other paths share with path 0 (multipath-send.ts). */
const PATH_WRITERS: PathPacketWriters = {
  writeAppFrames,
  writePathFrames,
  writeStreams: (conn, limit) => writeStreams(conn, conn.builder, limit),
};
