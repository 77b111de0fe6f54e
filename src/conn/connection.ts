/**
 * A QUIC connection (RFC 9000), sans-IO: datagrams in with `receive`, datagrams out with
 * `poll`, time through `nextTimeout` / `onTimeout`. It owns the packet-number spaces, the TLS
 * session, the streams, flow control, connection IDs and the paths; the receive pipeline lives in
 * receive.ts, packet assembly in assemble.ts.
 *
 * Errors follow docs/ARCHITECTURE.md §1.9: peer violations close the connection with their wire
 * code (first one wins); API misuse throws; nothing from the network throws out of here.
 */
import { PnSpace } from '../ack/pn-space.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { createInitialProtectors } from '../crypto/initial.js';
import { Emitter } from '../util/emitter.js';
import { HeldEvents } from '../util/held-events.js';
import type { SocketAddress } from '../util/address.js';
import { toHex } from '../util/bytes.js';
import { TransportError, type QuicError } from '../wire/errors.js';
import { encodeTransportParameters, type TransportParameters } from '../wire/transport-params.js';
import type { Level, TlsSessionInfo } from '../tls/types.js';
import type { StreamMap } from '../stream/stream-map.js';
import type { Stream } from '../stream/stream.js';
import { EncryptionLevels } from './encryption-levels.js';
import { PeerCids, type CidHost, type LocalCids } from './cids.js';
import { resolveOptions, type ResolvedOptions } from './options.js';
import { PathState } from './path-state.js';
import { PathSet } from './path-set.js';
import type { Multipath, PathStatus } from './multipath.js';
import { multipathDeadline, negotiateMultipath, onMultipathTimers } from './multipath-control.js';
import { pathZeroGone } from './multipath-send.js';
import { framesWaiting, SendWait } from './send-wait.js';
import type { SendControl } from '../path/send-control.js';
import { PACKET_OVERHEAD_ALLOWANCE } from '../path/pmtud.js';
import { newPathSendControl, newSendControl } from './send-controls.js';
import { SpaceState } from './space.js';
import type { SentFrame } from './sent-frames.js';
import { onDatagramWhileClosing, processDatagram, replayBuffered } from './receive.js';
import { nextDatagram, type OutgoingDatagram } from './assemble.js';
import { ControlFrames } from './control-frames.js';
import { PacketBuilder } from './packet-builder.js';
import { ReceiveContext } from './receive-context.js';
import { QuicBitGrease } from './quic-bit.js';
import { AckFrequency } from './ack-frequency.js';
import {
  ConnectionLifecycle,
  type CloseInfo,
  type ConnectionState,
  type EarlyDataState,
} from './state.js';
import { ConnectionStats, type ConnectionStatsSnapshot } from './stats.js';
import { statsSnapshot } from './stats-snapshot.js';
import { onPathValidationTimers, startMigration } from './migration.js';
import type { QlogSink } from './qlog.js';
import {
  buildLocalParams,
  ConnectionTlsCallbacks,
  discardSpace,
  onHandshakeComplete,
} from './handshake.js';
import { resetRecovery } from './retransmit.js';
import { ConnectionStreamEvents } from './stream-events.js';
import { currentDatagramSize } from './path-mtu.js';
import type { EngineServices } from './context.js';
import type { ConnectionEvents } from './events.js';
import type { VersionNegotiation } from './version-negotiation.js';
import {
  CID_LIMIT,
  newLocalCids,
  newMultipath,
  newSpaces,
  newStreamMap,
  newVersionNegotiation,
  type ConnectionInit,
} from './connection-init.js';
import { onLossDetectionTimer } from './path-timers.js';
import { PathRequests } from './path-requests.js';
import { CouplingGroup } from '../cc/coupling.js';
import { TlsDriver } from './tls-driver.js';
import { IdleTimer } from './idle-timer.js';
import {
  armClosing,
  closeOnError,
  ConnectionClosedError,
  describeClose,
  enterClosing,
  finish,
  startDraining,
} from './close.js';

/** Stands in for absent byte strings (shared, never written). */
const NO_BYTES = new Uint8Array(0);

