/**
 * The engine (docs/ARCHITECTURE.md §1.2): routes datagrams to connections by Destination Connection
 * ID, accepts new connections (server), answers unknown versions with Version Negotiation, demands
 * address validation with Retry, sends stateless resets, and keeps one earliest-deadline timer.
 *
 * Two driving modes over one core (§1.3): sans-IO (`handleDatagram`, `pollTransmit`,
 * `nextTimeout`, `handleTimeout`) and callback mode (`processDatagram`, `finishRecv`, `onTimer`
 * with the host's `sendto` and `setTimer`), the latter a thin driver over the former.
 */
import type { CryptoProvider } from '../crypto/provider.js';
import { defaultProvider } from '../crypto/default-provider.js';
import { createInitialProtectors } from '../crypto/initial.js';
import { Connection, type ConnectionHost } from '../conn/connection.js';
import type { ConnectionOptions } from '../conn/options.js';
import { MinHeap } from '../util/heap.js';
import type { SocketAddress, Transmit } from '../util/address.js';
import { bytesEqual, toHex } from '../util/bytes.js';
import { ByteSlab } from '../util/byte-slab.js';
import { CidMap } from '../util/cid-map.js';
import { PacketType } from '../wire/version.js';
import { chooseServerVersion, clientVersionInformation } from '../conn/version-negotiation.js';
import { parseInvariantHeader, parseLongHeader, type LongHeader } from '../wire/header.js';
import { StatelessResetter, MIN_PACKET_FOR_RESET } from './stateless-reset.js';
import { PeerResetTokenIndex } from './peer-reset-tokens.js';
import { TokenSealer } from './tokens.js';
import { createClientTls, createServerTls } from './tls-setup.js';
import {
  buildRetry,
  buildRefusal,
  buildVersionNegotiation,
  initialCryptoPrefix,
  openClientInitial,
} from './stateless-packets.js';
import { AdmissionControl, type Admission } from './admission.js';
import { peekClientHello } from '../tls/client-hello-peek.js';
import type { QlogSink } from '../conn/qlog.js';
import { acceptDecision, tokenVerdict } from './initial-gate.js';
import type { TransmitBatch } from './transmit-batch.js';
import { SendQueue } from './send-queue.js';
import {
  checkServerConfig,
  cidScheme,
  clientStart,
  serverVersions,
  withAntiReplay,
  withKeyMaterial,
  withoutResumption,
  type EngineCallbacks,
  type EngineConfig,
  type EngineConnectOptions,
  type ServerConfig,
} from './config.js';

export type { Transmit, TransmitBatch };
export type {
  AcceptDecision,
  ConnectOptions,
  EngineCallbacks,
  EngineConfig,
  EngineConnectOptions,
  ServerConfig,
} from './config.js';

/** How many CIDs the peer retired stay routed to their connection (see `onCidRetired`). */
const RETIRED_CIDS_ROUTED = 4;

/** The host of each connection, carrying the engine's bookkeeping for it. */
interface EngineHost extends ConnectionHost {
  bind(c: Connection): void;
  /** Its deadline in the timer heap (Infinity: none); other heap entries for it are stale. */
  deadline: number;
  /** The CIDs routed to it (the lingering retired ones included). */
  readonly cids: Uint8Array[];
  /** Retired by the peer but still routed, oldest first (at most RETIRED_CIDS_ROUTED). */
  readonly retired: Uint8Array[];
  /** Server: counted by admission control until its client's address is validated. */
  unvalidated: boolean;
}

function hostOf(conn: Connection): EngineHost {
  return conn.host as EngineHost;
}

