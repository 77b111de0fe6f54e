/**
 * The links of the in-memory network (src/testing/network.ts): the conditions a direction of a
 * link imposes (delay, loss, queue, MTU, ECN), the ends it joins, what it counts, and its
 * mutable state while datagrams flow (queue, burst-loss state, down windows).
 */
import type { SocketAddress } from '../util/address.js';

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
  /**
   * The link MTU: the largest IP packet it carries, counting the IP and UDP headers around the
   * datagram (28 bytes to an IPv4 address, 48 to an IPv6 one), so a 1,280-byte link carries UDP
   * payloads up to 1,252 bytes over IPv4 and 1,232 over IPv6. Larger datagrams are dropped
   * silently, as on a path whose MTU is below what the endpoint assumed (RFC 8899 §2 black
   * hole). Unlimited when absent; `Network.setMtu` changes it while datagrams flow.
   */
  mtu?: number;
  /** What the link does to the IP ECN codepoint of datagrams (RFC 3168); passed through when absent. */
  ecn?: LinkEcn;
}

/**
 * ECN along a link. Marks apply to ECN-capable datagrams (ECT(0) or ECT(1)) only, in this order:
 * remark, then CE marking, then bleaching.
 */
export interface LinkEcn {
  /** Turn ECT(0) into ECT(1), as a faulty middlebox might (RFC 9000 §13.4.2). */
  remark?: boolean;
  /** Probability of marking an ECN-capable datagram CE. */
  ceRate?: number;
  /**
   * Mark ECN-capable datagrams CE while at least this many bytes wait in front of the rate
   * limit (an AQM's marking threshold; needs `rate`).
   */
  ceQueueBytes?: number;
  /** Clear the codepoint to Not-ECT (a middlebox that bleaches the ECN bits). */
  bleach?: boolean;
}

/**
 * One end of a link: an IP address (any port) or a socket address (that port only). Matched
 * against the addresses datagrams carry on the wire (after NAT).
 */
export type LinkEnd = string | SocketAddress;

/** A link between addresses, added with `Network.addLink`. */
export interface LinkOptions {
  /** The name `failLink`, `setLinkConditions` and `linkStats` know it by; unique. */
  name: string;
  /**
   * The address pairs whose datagrams take this link, either way: `[a, b]` carries datagrams
   * from `a` to `b` (the forward direction) and from `b` to `a` (the reverse one). Several
   * pairs share the link's queue and rate in each direction: a shared bottleneck.
   */
  between: [LinkEnd, LinkEnd][];
  /** Conditions of both directions (default: those of the network). */
  conditions?: LinkConditions;
  /** Conditions of the reverse direction (b to a) when they differ from `conditions`. */
  reverse?: LinkConditions;
}

/** What one direction of a link did. */
export interface LinkDirectionStats {
  /** Datagrams that entered the link. */
  sent: number;
  /** Datagrams (duplicates included) that came out of it, and their bytes. */
  delivered: number;
  deliveredBytes: number;
  /** Datagrams lost on it: random or burst loss, too large, queue full, or the link down. */
  lost: number;
  /** Of those lost, dropped at the tail of a full queue. */
  queueDrops: number;
  /** Of those lost, dropped because the link was down when they entered or would arrive. */
  downDrops: number;
  ceMarked: number;
}

/** What a link did in each direction (see `LinkOptions.between` for which is which). */
export interface LinkStats {
  forward: LinkDirectionStats;
  reverse: LinkDirectionStats;
}

/** IP ECN codepoints (RFC 3168 §5). */
export const ECT1 = 1;
export const ECT0 = 2;
export const CE = 3;

export interface LinkState {
  cond: LinkConditions;
  busyUntil: number;
  queued: number;
  bad: boolean;
  /** Windows [start, end) in which the link drops everything (see `Network.failLink`). */
  down: { start: number; end: number }[];
  stats: LinkDirectionStats;
}

/** A link added with `addLink`: both directions and the address pairs it carries. */
export interface NamedLink {
  name: string;
  between: [LinkEnd, LinkEnd][];
  forward: LinkState;
  reverse: LinkState;
}

export function linkState(cond: LinkConditions): LinkState {
  return {
    cond,
    busyUntil: 0,
    queued: 0,
    bad: false,
    down: [],
    stats: {
      sent: 0,
      delivered: 0,
      deliveredBytes: 0,
      lost: 0,
      queueDrops: 0,
      downDrops: 0,
      ceMarked: 0,
    },
  };
}

export function endMatches(end: LinkEnd, a: SocketAddress): boolean {
  return typeof end === 'string'
    ? end === a.address
    : end.address === a.address && end.port === a.port;
}

/** Whether the link is down at `now`. */
export function isDown(link: LinkState, now: number): boolean {
  for (const w of link.down) if (now >= w.start && now < w.end) return true;
  return false;
}

/** Bytes of the IP and UDP headers of a datagram to `to` (no IP options or extension headers). */
export function ipUdpHeaders(to: SocketAddress): number {
  return to.address.includes(':') ? 48 : 28;
}
