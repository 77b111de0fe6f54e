/**
 * Multipath packet schedulers (RFC 10069 §5.5 "Packet Scheduling", §5.6 "Retransmissions", §5.7
 * "PTO Expiration"): which open path carries the next packet, and which packets of a failing
 * path are worth sending again elsewhere. The scheduling is a local decision (§5.5); this module
 * knows nothing of the connection: it sees the paths through `SchedulablePath` and the packets
 * through `ReinjectablePacket`, so a connection passes its own path and sent-packet objects.
 *
 * One scheduler per connection (it may keep state, such as a round-robin cursor or the packets
 * already re-injected); `registry.ts` makes them by name.
 */

/**
 * The peer's preference for a path (RFC 10069 §3.3): PATH_STATUS_AVAILABLE or
 * PATH_STATUS_BACKUP, "available" until the peer says otherwise.
 */
export type PathStatus = 'available' | 'backup';

/**
 * What the next packet carries:
 * - `new_data`: stream data, DATAGRAMs and control frames sent for the first time;
 * - `retransmission`: frames of packets declared lost or re-injected (they delay delivery
 *   already, so they go to the fastest path with room, whatever the policy for new data);
 * - `probe`: a packet the congestion controller must not hold back (RFC 9002 §7.5: PTO probes;
 *   keep-alive PINGs): any working path, its window notwithstanding.
 */
export type SendPurpose = 'new_data' | 'retransmission' | 'probe';

/** What a scheduler reads of an open path. A connection's path object can satisfy it directly. */
export interface SchedulablePath {
  /** The path ID (RFC 10069 §2.1). */
  readonly pathId: number;
  /** Smoothed RTT, microseconds (RFC 9002 §5.3). */
  readonly srtt: number;
  /**
   * Bytes of in-flight packets the path accepts now: what the congestion window, the pacer and
   * the anti-amplification limit leave (SendControl.sendAllowance); 0 when it is blocked.
   */
  readonly sendAllowance: number;
  /** Bytes in flight on the path (RFC 9002 §2). */
  readonly bytesInFlight: number;
  readonly status: PathStatus;
  /** Path validation succeeded (RFC 9000 §8.2, RFC 10069 §3.1). */
  readonly validated: boolean;
  /** Consecutive PTO expirations without an acknowledgment on the path (RFC 9002 §6.2). */
  readonly ptoCount: number;
  /** Congestion window, bytes (RFC 9002 §7). */
  readonly cwnd: number;
  /**
   * The congestion controller is in slow start (RFC 9002 §7.3.1; BBR's startup): the window
   * roughly doubles each round trip.
   */
  readonly slowStart: boolean;
  /** RTT variation, microseconds (RFC 9002 §5.3). */
  readonly rttVariance: number;
  /** The peer's max_ack_delay, microseconds (RFC 9000 §18.2): how late an ACK may come. */
  readonly maxAckDelay: number;
  /**
   * When the path may send its next in-flight packet, µs: the decision time when it may now,
   * the pacer's release time when only pacing holds it back, Infinity when its window or the
   * anti-amplification limit blocks it (they open on an ACK, not with time).
   */
  readonly sendableAt: number;
  /**
   * Packets of the path were re-injected onto the others (`PathScheduler.onPathFailing`, reason
   * 'overdue') and the oldest of them is still unacknowledged: the path counts as failing until
   * an acknowledgment (or a loss) moves past them. Absent means false.
   */
  readonly reinjecting?: boolean;
}

/** What a scheduler knows of the connection when it picks a path for new data. */
export interface ScheduleContext {
  /** The decision time, µs (the clock of `sendableAt`). */
  readonly now: number;
  /**
   * Bytes of new stream data waiting to be sent, within flow control: how much a path that is
   * blocked now would have to carry if everything waited for it (ECF's `k`).
   */
  readonly backlog: number;
}

/** What a re-injection policy reads of a sent packet (a SentPacket of src/ack/sent.ts is one). */
export interface ReinjectablePacket {
  readonly pn: number;
  readonly ackEliciting: boolean;
  /** Declared lost: loss recovery retransmits its frames already. */
  readonly lost: boolean;
}

