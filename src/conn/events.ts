/**
 * The events a connection raises for the application (see `Connection`). Its own module so that
 * the components that raise them (stream events, handshake, frame handlers) need not import the
 * connection.
 */
import type { SocketAddress } from '../util/address.js';
import type { Stream } from '../stream/stream.js';
import type { CloseInfo } from './state.js';

/** Why a path was closed (the `pathClosed` event). */
export interface PathCloseInfo {
  source: 'local' | 'peer';
  errorCode: number;
  reason: string;
}

export interface ConnectionEvents {
  /**
   * The handshake completed (RFC 9001 §4.1.1): a client may send 1-RTT data now, with its
   * Finished, rather than one round trip later when HANDSHAKE_DONE arrives.
   */
  handshakeDone: () => void;
  /** The handshake is confirmed (RFC 9001 §4.1.2): migration and key updates may start. */
  handshakeConfirmed: () => void;
  /** The peer opened a stream. */
  stream: (stream: Stream) => void;
  readable: (stream: Stream) => void;
  writable: (stream: Stream) => void;
  streamReset: (stream: Stream, errorCode: number) => void;
  stopSending: (stream: Stream, errorCode: number) => void;
  streamClosed: (stream: Stream) => void;
  /**
   * Everything written so far on an open stream is acknowledged, for a stream that asked
   * (`Stream.reportAcks()`).
   */
  streamAcked: (stream: Stream) => void;
  /** open(bidi) can succeed again after returning null. */
  streamsAvailable: (bidi: boolean) => void;
  datagram: (data: Uint8Array) => void;
  /** Client: a resumption ticket (opaque bytes, with the transport parameters 0-RTT needs). */
  sessionTicket: (ticket: Uint8Array) => void;
  /** The active path changed (migration, rebinding, preferred address). */
  pathChange: (remote: SocketAddress, local: SocketAddress) => void;
  /** Multipath (RFC 10069): a path ID came into use, opened by us or by the peer. */
  pathOpened: (pathId: number) => void;
  /** Multipath: the path's address was validated (RFC 10069 §3.1); it carries data from now. */
  pathValidated: (pathId: number) => void;
  /**
   * Multipath: the path was abandoned (RFC 10069 §3.4) by `source`, with the PATH_ABANDON error
   * code (0 NO_ERROR, 0x3e APPLICATION_ABANDON_PATH, ...); validation failures and the
   * connection's own decisions say so in `reason`.
   */
  pathClosed: (pathId: number, info: PathCloseInfo) => void;
  /** Client: the server sent NEW_TOKEN. */
  newToken: (token: Uint8Array) => void;
  /**
   * The connection started closing (we closed, or the peer did): no more data will move. `close`
   * follows after the closing or draining period (RFC 9000 §10.2).
   */
  closing: (info: CloseInfo) => void;
  /** The connection is closed and gone. */
  close: (info: CloseInfo) => void;
  /**
   * A listener of another event threw. Without an `error` listener the error is rethrown as an
   * uncaught exception (in a microtask, after the connection finished its work): application
   * errors are never turned into a close of the connection.
   */
  error: (err: unknown) => void;
}
