import assert from 'node:assert/strict';
import { once } from 'node:events';
import {
  connect,
  createServer,
  type ConnectOptions,
  type QuicConnection,
  type QuicServer,
  type ServerOptions,
} from '../../src/node/index.js';
import { QUIC_V2 } from '../../src/wire/version.js';
import { testCert } from './helpers.js';

async function echoServer(
  opts: Partial<ServerOptions> = {},
): Promise<{ server: QuicServer; port: number }> {
  const { certPem, keyPem } = testCert();
  const server = createServer({ cert: certPem, key: keyPem, alpn: ['echo'], ...opts }, (conn) => {
    conn.on('stream', (s) => s.pipe(s));
  });
  const { port } = await server.listen(0, '127.0.0.1');
  return { server, port };
}

function client(port: number, opts: Partial<ConnectOptions> = {}): QuicConnection {
  return connect(
    { host: '127.0.0.1', port },
    { alpn: ['echo'], ca: testCert().certPem, serverName: 'localhost', ...opts },
  );
}

async function echo(conn: QuicConnection, text: string): Promise<string> {
  const s = await conn.openStream();
  s.end(text);
  let out = '';
  for await (const c of s) out += String(c);
  return out;
}

describe('node adapter: resumption, 0-RTT, migration, key update, Retry, QUIC v2', () => {
  it('resumes with a saved ticket and sends 0-RTT that the server accepts', async () => {
    const { server, port } = await echoServer({ earlyData: true });
    try {
      const first = client(port);
      const ticket = once(first, 'sessionTicket').then(([t]) => t as Buffer);
      assert.equal(await echo(first, 'one'), 'one');
      const session = await ticket;
      await first.close();

      const second = client(port, { session, earlyData: true });
      // Opened and written before the handshake completes: it leaves as 0-RTT.
      const reply = echo(second, 'early');
      await second.ready;
      assert.equal(await reply, 'early');
      const stats = second.getStats();
      assert.equal(stats.resumed, true);
      assert.equal(stats.earlyDataAccepted, true);
      await second.close();
    } finally {
      await server.close();
    }
  });

  it('server hooks: accept sees SNI and ALPN, selectAlpn picks, acceptEarlyData and antiReplay decide 0-RTT', async () => {
    const hellos: unknown[] = [];
    const decided: unknown[] = [];
    const recorded: number[] = [];
    const { server, port } = await echoServer({
      alpn: ['echo'],
      earlyData: true,
      accept: (_remote, _validated, hello) => {
        hellos.push(hello);
        return 'accept';
      },
      selectAlpn: (offered) => (offered.includes('echo') ? 'echo' : null),
      acceptEarlyData: (_appData, info) => {
        decided.push(info);
        return true;
      },
      antiReplay: {
        checkAndRecord: (key) => {
          recorded.push(key.length);
          return recorded.length === 1; // the second 0-RTT attempt counts as a replay
        },
      },
    });
    try {
      const first = client(port, { alpn: ['other', 'echo'] });
      const ticket = once(first, 'sessionTicket').then(([t]) => t as Buffer);
      assert.equal(await echo(first, 'one'), 'one');
      assert.equal(first.alpn, 'echo');
      const session = await ticket;
      await first.close();
      for (const expectAccepted of [true, false]) {
        const again = client(port, { session, earlyData: true });
        assert.equal(await echo(again, 'early'), 'early');
        assert.equal(again.getStats().earlyDataAccepted, expectAccepted);
        await again.close();
      }
      const { transportParameters, ...firstHello } = hellos[0] as Record<string, unknown>;
      assert.deepEqual(firstHello, {
        serverName: 'localhost',
        alpn: ['other', 'echo'],
        complete: false,
      });
      // Before the key shares, so in the first packet (RFC 9368 §2.3 reads version_information).
      assert.ok(transportParameters instanceof Uint8Array && transportParameters.length > 0);
      assert.equal(hellos.length, 3);
      assert.deepEqual(decided, [
        { serverName: 'localhost', alpn: 'echo' },
        { serverName: 'localhost', alpn: 'echo' },
      ]);
      assert.deepEqual(recorded, [32, 32], 'the SHA-256 PSK binder is the key');
    } finally {
      await server.close();
    }
  });

  it('migrates to a new local port and keeps working', async () => {
    const { server, port } = await echoServer();
    try {
      const conn = client(port);
      await conn.ready;
      const before = conn.localAddress.port;
      const moved = once(conn, 'pathChange');
      assert.equal(await conn.migrate(), true);
      assert.equal(await echo(conn, 'after the move'), 'after the move');
      await moved;
      assert.notEqual(conn.localAddress.port, before);
      assert.equal(conn.getStats().migrated, true);
      await conn.close();
    } finally {
      await server.close();
    }
  });

  it('updates the 1-RTT keys', async () => {
    const { server, port } = await echoServer();
    try {
      const conn = client(port);
      await conn.ready;
      conn.updateKeys();
      // The update starts once a packet of the current keys is acknowledged (RFC 9001 §6.1):
      // keep the connection busy until it has.
      for (let i = 0; i < 50 && conn.getStats().keyUpdates === 0; i++) {
        assert.equal(await echo(conn, `round ${i}`), `round ${i}`);
      }
      assert.ok(conn.getStats().keyUpdates >= 1);
      assert.equal(await echo(conn, 'new keys'), 'new keys');
      await conn.close();
    } finally {
      await server.close();
    }
  });

  it('validates the client address with Retry', async () => {
    const { server, port } = await echoServer({ retry: true });
    try {
      const conn = client(port);
      assert.equal(await echo(conn, 'retried'), 'retried');
      assert.equal(conn.getStats().retry, true);
      await conn.close();
    } finally {
      await server.close();
    }
  });

  it('demands Retry by itself over the admission limits (flood defence)', async () => {
    const { server, port } = await echoServer({ admission: { maxUnvalidated: 0 } });
    try {
      const conn = client(port);
      assert.equal(await echo(conn, 'retried'), 'retried');
      assert.equal(conn.getStats().retry, true);
      await conn.close();
    } finally {
      await server.close();
    }
  });

  it('speaks QUIC v2, and negotiates versions with a v1-only server (RFC 9368)', async () => {
    const { server, port } = await echoServer();
    const v1only = await echoServer({ versions: [1] });
    try {
      const conn = client(port, { version: QUIC_V2 });
      assert.equal(await echo(conn, 'v2'), 'v2');
      assert.equal(conn.getStats().version, QUIC_V2);
      await conn.close();
      // A v2 client that accepts v1 tries again in v1 after Version Negotiation.
      const retried = client(v1only.port, { version: QUIC_V2, versions: [QUIC_V2, 1] });
      assert.equal(await echo(retried, 'again'), 'again');
      assert.equal(retried.getStats().version, 1);
      await retried.close();
      const refused = client(v1only.port, { versions: [QUIC_V2] });
      await assert.rejects(refused.ready, { code: 'ERR_QUIC_VERSION_NEGOTIATION' });
    } finally {
      await server.close();
      await v1only.server.close();
    }
  });

  it('carries DATAGRAM frames both ways', async () => {
    const { certPem, keyPem } = testCert();
    const server = createServer(
      { cert: certPem, key: keyPem, alpn: ['echo'], maxDatagramFrameSize: 1200 },
      (conn) => conn.on('datagram', (d: Buffer) => conn.sendDatagram(Buffer.concat([d, d]))),
    );
    const { port } = await server.listen(0, '127.0.0.1');
    try {
      const conn = client(port, { maxDatagramFrameSize: 1200 });
      await conn.ready;
      const got = once(conn, 'datagram').then(([d]) => String(d));
      // Unreliable: resend until one round trip makes it (loopback rarely drops anything).
      const timer = setInterval(() => conn.sendDatagram(Buffer.from('ab')), 50);
      assert.ok(conn.sendDatagram(Buffer.from('ab')));
      assert.equal(await got, 'abab');
      clearInterval(timer);
      await conn.close();
    } finally {
      await server.close();
    }
  });
});