export type { CloseInfo, ConnectionState, EarlyDataState } from './state.js';
export type { ConnectionEvents } from './events.js';
export { ConnectionClosedError } from './close.js';

/** What a connection needs from the engine that owns it. @internal */
export interface ConnectionHost extends CidHost, EngineServices {
  /** Something changed outside a receive/timeout call: the engine should poll this connection. */
  wake(conn: Connection): void;
  /** Tokens of stateless resets the peer may send us. */
  onPeerResetTokens?(conn: Connection): void;
}

export class Connection extends Emitter<ConnectionEvents> {
  readonly role: 'client' | 'server';
  readonly isClient: boolean;
  /**
   * The application error code that ends this connection cleanly, set by the application
   * protocol that runs on it (RFC 9000 §20.2 leaves the codes to it: HTTP/3's is H3_NO_ERROR,
   * RFC 9114 §8.1). `close()` without a code uses it, and so does a host closing its
   * connections gracefully (a draining server at its limit). Default 0.
   */
  gracefulCloseCode = 0;
  /** The version in use (`version`): version negotiation may change it once (RFC 9368). */
  private wireVersion: number;
  /** Version negotiation (RFC 9368): what we offer, what we checked, the original version. @internal */
  readonly versionNegotiation: VersionNegotiation;
  /** Handshaking, established, closing, draining, closed (state.ts changes it). @internal */
  readonly lifecycle: ConnectionLifecycle;
  /** @internal */
  readonly provider: CryptoProvider;
  /** @internal */
  readonly opts: ResolvedOptions;
  /** @internal */
  readonly host: ConnectionHost;
  /** The TLS session the handshake runs in (`tls` is its read-only view). */
  private readonly tlsDriver: TlsDriver;
  /** @internal */
  readonly spaces: [SpaceState, SpaceState, SpaceState];
  /** The packet keys of each encryption level, and packets waiting for theirs. @internal */
  readonly keys: EncryptionLevels;
  /** @internal */
  readonly streams: StreamMap;
  /** @internal */
  readonly localCids: LocalCids;
  /** @internal */
  readonly peerCids: PeerCids;
  /** @internal */
  readonly localParams: TransportParameters;
  /** @internal */
  peerParams: TransportParameters | null = null;
  /** The active path, the probed one and the fallback (path-set.ts). @internal */
  readonly paths: PathSet;
  /** Multipath QUIC (RFC 10069) when the option is on, negotiated or not. @internal */
  readonly multipath: Multipath | null;
  /** Paths `openPath` and `closePath` asked for, at the next entry point (they have no `now`). */
  private readonly pathRequests = new PathRequests();
  /** The coupling group of the controllers of this connection's paths (RFC 6356). */
  private readonly coupling = new CouplingGroup();
  /** The Initial-space token (client). @internal */
  token: Uint8Array;
  /** @internal */
  readonly originalDcid: Uint8Array;
  /**
   * Client: the SCID of the Retry we followed, checked against retry_source_connection_id.
   * @internal
   */
  retryScid: Uint8Array | null = null;
  /**
   * Client: the server's SCID from its first Initial (initial_source_connection_id check).
   * @internal
   */
  serverInitialScid: Uint8Array | null = null;
  /** Control frames, DATAGRAMs and PING waiting for a 1-RTT packet. @internal */
  readonly controlFrames = new ControlFrames();
  /** The idle timeout and keep-alive (RFC 9000 §10.1). */
  private readonly idle: IdleTimer;
  /** What the sender waits for when a poll builds nothing (pacer, or new input). */
  private readonly sendWait = new SendWait(this);
  /** Time the handshake started and finished, µs (stats). @internal */
  readonly startTime: number;
  /** @internal */
  handshakeTime = -1;
  /** @internal */
  readonly stats = new ConnectionStats();
  /** The datagram and packet being received (receive.ts). @internal */
  readonly rx = new ReceiveContext();
  /** The scratch and slab of packet assembly (assemble.ts). @internal */
  readonly builder: PacketBuilder;
  /** @internal */
  readonly qlog: QlogSink | undefined;
  /** The QUIC bit of each packet we send (RFC 9287: greased once the peer allows it). @internal */
  readonly quicBit: QuicBitGrease;
  /** ACK frequency requests both ways (draft-ietf-quic-ack-frequency). @internal */
  readonly ackFrequency: AckFrequency;
  /** Tickets that arrived before confirmation, emitted at confirmation. @internal */
  readonly pendingTickets: Uint8Array[] = [];

