/**
 * The HTTP/3 client of `tsquic/h3`: `h3Client(conn)` runs an HTTP/3 session on a client
 * Connection and gives a fetch-like `request()`:
 *
 *   const client = h3Client(conn);
 *   const res = await client.request({ url: 'https://example.com/index.html' });
 *   for await (const chunk of res.body) ...;
 *   await client.close();
 *
 * Requests may be made before the handshake completes; they wait for the server's stream limit
 * (RFC 9000 §4.6) and go out in order. The promise resolves with the final response's header
 * section; its body streams (H3Body) and its trailers follow. Failures reject with
 * Http3StreamError (one request) or Http3ConnectionError (the connection), whose `code` is the
 * HTTP/3 error name.
 */
import type { Connection } from '../../conn/connection.js';
import { ConnectionTransport } from '../connection-transport.js';
import { H3ProtocolError, H3ErrorCode } from '../errors.js';
import type { FieldLine } from '../qpack/field-section.js';
import { type H3ClientRequest, H3ClientSession } from '../session/client.js';
import type { H3SessionOptions, QpackStats } from '../session/session.js';
import {
  BodyBudget,
  bodyBytes,
  DEFAULT_BODY_HIGH_WATER_MARK,
  DEFAULT_MAX_BUFFERED_BODY_BYTES,
  H3Body,
  type H3BodyInit,
} from './body.js';
import {
  Http3ConnectionError,
  Http3StreamError,
  isCleanClose,
  toHttp3Error,
  type Http3Error,
} from './errors.js';
import {
  appendHeaders,
  fieldsToHeaders,
  fieldsToRaw,
  hasHeader,
  type H3Headers,
  type H3HeadersInit,
  type H3RawHeaders,
} from './headers.js';
import { hostOf, type H3BurstReader, type H3ConnectionInput } from './host.js';

export interface H3ClientOptions extends H3SessionOptions {
  /** :authority of requests that give neither `url` nor `authority`. */
  authority?: string;
  /** Bytes a response body buffers before reading from QUIC pauses. Default 256 KiB. */
  bodyHighWaterMark?: number;
  /**
   * Bytes the response bodies of the connection buffer together before all of them stop
   * reading from QUIC (flow control then holds the server back; a body being awaited still
   * reads). Default 1 MiB.
   */
  maxBufferedBodyBytes?: number;
  /**
   * Hears the server's SETTINGS (RFC 9114 §7.2.4): what a client remembers with the session
   * ticket for its next 0-RTT (the `rememberedSettings` option, RFC 9114 §7.2.4.2).
   */
  onSettings?: (settings: ReadonlyMap<number, number>) => void;
}

/** The signal of an AbortController, as far as a request uses it. */
export interface H3AbortSignal {
  readonly aborted: boolean;
  readonly reason?: unknown;
  addEventListener(type: 'abort', listener: () => void): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

export interface H3RequestInit {
  /** Request method. Default 'GET'. */
  method?: string;
  /** Absolute URL: gives :scheme, :authority and :path (path and query). */
  url?: string | URL;
  /** :scheme without `url`. Default 'https'. */
  scheme?: string;
  /** :authority without `url`. Default: the client's `authority` option. */
  authority?: string;
  /** :path without `url`. Default '/'. */
  path?: string;
  /** Header fields (names are lowercased). */
  headers?: H3HeadersInit;
  /**
   * The body: bytes, a string (UTF-8) or an async iterable of chunks, sent as it is produced.
   * A byte or string body gets a content-length unless the headers have one.
   */
  body?: H3BodyInit;
  /** Trailer fields sent after the body (RFC 9114 §4.1). */
  trailers?: H3HeadersInit;
  /** Cancels the request (H3_REQUEST_CANCELLED) when aborted. */
  signal?: H3AbortSignal;
  /** Called for each interim (1xx) response (RFC 9114 §4.1). */
  onInformational?: (status: number, headers: H3Headers) => void;
}

/** A response: the final header section; the body and trailers follow. */
export interface H3Response {
  readonly status: number;
  readonly headers: H3Headers;
  readonly rawHeaders: H3RawHeaders;
  /** The body, streamed. */
  readonly body: H3Body;
  /** The trailer fields once the body is complete ({} when there are none). */
  readonly trailers: Promise<H3Headers>;
  /** The QUIC stream of the exchange. */
  readonly streamId: number;
}

/** One request waiting for a stream, or in progress. */
class Exchange {
  request: H3ClientRequest | null = null;
  private response: H3Response | null = null;
  private body: H3Body | null = null;
  private trailerFields: FieldLine[] | null = null;
  private resolveTrailers!: (headers: H3Headers) => void;
  private rejectTrailers!: (error: Error) => void;
  private readonly trailers: Promise<H3Headers>;
  /** The outgoing side can take no more (ended, aborted, stopped by the peer). */
  private sendOver = false;
  private drainWaiter: (() => void) | null = null;
  private settled = false;
  private readonly onAbort = (): void => this.abort();

