/**
 * The receive pipeline of a connection: a datagram is split into its coalesced packets
 * (RFC 9000 §12.2); each packet's header protection is removed, its packet number expanded,
 * its payload decrypted with the keys of its space and key phase (RFC 9001 §5, §6), and its
 * frames checked against the packet type (§12.4) and dispatched (frames.ts).
 */
import { PnSpace, type Ecn } from '../ack/pn-space.js';
import type { PacketProtector } from '../crypto/packet-protection.js';
import { verifyRetryIntegrity } from '../crypto/retry.js';
import { bytesEqual } from '../util/bytes.js';
import { sameAddress, type SocketAddress } from '../util/address.js';
import { QuicError, TransportError } from '../wire/errors.js';
import {
  decodeVersionNegotiation,
  parseLongHeader,
  shortHeaderPnOffset,
  splitCoalesced,
  type RetryHeader,
} from '../wire/header.js';
import { decodePacketNumber } from '../wire/packet-number.js';
import { PacketType } from '../wire/version.js';
import { createInitialProtectors } from '../crypto/initial.js';
import { areCompatible } from './version-negotiation.js';
import { decodeFrame } from '../wire/frames.js';
import { frameAllowedIn, isAckEliciting, isProbingFrame } from '../wire/frame-rules.js';
import { frameTypeOf } from '../wire/frame-encode.js';
import type { ConnectionContext } from './context.js';
import type { BufferedPacket } from './encryption-levels.js';
import { Level } from '../tls/types.js';
import { handleFrame } from './frames-in.js';
import { resetRecovery } from './retransmit.js';
import { onPathPacket } from './migration.js';
import type { MultipathPath } from './multipath.js';
import { acceptPath, largestPto, onPathPacketOn } from './multipath-control.js';

export function processDatagram(
  conn: ConnectionContext,
  data: Uint8Array,
  local: SocketAddress,
  remote: SocketAddress,
  now: number,
  ecn = 0,
): void {
  // RFC 9000 §9: a client discards packets from a server address it does not know (only its
  // current path, a path it probes such as the preferred address, or the one it fell back from).
  if (conn.isClient && !conn.paths.knowsRemote(remote)) {
    conn.stats.packetsDropped++;
    return;
  }
  conn.stats.datagramsReceived++;
  conn.rx.begin(local, remote, data.length, ecn & 3);
  conn.stats.bytesReceived += data.length;
  conn.qlog?.datagramReceived?.(conn, data.length, now);
  // Anti-amplification accounting per path (RFC 9000 §8.1, §9.3.1).
  conn.paths.onDatagramReceived(local, remote, data.length, now);

  if (data.length > 0 && (data[0]! & 0x80) !== 0 && data.length >= 5) {
    const version = ((data[1]! << 24) | (data[2]! << 16) | (data[3]! << 8) | data[4]!) >>> 0;
    if (version === 0) {
      handleVersionNegotiation(conn, data, now);
      return;
    }
  }

  // A datagram starting with a short header is one packet to its end (RFC 9000 §12.2: nothing
  // can follow a short header packet); only long headers need splitting. The common 1-RTT
  // datagram so skips building the list of spans.
  const cidLength = conn.host.localCidLength;
  const short = (data[0]! & 0x80) === 0;
  const spans = short ? null : splitCoalesced(data, cidLength);
  const count = spans !== null ? spans.length : data.length > 1 + cidLength ? 1 : 0;
  let anyProcessed = false;
  for (let i = 0; i < count; i++) {
    const start = spans !== null ? spans[i]!.start : 0;
    const end = spans !== null ? spans[i]!.end : data.length;
    const result = processPacket(conn, data, start, end, now);
    if (result === 'processed') anyProcessed = true;
    else logDropped(conn, result, end - start, now);
    // Keys that arrived with this packet open the packets buffered for them, now that this
    // one is done (never inside it: RFC 9001 §4.1.4 buffering, processed in order after).
    if (conn.keys.replayPending) replayBuffered(conn, now);
    if (conn.state !== 'handshake' && conn.state !== 'established') return;
  }
  if (anyProcessed) {
    conn.resetIdle(now);
  } else if (conn.peerCids.isStatelessReset(data, remote)) {
    // RFC 9000 §10.3.1: a datagram none of whose packets could be processed (no keys, not
    // decryptable, not parsable) may be a stateless reset, whatever its first header says.
    // Decryption happens in place but never touches the last 16 bytes (the AEAD tag).
    conn.onStatelessReset(now);
  }
}

