/**
 * A QUIC connection (RFC 9000), sans-IO: datagrams in with `receive`, datagrams out with
 * `poll`, time through `nextTimeout` / `onTimeout`. It owns the packet-number spaces, the TLS
 * session, the streams, flow control, connection IDs and the paths; the receive pipeline lives in
 * receive.ts, packet assembly in assemble.ts.
 *
 * Errors follow docs/ARCHITECTURE.md §1.9: peer violations close the connection with their wire
 * code (first one wins); API misuse throws; nothing from the network throws out of here.
 */
import { CouplingGroup } from '../cc/coupling.js';
import { PnSpace } from '../ack/pn-space.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { createInitialProtectors } from '../crypto/initial.js';
import { Emitter } from '../util/emitter.js';
import type { SocketAddress } from '../util/address.js';
import { toHex } from '../util/bytes.js';
import { QuicError, TransportError, transportErrorName } from '../wire/errors.js';
import { encodeTransportParameters, type TransportParameters } from '../wire/transport-params.js';
import type { Level, TlsCallbacks, TlsSession, TlsSessionInfo } from '../tls/types.js';
import { StreamMap } from '../stream/stream-map.js';
import type { Stream } from '../stream/stream.js';
import { EncryptionLevels } from './encryption-levels.js';
import { LocalCids, PeerCids, type CidHost } from './cids.js';
import { resolveOptions, type ConnectionOptions, type ResolvedOptions } from './options.js';
import { PathState } from './path-state.js';
import { PathSet } from './path-set.js';
import { createPathScheduler } from '../path/schedulers/registry.js';
import { Multipath, type MultipathPath, type PathStatus } from './multipath.js';
import {
  abandonPath,
  largestPto,
  multipathDeadline,
  negotiateMultipath,
  onMultipathTimers,
  openPathNow,
  reinject,
} from './multipath-control.js';
import {
  multipathHasPendingSend,
  pacerReleaseTime,
  pathZeroGone,
  pathZeroHeld,
} from './multipath-send.js';
import { SendControl } from '../path/send-control.js';
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
import {
  ConnectionStats,
  type ConnectionEcnStats,
  type ConnectionStatsSnapshot,
  type PathStatsSnapshot,
} from './stats.js';
import {
  maybeUsePreferredAddress,
  onPathValidationTimers,
  startMigration,
  type PreferredAddressInit,
} from './migration.js';
import type { QlogSink } from './qlog.js';
import { buildLocalParams, ConnectionTlsCallbacks, onHandshakeComplete } from './handshake.js';
import { armProbes, onFramesLost } from './retransmit.js';
import { ConnectionStreamEvents } from './stream-events.js';
import { currentDatagramSize, onPathPackets } from './path-mtu.js';
import type { EngineServices } from './context.js';
import type { ConnectionEvents } from './events.js';
import { VersionNegotiation } from './version-negotiation.js';

/** Stands in for absent byte strings (shared, never written). */
const NO_BYTES = new Uint8Array(0);

export type { CloseInfo, ConnectionState, EarlyDataState } from './state.js';
export type { ConnectionEvents } from './events.js';

/** What a connection needs from the engine that owns it. @internal */
export interface ConnectionHost extends CidHost, EngineServices {
  /** Something changed outside a receive/timeout call: the engine should poll this connection. */
  wake(conn: Connection): void;
  /** Tokens of stateless resets the peer may send us. */
  onPeerResetTokens?(conn: Connection): void;
}

/** Everything the engine fixes when it creates a connection. @internal */
export interface ConnectionInit {
  role: 'client' | 'server';
  /** The version in use: the client's first flight, or the one the server negotiated. */
  version: number;
  /** Server: the version of the client's first flight, when it negotiated another one. */
  originalVersion?: number;
  /**
   * Client: the versions it accepts, in descending preference; server: the versions it offers
   * (RFC 9368 §3). Default: `version` alone.
   */
  versions?: readonly number[];
  options: ConnectionOptions;
  /**
   * Builds the TLS session with these callbacks and our encoded transport parameters; `resume`
   * false: a client's new attempt after Version Negotiation, which offers no session ticket.
   */
  createTls: (
    callbacks: TlsCallbacks,
    transportParameters: Uint8Array,
    resume: boolean,
  ) => TlsSession;
  /** Our first Source CID and its stateless reset token. */
  localCid: Uint8Array;
  localResetToken: Uint8Array;
  /** The Destination CID we send to first: client random / client's SCID. */
  remoteCid: Uint8Array;
  /** The DCID the Initial keys derive from: the client's first DCID, or the Retry SCID. */
  initialKeysDcid: Uint8Array;
  /** Server: the client's very first DCID (original_destination_connection_id). */
  originalDcid: Uint8Array;
  /** Server after Retry: the SCID of our Retry (retry_source_connection_id). */
  retrySourceCid?: Uint8Array;
  /** Client: a NEW_TOKEN or Retry token to put in Initials. */
  token?: Uint8Array;
  /** Server: the client's address was validated by a token. */
  addressValidated?: boolean;
  local: SocketAddress;
  remote: SocketAddress;
  /** Client resumption: the server's transport parameters remembered with the ticket (0-RTT). */
  rememberedParams?: TransportParameters;
  /** Server: addresses to offer in preferred_address, with their CID (RFC 9000 §9.6). */
  preferredAddress?: PreferredAddressInit;
  qlog?: QlogSink;
  now: number;
}

