/**
 * An in-memory network with a virtual clock for deterministic tests and simulations
 * (docs/ARCHITECTURE.md §4). Endpoints are sans-IO engines; links between addresses impose delay,
 * jitter, random and burst loss, reordering, duplication, corruption, a bandwidth limit with a
 * finite queue, and blackhole windows; endpoints can be rebound behind a simulated NAT. Everything
 * is driven by one seeded PRNG, so a run with the same seed is the same run.
 *
 * Several links can join the same two endpoints, told apart by the addresses at their ends (a
 * multipath client with two local addresses, each link with its own rate, delay, loss, queue and
 * MTU; see `addLink`); a link can fail and come back on a schedule (`failLink`), and one link can
 * carry the traffic of several address pairs, so that connections share its queue (a shared
 * bottleneck).
 *
 * Per datagram the network allocates nothing in the common case: where a node's datagrams from
 * one local address to one remote address go (NAT, route, link) is resolved once and cached
 * until the topology changes, and datagrams in flight live in pooled buffers that go back to
 * the pool when the receiving endpoint's `handleDatagram` returns (an idle network lets them go).
 */
import { MinHeap } from '../util/heap.js';
import { SeededRandom } from '../util/random.js';
import { addressKey, type SocketAddress, type Transmit } from '../util/address.js';
import {
  CE,
  ECT0,
  ECT1,
  endMatches,
  ipUdpHeaders,
  isDown,
  linkState,
  type LinkConditions,
  type LinkEcn,
  type LinkOptions,
  type LinkState,
  type LinkStats,
  type NamedLink,
} from './link.js';

export type { Transmit };
export type {
  LinkConditions,
  LinkDirectionStats,
  LinkEcn,
  LinkEnd,
  LinkOptions,
  LinkStats,
} from './link.js';

/** What the network needs from an endpoint: the sans-IO driving calls of the engine. */
export interface SansIoEndpoint {
  /**
   * A datagram arrived. `data` belongs to the network and is reused for another datagram once
   * this returns: an endpoint may change it while handling it (the engine decrypts in place)
   * but must copy whatever it keeps. The engine keeps nothing (see `Engine.handleDatagram`).
   * `ecn` is the IP ECN codepoint the datagram arrived with (see `LinkConditions.ecn`).
   */
  handleDatagram(
    data: Uint8Array,
    local: SocketAddress,
    remote: SocketAddress,
    now: number,
    ecn?: number,
  ): void;
  /** The next datagram to send, or null. The network copies `data` before it polls again. */
  pollTransmit(now: number): Transmit | null;
  /**
   * Called once every datagram polled so far has been copied (Engine.releaseTransmits): the
   * endpoint may write their memory again. Optional.
   */
  releaseTransmits?(): void;
  /** Absolute time (µs) of the next timer, Infinity when none. */
  nextTimeout(): number;
  handleTimeout(now: number): void;
}

interface Node {
  name: string;
  endpoint: SansIoEndpoint;
  primary: SocketAddress;
  /** Resolved routes of this node's recent sends (see `Network.resolve`), at most ROUTE_CACHE. */
  routeCache: Route[];
  /** The cache slot to overwrite next once the cache is full (round robin). */
  routeVictim: number;
  /** Deliveries to this node whose buffers are free for reuse (emptied when the network idles). */
  pool: Delivery[];
  /** What the endpoint's nextTimeout() answered last in this step. */
  timeout: number;
}

/** Where an address maps: the node behind it and the node's internal address. */
interface Destination {
  node: Node;
  internal: SocketAddress;
}

/**
 * Where a node's datagrams from one local address to one remote address go, as `send` would
 * find through the address maps. Matched by value (address and port), so it does not matter
 * whether the endpoint hands over the same address objects each time.
 */
interface Route {
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** The external address the NAT maps the local address to; null when not rebound. */
  external: SocketAddress | null;
  /** Null when nothing listens at the remote address (the datagram is lost). */
  destination: Destination | null;
  /** The link's state, found on first use (after the onSend tap, as before caching). */
  link: LinkState | null;
}

/** Routes cached per node: enough for several paths (migration, preferred address, peers). */
const ROUTE_CACHE = 8;