/**
 * Why a path is failing: packets of it went unacknowledged a whole PTO period after they were
 * sent ('overdue': RFC 10069 §5.7's delayed packets, noticed before the path's PTO timer, which
 * runs from the last packet sent, RFC 9002 §6.2.1), its PTO expired (RFC 9002 §6.2), or it was
 * abandoned (RFC 10069 §3.4).
 */
export type FailingReason = 'overdue' | 'pto' | 'abandoned';

export interface PathScheduler {
  /** The registered name (registry.ts). */
  readonly name: string;
  /**
   * The path to send the next packet for `purpose` on, among the open `paths`, or null when
   * none may send now (wait for an ACK, the pacer, or a path to validate). `context` (the time
   * and the backlog) lets a scheduler for new data weigh waiting for a faster path against
   * sending on a slower one now; without it, the backlog counts as unbounded. Allocates
   * nothing.
   */
  select<P extends SchedulablePath>(
    paths: readonly P[],
    purpose: SendPurpose,
    context?: ScheduleContext,
  ): P | null;
  /**
   * Path `pathId` is failing (`reason`) and `outstanding` are its packets neither acknowledged
   * nor declared lost, in packet-number order. Returns those whose frames should be queued
   * again, now, for the other paths (xquic's "reinjection"); the originals stay in flight, so
   * whichever copy arrives first delivers the data. Schedulers without re-injection return an
   * empty array; the connection then re-sends the path's data only at its PTO (RFC 10069 §5.7)
   * or when it is abandoned, which it does for every scheduler. The connection calls this with
   * 'overdue' (src/conn/multipath-control.ts `reinjectOverdue`).
   */
  onPathFailing<T extends ReinjectablePacket>(
    pathId: number,
    reason: FailingReason,
    outstanding: Iterable<T>,
  ): T[];
  /** Path `pathId` is gone: the scheduler forgets what it kept about it. */
  onPathClosed(pathId: number): void;
}

export interface PathSchedulerOptions {
  /**
   * Consecutive PTOs after which a path counts as failing: new data avoids it and re-injection
   * starts. Default 1: one PTO without an ACK.
   */
  failingPtoCount?: number;
  /** Re-inject a failing path's outstanding packets onto other paths. Default false. */
  reinjection?: boolean;
}

export type PathSchedulerFactory = (options: PathSchedulerOptions) => PathScheduler;

/** Default of PathSchedulerOptions.failingPtoCount. */
export const DEFAULT_FAILING_PTO_COUNT = 1;

/** A path that may carry data: validated and not failing (PTOs, or re-injected packets pending). */
export function isWorking(p: SchedulablePath, failingPtoCount: number): boolean {
  return p.validated && p.ptoCount < failingPtoCount && p.reinjecting !== true;
}

/**
 * The status whose paths carry data now: "available" when any available path works, else
 * "backup" (RFC 10069 §3.3: backup paths are used when no available path is usable), or null
 * when no path works at all.
 */
export function usableStatus(
  paths: readonly SchedulablePath[],
  failingPtoCount: number,
): PathStatus | null {
  let backup = false;
  for (const p of paths) {
    if (!isWorking(p, failingPtoCount)) continue;
    if (p.status === 'available') return 'available';
    backup = true;
  }
  return backup ? 'backup' : null;
}

/**
 * Among the working paths of `status`, the one with the lowest smoothed RTT (then the fewest
 * bytes in flight, then the lowest path ID), considering only paths with room unless
 * `ignoreRoom`. Null when there is none.
 */
export function lowestRtt<P extends SchedulablePath>(
  paths: readonly P[],
  status: PathStatus,
  failingPtoCount: number,
  ignoreRoom: boolean,
): P | null {
  let best: P | null = null;
  for (const p of paths) {
    if (p.status !== status || !isWorking(p, failingPtoCount)) continue;
    if (!ignoreRoom && p.sendAllowance <= 0) continue;
    if (best === null || before(p, best)) best = p;
  }
  return best;
}

function before(a: SchedulablePath, b: SchedulablePath): boolean {
  if (a.srtt !== b.srtt) return a.srtt < b.srtt;
  if (a.bytesInFlight !== b.bytesInFlight) return a.bytesInFlight < b.bytesInFlight;
  return a.pathId < b.pathId;
}