export class Connection extends Emitter<ConnectionEvents> {
  readonly role: 'client' | 'server';
  readonly isClient: boolean;
  /** The version in use (`version`): version negotiation may change it once (RFC 9368). */
  private wireVersion: number;
  /** Version negotiation (RFC 9368): what we offer, what we checked, the original version. @internal */
  readonly versionNegotiation: VersionNegotiation;
  /** Handshaking, established, closing, draining, closed (state.ts changes it). */
  private readonly lifecycle: ConnectionLifecycle;
  /** @internal */
  readonly provider: CryptoProvider;
  /** @internal */
  readonly opts: ResolvedOptions;
  /** @internal */
  readonly host: ConnectionHost;
  /** The TLS session the handshake runs in (`tls` is its read-only view). */
  private session: TlsSession;
  private readonly createTls: ConnectionInit['createTls'];
  private readonly tlsEvents: ConnectionTlsCallbacks;
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
  /**
   * The coupling group of the controllers of this connection's paths (RFC 6356: a coupled
   * controller such as 'lia' sizes its increase over all of them).
   */
  private readonly coupling = new CouplingGroup();
  /** Paths `openPath` asked for, opened at the next entry point (it has no `now`). */
  private readonly pathsToOpen: { id: number; local: SocketAddress; remote: SocketAddress }[] = [];
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
  private idleDeadline = Infinity;
  private keepAliveDeadline = Infinity;
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
  /** Sessions tickets want the server's params: kept for `sessionTicket` events. */
  /** Tickets that arrived before confirmation, emitted at confirmation. @internal */
  readonly pendingTickets: Uint8Array[] = [];
  /** An ack-eliciting packet was sent since the last one received (idle timer, RFC 9000 §10.1). */
  private sentSinceReceive = false;

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
    this.builder = new PacketBuilder(this.opts.maxUdpPayload + 64);
    this.quicBit = new QuicBitGrease(this.provider, this.opts.random);
    this.ackFrequency = new AckFrequency(this.opts.ackFrequency);
    this.qlog = init.qlog;
    this.startTime = init.now;
    this.token = init.token ?? NO_BYTES;
    this.originalDcid = init.originalDcid;
    this.lifecycle = new ConnectionLifecycle(this.isClient || init.addressValidated === true);
    this.keys = new EncryptionLevels(this.isClient);
    const maxAckDelayUs = this.opts.maxAckDelayMs * 1000;
    this.spaces = [
      new SpaceState(PnSpace.Initial, maxAckDelayUs),
      new SpaceState(PnSpace.Handshake, maxAckDelayUs),
      new SpaceState(PnSpace.Application, maxAckDelayUs),
    ];
    const random = this.provider.random(4);
    this.versionNegotiation = new VersionNegotiation(
      this.isClient,
      init.originalVersion ?? init.version,
      init.versions ?? [init.version],
      ((random[0]! << 24) | (random[1]! << 16) | (random[2]! << 8) | random[3]!) >>> 0,
    );
    this.installInitialKeys(init.initialKeysDcid);
    this.versionNegotiation.keepOriginalInitialRead(
      this.provider,
      this.version,
      init.initialKeysDcid,
    );

    this.localCids = new LocalCids(host);
    this.localCids.addInitial(init.localCid, init.localResetToken);
    const pa = init.preferredAddress;
    if (pa && !this.isClient) this.localCids.addInitial(pa.cid, pa.resetToken);
    this.peerCids = new PeerCids(init.remoteCid, 8);
    this.multipath = this.opts.multipath
      ? new Multipath(
          host,
          this.opts.multipath.maxPathId,
          8,
          createPathScheduler(this.opts.multipath.scheduler),
        )
      : null;

    this.localParams = buildLocalParams(this, init);
    this.streams = new StreamMap(
      {
        isClient: this.isClient,
        local: this.localParams,
        sendBufferLimit: this.opts.streamSendBuffer,
        maxStreamWindow: this.opts.maxStreamWindow,
        maxConnectionWindow: this.opts.maxConnectionWindow,
      },
      new ConnectionStreamEvents(this),
    );

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
    this.tlsEvents = new ConnectionTlsCallbacks(this);
    this.createTls = init.createTls;
    this.session = init.createTls(this.tlsEvents, encoded, true);
    this.resetIdle(init.now);
    this.qlog?.connectionStarted(this, init.now);
    if (this.isClient) {
      this.tlsEvents.driving = true;
      this.session.start();
      this.tlsEvents.driving = false;
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
    return this.session.alpn;
  }

