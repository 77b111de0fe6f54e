/**
 * A draining `tsquic serve` ends HTTP/3 gracefully (RFC 9114 §5.2): each h3 session sends GOAWAY,
 * the requests in progress finish, then the connection closes with H3_NO_ERROR, so an idle
 * client leaves at once instead of at the drain limit. In process: the serve protocols on a
 * QuicServer whose drain has no limit (it ends only if the connections close by themselves), and
 * H3Agent taking the requests after a GOAWAY to a new connection.
 * As a user runs it: `tsquic serve` (one engine, two workers) with an idle h3 client exits 0 on
 * SIGTERM although its drain limit is 100 s; a download in flight finishes, then it exits 0.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { h3Client, type H3Client } from '../../src/h3/api/client.js';
import { Http3StreamError } from '../../src/h3/api/errors.js';
import type { H3RequestHandler, H3Server } from '../../src/h3/api/server.js';
import { H3ErrorCode } from '../../src/h3/errors.js';
import type { CloseInfo } from '../../src/conn/connection.js';
import { H3_ALPN, serveH3Connection } from '../../src/cli/h3-handlers.js';
import { attachProtocols, type ServeProtocol } from '../../src/cli/serve.js';
import {
  connect,
  createServer,
  H3Agent,
  type QuicConnection,
  type QuicServer,
} from '../../src/node/index.js';
import { testCertificate } from '../../src/testing/pair.js';
import { payload } from '../node/helpers.js';
import {
  finished,
  Processes,
  removeSite,
  type Site,
  createSite,
  startServe,
  waitFor,
} from '../interop/matrix-kit.js';

/**
 * Waits until the client heard the server's GOAWAY (for stream 4: the request in progress) and
 * checks that a request made after it is refused unsent, as not processed (RFC 9114 §5.2).
 */
async function lateRequestRefused(
  h3: H3Client,
  path: string,
  ms: number,
): Promise<Http3StreamError> {
  await waitFor(() => !h3.acceptsRequests, ms, 'the GOAWAY');
  assert.equal(h3.session.goawayReceived, 4);
  const late = await h3.request({ path }).then(
    () => assert.fail('a request was sent after GOAWAY'),
    (e: unknown) => e,
  );
  assert.ok(late instanceof Http3StreamError, String(late));
  assert.equal(late.code, 'H3_REQUEST_REJECTED');
  return late;
}

/** The close of `conn` as seen by this side (it closes with H3_NO_ERROR, not code 0). */
function closeOf(conn: QuicConnection): Promise<CloseInfo> {
  return once(conn, 'close').then(([info]) => info as CloseInfo);
}

function assertH3NoError(info: CloseInfo): void {
  assert.equal(info.source, 'peer');
  assert.equal(info.application, true);
  assert.equal(info.errorCode, H3ErrorCode.H3_NO_ERROR);
}

