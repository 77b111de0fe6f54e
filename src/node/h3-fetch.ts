/**
 * A fetch-like HTTP/3 call over the Node adapter, with connections reused per origin:
 *
 *   const agent = new H3Agent({ ca });
 *   const res = await agent.fetch('https://localhost:4433/hello');
 *   console.log(res.status, await res.text());
 *   await agent.close();
 *
 * or `h3Fetch(url, init)` with the shared default agent. Like undici's pool, an agent keeps one
 * QUIC connection per origin (scheme, host and port) and sends every request to that origin on
 * it: HTTP/3 multiplexes them, so one connection is enough (RFC 9114 §3.3). A connection that
 * has had no request in progress for `keepAliveTimeout` ms is closed, and an idle one does not
 * keep the process alive. A connection that ended (closed by the server, GOAWAY, idle timeout)
 * is replaced by the next request to its origin. A request the server did not process (it came
 * at or above the server's GOAWAY, or was answered H3_REQUEST_REJECTED: RFC 9114 §5.2, §4.1.1)
 * is sent once more, on a new connection, when its method allows (`retryMethods`) and its body
 * can be sent again.
 */
import type { H3Body, H3BodyInit } from '../h3/api/body.js';
import { h3Client, type H3Client, type H3ClientOptions } from '../h3/api/client.js';
import { Http3StreamError } from '../h3/api/errors.js';
import type { H3Headers, H3HeadersInit } from '../h3/api/headers.js';
import { H3ErrorCode } from '../h3/errors.js';
import type { H3AbortSignal, H3Response } from '../h3/api/client.js';
import { connect, type ConnectOptions } from './client.js';
import type { QuicConnection } from './connection.js';

/** undici's default keep-alive timeout. */
const DEFAULT_KEEP_ALIVE_MS = 4000;
/** Methods sent again after the server refused them unprocessed, by default: they only read. */
const DEFAULT_RETRY_METHODS: readonly string[] = ['GET', 'HEAD'];

export interface H3AgentOptions extends Omit<ConnectOptions, 'alpn'> {
  /** Options of the HTTP/3 client on each connection. */
  h3?: H3ClientOptions;
  /** How long a connection with no request in progress stays open for reuse, ms. Default 4000. */
  keepAliveTimeout?: number;
  /**
   * Methods whose request is sent once more, on a new connection, when the server did not
   * process it (RFC 9114 §5.2: at or above its GOAWAY, or H3_REQUEST_REJECTED, §4.1.1); a body
   * given as an async iterable is never sent twice. Default GET and HEAD; [] retries nothing.
   */
  retryMethods?: readonly string[];
}

export interface H3FetchInit {
  /** Request method. Default 'GET'. */
  method?: string;
  headers?: H3HeadersInit;
  /** Bytes, a string (UTF-8) or an async iterable of chunks, streamed. */
  body?: H3BodyInit;
  /** Trailer fields sent after the body (RFC 9114 §4.1). */
  trailers?: H3HeadersInit;
  /** Cancels the request (H3_REQUEST_CANCELLED). */
  signal?: H3AbortSignal;
}

/** A response in the shape of fetch's: status, headers, and a body read once. */
export class H3FetchResponse {
  readonly status: number;
  /** Whether the status is 2xx. */
  readonly ok: boolean;
  /** Header fields, names in lower case (a repeated field's values joined with ', '). */
  readonly headers: H3Headers;
  /** The URL requested. */
  readonly url: string;
  /** The body, streamed: iterate it, or use one of text(), json(), bytes(), arrayBuffer(). */
  readonly body: H3Body;
  /** The trailer fields once the body is complete ({} when there are none). */
  readonly trailers: Promise<H3Headers>;

  /** @internal */
  constructor(url: string, res: H3Response) {
    this.status = res.status;
    this.ok = res.status >= 200 && res.status <= 299;
    this.headers = res.headers;
    this.url = url;
    this.body = res.body;
    this.trailers = res.trailers;
  }

  /** Whether the body was read (or cancelled). */
  get bodyUsed(): boolean {
    return this.body.bodyUsed;
  }

  bytes(): Promise<Uint8Array> {
    return this.body.bytes();
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const b = await this.body.bytes();
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  }

  text(): Promise<string> {
    return this.body.text();
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.body.text()) as unknown;
  }
}

/** One origin's connection and its HTTP/3 client. */
interface Pooled {
  readonly conn: QuicConnection;
  readonly client: H3Client;
  /** Requests whose response body is not complete yet. */
  active: number;
  idleTimer: NodeJS.Timeout | null;
}

/** A pool of HTTP/3 connections, one per origin; see the module comment. */
export class H3Agent {
  private readonly pool = new Map<string, Pooled>();
  /**
   * Connections replaced in the pool while still open (after a GOAWAY, or a retry): they finish
   * the requests they carry and close once idle, or with the agent.
   */
  private readonly retired = new Set<Pooled>();
  private readonly keepAliveMs: number;
  private readonly connectOptions: Omit<ConnectOptions, 'alpn'>;
  private readonly retryMethods: ReadonlySet<string>;
  private closed = false;

  constructor(private readonly options: H3AgentOptions = {}) {
    const connectOptions: H3AgentOptions = { ...options };
    delete connectOptions.h3;
    delete connectOptions.keepAliveTimeout;
    delete connectOptions.retryMethods;
    this.connectOptions = connectOptions;
    this.retryMethods = new Set(
      (options.retryMethods ?? DEFAULT_RETRY_METHODS).map((m) => m.toUpperCase()),
    );
    const ms = options.keepAliveTimeout ?? DEFAULT_KEEP_ALIVE_MS;
    if (!Number.isFinite(ms) || ms < 0) {
      throw new RangeError(`keepAliveTimeout must be a number of ms >= 0, got ${ms}`);
    }
    this.keepAliveMs = ms;
  }

