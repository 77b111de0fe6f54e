/**
 * `tsquic get` sends a request the server did not process once more, on a new connection (RFC
 * 9114 §5.2: requests at or above a GOAWAY's identifier were not processed; §4.1.1
 * H3_REQUEST_REJECTED says the same). GET and HEAD only; any other failure, or a second
 * refusal, stays an error: exit 1 and one line. The server runs in this process on loopback and
 * ends HTTP/3 with GOAWAY on the connections it is told to, before any request is processed.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { H3_ALPN, serveH3Connection } from '../../src/cli/h3-handlers.js';
import type { QuicConnection } from '../../src/node/connection.js';
import { createServer, type QuicServer } from '../../src/node/server.js';
import { testCertificate } from '../../src/testing/pair.js';
import { payload } from '../node/helpers.js';
import { runCli, stderrLine } from './run-cli.js';

const BODY = payload(100_000, 8);

describe('tsquic get: a request the server did not process is sent again', function () {
  this.timeout(30_000);
  let work = '';
  let out = '';
  let server: QuicServer;
  let port = 0;
  /** How many connections refuse everything with GOAWAY, counted from the next one. */
  let refusing = 0;
  /** The refusing connections send their GOAWAY when the first request arrives, not before. */
  let refuseOnArrival = false;
  /** Connections accepted, and how many of them sent GOAWAY before any request. */
  let connections = 0;
  let goaways = 0;
  /** Requests that reached the handler. */
  let handled: string[] = [];

  before(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'tsquic-retry-'));
    out = path.join(work, 'out');
    mkdirSync(out);
    server = createServer({ alpn: [H3_ALPN], certificate: testCertificate().cert });
    server.on('connection', (conn: QuicConnection) => {
      connections++;
      const refuse = refusing > 0;
      if (refuse) refusing--;
      if (refuse && refuseOnArrival) {
        // Heard before HTTP/3 hears of the stream: the request was sent before the GOAWAY
        // existed, and the server resets it unprocessed with H3_REQUEST_REJECTED (§4.1.1).
        conn.core.on('stream', (stream) => {
          if (stream.bidirectional && h3.session.goawaySent === null) h3.session.sendGoaway(0);
        });
      }
      const h3 = serveH3Connection(conn, (req, res) => {
        handled.push(`${req.method} ${req.path ?? ''}`);
        res.writeHead(200, { 'content-length': BODY.length }).end(BODY);
      });
      if (refuse) {
        // GOAWAY with identifier 0 before any request arrived: none is processed (RFC 9114
        // §5.2); once the handshake is done the connection closes gracefully (H3_NO_ERROR).
        goaways++;
        if (!refuseOnArrival) h3.session.sendGoaway(0);
        void conn.ready.then(() => h3.close());
      }
    });
    port = (await server.listen(0, '127.0.0.1')).port;
  });

  after(async () => {
    await server.close();
    rmSync(work, { recursive: true, force: true });
  });

  beforeEach(() => {
    refusing = 0;
    refuseOnArrival = false;
    connections = 0;
    goaways = 0;
    handled = [];
  });

  afterEach(() => {
    for (const f of readdirSync(out)) rmSync(path.join(out, f));
  });

  const url = (p: string): string => `https://127.0.0.1:${port}${p}`;
  const get = (...args: string[]): ReturnType<typeof runCli> =>
    runCli(['get', '--insecure', '--timeout', '10', ...args]);

  it('GET refused by GOAWAY: sent again on a new connection, exit 0', async () => {
    refusing = 1;
    const r = await get('-o', out, url('/a.bin'));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.ok(readFileSync(path.join(out, 'a.bin')).equals(BODY), 'the body, byte for byte');
    assert.equal(connections, 2);
    assert.equal(goaways, 1);
    assert.deepEqual(handled, ['GET /a.bin'], 'processed once, on the second connection');
  });

  it('GET sent before the GOAWAY and rejected unprocessed: sent again, exit 0', async () => {
    refusing = 1;
    refuseOnArrival = true;
    const r = await get('-o', out, url('/a.bin'));
    assert.equal(r.code, 0, r.stderr);
    assert.ok(readFileSync(path.join(out, 'a.bin')).equals(BODY), 'the body, byte for byte');
    assert.equal(connections, 2);
    assert.deepEqual(handled, ['GET /a.bin']);
  });

  it('several requests refused together go again together; -v says so', async () => {
    refusing = 1;
    const r = await get('-v', '-o', out, url('/a.bin'), url('/b.bin'));
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /2 requests not processed by the server .*sent again on a new connection/,
    );
    for (const name of ['a.bin', 'b.bin'])
      assert.ok(readFileSync(path.join(out, name)).equals(BODY), name);
    assert.equal(connections, 2);
    assert.deepEqual(handled.sort(), ['GET /a.bin', 'GET /b.bin']);
  });

  it('HEAD is sent again too', async () => {
    refusing = 1;
    const r = await get('-I', '-o', out, url('/h'));
    assert.equal(r.code, 0, r.stderr);
    assert.match(readFileSync(path.join(out, 'h'), 'latin1'), /^HTTP\/3 200\r\n/);
    assert.equal(connections, 2);
    assert.deepEqual(handled, ['HEAD /h']);
  });

  it('refused again on the new connection: exit 1, one line, no third connection', async () => {
    refusing = 2;
    const r = await get('-o', out, url('/a.bin'));
    const line = stderrLine(r, 1);
    assert.match(line, /\/a\.bin: .*(GOAWAY|rejected|closing)/i);
    assert.equal(connections, 2, 'one retry only');
    assert.deepEqual(handled, []);
    assert.deepEqual(readdirSync(out), [], 'no file for a body that never came');
  });

  it('POST is not sent again: the failure is reported', async () => {
    refusing = 1;
    const r = await get('-d', 'x=1', url('/post'));
    const line = stderrLine(r, 1);
    assert.match(line, /\/post: /);
    assert.equal(connections, 1);
    assert.deepEqual(handled, []);
  });
});