  /**
   * A connection of `host` (the engine creates them: `Engine.connect`, or a server's accept).
   * @internal
   */
  static create(host: ConnectionHost, init: ConnectionInit): Connection {
    return new Connection(host, init);
  }

  private constructor(host: ConnectionHost, init: ConnectionInit) {
    super();
    this.host = host;
    this.role = init.role;
    this.isClient = init.role === 'client';
    this.wireVersion = init.version;
    this.provider = host.provider;
    this.opts = resolveOptions(init.options);
    this.builder = new PacketBuilder(this.opts.maxUdpPayload + 64, host.transmitRelease ?? null);
    this.quicBit = new QuicBitGrease(this.provider, this.opts.random);
    this.ackFrequency = new AckFrequency(this.opts.ackFrequency);
    this.idle = new IdleTimer(this.opts.idleTimeoutMs, this.opts.keepAliveUs);
    this.qlog = init.qlog;
    this.startTime = init.now;
    this.token = init.token ?? NO_BYTES;
    this.originalDcid = init.originalDcid;
    this.lifecycle = new ConnectionLifecycle(this.isClient || init.addressValidated === true);
    this.keys = new EncryptionLevels(this.isClient);
    this.spaces = newSpaces(this.opts);
    this.versionNegotiation = newVersionNegotiation(this.provider, this.isClient, init);
    if (init.initialKeys) this.keys.installInitial(init.initialKeys);
    else this.installInitialKeys(init.initialKeysDcid);
    this.versionNegotiation.keepOriginalInitialRead(
      this.provider,
      this.version,
      init.initialKeysDcid,
    );

    this.localCids = newLocalCids(host, this.isClient, init);
    this.peerCids = new PeerCids(init.remoteCid, CID_LIMIT);
    this.multipath = newMultipath(host, this.opts);

    this.localParams = buildLocalParams(this, init);
    const streamEvents = new ConnectionStreamEvents(this);
    this.streams = newStreamMap(this.isClient, this.localParams, this.opts, streamEvents);

    this.paths = new PathSet(
      new PathState(
        init.local,
        init.remote,
        this.newSendControl(),
        this.addressValidated,
        this.peerCids.current,
      ),
      init.now,
    );

    // Client 0-RTT: the server's remembered limits apply to early data (RFC 9000 §7.4.1).
    if (init.rememberedParams) this.streams.setPeerTransportParams(init.rememberedParams);
    const encoded = encodeTransportParameters(this.localParams, this.role);
    this.tlsDriver = new TlsDriver(new ConnectionTlsCallbacks(this), init.createTls, encoded);
    this.resetIdle(init.now);
    this.qlog?.connectionStarted(this, init.now);
    if (this.isClient) {
      this.tlsDriver.start();
      this.onTlsOutcome(init.now);
    }
  }

  // ---- public API ------------------------------------------------------------------------

  /** The QUIC version in use. */
  get version(): number {
    return this.wireVersion;
  }

  get state(): ConnectionState {
    return this.lifecycle.kind;
  }

  /** The close we send (closing), received (draining) or ended with (closed). */
  get closeInfo(): CloseInfo | null {
    return this.lifecycle.closeInfo;
  }

  /** The negotiated application protocol (after the handshake). */
  get alpn(): string | null {
    return this.tlsDriver.session.alpn;
  }

  /**
   * What the TLS handshake established: cipher suite, group, the peer's certificates, the
   * server name, resumption, 0-RTT, and the keying material exporter (RFC 8446 §7.5).
   */
  get tls(): TlsSessionInfo {
    return this.tlsDriver.session;
  }

