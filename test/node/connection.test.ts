import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { backend } from '../../src/crypto/default-provider.js';
import {
  connect,
  createServer,
  QuicNodeError,
  type QuicConnection,
  type QuicServer,
} from '../../src/node/index.js';
import { chooseSocket } from '../../src/node/socket-choice.js';
import { ipv6Available, payload, testCert } from './helpers.js';

/** An echo server: every stream's bytes come back on it. */
async function echoServer(
  host: string,
  alpn = ['echo'],
): Promise<{ server: QuicServer; port: number }> {
  const { certPem, keyPem } = testCert();
  const server = createServer({ cert: certPem, key: keyPem, alpn }, (conn) => {
    conn.on('stream', (s) => s.pipe(s));
  });
  const addr = await server.listen(0, host);
  return { server, port: addr.port };
}

async function echoOnce(host: string): Promise<void> {
  const { server, port } = await echoServer(host);
  try {
    const conn = connect(
      { host, port },
      { alpn: ['echo'], ca: testCert().certPem, serverName: 'localhost' },
    );
    let handshakeEvents = 0;
    let deprecatedEvents = 0;
    conn.on('handshakeDone', () => handshakeEvents++);
    conn.on('handshake', () => deprecatedEvents++); // the old name, still emitted
    await conn.ready;
    assert.equal(handshakeEvents, 1);
    assert.equal(deprecatedEvents, 1);
    assert.equal(conn.alpn, 'echo');
    assert.equal(conn.remoteAddress.port, port);
    const s = await conn.openStream();
    const data = payload(200_000, 7);
    const chunks: Buffer[] = [];
    const done = (async () => {
      for await (const c of s) chunks.push(c as Buffer);
    })();
    s.end(data);
    await done;
    assert.ok(Buffer.concat(chunks).equals(data), 'echoed bytes are identical');
    // The process's backend protected the packets (TSQUIC_BACKEND, src/crypto/default-provider.ts).
    const stats = conn.getStats();
    assert.equal(stats.backend, backend.name);
    // The socket the backend brings (src/node/socket-choice.ts); the native one carries ECN
    // (RFC 9000 §13.4): the server's ECT(0) marks arrive and validation succeeds.
    const socket = chooseSocket(backend.provider.name).kind;
    assert.equal(stats.socket, socket);
    if (socket === 'native') {
      assert.ok(stats.ecn.receivedEct0 > 0, `ECT(0) received: ${JSON.stringify(stats.ecn)}`);
      assert.ok(stats.ecn.markedSent > 0);
      assert.equal(stats.ecn.failure, null);
    } else {
      assert.equal(stats.ecn.receivedEct0, 0);
    }
    await conn.close();
    await conn.closed;
    assert.equal(conn.state, 'closed');
  } finally {
    await server.close();
  }
}

