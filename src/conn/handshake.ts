/**
 * The handshake glue of a connection: our transport parameters, the TLS callbacks (CRYPTO data
 * per level, traffic secrets to packet keys, the peer's transport parameters and their CID
 * checks, completion), following RFC 9001 §4 and RFC 9000 §7.
 */
import { MIN_ACK_DELAY_US } from './ack-frequency.js';
import { onFramesLost } from './retransmit.js';
import { PnSpace } from '../ack/pn-space.js';
import { PacketProtector } from '../crypto/packet-protection.js';
import { Level, type CipherSuiteName, type TlsCallbacks } from '../tls/types.js';
import { sessionTicketWithAppData } from '../tls/session-ticket.js';
import { bytesEqual } from '../util/bytes.js';
import { DecodeError } from '../util/errors.js';
import { QuicError, TransportError, cryptoError } from '../wire/errors.js';
import {
  decodeTransportParameters,
  defaultTransportParameters,
  encodeTransportParameters,
  multipathCidViolation,
  paramsToRemember,
  type TransportParameters,
} from '../wire/transport-params.js';
import type { ConnectionContext } from './context.js';
import {
  maybeUsePreferredAddress,
  preferredAddressParam,
  type PreferredAddressInit,
} from './migration.js';

/** Stands in for the token once Initial is gone (shared, never written). */
const NO_BYTES = new Uint8Array(0);

/** The packet number space of each TLS level (RFC 9001 §4.1.4). */
const LEVEL_SPACE = [PnSpace.Initial, PnSpace.Application, PnSpace.Handshake, PnSpace.Application];

/** The CIDs and addresses of a new connection that go into our transport parameters. */
export interface LocalParamsInit {
  localCid: Uint8Array;
  localResetToken: Uint8Array;
  originalDcid: Uint8Array;
  retrySourceCid?: Uint8Array;
  preferredAddress?: PreferredAddressInit;
}

/** Our transport parameters (RFC 9000 §18.2) from the options and the CIDs of this connection. */
export function buildLocalParams(
  conn: Pick<ConnectionContext, 'opts' | 'isClient' | 'version' | 'versionNegotiation'>,
  init: LocalParamsInit,
): TransportParameters {
  const p = defaultTransportParameters();
  p.maxIdleTimeout = conn.opts.idleTimeoutMs;
  p.maxUdpPayloadSize = conn.opts.maxUdpPayload;
  p.initialMaxData = conn.opts.initialMaxData;
  p.initialMaxStreamDataBidiLocal = conn.opts.initialMaxStreamData;
  p.initialMaxStreamDataBidiRemote = conn.opts.initialMaxStreamData;
  p.initialMaxStreamDataUni = conn.opts.initialMaxStreamData;
  p.initialMaxStreamsBidi = conn.opts.maxStreamsBidi;
  p.initialMaxStreamsUni = conn.opts.maxStreamsUni;
  p.ackDelayExponent = conn.opts.ackDelayExponent;
  p.maxAckDelay = conn.opts.maxAckDelayMs;
  p.disableActiveMigration = conn.opts.disableActiveMigration;
  p.activeConnectionIdLimit = 8;
  p.maxDatagramFrameSize = conn.opts.maxDatagramFrameSize;
  p.greaseQuicBit = conn.opts.greaseQuicBit;
  if (conn.opts.ackFrequency) p.minAckDelay = MIN_ACK_DELAY_US;
  if (conn.opts.multipath) p.initialMaxPathId = conn.opts.multipath.maxPathId;
  p.initialSourceConnectionId = init.localCid;
  p.versionInformation = conn.versionNegotiation.localInfo(conn.version);
  if (!conn.isClient) {
    p.originalDestinationConnectionId = init.originalDcid;
    p.statelessResetToken = init.localResetToken;
    if (init.retrySourceCid) p.retrySourceConnectionId = init.retrySourceCid;
    if (init.preferredAddress) p.preferredAddress = preferredAddressParam(init.preferredAddress);
  }
  return p;
}

/**
 * The callbacks through which the TLS session drives the connection (docs/ARCHITECTURE.md §1.7):
 * one small object per connection with its methods on the prototype, not a set of closures.
 *
 * The session calls them in the middle of `tls.receive` (itself in the middle of a packet) or,
 * after an asynchronous server callback, from a promise with no packet and no `now` at all. So
 * the callbacks only store what needs no time (handshake bytes, packet keys, the peer's
 * transport parameters) and record the rest as an outcome; the connection acts on it with the
 * caller's `now` once the session returns or at its next entry point (`takeOutcome`).
 */
export class ConnectionTlsCallbacks implements TlsCallbacks {
  /** The peer's transport parameters arrived (they change the idle timeout). */
  paramsReceived = false;
  handshakeComplete = false;
  /** The first fatal error the session reported. */
  alert: QuicError | null = null;
  /** Set while the connection itself calls the session: no need to wake it. */
  driving = false;
  private pending = false;

