/**
 * `tsquic get` never reports a failed transfer as a success: every way a request can end short
 * gives exit 1, one line on stderr, and no output file (partial files are removed). The server
 * runs in this process with handlers that misbehave on purpose; paths are shaped by a UDP relay
 * (an MTU below the endpoints' maximum, which path MTU discovery keeps within, a server that
 * loses its state and answers with stateless resets). `get` runs in-process through main().
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { H3_ALPN, serveH3Connection } from '../../src/cli/h3-handlers.js';
import { HqFileServer } from '../../src/cli/hq-server.js';
import { HQ_ALPN } from '../../src/cli/hq-protocol.js';
import type { H3ServerResponse } from '../../src/h3/api/server.js';
import type { QuicConnection } from '../../src/node/connection.js';
import { nativeUdpAddon } from '../../src/node/native-udp.js';
import { createServer, type QuicServer } from '../../src/node/server.js';
import { testCertificate } from '../../src/testing/pair.js';
import { payload } from '../node/helpers.js';
import { UdpRelay } from '../node/udp-relay.js';
import { runCli, stderrLine, type CliRun } from './run-cli.js';

const CHUNK = payload(64 * 1024, 5);
const BIG = payload(4 * 1024 * 1024, 6);

/** Writes `CHUNK` and then `then` (the misbehaviour). */
async function startBody(res: H3ServerResponse, length: number): Promise<void> {
  res.writeHead(200, { 'content-length': length });
  res.write(CHUNK);
  await new Promise((resolve) => setTimeout(resolve, 50));
}

