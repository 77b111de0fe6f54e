/**
 * A UDP relay on loopback for interop runs between real processes (tsquic, ngtcp2, aioquic):
 * the client talks to the relay, the relay talks to the server, and in between it plays the
 * network the QUIC Interop Runner simulates with ns-3 — loss and corruption at a seeded rate or
 * by datagram number, blackouts, delay, a rate limit with a drop-tail queue, and NAT rebinding
 * of the client's port or address.
 *
 * This is the one module under src/testing that owns sockets and timers (docs/ARCHITECTURE.md §1 keeps
 * them in src/node): the in-memory `Network` is the deterministic tool; the relay exists for
 * programs that only speak real UDP. Its randomness is seeded, so a run's drop and corruption
 * pattern depends only on the seed and the order datagrams arrive in.
 *
 * Every client address (IP, port) is a flow with its own upstream socket, so the server sees
 * one address per client address; `rebindPort`/`rebindAddress` give every flow a new upstream
 * socket, which the server sees as the client's NAT binding changing (RFC 9000 §9.3).
 *
 * For the amplification check (RFC 9000 §8.1) each flow counts the bytes the server received
 * from it and the bytes the server sent to it until the address is validated, which the relay
 * sees on the wire as the first client datagram carrying a Handshake packet (long header,
 * Handshake type of its version: RFC 9000 §17.2.4, RFC 9369 §3.2) delivered to the server:
 * RFC 9000 §8.1 counts that as validation.
 *
 * With `ecn` (a binder of sockets that read and set the IP ECN field, relay-socket.ts) each
 * datagram's ECN codepoint is read, recorded and sent on with the datagram, as a router does.
 */
import { SeededRandom } from '../util/random.js';
import type { SocketAddress } from '../util/address.js';
import { PacketType, QUIC_V1, QUIC_V2, packetTypeFromBits } from '../wire/version.js';
import { bindRelaySocket, type EcnSocketBinder, type RelaySocket } from './relay-socket.js';

/** Which way a datagram travels. */
export type RelayDirection = 'toServer' | 'toClient';

/** What the relay does to the datagrams of one direction. Every field is optional. */
export interface RelayLinkConditions {
  /** Probability (0..1) that a datagram is dropped. */
  dropRate?: number;
  /** Probability (0..1) that a delivered datagram has one byte changed. */
  corruptRate?: number;
  /**
   * Datagram numbers (1-based, per flow and direction) to drop: the Interop Runner's
   * `droplist` scenario (amplificationlimit drops client datagrams 2–7).
   */
  dropList?: readonly number[];
  /** One-way delay, ms. */
  delayMs?: number;
  /** Link rate, bytes per second (serialization delay; a drop-tail queue in front). */
  rateBytesPerSecond?: number;
  /** Datagrams the queue in front of a rate-limited link holds (default 25, like the runner). */
  queueDatagrams?: number;
}

export interface RelayOptions {
  /** The server the relay forwards to. */
  server: SocketAddress;
  /** Where the relay listens for the client (default 127.0.0.1, port 0: any free port). */
  listen?: Partial<SocketAddress>;
  /** The address upstream sockets bind to (default: the listen address). */
  upstreamAddress?: string;
  /** The second address `rebindAddress` alternates with (default 127.0.0.2; IPv4 only). */
  alternateAddress?: string;
  toServer?: RelayLinkConditions;
  toClient?: RelayLinkConditions;
  /** Seed of the loss and corruption decisions (default 1). */
  seed?: number;
  /** Keep a copy of every datagram in `trace` (for checks after the run). */
  record?: boolean;
  /**
   * Read, record and forward the IP ECN field (RFC 3168) on sockets this binds (tsquic/node's
   * NativeUdpSocket.bind). Default: node:dgram sockets, which lose the marks, as a path that
   * bleaches them.
   */
  ecn?: EcnSocketBinder;
}

/** What happened to a datagram. */
export type RelayFate = 'delivered' | 'corrupted' | 'dropped' | 'blackholed' | 'queue-full';

/** One datagram as the relay saw it. */
export interface RelayRecord {
  /** Milliseconds since the relay started. */
  time: number;
  direction: RelayDirection;
  /** Flow number (one per client address, in order of appearance). */
  flow: number;
  /** The client's address, and the relay's upstream address the server sees for it. */
  client: SocketAddress;
  upstream: SocketAddress;
  fate: RelayFate;
  /** The datagram as it arrived (before any corruption). */
  data: Uint8Array;
  /** Its ECN codepoint (0 Not-ECT, 1 ECT(1), 2 ECT(0), 3 CE); always 0 without `ecn`. */
  ecn: number;
}

