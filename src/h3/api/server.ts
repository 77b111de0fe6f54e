/**
 * The HTTP/3 server of `tsquic/h3`: `h3Server(conn, handler)` runs an HTTP/3 session on a
 * server Connection and calls the handler for each request, in the style of node:http:
 *
 *   h3Server(conn, async (req, res) => {
 *     if (req.path !== '/') { res.writeHead(404).end(); return; }
 *     for await (const chunk of req) ...;          // the request body, streamed
 *     res.writeHead(200, { 'content-type': 'text/plain' });
 *     if (!res.write(data)) await once(res, 'drain');
 *     res.end(undefined, { 'x-checksum': '...' });   // trailers
 *   });
 *
 * The header section goes out with the first write() or end() (or flushHeaders()), so a
 * response without a body is a single HEADERS frame that ends the stream. A handler that throws
 * (or rejects) gets a 500 response if nothing was sent yet, else its stream is reset with
 * H3_INTERNAL_ERROR.
 */
import type { Connection } from '../../conn/connection.js';
import { Emitter } from '../../util/emitter.js';
import { ConnectionTransport } from '../connection-transport.js';
import { H3ErrorCode } from '../errors.js';
import type { FieldLine } from '../qpack/field-section.js';
import {
  type H3ServerRequest,
  H3ServerSession,
  type H3ServerSessionOptions,
} from '../session/server.js';
import type { QpackStats } from '../session/session.js';
import { BodyBudget, bodyBytes, DEFAULT_MAX_BUFFERED_BODY_BYTES, H3Body } from './body.js';
import { checkByteLimit, checkHighWaterMark } from './client.js';
import { type Http3Error, Http3StreamError, isCleanClose, toHttp3Error } from './errors.js';
import {
  appendHeaders,
  fieldsToHeaders,
  fieldsToRaw,
  type H3Headers,
  type H3HeadersInit,
  type H3RawHeaders,
} from './headers.js';
import { hostOf, type H3ConnectionInput, type H3HostTimers } from './host.js';

/** How often the request-header timeout is checked on a host's timer, ms (its granularity). */
const HEADER_TIMEOUT_CHECK_MS = 1000;

/** Handles one request; may be async. */
export type H3RequestHandler = (
  req: H3IncomingRequest,
  res: H3ServerResponse,
) => void | Promise<void>;

export interface H3ServerOptions extends H3ServerSessionOptions {
  /** Bytes a request body buffers before reading from QUIC pauses. Default 256 KiB. */
  bodyHighWaterMark?: number;
  /**
   * Bytes the request bodies of one connection buffer together before all of them stop reading
   * from QUIC (flow control then holds the client back; a body being awaited still reads).
   * Default 1 MiB. A body the handler has not started reading is discarded once the response
   * is complete (RFC 9114 §4.1), so it does not count any more.
   */
  maxBufferedBodyBytes?: number;
  /**
   * Hears what a handler threw or rejected with (the response is handled as described above);
   * the server's 'error' event hears it too.
   */
  onHandlerError?: (error: unknown, req: H3IncomingRequest) => void;
  /**
   * The host's monotonic clock (µs), the one its `handleTimeout(now)` calls use: requests are
   * dated by it for `requestHeaderTimeout`. Without a clock no header timeout is armed.
   */
  clock?: () => number;
}

/** A received request: its control data and header fields; iterate it for the body. */
export class H3IncomingRequest implements AsyncIterable<Uint8Array> {
  readonly method: string;
  /** :path (absent for CONNECT). */
  readonly path: string | undefined;
  /** :authority (or undefined when only a host header was sent). */
  readonly authority: string | undefined;
  /** :scheme (absent for CONNECT). */
  readonly scheme: string | undefined;
  readonly headers: H3Headers;
  readonly rawHeaders: H3RawHeaders;
  /** The body, streamed (also reachable by iterating the request). */
  readonly body: H3Body;
  /** Trailer fields, once the body is complete and the client sent some. */
  trailers: H3Headers | null = null;
  /** The QUIC stream of the exchange. */
  readonly streamId: number;

  /** @internal */
  constructor(request: H3ServerRequest, body: H3Body) {
    this.method = request.method;
    this.path = request.path;
    this.authority = request.authority;
    this.scheme = request.scheme;
    this.headers = fieldsToHeaders(request.headers);
    this.rawHeaders = fieldsToRaw(request.headers);
    this.body = body;
    this.streamId = request.id;
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this.body[Symbol.asyncIterator]();
  }
}