  /** The path packets are sent on. @internal */
  get path(): PathState {
    return this.paths.active;
  }

  get remoteAddress(): SocketAddress {
    return this.path.remote;
  }

  get localAddress(): SocketAddress {
    return this.path.local;
  }

  get handshakeComplete(): boolean {
    return this.tlsDriver.session.handshakeComplete;
  }

  /** The handshake is confirmed (RFC 9001 §4.1.2): both sides know it completed. */
  get handshakeConfirmed(): boolean {
    return this.lifecycle.handshakeConfirmed;
  }

  /** Opens a stream; null when the peer's stream limit is reached (wait for `streamsAvailable`). */
  openStream(bidirectional = true): Stream | null {
    this.checkUsable();
    return this.streams.open(bidirectional);
  }

  getStream(id: number): Stream | undefined {
    return this.streams.get(id);
  }

  /** The streams open now, opened by either side, in the order they opened. */
  listStreams(): IterableIterator<Stream> {
    return this.streams[Symbol.iterator]();
  }

  /**
   * Where an application protocol on this connection logs its qlog events (HTTP/3's `http3:`
   * events), or undefined when the connection's qlog takes none: then it need build none.
   */
  applicationQlog(): ((name: string, data: Record<string, unknown>) => void) | undefined {
    const sink = this.qlog;
    if (sink?.applicationEvent === undefined) return undefined;
    return (name, data) => sink.applicationEvent!(name, data);
  }

  /**
   * Sends an unreliable DATAGRAM (RFC 9221). Returns false when the peer does not accept
   * DATAGRAM frames or this one is larger than it allows; throws when the connection is closed.
   */
  sendDatagram(data: Uint8Array): boolean {
    this.checkUsable();
    // The frame (type + length varint + data) must fit the peer's limit (RFC 9221 §3).
    if (!this.peerParams?.maxDatagramFrameSize || data.length > this.maxDatagramSize) return false;
    this.controlFrames.queueDatagram(data);
    this.wake();
    return true;
  }

  /** Largest DATAGRAM payload the peer accepts now (0 when unsupported). */
  get maxDatagramSize(): number {
    const max = this.peerParams?.maxDatagramFrameSize ?? 0;
    // The active path's datagram size: its PLPMTU (RFC 9000 §14.3) or, before it is known, 1200.
    const size = currentDatagramSize(this.path, this.peerParams?.maxUdpPayloadSize ?? 0);
    return max === 0 ? 0 : Math.min(max - 4, size - PACKET_OVERHEAD_ALLOWANCE);
  }

  /** Sends a PING (keep-alive or RTT probe). */
  ping(): void {
    this.checkUsable();
    this.controlFrames.requestPing();
    this.wake();
  }

  /** Starts a 1-RTT key update as soon as RFC 9001 §6.1 allows. */
  updateKeys(): void {
    this.checkUsable();
    this.keys.requestUpdate();
    this.wake();
  }

  /**
   * Closes the connection with an application error code (RFC 9000 §10.2), by default the
   * application's own clean one (`gracefulCloseCode`): CONNECTION_CLOSE is sent and the
   * connection lingers in the closing state for three PTOs.
   */
  close(errorCode = this.gracefulCloseCode, reason = ''): void {
    if (!this.lifecycle.isOpen) return;
    // No `now` here: the closing period starts at the next poll, when CONNECTION_CLOSE leaves.
    enterClosing(this, { source: 'local', errorCode, application: true, reason }, NaN);
    this.wake();
  }

  /**
   * Client: move the connection to a new local address (a new socket or port). The path is
   * validated first and used once the server answers (RFC 9000 §9.2). Returns false when the
   * server gave no spare connection ID or disabled active migration.
   */
  migrate(local: SocketAddress): boolean {
    this.checkUsable();
    // No `now` here: the validation timer starts at the next poll (see `armDeferred`).
    return startMigration(this, local);
  }

