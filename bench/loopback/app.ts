/**
 * What the loopback benchmark's server does with each stream (protocol.ts): one header, then a
 * download of the size it asks for, or an upload whose size is answered. The server process runs
 * it in one server, or in every worker of a multi-worker server (the default export).
 */
import type { QuicServer, QuicStream } from '../../src/node/index.js';
import { HEADER_LENGTH, OP_DOWNLOAD, OP_UPLOAD, decodeSize } from './protocol.js';

const CHUNK = Buffer.alloc(64 * 1024, 0x5a);

/** Writes `size` bytes with backpressure, then FIN. */
function sendBytes(s: QuicStream, size: number): void {
  let left = size;
  const more = (): void => {
    while (left > 0) {
      const n = Math.min(left, CHUNK.length);
      left -= n;
      if (!s.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) {
        s.once('drain', more);
        return;
      }
    }
    s.end();
  };
  more();
}

export function serveStream(s: QuicStream): void {
  let header: Buffer | null = null;
  let pending: Buffer[] = [];
  let pendingLength = 0;
  let body = 0;
  s.on('data', (chunk: Buffer) => {
    if (header === null) {
      pending.push(chunk);
      pendingLength += chunk.length;
      if (pendingLength < HEADER_LENGTH) return;
      const all = Buffer.concat(pending);
      header = all.subarray(0, HEADER_LENGTH);
      body += all.length - HEADER_LENGTH;
      pending = [];
      return;
    }
    body += chunk.length;
  });
  s.on('end', () => {
    if (header === null) {
      s.destroy();
      return;
    }
    const size = decodeSize(header, 1);
    if (header[0] === OP_DOWNLOAD) {
      sendBytes(s, size);
    } else if (header[0] === OP_UPLOAD) {
      const count = Buffer.alloc(8);
      count.writeBigUInt64BE(BigInt(body));
      s.end(count);
    } else {
      s.destroy();
    }
  });
  s.on('error', () => {
    // A client closing its connection at once (the handshake benchmark) aborts streams.
  });
}

/** A worker's setup (src/node/workers.ts): every connection's streams are served. */
export default function setup(server: QuicServer): void {
  server.on('connection', (conn) => conn.on('stream', serveStream));
}
