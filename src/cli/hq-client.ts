/**
 * The hq-interop client side: one bidirectional stream per request, `GET /path\r\n` then FIN,
 * and the response body is everything the server sends until its FIN (a RESET_STREAM means
 * the request failed). The body goes to a Writable with backpressure: the stream is read only
 * as fast as the sink takes the bytes, so flow control slows the server down.
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { QuicConnection } from '../node/connection.js';
import type { GetHooks } from './get-request.js';
import { encodeRequest } from './hq-protocol.js';

/**
 * Requests `path` (starting with "/") on `conn` and writes the body to `sink` (not ended).
 * Resolves to the body length; rejects with the stream's error (QuicStreamError
 * ERR_QUIC_STREAM_RESET with the server's code when it reset the stream).
 */
export async function hqGet(
  conn: QuicConnection,
  path: string,
  sink: Writable,
  hooks: GetHooks = {},
): Promise<number> {
  const stream = await conn.openStream();
  stream.end(encodeRequest(path));
  let bytes = 0;
  for await (const chunk of stream) {
    const data = chunk as Buffer;
    bytes += data.length;
    hooks.onData?.(data.length);
    if (!sink.write(data)) await once(sink, 'drain');
  }
  return bytes;
}