  /**
   * Client, Multipath QUIC (RFC 10069 §3.1): opens another path from `local` (a second socket or
   * interface) to `remote` (default: the server's address), validated before it carries data.
   * Returns its path ID, or -1 when it cannot be opened now: multipath not negotiated, handshake
   * not confirmed, or no path ID with connection IDs on both sides (PATHS_BLOCKED or
   * PATH_CIDS_BLOCKED tells the peer). 'pathOpened' and 'pathValidated' follow.
   */
  openPath(local: SocketAddress, remote?: SocketAddress): number {
    this.checkUsable();
    const mp = this.multipath;
    if (!this.isClient || mp === null || !mp.enabled || !this.handshakeConfirmed) return -1;
    // No `now` here: the path (its timers) is made at the next entry point (`armDeferred`).
    const id = this.pathRequests.requestOpen(mp, local, remote ?? this.path.remote);
    this.wake();
    return id;
  }

  /**
   * Multipath: abandons path `pathId` (RFC 10069 §3.4) with PATH_ABANDON and `errorCode`
   * (default APPLICATION_ABANDON_PATH, 0x3e). Returns false for a path that is not open.
   */
  closePath(pathId: number, errorCode = 0x3e): boolean {
    this.checkUsable();
    const p = this.multipath?.get(pathId);
    if (!p || p.state !== 'open') return false;
    this.pathRequests.requestClose(p, errorCode);
    this.wake();
    return true;
  }

  /**
   * Multipath: asks the peer to use path `pathId` only as a backup, or as available again
   * (PATH_STATUS_BACKUP / PATH_STATUS_AVAILABLE, RFC 10069 §3.3); our own scheduler treats it the
   * same way. Returns false for a path that is not open.
   */
  setPathStatus(pathId: number, status: PathStatus): boolean {
    this.checkUsable();
    const mp = this.multipath;
    const p = mp?.get(pathId);
    if (!mp || !p || p.state !== 'open') return false;
    mp.setLocalStatus(p, status);
    this.wake();
    return true;
  }

  /** A snapshot of the connection's statistics. */
  getStats(): ConnectionStatsSnapshot {
    return statsSnapshot(this);
  }

  /** Whether the connection is gone (the engine forgets it). */
  get isClosed(): boolean {
    return this.state === 'closed';
  }

  // ---- events ----------------------------------------------------------------------------

  /**
   * Events raised while a datagram, a timer or a poll is being processed, delivered once it is
   * done: application code never runs in the middle of a packet.
   */
  private readonly held = new HeldEvents<ConnectionEvents>();
  private readonly emitNow = (event: keyof ConnectionEvents, args: unknown[]): void => {
    super.emit(event, ...(args as Parameters<ConnectionEvents[typeof event]>));
  };

  override emit<K extends keyof ConnectionEvents>(
    event: K,
    ...args: Parameters<ConnectionEvents[K]>
  ): boolean {
    if (this.held.holding) {
      this.held.push(event, args);
      return this.listenerCount(event) > 0;
    }
    return super.emit(event, ...args);
  }

  // ---- sans-IO driving -------------------------------------------------------------------

  /** A datagram for this connection: decrypted in place, not kept after this returns. @internal */
  receive(
    data: Uint8Array,
    local: SocketAddress,
    remote: SocketAddress,
    now: number,
    ecn = 0,
  ): void {
    if (this.state === 'closed' || this.state === 'draining') return;
    this.sendWait.reset();
    this.held.hold();
    try {
      this.armDeferred(now);
      if (this.state === 'closing') onDatagramWhileClosing(this, data, local, remote, now);
      else processDatagram(this, data, local, remote, now, ecn);
    } catch (e) {
      closeOnError(this, e, now);
    } finally {
      this.held.release();
    }
    // Views into the datagram: do not keep the datagram alive until the next one.
    this.rx.end();
    this.held.deliver(this.emitNow);
  }

  /** The next datagram to send, or null. @internal */
  poll(now: number): OutgoingDatagram | null {
    if (this.state === 'closed' || this.state === 'draining') return null;
    this.held.hold();
    try {
      return this.pollDatagram(now);
    } finally {
      this.held.release();
      this.held.deliver(this.emitNow);
    }
  }