describe('tsquic get: honest outcomes', function () {
  this.timeout(30_000);
  let work = '';
  let out = '';
  let server: QuicServer;
  let port = 0;
  const conns: QuicConnection[] = [];
  const held: H3ServerResponse[] = [];

  before(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'tsquic-outcomes-'));
    out = path.join(work, 'out');
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(out);
    mkdirSync(path.join(work, 'www'));
    writeFileSync(path.join(work, 'www', 'big.bin'), BIG);
    const files = await HqFileServer.open(path.join(work, 'www'));
    server = createServer({ alpn: [H3_ALPN, HQ_ALPN], certificate: testCertificate().cert });
    server.on('connection', async (conn: QuicConnection) => {
      conns.push(conn);
      await conn.ready;
      if (conn.alpn === HQ_ALPN) {
        conn.on('stream', (s) => files.handleStream(s));
        return;
      }
      serveH3Connection(conn, async (req, res) => {
        switch (req.path) {
          case '/big.bin':
            res.writeHead(200, { 'content-length': BIG.length });
            for (let i = 0; i < BIG.length && res.aborted === null; i += CHUNK.length) {
              if (!res.write(BIG.subarray(i, i + CHUNK.length))) {
                await new Promise<void>((resolve) => {
                  res.once('drain', () => resolve());
                  res.once('close', () => resolve());
                });
              }
            }
            res.end();
            return;
          case '/stall': // part of the body, then nothing at all
            await startBody(res, 10 * CHUNK.length);
            held.push(res);
            return;
          case '/reset':
            await startBody(res, 10 * CHUNK.length);
            res.destroy(0x102); // H3_INTERNAL_ERROR
            return;
          case '/close':
            await startBody(res, 10 * CHUNK.length);
            conn.destroy(new Error('gone'), 0x102);
            return;
          case '/short': // declares more than it sends, then ends the stream
            await startBody(res, 2 * CHUNK.length);
            res.end();
            return;
          default:
            res.writeHead(404).end();
        }
      });
    });
    port = (await server.listen(0, '127.0.0.1')).port;
  });

  after(async () => {
    for (const r of held) r.destroy();
    await server.close();
    rmSync(work, { recursive: true, force: true });
  });

  afterEach(() => {
    assert.deepEqual(readdirSync(out), [], 'no partial file is left behind');
  });

  const get = (url: string, ...flags: string[]): Promise<CliRun> =>
    runCli(['get', '--insecure', '-o', out, ...flags, url]);

  it('--timeout expiring mid-transfer', async () => {
    const r = await get(`https://127.0.0.1:${port}/stall`, '--timeout', '1');
    assert.match(stderrLine(r, 1), /timed out after 1 s/);
  });

  it('an idle timeout mid-transfer', async () => {
    const r = await get(`https://127.0.0.1:${port}/stall`, '--idle-timeout', '1');
    assert.match(stderrLine(r, 1), /timed out: no answer from the peer/);
  });

  it('a stream reset by the server mid-body', async () => {
    const r = await get(`https://127.0.0.1:${port}/reset`);
    assert.match(stderrLine(r, 1), /\/reset: .*H3_INTERNAL_ERROR/);
  });

  it('a connection closed by the server mid-body', async () => {
    const r = await get(`https://127.0.0.1:${port}/close`);
    assert.match(stderrLine(r, 1), /0x102|H3_INTERNAL_ERROR/);
  });

  it('a body shorter than its content-length', async () => {
    const r = await get(`https://127.0.0.1:${port}/short`);
    assert.match(stderrLine(r, 1), /\/short: .*content-length/);
  });

  it('a handshake that never completes (the server never answers past its first flight)', async () => {
    // 100 bytes from the server and then nothing: the handshake stalls.
    const relay = await UdpRelay.start(port, { resetAfter: { bytes: 100, tokens: () => [] } });
    try {
      const r = await get(`https://127.0.0.1:${relay.port}/big.bin`, '--timeout', '1');
      assert.match(stderrLine(r, 1), /timed out after 1 s/);
    } finally {
      relay.close();
    }
  });

  for (const kind of ['dgram', 'native'] as const) {
    it(`nothing listening on the port: refused by ICMP, one line (${kind} socket)`, async function () {
      if (kind === 'native' && nativeUdpAddon() === null) this.skip();
      // A port that was just free: bind, note it, release it.
      const probe = dgram.createSocket('udp4');
      await new Promise<void>((r) => probe.bind(0, '127.0.0.1', r));
      const closed = probe.address().port;
      await new Promise<void>((r) => probe.close(r));
      const before = process.env['TSQUIC_SOCKET'];
      process.env['TSQUIC_SOCKET'] = kind;
      try {
        const r = await get(`https://127.0.0.1:${closed}/big.bin`, '--timeout', '10');
        assert.match(stderrLine(r, 1), /connection refused: nothing listens on UDP 127\.0\.0\.1:/);
      } finally {
        if (before === undefined) delete process.env['TSQUIC_SOCKET'];
        else process.env['TSQUIC_SOCKET'] = before;
      }
      // What the failed socket might still have done (a send after the ICMP error) comes now.
      await new Promise((resolve) => setTimeout(resolve, 200));
    });
  }

  for (const alpn of [H3_ALPN, HQ_ALPN]) {
    it(`a path that drops datagrams above 1,250 bytes (${alpn}): path MTU discovery keeps within it`, async () => {
      const relay = await UdpRelay.start(port, { mtu: 1250 });
      try {
        const r = await get(
          `https://127.0.0.1:${relay.port}/big.bin`,
          '--alpn',
          alpn,
          '--timeout',
          '10',
          '--stats',
        );
        assert.equal(r.code, 0, r.stderr);
        const stats = JSON.parse(r.stderr.trim()) as { pmtu: number; bytesReceived: number };
        assert.ok(stats.bytesReceived > BIG.length);
        assert.ok(stats.pmtu >= 1200 && stats.pmtu <= 1250, `pmtu ${stats.pmtu}`);
        // Only probes were too large: with every full-size packet lost, 4 MiB would not arrive.
        assert.ok(relay.tooLarge > 0, 'probes above 1,250 bytes were dropped');
      } finally {
        relay.close();
        rmSync(path.join(out, 'big.bin'), { force: true });
      }
    });
  }

  it('--no-pmtud keeps every datagram of the client at 1,200 bytes', async () => {
    const relay = await UdpRelay.start(port, { mtu: 1200 });
    try {
      const r = await get(`https://127.0.0.1:${relay.port}/big.bin`, '--no-pmtud', '--stats');
      assert.equal(r.code, 0, r.stderr);
      // The client's own datagrams; the server still probes (and the relay drops the probes).
      assert.equal((JSON.parse(r.stderr.trim()) as { pmtu: number }).pmtu, 1200);
    } finally {
      relay.close();
      rmSync(path.join(out, 'big.bin'), { force: true });
    }
  });

  it('--stats still reports the connection of a failed transfer, after the failure line', async () => {
    const r = await get(`https://127.0.0.1:${port}/short`, '--stats');
    assert.equal(r.code, 1);
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 2, r.stderr);
    assert.match(lines[0]!, /^tsquic: .*\/short: .*content-length/);
    const stats = JSON.parse(lines[1]!) as { alpn: string; bytesReceived: number };
    assert.equal(stats.alpn, 'h3');
    assert.ok(stats.bytesReceived > 0);
  });

  it('a stateless reset from a server that lost the connection, mid-transfer', async () => {
    const before = conns.length;
    const relay = await UdpRelay.start(port, {
      resetAfter: {
        bytes: 256 * 1024,
        // The tokens the server issued with its connection IDs (RFC 9000 §10.3.2).
        tokens: () => issuedResetTokens(conns[before]!),
      },
    });
    try {
      const r = await get(`https://127.0.0.1:${relay.port}/big.bin`, '--timeout', '10');
      assert.match(stderrLine(r, 1), /stateless reset/);
      assert.ok(relay.resets > 0);
    } finally {
      relay.close();
    }
  });

  it('a complete transfer still exits 0 with the whole file', async () => {
    const r = await get(`https://127.0.0.1:${port}/big.bin`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const file = path.join(out, 'big.bin');
    assert.ok(existsSync(file));
    const { readFileSync } = await import('node:fs');
    assert.ok(readFileSync(file).equals(BIG));
    rmSync(file);
  });
});

/** The stateless reset tokens a server connection issued (its CID manager's list). */
function issuedResetTokens(conn: QuicConnection): Uint8Array[] {
  const cids = conn.core.localCids as unknown as { issued: { resetToken: Uint8Array }[] };
  return cids.issued.map((c) => c.resetToken);
}