/** Smallest pooled datagram buffer: above the usual 1200..1500-byte QUIC datagrams. */
const MIN_BUFFER = 2048;

/**
 * Free deliveries kept per node: more than a bulk transfer has in flight at once (about 900 in
 * bench/perf-inmem.ts), and at most 2 MiB of buffers. Beyond it they are left to the collector.
 */
const POOL_LIMIT = 1024;

/** A datagram in flight. Records and their buffers are pooled per receiving node. */
interface Delivery {
  to: Node;
  local: SocketAddress;
  from: SocketAddress;
  /** Backing storage, kept across uses. */
  buffer: Uint8Array;
  /** The datagram: a view of the first bytes of `buffer` (reused while the length repeats). */
  data: Uint8Array;
  /** The rate-limited link whose queue holds this datagram until it arrives, or null. */
  queuedOn: LinkState | null;
  /** The link it travels on (it is lost if the link is down when it would arrive). */
  via: LinkState | null;
  /** The IP ECN codepoint it arrives with. */
  ecn: number;
}

export interface NetworkStats {
  sent: number;
  delivered: number;
  lost: number;
  corrupted: number;
  duplicated: number;
  queueDrops: number;
  /** Datagrams a link marked CE. */
  ceMarked: number;
}

export class Network {
  /** Virtual time in microseconds. */
  now = 0;
  readonly rng: SeededRandom;
  readonly stats: NetworkStats = {
    sent: 0,
    delivered: 0,
    lost: 0,
    corrupted: 0,
    duplicated: 0,
    queueDrops: 0,
    ceMarked: 0,
  };
  private nodes: Node[] = [];
  /** Externally visible address -> node and the node's internal address. */
  private routes = new Map<string, Destination>();
  /** Node internal address -> externally visible address (NAT). */
  private nat = new Map<string, SocketAddress>();
  private links = new Map<string, LinkState>();
  /** Links between addresses (`addLink`), looked up before the links between nodes. */
  private namedLinks: NamedLink[] = [];
  private defaultConditions: LinkConditions;
  private events = new MinHeap<Delivery>();
  private blackholes: { from?: string; to?: string; start: number; end: number }[] = [];
  /** Bumped whenever cached routes become invalid (see `forgetRoutes`). */
  private topology = 0;
  /**
   * Optional tap on every datagram put on the wire (after NAT), for tests that inspect packets.
   * `data` is the endpoint's own transmit buffer, not the copy that is delivered: valid during the
   * call only (the engine writes it again once the flush released it), so a tap copies what it keeps.
   */
  onSend?: (data: Uint8Array, from: SocketAddress, to: SocketAddress) => void;

  constructor(opts: { seed?: number; conditions?: LinkConditions } = {}) {
    this.rng = new SeededRandom(opts.seed ?? 1);
    this.defaultConditions = opts.conditions ?? {};
  }

  addEndpoint(name: string, endpoint: SansIoEndpoint, address: SocketAddress): void {
    const node: Node = {
      name,
      endpoint,
      primary: address,
      routeCache: [],
      routeVictim: 0,
      pool: [],
      timeout: Infinity,
    };
    this.nodes.push(node);
    this.routes.set(addressKey(address), { node, internal: address });
    this.forgetRoutes();
  }

  /** Sets conditions for datagrams from `from` to `to` (node names); `'*'` matches any. */
  setConditions(from: string, to: string, cond: LinkConditions): void {
    this.links.set(`${from}>${to}`, linkState(cond));
    this.forgetRoutes();
  }

  /**
   * Changes the MTU of the link from `from` to `to` (node names; `'*'` matches any), keeping its
   * other conditions and its queue: the path MTU changes under a running connection (a route
   * change, a tunnel). `undefined` lifts the limit.
   */
  setMtu(from: string, to: string, mtu: number | undefined): void {
    const key = `${from}>${to}`;
    const link = this.links.get(key);
    // Conditions as `link` would resolve them for this pair, with the new MTU.
    const current =
      link ?? this.links.get(`${from}>*`) ?? this.links.get(`*>${to}`) ?? this.links.get('*>*');
    const cond: LinkConditions = { ...(current?.cond ?? this.defaultConditions) };
    if (mtu === undefined) delete cond.mtu;
    else cond.mtu = mtu;
    if (link !== undefined) link.cond = cond;
    else this.links.set(key, linkState(cond));
    this.forgetRoutes();
  }