export class Engine {
  readonly provider: CryptoProvider;
  readonly cidLength: number;
  private readonly config: EngineConfig;
  private readonly generateCid: () => Uint8Array;
  /** Address-validation tokens are dated by the wall clock (ms), shared by a pool (tokens.ts). */
  private readonly wallClock: () => number;
  private readonly routes: CidMap<Connection>;
  /** Where the CIDs we issue and their reset tokens live. */
  private readonly cidBytes = new ByteSlab();
  /** Stateless reset tokens the peers of our connections gave us (RFC 9000 §10.3.1). */
  private readonly resetTokens: PeerResetTokenIndex;
  private readonly connections = new Set<Connection>();
  /** What there is to send: stateless datagrams, then connections round robin. */
  private readonly sendQueue = new SendQueue<Connection>((conn) => {
    this.refreshTimer(conn);
    if (conn.isClosed) this.forget(conn);
  });
  /** Connection deadlines; an entry whose key is not its host's `deadline` is stale. */
  private readonly timers = new MinHeap<Connection>();
  private readonly resetter: StatelessResetter;
  /** Made on first use (seeing or sealing a token), which a client engine never needs. */
  private tokenSealer: TokenSealer | null = null;
  private readonly tokenKey: Uint8Array | undefined;
  private readonly admission: AdmissionControl<Connection>;
  private readonly callbacks: EngineCallbacks | undefined;
  private armedTimer = Infinity;
  /** Callback mode: inside processDatagram, finishRecv or onTimer, which the host flushes after. */
  private driving = false;
  /** Server: the versions accepted from new clients, in preference order. */
  private readonly versions: readonly number[];
  /** The server's TLS options, with the engine's anti-replay store when none is given. */
  private readonly serverTls: ServerConfig | undefined;
  /** Server: new connections waiting in accept() (sans-IO users may also listen via onConnection). */
  private readonly acceptQueue: Connection[] = [];

  constructor(config: EngineConfig = {}, callbacks?: EngineCallbacks) {
    this.provider = config.crypto ?? defaultProvider;
    const keys = config.keys;
    config = withKeyMaterial(config, this.provider);
    this.config = config;
    this.callbacks = callbacks;
    this.wallClock = config.server?.currentTime ?? Date.now;
    const cids = cidScheme(config, this.provider);
    this.cidLength = cids.length;
    this.generateCid = cids.generate;
    const seed = this.provider.random(4);
    this.routes = new CidMap(new DataView(seed.buffer, seed.byteOffset, 4).getUint32(0));
    this.resetter = new StatelessResetter(
      this.provider,
      config.statelessResetKey ?? keys?.statelessResetKey,
    );
    this.resetTokens = new PeerResetTokenIndex(this.provider);
    this.tokenKey = config.server?.tokenKey ?? keys?.tokenKey;
    // A server's key is checked now (misconfiguration fails here); a client engine, one per
    // client connection in the Node adapter, spares the AEAD setup it never uses.
    if (config.server !== undefined || this.tokenKey !== undefined) {
      this.tokenSealer = new TokenSealer(this.provider, this.tokenKey);
    }
    this.versions = serverVersions(config);
    this.admission = new AdmissionControl(config.server?.admission);
    this.serverTls = withAntiReplay(config.server);
    // Misconfiguration fails here, not when a client arrives.
    checkServerConfig(config, this.provider);
  }

  private get tokens(): TokenSealer {
    return (this.tokenSealer ??= new TokenSealer(this.provider, this.tokenKey));
  }

  /** Connections currently alive. */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** Server connections whose client address is not validated yet (RFC 9000 §8.1). */
  get unvalidatedCount(): number {
    return this.admission.unvalidatedCount;
  }

  // ---- client -----------------------------------------------------------------------------

  /** Starts a client connection to `remote`; the first flight is ready to poll. */
  connect(remote: SocketAddress, opts: EngineConnectOptions, now: number): Connection {
    const { options, version, preferences } = clientStart(this.config.connection, opts);
    // RFC 9000 §7.2: the first DCID is random and at least 8 bytes.
    const dcid = this.provider.random(8);
    const { cid, resetToken } = this.newCidFor();
    const remembered = createClientTls.rememberedParams(options);
    const conn = Connection.create(this.hostFor(), {
      role: 'client',
      version,
      versions: preferences,
      options: options as ConnectionOptions,
      createTls: (cb, tp, resume) =>
        createClientTls(this.provider, resume ? options : withoutResumption(options), cb, tp),
      localCid: cid,
      localResetToken: resetToken,
      remoteCid: dcid,
      initialKeysDcid: dcid,
      originalDcid: dcid,
      ...(options.token ? { token: options.token } : {}),
      local: options.local ?? { address: '0.0.0.0', port: 0 },
      remote,
      ...(remembered ? { rememberedParams: remembered } : {}),
      ...this.qlogFor(toHex(dcid), 'client'),
      now,
    });
    this.register(conn, cid);
    // The first flight is ready: a host in callback mode is asked to flush.
    this.wake(conn);
    return conn;
  }

