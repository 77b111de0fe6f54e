/**
 * How a connection ends (RFC 9000 §10): closing after it sent CONNECTION_CLOSE, draining after it
 * received one or a stateless reset, each for three PTOs (the largest PTO of the open paths with
 * multipath, RFC 10069), then closed; or closed at once (idle timeout, a failed Version
 * Negotiation). The lifecycle (state.ts) holds the state; these steps log and raise the events.
 */
import { QuicError, TransportError, transportErrorName } from '../wire/errors.js';
import type { ConnectionContext } from './context.js';
import { largestPto } from './multipath-control.js';
import type { CloseInfo } from './state.js';

/** `now` NaN: the closing period starts at the next entry point (`armClosing`). */
export function enterClosing(conn: ConnectionContext, info: CloseInfo, now: number): void {
  if (!conn.lifecycle.startClosing(info, now + 3 * largestPto(conn))) return;
  if (!Number.isNaN(now)) conn.qlog?.connectionClosed(conn, info, now);
  // Nothing else is sent in the closing state (RFC 9000 §10.2.1).
  conn.controlFrames.clear();
  conn.emit('closing', info);
}

/** A `close()` made without a `now`: its closing period starts now. */
export function armClosing(conn: ConnectionContext, now: number): void {
  if (conn.lifecycle.armClosing(now + 3 * largestPto(conn))) {
    conn.qlog?.connectionClosed(conn, conn.closeInfo!, now);
  }
}

/** Closing with a protocol error, or INTERNAL_ERROR for a bug of ours (first error wins). */
export function closeOnError(conn: ConnectionContext, e: unknown, now: number): void {
  if (!conn.lifecycle.isOpen) return;
  // A bug of ours: close with INTERNAL_ERROR rather than take the process down.
  const err =
    e instanceof QuicError
      ? e
      : new QuicError(
          TransportError.INTERNAL_ERROR,
          `internal error: ${e instanceof Error ? e.message : String(e)}`,
        );
  enterClosing(
    conn,
    {
      source: 'local',
      errorCode: err.code,
      application: false,
      reason: err.message,
      frameType: err.frameType,
    },
    now,
  );
}

/** The peer closed (CONNECTION_CLOSE, stateless reset): draining (RFC 9000 §10.2.2). */
export function startDraining(conn: ConnectionContext, info: CloseInfo, now: number): void {
  const d = conn.lifecycle.startDraining(info, now + 3 * largestPto(conn));
  if (d === null) return;
  conn.qlog?.connectionClosed(conn, info, now);
  if (d.wasOpen) conn.emit('closing', info);
}

/** Closed and gone; `info` is the reason unless the connection was closing or draining. */
export function finish(conn: ConnectionContext, info: CloseInfo, now: number): void {
  const f = conn.lifecycle.finish(info);
  if (f === null) return;
  // Closing and draining logged connection_closed when they began.
  if (!f.wasEnding) conn.qlog?.connectionClosed(conn, f.info, now);
  conn.qlog?.close(now);
  conn.emit('close', f.info);
}

/** Thrown by API calls on a connection that is closing or closed. */
export class ConnectionClosedError extends Error {
  override name = 'ConnectionClosedError';
  readonly code = 'ERR_QUIC_CONNECTION_CLOSED';
  constructor(readonly info: CloseInfo | null) {
    super(info ? `connection closed (${describeClose(info)})` : 'connection closed');
  }
}

/** A one-line description of a close, for messages. */
export function describeClose(info: CloseInfo): string {
  const code = info.application
    ? `application error 0x${info.errorCode.toString(16)}`
    : transportErrorName(info.errorCode);
  return info.reason ? `${code}: ${info.reason}` : code;
}
