/**
 * Failures through the public HTTP/3 API on real tsquic connections: handler errors, stream
 * resets in both directions, cancellation, connection errors with HTTP/3 codes, QUIC-level
 * closes and API misuse.
 */
import assert from 'node:assert/strict';
import { Http3ConnectionError, Http3Error, Http3StreamError } from '../../src/h3/api/errors.js';
import { H3ErrorCode } from '../../src/h3/errors.js';
import { encodeStreamType, H3StreamType } from '../../src/h3/frames.js';
import { collect, drive, h3Pair, rejection, until } from './connection-helpers.js';

function assertH3(
  e: unknown,
  cls: abstract new (...args: never[]) => Http3Error,
  code: string,
  remote?: boolean,
): Http3Error {
  assert.ok(e instanceof cls, `expected ${cls.name} ${code}, got ${String(e)}`);
  assert.equal(e.code, code, e.message);
  if (remote !== undefined) assert.equal(e.remote, remote);
  return e;
}

describe('h3 over QUIC: errors', () => {
  it('delivers a 404 from the handler as a normal response', async () => {
    const h = h3Pair((req, res) => {
      if (req.path !== '/') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      res.end('home');
    });
    const res = await until(h, h.client.request({ path: '/missing' }));
    assert.equal(res.status, 404);
    assert.equal(await until(h, res.body.text()), 'not found');
  });

  it('turns a handler exception into a 500, or a stream reset once headers are out', async () => {
    const seen: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const h = h3Pair(
      async (req, res) => {
        if (req.path === '/sync') throw new Error('boom');
        res.writeHead(200);
        res.write('partial');
        await gate; // the response head reaches the client first
        throw new Error('late boom');
      },
      { server: { onHandlerError: (e, req) => seen.push(`${req.path}: ${(e as Error).message}`) } },
    );
    const early = await until(h, h.client.request({ path: '/sync' }));
    assert.equal(early.status, 500);
    assert.equal(early.headers['content-length'], undefined);
    assert.equal((await until(h, early.body.bytes())).length, 0);

    const late = await until(h, h.client.request({ path: '/async' }));
    assert.equal(late.status, 200);
    release();
    const e = await rejection(h, collect(late.body));
    assertH3(e, Http3StreamError, 'H3_INTERNAL_ERROR', true);
    assertH3(await rejection(h, late.trailers), Http3StreamError, 'H3_INTERNAL_ERROR');
    assert.deepEqual(seen, ['/sync: boom', '/async: late boom']);
  });

  it('reports a server reset before the response as a rejected request', async () => {
    const h = h3Pair((_req, res) => res.destroy(H3ErrorCode.H3_REQUEST_REJECTED));
    const e = await rejection(h, h.client.request({ path: '/' }));
    assertH3(e, Http3StreamError, 'H3_REQUEST_REJECTED', true);
    assert.equal((e as Http3Error).errorCode, H3ErrorCode.H3_REQUEST_REJECTED);
    assert.equal((e as Http3Error).scope, 'stream');
    // The connection is fine.
    assert.equal(h.client.session.closed, false);
  });

  it('cancels a request with an AbortSignal; the server hears H3_REQUEST_CANCELLED', async () => {
    let serverError: Http3Error | null = null;
    let bodyError: unknown = null;
    const h = h3Pair(async (req, res) => {
      res.on('error', (e) => (serverError = e));
      res.writeHead(200);
      res.write('first part');
      try {
        await collect(req);
      } catch (e) {
        bodyError = e;
      }
    });
    const controller = new AbortController();
    async function* slowBody(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array(100);
      await new Promise(() => {}); // never produces more
    }
    const res = await until(
      h,
      h.client.request({ method: 'POST', path: '/', body: slowBody(), signal: controller.signal }),
    );
    assert.equal(res.status, 200);
    controller.abort();
    assertH3(
      await rejection(h, collect(res.body)),
      Http3StreamError,
      'H3_REQUEST_CANCELLED',
      false,
    );
    await drive(h, () => serverError !== null && bodyError !== null);
    assertH3(serverError, Http3StreamError, 'H3_REQUEST_CANCELLED', true);
    assertH3(bodyError, Http3StreamError, 'H3_REQUEST_CANCELLED', true);
    // An already aborted signal rejects at once.
    assertH3(
      await rejection(h, h.client.request({ path: '/', signal: AbortSignal.abort() })),
      Http3StreamError,
      'H3_REQUEST_CANCELLED',
    );
  });

  it('stops sending the request body when the server sends STOP_SENDING', async () => {
    const h = h3Pair((req, res) => {
      // Answer at once without reading the body, then refuse the rest of it.
      res.end('early answer');
      req.body.cancel();
    });
    let yielded = 0;
    async function* endless(): AsyncGenerator<Uint8Array> {
      for (;;) {
        yielded++;
        yield new Uint8Array(16384);
      }
    }
    const res = await until(h, h.client.request({ method: 'POST', path: '/', body: endless() }));
    assert.equal(await until(h, res.body.text()), 'early answer');
    assert.ok(yielded > 0);
    // The client stopped producing: the exchange is over on both sides.
    assert.ok(
      await drive(h, () => h.client.pendingRequests === 0 && h.server!.activeRequests === 0),
    );
    const before = yielded;
    await drive(h, () => false, 1_000_000);
    assert.equal(yielded, before);
  });

  it('cancels the request when the reader gives up on the response body', async () => {
    let serverError: Http3Error | null = null;
    const h = h3Pair(async (_req, res) => {
      res.on('error', (e) => (serverError = e));
      res.writeHead(200);
      // More than the client buffers: the rest waits for flow control.
      for (let i = 0; i < 64 && res.aborted === null; i++) {
        // Blocks until the client cancels (no drain comes while it does not read).
        if (!res.write(new Uint8Array(65536))) await new Promise<void>((r) => res.once('close', r));
      }
    });
    const res = await until(h, h.client.request({ path: '/' }));
    const first = await until(
      h,
      (async () => {
        for await (const chunk of res.body) return chunk.length; // break after one chunk
        return 0;
      })(),
    );
    assert.ok(first > 0);
    assertH3(await rejection(h, res.trailers), Http3StreamError, 'H3_REQUEST_CANCELLED', false);
    await drive(h, () => serverError !== null);
    assertH3(serverError, Http3StreamError, 'H3_REQUEST_CANCELLED', true);
    assert.ok(
      await drive(h, () => h.client.pendingRequests === 0 && h.server!.activeRequests === 0),
    );
  });

  it('rejects the request when its body source fails, and resets the stream', async () => {
    let serverError: unknown = null;
    let started: () => void = () => {};
    const handlerStarted = new Promise<void>((resolve) => (started = resolve));
    const h = h3Pair(async (req, res) => {
      started();
      try {
        await collect(req);
      } catch (e) {
        serverError = e;
      }
      res.end();
    });
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array(10);
      await handlerStarted; // the request head has reached the server
      throw new Error('disk on fire');
    }
    const e = await rejection(h, h.client.request({ method: 'POST', path: '/', body: failing() }));
    assert.ok(e instanceof Error && e.message === 'disk on fire', String(e));
    await drive(h, () => serverError !== null);
    assertH3(serverError, Http3StreamError, 'H3_REQUEST_CANCELLED', true);
  });

  it('closes the connection with an HTTP/3 code: requests and closed reject with it', async () => {
    let destroy: (() => void) | null = null;
    const h = h3Pair(() => {
      destroy = () => h.server!.destroy(H3ErrorCode.H3_EXCESSIVE_LOAD, 'too much');
    });
    const pending = h.client.request({ path: '/' });
    await drive(h, () => destroy !== null);
    destroy!();
    const e = await rejection(h, pending);
    const err = assertH3(e, Http3ConnectionError, 'H3_EXCESSIVE_LOAD', true);
    assert.equal(err.scope, 'connection');
    assert.equal((err as Http3ConnectionError).closeInfo?.source, 'peer');
    assertH3(await rejection(h, h.client.closed), Http3ConnectionError, 'H3_EXCESSIVE_LOAD');
    assertH3(await rejection(h, h.server!.closed), Http3ConnectionError, 'H3_EXCESSIVE_LOAD');
    assert.equal(h.serverConn!.closeInfo?.errorCode, H3ErrorCode.H3_EXCESSIVE_LOAD);
    assert.equal(h.serverConn!.closeInfo?.application, true);
    // New requests on the closed connection fail the same way.
    assertH3(
      await rejection(h, h.client.request({ path: '/' })),
      Http3ConnectionError,
      'H3_EXCESSIVE_LOAD',
    );
  });

  it('treats a close with a code HTTP/3 does not define as H3_NO_ERROR', async () => {
    const h = h3Pair((_req, res) => res.end('ok'));
    await until(
      h,
      h.client.request({ path: '/' }).then((r) => r.body.bytes()),
    );
    // What a QUIC server closing all its connections with code 0 does (RFC 9114 §8.1, §9).
    h.serverConn!.close(0, 'going away');
    await until(h, h.client.closed);
    assert.equal(h.client.session.closeError?.code, 0);
    assert.equal(h.pair.conn.closeInfo?.source, 'peer');
  });

  it('closes on a protocol violation by the peer with its RFC code', async () => {
    const h = h3Pair((_req, res) => res.end('ok'));
    await until(
      h,
      h.client.request({ path: '/' }).then((r) => r.body.bytes()),
    );
    // A second control stream from the client: H3_STREAM_CREATION_ERROR (RFC 9114 §6.2.1).
    const s = h.pair.conn.openStream(false)!;
    s.write(encodeStreamType(H3StreamType.CONTROL), false);
    const e = await rejection(h, h.client.closed);
    assertH3(e, Http3ConnectionError, 'H3_STREAM_CREATION_ERROR', true);
    assertH3(
      await rejection(h, h.server!.closed),
      Http3ConnectionError,
      'H3_STREAM_CREATION_ERROR',
      false,
    );
  });

  it('reports a QUIC idle timeout with a QUIC code', async () => {
    const h = h3Pair(() => {}, {
      quic: { idleTimeout: 2_000 },
      serverQuic: { idleTimeout: 2_000 },
    });
    const pending = h.client.request({ path: '/never-answered' });
    const e = await rejection(h, pending);
    assertH3(e, Http3ConnectionError, 'QUIC_IDLE_TIMEOUT', false);
    assert.equal((e as Http3ConnectionError).closeInfo?.source, 'idle_timeout');
  });

  it('rejects malformed requests with a TypeError', async () => {
    const h = h3Pair(() => {});
    await assert.rejects(h.client.request({ path: '/', headers: { ':path': '/x' } }), TypeError);
    await assert.rejects(
      h.client.request({ path: '/', headers: { connection: 'close' } }),
      TypeError,
    );
    await assert.rejects(h.client.request({ path: '/', headers: { 'x-bad': 'a\nb' } }), TypeError);
    await assert.rejects(h.client.request({ path: '/', authority: '' }), TypeError);
    await assert.rejects(h.client.request({ path: '/', body: 1 as unknown as string }), TypeError);
  });
});