  // ---- sans-IO ----------------------------------------------------------------------------

  /**
   * A datagram arrived. Never throws for network input. `data` is modified (decrypted in place)
   * but not kept once this returns, so the caller may reuse the buffer: what outlives the call
   * is copied (packets waiting for their keys, RFC 9001 §5.7; CIDs, tokens, stream and CRYPTO
   * data, DATAGRAM payloads). `ecn` is the IP ECN codepoint it arrived with (0 Not-ECT, 1 ECT(1),
   * 2 ECT(0), 3 CE) when the socket can read it (RFC 9000 §13.4.1).
   */
  handleDatagram(
    data: Uint8Array,
    local: SocketAddress,
    remote: SocketAddress,
    now: number,
    ecn = 0,
  ): void {
    // A Node Buffer's slice() is a view, not a copy: work on a plain Uint8Array view so every
    // copy the stack makes with slice() really is one (packets are decrypted in place).
    if (data.constructor !== Uint8Array)
      data = new Uint8Array(data.buffer, data.byteOffset, data.length);
    if (data.length === 0) return;
    const first = data[0]!;
    const long = (first & 0x80) !== 0;
    if (long) {
      const inv = parseInvariantHeader(data, 0);
      if (!inv) {
        this.detectStatelessReset(data, remote, now);
        return;
      }
      const conn = this.routes.get(inv.dcid);
      if (conn) this.deliver(conn, data, local, remote, now, ecn);
      else this.handleUnknownLong(data, local, remote, now, ecn);
      return;
    }
    // A short header's DCID is ours, of our fixed length, right after the first byte.
    if (data.length < 1 + this.cidLength) return;
    const conn = this.routes.get(data, 1, this.cidLength);
    if (conn) this.deliver(conn, data, local, remote, now, ecn);
    else this.handleUnknownShort(data, data.subarray(1, 1 + this.cidLength), local, remote, now);
  }

  private deliver(
    conn: Connection,
    data: Uint8Array,
    local: SocketAddress,
    remote: SocketAddress,
    now: number,
    ecn: number,
  ): void {
    conn.receive(data, local, remote, now, ecn);
    const host = hostOf(conn);
    if (host.unvalidated) {
      // Admission control stops counting a connection once its client's address is validated.
      if (conn.addressValidated) {
        host.unvalidated = false;
        this.admission.settled(conn);
      } else {
        this.admission.heard(conn, now);
      }
    }
    this.touch(conn);
  }

  /**
   * A batch of datagrams arrived in one buffer: datagrams of `segmentSize` bytes, the last may
   * be shorter (a UDP GRO message; segmentSize >= data.length: one datagram), from one sender,
   * with one ECN codepoint. Each is handled as by handleDatagram, on a view of `data`.
   */
  handleDatagramBatch(
    data: Uint8Array,
    segmentSize: number,
    local: SocketAddress,
    remote: SocketAddress,
    now: number,
    ecn = 0,
  ): void {
    const length = data.length;
    if (segmentSize <= 0 || segmentSize >= length) {
      this.handleDatagram(data, local, remote, now, ecn);
      return;
    }
    // One plain view for the whole batch, so each datagram's subarray is one already (a Buffer's
    // would be wrapped again per datagram by handleDatagram).
    if (data.constructor !== Uint8Array)
      data = new Uint8Array(data.buffer, data.byteOffset, length);
    for (let p = 0; p < length; p += segmentSize) {
      this.handleDatagram(
        data.subarray(p, Math.min(p + segmentSize, length)),
        local,
        remote,
        now,
        ecn,
      );
    }
  }

  /** The next datagram to send, or null when nothing is ready now. */
  pollTransmit(now: number): Transmit | null {
    return this.sendQueue.next(now);
  }

  /**
   * The next batch to send: datagrams of one connection to one destination, of one size (the
   * last may be shorter) and one ECN mark, end to end in one buffer (the shape of UDP GSO), at
   * most `maxSegments` of them; null when nothing is ready now.
   */
  pollTransmitBatch(now: number, maxSegments?: number): TransmitBatch | null {
    return this.sendQueue.nextBatch(now, maxSegments);
  }

