/**
 * The errors of the public HTTP/3 API (`tsquic/h3`): Error subclasses whose `code` is the
 * HTTP/3 or QPACK error name (RFC 9114 §8.1, RFC 9204 §6), e.g. 'H3_REQUEST_CANCELLED', with
 * the numeric wire code beside it. A connection that ended at the QUIC level (idle timeout,
 * transport error, stateless reset) gives a `QUIC_...` code instead.
 */
import type { CloseInfo } from '../../conn/connection.js';
import { transportErrorName } from '../../wire/errors.js';
import type { ConnectionTransport } from '../connection-transport.js';
import {
  H3ProtocolError,
  H3ErrorCode,
  h3ErrorName,
  isKnownErrorCode,
  type H3ErrorScope,
} from '../errors.js';

/** @deprecated The same type as H3ErrorScope: one request ('stream') or the connection. */
export type Http3ErrorScope = H3ErrorScope;

export interface Http3ErrorDetails {
  /** Numeric wire code (HTTP/3 application code, or QUIC transport code for a QUIC close). */
  errorCode: number;
  /** True when the peer signalled it (RESET_STREAM, STOP_SENDING, CONNECTION_CLOSE). */
  remote: boolean;
  cause?: unknown;
}

/** Any failure reported by the HTTP/3 API. */
export class Http3Error extends Error {
  override name = 'Http3Error';
  /** Numeric wire code. */
  readonly errorCode: number;
  /** True when the peer signalled the error. */
  readonly remote: boolean;

  constructor(
    /** Error name: 'H3_...' / 'QPACK_...', or 'QUIC_...' for a connection ended by QUIC. */
    readonly code: string,
    message: string,
    readonly scope: H3ErrorScope,
    details: Http3ErrorDetails,
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.errorCode = details.errorCode;
    this.remote = details.remote;
  }
}

/** One request failed: reset by the peer, malformed, refused or cancelled. */
export class Http3StreamError extends Http3Error {
  override name = 'Http3StreamError';

  constructor(code: number, message: string, remote: boolean, cause?: unknown) {
    super(h3ErrorName(code), message, 'stream', {
      errorCode: code,
      remote,
      ...(cause === undefined ? {} : { cause }),
    });
  }
}

/** The connection ended; `closeInfo` says how when QUIC reported it. */
export class Http3ConnectionError extends Http3Error {
  override name = 'Http3ConnectionError';

  constructor(
    code: string,
    message: string,
    details: Http3ErrorDetails,
    readonly closeInfo: CloseInfo | null = null,
  ) {
    super(code, message, 'connection', details);
  }
}

/**
 * The public error for an H3ProtocolError from the session. `closeInfo` is the QUIC close, when the
 * connection is gone: it tells an HTTP/3 application close from a QUIC-level one.
 */
export function toHttp3Error(e: H3ProtocolError, closeInfo: CloseInfo | null): Http3Error {
  if (e.scope === 'stream') return new Http3StreamError(e.code, e.message, e.remote, e);
  if (closeInfo !== null && !closeInfo.application) return quicCloseError(closeInfo);
  return new Http3ConnectionError(
    h3ErrorName(e.code),
    e.message,
    { errorCode: e.code, remote: e.remote, cause: e },
    closeInfo,
  );
}

/** A connection ended at the QUIC level (not by an HTTP/3 CONNECTION_CLOSE). */
function quicCloseError(info: CloseInfo): Http3ConnectionError {
  let code: string;
  switch (info.source) {
    case 'idle_timeout':
      code = 'QUIC_IDLE_TIMEOUT';
      break;
    case 'stateless_reset':
      code = 'QUIC_STATELESS_RESET';
      break;
    case 'version_negotiation':
      code = 'QUIC_VERSION_NEGOTIATION';
      break;
    default: {
      const name = transportErrorName(info.errorCode);
      code = name.startsWith('0x') ? 'QUIC_TRANSPORT_ERROR' : `QUIC_${name.replace(/\(.*$/, '')}`;
    }
  }
  const by = info.source === 'peer' ? 'the peer' : 'QUIC';
  const reason = info.reason === '' ? '' : `: ${info.reason}`;
  return new Http3ConnectionError(
    code,
    `connection closed by ${by} (${transportErrorName(info.errorCode)}${reason})`,
    { errorCode: info.errorCode, remote: info.source === 'peer' },
    info,
  );
}

/**
 * Whether the session ended cleanly: an HTTP/3 close (not a QUIC-level one) with H3_NO_ERROR,
 * or with a code HTTP/3 does not define, which counts as H3_NO_ERROR (RFC 9114 §8.1, §9).
 */
export function isCleanClose(e: H3ProtocolError, transport: ConnectionTransport): boolean {
  if (transport.closeInfo?.application === false) return false;
  return e.code === H3ErrorCode.H3_NO_ERROR || !isKnownErrorCode(e.code);
}
