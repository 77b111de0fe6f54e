/**
 * Multipath QUIC (RFC 10069) through the Node adapter over loopback: a client opens a second
 * path from another local address (127.0.0.2) and data flows on both.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type QuicConnection } from '../../src/node/index.js';
import { testCert } from './helpers.js';

describe('node adapter: Multipath QUIC', function () {
  this.timeout(30_000);

  it('a client opens a second path over 127.0.0.2 and data flows on both', async () => {
    const { certPem, keyPem } = testCert();
    const server = createServer(
      // Round robin on both sides: min-RTT leaves path 1 idle while path 0's window has room,
      // which on loopback it always may (its PMTU probes used to be path 1's only traffic).
      { cert: certPem, key: keyPem, alpn: ['echo'], multipath: { scheduler: 'roundrobin' } },
      (conn) => conn.on('stream', (s) => s.pipe(s)),
    );
    const { port } = await server.listen(0, '127.0.0.1');
    let conn: QuicConnection | null = null;
    try {
      conn = connect(
        { host: '127.0.0.1', port },
        {
          alpn: ['echo'],
          ca: certPem,
          serverName: 'localhost',
          multipath: { scheduler: 'roundrobin' },
        },
      );
      await conn.ready;
      const validated = once(conn, 'pathValidated');
      // The server's CIDs for path 1 come with confirmation: retry until a path ID is free.
      let id = -1;
      for (let i = 0; i < 50 && id < 0; i++) {
        id = await conn.openPath({ localAddress: '127.0.0.2' });
        if (id < 0) await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(id, 1);
      assert.deepEqual(await validated, [1]);
      // Enough data that the scheduler fills both paths' windows.
      const body = Buffer.alloc(4 << 20, 7);
      const s = await conn.openStream();
      s.end(body);
      let got = 0;
      for await (const c of s) got += (c as Buffer).length;
      assert.equal(got, body.length);
      const paths = conn.getStats().paths;
      assert.equal(paths.length, 2);
      const p1 = paths.find((p) => p.pathId === 1)!;
      assert.equal(p1.local.address, '127.0.0.2');
      for (const p of paths) {
        assert.ok(p.bytesSent > 10_000, `path ${p.pathId} sent ${p.bytesSent} bytes`);
        assert.ok(p.bytesReceived > 1_000, `path ${p.pathId} received ${p.bytesReceived} bytes`);
      }
      await conn.close();
    } finally {
      conn?.destroy();
      await server.close();
    }
  });
});