export interface H3ServerResponseEvents {
  /** write() returned false and the queue has drained. */
  drain: () => void;
  /** The response is over: end() handed all of it to QUIC, or it was aborted (see `aborted`). */
  close: () => void;
  /** The exchange failed: the client reset the stream, stopped reading, or the connection ended. */
  error: (error: Http3Error) => void;
}

/** The response to a request. */
export class H3ServerResponse extends Emitter<H3ServerResponseEvents> {
  /** Status of the final response, used when the header section goes out. Default 200. */
  statusCode = 200;

  private readonly fields = new Map<string, string | string[]>();
  private sent = false;
  private ended = false;
  private failed: Http3Error | null = null;
  private closed = false;
  private readonly noBody: boolean;

  /** @internal */
  constructor(private readonly request: H3ServerRequest) {
    super();
    // RFC 9110 §9.3.2: a response to HEAD has no content; what is written is dropped.
    this.noBody = request.method === 'HEAD';
  }

  /** Whether the header section was sent. */
  get headersSent(): boolean {
    return this.sent;
  }

  /** Whether end() was called. */
  get writableEnded(): boolean {
    return this.ended;
  }

  /** Why the exchange failed, or null. Writes are dropped once it has. */
  get aborted(): Http3Error | null {
    return this.failed;
  }

  /** Sets a header field for the header section (a list for repeated lines). */
  setHeader(name: string, value: string | number | readonly string[]): this {
    this.checkNotSent('setHeader');
    this.fields.set(name.toLowerCase(), typeof value === 'object' ? [...value] : String(value));
    return this;
  }

  getHeader(name: string): string | string[] | undefined {
    return this.fields.get(name.toLowerCase());
  }

  removeHeader(name: string): void {
    this.checkNotSent('removeHeader');
    this.fields.delete(name.toLowerCase());
  }

  /**
   * Sets the status and adds header fields (they replace setHeader() values of the same name).
   * The header section goes out with the first write() or end().
   */
  writeHead(status: number, headers?: H3HeadersInit): this {
    this.checkNotSent('writeHead');
    checkStatus(status, 200);
    this.statusCode = status;
    const lines: FieldLine[] = [];
    appendHeaders(headers, lines);
    for (const name of new Set(lines.map((l) => l.name))) this.fields.delete(name);
    for (const { name, value } of lines) {
      const prev = this.fields.get(name);
      if (prev === undefined) this.fields.set(name, value);
      else this.fields.set(name, typeof prev === 'string' ? [prev, value] : [...prev, value]);
    }
    return this;
  }

  /** Sends an interim (1xx) response now (RFC 9114 §4.1), e.g. 103 Early Hints. */
  writeInformational(status: number, headers?: H3HeadersInit): void {
    this.checkNotSent('writeInformational');
    checkStatus(status, 100);
    if (this.failed !== null) return;
    const fields: FieldLine[] = [{ name: ':status', value: String(status) }];
    appendHeaders(headers, fields);
    this.request.sendInformational(fields);
  }

  /** Sends the header section now, before any body. */
  flushHeaders(): void {
    if (!this.sent) this.sendHeaders(false);
  }

  /**
   * Sends a piece of the body (a string as UTF-8). Returns false when the stream has a backlog:
   * wait for 'drain' (or 'close') before writing more. Throws TypeError after end().
   */
  write(chunk: Uint8Array | string): boolean {
    if (this.ended) throw new TypeError('write() after end()');
    const bytes = bodyBytes(chunk);
    if (this.failed !== null) return false;
    if (!this.sent) this.sendHeaders(false);
    if (this.noBody || bytes.length === 0) return true;
    return this.request.write(bytes);
  }

  /**
   * Ends the response, after a last chunk and with trailer fields when given. Without an
   * earlier write() or content-length header, a chunk gets its content-length.
   */
  end(chunk?: Uint8Array | string, trailers?: H3HeadersInit): void {
    if (this.ended) return;
    const bytes = chunk === undefined ? undefined : bodyBytes(chunk);
    this.ended = true;
    if (this.failed !== null) return;
    const trailerFields: FieldLine[] = [];
    appendHeaders(trailers, trailerFields);
    if (!this.sent) {
      if (bytes !== undefined && !this.fields.has('content-length')) {
        this.fields.set('content-length', String(bytes.length));
      }
      const empty = this.noBody || bytes === undefined || bytes.length === 0;
      if (empty && trailerFields.length === 0) {
        this.sendHeaders(true);
        this.emitClose();
        return;
      }
      this.sendHeaders(false);
    }
    if (bytes !== undefined && bytes.length > 0 && !this.noBody) this.request.write(bytes);
    this.request.end(trailerFields);
    this.emitClose();
  }

