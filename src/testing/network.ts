/**
 * An in-memory network with a virtual clock for deterministic tests and simulations
 * (DESIGN.md §4). Endpoints are sans-IO engines; links between addresses impose delay, jitter,
 * random and burst loss, reordering, duplication, corruption, a bandwidth limit with a finite
 * queue, and blackhole windows; endpoints can be rebound behind a simulated NAT. Everything is
 * driven by one seeded PRNG, so a run with the same seed is the same run.
 */
import { MinHeap } from '../util/heap.js';
import { SeededRandom } from '../util/random.js';
import { addressKey, type SocketAddress } from '../util/address.js';

/** A datagram an endpoint wants sent. */
export interface Transmit {
  data: Uint8Array;
  remote: SocketAddress;
  /** Local address to send from; the endpoint's primary address when absent. */
  local?: SocketAddress;
}

/** What the network needs from an endpoint: the sans-IO driving calls of the engine. */
export interface SansIoEndpoint {
  handleDatagram(data: Uint8Array, local: SocketAddress, remote: SocketAddress, now: number): void;
  pollTransmit(now: number): Transmit | null;
  /** Absolute time (µs) of the next timer, Infinity when none. */
  nextTimeout(): number;
  handleTimeout(now: number): void;
}

/** Conditions of one direction of a link. All times in microseconds. */
export interface LinkConditions {
  /** One-way delay. Default 10 ms. */
  delay?: number;
  /** Uniform extra delay in [0, jitter). Jitter can reorder packets. */
  jitter?: number;
  /** Probability of losing each datagram. */
  loss?: number;
  /** Gilbert-Elliott burst loss: probability of entering, and of leaving, the bad state. */
  burst?: { enter: number; leave: number; lossInBad?: number };
  /** Probability of delaying a datagram by an extra `reorderDelay` so later ones overtake it. */
  reorder?: number;
  reorderDelay?: number;
  /** Probability of delivering a datagram twice. */
  duplicate?: number;
  /** Probability of flipping one random bit. */
  corrupt?: number;
  /** Bandwidth in bits per second; unlimited when absent. */
  rate?: number;
  /** Queue size in bytes in front of the bandwidth limit (tail drop). Default 64 KiB. */
  queueBytes?: number;
}

interface Node {
  name: string;
  endpoint: SansIoEndpoint;
  primary: SocketAddress;
}

interface LinkState {
  cond: LinkConditions;
  busyUntil: number;
  queued: number;
  bad: boolean;
}

interface Delivery {
  to: Node;
  local: SocketAddress;
  from: SocketAddress;
  data: Uint8Array;
  dequeue?: { link: LinkState; size: number };
}

