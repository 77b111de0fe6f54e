/**
 * Over node:dgram (udp.ts) the engine writes its send slabs again (Engine.releaseTransmits).
 * dgram sends on the next tick at the earliest, so every flush that sent something ends with
 * sends pending and cannot release; the socket says when its last send completed
 * (UdpHandlers.sendsDone) and the endpoint releases then. Without that a server sending over
 * dgram allocated about as many bytes of slabs as it sent.
 */
import assert from 'node:assert/strict';
import { connect, createServer, type QuicStream } from '../../src/node/index.js';
import { UdpSocket } from '../../src/node/udp.js';
import { payload, testCert } from './helpers.js';

const DOWNLOAD = 8_000_000;

/** Bytes the send path allocated for slabs (src/util/uninitialized.ts) while `fn` ran. */
async function slabBytes(fn: () => Promise<void>): Promise<number> {
  const allocate = Buffer.allocUnsafeSlow;
  let bytes = 0;
  Buffer.allocUnsafeSlow = (size: number): Buffer<ArrayBuffer> => {
    bytes += size;
    return allocate(size);
  };
  try {
    await fn();
    return bytes;
  } finally {
    Buffer.allocUnsafeSlow = allocate;
  }
}

/** The whole of what `stream` delivers. */
function readAll(stream: QuicStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return new Promise((resolve, reject) => {
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
  });
}

describe('node adapter: a server on node:dgram reuses its send slabs', function () {
  this.timeout(60_000);
  const { certPem, keyPem } = testCert();

  it(`a download of ${DOWNLOAD / 1e6} MB on few slabs, byte for byte`, async () => {
    const body = payload(DOWNLOAD);
    const server = createServer({
      cert: certPem,
      key: keyPem,
      alpn: ['slabs'],
      // node:dgram whatever the backend (the native backend would bind its own socket).
      bindSocket: (host, port, opts, handlers) => UdpSocket.bind(host, port, opts, handlers),
    });
    server.on('connection', (conn) => {
      conn.on('stream', (stream: QuicStream) => {
        stream.resume();
        stream.once('end', () => stream.end(body));
      });
    });
    const { port } = await server.listen(0, '127.0.0.1');
    const conn = connect(
      { host: '127.0.0.1', port },
      { alpn: ['slabs'], ca: certPem, serverName: 'localhost' },
    );
    try {
      await conn.ready;
      let got: Buffer = Buffer.alloc(0);
      const allocated = await slabBytes(async () => {
        const stream = await conn.openStream();
        stream.end('get');
        got = await readAll(stream);
      });
      assert.ok(got.equals(body), 'byte for byte');
      // Both ends' slabs are counted (one process); without reuse the server alone allocates
      // about as many bytes as it sends.
      assert.ok(allocated < DOWNLOAD / 4, `${allocated} bytes of slabs for ${DOWNLOAD} bytes sent`);
    } finally {
      await conn.close();
      await server.close();
    }
  });
});