describe('node adapter: connections over UDP loopback', () => {
  it('handshakes and echoes a stream over IPv4', async () => {
    await echoOnce('127.0.0.1');
  });

  it('handshakes and echoes a stream over IPv6', async function () {
    if (!(await ipv6Available())) {
      console.log('    (skipped: no IPv6 loopback on this machine)');
      this.skip();
    }
    await echoOnce('::1');
  });

  it('refuses a certificate with a key that is not its own, at createServer', () => {
    const { certPem } = testCert();
    const { keyPem } = testCert(['other.test']);
    assert.throws(
      () => createServer({ cert: certPem, key: keyPem, alpn: ['x'] }),
      (e: Error) =>
        e instanceof TypeError && /certificate and the private key do not match/.test(e.message),
    );
  });

  it('reports the server connection and its handshake', async () => {
    const { certPem, keyPem } = testCert();
    const server = createServer({ cert: certPem, key: keyPem, alpn: ['x', 'y'] });
    const accepted = new Promise<string | null>((resolve) =>
      server.once('connection', (c) => void c.ready.then(() => resolve(c.alpn))),
    );
    const { port } = await server.listen(0, '127.0.0.1');
    const conn = connect(`https://localhost:${port}/`, { alpn: ['y'], ca: certPem });
    await conn.ready;
    assert.equal(await accepted, 'y');
    assert.equal(server.connections.size, 1);
    await conn.close();
    await server.close();
    assert.equal(server.connections.size, 0);
  });

  it('a stream that came with the handshake and nobody took does not hold up a graceful close', async function () {
    // Without the fix the close below waits its whole minute for the stream's data.
    this.timeout(20_000);
    const { certPem, keyPem } = testCert();
    const server = createServer({ cert: certPem, key: keyPem, alpn: ['x'] });
    let serverConn: QuicConnection | null = null;
    const answered = new Promise<void>((resolve) =>
      server.once('connection', (c) => {
        serverConn = c;
        // A protocol that reads and writes the core streams itself (as HTTP/3 does): the
        // client never reads, so most of this stays unacknowledged.
        c.core.on('stream', (core) => {
          core.write(payload(200_000, 3));
          resolve();
        });
      }),
    );
    const { port } = await server.listen(0, '127.0.0.1');
    const conn = connect(`https://localhost:${port}/`, {
      alpn: ['x'],
      ca: certPem,
      initialMaxStreamData: 16 * 1024,
      maxStreamWindow: 16 * 1024,
    });
    try {
      // Written before the handshake completes: it leaves with the client's Finished.
      const s = await conn.openStream();
      s.write('request');
      await answered;
      await conn.ready;
      const closed = new Promise<unknown>((resolve) => conn.once('close', resolve));
      await serverConn!.close(undefined, 'done', 60_000);
      assert.ok(await closed);
    } finally {
      conn.destroy();
      await server.close();
    }
  });

  it('fails with ERR_QUIC_REFUSED when nothing listens on the port', async () => {
    // A port that was just free: bind, note it, release it.
    const probe = dgram.createSocket('udp4');
    await new Promise<void>((r) => probe.bind(0, '127.0.0.1', r));
    const port = probe.address().port;
    await new Promise<void>((r) => probe.close(r));
    const conn = connect({ host: '127.0.0.1', port }, { alpn: ['echo'], insecure: true });
    await assert.rejects(conn.ready, (e: QuicNodeError) => {
      assert.ok(e instanceof QuicNodeError);
      assert.equal(e.code, 'ERR_QUIC_REFUSED');
      return true;
    });
    await assert.rejects(conn.closed, { code: 'ERR_QUIC_REFUSED' });
  });

  it('refuses a certificate from an unknown CA, for a wrong name, or expired', async () => {
    const { server, port } = await echoServer('127.0.0.1');
    try {
      const other = testCert(['other.example']);
      const cases: { ca: string; servername: string; expect: RegExp }[] = [
        { ca: other.certPem, servername: 'localhost', expect: /certificate/i },
        { ca: testCert().certPem, servername: 'wrong.example', expect: /wrong\.example|name/i },
      ];
      for (const c of cases) {
        const conn = connect(
          { host: '127.0.0.1', port },
          { alpn: ['echo'], ca: c.ca, servername: c.servername }, // the deprecated spelling still works
        );
        await assert.rejects(conn.ready, (e: QuicNodeError) => {
          assert.equal(e.code, 'ERR_QUIC_CERTIFICATE');
          assert.match(e.message, c.expect);
          assert.ok(!e.message.includes('\n'), 'one line');
          return true;
        });
      }
    } finally {
      await server.close();
    }
    const expired = testCert(['localhost'], {
      notBefore: Date.UTC(2001, 0, 1),
      notAfter: Date.UTC(2002, 0, 1),
    });
    const old = createServer({ cert: expired.certPem, key: expired.keyPem, alpn: ['echo'] });
    const addr = await old.listen(0, '127.0.0.1');
    try {
      const conn = connect(
        { host: '127.0.0.1', port: addr.port },
        { alpn: ['echo'], ca: expired.certPem, serverName: 'localhost' },
      );
      await assert.rejects(conn.ready, (e: QuicNodeError) => {
        assert.equal(e.code, 'ERR_QUIC_CERTIFICATE');
        assert.match(e.message, /expired/i);
        return true;
      });
    } finally {
      await old.close();
    }
  });

  it('fails with ERR_QUIC_TLS when no ALPN is shared', async () => {
    const { server, port } = await echoServer('127.0.0.1', ['echo']);
    try {
      const conn = connect(
        { host: '127.0.0.1', port },
        { alpn: ['other'], ca: testCert().certPem, serverName: 'localhost' },
      );
      await assert.rejects(conn.ready, { code: 'ERR_QUIC_TLS' });
    } finally {
      await server.close();
    }
  });

  it('throws a TypeError for misuse', () => {
    assert.throws(() => connect({ host: '127.0.0.1', port: 1 }, { alpn: [] }), TypeError);
    assert.throws(() => connect('not a url at all', { alpn: ['x'] }), TypeError);
    assert.throws(() => createServer({ alpn: ['x'] }), TypeError);
    assert.throws(
      () =>
        createServer({
          alpn: ['x'],
          cert: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
          key: 'x',
        }),
      TypeError,
    );
  });
});
