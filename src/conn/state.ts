/**
 * The life of a connection as one tagged union (RFC 9000 §10): handshaking, established, then
 * closing (we sent CONNECTION_CLOSE, §10.2.1), draining (the peer closed or reset, §10.2.2) and
 * closed. What only makes sense in one state lives in that state: handshake confirmation
 * (RFC 9001 §4.1.2, kept through the end: the close and the PTO depend on it), the close
 * reason, the end of the closing or draining period, and the CONNECTION_CLOSE resends of the
 * closing state. Only this module changes the state; the connection asks it for transitions.
 */
import { utf8 } from '../util/bytes.js';

/** Why and how a connection ended. */
export interface CloseInfo {
  /** Who ended it. */
  source: 'local' | 'peer' | 'idle_timeout' | 'stateless_reset' | 'version_negotiation';
  /** Transport or application error code. */
  errorCode: number;
  /** Application close (CONNECTION_CLOSE 0x1d) rather than transport close. */
  application: boolean;
  /** Reason phrase or a description. */
  reason: string;
  /** Frame type that triggered a transport error, when known. */
  frameType?: number;
}

export type ConnectionState = 'handshake' | 'established' | 'closing' | 'draining' | 'closed';

export type Phase =
  | { readonly kind: 'handshake' }
  | {
      readonly kind: 'established';
      /** The handshake is confirmed (RFC 9001 §4.1.2): HANDSHAKE_DONE, or a server's completion. */
      readonly confirmed: boolean;
    }
  | {
      readonly kind: 'closing';
      readonly confirmed: boolean;
      readonly info: CloseInfo;
      /** End of the closing period, µs; NaN until armed from the next `now` (`close()`). */
      deadline: number;
      /** A CONNECTION_CLOSE is owed. */
      resendDue: boolean;
      /** Datagrams received while closing (the resend rate limit). */
      received: number;
    }
  | {
      readonly kind: 'draining';
      readonly confirmed: boolean;
      readonly info: CloseInfo;
      readonly deadline: number;
    }
  | { readonly kind: 'closed'; readonly confirmed: boolean; readonly info: CloseInfo };

const HANDSHAKE: Phase = { kind: 'handshake' };
const ESTABLISHED: Phase = { kind: 'established', confirmed: false };
const CONFIRMED: Phase = { kind: 'established', confirmed: true };

export class ConnectionLifecycle {
  private phase: Phase = HANDSHAKE;

  get current(): Readonly<Phase> {
    return this.phase;
  }

  get kind(): ConnectionState {
    return this.phase.kind;
  }

  /** Handshaking or established: packets are processed, the API is usable. */
  get isOpen(): boolean {
    return this.phase.kind === 'handshake' || this.phase.kind === 'established';
  }

  /** The close we send (closing), received (draining) or ended with (closed). */
  get closeInfo(): CloseInfo | null {
    const p = this.phase;
    return p.kind === 'handshake' || p.kind === 'established' ? null : p.info;
  }

  /** End of the closing or draining period (Infinity otherwise, or while not yet armed). */
  get deadline(): number {
    const p = this.phase;
    if (p.kind !== 'closing' && p.kind !== 'draining') return Infinity;
    return Number.isNaN(p.deadline) ? Infinity : p.deadline;
  }

  /** The handshake is confirmed (RFC 9001 §4.1.2), in this state or before it ended. */
  get handshakeConfirmed(): boolean {
    const p = this.phase;
    return p.kind !== 'handshake' && p.confirmed;
  }

  /** The handshake completed (RFC 9001 §4.1.1). */
  establish(): void {
    if (this.phase.kind === 'handshake') this.phase = ESTABLISHED;
  }

  /**
   * The handshake is confirmed (RFC 9001 §4.1.2); it is complete by then. Returns whether this
   * confirmed it (false when already confirmed or no longer open).
   */
  confirm(): boolean {
    const p = this.phase;
    if (p.kind === 'handshake' || (p.kind === 'established' && !p.confirmed)) {
      this.phase = CONFIRMED;
      return true;
    }
    return false;
  }

  /**
   * Starts the closing period (RFC 9000 §10.2.1), unless the connection already ends. A NaN
   * deadline is armed later (`armClosing`). Returns whether the state changed.
   */
  startClosing(info: CloseInfo, deadline: number): boolean {
    if (!this.isOpen) return false;
    const confirmed = this.handshakeConfirmed;
    this.phase = { kind: 'closing', confirmed, info, deadline, resendDue: true, received: 0 };
    return true;
  }

  /** Arms a closing period that waited for a `now`; returns whether it did. */
  armClosing(deadline: number): boolean {
    const p = this.phase;
    if (p.kind !== 'closing' || !Number.isNaN(p.deadline)) return false;
    p.deadline = deadline;
    return true;
  }

  /**
   * The peer closed or reset (RFC 9000 §10.2.2): draining until `deadline`. A connection that
   * was closing keeps its own close reason. Returns the reason, or null when already draining.
   */
  startDraining(info: CloseInfo, deadline: number): { info: CloseInfo; wasOpen: boolean } | null {
    const p = this.phase;
    if (p.kind === 'draining' || p.kind === 'closed') return null;
    const wasOpen = this.isOpen;
    const kept = p.kind === 'closing' ? p.info : info;
    this.phase = { kind: 'draining', confirmed: this.handshakeConfirmed, info: kept, deadline };
    return { info: kept, wasOpen };
  }

  /**
   * Closed and gone. `info` is the reason when the connection ends without closing first
   * (idle timeout, Version Negotiation). Returns the final reason and whether it was already
   * closing or draining, or null when already closed.
   */
  finish(info: CloseInfo): { info: CloseInfo; wasEnding: boolean } | null {
    const p = this.phase;
    if (p.kind === 'closed') return null;
    const wasEnding = p.kind === 'closing' || p.kind === 'draining';
    const final = wasEnding ? p.info : info;
    this.phase = { kind: 'closed', confirmed: this.handshakeConfirmed, info: final };
    return { info: final, wasEnding };
  }

  /**
   * Closing: a datagram arrived. CONNECTION_CLOSE is sent again after 1, 2, 4, 8... of them
   * (RFC 9000 §10.2.1: a rate limit).
   */
  onDatagramWhileClosing(): void {
    const p = this.phase;
    if (p.kind !== 'closing') return;
    const n = ++p.received;
    if ((n & (n - 1)) === 0) p.resendDue = true;
  }

  /** Closing: whether a CONNECTION_CLOSE is owed. */
  get closeResendDue(): boolean {
    return this.phase.kind === 'closing' && this.phase.resendDue;
  }

  /** Closing: the owed CONNECTION_CLOSE is being sent; returns whether one was owed. */
  takeCloseResend(): boolean {
    const p = this.phase;
    if (p.kind !== 'closing' || !p.resendDue) return false;
    p.resendDue = false;
    return true;
  }
}

/** The reason phrase bytes of a close. */
export function reasonBytes(info: CloseInfo): Uint8Array {
  const b = utf8(info.reason);
  return b.length > 256 ? b.subarray(0, 256) : b;
}