  private pollDatagram(now: number): OutgoingDatagram | null {
    try {
      this.armDeferred(now);
      const d = nextDatagram(this, now);
      if (d !== null) return d;
      // Idle: nothing to send and nothing in flight (a sender between two writes keeps it).
      if (
        this.sendWait.onNothingSent(now) &&
        this.path.sendControl.bytesInFlight === 0 &&
        !this.hasPendingSend()
      ) {
        this.builder.release();
      }
      return null;
    } catch (e) {
      closeOnError(this, e, now);
      return null;
    }
  }

  /**
   * Earliest time (µs) this connection needs `onTimeout`; Infinity when none. A deadline that
   * waits for the next `now` (after `close()` or `migrate()`) comes with a wake-up: the engine
   * polls the connection, which arms it.
   * @internal
   */
  nextTimeout(): number {
    if (this.state === 'closed') return Infinity;
    if (this.state === 'closing' || this.state === 'draining') return this.lifecycle.deadline;
    let t = this.idle.nextTimeout();
    // An abandoned path 0 has no timers of its own left (RFC 10069 §3.4).
    if (!pathZeroGone(this)) {
      t = Math.min(t, this.path.sendControl.timerDeadline());
      t = Math.min(t, this.paths.deadline());
    }
    t = Math.min(t, multipathDeadline(this));
    t = Math.min(t, this.sendWait.nextTimeout());
    t = Math.min(t, this.keys.nextTimeout());
    return t;
  }

  /** @internal */
  onTimeout(now: number): void {
    if (this.state === 'closed') return;
    this.sendWait.reset();
    this.held.hold();
    try {
      this.armDeferred(now);
      this.handleTimers(now);
    } catch (e) {
      closeOnError(this, e, now);
    } finally {
      this.held.release();
    }
    this.held.deliver(this.emitNow);
  }

  // ---- internals used by receive.ts / assemble.ts ----------------------------------------

  /** New work for the sender (an API call or a stream event): the engine should poll. @internal */
  wake(): void {
    this.sendWait.reset();
    this.host.wake(this);
  }

  /** The peer's stateless reset tokens changed: the engine updates its table. @internal */
  onPeerResetTokens(): void {
    this.host.onPeerResetTokens?.(this);
  }

  /** Whether anything but an ACK waits to be sent. @internal */
  hasPendingSend(): boolean {
    return this.lifecycle.closeResendDue || framesWaiting(this);
  }

  /**
   * Sending restarts the idle timer only for the first ack-eliciting packet after a receive
   * (RFC 9000 §10.1), so a peer that went silent is noticed.
   * @internal
   */
  resetIdleOnSend(now: number): void {
    if (!this.idle.restartsOnSend) return; // the packet path: no PTO computed for nothing
    const pto = this.path.sendControl.rtt.ptoPeriod(true);
    const peer = this.peerParams?.maxIdleTimeout ?? 0;
    this.idle.onAckElicitingSent(now, peer, pto, this.state === 'established');
  }

  /** Records activity for the idle timer (RFC 9000 §10.1). @internal */
  resetIdle(now: number): void {
    const pto = this.path.sendControl.rtt.ptoPeriod(true);
    const peer = this.peerParams?.maxIdleTimeout ?? 0;
    this.idle.onReceive(now, peer, pto, this.state === 'established');
  }

  /** The current PTO period (for closing/draining and key discard timers). @internal */
  ptoPeriod(): number {
    return this.path.sendControl.rtt.ptoPeriod(this.handshakeConfirmed);
  }

  /** Latches a protocol error and starts closing (first error wins). @internal */
  closeWithError(err: QuicError, now: number): void {
    closeOnError(this, err, now);
  }

  /** The peer closed (CONNECTION_CLOSE received): draining (RFC 9000 §10.2.2). @internal */
  onPeerClose(info: CloseInfo, now: number): void {
    startDraining(this, info, now);
  }