export interface NetworkStats {
  sent: number;
  delivered: number;
  lost: number;
  corrupted: number;
  duplicated: number;
  queueDrops: number;
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
  };
  private nodes: Node[] = [];
  /** Externally visible address -> node and the node's internal address. */
  private routes = new Map<string, { node: Node; internal: SocketAddress }>();
  /** Node internal address -> externally visible address (NAT). */
  private nat = new Map<string, SocketAddress>();
  private links = new Map<string, LinkState>();
  private defaultConditions: LinkConditions;
  private events = new MinHeap<Delivery>();
  private blackholes: { from?: string; to?: string; start: number; end: number }[] = [];
  /** Optional tap on every datagram put on the wire (after NAT), for tests that inspect packets. */
  onSend?: (data: Uint8Array, from: SocketAddress, to: SocketAddress) => void;

  constructor(opts: { seed?: number; conditions?: LinkConditions } = {}) {
    this.rng = new SeededRandom(opts.seed ?? 1);
    this.defaultConditions = opts.conditions ?? {};
  }

  addEndpoint(name: string, endpoint: SansIoEndpoint, address: SocketAddress): void {
    const node = { name, endpoint, primary: address };
    this.nodes.push(node);
    this.routes.set(addressKey(address), { node, internal: address });
  }

  /** Sets conditions for datagrams from `from` to `to` (node names); `'*'` matches any. */
  setConditions(from: string, to: string, cond: LinkConditions): void {
    this.links.set(`${from}>${to}`, { cond, busyUntil: 0, queued: 0, bad: false });
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
  }

  private node(name: string): Node {
    const n = this.nodes.find((x) => x.name === name);
    if (!n) throw new RangeError(`no endpoint named ${name}`);
    return n;
  }

  private link(from: Node, to: Node): LinkState {
    const key = `${from.name}>${to.name}`;
    let l =
      this.links.get(key) ?? this.links.get(`${from.name}>*`) ?? this.links.get(`*>${to.name}`);
    if (!l) l = this.links.get('*>*');
    if (!l) {
      l = { cond: this.defaultConditions, busyUntil: 0, queued: 0, bad: false };
      this.links.set(key, l);
    }
    return l;
  }

  /** Collects every datagram the endpoints want to send now and puts it on the wire. */
  private flush(): void {
    for (const node of this.nodes) {
      for (
        let t = node.endpoint.pollTransmit(this.now);
        t;
        t = node.endpoint.pollTransmit(this.now)
      ) {
        this.send(node, t);
      }
    }
  }

  private send(node: Node, t: Transmit): void {
    this.stats.sent++;
    const internal = t.local ?? node.primary;
    const ikey = addressKey(internal);
    if (!this.routes.has(ikey) && !this.nat.has(ikey)) {
      // A new local address (client migration to a new port): it becomes reachable.
      this.routes.set(ikey, { node, internal });
    }
    const from = this.nat.get(ikey) ?? internal;
    const route = this.routes.get(addressKey(t.remote));
    this.onSend?.(t.data, from, t.remote);
    if (!route) {
      this.stats.lost++;
      return;
    }
    const to = route.node;
    const link = this.link(node, to);
    const c = link.cond;
    if (this.inBlackhole(node.name, to.name)) {
      this.stats.lost++;
      return;
    }
    if (c.burst) {
      link.bad = link.bad ? this.rng.next() >= c.burst.leave : this.rng.next() < c.burst.enter;
      if (link.bad && this.rng.next() < (c.burst.lossInBad ?? 1)) {
        this.stats.lost++;
        return;
      }
    }
    if (c.loss && this.rng.next() < c.loss) {
      this.stats.lost++;
      return;
    }
    let data = t.data.slice();
    if (c.corrupt && this.rng.next() < c.corrupt) {
      const bit = this.rng.int(data.length * 8);
      data[bit >> 3]! ^= 1 << (bit & 7);
      this.stats.corrupted++;
    }
    let departure = this.now;
    let dequeue: Delivery['dequeue'];
    if (c.rate) {
      const size = data.length;
      if (link.queued + size > (c.queueBytes ?? 65536)) {
        this.stats.queueDrops++;
        this.stats.lost++;
        return;
      }
      link.busyUntil = Math.max(link.busyUntil, this.now) + (size * 8 * 1e6) / c.rate;
      link.queued += size;
      departure = link.busyUntil;
      dequeue = { link, size };
    }
    let arrival = departure + (c.delay ?? 10_000);
    if (c.jitter) arrival += this.rng.next() * c.jitter;
    if (c.reorder && this.rng.next() < c.reorder) arrival += c.reorderDelay ?? 5_000;
    const delivery: Delivery = { to, local: route.internal, from, data };
    if (dequeue) delivery.dequeue = dequeue;
    this.events.push(arrival, delivery);
    if (c.duplicate && this.rng.next() < c.duplicate) {
      this.stats.duplicated++;
      data = data.slice();
      this.events.push(arrival + 1, { to, local: route.internal, from, data });
    }
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
    let next = this.events.peekKey();
    for (const n of this.nodes) next = Math.min(next, n.endpoint.nextTimeout());
    if (next === Infinity || next > limit) return false;
    if (next <= this.now && this.stats.sent === sentBefore && this.events.peekKey() > this.now) {
      if (++this.stuckSteps > 10_000) {
        throw new Error(`simulation stuck at ${this.now} µs: a timer fires without progress`);
      }
    } else {
      this.stuckSteps = 0;
    }
    this.now = Math.max(this.now, next);
    while (this.events.size > 0 && this.events.peekKey() <= this.now) {
      const d = this.events.pop()!;
      if (d.dequeue) d.dequeue.link.queued -= d.dequeue.size;
      this.stats.delivered++;
      d.to.endpoint.handleDatagram(d.data, d.local, d.from, this.now);
    }
    for (const n of this.nodes) {
      if (n.endpoint.nextTimeout() <= this.now) n.endpoint.handleTimeout(this.now);
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
