/**
 * The HTTP/3 server (RFC 9114): accepts requests on client-initiated bidirectional streams and
 * lets the application answer them.
 */
import { H3ProtocolError, H3ErrorCode } from '../errors.js';
import type { FieldLine } from '../qpack/field-section.js';
import { checkOutgoing, parseRequestHead, parseResponseHead } from './message.js';
import { H3RequestStream, type StreamHost } from './request-stream.js';
import { H3Session, type H3SessionOptions } from './session.js';
import type { H3Stream, H3Transport } from './transport.js';

export interface H3ResponseOptions {
  /** The response has no body: end the stream with the header section. Default false. */
  endStream?: boolean;
}

/** A request received by the server and the response to it. */
export class H3ServerRequest extends H3RequestStream {
  /** :method */
  method = '';
  /** :scheme (absent for CONNECT) */
  scheme: string | undefined;
  /** :authority */
  authority: string | undefined;
  /** :path (absent for CONNECT) */
  path: string | undefined;
  /** The request's header section as received, pseudo-header fields included. */
  headers: FieldLine[] = [];

  /** @internal Created by H3ServerSession for each request stream. */
  constructor(
    host: StreamHost,
    stream: H3Stream,
    private readonly announce: (request: H3ServerRequest) => void,
  ) {
    super(host, stream);
  }

  /**
   * Sends an interim (1xx) response (RFC 9114 §4.1), before respond(). Throws TypeError for a
   * malformed or non-1xx header section.
   */
  sendInformational(fields: readonly FieldLine[]): void {
    const head = checkOutgoing(() => parseResponseHead(fields));
    if (head.status >= 200) throw new TypeError('sendInformational() needs a 1xx status');
    if (this.outgoingState === 'aborted') return;
    if (this.outgoingState === 'sent') throw new TypeError('sendInformational() after respond()');
    this.sendInterimHeaderSection(fields);
  }

  /**
   * Sends the final response's header section; the body follows with write() and end(). Throws
   * TypeError for a malformed or 1xx header section, or a second call. Does nothing once the
   * exchange was aborted (see onError, onStopSending).
   */
  respond(fields: readonly FieldLine[], options: H3ResponseOptions = {}): void {
    const head = checkOutgoing(() => parseResponseHead(fields));
    if (head.status < 200)
      throw new TypeError('respond() needs a final status; use sendInformational()');
    if (this.outgoingState === 'aborted') return;
    if (this.outgoingState === 'sent') throw new TypeError('respond() called twice');
    this.sendHeaderSection(fields, head.contentLength, options.endStream ?? false);
  }

  protected headerSectionReceived(fields: FieldLine[]): void {
    const head = parseRequestHead(fields);
    this.method = head.method;
    this.scheme = head.scheme;
    this.authority = head.authority;
    this.path = head.path;
    this.headers = fields;
    this.expectedLength = head.contentLength;
    this.recv = 'body';
    this.announce(this);
  }
}

export interface H3ServerSessionOptions extends H3SessionOptions {
  /**
   * Milliseconds a request stream may take to deliver its header section (counted from the
   * stream's first bytes); a request still incomplete then is reset with H3_REQUEST_REJECTED,
   * so slow clients (slowloris) cannot hold streams and buffers. 0 disables it. Default 10,000.
   * Needs a transport that tells the time (H3Transport.now) and calls of handleTimeout().
   */
  requestHeaderTimeout?: number;
}

/** Default request-header timeout, ms. */
export const DEFAULT_REQUEST_HEADER_TIMEOUT = 10_000;

export class H3ServerSession extends H3Session<H3ServerRequest> {
  /**
   * A request's header section arrived. Set it before handing streams to the session: a
   * request arriving without a handler is rejected (H3_REQUEST_REJECTED).
   */
  onRequest: ((request: H3ServerRequest) => void) | null = null;

  /** The lowest client-initiated bidirectional stream ID not yet accepted. */
  private nextRequestId = 0;
  private readonly headerTimeoutUs: number;
  /**
   * Requests whose header section has not arrived: stream ID → deadline (µs). Insertion order
   * is deadline order, as time only moves forward and the timeout is fixed.
   */
  private readonly awaitingHeaders = new Map<number, number>();