  /** A stateless reset from the peer (RFC 9000 §10.3.1): straight to draining. @internal */
  onStatelessReset(now: number): void {
    const reason = 'stateless reset';
    startDraining(
      this,
      { source: 'stateless_reset', errorCode: 0, application: false, reason },
      now,
    );
  }

  /** Version Negotiation rules out every version we speak (RFC 9000 §6.2). @internal */
  onVersionNegotiationFailure(reason: string, now: number): void {
    const errorCode = TransportError.VERSION_NEGOTIATION_ERROR;
    finish(this, { source: 'version_negotiation', errorCode, application: false, reason }, now);
  }

  /**
   * Client: a new first flight in `version` after Version Negotiation (RFC 9368 §2.1), a new
   * connection attempt in all but the object (§2.4): new Initial keys and CRYPTO stream, a new
   * TLS handshake without resumption (tickets and tokens belong to the version that issued
   * them, RFC 9369 §5), fresh recovery state as after a Retry (RFC 9002 §6.3). The CIDs stay.
   * @internal
   */
  restartWithVersion(version: number, now: number): void {
    this.wireVersion = version;
    this.token = NO_BYTES;
    this.localParams.versionInformation = this.versionNegotiation.localInfo(version);
    this.spaces[PnSpace.Initial] = new SpaceState(PnSpace.Initial, this.opts.maxAckDelayMs * 1000);
    this.installInitialKeys(this.originalDcid);
    // What went in 0-RTT in the first attempt goes again, in 1-RTT.
    this.keys.discardEarlyWrite();
    this.lifecycle.forgetEarlyData();
    resetRecovery(this, now);
    this.keys.clearBuffered();
    const encoded = encodeTransportParameters(this.localParams, this.role);
    this.tlsDriver.restart(encoded);
    this.onTlsOutcome(now);
  }

  /**
   * Client: the server's first Initial came in `version`, one we offered and compatible with
   * ours (RFC 9369 §4.1): the connection continues in it. 0-RTT is never sent in the negotiated
   * version, so what is left of it waits for 1-RTT.
   * @internal
   */
  switchVersion(version: number): void {
    this.wireVersion = version;
    this.installInitialKeys(this.retryScid ?? this.originalDcid);
    this.keys.discardEarlyWrite();
  }

  /**
   * Server: the client's address is validated for the first path (RFC 9000 §8.1: a Handshake
   * packet from it, or its Finished). @internal
   */
  get addressValidated(): boolean {
    return this.lifecycle.addressValidated;
  }

  /**
   * Where 0-RTT stands (RFC 9001 §4.6): a client attempted it, and learns as the handshake
   * completes whether it was accepted or rejected; a server accepted it or never saw it.
   */
  get earlyDataState(): EarlyDataState {
    return this.lifecycle.earlyData;
  }

  /** Server: a Handshake packet validated the client's address (RFC 9000 §8.1). @internal */
  validateAddress(now: number): void {
    if (this.lifecycle.validateAddress()) this.path.markValidated(now);
  }

  /**
   * Ends the connection now, sending nothing: a server's connection whose client went silent
   * before its address was validated (RFC 9000 §8.1: it may be spoofed), like an idle timeout.
   * @internal
   */
  abandon(reason: string, now: number): void {
    // A closing or draining connection keeps the reason it is closing with.
    finish(this, { source: 'idle_timeout', errorCode: 0, application: false, reason }, now);
  }

  /**
   * Ends the connection now with `info`, sending nothing: the host learnt that the peer cannot
   * be reached (ICMP port unreachable on a connected socket, RFC 9000 §14.2 — a CONNECTION_CLOSE
   * would go nowhere, and the socket that reported it may already be unusable). 'close' is
   * emitted with `info`; a closing or draining connection keeps the reason it is closing with.
   */
  terminate(info: CloseInfo, now: number): void {
    finish(this, info, now);
  }

  /**
   * Ends a closing or draining period now, when nothing can reach the connection any more (its
   * socket is gone): RFC 9000 §10.2 lets an endpoint that can receive no late packet skip it.
   * 'close' is emitted with the reason of the close. No effect on an open connection.
   */
  endClosingPeriod(now: number): void {
    if (this.state === 'closing' || this.state === 'draining') finish(this, this.closeInfo!, now);
  }