  /**
   * Adds a link between addresses. Datagrams whose source and destination (as on the wire,
   * after NAT) match one of its address pairs take it, whatever `setConditions` says for their
   * nodes; links added earlier win where several match.
   *
   * ```ts
   * // A client with two local addresses, each with its own link to the server.
   * net.addLink({ name: 'wifi', between: [['10.0.0.2', '10.0.0.1']], conditions: { rate: 10e6, delay: 10_000 } });
   * net.addLink({ name: 'lte', between: [['10.0.1.2', '10.0.0.1']], conditions: { rate: 10e6, delay: 40_000 } });
   * net.failLink('wifi', 2_000_000, 5_000_000);
   * ```
   */
  addLink(opts: LinkOptions): void {
    if (this.namedLinks.some((l) => l.name === opts.name)) {
      throw new RangeError(`a link named ${opts.name} exists already`);
    }
    if (opts.between.length === 0) throw new RangeError(`link ${opts.name} joins no addresses`);
    const forward = opts.conditions ?? this.defaultConditions;
    this.namedLinks.push({
      name: opts.name,
      between: opts.between.map(([a, b]) => [a, b]),
      forward: linkState(forward),
      reverse: linkState(opts.reverse ?? forward),
    });
    this.forgetRoutes();
  }

  /**
   * Takes the link down in [start, end) (virtual µs), both directions: datagrams that enter it
   * then are lost, and so are those already on it that would arrive then. Call it again for a
   * schedule of failures.
   */
  failLink(name: string, start: number, end: number): void {
    if (!(end > start)) throw new RangeError(`link ${name} fails for an empty window`);
    const l = this.namedLink(name);
    l.forward.down.push({ start, end });
    l.reverse.down.push({ start, end });
  }

  /**
   * Changes a link's conditions from now on, keeping its queue and state (a rate or delay that
   * changes under running connections). `reverse` defaults to `conditions`.
   */
  setLinkConditions(name: string, conditions: LinkConditions, reverse?: LinkConditions): void {
    const l = this.namedLink(name);
    l.forward.cond = conditions;
    l.reverse.cond = reverse ?? conditions;
  }

  /** What the link did in each direction so far (copies). */
  linkStats(name: string): LinkStats {
    const l = this.namedLink(name);
    return { forward: { ...l.forward.stats }, reverse: { ...l.reverse.stats } };
  }

  private namedLink(name: string): NamedLink {
    const l = this.namedLinks.find((x) => x.name === name);
    if (l === undefined) throw new RangeError(`no link named ${name}`);
    return l;
  }

  /** Drops every datagram from `from` to `to` (node names or '*') in [start, end). */
  blackhole(start: number, end: number, from?: string, to?: string): void {
    this.blackholes.push({
      start,
      end,
      ...(from !== undefined ? { from } : {}),
      ...(to !== undefined ? { to } : {}),
    });
  }

  /**
   * NAT rebinding: datagrams the node sends from `internal` now appear from `external`, and
   * datagrams to `external` reach the node at `internal`. The old external address stops working.
   */
  rebind(name: string, external: SocketAddress, internal?: SocketAddress): void {
    const node = this.node(name);
    const inner = internal ?? node.primary;
    const old = this.nat.get(addressKey(inner)) ?? inner;
    this.routes.delete(addressKey(old));
    this.nat.set(addressKey(inner), external);
    this.routes.set(addressKey(external), { node, internal: inner });
    this.forgetRoutes();
  }

  private node(name: string): Node {
    const n = this.nodes.find((x) => x.name === name);
    if (!n) throw new RangeError(`no endpoint named ${name}`);
    return n;
  }

  /** The address maps or link conditions changed: every cached route is resolved again. */
  private forgetRoutes(): void {
    this.topology++;
    for (const n of this.nodes) {
      n.routeCache.length = 0;
      n.routeVictim = 0;
    }
  }