  constructor(
    private readonly client: H3Client,
    /** The header section; null until the authority is known (see H3Client.request). */
    public fields: FieldLine[] | null,
    readonly init: H3RequestInit,
    private readonly resolve: (response: H3Response) => void,
    private readonly reject: (error: unknown) => void,
  ) {
    this.trailers = new Promise<H3Headers>((res, rej) => {
      this.resolveTrailers = res;
      this.rejectTrailers = rej;
    });
    this.trailers.catch(() => {}); // reported through the body too
    init.signal?.addEventListener('abort', this.onAbort);
  }

  /** Whether the request has no body: the header section ends the stream. */
  get noBody(): boolean {
    return this.init.body === undefined && this.init.trailers === undefined;
  }

  /** The request got its stream: wire the callbacks and send the body. */
  start(request: H3ClientRequest): void {
    this.request = request;
    request.onInformational = (fields, status) =>
      this.init.onInformational?.(status, fieldsToHeaders(fields));
    request.onResponse = (fields, status) => this.responseArrived(request, fields, status);
    request.onData = (data) => this.body?.push(data);
    request.onTrailers = (fields) => (this.trailerFields = fields);
    request.onEnd = () => this.ended();
    request.onError = (e) => this.fail(toHttp3Error(e, this.client.transport.closeInfo));
    request.onDrain = () => this.wakeWriter();
    request.onStopSending = () => {
      // RFC 9114 §4.1: the server needs no more of the request; its response may still come.
      this.sendOver = true;
      this.wakeWriter();
    };
    if (this.noBody) this.sendOver = true;
    else void this.sendBody(request);
  }

  /** Fails the exchange (before or after the response arrived). */
  fail(error: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.sendOver = true;
    this.wakeWriter();
    this.init.signal?.removeEventListener('abort', this.onAbort);
    const e = error instanceof Error ? error : new Error(String(error));
    if (this.response === null) this.reject(e);
    this.body?.fail(e);
    this.rejectTrailers(e);
  }

  private abort(): void {
    if (this.settled) return;
    const reason = this.init.signal?.reason;
    this.request?.abort(H3ErrorCode.H3_REQUEST_CANCELLED);
    this.client.forget(this);
    this.fail(
      new Http3StreamError(H3ErrorCode.H3_REQUEST_CANCELLED, 'request aborted', false, reason),
    );
  }

  private responseArrived(request: H3ClientRequest, fields: FieldLine[], status: number): void {
    const body = new H3Body(
      {
        pause: () => request.pause(),
        resume: () => request.resume(),
        cancel: () => {
          // Like fetch: giving up on the body cancels the request.
          request.abort(H3ErrorCode.H3_REQUEST_CANCELLED);
          this.fail(
            new Http3StreamError(H3ErrorCode.H3_REQUEST_CANCELLED, 'body cancelled', false),
          );
        },
      },
      this.client.bodyHighWaterMark,
      this.client.bodyBudget,
    );
    this.body = body;
    this.response = {
      status,
      headers: fieldsToHeaders(fields),
      rawHeaders: fieldsToRaw(fields),
      body,
      trailers: this.trailers,
      streamId: request.id,
    };
    this.resolve(this.response);
  }

