/**
 * Graceful shutdown through the public HTTP/3 API (RFC 9114 §5.2): GOAWAY from either side,
 * requests in progress finish, later ones are refused, and the connection closes with
 * H3_NO_ERROR only once the last response bytes are acknowledged.
 */
import assert from 'node:assert/strict';
import { Http3StreamError } from '../../src/h3/api/errors.js';
import { H3ErrorCode } from '../../src/h3/errors.js';
import { bytesEqual } from '../../src/util/bytes.js';
import { pattern } from '../scenario/transfer-kit.js';
import { drive, h3Pair, rejection, until, type H3Pair } from './connection-helpers.js';

function assertRejected(e: unknown, remote: boolean): void {
  assert.ok(e instanceof Http3StreamError, String(e));
  assert.equal(e.code, 'H3_REQUEST_REJECTED');
  assert.equal(e.remote, remote);
}

describe('h3 over QUIC: graceful shutdown', () => {
  it('server GOAWAY: the request in progress finishes, later ones are refused', async () => {
    const big = pattern(300_000, 5);
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const h = h3Pair(async (req, res) => {
      if (req.path === '/slow') await gate;
      res.end(big);
    });
    const slow = h.client.request({ path: '/slow' });
    assert.ok(await drive(h, () => h.server?.activeRequests === 1));
    const serverClosed = h.server!.close();
    // Sent before the client heard the GOAWAY, on a stream at or above its identifier.
    const racing = h.client.request({ path: '/racing' });
    assertRejected(await rejection(h, racing), true);
    assert.equal(h.client.session.goawayReceived, 4);
    assert.equal(h.server!.session.goawaySent, 4);
    // After the GOAWAY the client refuses on its own.
    assertRejected(await rejection(h, h.client.request({ path: '/late' })), false);

    release();
    const res = await until(h, slow);
    assert.ok(bytesEqual(await until(h, res.body.bytes()), big));
    await until(h, serverClosed);
    await until(h, h.client.closed);
    assert.equal(h.serverConn!.closeInfo?.errorCode, H3ErrorCode.H3_NO_ERROR);
    assert.equal(h.serverConn!.closeInfo?.application, true);
    assert.equal(h.serverConn!.closeInfo?.source, 'local');
  });

  it('closes only after the last response bytes are acknowledged', async () => {
    const size = 1_500_000;
    const data = pattern(size, 9);
    const h = h3Pair(
      (_req, res) => {
        res.end(data);
        // Shut down at once: the response is only queued, mostly unsent.
        void h.server!.close();
      },
      { conditions: { delay: 20_000, loss: 0.02 }, seed: 3 },
    );
    const res = await until(h, h.client.request({ path: '/' }));
    const body = await until(h, res.body.bytes());
    assert.equal(body.length, size);
    assert.ok(bytesEqual(body, data));
    await until(h, h.client.closed);
    assert.equal(h.pair.conn.closeInfo?.errorCode, H3ErrorCode.H3_NO_ERROR);
    assert.equal(h.pair.conn.closeInfo?.source, 'peer');
  });

  /** A pair whose one request was answered and acknowledged long ago: nothing is in flight. */
  async function idlePair(): Promise<H3Pair> {
    const h = h3Pair((_req, res) => res.end('x'));
    const res = await until(h, h.client.request({ path: '/' }));
    assert.equal(await until(h, res.body.text()), 'x');
    h.pair.net.runFor(2_000_000);
    assert.equal(h.server!.activeRequests, 0);
    return h;
  }

  it('an idle server closes on a core connection: the GOAWAY arrives before the close', async () => {
    const h = await idlePair();
    const closed = h.server!.close();
    // The close waits for the GOAWAY's acknowledgment: a closing connection would send
    // nothing but CONNECTION_CLOSE (RFC 9000 §10.2.1).
    assert.equal(h.serverConn!.state, 'established');
    await until(h, closed);
    await until(h, h.client.closed);
    // RFC 9114 §5.2: the client learns that request 0 was processed and none above it.
    assert.equal(h.client.session.goawayReceived, 4);
    assert.equal(h.pair.conn.closeInfo?.errorCode, H3ErrorCode.H3_NO_ERROR);
    assert.equal(h.pair.conn.closeInfo?.source, 'peer');
  });

  it('an idle server close: a lost GOAWAY is sent again before the close', async () => {
    const h = await idlePair();
    const net = h.pair.net;
    // The datagram carrying the GOAWAY leaves now, and is lost.
    net.blackhole(net.now, net.now + 1, 'server', 'client');
    const closed = h.server!.close();
    await until(h, closed);
    await until(h, h.client.closed);
    assert.equal(h.client.session.goawayReceived, 4);
    assert.equal(h.pair.conn.closeInfo?.errorCode, H3ErrorCode.H3_NO_ERROR);
  });

  it('client close: GOAWAY, the request in progress finishes, then the connection closes', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const h = h3Pair(async (_req, res) => {
      await gate;
      res.end('done');
    });
    const inFlight = h.client.request({ path: '/' });
    assert.ok(await drive(h, () => h.server?.activeRequests === 1));
    const closed = h.client.close();
    assertRejected(await rejection(h, h.client.request({ path: '/after' })), false);
    assert.ok(await drive(h, () => h.server!.session.goawayReceived !== null));
    assert.equal(h.server!.session.goawayReceived, 0);
    release();
    const res = await until(h, inFlight);
    assert.equal(await until(h, res.body.text()), 'done');
    await until(h, closed);
    await until(h, h.server!.closed);
    assert.equal(h.pair.conn.closeInfo?.errorCode, H3ErrorCode.H3_NO_ERROR);
    assert.equal(h.pair.conn.closeInfo?.source, 'local');
  });
});
