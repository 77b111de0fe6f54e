/**
 * Drives the connection's TLS session (RFC 9001 §4): starts it, hands it CRYPTO data, replaces it
 * for a client's new attempt after Version Negotiation, and hands back what the session reported
 * through its callbacks (handshake.ts) as one outcome the connection acts on with its `now`.
 * While the connection itself calls the session the callbacks know they need not wake it.
 */
import type { Level, TlsCallbacks, TlsSession } from '../tls/types.js';
import type { QuicError } from '../wire/errors.js';
import type { ConnectionTlsCallbacks } from './handshake.js';

/**
 * Builds a TLS session with these callbacks and our encoded transport parameters; `resume`
 * false: a client's new attempt after Version Negotiation, which offers no session ticket.
 */
export type CreateTls = (
  callbacks: TlsCallbacks,
  transportParameters: Uint8Array,
  resume: boolean,
) => TlsSession;

/** What the session reported since the last outcome was taken. */
export interface TlsOutcome {
  /** The first fatal error: the connection closes with it. */
  readonly alert: QuicError | null;
  /** The peer's transport parameters arrived (they change the idle timeout, multipath). */
  readonly paramsReceived: boolean;
  readonly handshakeComplete: boolean;
}

export class TlsDriver {
  private current: TlsSession;

  constructor(
    private readonly callbacks: ConnectionTlsCallbacks,
    private readonly create: CreateTls,
    transportParameters: Uint8Array,
  ) {
    this.current = create(callbacks, transportParameters, true);
  }

  /** The session the handshake runs in. */
  get session(): TlsSession {
    return this.current;
  }

  /** Client: sends the first flight (ClientHello). */
  start(): void {
    this.callbacks.driving = true;
    try {
      this.current.start();
    } finally {
      this.callbacks.driving = false;
    }
  }

  /** CRYPTO data received at `level`, in order (RFC 9001 §4.1.3). */
  receive(level: Level, data: Uint8Array): void {
    this.callbacks.driving = true;
    try {
      this.current.receive(level, data);
    } finally {
      this.callbacks.driving = false;
    }
  }

  /**
   * Client: a new session without resumption (tickets belong to the version that issued them,
   * RFC 9369 §5) with these transport parameters, started.
   */
  restart(transportParameters: Uint8Array): void {
    this.current = this.create(this.callbacks, transportParameters, false);
    this.start();
  }

  /** What the session reported since the last call, or null when nothing. */
  takeOutcome(): TlsOutcome | null {
    const c = this.callbacks;
    if (!c.hasOutcome) return null;
    const outcome = {
      alert: c.alert,
      paramsReceived: c.paramsReceived,
      handshakeComplete: c.handshakeComplete,
    };
    c.takeOutcome();
    return outcome;
  }
}