  constructor(transport: H3Transport, options: H3ServerSessionOptions = {}) {
    if (!transport.isServer) throw new TypeError('H3ServerSession needs a server-side transport');
    super(transport, options);
    const ms = options.requestHeaderTimeout ?? DEFAULT_REQUEST_HEADER_TIMEOUT;
    if (!Number.isFinite(ms) || ms < 0) {
      throw new RangeError(`requestHeaderTimeout must be a number of ms >= 0, got ${ms}`);
    }
    this.headerTimeoutUs = ms * 1000;
  }

  /** Requests whose header section is still incomplete. */
  get incompleteRequests(): number {
    return this.awaitingHeaders.size;
  }

  /** When handleTimeout() is next due (µs), Infinity when nothing waits. */
  nextTimeout(): number {
    for (const deadline of this.awaitingHeaders.values()) return deadline;
    return Infinity;
  }

  /** Resets the requests whose header section did not arrive in time (requestHeaderTimeout). */
  handleTimeout(now: number): void {
    for (const [id, deadline] of this.awaitingHeaders) {
      if (deadline > now) return;
      this.awaitingHeaders.delete(id);
      // Not processed at all, so the client may retry (RFC 9114 §4.1.1, §8.1).
      this.requests
        .get(id)
        ?.abandon(
          H3ErrorCode.H3_REQUEST_REJECTED,
          new H3ProtocolError(H3ErrorCode.H3_REQUEST_REJECTED, 'request header timeout', 'stream'),
        );
    }
  }

  /** @internal */
  override streamClosed(stream: H3RequestStream): void {
    this.awaitingHeaders.delete(stream.id);
    super.streamClosed(stream);
  }

  /**
   * Sends GOAWAY (RFC 9114 §5.2): requests on streams at or above `streamId` (by default: every
   * stream not accepted yet) are refused, and any such request in progress is cancelled with
   * H3_REQUEST_REJECTED. Throws RangeError for an ID that is not a client-initiated
   * bidirectional stream or is above an earlier GOAWAY.
   */
  sendGoaway(streamId: number = this.nextRequestId): void {
    if (streamId % 4 !== 0)
      throw new RangeError(`GOAWAY needs a client bidirectional stream ID: ${streamId}`);
    this.writeGoaway(streamId);
    for (const request of [...this.requests.values()]) {
      if (request.id >= streamId) {
        request.abandon(
          H3ErrorCode.H3_REQUEST_REJECTED,
          new H3ProtocolError(H3ErrorCode.H3_REQUEST_REJECTED, 'refused by GOAWAY', 'stream'),
        );
      }
    }
  }

  protected defaultGoawayId(): number {
    return this.nextRequestId;
  }

  protected acceptRequestStream(stream: H3Stream): void {
    if (this.goawaySent !== null && stream.id >= this.goawaySent) {
      // RFC 9114 §5.2: rejected without processing, so the client may retry elsewhere.
      stream.reset(H3ErrorCode.H3_REQUEST_REJECTED);
      stream.stopSending(H3ErrorCode.H3_REQUEST_REJECTED);
      return;
    }
    if (stream.id >= this.nextRequestId) this.nextRequestId = stream.id + 4;
    const request = new H3ServerRequest(this, stream, (r) => this.requestReceived(r));
    this.requests.set(stream.id, request);
    const now = this.transport.now;
    if (this.headerTimeoutUs > 0 && now !== undefined) {
      this.handleTimeout(now); // a busy connection also expires what is overdue
      this.awaitingHeaders.set(stream.id, now + this.headerTimeoutUs);
    }
    request.handleReadable();
  }

  protected peerGoaway(pushId: number): void {
    // A client's GOAWAY carries a push ID; this server does not push, so it is only recorded.
    this.recordPeerGoaway(pushId);
    this.onGoaway?.(pushId);
  }

  private requestReceived(request: H3ServerRequest): void {
    this.awaitingHeaders.delete(request.id);
    if (this.onRequest === null) {
      request.abort(H3ErrorCode.H3_REQUEST_REJECTED);
      return;
    }
    this.onRequest(request);
  }
}
