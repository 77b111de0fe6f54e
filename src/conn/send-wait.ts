/**
 * What the connection waits for to send again. A poll that builds nothing was held back either
 * by the pacer only (RFC 9002 §7.7: the send timer is armed for its release time) or by
 * something only new input can change: the congestion window, the amplification limit, nothing
 * to send (the timer then waits for the ACK deadlines still ahead of that poll). Any new input
 * (a datagram, a timer, an API call) resets it: the next poll decides again.
 */
import { PnSpace } from '../ack/pn-space.js';
import type { ConnectionContext } from './context.js';
import { multipathHasPendingSend, pacerReleaseTime } from './multipath-send.js';

/** What the bookkeeping reads of the connection. */
export type SendWaitSource = Pick<
  ConnectionContext,
  'spaces' | 'multipath' | 'path' | 'paths' | 'controlFrames' | 'keys' | 'isClient' | 'streams'
> & {
  /** Whether anything but an ACK waits to be sent (the connection's `hasPendingSend`). */
  hasPendingSend(): boolean;
};

export class SendWait {
  /** Set when a poll found nothing it could send: the send timer waits for new work. */
  private pollIdle = false;
  /** While `pollIdle`: the earliest ACK deadline still ahead of that poll. */
  private idleAckDeadline = Infinity;
  /** When the pacer releases what the last poll held back (RFC 9002 §7.7); 0: send now. */
  private pacerRelease = 0;

  constructor(private readonly conn: SendWaitSource) {}

  /** Something new happened: the next poll decides again what can be sent. */
  reset(): void {
    this.pollIdle = false;
    this.pacerRelease = 0;
  }

  /**
   * A poll at `now` built nothing. Returns true when only new input can help (the send timer
   * waits for the ACK deadlines ahead), false when the pacer holds back what waits and its
   * release time is the deadline.
   */
  onNothingSent(now: number): boolean {
    const conn = this.conn;
    // Blocked by the window or the amplification limit (Infinity), only new input can help.
    const release = pacerReleaseTime(conn, now);
    if (release > now && release < Infinity && conn.hasPendingSend()) {
      this.pacerRelease = release;
      return false;
    }
    this.pollIdle = true;
    this.idleAckDeadline = ackDeadline(conn, now);
    return true;
  }

  /** The earliest time the sender needs a timer: an ACK due, or the pacer's release. */
  nextTimeout(): number {
    // An ACK that was due but could not be sent (amplification limit) waits for new input.
    if (this.pollIdle) return this.idleAckDeadline;
    const t = ackDeadline(this.conn, -Infinity);
    // Held back by the pacer only: its release time is the deadline.
    return this.conn.hasPendingSend() ? Math.min(t, this.pacerRelease) : t;
  }
}

/** The earliest ACK deadline after `after` of the spaces in use. */
export function ackDeadline(conn: Pick<ConnectionContext, 'spaces' | 'multipath'>, after: number) {
  let t = Infinity;
  for (const s of conn.spaces) {
    if (s.discarded) continue;
    const d = s.tracker.ackDeadline();
    if (d > after && d < t) t = d;
  }
  // Multipath: the 1-RTT spaces of the other paths (RFC 10069 §4.1).
  const mp = conn.multipath;
  if (mp !== null && mp.enabled) {
    for (const p of mp.all()) {
      if (p.id === 0) continue;
      const d = p.space.tracker.ackDeadline();
      if (d > after && d < t) t = d;
    }
  }
  return t;
}

/**
 * Whether anything but an ACK waits to be sent, a CONNECTION_CLOSE resend aside (the lifecycle
 * knows that one).
 */
export function framesWaiting(conn: SendWaitSource): boolean {
  if (conn.controlFrames.hasPending) return true;
  for (const s of conn.spaces) {
    if (!s.discarded && (s.hasCryptoToSend || s.probes > 0)) return true;
  }
  if (conn.paths.hasPendingSend) return true;
  if (conn.multipath !== null && conn.multipath.enabled && multipathHasPendingSend(conn)) {
    return true;
  }
  // Stream data goes in 1-RTT or a client's 0-RTT (a server's 0.5-RTT is not counted here).
  const k = conn.keys;
  if (k.oneRtt === null && (!conn.isClient || k.sealer(PnSpace.Application) === null)) {
    return false;
  }
  return conn.streams.hasPendingSend;
}