/**
 * Processes the packets buffered before their keys arrived (RFC 9001 §4.1.4) once new keys came
 * (`keys.replayPending`); a packet whose keys are still missing is buffered again. Keys that
 * arrive while replaying start another round, after this one.
 */
export function replayBuffered(conn: ConnectionContext, now: number): void {
  for (let queued = conn.keys.takeReplay(); queued !== null; queued = conn.keys.takeReplay()) {
    for (const p of queued) processBufferedPacket(conn, p, now);
  }
}

/**
 * A packet buffered before its keys arrived (RFC 9001 §4.1.4), processed now that they have.
 * Its datagram was counted when it arrived (statistics, the anti-amplification budget of RFC
 * 9000 §8.1, the stateless reset check), so it is not counted again: a packet that waits across
 * several key installations would otherwise inflate the budget each time.
 */
function processBufferedPacket(conn: ConnectionContext, p: BufferedPacket, now: number): void {
  if (conn.state !== 'handshake' && conn.state !== 'established') return;
  // Replayed between two packets of a datagram, whose addresses and size come back after.
  const rx = conn.rx;
  const { local, remote, size, ecn } = rx;
  // A new path opened by this packet is credited with no more than the packet (§9.3.1).
  rx.begin(p.local, p.remote, p.data.length, p.ecn);
  const result = processPacket(conn, p.data, 0, p.data.length, now);
  rx.begin(local, remote, size, ecn);
  if (result === 'processed') conn.resetIdle(now);
  else logDropped(conn, result, p.data.length, now);
}

/** qlog packet_dropped for a packet that was dropped or failed to decrypt (not a buffered one). */
function logDropped(
  conn: ConnectionContext,
  result: PacketResult,
  size: number,
  now: number,
): void {
  if (result !== 'dropped' && result !== 'failed') return;
  conn.qlog?.packetDropped?.(
    conn,
    result === 'failed' ? 'decryption_failure' : 'general',
    size,
    now,
  );
}

/**
 * A datagram for a connection in the closing state (RFC 9000 §10.2.1): its frames are not
 * processed; it triggers a CONNECTION_CLOSE resend after 1, 2, 4, 8... datagrams (a rate limit),
 * and counts toward the amplification budget. Datagrams from another address are discarded.
 */
export function onDatagramWhileClosing(
  conn: ConnectionContext,
  data: Uint8Array,
  local: SocketAddress,
  remote: SocketAddress,
  now: number,
): void {
  const path = conn.path;
  if (!sameAddress(remote, path.remote) || !sameAddress(local, path.local)) return;
  // RFC 9000 §10.3.1: a stateless reset ends the closing period too, with nothing more sent.
  if (conn.peerCids.isStatelessReset(data, remote)) {
    conn.onStatelessReset(now);
    return;
  }
  path.onDatagramReceived(data.length, now);
  conn.lifecycle.onDatagramWhileClosing();
}

type PacketResult = 'processed' | 'dropped' | 'failed' | 'buffered';