  private ended(): void {
    if (this.settled) return;
    this.settled = true;
    this.init.signal?.removeEventListener('abort', this.onAbort);
    this.body?.end();
    this.resolveTrailers(
      this.trailerFields === null ? fieldsToHeaders([]) : fieldsToHeaders(this.trailerFields),
    );
  }

  private async sendBody(request: H3ClientRequest): Promise<void> {
    const { body, trailers } = this.init;
    try {
      if (body !== undefined) {
        if (typeof body === 'string' || body instanceof Uint8Array) {
          request.write(bodyBytes(body));
        } else {
          for await (const chunk of body) {
            if (this.sendOver) break;
            if (!request.write(bodyBytes(chunk))) await this.drained();
          }
        }
      }
      if (this.sendOver) return;
      this.sendOver = true;
      const fields: FieldLine[] = [];
      appendHeaders(trailers, fields);
      request.end(fields);
    } catch (e) {
      // The body source failed, or broke the content-length it declared.
      request.abort(H3ErrorCode.H3_REQUEST_CANCELLED);
      this.client.forget(this);
      this.fail(e);
    }
  }

  private drained(): Promise<void> {
    if (this.sendOver) return Promise.resolve();
    return new Promise((resolve) => (this.drainWaiter = resolve));
  }

  private wakeWriter(): void {
    const w = this.drainWaiter;
    this.drainWaiter = null;
    w?.();
  }
}

export class H3Client {
  /**
   * Resolves when the session closed cleanly (H3_NO_ERROR, or a code HTTP/3 does not define);
   * rejects with the error otherwise.
   */
  readonly closed: Promise<void>;
  /** @internal */
  readonly bodyHighWaterMark: number;
  /** @internal */
  readonly bodyBudget: BodyBudget;

  private readonly options: H3ClientOptions;
  private authority: string | undefined;
  /** The session, once the core connection exists (at once for a core Connection). */
  private started: { session: H3ClientSession; transport: ConnectionTransport } | null = null;
  /** The host's end-of-burst call, when it has one (host.ts readSoon). */
  private readSoon: ((reader: H3BurstReader) => void) | undefined;
  /** Requests waiting for the session or the server's stream limit, in order. */
  private readonly waiting: Exchange[] = [];
  private closing = false;
  /** destroy() before the session existed: its code and reason, applied at start. */
  private destroyedEarly: { code: number; reason: string } | null = null;
  private resolveClosed!: () => void;
  private rejectClosed!: (e: Error) => void;

  /** @internal Use h3Client(). */
  constructor(conn: H3ConnectionInput, options: H3ClientOptions) {
    this.options = options;
    this.authority = options.authority;
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
    const host = hostOf(conn);
    this.readSoon = host?.readSoon?.bind(host);
    const core = host === null ? (conn as Connection) : host.coreIfStarted;
    if (core !== null) {
      this.start(core);
      return;
    }
    host!.whenStarted().then(
      (c) => this.start(c),
      (e: unknown) => this.startFailed(e),
    );
  }

  /** The HTTP/3 session; throws while the host still sets up the connection. */
  get session(): H3ClientSession {
    return this.startedOrThrow().session;
  }

  /** The session's view of the QUIC connection; throws while the host sets it up. */
  get transport(): ConnectionTransport {
    return this.startedOrThrow().transport;
  }

  /** The state of both QPACK dynamic tables. */
  get qpackStats(): QpackStats {
    return this.session.qpackStats;
  }

  /** Bytes the response bodies buffer now (see maxBufferedBodyBytes). */
  get bufferedBodyBytes(): number {
    return this.bodyBudget.used;
  }

  /**
   * Whether new requests can still be sent: false once the client is closing, the server sent
   * GOAWAY (RFC 9114 §5.2) or the session ended.
   */
  get acceptsRequests(): boolean {
    const session = this.started?.session;
    return (
      !this.closing &&
      this.destroyedEarly === null &&
      (session === undefined || (!session.closed && session.goawayReceived === null))
    );
  }

  /** Requests in progress or waiting for a stream. */
  get pendingRequests(): number {
    return (this.started?.session.activeRequests ?? 0) + this.waiting.length;
  }

