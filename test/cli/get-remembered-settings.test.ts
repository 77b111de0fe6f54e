/**
 * Remembered SETTINGS for 0-RTT (RFC 9114 §7.2.4.2, RFC 9204 §3.2.3): `tsquic get --session`
 * stores the server's HTTP/3 SETTINGS with its ticket, and a later `--early-data` run encodes its
 * 0-RTT requests against them, so the QPACK dynamic table is in use before the handshake ends.
 * The server (in this process) records, for each request, whether it arrived before the
 * handshake completed and how many QPACK inserts its decoder had then. The checks the client
 * makes when the server's SETTINGS arrive are unit-tested in test/h3/remembered-settings.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { H3_ALPN, serveH3Connection } from '../../src/cli/h3-handlers.js';
import { SessionFile } from '../../src/cli/session-file.js';
import type { H3Server } from '../../src/h3/api/server.js';
import type { QuicConnection } from '../../src/node/connection.js';
import { createServer, type QuicServer } from '../../src/node/server.js';
import { testCertificate } from '../../src/testing/pair.js';
import { runCli, type CliRun } from './run-cli.js';

interface Seen {
  early: boolean;
  inserts: number;
}

describe('tsquic get: SETTINGS remembered for 0-RTT', function () {
  this.timeout(30_000);
  let work = '';
  let server: QuicServer;
  let port = 0;
  const seen: Seen[] = [];

  before(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'tsquic-settings-'));
    server = createServer({
      alpn: [H3_ALPN],
      certificate: testCertificate().cert,
      earlyData: true,
    });
    server.on('connection', (conn: QuicConnection) => {
      // Taken at once, before the handshake completes: 0-RTT requests are served early.
      const h3: H3Server = serveH3Connection(conn, (req, res) => {
        seen.push({ early: !conn.handshakeComplete, inserts: h3.qpackStats.decoderInsertCount });
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      });
    });
    port = (await server.listen(0, '127.0.0.1')).port;
  });

  after(async () => {
    await server.close();
    rmSync(work, { recursive: true, force: true });
  });

  const get = (session: string, ...extra: string[]): Promise<CliRun> =>
    runCli([
      'get',
      '--insecure',
      '-o',
      work,
      '--session',
      session,
      ...extra,
      '--stats',
      `https://localhost:${port}/a-request-path-long-enough-to-be-worth-an-insert`,
    ]);

  it('stores the SETTINGS with the ticket and encodes 0-RTT requests against them', async () => {
    const session = path.join(work, 'session.json');
    let r = await get(session);
    assert.equal(r.code, 0, r.stderr);
    const saved = JSON.parse(readFileSync(session, 'utf8')) as {
      servers: Record<string, { ticket?: string; settings?: Record<string, number> }>;
    };
    const entry = saved.servers[`localhost:${port}`];
    assert.ok(entry?.ticket !== undefined, 'ticket saved');
    // SETTINGS_QPACK_MAX_TABLE_CAPACITY (0x1) and SETTINGS_QPACK_BLOCKED_STREAMS (0x7).
    assert.equal(entry.settings?.['1'], 4096);
    assert.equal(entry.settings?.['7'], 16);

    seen.length = 0;
    r = await get(session, '--early-data');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      (JSON.parse(r.stderr.trim()) as { earlyDataAccepted: boolean }).earlyDataAccepted,
      true,
    );
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.early, true, 'the request arrived in 0-RTT');
    assert.ok(seen[0]!.inserts > 0, 'the 0-RTT request used the dynamic table');
  });

  it('without remembered SETTINGS the 0-RTT request uses no dynamic table', async () => {
    const session = path.join(work, 'session-no-settings.json');
    let r = await get(session);
    assert.equal(r.code, 0, r.stderr);
    const saved = JSON.parse(readFileSync(session, 'utf8')) as {
      servers: Record<string, { settings?: unknown }>;
    };
    delete saved.servers[`localhost:${port}`]!.settings;
    writeFileSync(session, JSON.stringify(saved));
    seen.length = 0;
    r = await get(session, '--early-data');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.early, true, 'the request arrived in 0-RTT');
    assert.equal(
      seen[0]!.inserts,
      0,
      'defaults: no dynamic table before the SETTINGS (RFC 9204 §3.2.3)',
    );
  });

  it('keeps setting values past 2^53, as servers send for "no limit" (ngtcp2: 2^53)', () => {
    const file = path.join(work, 'session-large.json');
    for (const big of [2 ** 53, 2 ** 62 - 1]) {
      SessionFile.read(file, false).update('x:1', {
        settings: new Map([
          [6, big],
          [7, 16],
        ]),
      });
      const back = SessionFile.read(file, true).get('x:1').settings;
      assert.equal(back?.get(6), big);
      assert.equal(back?.get(7), 16);
    }
    writeFileSync(
      file,
      JSON.stringify({ 'tsquic-session': 1, servers: { 'x:1': { settings: { 6: 2 ** 63 } } } }),
    );
    assert.throws(
      () => SessionFile.read(file, true),
      /setting 6 = 9223372036854776000 is not a varint value/,
    );
  });

  it('refuses a session file with a malformed setting (exit 2, one line)', async () => {
    const session = path.join(work, 'session-bad.json');
    writeFileSync(
      session,
      JSON.stringify({ 'tsquic-session': 1, servers: { 'x:1': { settings: { 1: -5 } } } }),
    );
    const r = await get(session);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^tsquic: --session .*: x:1: setting 1 = -5 is not a varint value\n$/);
  });
});
