/**
 * The HTTP/3 pieces of `tsquic serve` and `tsquic get` (src/cli/h3-handlers.ts) over UDP on
 * loopback: the file handler (GET, HEAD, 404, refused paths, other methods, a file larger than
 * the stream buffers) and h3Get (status check, body to a slow Writable, graceful close).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import {
  closeH3,
  describeH3Error,
  H3_ALPN,
  h3FileHandler,
  h3Get,
  H3StatusError,
  serveH3Connection,
} from '../../src/cli/h3-handlers.js';
import { HqFileServer } from '../../src/cli/hq-server.js';
import { h3Client, type H3Client } from '../../src/h3/api/client.js';
import type { H3Server } from '../../src/h3/api/server.js';
import { connect } from '../../src/node/client.js';
import type { QuicConnection } from '../../src/node/connection.js';
import { createServer } from '../../src/node/server.js';
import { bytesEqual } from '../../src/util/bytes.js';
import { pattern } from '../scenario/transfer-kit.js';
import { testCertificate } from '../../src/testing/index.js';

describe('tsquic h3 handlers', function () {
  this.timeout(20_000);
  let work = '';
  let root = '';
  let files: HqFileServer;
  const big = pattern(1536 * 1024 + 17, 8);

  before(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'tsquic-h3-cli-'));
    root = path.join(work, 'www');
    mkdirSync(path.join(root, 'sub'), { recursive: true });
    writeFileSync(path.join(root, 'hello.txt'), 'hello, h3\n');
    writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>t</title>\n');
    writeFileSync(path.join(root, 'sub', 'big.bin'), big);
    writeFileSync(path.join(work, 'secret.txt'), 'outside the root');
    symlinkSync(path.join(work, 'secret.txt'), path.join(root, 'link.txt'));
    files = await HqFileServer.open(root);
  });

  after(() => rmSync(work, { recursive: true, force: true }));

  // File I/O completes outside the virtual clock of the in-memory network: real UDP here.
  let server: ReturnType<typeof createServer>;
  let port = 0;
  const sessions: H3Server[] = [];

  before(async () => {
    server = createServer({ alpn: [H3_ALPN], certificate: testCertificate().cert });
    const handler = h3FileHandler(files);
    server.on('connection', (conn: QuicConnection) =>
      sessions.push(serveH3Connection(conn, handler)),
    );
    port = (await server.listen(0, '127.0.0.1')).port;
  });

  after(async () => {
    await server.close();
  });

  function open(): QuicConnection {
    return connect(
      { host: '127.0.0.1', port },
      { alpn: [H3_ALPN], ca: testCertificate().ca, serverName: 'localhost' },
    );
  }

  describe('h3FileHandler', () => {
    let conn: QuicConnection;
    let client: H3Client;
    before(async () => {
      conn = open();
      await conn.ready;
      client = h3Client(conn.core, { authority: `localhost:${port}` });
    });
    after(async () => {
      await client.close();
    });

    async function get(p: string, method = 'GET') {
      const res = await client.request({ method, path: p });
      return { res, body: await res.body.bytes() };
    }

    it('serves a file with its content-length, and HEAD without the body', async () => {
      const { res, body } = await get('/hello.txt');
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-length'], '10');
      assert.equal(Buffer.from(body).toString(), 'hello, h3\n');
      const head = await get('/hello.txt', 'HEAD');
      assert.equal(head.res.status, 200);
      assert.equal(head.res.headers['content-length'], '10');
      assert.equal(head.body.length, 0);
    });

    it('labels each file with the content-type of its extension', async () => {
      const page = await get('/index.html');
      assert.equal(page.res.headers['content-type'], 'text/html; charset=utf-8');
      const text = await get('/hello.txt', 'HEAD');
      assert.equal(text.res.headers['content-type'], 'text/plain; charset=utf-8');
    });

    it('streams a file larger than the stream buffers, byte for byte', async () => {
      const { res, body } = await get('/sub/big.bin');
      assert.equal(res.headers['content-length'], String(big.length));
      assert.equal(res.headers['content-type'], 'application/octet-stream');
      assert.ok(bytesEqual(body, big));
    });

    it('answers 404 for missing files and for every path leaving the root', async () => {
      for (const p of [
        '/missing.txt',
        '/../secret.txt',
        '/sub/../../secret.txt',
        '/%2e%2e/secret.txt',
        '/link.txt',
        '/sub',
        '/hello.txt%00',
        '/hello.txt/',
        '/hello.txt/.',
        '/hello.txt%2F',
        '/sub/big.bin/',
      ]) {
        const { res, body } = await get(p);
        assert.equal(res.status, 404, p);
        assert.equal(Buffer.from(body).toString(), 'not found\n', p);
      }
    });

    it('refuses other methods with 405', async () => {
      const { res } = await get('/hello.txt', 'DELETE');
      assert.equal(res.status, 405);
      assert.equal(res.headers['allow'], 'GET, HEAD');
    });
  });

  describe('h3Get', () => {
    /** Ends a sink and waits until it processed every chunk. */
    async function finished(stream: Writable): Promise<void> {
      stream.end();
      await once(stream, 'finish');
    }

    function sink(): { stream: Writable; chunks: Buffer[] } {
      const chunks: Buffer[] = [];
      const stream = new Writable({
        highWaterMark: 16 * 1024,
        write(chunk: Buffer, _enc, cb) {
          chunks.push(chunk);
          setImmediate(cb); // a slow sink: backpressure reaches the HTTP/3 body
        },
      });
      return { stream, chunks };
    }

    it('fetches files on one connection, checks the status and closes with H3_NO_ERROR', async () => {
      const conn = open();
      const a = sink();
      const b = sink();
      const [na, nb] = await Promise.all([
        h3Get(conn, '/sub/big.bin', a.stream),
        h3Get(conn, '/hello.txt', b.stream),
      ]);
      assert.equal(na, big.length);
      await finished(a.stream);
      await finished(b.stream);
      assert.ok(bytesEqual(Buffer.concat(a.chunks), big));
      assert.equal(nb, 10);
      assert.equal(Buffer.concat(b.chunks).toString(), 'hello, h3\n');

      const missing = sink();
      await assert.rejects(h3Get(conn, '/nope', missing.stream), (e: unknown) => {
        assert.ok(e instanceof H3StatusError, String(e));
        assert.equal(e.status, 404);
        assert.equal(e.message, 'HTTP status 404 (not found)');
        return true;
      });
      assert.equal(missing.chunks.length, 0);

      await closeH3(conn);
      await conn.closed.catch(() => {});
      assert.equal(conn.core.closeInfo?.errorCode, 0x100);
      assert.equal(conn.core.closeInfo?.source, 'local');
      assert.equal(sessions.length, 2);
      assert.equal(describeH3Error(0x10b), '0x10b (H3_REQUEST_REJECTED)');
    });
  });

  it('serveH3Connection resets a request whose headers do not arrive within the header timeout', async () => {
    const slow = createServer({ alpn: [H3_ALPN], certificate: testCertificate().cert });
    slow.on('connection', (c: QuicConnection) =>
      serveH3Connection(c, h3FileHandler(files), { requestHeaderTimeout: 200 }),
    );
    const slowPort = (await slow.listen(0, '127.0.0.1')).port;
    const conn = connect(
      { host: '127.0.0.1', port: slowPort },
      { alpn: [H3_ALPN], ca: testCertificate().ca, serverName: 'localhost' },
    );
    try {
      await conn.ready;
      // A HEADERS frame announcing 65,535 bytes and 8 bytes of it, and nothing more.
      const stream = conn.core.openStream(true)!;
      stream.write(
        Uint8Array.from([1, 0x80, 0, 0xff, 0xff, 0, 0, 0xd1, 0xd7, 0x50, 0x89, 0x41, 0xed]),
      );
      conn.ping(); // sends it
      const code = await new Promise<number>((resolve) =>
        conn.core.on('streamReset', (_s, c) => resolve(c)),
      );
      assert.equal(code, 0x10b); // H3_REQUEST_REJECTED
    } finally {
      await conn.close();
      await slow.close();
    }
  });
});
