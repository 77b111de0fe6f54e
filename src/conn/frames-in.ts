/**
 * Handlers for received frames (RFC 9000 §19), after the receive pipeline checked that the frame
 * type is allowed in its packet type. Violations throw QuicError with the RFC's code; the
 * connection turns that into CONNECTION_CLOSE.
 */
import { PnSpace } from '../ack/pn-space.js';
import { fromUtf8 } from '../util/bytes.js';
import { QuicError, TransportError } from '../wire/errors.js';
import { FrameType, type AckFrame, type Frame } from '../wire/frame-types.js';
import { Level } from '../tls/types.js';
import { onFramesLost, onPacketsAcked } from './retransmit.js';
import type { ConnectionContext } from './context.js';
import { onPathChallenge, onPathResponse } from './migration.js';
import { confirmHandshake } from './handshake.js';
import { onPathPackets } from './path-mtu.js';
import {
  negotiated,
  onMultipathFrame,
  onPathChallengeOn,
  onPathResponseOn,
} from './multipath-control.js';

/** A frame of the packet described by `conn.rx`. */
export function handleFrame(conn: ConnectionContext, frame: Frame, now: number): void {
  const space = conn.rx.space;
  switch (frame.kind) {
    case 'padding':
    case 'ping':
      return;
    case 'ack':
      conn.stats.acksReceived++;
      onAck(conn, frame, space, now);
      return;
    case 'crypto': {
      const ready = conn.spaces[space].onCryptoFrame(frame.offset, frame.data);
      if (ready) {
        const level =
          space === PnSpace.Initial
            ? Level.Initial
            : space === PnSpace.Handshake
              ? Level.Handshake
              : Level.Application;
        conn.receiveCrypto(level, ready, now);
      }
      return;
    }
    case 'stream':
      conn.streams.onStreamFrame(frame);
      return;
    case 'reset_stream':
      conn.streams.onResetStream(frame);
      return;
    case 'stop_sending':
      conn.streams.onStopSending(frame);
      return;
    case 'max_data':
      conn.streams.onMaxData(frame);
      return;
    case 'max_stream_data':
      conn.streams.onMaxStreamData(frame);
      return;
    case 'max_streams':
      conn.streams.onMaxStreams(frame);
      return;
    case 'data_blocked':
      // The peer wants more connection credit; ours is driven by consumption (RFC 9000 §4.1).
      return;
    case 'stream_data_blocked':
      conn.streams.onStreamDataBlocked(frame);
      return;
    case 'streams_blocked':
      conn.streams.onStreamsBlocked(frame);
      return;
    case 'new_token':
      // RFC 9000 §19.7: servers never receive NEW_TOKEN.
      if (!conn.isClient) {
        throw new QuicError(
          TransportError.PROTOCOL_VIOLATION,
          'NEW_TOKEN sent by a client',
          FrameType.NEW_TOKEN,
        );
      }
      conn.emit('newToken', frame.token.slice());
      return;
    case 'new_connection_id':
      // RFC 9000 §19.15: a peer using zero-length CIDs cannot issue new ones.
      if (conn.peerCids.current.cid.length === 0) {
        throw new QuicError(
          TransportError.PROTOCOL_VIOLATION,
          'NEW_CONNECTION_ID from a peer using a zero-length CID',
          FrameType.NEW_CONNECTION_ID,
        );
      }
      conn.peerCids.add(frame);
      // RFC 9000 §5.1.2: CIDs below Retire Prior To are no longer used, on any path.
      if (conn.path.dcid.sequence < frame.retirePriorTo) conn.path.dcid = conn.peerCids.current;
      const probe = conn.paths.probe;
      if (probe && probe.dcid.sequence < frame.retirePriorTo) {
        probe.dcid = conn.peerCids.spare() ?? conn.peerCids.current;
      }
      conn.controlFrames.retireCids(conn.peerCids.toRetire);
      conn.onPeerResetTokens();
      return;
    case 'retire_connection_id': {
      const dcid = conn.rx.dcid;
      conn.localCids.retire(frame.sequenceNumber, dcid);
      if (conn.peerParams) conn.localCids.topUp(conn.peerParams.activeConnectionIdLimit);
      conn.controlFrames.announceCids(conn.localCids.pending);
      return;
    }
    case 'path_challenge': {
      // Multipath: answered on the path ID and address pair it came on (RFC 10069 §5.1).
      const p = conn.rx.pathId > 0 ? conn.multipath?.get(conn.rx.pathId) : undefined;
      if (p) onPathChallengeOn(conn, p, frame.data, now);
      else onPathChallenge(conn, frame.data, now);
      return;
    }
    case 'path_response': {
      const p = conn.rx.pathId > 0 ? conn.multipath?.get(conn.rx.pathId) : undefined;
      if (p) onPathResponseOn(conn, p, frame.data, now);
      else onPathResponse(conn, frame.data, now);
      return;
    }
    case 'connection_close':
      conn.onPeerClose(
        {
          source: 'peer',
          errorCode: frame.errorCode,
          application: frame.application,
          reason: fromUtf8(frame.reason),
          ...(frame.application ? {} : { frameType: frame.frameType }),
        },
        now,
      );
      return;
    case 'handshake_done':
      // RFC 9000 §19.20: a server receiving HANDSHAKE_DONE is a PROTOCOL_VIOLATION.
      if (!conn.isClient) {
        throw new QuicError(
          TransportError.PROTOCOL_VIOLATION,
          'HANDSHAKE_DONE sent by a client',
          FrameType.HANDSHAKE_DONE,
        );
      }
      confirmHandshake(conn, now);
      return;
    case 'datagram':
      // RFC 9221 §3: DATAGRAM without having advertised support is a PROTOCOL_VIOLATION.
      if (
        conn.opts.maxDatagramFrameSize === 0 ||
        frame.data.length > conn.opts.maxDatagramFrameSize
      ) {
        throw new QuicError(
          TransportError.PROTOCOL_VIOLATION,
          'unexpected DATAGRAM frame',
          FrameType.DATAGRAM,
        );
      }
      conn.emit('datagram', frame.data.slice());
      return;
    case 'ack_frequency':
      conn.ackFrequency.onFrame(frame, conn.spaces[PnSpace.Application].tracker);
      return;
    case 'immediate_ack': {
      // Multipath: the acknowledgment asked for is of the path the packet came on (RFC 10069
      // §4.1: each path ID has its own packet number space).
      const p = conn.rx.pathId > 0 ? conn.multipath?.get(conn.rx.pathId) : undefined;
      conn.ackFrequency.onImmediateAck((p?.space ?? conn.spaces[PnSpace.Application]).tracker);
      return;
    }
    case 'path_ack':
      // RFC 10069 §4.1: path 0's packets are the Application space's, as with ACK.
      if (frame.pathId !== 0) break;
      negotiated(conn, FrameType.PATH_ACK, frame.kind);
      conn.stats.acksReceived++;
      onAck(
        conn,
        {
          kind: 'ack',
          ackDelay: frame.ackDelay,
          ranges: frame.ranges,
          ...(frame.ecn ? { ecn: frame.ecn } : {}),
        },
        PnSpace.Application,
        now,
      );
      return;
    case 'path_new_connection_id':
      // RFC 10069 §4.4: for path 0, a NEW_CONNECTION_ID.
      if (frame.pathId !== 0) break;
      negotiated(conn, FrameType.PATH_NEW_CONNECTION_ID, frame.kind);
      handleFrame(conn, { ...frame, kind: 'new_connection_id' }, now);
      return;
    case 'path_retire_connection_id':
      if (frame.pathId !== 0) break;
      negotiated(conn, FrameType.PATH_RETIRE_CONNECTION_ID, frame.kind);
      handleFrame(
        conn,
        { kind: 'retire_connection_id', sequenceNumber: frame.sequenceNumber },
        now,
      );
      return;
    case 'path_abandon':
    case 'path_status_backup':
    case 'path_status_available':
    case 'max_path_id':
    case 'paths_blocked':
    case 'path_cids_blocked':
      break;
    default: {
      const never: never = frame;
      throw new QuicError(TransportError.INTERNAL_ERROR, `unhandled frame ${String(never)}`);
    }
  }
  // The multipath frames of paths other than 0 (RFC 10069 §4).
  onMultipathFrame(conn, frame, now);
}