  /**
   * Where `node`'s datagrams from `local` to `remote` go: from the cache, else through the
   * address maps (as every send did before caching). A local address seen for the first time
   * becomes reachable (a client moving to a new port), which changes other nodes' routes.
   */
  private resolve(node: Node, local: SocketAddress, remote: SocketAddress): Route {
    const cache = node.routeCache;
    for (let i = 0; i < cache.length; i++) {
      const r = cache[i]!;
      if (
        r.localPort === local.port &&
        r.remotePort === remote.port &&
        r.localAddress === local.address &&
        r.remoteAddress === remote.address
      ) {
        return r;
      }
    }
    const ikey = addressKey(local);
    if (!this.routes.has(ikey) && !this.nat.has(ikey)) {
      this.routes.set(ikey, { node, internal: local });
      this.forgetRoutes();
    }
    const route: Route = {
      localAddress: local.address,
      localPort: local.port,
      remoteAddress: remote.address,
      remotePort: remote.port,
      external: this.nat.get(ikey) ?? null,
      destination: this.routes.get(addressKey(remote)) ?? null,
      link: null,
    };
    if (cache.length < ROUTE_CACHE) {
      cache.push(route);
    } else {
      cache[node.routeVictim] = route;
      node.routeVictim = (node.routeVictim + 1) % ROUTE_CACHE;
    }
    return route;
  }

  private link(from: Node, to: Node, src: SocketAddress, dst: SocketAddress): LinkState {
    for (const named of this.namedLinks) {
      for (const [a, b] of named.between) {
        if (endMatches(a, src) && endMatches(b, dst)) return named.forward;
        if (endMatches(b, src) && endMatches(a, dst)) return named.reverse;
      }
    }
    const key = `${from.name}>${to.name}`;
    let l =
      this.links.get(key) ?? this.links.get(`${from.name}>*`) ?? this.links.get(`*>${to.name}`);
    if (!l) l = this.links.get('*>*');
    if (!l) {
      l = linkState(this.defaultConditions);
      this.links.set(key, l);
    }
    return l;
  }

