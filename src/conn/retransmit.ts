/**
 * What happens to the frames of a sent packet (docs/ARCHITECTURE.md §1.5): on acknowledgement their
 * state is released, on loss they go back to their queues with current values where relevant (RFC
 * 9000 §13.3), and a PTO owes probe packets that carry the data most likely missing (RFC 9002
 * §6.2.4).
 */
import { PN_SPACES, PnSpace } from '../ack/pn-space.js';
import type { ConnectionContext } from './context.js';
import { PathState } from './path-state.js';
import type { SentFrame } from './sent-frames.js';
import type { SentPacket } from '../ack/sent.js';

/**
 * PTO: owe `count` ack-eliciting packets in `space`, carrying data in flight if any, and one in
 * each other space with ack-eliciting packets in flight (RFC 9002 §6.2.4: "particularly valuable
 * ... when the client has both Handshake and Application Data in flight"). Before confirmation
 * no PTO runs for Application Data (§6.2.1), so without this a client whose first 1-RTT packets
 * are lost never learns it while its peer acknowledges nothing in 1-RTT: the probe there makes
 * the peer acknowledge, and that acknowledgment declares the request lost (interop
 * handshakecorruption with an aioquic server, which does not repeat a lost HANDSHAKE_DONE on PTO).
 */
export function armProbes(conn: ConnectionContext, space: PnSpace, count: number): void {
  const s = conn.spaces[space];
  if (s.discarded) return;
  s.probes = Math.max(s.probes, count);
  requeueOutstandingCrypto(conn, space);
  const ld = conn.path.sendControl.lossDetection;
  for (const other of PN_SPACES) {
    if (other === space) continue;
    const o = conn.spaces[other];
    if (o.discarded || !conn.keys.sealer(other) || !ld.hasAckElicitingInFlight(other)) continue;
    o.probes = Math.max(o.probes, 1);
    if (other !== PnSpace.Application) requeueOutstandingCrypto(conn, other);
  }
}

/**
 * Queues the CRYPTO data of `space` that is in flight and not acknowledged again, for a probe to
 * carry: what the peer most likely misses (RFC 9002 §6.2.4: probes carry data when they can).
 */
export function requeueOutstandingCrypto(conn: ConnectionContext, space: PnSpace): void {
  const s = conn.spaces[space];
  const log = conn.path.sendControl.lossDetection.log(space);
  for (const p of log.outstandingPackets()) {
    for (const f of p.frames) {
      if (f.k === 'crypto') s.cryptoSend.onLost(f.offset, f.length, false);
    }
  }
}

/** Frames of a lost packet go back to their queues (RFC 9000 §13.3). */
export function onFramesLost(conn: ConnectionContext, frames: readonly SentFrame[]): void {
  for (const f of frames) {
    switch (f.k) {
      case 'stream':
        conn.streams.onStreamDataLost(f.streamId, f.offset, f.length, f.fin);
        break;
      case 'crypto': {
        const s = conn.spaces[f.space];
        if (!s.discarded) s.cryptoSend.onLost(f.offset, f.length, false);
        break;
      }
      case 'stream_control':
        conn.streams.onControlFrameLost(f.frame);
        break;
      case 'control':
        if (conn.multipath?.onFrameLost(f.frame)) break;
        conn.controlFrames.onLost(f.frame, conn.localCids);
        break;
      default:
        break;
    }
  }
}

/**
 * The packets an ACK acknowledged (loss detection's `newlyAcked`): their frames release their
 * state, then their descriptor arrays go back to the packet builder for the next packets. Not
 * with a qlog sink, which may keep the arrays `packetSent` showed it.
 */
export function onPacketsAcked(
  conn: ConnectionContext,
  packets: readonly SentPacket<SentFrame>[],
): void {
  const pool = conn.qlog === undefined ? conn.builder.frames : null;
  for (let i = 0; i < packets.length; i++) {
    const frames = packets[i]!.frames;
    onFramesAcked(conn, frames);
    pool?.recycle(frames);
  }
}

/** Frames of an acknowledged packet release their state. */
export function onFramesAcked(conn: ConnectionContext, frames: readonly SentFrame[]): void {
  for (const f of frames) {
    switch (f.k) {
      case 'stream':
        conn.streams.onStreamDataAcked(f.streamId, f.offset, f.length, f.fin);
        break;
      case 'crypto': {
        const s = conn.spaces[f.space];
        if (!s.discarded) s.cryptoSend.onAcked(f.offset, f.length, false);
        break;
      }
      case 'ack':
        if (f.pathId === undefined) conn.spaces[f.space].tracker.onAckAcked(f.largest);
        else conn.multipath?.get(f.pathId)?.space.tracker.onAckAcked(f.largest);
        break;
      case 'stream_control':
        conn.streams.onControlFrameAcked(f.frame);
        break;
      case 'control':
        if (f.frame.kind === 'retire_connection_id') conn.peerCids.onRetirementAcked();
        else if (f.frame.kind === 'path_retire_connection_id') {
          conn.multipath?.peerCidsOf(f.frame.pathId)?.onRetirementAcked();
        }
        break;
      default:
        break;
    }
  }
}

/**
 * Client, after a Retry or Version Negotiation: fresh recovery state on the same path (RFC 9002
 * §6.3); what went in 0-RTT packets is sent again (RFC 9000 §17.2.5.3).
 */
export function resetRecovery(conn: ConnectionContext, now: number): void {
  const old = conn.path;
  old.sendControl.cc.close?.(); // it leaves the connection's coupling group
  conn.paths.replaceActive(
    new PathState(old.local, old.remote, conn.newSendControl(), true, conn.peerCids.current),
    now,
  );
  for (const p of old.sendControl.onZeroRttRejected(now)) onFramesLost(conn, p.frames);
}