  /**
   * What the TLS handshake established: cipher suite, group, the peer's certificates, the
   * server name, resumption, 0-RTT, and the keying material exporter (RFC 8446 §7.5).
   */
  get tls(): TlsSessionInfo {
    return this.session;
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
    return this.session.handshakeComplete;
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
    const max = this.peerParams?.maxDatagramFrameSize ?? 0;
    // The frame (type + length varint + data) must fit the peer's limit (RFC 9221 §3).
    if (max === 0 || data.length + 4 > max || data.length + 64 > this.maxDatagramSizeNow) {
      return false;
    }
    this.controlFrames.queueDatagram(data);
    this.wake();
    return true;
  }

  /** Largest DATAGRAM payload the peer accepts now (0 when unsupported). */
  get maxDatagramSize(): number {
    const max = this.peerParams?.maxDatagramFrameSize ?? 0;
    return max === 0 ? 0 : Math.min(max - 4, this.maxDatagramSizeNow - 64);
  }

  /** The active path's datagram size (its PLPMTU, RFC 9000 §14.3) or, before it is known, 1200. */
  private get maxDatagramSizeNow(): number {
    return currentDatagramSize(this.path, this.peerParams?.maxUdpPayloadSize ?? 0);
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
   * Closes the connection with an application error code (RFC 9000 §10.2): CONNECTION_CLOSE is
   * sent and the connection lingers in the closing state for three PTOs.
   */
  close(errorCode = 0, reason = ''): void {
    if (!this.lifecycle.isOpen) return;
    // No `now` here: the closing period starts at the next poll, when CONNECTION_CLOSE leaves.
    this.enterClosing({ source: 'local', errorCode, application: true, reason }, NaN);
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
    const id = mp.nextOpenableId(this.pathsToOpen.map((p) => p.id));
    if (id < 0) {
      mp.onOpenBlocked();
      this.wake();
      return -1;
    }
    // No `now` here: the path (its timers) is made at the next entry point (`armDeferred`).
    this.pathsToOpen.push({ id, local, remote: remote ?? this.path.remote });
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
    this.pathsToClose.push({ p, errorCode });
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

  /** Paths `closePath` asked to abandon, at the next entry point. */
  private readonly pathsToClose: { p: MultipathPath; errorCode: number }[] = [];

  /** A snapshot of the connection's statistics. */
  getStats(): ConnectionStatsSnapshot {
    const sc = this.path.sendControl;
    const rtt = sc.rtt;
    const ms = (us: number): number => Math.round(us) / 1000;
    return {
      version: this.version,
      alpn: this.session.alpn,
      cipher: this.session.cipherSuite,
      group: this.session.group,
      retry: this.stats.retry,
      resumed: this.session.resumed,
      earlyDataAccepted:
        this.earlyDataState === 'accepted' && (!this.isClient || this.stats.earlyStreamDataSent),
      handshakeMs: this.handshakeTime < 0 ? -1 : ms(this.handshakeTime),
      bytesSent: this.stats.bytesSent,
      bytesReceived: this.stats.bytesReceived,
      packetsSent: this.stats.packetsSent,
      packetsReceived: this.stats.packetsReceived,
      packetsLost: this.stats.packetsLost,
      packetsDropped: this.stats.packetsDropped,
      reinjectedPackets: this.stats.reinjectedPackets,
      acksSent: this.stats.acksSent,
      acksReceived: this.stats.acksReceived,
      srttMs: ms(rtt.smoothed),
      minRttMs: ms(rtt.min === Infinity ? 0 : rtt.min),
      latestRttMs: ms(rtt.latest),
      rttVarMs: ms(rtt.variance),
      cwnd: sc.cwnd,
      bytesInFlight: sc.bytesInFlight,
      pmtu: this.maxDatagramSizeNow,
      keyUpdates: this.keys.keyUpdates,
      migrated: this.stats.migrations > 0,
      migrations: this.stats.migrations,
      streamsOpen: this.streams.size,
      ecn: this.ecnStats(),
      paths: this.pathStats(),
    };
  }

  /** Per path: path 0 alone without multipath (RFC 10069). */
  private pathStats(): PathStatsSnapshot[] {
    const mp = this.multipath;
    const ms = (us: number): number => Math.round(us) / 1000;
    const one = (
      id: number,
      path: PathState,
      status: string,
      sent: number,
      received: number,
      reinjected: number,
    ): PathStatsSnapshot => {
      const sc = path.sendControl;
      return {
        pathId: id,
        local: path.local,
        remote: path.remote,
        status,
        validated: path.validated,
        srttMs: ms(sc.rtt.smoothed),
        cwnd: sc.cwnd,
        bytesInFlight: sc.bytesInFlight,
        bytesSent: sent,
        bytesReceived: received,
        packetsSent: sc.stats.packetsSent,
        packetsLost: sc.stats.packetsLost,
        reinjectedPackets: reinjected,
      };
    };
    if (mp === null || !mp.enabled) {
      return [one(0, this.path, 'available', this.stats.bytesSent, this.stats.bytesReceived, 0)];
    }
    const out: PathStatsSnapshot[] = [];
    let otherSent = 0;
    let otherReceived = 0;
    for (const p of mp.all()) {
      if (p.id === 0) continue;
      otherSent += p.bytesSent;
      otherReceived += p.bytesReceived;
    }
    for (const p of mp.all()) {
      const status = p.state === 'abandoned' ? 'abandoned' : p.backup ? 'backup' : 'available';
      // Path 0 is what the connection sent and received on no other path.
      const sent = p.id === 0 ? this.stats.bytesSent - otherSent : p.bytesSent;
      const received = p.id === 0 ? this.stats.bytesReceived - otherReceived : p.bytesReceived;
      out.push(one(p.id, p.paths.active, status, sent, received, p.reinjectedPackets));
    }
    return out;
  }

  private ecnStats(): ConnectionEcnStats {
    const out: ConnectionEcnStats = {
      ...this.path.sendControl.ecn.stats(),
      receivedEct0: 0,
      receivedEct1: 0,
      receivedCe: 0,
    };
    for (const s of this.spaces) {
      const c = s.tracker.ecnCounts;
      out.receivedEct0 += c.ect0;
      out.receivedEct1 += c.ect1;
      out.receivedCe += c.ce;
    }
    return out;
  }

  /** Whether the connection is gone (the engine forgets it). */
  get isClosed(): boolean {
    return this.state === 'closed';
  }

  // ---- events ----------------------------------------------------------------------------

  /**
   * Events raised while a datagram, a timer or a poll is being processed, delivered once it is
   * done (`deliverEvents`): application code never runs in the middle of a packet. Flat pairs
   * of event name and arguments.
   */
  private heldEvents: unknown[] = [];
  /** The array of the last delivery, reused (a listener may drive the connection again). */
  private spareEvents: unknown[] | null = null;
  private holdEvents = 0;

  override emit<K extends keyof ConnectionEvents>(
    event: K,
    ...args: Parameters<ConnectionEvents[K]>
  ): boolean {
    if (this.holdEvents > 0) {
      this.heldEvents.push(event, args);
      return this.listenerCount(event) > 0;
    }
    return super.emit(event, ...args);
  }

  /**
   * Delivers the held events in order. A listener's error that no `error` listener took is
   * rethrown in a microtask: it surfaces as an uncaught exception (the Node convention for an
   * unhandled error) without leaving the engine half-way through its own work.
   */
  private deliverEvents(): void {
    const q = this.heldEvents;
    if (q.length === 0) return;
    // A listener may drive the connection (write, close, flush): what that raises is held in a
    // fresh queue and delivered by that call, never this queue twice.
    this.heldEvents = this.spareEvents ?? [];
    this.spareEvents = null;
    for (let i = 0; i < q.length; i += 2) {
      const event = q[i] as keyof ConnectionEvents;
      const args = q[i + 1] as Parameters<ConnectionEvents[typeof event]>;
      try {
        super.emit(event, ...args);
      } catch (e) {
        queueMicrotask(() => {
          throw e;
        });
      }
    }
    q.length = 0;
    this.spareEvents = q;
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
    this.resetPollState();
    this.holdEvents++;
    try {
      this.armDeferred(now);
      if (this.state === 'closing') onDatagramWhileClosing(this, data, local, remote, now);
      else processDatagram(this, data, local, remote, now, ecn);
    } catch (e) {
      this.onInternalError(e, now);
    } finally {
      this.holdEvents--;
    }
    // Views into the datagram: do not keep the datagram alive until the next one.
    this.rx.end();
    this.deliverEvents();
  }

  /** The next datagram to send, or null. @internal */
  poll(now: number): OutgoingDatagram | null {
    if (this.state === 'closed' || this.state === 'draining') return null;
    this.holdEvents++;
    try {
      return this.pollDatagram(now);
    } finally {
      this.holdEvents--;
      this.deliverEvents();
    }
  }

  private pollDatagram(now: number): OutgoingDatagram | null {
    try {
      this.armDeferred(now);
      const d = nextDatagram(this, now);
      if (d !== null) return d;
      // Held back only by the pacer: stay armed for its release time (RFC 9002 §7.7). Blocked
      // by the window or the amplification limit (Infinity), only new input can help.
      const release = pacerReleaseTime(this, now);
      if (release > now && release < Infinity && this.hasPendingSend()) {
        this.pacerRelease = release;
      } else {
        this.pollIdle = true;
        this.idleAckDeadline = this.ackDeadline(now);
        // Idle: nothing to send and nothing in flight (a sender between two writes keeps it).
        if (this.path.sendControl.bytesInFlight === 0 && !this.hasPendingSend()) {
          this.builder.release();
        }
      }
      return null;
    } catch (e) {
      this.onInternalError(e, now);
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
    let t = Math.min(this.idleDeadline, this.keepAliveDeadline);
    // An abandoned path 0 has no timers of its own left (RFC 10069 §3.4).
    if (!pathZeroGone(this)) {
      t = Math.min(t, this.path.sendControl.timerDeadline());
      t = Math.min(t, this.paths.deadline());
    }
    t = Math.min(t, multipathDeadline(this));
    if (this.pollIdle) {
      // An ACK that was due but could not be sent (amplification limit) waits for new input.
      t = Math.min(t, this.idleAckDeadline);
    } else {
      t = Math.min(t, this.ackDeadline(-Infinity));
      // Held back by the pacer only (see `poll`): its release time is the deadline.
      if (this.hasPendingSend()) t = Math.min(t, this.pacerRelease);
    }
    t = Math.min(t, this.keys.nextTimeout());
    return t;
  }

  /** @internal */
  onTimeout(now: number): void {
    if (this.state === 'closed') return;
    this.resetPollState();
    this.holdEvents++;
    try {
      this.armDeferred(now);
      this.handleTimers(now);
    } catch (e) {
      this.onInternalError(e, now);
    } finally {
      this.holdEvents--;
    }
    this.deliverEvents();
  }

  // ---- internals used by receive.ts / assemble.ts ----------------------------------------

  /** Set when a poll found nothing it could send: the send timer waits for new work. */
  private pollIdle = false;
  /** While `pollIdle`: the earliest ACK deadline still ahead of that poll. */
  private idleAckDeadline = Infinity;
  /** When the pacer releases what the last poll held back (RFC 9002 §7.7); 0: send now. */
  private pacerRelease = 0;

  /** The earliest ACK deadline after `after` of the spaces in use. */
  private ackDeadline(after: number): number {
    let t = Infinity;
    for (const s of this.spaces) {
      if (s.discarded) continue;
      const d = s.tracker.ackDeadline();
      if (d > after && d < t) t = d;
    }
    // Multipath: the 1-RTT spaces of the other paths (RFC 10069 §4.1).
    if (this.multipath !== null && this.multipath.enabled) {
      for (const p of this.multipath.all()) {
        if (p.id === 0) continue;
        const d = p.space.tracker.ackDeadline();
        if (d > after && d < t) t = d;
      }
    }
    return t;
  }

  /** Something new happened: the next poll decides again what can be sent. */
  private resetPollState(): void {
    this.pollIdle = false;
    this.pacerRelease = 0;
  }

  /** New work for the sender (an API call or a stream event): the engine should poll. @internal */
  wake(): void {
    this.resetPollState();
    this.host.wake(this);
  }

  /** The peer's stateless reset tokens changed: the engine updates its table. @internal */
  onPeerResetTokens(): void {
    this.host.onPeerResetTokens?.(this);
  }

  /** Whether anything but an ACK waits to be sent. @internal */
  hasPendingSend(): boolean {
    if (this.lifecycle.closeResendDue) return true;
    if (this.controlFrames.hasPending) return true;
    for (const s of this.spaces)
      if (!s.discarded && (s.hasCryptoToSend || s.probes > 0)) return true;
    if (this.paths.hasPendingSend) return true;
    if (this.multipath !== null && this.multipath.enabled && multipathHasPendingSend(this)) {
      return true;
    }
    // Stream data goes in 1-RTT or a client's 0-RTT (a server's 0.5-RTT is not counted here).
    const k = this.keys;
    if (k.oneRtt === null && (!this.isClient || k.sealer(PnSpace.Application) === null)) {
      return false;
    }
    return this.streams.hasPendingSend;
  }

  /**
   * Sending restarts the idle timer only for the first ack-eliciting packet after a receive
   * (RFC 9000 §10.1), so a peer that went silent is noticed.
   * @internal
   */
  resetIdleOnSend(now: number): void {
    if (this.sentSinceReceive) return;
    this.resetIdle(now);
    this.sentSinceReceive = true;
  }

  /** Records activity for the idle timer (RFC 9000 §10.1). @internal */
  resetIdle(now: number): void {
    this.sentSinceReceive = false;
    const local = this.opts.idleTimeoutMs;
    const peer = this.peerParams?.maxIdleTimeout ?? 0;
    const ms = local === 0 ? peer : peer === 0 ? local : Math.min(local, peer);
    if (ms === 0) {
      this.idleDeadline = Infinity;
    } else {
      // RFC 9000 §10.1: at least three PTOs, so a few probes can still get through.
      const floor = 3 * this.path.sendControl.rtt.ptoPeriod(true);
      this.idleDeadline = now + Math.max(ms * 1000, floor);
    }
    this.keepAliveDeadline =
      this.opts.keepAliveUs > 0 && this.state === 'established'
        ? now + this.opts.keepAliveUs
        : Infinity;
  }

  /** The current PTO period (for closing/draining and key discard timers). @internal */
  ptoPeriod(): number {
    return this.path.sendControl.rtt.ptoPeriod(this.handshakeConfirmed);
  }

  /** Latches a protocol error and starts closing (first error wins). @internal */
  closeWithError(err: QuicError, now: number): void {
    if (!this.lifecycle.isOpen) return;
    this.enterClosing(
      {
        source: 'local',
        errorCode: err.code,
        application: false,
        reason: err.message,
        frameType: err.frameType,
      },
      now,
    );
  }

  /** The peer closed (CONNECTION_CLOSE received): draining (RFC 9000 §10.2.2). @internal */
  onPeerClose(info: CloseInfo, now: number): void {
    const d = this.lifecycle.startDraining(info, now + 3 * largestPto(this));
    if (d === null) return;
    this.qlog?.connectionClosed(this, info, now);
    if (d.wasOpen) this.emit('closing', info);
  }

  /** A stateless reset from the peer (RFC 9000 §10.3.1): straight to draining. @internal */
  onStatelessReset(now: number): void {
    this.onPeerClose(
      { source: 'stateless_reset', errorCode: 0, application: false, reason: 'stateless reset' },
      now,
    );
  }

  /** Version Negotiation rules out every version we speak (RFC 9000 §6.2). @internal */
  onVersionNegotiationFailure(reason: string, now: number): void {
    this.finish(now, {
      source: 'version_negotiation',
      errorCode: TransportError.VERSION_NEGOTIATION_ERROR,
      application: false,
      reason,
    });
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
    this.resetRecovery(now);
    this.keys.clearBuffered();
    const encoded = encodeTransportParameters(this.localParams, this.role);
    this.session = this.createTls(this.tlsEvents, encoded, false);
    this.tlsEvents.driving = true;
    this.session.start();
    this.tlsEvents.driving = false;
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
   * Client, after a Retry or Version Negotiation: fresh recovery state on the same path (RFC 9002
   * §6.3); what went in 0-RTT packets is sent again (RFC 9000 §17.2.5.3). @internal
   */
  resetRecovery(now: number): void {
    const old = this.path;
    old.sendControl.cc.close?.();
    this.paths.replaceActive(
      new PathState(old.local, old.remote, this.newSendControl(), true, this.peerCids.current),
      now,
    );
    for (const p of old.sendControl.onZeroRttRejected(now)) onFramesLost(this, p.frames);
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

  /** 0-RTT keys: a client attempts early data, a server accepted it (RFC 9001 §4.6). @internal */
  onEarlyDataKeys(): void {
    this.lifecycle.onEarlyDataKeys(this.isClient);
  }

  /**
   * The handshake completed (RFC 9001 §4.1.1): established, and a client's 0-RTT attempt accepted
   * or rejected as TLS says (§4.6.2). Returns where 0-RTT stands. @internal
   */
  establish(): EarlyDataState {
    return this.lifecycle.establish(this.session.earlyDataAccepted);
  }

  /**
   * Closing (RFC 9000 §10.2.1): a datagram arrived, which may earn another CONNECTION_CLOSE.
   * @internal
   */
  onDatagramWhileClosing(): void {
    this.lifecycle.onDatagramWhileClosing();
  }

  /** Closing: takes the owed CONNECTION_CLOSE, if any (assemble.ts sends it). @internal */
  takeCloseResend(): boolean {
    return this.lifecycle.takeCloseResend();
  }

  /**
   * Ends the connection now, sending nothing: a server's connection whose client went silent
   * before its address was validated (RFC 9000 §8.1: it may be spoofed), like an idle timeout.
   * @internal
   */
  abandon(reason: string, now: number): void {
    // A closing or draining connection keeps the reason it is closing with.
    this.finish(now, { source: 'idle_timeout', errorCode: 0, application: false, reason });
  }

  /**
   * Ends the connection now with `info`, sending nothing: the host learnt that the peer cannot
   * be reached (ICMP port unreachable on a connected socket, RFC 9000 §14.2 — a CONNECTION_CLOSE
   * would go nowhere, and the socket that reported it may already be unusable). 'close' is
   * emitted with `info`; a closing or draining connection keeps the reason it is closing with.
   */
  terminate(info: CloseInfo, now: number): void {
    this.finish(now, info);
  }

  /**
   * Ends a closing or draining period now, when nothing can reach the connection any more (its
   * socket is gone): RFC 9000 §10.2 lets an endpoint that can receive no late packet skip it.
   * 'close' is emitted with the reason of the close. No effect on an open connection.
   */
  endClosingPeriod(now: number): void {
    const s = this.state;
    if (s !== 'closing' && s !== 'draining') return;
    this.finish(now, this.closeInfo!);
  }

  /** Installs Initial keys from the DCID (RFC 9001 §5.2); again after a Retry. @internal */
  installInitialKeys(dcid: Uint8Array): void {
    this.keys.installInitial(createInitialProtectors(this.provider, this.version, dcid));
  }

  /** Drops the keys and state of Initial or Handshake (RFC 9001 §4.9). @internal */
  discardSpace(space: PnSpace, now: number): void {
    const s = this.spaces[space];
    if (s.discarded) return;
    s.discard();
    this.keys.discard(space);
    // The token only ever goes in Initial packets (RFC 9000 §17.2.2).
    if (space === PnSpace.Initial) this.token = NO_BYTES;
    this.path.sendControl.discardSpace(space, now);
    this.qlog?.keyDiscarded(this, space, now);
  }

  /** The handshake is confirmed (RFC 9001 §4.1.2). @internal */
  confirmHandshake(now: number): void {
    if (!this.lifecycle.confirm()) return;
    this.qlog?.handshakeConfirmed?.(this, now);
    this.discardSpace(PnSpace.Handshake, now);
    this.path.sendControl.onHandshakeConfirmed(now);
    if (this.peerParams) this.localCids.topUp(this.peerParams.activeConnectionIdLimit);
    // RFC 10069 §3.2.1: CIDs for the path IDs the peer may open, proactively.
    this.multipath?.issueCids();
    if (this.isClient) {
      // RFC 9000 §9.6.1: once confirmed, the client moves to a preferred address of its family.
      maybeUsePreferredAddress(this, now, this.path.remote.address.includes(':') ? 6 : 4);
    }
    this.emit('handshakeConfirmed');
    for (const t of this.pendingTickets.splice(0)) this.emit('sessionTicket', t);
  }

  /** Hands CRYPTO data to TLS and acts on what it reports (RFC 9001 §4.1.3). @internal */
  receiveCrypto(level: Level, data: Uint8Array, now: number): void {
    this.tlsEvents.driving = true;
    try {
      this.session.receive(level, data);
    } finally {
      this.tlsEvents.driving = false;
    }
    this.onTlsOutcome(now);
  }

  /**
   * Acts on what the TLS session reported since the last time, with the caller's `now`. New
   * read keys do not replay buffered packets here, in the middle of a packet: the receive loop
   * does after it (`keys.replayPending`).
   */
  private onTlsOutcome(now: number): void {
    const t = this.tlsEvents;
    if (!t.hasOutcome) return;
    const { alert, paramsReceived, handshakeComplete } = t;
    t.takeOutcome();
    if (alert !== null) {
      this.closeWithError(alert, now);
      return;
    }
    if (paramsReceived) {
      this.resetIdle(now);
      negotiateMultipath(this);
    }
    if (handshakeComplete) onHandshakeComplete(this, now);
  }

  /**
   * What waited for a `now`: the closing period of `close()` (RFC 9000 §10.2) and the validation
   * timer of `migrate()` (§8.2.4) start; what TLS reported from an asynchronous callback is
   * acted on, and packets its keys can open are processed.
   */
  private armDeferred(now: number): void {
    if (this.lifecycle.armClosing(now + 3 * largestPto(this))) {
      this.qlog?.connectionClosed(this, this.closeInfo!, now);
    }
    this.paths.armValidationDeadlines(now);
    this.armMultipath(now);
    this.onTlsOutcome(now);
    if (this.keys.replayPending) {
      replayBuffered(this, now);
      this.rx.end();
    }
  }

  /** What `openPath` and `closePath` asked for, and multipath frames to queue. */
  private armMultipath(now: number): void {
    const mp = this.multipath;
    if (mp === null || !mp.enabled) return;
    for (const o of this.pathsToOpen.splice(0)) openPathNow(this, o.id, o.local, o.remote, now);
    for (const c of this.pathsToClose.splice(0)) {
      abandonPath(this, c.p, c.errorCode, 'local', 'closed by the application', now);
    }
    if (mp.hasPendingFrames) for (const f of mp.takeFrames()) this.controlFrames.queue(f);
  }

  /**
   * A send control for a path other than 0 (RFC 10069 §5.3: congestion and RTT state per path):
   * 1-RTT only, past the handshake. @internal
   */
  newPathSendControl(now: number): SendControl<SentFrame> {
    const sc = this.newSendControl();
    sc.discardSpace(PnSpace.Initial, now);
    sc.discardSpace(PnSpace.Handshake, now);
    sc.onHandshakeConfirmed(now);
    if (this.peerParams) sc.setPeerMaxAckDelay(this.peerParams.maxAckDelay * 1000);
    return sc;
  }

  // ---- internals -------------------------------------------------------------------------

  private checkUsable(): void {
    if (!this.lifecycle.isOpen) {
      throw new ConnectionClosedError(this.closeInfo);
    }
  }

  private onInternalError(e: unknown, now: number): void {
    if (e instanceof QuicError) {
      this.closeWithError(e, now);
      return;
    }
    // A bug of ours: close with INTERNAL_ERROR rather than take the process down.
    const msg = e instanceof Error ? e.message : String(e);
    this.closeWithError(
      new QuicError(TransportError.INTERNAL_ERROR, `internal error: ${msg}`),
      now,
    );
  }

  /** `now` NaN: the closing period starts at the next entry point (`armDeferred`). */
  private enterClosing(info: CloseInfo, now: number): void {
    if (!this.lifecycle.startClosing(info, now + 3 * largestPto(this))) return;
    if (!Number.isNaN(now)) this.qlog?.connectionClosed(this, info, now);
    // Nothing else is sent in the closing state (RFC 9000 §10.2.1).
    this.controlFrames.clear();
    this.emit('closing', info);
  }

  /** Closed and gone; `info` is the reason unless the connection was closing or draining. */
  private finish(now: number, info: CloseInfo): void {
    const f = this.lifecycle.finish(info);
    if (f === null) return;
    info = f.info;
    // Closing and draining logged connection_closed when they began.
    if (!f.wasEnding) this.qlog?.connectionClosed(this, info, now);
    this.qlog?.close(now);
    this.emit('close', info);
  }

  private handleTimers(now: number): void {
    if (this.state === 'closing' || this.state === 'draining') {
      if (now >= this.lifecycle.deadline) this.finish(now, this.closeInfo!);
      return;
    }
    if (now >= this.idleDeadline) {
      this.finish(now, {
        source: 'idle_timeout',
        errorCode: 0,
        application: false,
        reason: 'idle timeout',
      });
      return;
    }
    if (now >= this.keepAliveDeadline) {
      this.controlFrames.requestPing();
      this.keepAliveDeadline = now + this.opts.keepAliveUs;
    }
    this.keys.onTimeout(now);
    // An abandoned path 0 neither probes nor validates any more (RFC 10069 §3.4).
    const zeroGone = pathZeroGone(this);
    if (!zeroGone) onPathValidationTimers(this, now);
    onMultipathTimers(this, now);
    if (zeroGone) return;
    const sc = this.path.sendControl;
    if (now >= sc.timerDeadline()) {
      const out = sc.onTimeout(now);
      for (const p of out.lost) onFramesLost(this, p.frames);
      // Only 1-RTT packets remain once the search runs (after confirmation).
      onPathPackets(this.path, [], out.lost, now);
      if (out.probeCount > 0 && out.probeSpace !== null) {
        armProbes(this, out.probeSpace, out.probeCount);
        // Multipath (RFC 10069 §5.7): what path 0 had in flight goes on the paths that work.
        const zero = this.multipath?.get(0);
        if (zero !== undefined && pathZeroHeld(this)) reinject(this, zero);
      }
      this.stats.onLossEvent(out.lost.length);
      if (out.lost.length > 0) this.qlog?.packetsLost?.(this, out.lost, null, now);
      this.qlog?.metrics(this, now);
      sc.releaseOutcomes();
    }
  }

  /**
   * Fresh recovery and congestion state (a new connection, or after a Retry: RFC 9002 §6.3).
   * @internal
   */
  newSendControl(): SendControl<SentFrame> {
    return new SendControl<SentFrame>({
      isServer: !this.isClient,
      addressValidated: this.addressValidated,
      initialRtt: this.opts.initialRttUs,
      congestionController: this.opts.congestionControl,
      congestionControllerOptions: { coupling: this.coupling },
      ecn: this.opts.ecn,
    });
  }

  /** For logs: the original DCID in hex, which names qlog files. */
  get traceId(): string {
    return toHex(this.originalDcid);
  }

  /** A one-line description of the close for messages. */
  static describeClose(info: CloseInfo): string {
    const code = info.application
      ? `application error 0x${info.errorCode.toString(16)}`
      : transportErrorName(info.errorCode);
    return info.reason ? `${code}: ${info.reason}` : code;
  }
}

/** Thrown by API calls on a connection that is closing or closed. */
export class ConnectionClosedError extends Error {
  override name = 'ConnectionClosedError';
  readonly code = 'ERR_QUIC_CONNECTION_CLOSED';
  constructor(readonly info: CloseInfo | null) {
    super(info ? `connection closed (${Connection.describeClose(info)})` : 'connection closed');
  }
}
