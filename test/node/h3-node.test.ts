/**
 * HTTP/3 on tsquic/node connections: h3Client and h3Server take a QuicConnection as it is (a
 * client's right after connect(), before its socket is bound) and wait for its core connection
 * themselves; a failed connection rejects the requests waiting; H3Agent keeps one connection per
 * origin and replaces one that ended. (h3Server's request-header timeout on the adapter's timers:
 * test/h3/cli-handlers.test.ts.)
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { h3Client } from '../../src/h3/api/client.js';
import { Http3ConnectionError } from '../../src/h3/api/errors.js';
import { h3Server, type H3Server } from '../../src/h3/api/server.js';
import {
  connect,
  createServer,
  H3Agent,
  h3Fetch,
  type QuicConnection,
  type QuicServer,
} from '../../src/node/index.js';
import { testCertificate } from '../../src/testing/pair.js';
import { nativeUdpAddon } from '../../src/node/native-udp.js';

describe('node adapter: HTTP/3 on QuicConnection', function () {
  this.timeout(30_000);
  let server: QuicServer;
  let port = 0;
  const h3Servers: H3Server[] = [];
  const serverConns: QuicConnection[] = [];

  before(async () => {
    server = createServer({ alpn: ['h3'], certificate: testCertificate().cert });
    server.on('connection', (conn) => {
      serverConns.push(conn);
      h3Servers.push(
        h3Server(conn, async (req, res) => {
          let n = 0;
          for await (const chunk of req) n += chunk.length;
          res.writeHead(200, { 'content-type': 'text/plain', 'x-stream': req.streamId });
          res.end(`${req.method} ${req.path ?? ''} ${req.authority ?? ''} ${n}`);
        }),
      );
    });
    port = (await server.listen(0, '127.0.0.1')).port;
  });

  after(async () => {
    await server.close();
  });

  it('h3Client on a connection straight from connect() sends its requests once it starts', async () => {
    const conn = connect(
      { host: '127.0.0.1', port },
      { alpn: ['h3'], ca: testCertificate().ca, serverName: 'localhost' },
    );
    const client = h3Client(conn);
    assert.throws(() => client.session, /starts once the connection is set up/);
    const [a, b] = await Promise.all([
      client.request({ path: '/a' }),
      client.request({ method: 'POST', path: '/b', body: 'hello' }),
    ]);
    assert.equal(a.status, 200);
    // The default authority is the server name and port the connection was made to.
    assert.equal(await a.body.text(), `GET /a localhost:${port} 0`);
    assert.equal(await b.body.text(), `POST /b localhost:${port} 5`);
    await client.close();
    await conn.closed;
  });

  for (const kind of ['dgram', 'native'] as const) {
    it(`the requests waiting for a connection refused by ICMP reject, and so does closed (${kind} socket)`, async function () {
      if (kind === 'native' && nativeUdpAddon() === null) this.skip();
      // Nothing listens on this port: the connected socket hears ICMP port unreachable.
      const idle = createServer({ alpn: ['h3'], certificate: testCertificate().cert });
      const idlePort = (await idle.listen(0, '127.0.0.1')).port;
      await idle.close();
      const before = process.env['TSQUIC_SOCKET'];
      process.env['TSQUIC_SOCKET'] = kind;
      try {
        const conn = connect(
          { host: '127.0.0.1', port: idlePort },
          { alpn: ['h3'], ca: testCertificate().ca, serverName: 'localhost', idleTimeout: 3000 },
        );
        const client = h3Client(conn);
        const err = await client.request({ path: '/' }).then(
          () => assert.fail('the request succeeded'),
          (e: unknown) => e,
        );
        assert.ok(err instanceof Http3ConnectionError, String(err));
        assert.equal(err.scope, 'connection');
        // A refusal is no clean end: closed rejects too, with the QUIC error (RFC 9000 §20.1).
        assert.equal(err.code, 'QUIC_CONNECTION_REFUSED');
        await assert.rejects(client.closed, (e: Http3ConnectionError) => {
          assert.equal(e.code, 'QUIC_CONNECTION_REFUSED');
          assert.equal(e.errorCode, 0x2);
          return true;
        });
        await assert.rejects(conn.closed, { code: 'ERR_QUIC_REFUSED' });
        assert.equal(conn.getStats().socket, kind);
      } finally {
        if (before === undefined) delete process.env['TSQUIC_SOCKET'];
        else process.env['TSQUIC_SOCKET'] = before;
      }
    });
  }

  it('a connection that fails before it starts fails the client with QUIC_CONNECTION_FAILED', async () => {
    const conn = connect('no-such-host.invalid:4433', {
      alpn: ['h3'],
      ca: testCertificate().ca,
    });
    const client = h3Client(conn);
    const err = await client.request({ path: '/' }).then(
      () => assert.fail('the request succeeded'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof Http3ConnectionError, String(err));
    assert.equal(err.code, 'QUIC_CONNECTION_FAILED');
    assert.equal((err.cause as { code?: string }).code, 'ERR_QUIC_HOST_NOT_FOUND');
  });

  it('H3Agent reuses one connection per origin and replaces one that ended', async () => {
    const agent = new H3Agent({ ca: testCertificate().ca, serverName: 'localhost' });
    const before = serverConns.length;
    const url = `https://127.0.0.1:${port}`;
    const responses = await Promise.all([
      agent.fetch(`${url}/one`),
      agent.fetch(`${url}/two`, { method: 'PUT', body: new Uint8Array(10) }),
    ]);
    assert.deepEqual(await Promise.all(responses.map((r) => r.text())), [
      `GET /one 127.0.0.1:${port} 0`,
      `PUT /two 127.0.0.1:${port} 10`,
    ]);
    assert.ok(responses.every((r) => r.ok && r.headers['content-type'] === 'text/plain'));
    const third = await agent.fetch(`${url}/three`);
    assert.equal(await third.text(), `GET /three 127.0.0.1:${port} 0`);
    assert.equal(serverConns.length, before + 1, 'one connection for the three requests');
    assert.deepEqual(agent.origins, [url]);

    // The server ends the connection: the next request opens a new one.
    const serverSide = serverConns.at(-1)!;
    const gone = once(serverSide, 'close');
    await h3Servers.at(-1)!.close();
    await gone;
    const fourth = await agent.fetch(`${url}/four`);
    assert.equal(await fourth.text(), `GET /four 127.0.0.1:${port} 0`);
    assert.equal(serverConns.length, before + 2);
    await agent.close();
    assert.deepEqual(agent.origins, []);
    await assert.rejects(agent.fetch(`${url}/five`), /the agent is closed/);
  });

  it('h3Fetch sends on the agent given (undici: dispatcher), not the default one', async () => {
    const agent = new H3Agent({ ca: testCertificate().ca, serverName: 'localhost' });
    try {
      const res = await h3Fetch(`https://127.0.0.1:${port}/given`, { agent, method: 'POST' });
      assert.equal(await res.text(), `POST /given 127.0.0.1:${port} 0`);
      assert.deepEqual(agent.origins, [`https://127.0.0.1:${port}`]);
    } finally {
      await agent.close();
    }
  });

  it('H3Agent closes a connection idle for keepAliveTimeout', async () => {
    const agent = new H3Agent({
      ca: testCertificate().ca,
      serverName: 'localhost',
      keepAliveTimeout: 0,
    });
    const res = await agent.fetch(`https://127.0.0.1:${port}/x`);
    await res.text();
    const serverSide = serverConns.at(-1)!;
    if (!serverSide.isClosed) await once(serverSide, 'close');
    assert.deepEqual(agent.origins, []);
    await agent.close();
  });

  it("H3Server emits 'error' for a handler's exception and a connection's failure", async () => {
    const heard: string[] = [];
    const closed: Promise<void>[] = [];
    const failing = createServer({ alpn: ['h3'], certificate: testCertificate().cert }, (conn) => {
      const h3 = h3Server(conn, (req) => {
        if (req.path === '/throw') throw new Error('handler broke');
        return Promise.reject(new Error('handler rejected'));
      });
      h3.on('error', (e, req) =>
        heard.push(`${req?.path ?? 'connection'}: ${(e as Error).message}`),
      );
      h3.on('close', () => heard.push('close'));
      closed.push(h3.closed);
    });
    const { port: p } = await failing.listen(0, '127.0.0.1');
    const conn = connect(
      { host: '127.0.0.1', port: p },
      { alpn: ['h3'], ca: testCertificate().ca, serverName: 'localhost' },
    );
    try {
      const client = h3Client(conn);
      for (const path of ['/throw', '/reject']) {
        const res = await client.request({ path });
        assert.equal(res.status, 500);
        await res.body.text();
      }
      assert.deepEqual(heard, ['/throw: handler broke', '/reject: handler rejected']);
      // The client breaks the protocol: the server's session ends with an error.
      client.destroy(0x101, 'H3_GENERAL_PROTOCOL_ERROR from the client'); // RFC 9114 §8.1
      await assert.rejects(closed[0]!);
      assert.equal(heard.length, 4, heard.join('\n'));
      assert.match(heard[2]!, /^connection: /);
      assert.equal(heard[3], 'close');
    } finally {
      await failing.close();
    }
  });

  it('a handler that throws is answered with a 500 and reported to onHandlerError', async () => {
    const reported: string[] = [];
    const failing = createServer({ alpn: ['h3'], certificate: testCertificate().cert }, (conn) => {
      h3Server(
        conn,
        (req) => {
          throw new Error(`no handler for ${req.path ?? ''}`);
        },
        { onHandlerError: (e, req) => reported.push(`${req.method} ${(e as Error).message}`) },
      );
    });
    const { port: p } = await failing.listen(0, '127.0.0.1');
    const conn = connect(
      { host: '127.0.0.1', port: p },
      { alpn: ['h3'], ca: testCertificate().ca, serverName: 'localhost' },
    );
    try {
      const client = h3Client(conn);
      const res = await client.request({ path: '/x' });
      assert.equal(res.status, 500);
      await res.body.text();
      assert.deepEqual(reported, ['GET no handler for /x']);
      await client.close();
    } finally {
      await failing.close();
    }
  });
});
