/**
 * A worker of a multi-worker server writes its send slabs again (Engine.releaseTransmits) as a
 * server in the main thread does: its socket (steered-socket.ts on the kernel design,
 * worker-socket.ts's PortSocket on the router design) tells the endpoint when it holds no
 * datagram. A socket that never says so leaves every datagram held, and the engine then
 * allocates as many bytes of slabs as it sends, which V8 answered with a mark-compact about
 * every 100 ms (bench/README.md, issue 14).
 */
import assert from 'node:assert/strict';
import { connect, createWorkerServer, type QuicConnection } from '../../src/node/index.js';
import { ReusePortGroup } from '../../src/node/reuseport-group.js';
import { chooseSocket } from '../../src/node/socket-choice.js';
import { defaultProvider } from '../../src/crypto/default-provider.js';
import type { SlabCount } from './fixtures/slab-worker.js';
import { RUNNING_TS, payload, testCert } from './helpers.js';

const MODULE = new URL(`./fixtures/slab-worker${RUNNING_TS ? '.ts' : '.js'}`, import.meta.url);
const DOWNLOAD = 8_000_000;

/** One request on a new stream of `conn`, the whole answer. */
async function request(conn: QuicConnection, text: string): Promise<Buffer> {
  const stream = await conn.openStream();
  stream.end(text);
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function slabs(conn: QuicConnection): Promise<SlabCount> {
  return JSON.parse((await request(conn, 'slabs')).toString()) as SlabCount;
}

const kernelSteering =
  chooseSocket(defaultProvider.name).kind === 'native' && ReusePortGroup.addon() !== null;

describe('node: a worker reuses its send slabs', function () {
  this.timeout(60_000);
  const { certPem, keyPem } = testCert();

  // Kernel steering needs the native socket: the pure backend's servers route in this thread.
  const designs = kernelSteering ? (['kernel', 'router'] as const) : (['router'] as const);
  for (const steering of designs) {
    it(`a download of ${DOWNLOAD / 1e6} MB on few slabs, byte for byte (${steering} steering)`, async function () {
      const server = createWorkerServer({
        workers: 1,
        steering,
        module: MODULE,
        server: { cert: certPem, key: keyPem, alpn: ['slabs'] },
      });
      const { port } = await server.listen(0, '127.0.0.1');
      const conn = connect(
        { host: '127.0.0.1', port },
        { alpn: ['slabs'], ca: certPem, serverName: 'localhost' },
      );
      try {
        await conn.ready;
        const before = await slabs(conn);
        const body = await request(conn, `get ${DOWNLOAD}`);
        const after = await slabs(conn);
        assert.ok(body.equals(payload(DOWNLOAD)), 'byte for byte');
        const allocated = after.bytes - before.bytes;
        // Without reuse the worker allocates about as many bytes of slabs as it sends.
        assert.ok(
          allocated < DOWNLOAD / 4,
          `${allocated} bytes of slabs (${after.calls - before.calls} allocations) for ${DOWNLOAD} bytes sent`,
        );
      } finally {
        await conn.close();
        await server.close();
      }
    });
  }
});