describe('cli: serve drains HTTP/3 with GOAWAY', function () {
  this.timeout(30_000);
  let server: QuicServer | null = null;
  const conns: QuicConnection[] = [];
  /** The HTTP/3 sessions the server ran, in order. */
  const sessions: H3Server[] = [];

  afterEach(async () => {
    for (const c of conns.splice(0)) c.destroy();
    sessions.length = 0;
    await server?.close();
    server = null;
  });

  /** A server with the serve protocols' wiring and `handler` for HTTP/3. */
  async function start(handler: H3RequestHandler): Promise<number> {
    server = createServer({ alpn: [H3_ALPN], certificate: testCertificate().cert });
    const h3: ServeProtocol = {
      alpn: H3_ALPN,
      handleConnection: (conn) => {
        const session = serveH3Connection(conn, handler);
        sessions.push(session);
        return session;
      },
    };
    attachProtocols(server, new Map([[H3_ALPN, h3]]));
    return (await server.listen(0, '127.0.0.1')).port;
  }

  function connectTo(port: number): QuicConnection {
    const conn = connect(
      { host: '127.0.0.1', port },
      { alpn: [H3_ALPN], ca: testCertificate().ca, serverName: 'localhost' },
    );
    conns.push(conn);
    return conn;
  }

  function client(port: number): { conn: QuicConnection; h3: H3Client } {
    const conn = connectTo(port);
    return { conn, h3: h3Client(conn) };
  }

  it('an idle connection gets GOAWAY and closes with H3_NO_ERROR: an unbounded drain ends', async () => {
    const port = await start((_req, res) => res.end('hello'));
    const { conn, h3 } = client(port);
    const res = await h3.request({ path: '/' });
    assert.equal(await res.body.text(), 'hello');
    const closed = closeOf(conn);
    // No limit: the drain ends only because the connection closes by itself.
    await server!.drain(Infinity);
    assertH3NoError(await closed);
    await h3.closed; // a clean HTTP/3 close
    // The GOAWAY left before the CONNECTION_CLOSE: stream 0 was processed, 4 on are not.
    assert.equal(h3.session.goawayReceived, 4);
  });

  it('at the drain limit, a connection still busy closes with H3_NO_ERROR, not 0', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    let arrived: () => void = () => {};
    const inHandler = new Promise<void>((resolve) => (arrived = resolve));
    const port = await start(async (_req, res) => {
      arrived();
      await gate;
      res.end('late');
    });
    const { conn, h3 } = client(port);
    const stuck = h3.request({ path: '/stuck' }).catch((e: unknown) => e);
    await inHandler;
    const closed = closeOf(conn);
    try {
      // The request never finishes: the limit closes the connection, with HTTP/3's own clean
      // code (RFC 9114 §8.1, §5.2), as the server's close chose none.
      await server!.drain(300);
      assertH3NoError(await closed);
      assert.equal(h3.session.goawayReceived, 4);
      assert.ok((await stuck) instanceof Error, 'the unanswered request fails');
    } finally {
      release();
    }
  });

  it('a request in flight finishes byte for byte; the next is not sent on that connection', async () => {
    const body = payload(300_000, 7);
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    let arrived: () => void = () => {};
    const inHandler = new Promise<void>((resolve) => (arrived = resolve));
    const port = await start(async (_req, res) => {
      arrived();
      await gate;
      res.end(body);
    });
    const { conn, h3 } = client(port);
    const slow = h3.request({ path: '/slow' });
    await inHandler;
    const closed = closeOf(conn);
    const drained = server!.drain(Infinity);
    // The GOAWAY reaches the client while its request is still in progress.
    const late = await lateRequestRefused(h3, '/late', 10_000);
    assert.equal(late.remote, false);
    assert.equal(h3.pendingRequests, 1);
    release();
    const res = await slow;
    assert.ok(Buffer.from(await res.body.bytes()).equals(body), 'the body, byte for byte');
    await drained;
    assertH3NoError(await closed);
  });

  it('a connection whose HTTP/3 starts while the server drains gets GOAWAY at once', async () => {
    const port = await start((_req, res) => res.end('x'));
    const conn = connectTo(port);
    await conn.ready;
    const closed = closeOf(conn);
    // The client opens its streams only now, after the drain began.
    const drained = server!.drain(Infinity);
    const h3 = h3Client(conn);
    await drained;
    assertH3NoError(await closed);
    await h3.closed;
    assert.equal(h3.session.goawayReceived, 0);
  });

  it('H3Agent sends the requests after a GOAWAY on a new connection', async () => {
    const first = payload(1000, 3);
    const rest = payload(200_000, 4);
    let sendFirst: () => void = () => {};
    const firstGate = new Promise<void>((resolve) => (sendFirst = resolve));
    let sendRest: () => void = () => {};
    const restGate = new Promise<void>((resolve) => (sendRest = resolve));
    const port = await start(async (req, res) => {
      if (req.path !== '/slow') {
        res.end('fresh');
        return;
      }
      await firstGate;
      res.write(first);
      await restGate;
      res.end(rest);
    });
    const agent = new H3Agent({ ca: testCertificate().ca });
    try {
      const url = `https://localhost:${port}`;
      const slow = agent.fetch(`${url}/slow`);
      await waitFor(() => sessions[0]?.activeRequests === 1, 10_000, 'the request');
      const closed = sessions[0]!.close();
      // The GOAWAY leaves in this turn's flush, the response's header section and first bytes
      // in a later one: once they arrive, so has the GOAWAY.
      sendFirst();
      const res = await slow;
      const reader = res.body[Symbol.asyncIterator]();
      const chunks: Uint8Array[] = [];
      let got = 0;
      while (got < first.length) {
        const r = await reader.next();
        assert.equal(r.done, false);
        chunks.push(r.value as Uint8Array);
        got += (r.value as Uint8Array).length;
      }
      const fresh = await agent.fetch(`${url}/fresh`);
      assert.equal(await fresh.text(), 'fresh');
      assert.equal(sessions.length, 2, 'the second request went on a new connection');
      assert.equal(sessions[0]!.activeRequests, 1);
      sendRest();
      for (let r = await reader.next(); r.done !== true; r = await reader.next())
        chunks.push(r.value);
      assert.ok(Buffer.concat(chunks).equals(Buffer.concat([first, rest])), 'byte for byte');
      await closed; // a clean HTTP/3 close
      const transport = sessions[0]!.transport;
      await waitFor(() => transport.closeInfo !== null, 10_000, 'the CONNECTION_CLOSE');
      assert.equal(transport.closeInfo!.errorCode, H3ErrorCode.H3_NO_ERROR);
    } finally {
      await agent.close();
    }
  });
});

/** `tsquic serve` with two workers over the site, draining at most `drainTimeout` seconds. */
function workersServeArgs(s: Site, drainTimeout: string): string[] {
  return [
    '--root',
    s.www,
    '--cert',
    s.certFile,
    '--key',
    s.keyFile,
    '--workers',
    '2',
    '--drain-timeout',
    drainTimeout,
  ];
}

