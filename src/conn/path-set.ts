/**
 * The paths of a connection (RFC 9000 §8.2, §9): the active path packets are sent on, a path
 * being probed before the connection moves to it, and the last validated path kept while the
 * active one is validated (§9.3.2). It owns which path is which, the validation timers of both,
 * the anti-amplification accounting of received datagrams (§8.1) and the one place where a move
 * to a new address resets congestion and RTT state (§9.4).
 *
 * What goes with a move but is not path state (switching the peer's CID, retiring the old one,
 * events, statistics) stays with the connection (migration.ts): the set returns what happened.
 */
import { sameAddress, type SocketAddress } from '../util/address.js';
import type { PathState } from './path-state.js';

/** What a PATH_RESPONSE did. */
export type ResponseOutcome =
  /** It validated the active path: the fallback is no longer needed. */
  | 'active'
  /** It validated the probed path: the connection moves to it (`moveTo(probe)`). */
  | 'probe'
  /** It answers no outstanding challenge (a late or forged response, ignored: §8.2.3). */
  | 'none';

export class PathSet {
  private current: PathState;
  private probing: PathState | null = null;
  private last: PathState | null = null;

  /** `initial` becomes the active path at `now`. */
  constructor(initial: PathState, now: number) {
    this.current = initial;
    initial.activate(now);
  }

  /** The path packets are sent on. */
  get active(): PathState {
    return this.current;
  }

  /** A path being validated before the connection moves to it (§9.3, §9.6), or null. */
  get probe(): PathState | null {
    return this.probing;
  }

  /** The last validated path while the active one is validated (§9.3.2: revert to it). */
  get fallback(): PathState | null {
    return this.last;
  }

  /** The known path with this address pair: active, probed or fallback. */
  find(local: SocketAddress, remote: SocketAddress): PathState | null {
    for (const p of [this.current, this.probing, this.last]) {
      if (p !== null && sameAddress(p.remote, remote) && sameAddress(p.local, local)) return p;
    }
    return null;
  }

  /** Whether the active path has this address pair. */
  isActive(local: SocketAddress, remote: SocketAddress): boolean {
    return sameAddress(this.current.remote, remote) && sameAddress(this.current.local, local);
  }

  /** Client: whether packets from this server address belong to a path we know (§9). */
  knowsRemote(remote: SocketAddress): boolean {
    return (
      sameAddress(remote, this.current.remote) ||
      (this.probing !== null && sameAddress(remote, this.probing.remote)) ||
      (this.last !== null && sameAddress(remote, this.last.remote))
    );
  }

  /**
   * A datagram arrived from `remote` to `local`: counted whole against the budget of its path
   * (RFC 9000 §8.1, §9.3.1), even if none of its packets can be processed. A probed path is
   * matched by the peer's address alone (a server answers a client's probe from the address the
   * client probed, whatever local address the host reports).
   */
  onDatagramReceived(
    local: SocketAddress,
    remote: SocketAddress,
    bytes: number,
    now: number,
  ): void {
    if (this.isActive(local, remote)) this.current.onDatagramReceived(bytes, now);
    else if (this.probing && sameAddress(remote, this.probing.remote)) {
      this.probing.onDatagramReceived(bytes, now);
    }
  }

  /** Starts probing `p` (replacing any other probe); validation is the caller's to start. */
  startProbe(p: PathState): void {
    this.probing = p;
  }

  /** A PATH_RESPONSE arrived (RFC 9000 §8.2.3). */
  onResponse(data: Uint8Array, now: number): ResponseOutcome {
    if (this.current.onResponse(data, now)) {
      this.last = null;
      return 'active';
    }
    if (this.probing && this.probing.onResponse(data, now)) return 'probe';
    return 'none';
  }

  /**
   * Makes `next` the active path; the probe is done. RFC 9000 §9.4: a new address is a new path
   * with fresh congestion and RTT state, unless only the peer's port changed (NAT rebinding);
   * our own address changes on a client's migration and the preferred address. `fallback`: the
   * path to return to if `next` fails validation (§9.3.2), when it is being validated.
   */
  moveTo(next: PathState, now: number, fallback: PathState | null = this.last): void {
    const old = this.current;
    if (next.remote.address !== old.remote.address || next.local.address !== old.local.address) {
      old.sendControl.resetForNewPath(now);
    }
    this.last = fallback;
    this.current = next;
    this.probing = null;
    next.activate(now);
  }

  /** Fresh recovery state on the active path's addresses (a Retry, Version Negotiation). */
  replaceActive(next: PathState, now: number): void {
    this.current = next;
    next.activate(now);
  }

  /** Starts the validation timers that waited for a `now` (`Connection.migrate`). */
  armValidationDeadlines(now: number): void {
    this.current.armValidationDeadline(now);
    this.probing?.armValidationDeadline(now);
  }

  /** The earliest validation timer: a PATH_CHALLENGE retry or a validation timeout. */
  deadline(): number {
    const probe = this.probing;
    return Math.min(validationDeadline(this.current), probe ? validationDeadline(probe) : Infinity);
  }

  /**
   * Validation timers (RFC 9000 §8.2.4): an unanswered PATH_CHALLENGE is sent again; a probe
   * that never answered is dropped; an active path that never answered fails. Returns the path
   * to go back to when the active path failed (§9.3.2), for the caller to `moveTo`.
   */
  onTimers(now: number): PathState | null {
    const probe = this.probing;
    if (probe && probe.challenge !== null) {
      if (now >= probe.challengeDeadline) this.probing = null;
      else if (probe.challengeSent && now >= probe.challengeRetryAt) probe.challengeSent = false;
    }
    const path = this.current;
    if (path.challenge === null) return null;
    if (now >= path.challengeDeadline) {
      path.failValidation();
      const back = this.last;
      this.last = null;
      return back;
    }
    if (path.challengeSent && now >= path.challengeRetryAt) path.challengeSent = false;
    return null;
  }

  /** Whether a PATH_CHALLENGE or PATH_RESPONSE waits on the active or the probed path. */
  get hasPendingSend(): boolean {
    return hasPathFrames(this.current) || (this.probing !== null && hasPathFrames(this.probing));
  }
}

/** A PATH_CHALLENGE not yet sent or PATH_RESPONSEs owed on `p`. */
export function hasPathFrames(p: PathState): boolean {
  return p.responses.length > 0 || (p.challenge !== null && !p.challengeSent);
}

function validationDeadline(p: PathState): number {
  if (p.challenge === null) return Infinity;
  return p.challengeSent ? Math.min(p.challengeDeadline, p.challengeRetryAt) : p.challengeDeadline;
}