  /** Origins with an open connection. */
  get origins(): string[] {
    return [...this.pool.keys()];
  }

  /**
   * Sends a request to `url` (https only) on the origin's connection, opening one if needed.
   * Resolves once the response's header section arrived; rejects as H3Client.request does,
   * after sending it once more if the server did not process it (see the module comment).
   */
  async fetch(url: string | URL, init: H3FetchInit = {}): Promise<H3FetchResponse> {
    if (this.closed) throw new TypeError('the agent is closed');
    const u = typeof url === 'string' ? new URL(url) : url;
    if (u.protocol !== 'https:') throw new TypeError(`HTTP/3 needs an https URL, got ${u.href}`);
    try {
      return await this.send(u, init, this.entryFor(u));
    } catch (e) {
      if (!this.mayRetry(e, init)) throw e;
      // On a new connection: the GOAWAY that refused it may not have arrived yet, and would
      // refuse it again on this one (RFC 9114 §5.2).
      return this.send(u, init, this.entryFor(u, true));
    }
  }

  private async send(u: URL, init: H3FetchInit, entry: Pooled): Promise<H3FetchResponse> {
    this.busy(entry, +1);
    let res: H3Response;
    try {
      res = await entry.client.request({ ...init, url: u });
    } catch (e) {
      this.busy(entry, -1);
      throw e;
    }
    // The request counts until its body is complete, read or cancelled.
    void res.trailers.then(
      () => this.busy(entry, -1),
      () => this.busy(entry, -1),
    );
    return new H3FetchResponse(u.href, res);
  }

  /** Closes every connection gracefully (GOAWAY, requests in progress finish). */
  async close(): Promise<void> {
    this.closed = true;
    const entries = [...this.pool.values(), ...this.retired];
    this.pool.clear();
    this.retired.clear();
    await Promise.all(entries.map((e) => this.release(e)));
  }

  /**
   * Whether a failed request goes again: the server did not process it (RFC 9114 §5.2, §4.1.1),
   * its method is one to retry and its body can be sent again.
   */
  private mayRetry(e: unknown, init: H3FetchInit): boolean {
    if (this.closed || init.signal?.aborted === true) return false;
    if (!(e instanceof Http3StreamError) || e.errorCode !== H3ErrorCode.H3_REQUEST_REJECTED) {
      return false;
    }
    const body = init.body;
    const replayable = body === undefined || typeof body === 'string' || body instanceof Uint8Array;
    return replayable && this.retryMethods.has((init.method ?? 'GET').toUpperCase());
  }

  /** The origin's pooled connection if it takes requests (and `fresh` is false), else a new one. */
  private entryFor(u: URL, fresh = false): Pooled {
    const origin = u.origin;
    const found = this.pool.get(origin);
    if (!fresh && found !== undefined && found.conn.usable && found.client.acceptsRequests) {
      return found;
    }
    if (found !== undefined) {
      this.pool.delete(origin);
      if (!found.conn.isClosed) this.retired.add(found);
    }
    const conn = connect(u, { ...this.connectOptions, alpn: ['h3'] });
    const client = h3Client(conn, this.options.h3 ?? {});
    const entry: Pooled = { conn, client, active: 0, idleTimer: null };
    this.pool.set(origin, entry);
    conn.once('close', () => {
      if (this.pool.get(origin) === entry) this.pool.delete(origin);
      this.retired.delete(entry);
      if (entry.idleTimer !== null) clearTimeout(entry.idleTimer);
    });
    return entry;
  }

  /** Counts requests in progress; an idle connection is unref'd and closed after keep-alive. */
  private busy(entry: Pooled, delta: number): void {
    entry.active += delta;
    if (entry.idleTimer !== null) {
      clearTimeout(entry.idleTimer);
      entry.idleTimer = null;
    }
    if (entry.active > 0) {
      entry.conn.ref();
      return;
    }
    entry.conn.unref();
    if (entry.conn.isClosed) return;
    entry.idleTimer = setTimeout(() => {
      entry.idleTimer = null;
      for (const [origin, e] of this.pool) if (e === entry) this.pool.delete(origin);
      this.retired.delete(entry);
      void this.release(entry);
    }, this.keepAliveMs);
    entry.idleTimer.unref();
  }

  private async release(entry: Pooled): Promise<void> {
    if (entry.idleTimer !== null) clearTimeout(entry.idleTimer);
    entry.idleTimer = null;
    await entry.client.close();
    await entry.conn.closed.catch(() => {});
  }
}

export interface H3FetchOptions extends H3FetchInit {
  /**
   * The agent whose pooled connections carry the request (undici's `dispatcher`). Default: one
   * agent shared by the process, made on first use, trusting Node's bundled roots.
   */
  agent?: H3Agent;
}

/**
 * The process's default agent, as undici's global dispatcher: connections are reused across
 * `h3Fetch` calls only if something keeps them. Made on first use; not on any packet path.
 */
let defaultAgent: H3Agent | null = null;

/**
 * `fetch` over HTTP/3 on `options.agent`, or on the process's default agent (Node's bundled
 * roots). For a private CA, client certificates or another keep-alive, make an H3Agent and
 * pass it (or call its `fetch`).
 */
export function h3Fetch(url: string | URL, options: H3FetchOptions = {}): Promise<H3FetchResponse> {
  const { agent, ...init } = options;
  return (agent ?? (defaultAgent ??= new H3Agent())).fetch(url, init);
}
