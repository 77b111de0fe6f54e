/**
 * Node conventions of tsquic/node, each on real UDP sockets on loopback: AbortSignal on connect,
 * openStream and listen; the 'keylog' event; rejectUnauthorized and checkServerIdentity;
 * authorized and getPeerCertificate(); the server's 'tlsClientError', 'keylog' and 'error';
 * address() with family;
 * ref()/unref(); Symbol.asyncDispose; stream.destroy(err) resetting with err.code;
 * NODE_EXTRA_CA_CERTS.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  checkServerIdentity,
  connect,
  createServer,
  type ConnectOptions,
  type QuicConnection,
  type QuicNodeError,
  type QuicServer,
  type QuicStreamError,
} from '../../src/node/index.js';
import { UdpSocket, type DatagramSocket, type SocketBinder } from '../../src/node/udp.js';
import { Children, nodeArgsFor, testCert, waitExit } from './helpers.js';

describe('node adapter: Node conventions', function () {
  this.timeout(30_000);
  const { certPem, keyPem, der } = testCert();
  let server: QuicServer;
  let port = 0;
  const serverConns: QuicConnection[] = [];
  const children = new Children();

  before(async () => {
    server = createServer({ cert: certPem, key: keyPem, alpn: ['echo'], maxStreamsBidi: 1 });
    server.on('connection', (conn) => {
      serverConns.push(conn);
      conn.on('stream', (s) => s.pipe(s));
    });
    port = (await server.listen(0, '127.0.0.1')).port;
  });

  after(async () => {
    children.killAll();
    await server.close();
  });

  function open(extra: Partial<ConnectOptions> = {}): QuicConnection {
    return connect(
      { host: '127.0.0.1', port },
      { alpn: ['echo'], ca: certPem, serverName: 'localhost', ...extra },
    );
  }

  async function codeOf(p: Promise<unknown>): Promise<string> {
    return p.then(
      () => 'resolved',
      (e: QuicNodeError) => e.code,
    );
  }

  it('connect({ signal }): aborting before the handshake completes fails it with ERR_QUIC_ABORTED', async () => {
    // A UDP socket that swallows the client's Initial: the handshake would wait for its timeout.
    const sink = dgram.createSocket('udp4');
    await new Promise<void>((r) => sink.bind(0, '127.0.0.1', r));
    try {
      const ac = new AbortController();
      sink.once('message', () => ac.abort(new Error('enough')));
      const conn = connect(
        { host: '127.0.0.1', port: sink.address().port },
        { alpn: ['echo'], ca: certPem, serverName: 'localhost', signal: ac.signal },
      );
      const err = await conn.ready.then(
        () => assert.fail('the handshake completed'),
        (e: QuicNodeError) => e,
      );
      assert.equal(err.code, 'ERR_QUIC_ABORTED');
      assert.equal((err.cause as Error).message, 'enough');
      assert.equal(await codeOf(conn.closed), 'ERR_QUIC_ABORTED');
      // Already aborted: fails at once.
      const late = open({ signal: AbortSignal.abort() });
      assert.equal(await codeOf(late.ready), 'ERR_QUIC_ABORTED');
    } finally {
      sink.close();
    }
  });

  it('openStream({ signal }): aborting gives up the wait for stream credit', async () => {
    const conn = open();
    try {
      await conn.ready;
      const first = await conn.openStream(); // the server allows one bidirectional stream
      const ac = new AbortController();
      const second = conn.openStream({ signal: ac.signal });
      ac.abort();
      assert.equal(await codeOf(second), 'ERR_QUIC_ABORTED');
      assert.equal(
        await codeOf(conn.openStream({ signal: AbortSignal.abort() })),
        'ERR_QUIC_ABORTED',
      );
      first.end('x');
      for await (const _ of first) void _;
    } finally {
      await conn.close();
    }
  });

  it('listen(port, host, { signal }) closes the server when aborted; address() has the family', async () => {
    const s = createServer({ cert: certPem, key: keyPem, alpn: ['echo'] });
    const ac = new AbortController();
    const addr = await s.listen(0, '127.0.0.1', { signal: ac.signal });
    assert.equal(addr.family, 'IPv4');
    assert.deepEqual(s.address(), addr);
    const closed = once(s, 'close');
    ac.abort();
    await closed;
    await assert.rejects(
      createServer({ cert: certPem, key: keyPem, alpn: ['echo'] }).listen(0, '127.0.0.1', {
        signal: AbortSignal.abort(),
      }),
      { code: 'ERR_QUIC_ABORTED' },
    );
  });

  it("emits 'keylog' lines as node:tls does, beside the keyLog callback", async () => {
    const fromEvent: string[] = [];
    const fromCallback: string[] = [];
    const conn = open({ keyLog: (line) => fromCallback.push(line) });
    conn.on('keylog', (line) => fromEvent.push(line.toString('latin1')));
    try {
      await conn.ready;
      assert.ok(fromEvent.length >= 4, `${fromEvent.length} lines`);
      assert.deepEqual(
        fromEvent,
        fromCallback.map((l) => `${l}\n`),
      );
      assert.ok(fromEvent.some((l) => l.startsWith('CLIENT_HANDSHAKE_TRAFFIC_SECRET ')));
    } finally {
      await conn.close();
    }
  });

  it('authorized, getPeerCertificate() and address() after a verified handshake', async () => {
    const conn = open();
    try {
      assert.equal(conn.authorized, false);
      await conn.ready;
      assert.equal(conn.authorized, true);
      const cert = conn.getPeerCertificate();
      assert.ok(cert !== null);
      assert.deepEqual(new Uint8Array(cert.raw), der);
      assert.match(cert.subjectaltname, /DNS:localhost/);
      assert.match(cert.fingerprint256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
      assert.equal(conn.getPeerX509Certificate()?.checkHost('localhost'), 'localhost');
      assert.equal(conn.address()?.family, 'IPv4');
      // The server asked for no client certificate: it verified nothing.
      const serverSide = serverConns.at(-1)!;
      assert.equal(serverSide.authorized, false);
      assert.equal(serverSide.getPeerCertificate(), null);
    } finally {
      await conn.close();
    }
  });

  it('rejectUnauthorized: false connects without a trusted CA, unauthorized', async () => {
    const conn = connect(
      { host: '127.0.0.1', port },
      { alpn: ['echo'], rejectUnauthorized: false },
    );
    try {
      await conn.ready;
      assert.equal(conn.authorized, false);
      assert.ok(conn.getPeerCertificate() !== null);
    } finally {
      await conn.close();
    }
  });

  it('checkServerIdentity can refuse a certificate: ready rejects with ERR_QUIC_CERTIFICATE', async () => {
    const seen: string[] = [];
    const conn = open({
      checkServerIdentity: (host, cert) => {
        seen.push(host, cert?.subjectaltname ?? '');
        return new Error('not the pinned key');
      },
    });
    const err = await conn.ready.then(
      () => assert.fail('accepted'),
      (e: QuicNodeError) => e,
    );
    assert.equal(err.code, 'ERR_QUIC_CERTIFICATE');
    assert.match(err.message, /not the pinned key/);
    assert.equal(seen[0], 'localhost');
    assert.match(seen[1]!, /DNS:localhost/);
    // Returning undefined accepts.
    const ok = open({ checkServerIdentity: () => undefined });
    await ok.ready;
    await ok.close();
  });

  it('checkServerIdentity replaces the built-in name check, as node:tls, and not the chain check', async () => {
    // The certificate names localhost, 127.0.0.1 and ::1, not other.test.
    const other = { serverName: 'other.test' };
    assert.equal(await codeOf(open(other).ready), 'ERR_QUIC_CERTIFICATE', 'the built-in check');
    const hosts: string[] = [];
    const replaced = open({
      ...other,
      checkServerIdentity: (host) => void hosts.push(host),
    });
    await replaced.ready;
    assert.deepEqual(hosts, ['other.test']);
    await replaced.close();
    // The built-in check, exported, called from the user's.
    const kept = open({ ...other, checkServerIdentity: (h, c) => checkServerIdentity(h, c) });
    const err = await kept.ready.then(
      () => assert.fail('accepted'),
      (e: QuicNodeError) => e,
    );
    assert.equal(err.code, 'ERR_QUIC_CERTIFICATE');
    assert.match(err.message, /host name 'other\.test' does not match the certificate/);
    assert.equal(checkServerIdentity('localhost', replaced.getPeerCertificate()), undefined);
    assert.equal(checkServerIdentity('[::1]', replaced.getPeerCertificate()), undefined);
    assert.equal(
      (checkServerIdentity('x.test', null) as Error & { code: string }).code,
      'ERR_TLS_CERT_ALTNAME_INVALID',
    );
    // The chain is still verified: an untrusted certificate fails before the user's check.
    const { certPem: stranger } = testCert(['stranger.test']);
    let called = false;
    const untrusted = open({ ca: stranger, checkServerIdentity: () => void (called = true) });
    assert.equal(await codeOf(untrusted.ready), 'ERR_QUIC_CERTIFICATE');
    assert.equal(called, false);
  });

  it("the server emits 'keylog' with the connection, the same lines as the client's", async () => {
    const serverLines = new Map<number, string[]>();
    const onLine = (line: Buffer, c: QuicConnection): void => {
      const port = c.remoteAddress.port;
      serverLines.set(port, [...(serverLines.get(port) ?? []), line.toString()]);
    };
    server.on('keylog', onLine);
    const clientLines: string[] = [];
    const conn = open();
    conn.on('keylog', (line) => clientLines.push(line.toString()));
    try {
      await conn.ready;
      const s = await conn.openStream();
      s.end('x');
      await s.toArray(); // the echo: the server has its 1-RTT secrets by now
      const mine = serverLines.get(conn.address()!.port) ?? [];
      assert.ok(
        mine.some((l) => l.startsWith('SERVER_TRAFFIC_SECRET_0 ')),
        mine.join(''),
      );
      assert.ok(mine.every((l) => l.endsWith('\n')));
      assert.deepEqual([...mine].sort(), [...clientLines].sort());
    } finally {
      server.off('keylog', onLine);
      await conn.close();
    }
  });

  it("a server's socket errors are its 'error' (only while listened to), never a handshake's", async () => {
    let report: ((err: Error & { code?: string }) => void) | undefined;
    const binder: SocketBinder = (host, port, opts, handlers) => {
      report = (err) => handlers.error(err, socket!);
      let socket: DatagramSocket | undefined;
      return UdpSocket.bind(host, port, opts, handlers).then((s) => (socket = s));
    };
    const s = createServer({ cert: certPem, key: keyPem, alpn: ['echo'], bindSocket: binder });
    try {
      await s.listen(0, '127.0.0.1');
      const eperm = Object.assign(new Error('send EPERM'), { code: 'EPERM' });
      report!(eperm); // unheard: no throw, the server goes on
      const heard = once(s, 'error');
      report!(eperm);
      const [error] = (await heard) as [QuicNodeError];
      assert.equal(error.code, 'ERR_QUIC_SOCKET');
      assert.equal(error.cause, eperm);
      // A refused handshake is a 'tlsClientError', not an 'error'.
      const errors: unknown[] = [];
      s.on('error', (e) => errors.push(e));
      const refused = once(s, 'tlsClientError');
      const conn = connect(
        { host: '127.0.0.1', port: s.address()!.port },
        { alpn: ['other'], ca: certPem, serverName: 'localhost' },
      );
      assert.notEqual(await codeOf(conn.ready), 'resolved');
      await refused;
      assert.deepEqual(errors, []);
    } finally {
      await s.close();
    }
  });

  it("the server emits 'tlsClientError' for a handshake the client refused", async () => {
    const other = testCert(['other.example']);
    // The server's side of this client: an earlier test's aborted handshake may end meanwhile
    // and be reported too (as it should), so the event is matched by the client's port.
    const failures: [QuicNodeError, QuicConnection][] = [];
    server.on('tlsClientError', (error, serverSide) => failures.push([error, serverSide]));
    const conn = open({ ca: other.certPem });
    assert.equal(await codeOf(conn.ready), 'ERR_QUIC_CERTIFICATE');
    const port = conn.address()?.port;
    let mine: [QuicNodeError, QuicConnection] | undefined;
    while ((mine = failures.find(([, c]) => c.remoteAddress.port === port)) === undefined) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const [error, serverSide] = mine;
    assert.equal(error.code, 'ERR_QUIC_CERTIFICATE');
    assert.equal(serverSide.handshakeComplete, false);
  });

  it('stream.destroy(err) resets with err.code when it is a number, else 0x1', async () => {
    const conn = open();
    try {
      await conn.ready;
      for (const [err, expected] of [
        [Object.assign(new Error('app says stop'), { code: 0x42 }), 0x42],
        [Object.assign(new Error('node style'), { code: 'EPIPE' }), 0x1],
      ] as const) {
        const serverStream = new Promise<QuicStreamError>((resolve) => {
          serverConns.at(-1)!.once('stream', (s) => s.once('error', resolve));
        });
        const s = await conn.openStream();
        s.on('error', () => {}); // destroy(err) emits err here too, as any Duplex does
        s.write('hello');
        await new Promise((r) => setImmediate(r));
        s.destroy(err);
        const seen = await serverStream;
        assert.equal(seen.code, 'ERR_QUIC_STREAM_RESET');
        assert.equal(seen.errorCode, expected);
      }
    } finally {
      await conn.close();
    }
  });

  it('Symbol.asyncDispose closes a connection and a server', async () => {
    const s = createServer({ cert: certPem, key: keyPem, alpn: ['echo'] });
    const { port: p } = await s.listen(0, '127.0.0.1');
    const conn = connect(
      { host: '127.0.0.1', port: p },
      { alpn: ['echo'], ca: certPem, serverName: 'localhost' },
    );
    await conn.ready;
    await conn[Symbol.asyncDispose]();
    assert.equal(conn.isClosed, true);
    const closed = once(s, 'close');
    await s[Symbol.asyncDispose]();
    await closed;
  });

  it('trusts the certificates of NODE_EXTRA_CA_CERTS when no ca is given', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tsquic-extra-ca-'));
    const file = path.join(dir, 'extra.pem');
    writeFileSync(file, certPem);
    const saved = process.env['NODE_EXTRA_CA_CERTS'];
    try {
      delete process.env['NODE_EXTRA_CA_CERTS'];
      const untrusted = connect(
        { host: '127.0.0.1', port },
        { alpn: ['echo'], serverName: 'localhost' },
      );
      assert.equal(await codeOf(untrusted.ready), 'ERR_QUIC_CERTIFICATE');
      process.env['NODE_EXTRA_CA_CERTS'] = file;
      const trusted = connect(
        { host: '127.0.0.1', port },
        { alpn: ['echo'], serverName: 'localhost' },
      );
      await trusted.ready;
      assert.equal(trusted.authorized, true);
      await trusted.close();
    } finally {
      if (saved === undefined) delete process.env['NODE_EXTRA_CA_CERTS'];
      else process.env['NODE_EXTRA_CA_CERTS'] = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('unref(): an open connection and server do not keep the process alive', async () => {
    const child = children.spawn([
      process.execPath,
      ...nodeArgsFor(import.meta.url, './fixtures/unref-child'),
    ]);
    // The bound is only a safety net: a process held by a ref'd handle would wait 10 minutes.
    const result = await waitExit(child, 25_000);
    assert.equal(result.killed, false, `the child did not exit; stderr: ${result.stderr}`);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /open and unref/);
  });

  it('ref() after unref(): the connection and server hold the process again', async () => {
    const child = children.spawn([
      process.execPath,
      ...nodeArgsFor(import.meta.url, './fixtures/unref-child'),
      'ref',
    ]);
    const result = await waitExit(child, 25_000);
    assert.equal(result.code, 0, result.stderr);
    // Without ref() the process would have ended before the unref'd timer that closes them.
    assert.match(result.stdout, /open and unref\nheld by ref/);
  });
});