  /**
   * The caller no longer references any datagram pollTransmit or pollTransmitBatch returned so
   * far (they were sent, or the socket copied them): their memory may be written again. Optional:
   * a caller that never says so gets fresh memory for every datagram, as it keeps what it got.
   * A datagram held back inside the engine (one that did not fit a batch) is not the caller's to
   * release; the call then waits for the next one.
   */
  releaseTransmits(): void {
    this.sendQueue.released();
  }

  /**
   * The earliest timer of all connections (µs, absolute), Infinity for none; 0 (due at any
   * `now`) when datagrams wait for `pollTransmit`. A query: the engine keeps no clock.
   */
  nextTimeout(): number {
    if (this.sendQueue.pending) return 0;
    const expiry = this.admission.nextExpiry();
    for (;;) {
      const conn = this.timers.peek();
      if (!conn) return expiry;
      const key = this.timers.peekKey();
      if (hostOf(conn).deadline === key) return Math.min(key, expiry);
      this.timers.pop(); // stale entry
    }
  }

  handleTimeout(now: number): void {
    // Unvalidated clients that went silent are dropped without a word: their addresses may be
    // spoofed (RFC 9000 §8.1), and the slot is for the next client.
    for (let c = this.admission.takeExpired(now); c; c = this.admission.takeExpired(now)) {
      hostOf(c).unvalidated = false;
      c.abandon('handshake timeout: the client address was not validated', now);
      this.forget(c);
    }
    // Collect first: a connection whose deadline is "send now" is served by pollTransmit, and
    // must not be fired again in this loop.
    let due: Connection[] | null = null;
    while (this.timers.size > 0 && this.timers.peekKey() <= now) {
      const key = this.timers.peekKey();
      const conn = this.timers.pop()!;
      const host = hostOf(conn);
      if (host.deadline !== key) continue;
      host.deadline = Infinity;
      (due ??= []).push(conn);
    }
    if (due === null) return;
    for (const conn of due) {
      conn.onTimeout(now);
      this.touch(conn);
    }
  }

  /** Server: the next accepted connection not yet taken, or null. */
  accept(): Connection | null {
    return this.acceptQueue.shift() ?? null;
  }

  // ---- callback mode ------------------------------------------------------------------------

  /**
   * Callback mode: a datagram arrived. The host calls finishRecv once after the burst of reads
   * this datagram belongs to; what the datagram makes sendable waits for that flush.
   */
  processDatagram(
    data: Uint8Array,
    local: SocketAddress,
    remote: SocketAddress,
    now: number,
    ecn = 0,
  ): void {
    this.driving = true;
    try {
      this.handleDatagram(data, local, remote, now, ecn);
    } finally {
      this.driving = false;
    }
  }

  /** Callback mode: a batch of datagrams arrived (see handleDatagramBatch). */
  processDatagramBatch(
    data: Uint8Array,
    segmentSize: number,
    local: SocketAddress,
    remote: SocketAddress,
    now: number,
    ecn = 0,
  ): void {
    this.driving = true;
    try {
      this.handleDatagramBatch(data, segmentSize, local, remote, now, ecn);
    } finally {
      this.driving = false;
    }
  }

  /** Callback mode: after a burst of reads, send what is due and re-arm the timer. */
  finishRecv(now?: number): void {
    const cb = this.requireCallbacks();
    now ??= cb.now();
    this.driving = true;
    try {
      const sendBatch = cb.sendBatch;
      if (sendBatch !== undefined) {
        for (let b = this.pollTransmitBatch(now); b; b = this.pollTransmitBatch(now)) sendBatch(b);
      } else {
        for (let t = this.pollTransmit(now); t; t = this.pollTransmit(now)) cb.sendto(t);
      }
    } finally {
      this.driving = false;
    }
    const next = this.nextTimeout();
    if (next !== this.armedTimer) {
      this.armedTimer = next;
      cb.setTimer(next === Infinity ? Infinity : Math.max(0, next - now));
    }
  }

  /** Callback mode: the timer fired. */
  onTimer(now?: number): void {
    now ??= this.requireCallbacks().now();
    this.armedTimer = Infinity;
    this.driving = true;
    try {
      this.handleTimeout(now);
    } finally {
      this.driving = false;
    }
    this.finishRecv(now);
  }

