/**
 * The life of a connection as one tagged union (RFC 9000 §10): handshaking, established, then
 * closing (we sent CONNECTION_CLOSE, §10.2.1), draining (the peer closed or reset, §10.2.2) and
 * closed. What only makes sense in one state lives in that state: a server's validation of the
 * client's address (RFC 9000 §8.1: during the handshake; an established connection has it),
 * where 0-RTT stands (attempted during the handshake, then accepted or rejected, RFC 9001
 * §4.6), handshake confirmation (RFC 9001 §4.1.2), the close reason, the end of the closing or
 * draining period, and the CONNECTION_CLOSE resends of the closing state. An ending connection
 * keeps what it had (the close and the PTO depend on confirmation, statistics and admission
 * control on the rest). Only this module changes the state; the connection asks it for
 * transitions.
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

/**
 * Where 0-RTT stands (RFC 9001 §4.6): a client attempted it, then learns at completion whether
 * the server accepted or rejected it; a server accepted it (it got the 0-RTT keys) or not.
 */
export type EarlyDataState = 'none' | 'attempted' | 'accepted' | 'rejected';

/** What a connection that is no longer open keeps of how it was. */
interface Ended {
  readonly confirmed: boolean;
  readonly addressValidated: boolean;
  readonly earlyData: EarlyDataState;
}

export type Phase =
  | {
      readonly kind: 'handshake';
      /** Server: the client's address is validated (RFC 9000 §8.1); a client's always is. */
      addressValidated: boolean;
      earlyData: 'none' | 'attempted' | 'accepted';
    }
  | {
      readonly kind: 'established';
      /** The handshake is confirmed (RFC 9001 §4.1.2): HANDSHAKE_DONE, or a server's completion. */
      readonly confirmed: boolean;
      readonly earlyData: 'none' | 'accepted' | 'rejected';
    }
  | (Ended & {
      readonly kind: 'closing';
      readonly info: CloseInfo;
      /** End of the closing period, µs; NaN until armed from the next `now` (`close()`). */
      deadline: number;
      /** A CONNECTION_CLOSE is owed. */
      resendDue: boolean;
      /** Datagrams received while closing (the resend rate limit). */
      received: number;
    })
  | (Ended & { readonly kind: 'draining'; readonly info: CloseInfo; readonly deadline: number })
  | (Ended & { readonly kind: 'closed'; readonly info: CloseInfo });

export class ConnectionLifecycle {
  private phase: Phase;

  /**
   * `addressValidated`: a client, or a server whose client's address a token validated
   * (RFC 9000 §8.1.3).
   */
  constructor(addressValidated = true) {
    this.phase = { kind: 'handshake', addressValidated, earlyData: 'none' };
  }

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

  /**
   * The peer's address is validated (RFC 9000 §8.1): always for a client; for a server, by a
   * token, by a Handshake packet, or by the completed handshake (its Finished came in one).
   */
  get addressValidated(): boolean {
    const p = this.phase;
    return p.kind === 'established' || p.addressValidated;
  }

  /** Where 0-RTT stands (RFC 9001 §4.6). */
  get earlyData(): EarlyDataState {
    return this.phase.earlyData;
  }

  /**
   * Server: a Handshake packet validated the client's address (RFC 9000 §8.1). Returns whether
   * this validated it (false when it already was, or the connection is no longer handshaking).
   */
  validateAddress(): boolean {
    const p = this.phase;
    if (p.kind !== 'handshake' || p.addressValidated) return false;
    p.addressValidated = true;
    return true;
  }

  /**
   * 0-RTT keys arrived during the handshake: a client attempts early data; a server accepted
   * the client's (it gets the keys only then, RFC 9001 §4.6.1).
   */
  onEarlyDataKeys(isClient: boolean): void {
    const p = this.phase;
    if (p.kind === 'handshake') p.earlyData = isClient ? 'attempted' : 'accepted';
  }

  /** A client's new attempt after Version Negotiation starts without 0-RTT (RFC 9368 §2.1). */
  forgetEarlyData(): void {
    const p = this.phase;
    if (p.kind === 'handshake') p.earlyData = 'none';
  }

  /**
   * The handshake completed (RFC 9001 §4.1.1). `earlyDataAccepted` is what TLS says of a 0-RTT
   * attempt, which is accepted or rejected from here (§4.6.2). A server validates its client's
   * address first (the Finished came in a Handshake packet). Returns where 0-RTT stands.
   */
  establish(earlyDataAccepted = false): EarlyDataState {
    const p = this.phase;
    if (p.kind !== 'handshake') return p.earlyData;
    const earlyData = p.earlyData === 'attempted' ? settle(earlyDataAccepted) : p.earlyData;
    this.phase = { kind: 'established', confirmed: false, earlyData };
    return earlyData;
  }

  /**
   * The handshake is confirmed (RFC 9001 §4.1.2); it is complete by then. Returns whether this
   * confirmed it (false when already confirmed or no longer open).
   */
  confirm(): boolean {
    const p = this.phase;
    if (p.kind === 'handshake') {
      // A server's handshake: complete and confirmed at once (it attempts no 0-RTT).
      const earlyData = p.earlyData === 'attempted' ? 'rejected' : p.earlyData;
      this.phase = { kind: 'established', confirmed: true, earlyData };
      return true;
    }
    if (p.kind === 'established' && !p.confirmed) {
      this.phase = { kind: 'established', confirmed: true, earlyData: p.earlyData };
      return true;
    }
    return false;
  }

  /** What an ending connection keeps of the state it leaves. */
  private ended(): Ended {
    return {
      confirmed: this.handshakeConfirmed,
      addressValidated: this.addressValidated,
      earlyData: this.phase.earlyData,
    };
  }

  /**
   * Starts the closing period (RFC 9000 §10.2.1), unless the connection already ends. A NaN
   * deadline is armed later (`armClosing`). Returns whether the state changed.
   */
  startClosing(info: CloseInfo, deadline: number): boolean {
    if (!this.isOpen) return false;
    const ended = this.ended();
    this.phase = { kind: 'closing', ...ended, info, deadline, resendDue: true, received: 0 };
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
    this.phase = { kind: 'draining', ...this.ended(), info: kept, deadline };
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
    this.phase = { kind: 'closed', ...this.ended(), info: final };
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

function settle(accepted: boolean): 'accepted' | 'rejected' {
  return accepted ? 'accepted' : 'rejected';
}

/** The reason phrase bytes of a close. */
export function reasonBytes(info: CloseInfo): Uint8Array {
  const b = utf8(info.reason);
  return b.length > 256 ? b.subarray(0, 256) : b;
}