function processPacket(
  conn: ConnectionContext,
  data: Uint8Array,
  start: number,
  end: number,
  now: number,
): PacketResult {
  const rx = conn.rx;
  const first = data[start]!;
  let packetType: PacketType;
  let pnOffset: number;
  let space: PnSpace;
  let keys: PacketProtector | null;
  /** The SCID of what may be the server's first Initial, adopted once the packet opens. */
  let serverScid: Uint8Array | null = null;
  /** Client: the version the server switched to (RFC 9369 §4.1), adopted once the packet opens. */
  let switchTo = 0;
  /** Multipath: the packet's path ID and, once in use, its path (RFC 10069 §3). */
  let pathId = 0;
  let mpPath: MultipathPath | null = null;
  const long = (first & 0x80) !== 0;
  if (long) {
    // RFC 9287 §3: a zero QUIC bit is accepted when we advertised grease_quic_bit.
    const h = parseLongHeader(data, start, conn.localParams.greaseQuicBit);
    if ('drop' in h) return 'dropped';
    if (h.type === PacketType.Retry) {
      handleRetry(conn, h, data.subarray(start, end), now);
      return 'dropped';
    }
    // RFC 9000 §5.2: packets of another version on this connection are dropped, but for those
    // of compatible version negotiation (RFC 9369 §4.1).
    if (h.version !== conn.version) {
      if (!acceptsOtherVersion(conn, h.version, h.type)) return 'dropped';
      if (conn.isClient) switchTo = h.version;
    }
    packetType = h.type;
    pnOffset = h.pnOffset;
    end = h.end;
    if (h.type === PacketType.Initial) {
      space = PnSpace.Initial;
      keys =
        switchTo !== 0
          ? createInitialProtectors(conn.provider, switchTo, conn.retryScid ?? conn.originalDcid)
              .server
          : h.version !== conn.version
            ? conn.versionNegotiation.originalInitialRead
            : conn.keys.reader(Level.Initial);
      // RFC 9000 §17.2.2: a server's Initial has no token.
      if (conn.isClient && h.token.length > 0) return 'dropped';
    } else if (h.type === PacketType.Handshake) {
      space = PnSpace.Handshake;
      keys = conn.keys.reader(Level.Handshake);
    } else {
      // 0-RTT: only a server receives it (RFC 9000 §17.2.3).
      if (conn.isClient) return 'dropped';
      space = PnSpace.Application;
      keys = conn.keys.reader(Level.EarlyData);
      if (!keys && conn.keys.oneRtt) return 'dropped'; // rejected or over
    }
    if (conn.spaces[space].discarded) return 'dropped';
    if (!keys) return bufferPacket(conn, data, start, end);
    if (conn.isClient && h.type === PacketType.Initial && conn.serverInitialScid === null) {
      serverScid = h.scid;
    }
    rx.setDcid(h.dcid, 0, h.dcid.length);
  } else {
    const cidLength = conn.host.localCidLength;
    pnOffset = shortHeaderPnOffset(data, start, cidLength, conn.localParams.greaseQuicBit);
    if (pnOffset < 0) return 'dropped';
    rx.setDcid(data, start + 1, cidLength);
    // Multipath (RFC 10069 §3.2): the CID says the path ID, whose space and nonce open it.
    const mp = conn.multipath;
    if (mp !== null && mp.enabled) {
      pathId = Math.max(0, mp.pathIdOf(rx.dcid));
      if (pathId > 0) mpPath = mp.get(pathId) ?? null;
    }
    // RFC 9000 §9: after disable_active_migration, packets from another client address are
    // dropped (closing or resetting would let anyone who can spoof addresses kill connections);
    // a new port alone is NAT rebinding and is followed.
    if (
      pathId === 0 &&
      !conn.isClient &&
      conn.opts.disableActiveMigration &&
      rx.remote.address !== conn.path.remote.address
    ) {
      return 'dropped';
    }
    packetType = PacketType.OneRtt;
    space = PnSpace.Application;
    if (!conn.keys.oneRtt) return bufferPacket(conn, data, start, end);
    keys = conn.keys.oneRtt.read;
  }

  const pnLength = keys.removeHeaderProtection(data, start, pnOffset, end);
  if (pnLength < 0) return 'dropped';
  // A path ID not in use yet has no packet received: its space comes with the path.
  const largest =
    pathId === 0
      ? conn.spaces[space].tracker.largestReceived
      : (mpPath?.space.tracker.largestReceived ?? -1);
  const pn = decodePacketNumber(largest, keys.truncatedPn, pnLength * 8);
  const unmasked = data[start]!;

  let nextPhase = false;
  if (packetType === PacketType.OneRtt) {
    const phases = conn.keys.oneRtt!;
    keys = phases.select((unmasked & 0x04) !== 0, pn, pathId);
    nextPhase = phases.selectedNext;
  }
  const payloadLength = keys.openPayload(data, start, pnOffset, pnLength, pn, end, pathId);
  if (payloadLength < 0) {
    conn.stats.packetsDropped++;
    // RFC 9001 §6.6: too many forgeries under one key end the connection.
    if (keys.authFailures > keys.suite.integrityLimit) {
      throw new QuicError(TransportError.AEAD_LIMIT_REACHED, 'AEAD integrity limit reached');
    }
    return 'failed';
  }
  // RFC 9000 §17.2, §17.3.1: reserved bits must be zero after removing protection.
  if ((unmasked & (long ? 0x0c : 0x18)) !== 0) {
    throw new QuicError(TransportError.PROTOCOL_VIOLATION, 'reserved header bits are set');
  }
  if (pathId > 0 && mpPath === null) {
    // The peer's first packet on a new path ID, authenticated (RFC 10069 §3.1).
    mpPath = acceptPath(conn, pathId, rx.local, rx.remote, now);
    if (mpPath === null) return 'dropped';
  }
  const s = mpPath !== null ? mpPath.space : conn.spaces[space];
  if (s.tracker.isDuplicate(pn)) return 'dropped';
  if (mpPath !== null) {
    mpPath.paths.onDatagramReceived(rx.local, rx.remote, rx.size, now);
    mpPath.bytesReceived += end - start;
  }
  if (switchTo !== 0) conn.switchVersion(switchTo);
  if (serverScid !== null) {
    // The server's first Initial: its SCID becomes our DCID (RFC 9000 §7.2). Only once the
    // packet is authenticated: a corrupted or forged SCID would route the rest of our
    // handshake nowhere.
    conn.serverInitialScid = serverScid.slice();
    conn.peerCids.replaceInitial(serverScid.slice());
  }
  if (packetType === PacketType.OneRtt) {
    const phases = conn.keys.oneRtt!;
    if (nextPhase) {
      phases.commitPeerUpdate(pn, now + 3 * largestPto(conn), pathId);
      conn.qlog?.keyUpdated(conn, 'remote_update', now);
    } else {
      phases.onPacketOpened(pn, pathId);
    }
    // The server may drop 0-RTT keys once 1-RTT packets arrive (RFC 9001 §4.9.3).
    if (!conn.isClient) conn.keys.discardEarlyRead();
  }

  const payloadStart = pnOffset + pnLength;
  rx.setPacket(packetType, space, pn, pathId);
  const flags = processFrames(conn, data, payloadStart, payloadStart + payloadLength, now);
  // RFC 9000 §13.4.1: the codepoint of the datagram counts for each of its packets.
  s.tracker.onPacketReceived(pn, (flags & FRAMES_ELICITING) !== 0, now, rx.ecn as Ecn);
  conn.stats.packetsReceived++;
  conn.qlog?.packetReceived(
    conn,
    packetType,
    pn,
    end - start,
    data,
    payloadStart,
    payloadLength,
    now,
  );

  if (packetType === PacketType.Handshake && !conn.isClient) {
    // RFC 9001 §4.9.1: a server discards Initial keys at the first Handshake packet, which also
    // validates the client's address (RFC 9000 §8.1).
    conn.validateAddress(now);
    conn.discardSpace(PnSpace.Initial, now);
    // RFC 9369 §4.1: the original version's Initial keys go with the first Handshake packet.
    conn.versionNegotiation.originalInitialRead = null;
  }
  if (packetType === PacketType.OneRtt) {
    if (mpPath !== null) onPathPacketOn(conn, mpPath, (flags & FRAMES_NON_PROBING) !== 0, now);
    else if (pathId === 0) onPathPacket(conn, (flags & FRAMES_NON_PROBING) !== 0, now);
  }
  return 'processed';
}