/** Bytes of one flow before its address was validated (RFC 9000 §8.1). */
export interface AmplificationCount {
  flow: number;
  /** Bytes the server received from the client before validation. */
  clientBytes: number;
  /** Bytes the server sent to the client before validation. */
  serverBytes: number;
  /** Whether a client Handshake packet reached the server. */
  validated: boolean;
  /**
   * The largest ratio of server bytes to client bytes seen at any server datagram before
   * validation (cumulative counts, as the Interop Runner checks it); 0 when none was sent.
   */
  maxRatio: number;
}

export interface RelayDirectionStats {
  datagrams: number;
  bytes: number;
  delivered: number;
  dropped: number;
  corrupted: number;
  blackholed: number;
  queueFull: number;
}

export interface RelayStats {
  toServer: RelayDirectionStats;
  toClient: RelayDirectionStats;
  flows: number;
  rebinds: number;
}

interface Flow {
  readonly id: number;
  readonly client: SocketAddress;
  socket: RelaySocket;
  upstream: SocketAddress;
  /** Datagrams seen per direction (for dropList). */
  count: Record<RelayDirection, number>;
  amplification: AmplificationCount;
}

interface Link {
  readonly conditions: RelayLinkConditions;
  readonly dropList: ReadonlySet<number>;
  /** When the link is free again (rate limit), ms since start. */
  busyUntil: number;
  queued: number;
}

const emptyStats = (): RelayDirectionStats => ({
  datagrams: 0,
  bytes: 0,
  delivered: 0,
  dropped: 0,
  corrupted: 0,
  blackholed: 0,
  queueFull: 0,
});

function checkRate(name: string, v: number | undefined): void {
  if (v !== undefined && !(v >= 0 && v <= 1)) throw new RangeError(`${name} must be in [0, 1]`);
}

/**
 * Whether a datagram carries a Handshake packet: walks the coalesced long-header packets
 * (RFC 9000 §12.2) by their Length fields. Only the unprotected header is read.
 */
export function carriesHandshakePacket(d: Uint8Array): boolean {
  let p = 0;
  while (p + 7 <= d.length && (d[p]! & 0x80) !== 0) {
    const version = ((d[p + 1]! << 24) | (d[p + 2]! << 16) | (d[p + 3]! << 8) | d[p + 4]!) >>> 0;
    if (version !== QUIC_V1 && version !== QUIC_V2) return false;
    const type = packetTypeFromBits(version, (d[p]! >> 4) & 3);
    if (type === PacketType.Handshake) return true;
    if (type === PacketType.Retry) return false;
    let q = p + 5;
    const dcidLength = d[q]!;
    q += 1 + dcidLength;
    if (q >= d.length) return false;
    const scidLength = d[q]!;
    q += 1 + scidLength;
    if (type === PacketType.Initial) {
      const token = readVarint(d, q);
      if (token === null) return false;
      q = token.next + token.value;
    }
    const length = readVarint(d, q);
    if (length === null) return false;
    p = length.next + length.value;
  }
  return false;
}

function readVarint(d: Uint8Array, at: number): { value: number; next: number } | null {
  if (at >= d.length) return null;
  const size = 1 << (d[at]! >> 6);
  if (at + size > d.length) return null;
  let value = d[at]! & 0x3f;
  for (let i = 1; i < size; i++) value = value * 256 + d[at + i]!;
  return { value, next: at + size };
}

/** A running relay; `UdpRelay.start` makes one. */
export class UdpRelay {
  readonly trace: RelayRecord[] = [];
  private readonly flows = new Map<string, Flow>();
  /** The flow of each upstream socket. */
  private readonly owners = new Map<RelaySocket, Flow>();
  private readonly links: Record<RelayDirection, Link>;
  private readonly counters = { toServer: emptyStats(), toClient: emptyStats() };
  private readonly random: SeededRandom;
  private readonly start = performance.now();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Datagrams of new client addresses whose upstream socket is being bound. */
  private readonly pendingFlows = new Map<string, { msg: Buffer; ecn: number }[]>();
  private blackholeUntil = -1;
  private rebinds = 0;
  private useAlternate = false;
  private closed = false;

