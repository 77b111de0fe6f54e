/**
 * A multi-worker server's first moments (workers.ts): clients that connect the moment the port
 * is bound, while the workers still start, each get one handshake. With kernel steering the program must be
 * on the SO_REUSEPORT group before the workers start: else the kernel spreads a client's first
 * Initials by its 4-tuple hash and its retransmissions by the program's DCID hash, and two
 * workers each answer that client.
 */
import assert from 'node:assert/strict';
import { connect, createWorkerServer, type QuicConnection } from '../../src/node/index.js';
import { RUNNING_TS, testCert } from './helpers.js';

const MODULE = new URL(`./fixtures/echo-worker${RUNNING_TS ? '.ts' : '.js'}`, import.meta.url);
const CLIENTS = 8;

describe('node: multi-worker server, clients at listen', function () {
  this.timeout(60_000);
  const { certPem, keyPem } = testCert();

  it(`gives ${CLIENTS} clients started together at listen exactly ${CLIENTS} handshakes`, async () => {
    const server = createWorkerServer({
      workers: 2,
      module: MODULE,
      moduleData: { tag: 's' },
      server: { cert: certPem, key: keyPem, alpn: ['echo'] },
    });
    const conns: QuicConnection[] = [];
    try {
      // The clients start as soon as the port is bound, while the workers are still starting
      // (kernel steering binds before listen() first waits; the router's socket soon after).
      const listening = server.listen(0, '127.0.0.1');
      while (server.address() === null) await new Promise((resolve) => setImmediate(resolve));
      const { port } = server.address()!;
      for (let i = 0; i < CLIENTS; i++) {
        conns.push(
          connect(
            { host: '127.0.0.1', port },
            // A short first PTO: each client sends its Initials again and again while the
            // workers start, so any change of steering in that time would show.
            { alpn: ['echo'], ca: certPem, serverName: 'localhost', initialRtt: 10 },
          ),
        );
      }
      await listening;
      await Promise.all(conns.map((c) => c.ready));
      // An answer on each: the handshake each client finished is one a worker holds.
      for (const c of conns) {
        const stream = await c.openStream();
        stream.end('x');
        const chunks: Buffer[] = [];
        for await (const chunk of stream) chunks.push(chunk as Buffer);
        assert.equal(Buffer.concat(chunks).toString(), 's:x');
      }
      const stats = await server.getStats();
      assert.equal(stats.total.accepted, CLIENTS, JSON.stringify(stats));
      assert.equal(stats.total.connections, CLIENTS, JSON.stringify(stats));
    } finally {
      for (const c of conns) c.destroy();
      await server.destroy();
    }
  });
});