/** What `processFrames` found, as bits (no result object per packet). */
const FRAMES_ELICITING = 1;
const FRAMES_NON_PROBING = 2;

/** The frames of the packet described by `conn.rx`, between `start` and `end` of `data`. */
function processFrames(
  conn: ConnectionContext,
  data: Uint8Array,
  start: number,
  end: number,
  now: number,
): number {
  if (start === end) {
    // RFC 9000 §12.4: a packet with no frames is a PROTOCOL_VIOLATION.
    throw new QuicError(TransportError.PROTOCOL_VIOLATION, 'packet without frames');
  }
  // The connection's own reader: packets are processed one at a time, never nested (buffered
  // packets are replayed after the packet that brought their keys).
  const r = conn.rx.frames.reset(data, start, end);
  const packetType = conn.rx.packetType;
  let flags = 0;
  while (r.remaining > 0) {
    const frame = decodeFrame(r);
    const type = frameTypeOf(frame);
    if (!frameAllowedIn(type, packetType)) {
      throw new QuicError(
        TransportError.PROTOCOL_VIOLATION,
        `${frame.kind} frame not allowed in this packet type`,
        type,
      );
    }
    if (isAckEliciting(frame.kind)) flags |= FRAMES_ELICITING;
    if (!isProbingFrame(frame.kind)) flags |= FRAMES_NON_PROBING;
    handleFrame(conn, frame, now);
    if (conn.state !== 'handshake' && conn.state !== 'established') break;
  }
  return flags;
}