function onAck(conn: ConnectionContext, frame: AckFrame, space: PnSpace, now: number): void {
  const sc = conn.path.sendControl;
  const exponent = space === PnSpace.Application ? (conn.peerParams?.ackDelayExponent ?? 3) : 3;
  const ackDelay = frame.ackDelay * 2 ** exponent;
  const out = sc.onAckReceived(space, frame, ackDelay, now);
  onPacketsAcked(conn, out.newlyAcked);
  for (const p of out.lost) onFramesLost(conn, p.frames);
  if (space === PnSpace.Application) onPathPackets(conn.path, out.newlyAcked, out.lost, now);
  if (out.lost.length > 0) conn.stats.onLossEvent(out.lost.length);
  if (out.lost.length > 0) conn.qlog?.packetsLost?.(conn, out.lost, space, now);
  if (space === PnSpace.Application) conn.keys.onAckReceived(frame.ranges[0]!.largest);
  // RFC 9001 §4.1.2: a client may consider the handshake confirmed on an ACK of a 1-RTT packet.
  if (
    space === PnSpace.Application &&
    conn.isClient &&
    conn.handshakeComplete &&
    out.newlyAcked.length > 0
  ) {
    if (out.newlyAcked.some((p) => conn.keys.sentWithOneRtt(p.pn))) {
      confirmHandshake(conn, now);
    }
  }
  if (out.newlyAcked.length > 0 || out.lost.length > 0) conn.qlog?.metrics(conn, now);
  sc.releaseOutcomes();
}