  constructor(private readonly conn: ConnectionContext) {}

  /** Whether an outcome waits to be acted on. */
  get hasOutcome(): boolean {
    return this.pending;
  }

  /** Clears the recorded outcome; the fields keep their values for the caller to read first. */
  takeOutcome(): void {
    this.pending = false;
    this.paramsReceived = false;
    this.handshakeComplete = false;
    this.alert = null;
  }

  private record(): void {
    if (this.pending) return;
    this.pending = true;
    // Outside a call of ours (an asynchronous server callback resumed): ask to be driven.
    if (!this.driving) this.conn.wake();
  }

  onHandshakeData(level: Level, data: Uint8Array): void {
    const s = this.conn.spaces[LEVEL_SPACE[level]!]!;
    if (!s.discarded) s.cryptoSend.write(data);
    if (!this.driving) this.conn.wake();
  }

  onSecret(
    level: Level,
    direction: 'read' | 'write',
    suite: CipherSuiteName,
    secret: Uint8Array,
  ): void {
    installSecret(this.conn, level, direction, suite, secret);
    this.record();
  }

  onPeerTransportParameters(bytes: Uint8Array): void {
    try {
      onPeerTransportParameters(this.conn, bytes);
    } catch (e) {
      // RFC 9000 §7.4, §18.2, RFC 9001 §8.2: bad transport parameters close the connection with
      // TRANSPORT_PARAMETER_ERROR (or the code of the check that failed), not as a failed TLS
      // handshake (CRYPTO_ERROR). Latched here first: the alert TLS raises for the failed
      // callback comes second and does not replace it (the first error wins).
      if (e instanceof QuicError) this.alert ??= e;
      else if (e instanceof DecodeError) {
        const code = TransportError.TRANSPORT_PARAMETER_ERROR;
        this.alert ??= new QuicError(code, `transport parameters: ${e.message}`);
      }
      this.record();
      throw e;
    }
    this.paramsReceived = true;
    this.record();
  }

  onHandshakeComplete(): void {
    this.handshakeComplete = true;
    this.record();
  }

  onAlert(alert: number, reason: string, transportError?: number): void {
    const code = transportError ?? cryptoError(alert);
    this.alert ??= new QuicError(code, reason);
    this.record();
  }

  onSessionTicket(raw: Uint8Array): void {
    const conn = this.conn;
    // Remember the server's transport parameters with the ticket: 0-RTT must respect them
    // (RFC 9000 §7.4.1).
    const ticket = conn.peerParams
      ? sessionTicketWithAppData(
          raw,
          encodeTransportParameters(paramsToRemember(conn.peerParams), 'server'),
        )
      : raw;
    if (conn.handshakeConfirmed) conn.emit('sessionTicket', ticket);
    else conn.pendingTickets.push(ticket);
  }
}

/**
 * Installs the packet keys of a secret. A read key that opens buffered packets has them replayed
 * after the current packet (`EncryptionLevels.takeReplay`).
 */
function installSecret(
  conn: ConnectionContext,
  level: Level,
  direction: 'read' | 'write',
  suite: CipherSuiteName,
  secret: Uint8Array,
): void {
  // 0-RTT is sent in the client's original version, even after a compatible switch (RFC 9369
  // §4.1); every other level in the version in use.
  const version = level === Level.EarlyData ? conn.versionNegotiation.original : conn.version;
  const keys = new PacketProtector(conn.provider, suite, secret, version);
  const installed = conn.keys.install(level, direction, keys);
  // A server gets the early read secret only when it accepts the client's early data.
  if (level === Level.EarlyData) conn.lifecycle.onEarlyDataKeys(conn.isClient);
  if (installed.handshakeReady) conn.path.sendControl.onHandshakeKeysAvailable();
}

function onPeerTransportParameters(conn: ConnectionContext, bytes: Uint8Array): void {
  const p = decodeTransportParameters(bytes, conn.isClient ? 'server' : 'client');
  validatePeerParams(conn, p);
  // RFC 9368 §4: downgrade protection, against the version in use once negotiation is done.
  conn.versionNegotiation.checkPeer(p.versionInformation, conn.version);
  conn.peerParams = p;
  // After 0-RTT with remembered limits, the stream layer only ever raises them (RFC 9000 §7.4.1).
  conn.streams.setPeerTransportParams(p);
  const sc = conn.path.sendControl;
  sc.setPeerMaxAckDelay(p.maxAckDelay * 1000);
  // The datagram size follows the path's PMTU search from here (path-mtu.ts).
  // RFC 9287 §3: the peer's parameter lets us clear the bit from here on.
  conn.quicBit.enabled = p.greaseQuicBit && conn.opts.greaseQuicBit;
  conn.ackFrequency.onPeerParams(p.minAckDelay, p.maxAckDelay);
  if (p.statelessResetToken) conn.peerCids.setInitialResetToken(p.statelessResetToken);
  conn.onPeerResetTokens();
}

