/**
 * Errors of the Node adapter. Every one is an Error subclass with a string `code` (Node
 * convention, `err.code === 'ERR_QUIC_CERTIFICATE'`), so callers branch on the code rather than on
 * message text. A connection's end is classified from its CloseInfo: who closed it and with which
 * wire code (RFC 9000 §20; CRYPTO_ERROR 0x100 + TLS alert per RFC 9001 §4.8).
 */
import { Connection, type CloseInfo } from '../conn/connection.js';
import { alertName } from '../tls/alert.js';
import { TransportError } from '../wire/errors.js';

export type QuicErrorCode =
  /** The peer's certificate was refused, or the peer refused ours (TLS alerts 42-46, 48). */
  | 'ERR_QUIC_CERTIFICATE'
  /** Another TLS failure (CRYPTO_ERROR): no common ALPN, cipher suite or group, bad handshake. */
  | 'ERR_QUIC_TLS'
  /** The peer did not answer: handshake or idle timeout (RFC 9000 §10.1). */
  | 'ERR_QUIC_TIMEOUT'
  /** Nothing listens there (ICMP port unreachable) or the server refused (CONNECTION_REFUSED). */
  | 'ERR_QUIC_REFUSED'
  /** The server speaks none of our QUIC versions (RFC 9000 §6). */
  | 'ERR_QUIC_VERSION_NEGOTIATION'
  /** The peer lost the connection's state (RFC 9000 §10.3). */
  | 'ERR_QUIC_STATELESS_RESET'
  /** The application on either side closed with a non-zero application error code. */
  | 'ERR_QUIC_APPLICATION'
  /** A transport error (PROTOCOL_VIOLATION, FLOW_CONTROL_ERROR, ...) closed the connection. */
  | 'ERR_QUIC_TRANSPORT'
  /** The connection was destroyed locally without a protocol reason. */
  | 'ERR_QUIC_ABORTED'
  /** The UDP socket failed (bind, send or receive). */
  | 'ERR_QUIC_SOCKET'
  /** The peer reset the stream (RESET_STREAM, RFC 9000 §19.4). */
  | 'ERR_QUIC_STREAM_RESET'
  /** The peer asked us to stop sending on the stream (STOP_SENDING, RFC 9000 §19.5). */
  | 'ERR_QUIC_STREAM_STOPPED'
  /** A connection or stream was used after it closed. */
  | 'ERR_QUIC_CLOSED'
  /** The connection is still being set up (host lookup, socket bind): the call must wait. */
  | 'ERR_QUIC_NOT_STARTED'
  /** The server's host name did not resolve. */
  | 'ERR_QUIC_HOST_NOT_FOUND';

/** Base class of the adapter's errors. */
export class QuicNodeError extends Error {
  override name = 'QuicNodeError';
  constructor(
    readonly code: QuicErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** TLS alerts that are about certificates (RFC 8446 §6.2). */
const CERTIFICATE_ALERTS = new Set([42, 43, 44, 45, 46, 48]);

/** A connection ended with an error: why, with the close details. */
export class QuicConnectionError extends QuicNodeError {
  override name = 'QuicConnectionError';
  /** The wire error code (transport or application). */
  readonly errorCode: number;
  /** Application close (CONNECTION_CLOSE 0x1d) rather than a transport close. */
  readonly application: boolean;
  /** Who ended the connection. */
  readonly source: CloseInfo['source'];
  /** For CRYPTO_ERROR closes, the TLS alert (RFC 9001 §4.8); else null. */
  readonly alert: number | null;

  constructor(
    code: QuicErrorCode,
    message: string,
    readonly info: CloseInfo,
  ) {
    super(code, message);
    this.errorCode = info.errorCode;
    this.application = info.application;
    this.source = info.source;
    this.alert = cryptoAlert(info);
  }
}

/** A stream was reset or stopped by the peer. */
export class QuicStreamError extends QuicNodeError {
  override name = 'QuicStreamError';
  constructor(
    code: 'ERR_QUIC_STREAM_RESET' | 'ERR_QUIC_STREAM_STOPPED' | 'ERR_QUIC_CLOSED',
    message: string,
    /** The application error code of the RESET_STREAM or STOP_SENDING (0 when closed). */
    readonly errorCode: number,
    /** The stream ID. */
    readonly streamId: number,
  ) {
    super(code, message);
  }
}

function cryptoAlert(info: CloseInfo): number | null {
  if (info.application || info.errorCode < 0x100 || info.errorCode > 0x1ff) return null;
  return info.errorCode - 0x100;
}

/** Whether a close is a normal, error-free end: a local or peer close with code 0, or with the application protocol's own "no error" code. */
export function isCleanClose(info: CloseInfo, alpn: string | null = null): boolean {
  if (info.source !== 'local' && info.source !== 'peer') return false;
  if (info.errorCode === 0) return true;
  // An application's own "no error" code is clean too.
  return info.application && alpn !== null && APPLICATION_NO_ERROR[alpn] === info.errorCode;
}

/** "No error" application codes by ALPN: H3_NO_ERROR (RFC 9114 §8.1). */
const APPLICATION_NO_ERROR: Record<string, number> = { h3: 0x100 };

/** The error a close amounts to, classified by source and wire code. */
export function errorFromClose(info: CloseInfo): QuicConnectionError {
  const by = info.source === 'peer' ? 'peer closed the connection' : 'connection closed';
  const detail = info.reason === '' ? '' : `: ${info.reason}`;
  switch (info.source) {
    case 'idle_timeout':
      return new QuicConnectionError(
        'ERR_QUIC_TIMEOUT',
        'timed out: no answer from the peer',
        info,
      );
    case 'stateless_reset':
      return new QuicConnectionError(
        'ERR_QUIC_STATELESS_RESET',
        'the peer reset the connection (stateless reset)',
        info,
      );
    case 'version_negotiation':
      return new QuicConnectionError(
        'ERR_QUIC_VERSION_NEGOTIATION',
        `version negotiation failed${detail}`,
        info,
      );
    default:
      break;
  }
  if (info.application) {
    return new QuicConnectionError(
      'ERR_QUIC_APPLICATION',
      `${by} with application error 0x${info.errorCode.toString(16)}${detail}`,
      info,
    );
  }
  const alert = cryptoAlert(info);
  if (alert !== null) {
    const tls = `TLS alert ${alertName(alert)} (${alert})`;
    if (CERTIFICATE_ALERTS.has(alert)) {
      const what =
        info.source === 'peer' ? `the peer refused our certificate, ${tls}` : `certificate error`;
      return new QuicConnectionError('ERR_QUIC_CERTIFICATE', `${what}${detail}`, info);
    }
    return new QuicConnectionError('ERR_QUIC_TLS', `TLS handshake failed, ${tls}${detail}`, info);
  }
  if (info.errorCode === TransportError.CONNECTION_REFUSED) {
    return new QuicConnectionError('ERR_QUIC_REFUSED', `connection refused${detail}`, info);
  }
  return new QuicConnectionError(
    'ERR_QUIC_TRANSPORT',
    `${by} with ${Connection.describeClose(info)}`,
    info,
  );
}