  // ---- internals ----------------------------------------------------------------------------

  private requireCallbacks(): EngineCallbacks {
    if (!this.callbacks)
      throw new TypeError('callback mode needs EngineCallbacks (sendto, setTimer, now)');
    return this.callbacks;
  }

  private qlogFor(traceId: string, role: 'client' | 'server'): { qlog?: QlogSink } {
    const q = this.config.qlog?.(traceId, role);
    return q ? { qlog: q } : {};
  }

  private newCidFor(): { cid: Uint8Array; resetToken: Uint8Array } {
    for (let i = 0; i < 8; i++) {
      const cid = this.generateCid();
      if (cid.length !== this.cidLength)
        throw new RangeError('cidGenerator returned a CID of the wrong length');
      if (!this.routes.has(cid)) {
        // Packed: the routing table and the connection share these views for its whole life.
        const packed = this.cidBytes.copy(cid);
        return { cid: packed, resetToken: this.cidBytes.copy(this.resetter.tokenFor(cid)) };
      }
    }
    throw new Error('could not generate a unique connection ID');
  }

  /**
   * The server TLS options of one connection: with `connectionKeyLog`, its lines name the
   * connection (asked for lazily: the lines come after the connection is made).
   */
  private serverTlsOf(conn: () => Connection): ServerConfig {
    const tls = this.serverTls!;
    const perConnection = tls.connectionKeyLog;
    if (perConnection === undefined) return tls;
    return {
      ...tls,
      keyLog: (line) => {
        tls.keyLog?.(line);
        perConnection(conn(), line);
      },
    };
  }

  private hostFor(): ConnectionHost {
    // The connection is bound right after construction; until then nothing calls back.
    let self: Connection | null = null;
    const host: EngineHost = {
      deadline: Infinity,
      cids: [],
      retired: [],
      unvalidated: false,
      provider: this.provider,
      localCidLength: this.cidLength,
      transmitRelease: this.sendQueue.release,
      newCid: () => {
        const c = this.newCidFor();
        if (self) this.route(self, c.cid);
        return c;
      },
      onCidRetired: (cid) => {
        if (this.routes.get(cid) !== self) return;
        // Packets the peer sent with a CID just before retiring it may still arrive (reordered,
        // or a probe on the old path). The newest few retired CIDs keep routing to the
        // connection, so such stragglers are processed instead of drawing a stateless reset
        // (RFC 9000 §10.3 allows one; some peers wrongly honour it, §10.3.1). Older ones stop.
        host.retired.push(cid);
        if (host.retired.length <= RETIRED_CIDS_ROUTED) return;
        const old = host.retired.shift()!;
        this.routes.delete(old);
        const i = host.cids.findIndex((c) => bytesEqual(c, old));
        if (i >= 0) host.cids.splice(i, 1);
      },
      wake: (conn) => this.wake(conn),
      onPeerResetTokens: (conn) => {
        if (this.connections.has(conn)) this.resetTokens.update(conn, conn.peerCids.resetTokens());
      },
      newToken: (remote) => {
        if (this.config.server?.newTokens === false) return new Uint8Array(0);
        // RFC 9369 §5: the token belongs to the version this connection negotiated.
        return this.tokens.sealNewToken(remote, self!.version, this.wallClock());
      },
      bind: (c) => {
        self = c;
      },
    };
    return host;
  }

  private register(conn: Connection, ...cids: Uint8Array[]): void {
    hostOf(conn).bind(conn);
    for (const cid of cids) this.route(conn, cid);
    this.connections.add(conn);
    conn.on('close', () => this.forget(conn));
  }

  private route(conn: Connection, cid: Uint8Array): void {
    this.routes.set(cid, conn);
    hostOf(conn).cids.push(cid);
  }

  private forget(conn: Connection): void {
    if (!this.connections.delete(conn)) return;
    const host = hostOf(conn);
    for (const cid of host.cids) this.routes.delete(cid);
    host.cids.length = 0;
    this.resetTokens.remove(conn);
    this.sendQueue.remove(conn);
    host.deadline = Infinity;
    if (host.unvalidated) {
      host.unvalidated = false;
      this.admission.settled(conn);
    }
    // Not handed out by accept() once gone: a flood must not pin closed connections there.
    const waiting = this.acceptQueue.indexOf(conn);
    if (waiting >= 0) this.acceptQueue.splice(waiting, 1);
  }

