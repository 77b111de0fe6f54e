/**
 * The loopback benchmark's server: a child process (started with fork by bench/loopback.ts)
 * running one tsquic server on 127.0.0.1 through the Node adapter. It answers the requests of
 * protocol.ts, reports its CPU time on request, and exits cleanly on 'stop' (so that a
 * `--cpu-prof` profile gets written).
 */
import { createServer, type QuicServer, type QuicStream } from '../../src/node/index.js';
import {
  ALPN,
  HEADER_LENGTH,
  OP_DOWNLOAD,
  OP_UPLOAD,
  decodeSize,
  processCpuSeconds,
  type ServerCommand,
  type ServerReply,
} from './protocol.js';

const CHUNK = Buffer.alloc(64 * 1024, 0x5a);

function reply(m: ServerReply): void {
  process.send?.(m);
}

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

function serveStream(s: QuicStream): void {
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

let server: QuicServer | null = null;

process.on('message', (m: ServerCommand) => {
  switch (m.type) {
    case 'start': {
      server = createServer({
        alpn: [ALPN],
        cert: m.certPem,
        key: m.keyPem,
        maxConnections: 100_000,
      });
      server.on('connection', (conn) => conn.on('stream', serveStream));
      server.listen(0, '127.0.0.1').then(
        (addr) => reply({ type: 'listening', port: addr.port }),
        (e: Error) => reply({ type: 'error', message: e.message }),
      );
      return;
    }
    case 'cpu':
      reply({ type: 'cpu', seconds: processCpuSeconds() });
      return;
    case 'stop': {
      const done = (): void => process.exit(0);
      if (server === null) done();
      else server.close().then(done, done);
      return;
    }
  }
});