  /**
   * Sends a request; resolves with the response once its header section arrived. Rejects with
   * a TypeError for a malformed request, Http3StreamError when the server refused, reset or
   * garbled it (code H3_REQUEST_REJECTED: not processed, safe to retry), Http3ConnectionError
   * when the connection ended first.
   */
  request(init: H3RequestInit): Promise<H3Response> {
    return new Promise<H3Response>((resolve, reject) => {
      // Before the session exists the default authority may not be known yet (it comes from
      // the connection's server name): the header section is then built when it starts.
      const knowsAuthority =
        this.authority !== undefined || init.url !== undefined || init.authority !== undefined;
      const fields = knowsAuthority ? requestFields(init, this.authority) : null;
      if (init.signal?.aborted === true) {
        reject(
          new Http3StreamError(
            H3ErrorCode.H3_REQUEST_CANCELLED,
            'request aborted',
            false,
            init.signal.reason,
          ),
        );
        return;
      }
      const exchange = new Exchange(this, fields, init, resolve, reject);
      if (this.waiting.length > 0 || !this.tryStart(exchange)) this.waiting.push(exchange);
    });
  }

  /**
   * Graceful close (RFC 9114 §5.2): sends GOAWAY, lets the requests in progress finish, then
   * closes the connection with H3_NO_ERROR. Requests made afterwards are refused.
   */
  close(): Promise<void> {
    this.closing = true;
    for (const e of this.waiting.splice(0)) e.fail(refusedLocally());
    this.started?.session.shutdown(); // else at start
    return this.closed.catch(() => {});
  }

  /** Closes the connection now with an HTTP/3 error code; requests in progress fail. */
  destroy(code: number = H3ErrorCode.H3_NO_ERROR, reason = ''): void {
    if (this.started !== null) this.started.session.close(code, reason);
    else this.destroyedEarly ??= { code, reason };
  }

  /** @internal An exchange gave up before or after it got a stream. */
  forget(exchange: Exchange): void {
    const i = this.waiting.indexOf(exchange);
    if (i >= 0) this.waiting.splice(i, 1);
  }

  /** Starts an exchange on a new stream; false when it must wait for stream credit. */
  private tryStart(exchange: Exchange): boolean {
    if (this.started === null) return false;
    const session = this.started.session;
    if (session.closed) {
      exchange.fail(this.closeError());
      return true;
    }
    if (this.closing) {
      exchange.fail(refusedLocally());
      return true;
    }
    if (session.goawayReceived !== null) {
      exchange.fail(
        new Http3StreamError(
          H3ErrorCode.H3_REQUEST_REJECTED,
          'not sent: the server is shutting down (GOAWAY)',
          false,
        ),
      );
      return true;
    }
    let request: H3ClientRequest | null;
    try {
      exchange.fields ??= requestFields(exchange.init, this.authority);
      request = session.request(exchange.fields, { endStream: exchange.noBody });
    } catch (e) {
      exchange.fail(e); // malformed request (TypeError) or too large for the peer (RangeError)
      return true;
    }
    if (request === null) return false;
    exchange.start(request);
    return true;
  }

  private retryWaiting(): void {
    while (this.waiting.length > 0) {
      if (!this.tryStart(this.waiting[0]!)) return;
      this.waiting.shift();
    }
  }

  private closeError(): Http3Error {
    const e = this.session.closeError ?? new H3ProtocolError(H3ErrorCode.H3_NO_ERROR, 'closed');
    return toHttp3Error(e, this.transport.closeInfo);
  }

  private startedOrThrow(): { session: H3ClientSession; transport: ConnectionTransport } {
    if (this.started === null) {
      throw new TypeError('the HTTP/3 session starts once the connection is set up');
    }
    return this.started;
  }

