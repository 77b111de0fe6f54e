/**
 * HTTP/3 over tsquic/node connections ends with an outcome for every request: a response body
 * whose connection is destroyed or stateless-reset rejects instead of staying pending, and a
 * client that closes ends at once (RFC 9000 §10.2 lets an endpoint that closes its socket skip
 * the closing period) while its CONNECTION_CLOSE still reaches the server.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { h3Client } from '../../src/h3/api/client.js';
import { h3Server } from '../../src/h3/api/server.js';
import type { CloseInfo } from '../../src/conn/connection.js';
import { monotonicMicros } from '../../src/node/endpoint.js';
import { connect, createServer, type QuicConnection } from '../../src/node/index.js';
import type { QuicServer } from '../../src/node/server.js';
import { testCertificate } from '../../src/testing/pair.js';
import { payload } from './helpers.js';
import { UdpRelay } from './udp-relay.js';

const BODY = payload(4 * 1024 * 1024, 9);

describe('node adapter: HTTP/3 request outcomes', function () {
  this.timeout(20_000);
  let server: QuicServer;
  let port = 0;
  const serverConns: QuicConnection[] = [];

  before(async () => {
    server = createServer({ alpn: ['h3'], certificate: testCertificate().cert });
    server.on('connection', (conn: QuicConnection) => {
      serverConns.push(conn);
      h3Server(conn.core, async (req, res) => {
        const body = req.path === '/small' ? BODY.subarray(0, 1000) : BODY;
        res.writeHead(200, { 'content-length': body.length });
        for (let i = 0; i < body.length && res.aborted === null; i += 65536) {
          if (!res.write(body.subarray(i, i + 65536))) {
            await new Promise<void>((resolve) => {
              res.once('drain', () => resolve());
              res.once('close', () => resolve());
            });
          }
        }
        res.end();
      });
    });
    port = (await server.listen(0, '127.0.0.1')).port;
  });

  after(async () => {
    await server.close();
  });

  function open(to: number): QuicConnection {
    return connect(
      { host: '127.0.0.1', port: to },
      { alpn: ['h3'], ca: testCertificate().ca, serverName: 'localhost' },
    );
  }

  /** Reads the body until `after` bytes, then runs `cut`; resolves with how the body ended. */
  async function readUntil(
    conn: QuicConnection,
    after: number,
    cut: () => void,
  ): Promise<{ bytes: number; error: unknown }> {
    await conn.ready;
    const client = h3Client(conn.core, { authority: 'localhost' });
    const res = await client.request({ path: '/' });
    let bytes = 0;
    let cutDone = false;
    try {
      for await (const chunk of res.body) {
        bytes += chunk.length;
        if (!cutDone && bytes >= after) {
          cutDone = true;
          cut();
        }
      }
    } catch (e) {
      return { bytes, error: e };
    }
    return { bytes, error: null };
  }

  it('a stateless reset mid-body rejects the body and conn.closed', async () => {
    const first = serverConns.length;
    const relay = await UdpRelay.start(port, {
      resetAfter: { bytes: 512 * 1024, tokens: () => issuedResetTokens(serverConns[first]!) },
    });
    try {
      const conn = open(relay.port);
      const r = await readUntil(conn, Infinity, () => {});
      assert.ok(r.bytes < BODY.length, 'the body stopped short');
      assert.ok(r.error instanceof Error, `the body rejected (got ${String(r.error)})`);
      await assert.rejects(conn.closed, { code: 'ERR_QUIC_STATELESS_RESET' });
      assert.ok(relay.resets > 0);
    } finally {
      relay.close();
    }
  });

  it('destroying the connection mid-body rejects the body', async () => {
    const conn = open(port);
    const r = await readUntil(conn, 256 * 1024, () => conn.destroy(new Error('enough')));
    assert.ok(r.bytes < BODY.length);
    assert.ok(r.error instanceof Error, `the body rejected (got ${String(r.error)})`);
    await assert.rejects(conn.closed, { code: 'ERR_QUIC_ABORTED' });
  });

  it('a closing client ends before its closing period is over; the server hears the close', async () => {
    // The relay's 100 ms delay makes the closing period (three PTOs, RFC 9000 §10.2) long.
    const relay = await UdpRelay.start(port, { delayMs: 100 });
    try {
      const conn = open(relay.port);
      await conn.ready;
      const serverConn = serverConns[serverConns.length - 1]!;
      const serverClosed = once(serverConn, 'close') as Promise<[CloseInfo]>;
      const client = h3Client(conn.core, { authority: 'localhost' });
      const res = await client.request({ path: '/small' });
      assert.equal((await res.body.bytes()).length, 1000);
      // The closing period lasts three PTOs, each longer than the smoothed RTT (RFC 9002 §6.2.1).
      let closingAt = Infinity;
      let period = 0;
      conn.core.once('closing', () => {
        closingAt = monotonicMicros();
        period = 3 * conn.core.getStats().srttMs * 1000;
      });
      const closedAt = once(conn, 'close').then(() => monotonicMicros());
      await client.close();
      await conn.close();
      assert.ok(closingAt < Infinity && period > 0, 'the connection went through closing');
      assert.ok(
        (await closedAt) - closingAt < period,
        'the client did not wait out its closing period',
      );
      assert.equal(conn.state, 'closed');
      const [info] = await serverClosed;
      assert.equal(info.source, 'peer', 'the CONNECTION_CLOSE reached the server');
      assert.equal(info.errorCode, 0x100); // H3_NO_ERROR
    } finally {
      relay.close();
    }
  });
});

/** The stateless reset tokens a server connection issued (its CID manager's list). */
function issuedResetTokens(conn: QuicConnection): Uint8Array[] {
  const cids = conn.core.localCids as unknown as { issued: { resetToken: Uint8Array }[] };
  return cids.issued.map((c) => c.resetToken);
}