  /** Abandons the response: resets the stream (default H3_INTERNAL_ERROR). */
  destroy(code: number = H3ErrorCode.H3_INTERNAL_ERROR): void {
    if (this.closed) return;
    this.request.abort(code);
    this.ended = true;
    this.failed ??= new Http3StreamError(code, 'response destroyed', false);
    this.emitClose();
  }

  // For the server.

  /** @internal Replaces whatever the handler prepared with an empty error response. */
  respondError(status: number): void {
    this.fields.clear();
    this.statusCode = status;
    this.end();
  }

  /** @internal */
  handleDrain(): void {
    this.emit('drain');
  }

  /** @internal The exchange failed (peer reset, STOP_SENDING, connection closed). */
  handleError(error: Http3Error): void {
    if (this.closed) return;
    this.failed ??= error;
    this.emit('error', error);
    this.emitClose();
  }

  private emitClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('close');
  }

  private sendHeaders(end: boolean): void {
    this.sent = true;
    const fields: FieldLine[] = [{ name: ':status', value: String(this.statusCode) }];
    for (const [name, value] of this.fields) {
      if (typeof value === 'string') fields.push({ name, value });
      else for (const v of value) fields.push({ name, value: v });
    }
    this.request.respond(fields, { endStream: end });
  }

  private checkNotSent(what: string): void {
    if (this.sent) throw new TypeError(`${what}() after the header section was sent`);
  }
}

/** The events of an H3Server and their arguments. */
export interface H3ServerEvents {
  /**
   * Something failed: a handler threw or rejected (`req` is its request, answered with a 500
   * or reset), or the connection ended with an error (`req` null; `closed` rejects with the
   * same error). Emitted only while listened to, so an unheard one ends nothing.
   */
  error: (error: unknown, req: H3IncomingRequest | null) => void;
  /** The session ended, cleanly or not (after 'error' when not). */
  close: () => void;
}

export class H3Server extends Emitter<H3ServerEvents> {
  readonly session: H3ServerSession;
  readonly transport: ConnectionTransport;
  /**
   * Resolves when the session closed cleanly (H3_NO_ERROR, or a code HTTP/3 does not define);
   * rejects with the error otherwise.
   */
  readonly closed: Promise<void>;

  private readonly bodyHighWaterMark: number;
  private readonly bodyBudget: BodyBudget;
  private resolveClosed!: () => void;
  private rejectClosed!: (e: Error) => void;

  /** @internal Use h3Server(). */
  constructor(
    input: H3ConnectionInput,
    private readonly handler: H3RequestHandler,
    private readonly options: H3ServerOptions,
  ) {
    super();
    const host = hostOf(input);
    const conn = host === null ? (input as Connection) : host.coreIfStarted;
    // A server's connection exists from its first packet: the host has it when it hands it out.
    if (conn === null) throw new TypeError('h3Server needs a server connection');
    if (conn.isClient) throw new TypeError('h3Server needs a server connection');
    this.bodyHighWaterMark = checkHighWaterMark(options.bodyHighWaterMark);
    this.bodyBudget = new BodyBudget(
      checkByteLimit(
        options.maxBufferedBodyBytes,
        'maxBufferedBodyBytes',
        DEFAULT_MAX_BUFFERED_BODY_BYTES,
      ),
    );
    this.closed = new Promise<void>((resolve, reject) => {
      this.resolveClosed = resolve;
      this.rejectClosed = reject;
    });
    this.closed.catch(() => {});
    const clock = options.clock ?? (host === null ? undefined : () => host.timers.now());
    // A host that says when a burst of packets ends (the Node adapter): request bodies are read
    // once per burst, not per packet (connection-transport.ts).
    this.transport = new ConnectionTransport(conn, clock, host?.readSoon?.bind(host));
    this.session = new H3ServerSession(this.transport, options);
    this.session.onRequest = (r) => this.requestReceived(r);
    // On a host's connection the request-header timeout runs on the host's timer.
    const stopTimer = host === null ? null : this.driveTimeouts(host.timers);
    this.session.onClose = (e) => {
      stopTimer?.();
      if (isCleanClose(e, this.transport)) {
        this.resolveClosed();
      } else {
        const error = toHttp3Error(e, this.transport.closeInfo);
        this.rejectClosed(error);
        this.report(error, null);
      }
      this.emitOutside(() => this.emit('close'));
    };
    this.transport.attach(this.session);
  }

  /** The state of both QPACK dynamic tables. */
  get qpackStats(): QpackStats {
    return this.session.qpackStats;
  }