/** An h3 client connection whose stream window stays at `window`: the server cannot run ahead. */
function smallWindowConnect(port: number, certFile: string, window: number): QuicConnection {
  return connect(
    { host: '127.0.0.1', port },
    {
      alpn: [H3_ALPN],
      ca: readFileSync(certFile, 'utf8'),
      serverName: 'localhost',
      initialMaxStreamData: window,
      maxStreamWindow: window,
    },
  );
}

describe('cli: tsquic serve on SIGTERM with an idle h3 client', function () {
  this.timeout(60_000);
  let site: Site | undefined;
  const procs = new Processes();
  const conns: QuicConnection[] = [];

  before(() => {
    site = createSite('drain-h3', { big: false });
  });
  afterEach(() => {
    for (const c of conns.splice(0)) c.destroy();
    procs.killAll();
  });
  after(() => {
    procs.killAll();
    removeSite(site);
  });

  for (const workers of ['1', '2']) {
    it(`--workers ${workers}: exits 0 as soon as the client has left, not at the drain limit`, async () => {
      const s = site!;
      const { peer, port } = await startServe(procs, [
        '--root',
        s.www,
        '--cert',
        s.certFile,
        '--key',
        s.keyFile,
        '--workers',
        workers,
        // Far beyond the wait below: only the connection's end can stop the server in time.
        '--drain-timeout',
        '100',
      ]);
      const conn = connect(
        { host: '127.0.0.1', port },
        { alpn: [H3_ALPN], ca: readFileSync(s.certFile, 'utf8'), serverName: 'localhost' },
      );
      conns.push(conn);
      const h3 = h3Client(conn);
      const res = await h3.request({ path: '/1k.bin' });
      assert.equal(res.status, 200);
      assert.equal((await res.body.bytes()).length, 1024);
      const closed = closeOf(conn);
      peer.child.kill('SIGTERM');
      assertH3NoError(await closed);
      assert.equal(h3.session.goawayReceived, 4);
      const exit = await finished(peer, 20_000, `tsquic serve --workers ${workers}`);
      assert.equal(exit.code, 0, peer.output());
    });
  }

  it('--workers 2: at the drain limit a stalled download is closed with H3_NO_ERROR, exit 0', async () => {
    const s = site!;
    const name = 'drain-limit-h3.bin';
    writeFileSync(path.join(s.www, name), payload(1024 * 1024, 12));
    const { peer, port } = await startServe(procs, workersServeArgs(s, '0.5'));
    // Small windows and a body never read: the response cannot finish before the limit.
    const conn = smallWindowConnect(port, s.certFile, 16 * 1024);
    conns.push(conn);
    const h3 = h3Client(conn, { bodyHighWaterMark: 16 * 1024 });
    const res = await h3.request({ path: `/${name}` });
    assert.equal(res.status, 200);
    const closed = closeOf(conn);
    peer.child.kill('SIGTERM');
    // The worker closes what is left with HTTP/3's clean code (RFC 9114 §8.1), not 0.
    assertH3NoError(await closed);
    assert.equal(h3.session.goawayReceived, 4);
    const exit = await finished(peer, 20_000, 'tsquic serve --workers 2');
    assert.equal(exit.code, 0, peer.output());
  });

  it('--workers 2: an h3 download in flight finishes byte for byte, a later request is refused', async () => {
    const s = site!;
    const name = 'drain-h3.bin';
    const file = payload(2 * 1024 * 1024, 11);
    writeFileSync(path.join(s.www, name), file);
    const { peer, port } = await startServe(procs, workersServeArgs(s, '100'));
    // Small windows: the server cannot finish sending until the client reads.
    const conn = smallWindowConnect(port, s.certFile, 64 * 1024);
    conns.push(conn);
    const h3 = h3Client(conn, { bodyHighWaterMark: 64 * 1024 });
    const res = await h3.request({ path: `/${name}` });
    assert.equal(res.status, 200);
    const reader = res.body[Symbol.asyncIterator]();
    const chunks: Uint8Array[] = [];
    const firstChunk = await reader.next();
    assert.equal(firstChunk.done, false);
    chunks.push(firstChunk.value as Uint8Array);
    const closed = closeOf(conn);
    peer.child.kill('SIGTERM');
    await lateRequestRefused(h3, '/1k.bin', 15_000);
    // The server still waits for the download.
    assert.equal(peer.child.exitCode, null, peer.output());
    for (let r = await reader.next(); r.done !== true; r = await reader.next())
      chunks.push(r.value);
    assert.ok(Buffer.concat(chunks).equals(file), 'the file, byte for byte');
    assertH3NoError(await closed);
    const exit = await finished(peer, 20_000, 'tsquic serve --workers 2');
    assert.equal(exit.code, 0, peer.output());
  });
});