function bufferPacket(
  conn: ConnectionContext,
  data: Uint8Array,
  start: number,
  end: number,
): PacketResult {
  const { local, remote, ecn } = conn.rx;
  conn.keys.buffer(data.subarray(start, end), local, remote, ecn);
  return 'buffered';
}

/** RFC 9000 §17.2.5.2: a client follows at most one Retry, before any server Initial. */
function handleRetry(
  conn: ConnectionContext,
  h: RetryHeader,
  packet: Uint8Array,
  now: number,
): void {
  if (!conn.isClient || conn.retryScid !== null || conn.serverInitialScid !== null) return;
  // RFC 9369 §4.1: a Retry is in the client's version; one in another version is ignored.
  if (h.version !== conn.version) return;
  // RFC 9000 §17.2.5.2: a Retry whose SCID equals our DCID is discarded.
  if (bytesEqual(h.scid, conn.originalDcid)) return;
  if (!verifyRetryIntegrity(conn.provider, h.version, conn.originalDcid, packet)) return;
  conn.retryScid = h.scid.slice();
  conn.token = h.token.slice();
  conn.peerCids.replaceInitial(h.scid.slice());
  conn.installInitialKeys(h.scid);
  // RFC 9002 §6.3: a Retry resets recovery state; packet numbers continue (RFC 9000 §17.2.5.3).
  // Everything sent in Initial packets is sent again with the new keys and token, and 0-RTT too.
  resetRecovery(conn, now);
  const s = conn.spaces[PnSpace.Initial];
  s.cryptoSend.onLost(0, s.cryptoSend.sentOffset, false);
  conn.stats.retry = true;
  conn.qlog?.retryReceived(conn, now);
}

function handleVersionNegotiation(conn: ConnectionContext, data: Uint8Array, now: number): void {
  // RFC 9000 §6.2: only a client, only before it received anything else, and only if the
  // packet does not list the version we chose.
  if (!conn.isClient || conn.serverInitialScid !== null || conn.retryScid !== null) return;
  const vn = decodeVersionNegotiation(data);
  if ('drop' in vn) return;
  // RFC 9000 §6.2, §17.2.1: a real one echoes our first Initial's CIDs (its DCID is our SCID, its
  // SCID the DCID we chose); one that does not is spoofed or stale, and is discarded.
  const ourScid = conn.localParams.initialSourceConnectionId;
  if (!ourScid || !bytesEqual(vn.dcid, ourScid) || !bytesEqual(vn.scid, conn.originalDcid)) return;
  const outcome = conn.versionNegotiation.onVersionNegotiation(vn.versions);
  if (outcome.kind === 'retry') conn.restartWithVersion(outcome.version, now);
  else if (outcome.kind === 'fail') conn.onVersionNegotiationFailure(outcome.reason, now);
}

/**
 * Whether a long-header packet in `version`, not the connection's, belongs to compatible version
 * negotiation (RFC 9369 §4.1): on a server that switched, the client's Initials and 0-RTT in its
 * original version; on a client, the server's Initial in another version we offered, until the
 * server's CRYPTO data gave us Handshake keys (the version of that data is the negotiated one).
 */
function acceptsOtherVersion(conn: ConnectionContext, version: number, type: PacketType): boolean {
  const vn = conn.versionNegotiation;
  if (!conn.isClient) {
    if (version !== vn.original) return false;
    return (
      type === PacketType.ZeroRtt ||
      (type === PacketType.Initial && vn.originalInitialRead !== null)
    );
  }
  return (
    type === PacketType.Initial &&
    conn.version === (vn.afterVn ?? vn.original) &&
    conn.keys.reader(Level.Handshake) === null &&
    vn.preferences.includes(version) &&
    areCompatible(conn.version, version)
  );
}