  /** The core connection exists: run the session on it and send the requests waiting. */
  private start(conn: Connection): void {
    if (!conn.isClient) throw new TypeError('h3Client needs a client connection');
    // RFC 9114 §3.2: the authority is the server's name (or address) and port.
    this.authority ??= authorityOf(conn);
    const transport = new ConnectionTransport(conn, undefined, this.readSoon);
    const session = new H3ClientSession(transport, this.options);
    this.started = { session, transport };
    session.onClose = (e) => this.sessionClosed(e);
    session.onGoaway = () => this.retryWaiting();
    session.onSettings = this.options.onSettings ?? null;
    transport.onStreamCredit = () => this.retryWaiting();
    transport.attach(session);
    const early = this.destroyedEarly;
    if (early !== null) session.close(early.code, early.reason);
    else if (this.closing) session.shutdown();
    else this.retryWaiting();
  }

  /** The host could not set the connection up: the requests waiting fail with its error. */
  private startFailed(cause: unknown): void {
    const errorCode = (cause as { errorCode?: unknown } | null)?.errorCode;
    const error = new Http3ConnectionError(
      'QUIC_CONNECTION_FAILED',
      `the connection failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      { errorCode: typeof errorCode === 'number' ? errorCode : 0, remote: false, cause },
    );
    for (const x of this.waiting.splice(0)) x.fail(error);
    this.rejectClosed(error);
  }

  private sessionClosed(e: H3ProtocolError): void {
    const error = toHttp3Error(e, this.transport.closeInfo);
    for (const x of this.waiting.splice(0)) x.fail(error);
    if (isCleanClose(e, this.transport)) this.resolveClosed();
    else this.rejectClosed(error);
  }
}

/** Runs HTTP/3 on a client connection (ALPN "h3"); see the module comment. */
export function h3Client(conn: H3ConnectionInput, options: H3ClientOptions = {}): H3Client {
  return new H3Client(conn, options);
}

/** "name:port" of the server (the port left out when 443), IPv6 literals in brackets. */
function authorityOf(conn: Connection): string {
  const host = conn.tls.serverName ?? conn.remoteAddress.address;
  const port = conn.remoteAddress.port;
  const name = host.includes(':') ? `[${host}]` : host;
  return port === 443 ? name : `${name}:${port}`;
}

function refusedLocally(): Http3StreamError {
  return new Http3StreamError(H3ErrorCode.H3_REQUEST_REJECTED, 'the client is closing', false);
}

/** @internal Validates the bodyHighWaterMark option. */
export function checkHighWaterMark(value: number | undefined): number {
  return checkByteLimit(value, 'bodyHighWaterMark', DEFAULT_BODY_HIGH_WATER_MARK);
}

/** @internal Validates a byte-count option: a positive integer, `fallback` when absent. */
export function checkByteLimit(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  return value;
}

/** The request's header section: pseudo-header fields first (RFC 9114 §4.3.1). */
function requestFields(init: H3RequestInit, defaultAuthority: string | undefined): FieldLine[] {
  const method = init.method ?? 'GET';
  let scheme = init.scheme ?? 'https';
  let authority = init.authority ?? defaultAuthority;
  let path = init.path ?? '/';
  if (init.url !== undefined) {
    const url = typeof init.url === 'string' ? new URL(init.url) : init.url;
    scheme = url.protocol.slice(0, -1);
    authority = url.host;
    path = (url.pathname === '' ? '/' : url.pathname) + url.search;
  }
  if (authority === undefined || authority === '') {
    throw new TypeError('the request needs a url or an authority');
  }
  const fields: FieldLine[] = [
    { name: ':method', value: method },
    { name: ':scheme', value: scheme },
    { name: ':authority', value: authority },
    { name: ':path', value: path },
  ];
  appendHeaders(init.headers, fields);
  const body = init.body;
  if (body !== undefined && !isBody(body)) {
    throw new TypeError('body must be a Uint8Array, a string or an async iterable');
  }
  if (
    (typeof body === 'string' || body instanceof Uint8Array) &&
    !hasHeader(init.headers, 'content-length')
  ) {
    fields.push({ name: 'content-length', value: String(bodyBytes(body).length) });
  }
  return fields;
}

function isBody(body: unknown): body is H3BodyInit {
  return (
    typeof body === 'string' ||
    body instanceof Uint8Array ||
    (typeof body === 'object' &&
      body !== null &&
      typeof (body as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === 'function')
  );
}