  /** Collects every datagram the endpoints want to send now and puts it on the wire. */
  private flush(): void {
    const nodes = this.nodes;
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i]!;
      for (
        let t = node.endpoint.pollTransmit(this.now);
        t;
        t = node.endpoint.pollTransmit(this.now)
      ) {
        this.send(node, t);
      }
      // Every datagram went on the wire as a copy (or was lost): the engine may reuse them, as
      // the Node endpoint lets it once its socket has sent them.
      node.endpoint.releaseTransmits?.();
    }
  }

  private send(node: Node, t: Transmit): void {
    this.stats.sent++;
    const local = t.local ?? node.primary;
    const route = this.resolve(node, local, t.remote);
    const from = route.external ?? local;
    const destination = route.destination;
    let link = route.link;
    if (this.onSend !== undefined) {
      const topology = this.topology;
      this.onSend(t.data, from, t.remote);
      // The tap may change the conditions: this datagram's link is then looked up afresh.
      if (this.topology !== topology) link = null;
    }
    if (destination === null) {
      this.stats.lost++;
      return;
    }
    const to = destination.node;
    if (link === null) {
      link = this.link(node, to, from, t.remote);
      route.link = link;
    }
    const c = link.cond;
    const ls = link.stats;
    ls.sent++;
    if (this.blackholes.length > 0 && this.inBlackhole(node.name, to.name)) {
      this.stats.lost++;
      ls.lost++;
      return;
    }
    if (link.down.length > 0 && isDown(link, this.now)) {
      this.stats.lost++;
      ls.lost++;
      ls.downDrops++;
      return;
    }
    // Checked before the random draws: a datagram too large for the link consumes none.
    if (c.mtu !== undefined && t.data.length + ipUdpHeaders(t.remote) > c.mtu) {
      this.stats.lost++;
      ls.lost++;
      return;
    }
    if (c.burst) {
      link.bad = link.bad ? this.rng.next() >= c.burst.leave : this.rng.next() < c.burst.enter;
      if (link.bad && this.rng.next() < (c.burst.lossInBad ?? 1)) {
        this.stats.lost++;
        ls.lost++;
        return;
      }
    }
    if (c.loss && this.rng.next() < c.loss) {
      this.stats.lost++;
      ls.lost++;
      return;
    }
    const size = t.data.length;
    let flipBit = -1;
    if (c.corrupt && this.rng.next() < c.corrupt) {
      flipBit = this.rng.int(size * 8);
      this.stats.corrupted++;
    }
    let ecn = t.ecn ?? 0;
    if (c.ecn !== undefined && ecn !== 0) {
      const marked = this.stats.ceMarked;
      ecn = this.applyEcn(c.ecn, ecn, this.backlog(link));
      ls.ceMarked += this.stats.ceMarked - marked;
    }
    let departure = this.now;
    if (c.rate) {
      if (link.queued + size > (c.queueBytes ?? 65536)) {
        this.stats.queueDrops++;
        this.stats.lost++;
        ls.queueDrops++;
        ls.lost++;
        return;
      }
      link.busyUntil = Math.max(link.busyUntil, this.now) + (size * 8 * 1e6) / c.rate;
      link.queued += size;
      departure = link.busyUntil;
    }
    // The copy is taken only for a datagram that is delivered; the random draws above come in
    // the same order as when every datagram was copied first.
    const d = this.delivery(to, destination.internal, from, t.data);
    if (flipBit >= 0) d.data[flipBit >> 3]! ^= 1 << (flipBit & 7);
    if (c.rate) d.queuedOn = link;
    d.via = link;
    d.ecn = ecn;
    let arrival = departure + (c.delay ?? 10_000);
    if (c.jitter) arrival += this.rng.next() * c.jitter;
    if (c.reorder && this.rng.next() < c.reorder) arrival += c.reorderDelay ?? 5_000;
    this.events.push(arrival, d);
    if (c.duplicate && this.rng.next() < c.duplicate) {
      this.stats.duplicated++;
      const copy = this.delivery(to, destination.internal, from, d.data);
      copy.via = link;
      copy.ecn = ecn;
      this.events.push(arrival + 1, copy);
    }
  }

  /** Bytes waiting in front of the link's rate limit (not those already on the wire). */
  private backlog(link: LinkState): number {
    const rate = link.cond.rate;
    if (!rate || link.busyUntil <= this.now) return 0;
    return ((link.busyUntil - this.now) * rate) / 8e6;
  }

  /** The codepoint an ECN-capable datagram leaves the link with (see LinkEcn). */
  private applyEcn(e: LinkEcn, ecn: number, queued: number): number {
    if (e.remark && ecn === ECT0) ecn = ECT1;
    if (ecn !== CE) {
      const aqm = e.ceQueueBytes !== undefined && queued >= e.ceQueueBytes;
      if (aqm || (e.ceRate !== undefined && this.rng.next() < e.ceRate)) {
        ecn = CE;
        this.stats.ceMarked++;
      }
    }
    return e.bleach ? 0 : ecn;
  }

  /** A pooled delivery to `to` holding a copy of `data`. */
  private delivery(
    to: Node,
    local: SocketAddress,
    from: SocketAddress,
    data: Uint8Array,
  ): Delivery {
    const n = data.length;
    const pool = to.pool;
    // Prefer a record whose view already has this length (no new view): datagrams one way tend
    // to repeat their size. Only the few most recently freed are looked at.
    let d: Delivery | undefined;
    for (let i = pool.length - 1, stop = Math.max(0, pool.length - 4); i >= stop; i--) {
      if (pool[i]!.data.length === n) {
        d = pool[i]!;
        pool[i] = pool[pool.length - 1]!;
        pool.pop();
        break;
      }
    }
    d ??= pool.pop();
    if (d === undefined) {
      const buffer = new Uint8Array(Math.max(n, MIN_BUFFER));
      d = {
        to,
        local,
        from,
        buffer,
        data: buffer.subarray(0, n),
        queuedOn: null,
        via: null,
        ecn: 0,
      };
    } else {
      d.local = local;
      d.from = from;
      d.queuedOn = null;
      d.via = null;
      if (d.buffer.length < n) {
        d.buffer = new Uint8Array(n);
        d.data = d.buffer;
      } else if (d.data.length !== n) {
        d.data = d.buffer.subarray(0, n);
      }
    }
    d.data.set(data);
    return d;
  }

  private inBlackhole(from: string, to: string): boolean {
    for (const b of this.blackholes) {
      if (this.now < b.start || this.now >= b.end) continue;
      if ((b.from === undefined || b.from === from) && (b.to === undefined || b.to === to)) {
        return true;
      }
    }
    return false;
  }

  /**
   * When the next event is due (µs): a delivery, or an endpoint's timer (an endpoint with
   * datagrams to send asks for now). Infinity when the network is idle. A query: nothing moves.
   */
  nextEventTime(): number {
    let next = this.events.peekKey();
    for (let i = 0; i < this.nodes.length; i++) {
      next = Math.min(next, this.nodes[i]!.endpoint.nextTimeout());
    }
    return next;
  }

  /** Consecutive steps at one instant without traffic: a timer that never advances. */
  private stuckSteps = 0;

  /**
   * Advances to the next event (delivery or timer) and processes it. False when idle. Throws
   * when an endpoint keeps asking for a timer at the same instant without acting on it, so a
   * bug shows as a failure rather than a hang.
   */
  step(limit = Infinity): boolean {
    const sentBefore = this.stats.sent;
    this.flush();
    const nodes = this.nodes;
    const events = this.events;
    let next = events.peekKey();
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i]!;
      n.timeout = n.endpoint.nextTimeout();
      next = Math.min(next, n.timeout);
    }
    if (next === Infinity || next > limit) {
      // Nothing in flight: let the pooled buffers go, so an idle network holds no datagrams.
      if (events.size === 0) for (let i = 0; i < nodes.length; i++) nodes[i]!.pool.length = 0;
      return false;
    }
    if (next <= this.now && this.stats.sent === sentBefore && events.peekKey() > this.now) {
      if (++this.stuckSteps > 10_000) {
        throw new Error(`simulation stuck at ${this.now} µs: a timer fires without progress`);
      }
    } else {
      this.stuckSteps = 0;
    }
    this.now = Math.max(this.now, next);
    // The timeouts just asked for hold until an endpoint is called again (nextTimeout is a query).
    let asked = true;
    while (events.size > 0 && events.peekKey() <= this.now) {
      asked = false;
      const d = events.pop()!;
      if (d.queuedOn !== null) d.queuedOn.queued -= d.data.length;
      const via = d.via;
      if (via !== null && via.down.length > 0 && isDown(via, this.now)) {
        // The link failed while the datagram was on it.
        this.stats.lost++;
        via.stats.lost++;
        via.stats.downDrops++;
      } else {
        this.stats.delivered++;
        if (via !== null) {
          via.stats.delivered++;
          via.stats.deliveredBytes += d.data.length;
        }
        d.to.endpoint.handleDatagram(d.data, d.local, d.from, this.now, d.ecn);
      }
      // The endpoint keeps nothing of `data` (SansIoEndpoint.handleDatagram): reuse it.
      if (d.to.pool.length < POOL_LIMIT) d.to.pool.push(d);
    }
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i]!;
      if ((asked ? n.timeout : n.endpoint.nextTimeout()) <= this.now) {
        n.endpoint.handleTimeout(this.now);
        asked = false;
      }
    }
    return true;
  }

  /**
   * Runs until `done()` is true or virtual time passes `maxTime` µs from now (default 60 s).
   * Returns whether `done()` became true.
   */
  runUntil(done: () => boolean, maxTime = 60_000_000): boolean {
    const limit = this.now + maxTime;
    while (!done()) {
      if (!this.step(limit)) {
        if (done()) return true;
        this.now = Math.max(this.now, limit);
        return false;
      }
    }
    return true;
  }

  /** Runs for `duration` µs of virtual time. */
  runFor(duration: number): void {
    const limit = this.now + duration;
    while (this.step(limit)) {
      /* keep going */
    }
    this.now = Math.max(this.now, limit);
  }
}