  /** Requests in progress. */
  get activeRequests(): number {
    return this.session.activeRequests;
  }

  /** Bytes the request bodies buffer now (see maxBufferedBodyBytes). */
  get bufferedBodyBytes(): number {
    return this.bodyBudget.used;
  }

  /** Requests whose header section is still incomplete. */
  get incompleteRequests(): number {
    return this.session.incompleteRequests;
  }

  /**
   * When handleTimeout() is next due (µs, the connection's clock), Infinity when no request
   * waits for its header section. The host calls handleTimeout(now) then (sans-IO, like the
   * engine's timers); new streams also expire overdue requests.
   */
  nextTimeout(): number {
    return this.session.nextTimeout();
  }

  /** Resets the requests whose header section did not arrive in time (requestHeaderTimeout). */
  handleTimeout(now: number): void {
    this.session.handleTimeout(now);
  }

  /**
   * Graceful shutdown (RFC 9114 §5.2): GOAWAY refuses new requests, those in progress finish,
   * then the connection closes with H3_NO_ERROR. Resolves once the session has closed.
   */
  close(): Promise<void> {
    // An idle session closes at once: the CONNECTION_CLOSE waits until the GOAWAY is
    // acknowledged (connection-transport.ts), so the client learns which requests were processed.
    this.session.shutdown();
    return this.closed.catch(() => {});
  }

  /** Closes the connection now with an HTTP/3 error code; requests in progress fail. */
  destroy(code: number = H3ErrorCode.H3_NO_ERROR, reason = ''): void {
    this.session.close(code, reason);
  }

  /** Checks the request-header timeout every HEADER_TIMEOUT_CHECK_MS (its granularity). */
  private driveTimeouts(timers: H3HostTimers): () => void {
    return timers.repeat(HEADER_TIMEOUT_CHECK_MS, () => {
      const now = timers.now();
      if (this.session.nextTimeout() <= now) this.session.handleTimeout(now);
    });
  }

  private requestReceived(request: H3ServerRequest): void {
    const body = new H3Body(
      {
        pause: () => request.pause(),
        resume: () => request.resume(),
        // RFC 9114 §4.1: the rest of the request is not needed; the response goes on.
        cancel: () => request.stopReading(H3ErrorCode.H3_NO_ERROR),
      },
      this.bodyHighWaterMark,
      this.bodyBudget,
    );
    const req = new H3IncomingRequest(request, body);
    const res = new H3ServerResponse(request);
    // RFC 9114 §4.1: once the response is complete, a request body nobody started reading is
    // not needed; dropping it frees its share of the budget.
    res.on('close', () => {
      if (!body.bodyUsed) body.cancel();
    });
    request.onData = (data) => body.push(data);
    request.onTrailers = (fields) => (req.trailers = fieldsToHeaders(fields));
    request.onEnd = () => body.end();
    request.onDrain = () => res.handleDrain();
    request.onStopSending = (code) =>
      res.handleError(new Http3StreamError(code, 'the client stopped reading the response', true));
    request.onError = (e) => {
      const error = toHttp3Error(e, this.transport.closeInfo);
      body.fail(error);
      res.handleError(error);
    };
    let result: void | Promise<void>;
    try {
      result = this.handler(req, res);
    } catch (e) {
      this.handlerFailed(e, req, res);
      return;
    }
    if (result instanceof Promise) result.catch((e: unknown) => this.handlerFailed(e, req, res));
  }

  private report(error: unknown, req: H3IncomingRequest | null): void {
    if (this.listenerCount('error') > 0) this.emitOutside(() => this.emit('error', error, req));
  }

  /** Runs an emit whose listeners' exceptions must not unwind into the session. */
  private emitOutside(emit: () => void): void {
    try {
      emit();
    } catch (e) {
      queueMicrotask(() => {
        throw e;
      });
    }
  }

  private handlerFailed(error: unknown, req: H3IncomingRequest, res: H3ServerResponse): void {
    this.options.onHandlerError?.(error, req);
    this.report(error, req);
    if (res.writableEnded || res.aborted !== null) return;
    if (res.headersSent) res.destroy();
    else res.respondError(500);
  }
}

/** Runs HTTP/3 on a server connection (ALPN "h3"); see the module comment. */
export function h3Server(
  conn: H3ConnectionInput,
  handler: H3RequestHandler,
  options: H3ServerOptions = {},
): H3Server {
  return new H3Server(conn, handler, options);
}

function checkStatus(status: number, min: number): void {
  if (!Number.isInteger(status) || status < min || status > (min === 100 ? 199 : 599)) {
    throw new RangeError(`invalid status ${status}`);
  }
}