  private listener!: RelaySocket;

  private constructor(
    private readonly options: RelayOptions,
    private readonly upstreamAddress: string,
  ) {
    this.random = new SeededRandom(options.seed ?? 1);
    const link = (c: RelayLinkConditions = {}): Link => ({
      conditions: c,
      dropList: new Set(c.dropList ?? []),
      busyUntil: 0,
      queued: 0,
    });
    this.links = { toServer: link(options.toServer), toClient: link(options.toClient) };
  }

  /** Binds the listening socket and starts relaying. */
  static async start(options: RelayOptions): Promise<UdpRelay> {
    for (const [name, c] of [
      ['toServer', options.toServer],
      ['toClient', options.toClient],
    ] as const) {
      checkRate(`${name}.dropRate`, c?.dropRate);
      checkRate(`${name}.corruptRate`, c?.corruptRate);
    }
    const address = options.listen?.address ?? '127.0.0.1';
    const relay = new UdpRelay(options, options.upstreamAddress ?? address);
    relay.listener = await bindRelaySocket(
      address,
      options.listen?.port ?? 0,
      options.ecn,
      (msg, from, ecn) => relay.fromClient(msg, from, ecn),
    );
    return relay;
  }

  /** The address clients send to. */
  address(): SocketAddress {
    return { ...this.listener.local };
  }

  /** Milliseconds since the relay started. */
  now(): number {
    return performance.now() - this.start;
  }

  /** Drops every datagram, both ways, for the next `ms` milliseconds. */
  blackhole(ms: number): void {
    this.blackholeUntil = this.now() + ms;
  }

  /** Gives every flow a new upstream socket on a new port: the server sees a new client port. */
  async rebindPort(): Promise<void> {
    await this.rebind(this.useAlternate ? this.alternateAddress() : this.upstreamAddress);
  }

  /**
   * Gives every flow a new upstream socket on the other of the two upstream addresses (the
   * listen address and `alternateAddress`): the server sees a new client address.
   */
  async rebindAddress(): Promise<void> {
    this.useAlternate = !this.useAlternate;
    await this.rebind(this.useAlternate ? this.alternateAddress() : this.upstreamAddress);
  }

  private alternateAddress(): string {
    return this.options.alternateAddress ?? '127.0.0.2';
  }

  private async rebind(address: string): Promise<void> {
    for (const flow of this.flows.values()) {
      const socket = await this.bindUpstream(address);
      if (this.closed) {
        socket.close();
        return;
      }
      // Late packets to the old binding are lost, as behind a NAT that dropped its mapping.
      flow.socket.close();
      this.owners.delete(flow.socket);
      this.owners.set(socket, flow);
      flow.socket = socket;
      flow.upstream = { ...socket.local };
    }
    this.rebinds++;
  }

  stats(): RelayStats {
    return {
      toServer: { ...this.counters.toServer },
      toClient: { ...this.counters.toClient },
      flows: this.flows.size,
      rebinds: this.rebinds,
    };
  }

  /** The amplification counts of every flow, in order of appearance. */
  amplification(): AmplificationCount[] {
    return [...this.flows.values()].map((f) => ({ ...f.amplification }));
  }

  /** Stops relaying: closes every socket and cancels queued datagrams. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.listener.close();
    for (const flow of this.flows.values()) flow.socket.close();
  }

  /** An upstream socket; what arrives on it goes to the client of the flow that owns it. */
  private async bindUpstream(address: string): Promise<RelaySocket> {
    const socket: RelaySocket = await bindRelaySocket(
      address,
      0,
      this.options.ecn,
      (msg, _from, ecn) => {
        const flow = this.owners.get(socket);
        if (flow?.socket === socket) this.fromServer(flow, msg, ecn);
      },
    );
    return socket;
  }

