/**
 * The boundary between HTTP/3 and the QUIC connection it runs on. The HTTP/3 session is written
 * against these two small interfaces only, so it can be driven by the real tsquic Connection
 * (through a thin adapter) or by an in-memory fake in tests.
 *
 * Direction of calls:
 * - The session calls H3Transport / H3Stream methods to open streams, read, write, reset and
 *   close.
 * - The adapter calls the session's handle* methods (H3Session in session.ts) when something
 *   happens on the connection: a peer stream opened, a stream became readable or writable, the
 *   peer reset a stream or asked it to stop, stream credit grew, the connection closed.
 *
 * The adapter calls handleStream for a peer-initiated stream before any other handle* call for
 * it, and never calls a handle* method from inside an H3Stream or H3Transport method (events
 * that arise there are delivered once that call has returned).
 *
 * Reading is pull-based: the session reads only while it can use the data, so data it cannot
 * process yet (a field section blocked on QPACK inserts, a paused body) stays in the QUIC
 * receive buffer and under flow control (RFC 9204 §2.2.1).
 */
import type { H3QlogSink } from './qlog.js';

/** A chunk returned by H3Stream.read(). */
export interface H3ReadResult {
  /** Received bytes, in order. The session may keep them: the adapter must not reuse them. */
  readonly data: Uint8Array;
  /** True when `data` ends the stream (the FIN was received); `data` may then be empty. */
  readonly fin: boolean;
}

/** One QUIC stream as HTTP/3 uses it. */
export interface H3Stream {
  /**
   * QUIC stream ID (RFC 9000 §2.1): bit 0x1 set for server-initiated, bit 0x2 set for
   * unidirectional.
   */
  readonly id: number;
  /**
   * Takes up to `max` bytes of in-order received data, or null when none is available now (the
   * adapter calls handleReadable when that changes). After a result with fin, or after the peer
   * reset the stream, returns null.
   */
  read(max: number): H3ReadResult | null;
  /**
   * Queues bytes for sending and returns how many were accepted, which may be fewer than
   * data.length when the transport's buffer or flow control is full (the adapter calls
   * handleWritable when more can be taken). `fin` takes effect only when every byte of `data`
   * is accepted; write(empty, true) ends the stream.
   */
  write(data: Uint8Array, fin: boolean): number;
  /**
   * Abruptly ends the sending part with an application error code (RESET_STREAM). A no-op when
   * the transport already reset it (e.g. on its own after STOP_SENDING, RFC 9000 §3.5).
   */
  reset(code: number): void;
  /**
   * Asks the peer to stop sending with an application error code (STOP_SENDING) and discards
   * what arrives on the stream from now on.
   */
  stopSending(code: number): void;
}

/** The QUIC connection as HTTP/3 uses it. */
export interface H3Transport {
  /** True on the server side of the connection. */
  readonly isServer: boolean;
  /**
   * Client: whether the server accepted 0-RTT (RFC 9001 §4.6.2), known once the handshake has
   * said; absent when the transport cannot tell (taken as not accepted).
   */
  readonly earlyDataAccepted?: boolean | undefined;
  /**
   * The connection's time (µs): that of the engine call being served. Needed only for the
   * server's request-header timeout; without it there is none.
   */
  readonly now?: number | undefined;
  /** Receives the session's qlog events (h3-events-13); absent when nothing is logged. */
  readonly qlog?: H3QlogSink | undefined;
  /**
   * Opens a locally initiated stream, or returns null when the peer's stream limit does not
   * allow one now (the adapter calls handleStreamCredit when it grows).
   */
  openStream(bidirectional: boolean): H3Stream | null;
  /**
   * Closes the connection with an HTTP/3 application error code (CONNECTION_CLOSE of type
   * 0x1d, RFC 9000 §19.19). The adapter must not call back into the session from here.
   */
  close(code: number, reason: string): void;
}

/** Whether a stream ID is unidirectional (RFC 9000 §2.1). */
export function isUnidirectional(streamId: number): boolean {
  return (streamId & 0x2) !== 0;
}