/** RFC 9000 §7.3: authenticate the connection IDs through the transport parameters. */
function validatePeerParams(conn: ConnectionContext, p: TransportParameters): void {
  const fail = (msg: string): never => {
    throw new QuicError(TransportError.TRANSPORT_PARAMETER_ERROR, msg);
  };
  if (conn.isClient) {
    if (!p.originalDestinationConnectionId) fail('missing original_destination_connection_id');
    if (!bytesEqual(p.originalDestinationConnectionId!, conn.originalDcid)) {
      fail('original_destination_connection_id does not match');
    }
    if (!p.initialSourceConnectionId || !conn.serverInitialScid) {
      fail('missing initial_source_connection_id');
    }
    if (!bytesEqual(p.initialSourceConnectionId!, conn.serverInitialScid!)) {
      fail('initial_source_connection_id does not match the server SCID');
    }
    if (conn.retryScid) {
      if (!p.retrySourceConnectionId || !bytesEqual(p.retrySourceConnectionId, conn.retryScid)) {
        fail('retry_source_connection_id does not match the Retry');
      }
    } else if (p.retrySourceConnectionId) {
      fail('retry_source_connection_id without a Retry');
    }
  } else {
    if (!p.initialSourceConnectionId) fail('missing initial_source_connection_id');
    if (!bytesEqual(p.initialSourceConnectionId!, conn.peerCids.current.cid)) {
      fail('initial_source_connection_id does not match the client SCID');
    }
  }
  const mpViolation = multipathCidViolation(p, conn.host.localCidLength);
  if (mpViolation) throw mpViolation;
}

/** The handshake completed (RFC 9001 §4.1.1); a server's is also confirmed (§4.1.2). */
export function onHandshakeComplete(conn: ConnectionContext, now: number): void {
  conn.handshakeTime = now - conn.startTime;
  // A server's client sent its Finished in a Handshake packet: its address is validated
  // (RFC 9000 §8.1), as an established connection's is.
  if (!conn.isClient) conn.validateAddress(now);
  const earlyData = conn.lifecycle.establish(conn.tls.earlyDataAccepted);
  conn.qlog?.handshakeCompleted?.(conn, now);
  if (conn.isClient) {
    if (earlyData === 'rejected') {
      // RFC 9001 §4.6.2: everything sent in 0-RTT must be sent again in 1-RTT.
      for (const p of conn.path.sendControl.onZeroRttRejected(now)) onFramesLost(conn, p.frames);
    }
    // Our CIDs leave with the Finished and the first 1-RTT data, the server being authenticated:
    // issued at confirmation they took a packet of their own, and an ACK in return.
    issueCids(conn);
    conn.resetIdle(now);
    conn.emit('handshakeDone');
    return;
  }
  // Server: complete means confirmed (RFC 9001 §4.1.2).
  conn.controlFrames.queue({ kind: 'handshake_done' });
  const token = conn.host.newToken?.(conn.path.remote);
  if (token) conn.controlFrames.queue({ kind: 'new_token', token });
  conn.emit('handshakeDone');
  confirmHandshake(conn, now);
  conn.resetIdle(now);
}

/** The handshake is confirmed (RFC 9001 §4.1.2): HANDSHAKE_DONE received, or sent by a server. */
export function confirmHandshake(conn: ConnectionContext, now: number): void {
  if (!conn.lifecycle.confirm()) return;
  conn.qlog?.handshakeConfirmed?.(conn, now);
  conn.discardSpace(PnSpace.Handshake, now);
  conn.path.sendControl.onHandshakeConfirmed(now);
  issueCids(conn);
  // RFC 10069 §3.2.1: CIDs for the path IDs the peer may open, proactively.
  conn.multipath?.issueCids();
  if (conn.isClient) {
    // RFC 9000 §9.6.1: once confirmed, the client moves to a preferred address of its family.
    maybeUsePreferredAddress(conn, now, conn.path.remote.address.includes(':') ? 6 : 4);
  }
  conn.emit('handshakeConfirmed');
  for (const t of conn.pendingTickets.splice(0)) conn.emit('sessionTicket', t);
}

/**
 * Drops the keys and state of Initial or Handshake (RFC 9001 §4.9): the space, its keys, its
 * packets in flight (RFC 9002 §6.4), and with Initial the token.
 */
export function discardSpace(conn: ConnectionContext, space: PnSpace, now: number): void {
  const s = conn.spaces[space];
  if (s.discarded) return;
  s.discard();
  conn.keys.discard(space);
  // The token only ever goes in Initial packets (RFC 9000 §17.2.2).
  if (space === PnSpace.Initial) conn.token = NO_BYTES;
  conn.path.sendControl.discardSpace(space, now);
  conn.qlog?.keyDiscarded(conn, space, now);
}

/** Tops up the CIDs the peer holds of ours (RFC 9000 §5.1.1), up to its limit and our cap. */
function issueCids(conn: ConnectionContext): void {
  if (conn.peerParams) conn.localCids.topUp(conn.peerParams.activeConnectionIdLimit);
}