  private fromClient(msg: Buffer, from: SocketAddress, ecn: number): void {
    const key = `${from.address}|${from.port}`;
    const flow = this.flows.get(key);
    if (flow !== undefined) {
      this.handle(flow, 'toServer', msg, ecn);
      return;
    }
    const waiting = this.pendingFlows.get(key);
    if (waiting !== undefined) {
      waiting.push({ msg, ecn });
      return;
    }
    // A new client address: open its upstream socket, then forward (datagrams that arrive
    // meanwhile wait in `pending`).
    const pending = [{ msg, ecn }];
    this.pendingFlows.set(key, pending);
    const address = this.useAlternate ? this.alternateAddress() : this.upstreamAddress;
    this.bindUpstream(address).then(
      (socket) => {
        this.pendingFlows.delete(key);
        if (this.closed) {
          socket.close();
          return;
        }
        const flow: Flow = {
          id: this.flows.size,
          client: { ...from },
          socket,
          upstream: { ...socket.local },
          count: { toServer: 0, toClient: 0 },
          amplification: {
            flow: this.flows.size,
            clientBytes: 0,
            serverBytes: 0,
            validated: false,
            maxRatio: 0,
          },
        };
        this.owners.set(socket, flow);
        this.flows.set(key, flow);
        for (const p of pending) this.handle(flow, 'toServer', p.msg, p.ecn);
      },
      () => this.pendingFlows.delete(key),
    );
  }

  private fromServer(flow: Flow, msg: Buffer, ecn: number): void {
    const a = flow.amplification;
    if (!a.validated) {
      a.serverBytes += msg.length;
      const ratio = a.clientBytes === 0 ? Infinity : a.serverBytes / a.clientBytes;
      a.maxRatio = Math.max(a.maxRatio, ratio);
    }
    this.handle(flow, 'toClient', msg, ecn);
  }

  /** Decides the fate of one datagram and sends it on (now or after delay and queueing). */
  private handle(flow: Flow, direction: RelayDirection, msg: Buffer, ecn: number): void {
    if (this.closed) return;
    const link = this.links[direction];
    const c = link.conditions;
    const stats = this.counters[direction];
    const n = ++flow.count[direction];
    const now = this.now();
    stats.datagrams++;
    stats.bytes += msg.length;
    let fate: RelayFate = 'delivered';
    // The random draws happen for every datagram, so one decision does not shift the others.
    const dropDraw = this.random.next();
    const corruptDraw = this.random.next();
    if (now < this.blackholeUntil) fate = 'blackholed';
    else if (link.dropList.has(n) || dropDraw < (c.dropRate ?? 0)) fate = 'dropped';
    else if (corruptDraw < (c.corruptRate ?? 0)) fate = 'corrupted';

    let sendAt = now;
    if (fate === 'delivered' || fate === 'corrupted') {
      const rate = c.rateBytesPerSecond;
      if (rate !== undefined && rate > 0) {
        if (link.queued >= (c.queueDatagrams ?? 25)) {
          fate = 'queue-full';
        } else {
          link.busyUntil = Math.max(link.busyUntil, now) + (msg.length * 1000) / rate;
          sendAt = link.busyUntil;
        }
      }
    }
    if (this.options.record === true) {
      this.trace.push({
        time: now,
        direction,
        flow: flow.id,
        client: flow.client,
        upstream: flow.upstream,
        fate,
        data: new Uint8Array(msg),
        ecn,
      });
    }
    switch (fate) {
      case 'dropped':
        stats.dropped++;
        return;
      case 'blackholed':
        stats.blackholed++;
        return;
      case 'queue-full':
        stats.queueFull++;
        return;
      case 'corrupted':
        stats.corrupted++;
        break;
      case 'delivered':
        stats.delivered++;
        break;
    }
    let data: Buffer = msg;
    if (fate === 'corrupted') {
      // One byte changed to another value, as the runner's corrupt-rate model does.
      data = Buffer.from(msg);
      const at = this.random.int(data.length);
      data[at] = (data[at]! ^ (1 + this.random.int(255))) & 0xff;
    }
    if (direction === 'toServer' && !flow.amplification.validated) {
      flow.amplification.clientBytes += data.length;
      if (fate === 'delivered' && carriesHandshakePacket(data)) flow.amplification.validated = true;
    }
    const delay = sendAt - now + (c.delayMs ?? 0);
    const queued = c.rateBytesPerSecond !== undefined && c.rateBytesPerSecond > 0;
    if (queued) link.queued++;
    const send = (): void => {
      if (queued) link.queued--;
      if (this.closed) return;
      // A router forwards the ECN field as it came (RFC 3168 §5).
      if (direction === 'toServer') flow.socket.send(data, this.options.server, ecn);
      else this.listener.send(data, flow.client, ecn);
    };
    if (delay <= 0) {
      send();
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      send();
    }, delay);
    this.timers.add(timer);
  }
}
