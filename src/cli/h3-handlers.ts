/**
 * HTTP/3 for the `tsquic` commands (ALPN "h3", RFC 9114), on the Node adapter's connections:
 *
 * - `tsquic serve`: h3FileHandler answers with fileResponse (GET and HEAD of the files under a
 *   root directory, file-response.ts); bodies are read from the file in chunks as the stream
 *   takes them.
 * - `tsquic get`: h3Get fetches a path on a connection (one HTTP/3 client per connection,
 *   shared by its requests), checks the status and streams the body to a Writable.
 */
import { once } from 'node:events';
import type { FileHandle } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { h3Client, type H3Client } from '../h3/api/client.js';
import {
  h3Server,
  type H3IncomingRequest,
  type H3RequestHandler,
  type H3Server,
  type H3ServerOptions,
  type H3ServerResponse,
} from '../h3/api/server.js';
import { Http3StreamError } from '../h3/api/errors.js';
import { H3ErrorCode, h3ErrorName } from '../h3/errors.js';
import type { QuicConnection } from '../node/connection.js';
import type { GetHooks, RequestShape } from './get-request.js';
import type { HqFileServer } from './hq-server.js';
import { fileResponse } from './file-response.js';

export const H3_ALPN = 'h3';

/** Bytes read from a file per DATA frame. */
const FILE_CHUNK = 64 * 1024;

/** Words for the statuses a file server answers with (RFC 9110 §15). */
const STATUS_TEXT = new Map<number, string>([
  [400, 'bad request'],
  [403, 'forbidden'],
  [404, 'not found'],
  [405, 'method not allowed'],
  [500, 'server error'],
  [503, 'service unavailable'],
]);

/** A response whose status is not 2xx: "HTTP status 404 (not found)". */
export class H3StatusError extends Error {
  override name = 'H3StatusError';
  readonly code = 'ERR_H3_STATUS';
  constructor(readonly status: number) {
    const text = STATUS_TEXT.get(status);
    super(`HTTP status ${status}${text === undefined ? '' : ` (${text})`}`);
  }
}

/** An HTTP/3 error code in words, for failure lines: "0x10b (H3_REQUEST_REJECTED)". */
export function describeH3Error(code: number): string {
  return `0x${code.toString(16)} (${h3ErrorName(code)})`;
}

/**
 * Whether the server did not process a failed request, so that it may be sent again on a new
 * connection: H3_REQUEST_REJECTED (RFC 9114 §4.1.1), which the client also gives a request at
 * or above the server's GOAWAY identifier and one refused after the GOAWAY arrived (§5.2).
 */
export function h3NotProcessed(e: unknown): boolean {
  return e instanceof Http3StreamError && e.errorCode === H3ErrorCode.H3_REQUEST_REJECTED;
}

/** Serves the files of `files` (fileResponse: GET and HEAD; other methods get 405). */
export function h3FileHandler(files: HqFileServer): H3RequestHandler {
  return async (req, res) => {
    // RFC 9114 §4.1: once the response is complete, the rest of any request body is unwanted.
    res.on('close', () => req.body.cancel());
    const answer = await fileResponse(files, req.method, req.path ?? '', req.headers);
    try {
      res.writeHead(answer.status, answer.headers);
      if (answer.body === null) {
        res.end(answer.text ?? undefined);
        return;
      }
      await sendFile(answer.body.handle, answer.body.start, answer.body.length, res);
    } finally {
      await answer.handle?.close();
    }
  };
}

/**
 * Runs HTTP/3 on a connection that negotiated "h3"; h3Server drives the request-header timeout
 * (H3ServerOptions.requestHeaderTimeout) on the adapter's timers while the connection lives. A
 * handler that fails is answered with a 500 and logged on stderr, one line.
 */
export function serveH3Connection(
  conn: QuicConnection,
  handler: H3RequestHandler,
  options: H3ServerOptions = {},
): H3Server {
  return h3Server(conn, handler, { onHandlerError: logHandlerError, ...options });
}