  /**
   * New work on a connection (an API call, a stream event). In callback mode, outside a call the
   * host flushes after anyway, the engine asks the host for its timer now: the host owns the
   * scheduling, so API calls made during one turn of its event loop share one flush.
   */
  private wake(conn: Connection): void {
    this.sendQueue.add(conn);
    if (this.callbacks !== undefined && !this.driving && this.armedTimer !== 0) {
      this.armedTimer = 0;
      this.callbacks.setTimer(0);
    }
  }

  /**
   * After any event on a connection: it may have something to send and a new deadline. The
   * deadline is read once the connection has nothing more to send (pollTransmit), not after every
   * datagram: until then nextTimeout() says "now", and a timer that fires early finds nothing
   * due (each of the connection's timers checks its own deadline).
   */
  private touch(conn: Connection): void {
    if (conn.isClosed) {
      this.forget(conn);
      return;
    }
    this.sendQueue.add(conn);
  }

  private refreshTimer(conn: Connection): void {
    const t = conn.nextTimeout();
    const host = hostOf(conn);
    if (host.deadline === t) return;
    host.deadline = t;
    if (t !== Infinity) this.timers.push(t, conn);
  }

  /**
   * RFC 9000 §10.3.1: a datagram that routes to no connection may be a peer's stateless reset:
   * its last 16 bytes are the token (the CID in front of them is random). The connection it
   * resets enters the draining state and sends nothing more.
   */
  private detectStatelessReset(data: Uint8Array, remote: SocketAddress, now: number): boolean {
    const conn = this.resetTokens.lookup(data);
    if (!conn || !conn.peerCids.isStatelessReset(data, remote)) return false;
    conn.onStatelessReset(now);
    this.touch(conn);
    return true;
  }