  /** Installs Initial keys from the DCID (RFC 9001 §5.2); again after a Retry. @internal */
  installInitialKeys(dcid: Uint8Array): void {
    this.keys.installInitial(createInitialProtectors(this.provider, this.version, dcid));
  }

  /** Drops the keys and state of Initial or Handshake (RFC 9001 §4.9). @internal */
  discardSpace(space: PnSpace, now: number): void {
    discardSpace(this, space, now);
  }

  /** Hands CRYPTO data to TLS and acts on what it reports (RFC 9001 §4.1.3). @internal */
  receiveCrypto(level: Level, data: Uint8Array, now: number): void {
    this.tlsDriver.receive(level, data);
    this.onTlsOutcome(now);
  }

  /**
   * Acts on what the TLS session reported since the last time, with the caller's `now`. New
   * read keys do not replay buffered packets here, in the middle of a packet: the receive loop
   * does after it (`keys.replayPending`).
   */
  private onTlsOutcome(now: number): void {
    const o = this.tlsDriver.takeOutcome();
    if (o === null) return;
    if (o.alert !== null) {
      this.closeWithError(o.alert, now);
      return;
    }
    if (o.paramsReceived) {
      this.resetIdle(now);
      negotiateMultipath(this);
    }
    if (o.handshakeComplete) onHandshakeComplete(this, now);
  }

  /**
   * What waited for a `now`: the closing period of `close()` (RFC 9000 §10.2) and the validation
   * timer of `migrate()` (§8.2.4) start; what TLS reported from an asynchronous callback is
   * acted on, and packets its keys can open are processed.
   */
  private armDeferred(now: number): void {
    armClosing(this, now);
    this.paths.armValidationDeadlines(now);
    this.pathRequests.carryOut(this, now);
    this.onTlsOutcome(now);
    if (this.keys.replayPending) {
      replayBuffered(this, now);
      this.rx.end();
    }
  }

  /**
   * A send control for a path other than 0 (RFC 10069 §5.3: congestion and RTT state per path):
   * 1-RTT only, past the handshake. @internal
   */
  newPathSendControl(now: number): SendControl<SentFrame> {
    const validated = this.addressValidated;
    return newPathSendControl(
      this.opts,
      this.isClient,
      validated,
      this.peerParams,
      this.coupling,
      now,
    );
  }

  // ---- internals -------------------------------------------------------------------------

  private checkUsable(): void {
    if (!this.lifecycle.isOpen) throw new ConnectionClosedError(this.closeInfo);
  }

  private handleTimers(now: number): void {
    if (this.state === 'closing' || this.state === 'draining') {
      if (now >= this.lifecycle.deadline) finish(this, this.closeInfo!, now);
      return;
    }
    const idle = this.idle.onTimeout(now);
    if (idle === 'expired') {
      const reason = 'idle timeout';
      finish(this, { source: 'idle_timeout', errorCode: 0, application: false, reason }, now);
      return;
    }
    if (idle === 'keep_alive') this.controlFrames.requestPing();
    this.keys.onTimeout(now);
    // An abandoned path 0 neither probes nor validates any more (RFC 10069 §3.4).
    const zeroGone = pathZeroGone(this);
    if (!zeroGone) onPathValidationTimers(this, now);
    onMultipathTimers(this, now);
    if (!zeroGone) onLossDetectionTimer(this, now);
  }

  /**
   * Fresh recovery and congestion state (a new connection, or after a Retry: RFC 9002 §6.3).
   * @internal
   */
  newSendControl(): SendControl<SentFrame> {
    return newSendControl(this.opts, this.isClient, this.addressValidated, this.coupling);
  }

  /** For logs: the original DCID in hex, which names qlog files. */
  get traceId(): string {
    return toHex(this.originalDcid);
  }

  /** A one-line description of the close for messages. */
  static describeClose(info: CloseInfo): string {
    return describeClose(info);
  }
}