/** "tsquic: GET /path: the handler failed: message". */
export function logHandlerError(error: unknown, req: H3IncomingRequest): void {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(
    `tsquic: ${req.method} ${req.path ?? ''}: the handler failed: ${message.split('\n')[0]}\n`,
  );
}

/**
 * Requests `target` (path and query) on `conn` and writes the body to `sink` (not ended): a GET,
 * or the method, header fields and body of `shape`. Resolves to the body length; rejects with
 * H3StatusError for a status other than 2xx (after hooks.onHead), with Http3StreamError /
 * Http3ConnectionError (`code` the HTTP/3 error name) when the exchange failed.
 */
export async function h3Get(
  conn: QuicConnection,
  target: string,
  sink: Writable,
  shape?: RequestShape,
  hooks: GetHooks = {},
): Promise<number> {
  const client = clientFor(conn);
  const res = await client.request({
    path: target,
    ...(shape === undefined
      ? {}
      : {
          method: shape.method,
          headers: shape.headers,
          ...(shape.authority === null ? {} : { authority: shape.authority }),
          ...(shape.body === null ? {} : { body: shape.body }),
        }),
  });
  hooks.onHead?.(res.status, res.rawHeaders);
  if (res.status < 200 || res.status > 299) {
    res.body.cancel();
    throw new H3StatusError(res.status);
  }
  let bytes = 0;
  for await (const chunk of res.body) {
    bytes += chunk.length;
    hooks.onData?.(chunk.length);
    if (!sink.write(chunk)) await once(sink, 'drain');
  }
  return bytes;
}

/**
 * Ends HTTP/3 on `conn` gracefully (GOAWAY, then CONNECTION_CLOSE with H3_NO_ERROR) if h3Get
 * used it.
 */
export async function closeH3(conn: QuicConnection): Promise<void> {
  const client = clients.get(conn);
  if (client === undefined) return;
  clients.delete(conn);
  await client.close();
}

const clients = new WeakMap<QuicConnection, H3Client>();

/**
 * Starts HTTP/3 on `conn` for h3Get, with the server's SETTINGS remembered for 0-RTT (RFC 9114
 * §7.2.4.2) when given; `onSettings` hears the server's SETTINGS of this connection, to be
 * remembered with its session ticket.
 */
export function startH3(
  conn: QuicConnection,
  remembered: ReadonlyMap<number, number> | undefined,
  onSettings: (settings: ReadonlyMap<number, number>) => void,
): void {
  clients.set(
    conn,
    h3Client(conn, { ...(remembered ? { rememberedSettings: remembered } : {}), onSettings }),
  );
}

function clientFor(conn: QuicConnection): H3Client {
  let client = clients.get(conn);
  if (client === undefined) {
    client = h3Client(conn);
    clients.set(conn, client);
  }
  return client;
}

/** Streams `length` bytes of the file from `start` as the stream takes them. */
async function sendFile(
  handle: FileHandle,
  start: number,
  length: number,
  res: H3ServerResponse,
): Promise<void> {
  const end = start + length;
  let position = start;
  // One buffer for the whole response: write() copies what it does not pass on at once, so the
  // next read may reuse it. A buffer per read made every byte served an ArrayBuffer allocation,
  // which V8 answers with garbage collections (a mark-compact about every 100 ms at 130 MiB/s).
  const buffer = Buffer.allocUnsafe(Math.min(FILE_CHUNK, length));
  while (position < end && res.aborted === null) {
    const chunk = buffer.subarray(0, Math.min(buffer.length, end - position));
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
    if (bytesRead === 0) break; // the file shrank: the response ends short (a stream error)
    position += bytesRead;
    if (!res.write(chunk.subarray(0, bytesRead))) await drainedOrClosed(res);
  }
  if (res.aborted !== null) return;
  if (position < end) res.destroy();
  else res.end();
}

function drainedOrClosed(res: H3ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