  private handleUnknownLong(
    data: Uint8Array,
    local: SocketAddress,
    remote: SocketAddress,
    now: number,
    ecn: number,
  ): void {
    // RFC 9000 §10.3: any datagram ending in a reset token is a reset, whatever its header.
    if (this.detectStatelessReset(data, remote, now)) return;
    const server = this.config.server;
    if (!server) return;
    const inv = parseInvariantHeader(data, 0)!;
    if (!this.versions.includes(inv.version)) {
      // RFC 9000 §6.1: Version Negotiation, only for datagrams a client Initial could be.
      if (inv.version !== 0 && data.length >= 1200) {
        const vn = buildVersionNegotiation(this.provider, inv, this.versions);
        this.sendQueue.addStateless({ data: vn, remote, local });
      }
      return;
    }
    // RFC 9287 §3.1: a client that remembers our grease_quic_bit may clear the bit at once.
    const h = parseLongHeader(data, 0, this.config.connection?.greaseQuicBit !== false);
    if ('drop' in h || h.type !== PacketType.Initial) return; // 0-RTT before its Initial: dropped
    // RFC 9000 §14.1: Initials in datagrams below 1200 bytes are dropped.
    if (data.length < 1200) return;
    // RFC 9000 §7.2: the client's first DCID is at least 8 bytes.
    if (h.dcid.length < 8) return;
    // Over the limits, an Initial that cannot prove its address gets no crypto work at all: it
    // is dropped, or answered with Retry without being opened first. A Retry keeps no state and
    // is smaller than the 1200-byte datagram that asked for it (no amplification, RFC 9000
    // §8.1), and the client checks its integrity tag (RFC 9001 §5.8). The accept hook may
    // still refuse the client instead (a closing server); it sees no ClientHello then (null),
    // since reading one needs the Initial opened.
    let admission: Admission | null = h.token.length === 0 ? this.admission.admit(now) : null;
    if (admission === 'drop') return;
    if (admission === 'retry' && server.accept?.(remote, false, null) !== 'refuse') {
      this.sendRetry(h, local, remote);
      return;
    }
    const initialKeys = createInitialProtectors(this.provider, h.version, h.dcid);
    const payload = openClientInitial(initialKeys.client, data, h);
    if (payload === null) return;
    // RFC 9368 §2.3: the server may answer in another version the client's first flight
    // converts into, when the ClientHello's first packet says the client offers it.
    const hello = peekClientHello(initialCryptoPrefix(payload));
    const version = chooseServerVersion(
      this.versions,
      server.versions !== undefined,
      h.version,
      clientVersionInformation(hello?.transportParameters ?? null),
    );

    const verdict = tokenVerdict(
      h,
      h.token.length > 0 ? this.tokens.check(h.token, remote, this.wallClock()) : null,
      hello,
      version,
    );
    if (verdict.kind === 'drop') return;
    if (verdict.kind === 'invalid_retry') {
      this.sendQueue.addStateless({
        data: buildRefusal(this.provider, h, 0x0b, 'invalid token'),
        remote,
        local,
      });
      return;
    }
    const { validated, originalDcid, retrySourceCid } = verdict;
    admission = validated ? 'accept' : (admission ?? this.admission.admit(now));
    if (admission === 'drop') return;
    const full = this.connections.size >= (this.config.maxConnections ?? 10_000);
    const decision = acceptDecision(server, remote, validated, hello, admission, full);
    if (decision === 'refuse') {
      this.sendQueue.addStateless({
        data: buildRefusal(this.provider, h, 0x02, 'connection refused'),
        remote,
        local,
      });
      return;
    }
    if (decision === 'retry' && !validated) {
      this.sendRetry(h, local, remote);
      return;
    }

    const { cid, resetToken } = this.newCidFor();
    const preferred = server.preferredAddress
      ? { ...server.preferredAddress, ...this.newCidFor() }
      : null;
    const opts = { ...this.config.connection, alpn: server.alpn } as ConnectionOptions;
    const serverTls = this.serverTlsOf(() => conn);
    const conn: Connection = Connection.create(this.hostFor(), {
      role: 'server',
      version,
      ...(version !== h.version ? { originalVersion: h.version } : {}),
      versions: this.versions,
      options: opts,
      createTls: (cb, tp) => createServerTls(this.provider, serverTls, opts, cb, tp, version),
      localCid: cid,
      localResetToken: resetToken,
      remoteCid: h.scid.slice(),
      initialKeysDcid: h.dcid.slice(),
      ...(version === h.version ? { initialKeys } : {}),
      originalDcid,
      ...(retrySourceCid ? { retrySourceCid } : {}),
      addressValidated: validated,
      ...(preferred ? { preferredAddress: preferred } : {}),
      local,
      remote,
      ...this.qlogFor(toHex(originalDcid), 'server'),
      now,
    });
    // Route the client's chosen DCID too: its retransmitted Initials still carry it.
    this.register(conn, cid, h.dcid.slice(), ...(preferred ? [preferred.cid] : []));
    if (!validated) {
      hostOf(conn).unvalidated = true;
      this.admission.added(conn, now);
    }
    this.acceptQueue.push(conn);
    if (this.acceptQueue.length > 1024) this.acceptQueue.shift();
    this.callbacks?.onConnection?.(conn);
    this.deliver(conn, data, local, remote, now, ecn);
  }

  /** Asks the client of Initial `h` to prove its address (RFC 9000 §8.1.2). */
  private sendRetry(h: LongHeader, local: SocketAddress, remote: SocketAddress): void {
    // Only the client's next Initial uses this CID (it routes to no connection), so it needs no
    // reset token and no room in the slab; a QUIC-LB CID brings that Initial back to this server.
    // The token's time is the wall clock: another server of the pool checks it (key-material.ts).
    const scid = this.generateCid();
    const token = this.tokens.sealRetry(
      remote,
      { originalDcid: h.dcid.slice(), retryScid: scid },
      h.version,
      this.wallClock(),
    );
    this.sendQueue.addStateless({ data: buildRetry(this.provider, h, scid, token), remote, local });
  }

  private handleUnknownShort(
    data: Uint8Array,
    dcid: Uint8Array,
    local: SocketAddress,
    remote: SocketAddress,
    now: number,
  ): void {
    if (this.detectStatelessReset(data, remote, now)) return;
    // RFC 9000 §10.3: a short-header packet for no connection gets a stateless reset.
    if (data.length < MIN_PACKET_FOR_RESET) return;
    const reset = this.resetter.buildReset(dcid, data.length, now);
    if (reset) this.sendQueue.addStateless({ data: reset, remote, local });
  }
}
