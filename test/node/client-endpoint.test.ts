/**
 * Client connections sharing one endpoint (src/node/client-endpoint.ts): one socket and engine,
 * transfers byte for byte, the endpoint's lifecycle, and its failure paths.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import {
  connect,
  createClientEndpoint,
  createServer,
  H3Agent,
  QuicNodeError,
  type QuicConnection,
  type QuicServer,
} from '../../src/node/index.js';
import { h3Server } from '../../src/h3/api/server.js';
import { testCertificate } from '../../src/testing/pair.js';
import { ipv6Available, payload, testCert } from './helpers.js';

const CLIENT = { alpn: ['echo'], ca: testCert().certPem, serverName: 'localhost' };

/** An echo server that notes the client port of every connection. */
async function echoServer(host = '127.0.0.1'): Promise<{
  server: QuicServer;
  port: number;
  clientPorts: number[];
}> {
  const { certPem, keyPem } = testCert();
  const clientPorts: number[] = [];
  const server = createServer({ cert: certPem, key: keyPem, alpn: ['echo'] }, (conn) => {
    clientPorts.push(conn.remoteAddress.port);
    conn.on('stream', (s) => s.pipe(s));
  });
  const addr = await server.listen(0, host);
  return { server, port: addr.port, clientPorts };
}

/** Sends `data` on a new stream and resolves to what comes back. */
async function echo(conn: QuicConnection, data: Buffer): Promise<Buffer> {
  const s = await conn.openStream();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of s) chunks.push(c as Buffer);
  })();
  s.end(data);
  await done;
  return Buffer.concat(chunks);
}

describe('node adapter: client connections sharing an endpoint', function () {
  this.timeout(20_000);

  it('runs several connections on one socket, each transfer byte for byte', async () => {
    const { server, port, clientPorts } = await echoServer();
    const endpoint = createClientEndpoint();
    try {
      const conns = [1, 2, 3].map(() =>
        connect({ host: '127.0.0.1', port }, { ...CLIENT, endpoint }),
      );
      await Promise.all(conns.map((c) => c.ready));
      assert.equal(endpoint.connections, 3);
      const local = endpoint.address!;
      assert.equal(local.family, 'IPv4');
      assert.deepEqual(clientPorts, [local.port, local.port, local.port], 'one socket for all');
      const data = conns.map((_, i) => payload(150_000 + i * 1000, i + 1));
      const back = await Promise.all(conns.map((c, i) => echo(c, data[i]!)));
      back.forEach((b, i) => assert.ok(b.equals(data[i]!), `connection ${i} echoed its bytes`));
      for (const c of conns) assert.equal(c.getStats().socket, conns[0]!.getStats().socket);
      // One closes: it ends at once, the others and the socket stay.
      await conns[0]!.close();
      await conns[0]!.closed;
      assert.equal(endpoint.connections, 2);
      // Its core waits out the closing period on the shared socket (RFC 9000 §10.2).
      assert.match(conns[0]!.state, /^(closing|draining|closed)$/);
      const again = connect({ host: '127.0.0.1', port }, { ...CLIENT, endpoint });
      assert.ok((await echo(again, data[0]!)).equals(data[0]!));
      assert.equal(clientPorts.at(-1), local.port, 'the next connection reuses the socket');
      // close() closes the rest gracefully, then releases the socket.
      let closeEvents = 0;
      endpoint.on('close', () => closeEvents++);
      await endpoint.close();
      for (const c of [...conns, again]) {
        await c.closed;
        assert.equal(c.state, 'closed');
      }
      assert.equal(endpoint.connections, 0);
      assert.equal(closeEvents, 1);
      assert.equal(endpoint.isClosed, true);
    } finally {
      await endpoint.close();
      await server.close();
    }
  });

  it('a closed endpoint, or a target of the other family, fails the connection with ERR_QUIC_SOCKET', async function () {
    const { server, port } = await echoServer();
    const endpoint = createClientEndpoint();
    try {
      const first = connect({ host: '127.0.0.1', port }, { ...CLIENT, endpoint });
      await first.ready;
      if (await ipv6Available()) {
        const v6 = connect({ host: '::1', port }, { ...CLIENT, endpoint });
        await assert.rejects(v6.ready, (e: QuicNodeError) => {
          assert.equal(e.code, 'ERR_QUIC_SOCKET');
          assert.match(e.message, /IPv4/);
          return true;
        });
      }
      await endpoint.close();
      const late = connect({ host: '127.0.0.1', port }, { ...CLIENT, endpoint });
      await assert.rejects(late.ready, { code: 'ERR_QUIC_SOCKET', message: /closed/ });
      await assert.rejects(late.closed, { code: 'ERR_QUIC_SOCKET' });
    } finally {
      await endpoint.close();
      await server.close();
    }
  });

  it('an unreachable server ends the handshake by its idle timeout (no ICMP on a shared socket)', async () => {
    const probe = dgram.createSocket('udp4');
    await new Promise<void>((r) => probe.bind(0, '127.0.0.1', r));
    const port = probe.address().port;
    await new Promise<void>((r) => probe.close(r));
    const endpoint = createClientEndpoint();
    try {
      const conn = connect(
        { host: '127.0.0.1', port },
        { alpn: ['echo'], insecure: true, idleTimeout: 300, endpoint },
      );
      await assert.rejects(conn.ready, (e: QuicNodeError) => {
        assert.ok(e instanceof QuicNodeError);
        assert.notEqual(e.code, 'ERR_QUIC_REFUSED');
        return true;
      });
      assert.equal(endpoint.connections, 0);
    } finally {
      await endpoint.close();
    }
  });

  it('an H3Agent on one endpoint reaches two origins from one socket', async () => {
    const servers: QuicServer[] = [];
    const seen: number[] = [];
    for (let i = 0; i < 2; i++) {
      const server = createServer({ alpn: ['h3'], certificate: testCertificate().cert });
      server.on('connection', (conn) => {
        seen.push(conn.remoteAddress.port);
        h3Server(conn, (req, res) => res.end(`origin ${i} ${req.path ?? ''}`));
      });
      servers.push(server);
    }
    const ports = await Promise.all(
      servers.map(async (s) => (await s.listen(0, '127.0.0.1')).port),
    );
    const endpoint = createClientEndpoint();
    const agent = new H3Agent({ ca: testCertificate().ca, serverName: 'localhost', endpoint });
    try {
      for (const [i, port] of ports.entries()) {
        const res = await agent.fetch(`https://127.0.0.1:${port}/x${i}`);
        assert.equal(await res.text(), `origin ${i} /x${i}`);
      }
      assert.equal(endpoint.connections, 2);
      assert.deepEqual(seen, [endpoint.address!.port, endpoint.address!.port]);
    } finally {
      await agent.close();
      await endpoint.close();
      for (const s of servers) await s.close();
    }
  });

  it('refuses the options that belong to the endpoint, and bad endpoint options', () => {
    const endpoint = createClientEndpoint();
    for (const extra of [
      { localAddress: '127.0.0.1' },
      { socket: {} },
      { qlog: () => undefined },
      { statelessResetKey: new Uint8Array(32) },
    ]) {
      assert.throws(
        () => connect('127.0.0.1:4433', { ...CLIENT, endpoint, ...extra }),
        (e: Error) => e instanceof TypeError && /belongs to the endpoint/.test(e.message),
      );
    }
    assert.throws(() => createClientEndpoint({ localAddress: 'localhost' }), TypeError);
    assert.throws(() => createClientEndpoint({ port: 70000 }), RangeError);
    assert.equal(endpoint.address, null, 'nothing bound before the first connect');
  });
});
