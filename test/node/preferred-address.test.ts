/**
 * The server's preferred address over real UDP (RFC 9000 §9.6): a tsquic/node server listening
 * on 127.0.0.1 offers 127.0.0.2 (a second socket of the same engine); the client, whose socket
 * was connected to 127.0.0.1 for the handshake, validates the new address, moves there, and its
 * streams keep working on the new path.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { connect, createServer, type QuicServer } from '../../src/node/index.js';
import type { SocketAddress } from '../../src/util/address.js';
import { testCert } from './helpers.js';

/** A port free on `host` now (bound and released). */
async function freePort(host: string): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, host, r));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(r));
  return port;
}

describe('node adapter: preferred address', function () {
  this.timeout(30_000);
  let server: QuicServer | null = null;

  after(async () => {
    await server?.close();
  });

  it('a client moves from 127.0.0.1 to the preferred 127.0.0.2 and keeps its streams', async () => {
    const { certPem, keyPem } = testCert();
    const preferred: SocketAddress = { address: '127.0.0.2', port: await freePort('127.0.0.2') };
    const s = createServer(
      { cert: certPem, key: keyPem, alpn: ['echo'], preferredAddress: { ipv4: preferred } },
      (conn) => conn.on('stream', (st) => st.pipe(st)),
    );
    server = s;
    const { port } = await s.listen(0, '127.0.0.1');
    const conn = connect(
      { host: '127.0.0.1', port },
      { alpn: ['echo'], ca: certPem, serverName: 'localhost' },
    );
    try {
      const moved = once(conn, 'pathChange');
      await conn.ready;
      const [remote] = (await moved) as [SocketAddress, SocketAddress];
      assert.deepEqual(remote, preferred);
      assert.deepEqual(conn.remoteAddress, preferred);
      const st = await conn.openStream();
      st.end('after the move');
      let echoed = '';
      for await (const chunk of st) echoed += String(chunk);
      assert.equal(echoed, 'after the move');
      assert.deepEqual(conn.remoteAddress, preferred);
    } finally {
      await conn.close();
    }
  });
});
