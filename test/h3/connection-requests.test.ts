/**
 * The public HTTP/3 API on real tsquic connections over the in-memory network: concurrency,
 * streamed bodies in both directions, backpressure, trailers and messages without content.
 */
import assert from 'node:assert/strict';
import type { H3ServerResponse } from '../../src/h3/api/server.js';
import { bytesEqual, fromUtf8 } from '../../src/util/bytes.js';
import { pattern } from '../scenario/transfer-kit.js';
import { collect, drive, h3Pair, settle, until } from './connection-helpers.js';

/** Resolves on 'drain' or 'close' (after which no drain comes). */
function drained(res: H3ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

describe('h3 over QUIC: requests', () => {
  it('runs 24 concurrent requests on one connection beyond the peer stream limit', async () => {
    const h = h3Pair(
      (req, res) => {
        const n = Number(req.path!.slice(1));
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'x-size': n });
        res.end(pattern(n, n));
      },
      { serverQuic: { maxStreamsBidi: 8 } },
    );
    const sizes = Array.from({ length: 24 }, (_, i) => 500 + i * 4001);
    const all = Promise.all(
      sizes.map(async (n) => {
        const res = await h.client.request({ path: `/${n}` });
        return { res, body: await res.body.bytes() };
      }),
    );
    let queuedAtLimit = 0;
    let settled = false;
    all.then(
      () => (settled = true),
      () => (settled = true),
    );
    assert.ok(
      await drive(h, () => {
        const active = h.client.session.activeRequests;
        if (active === 8) queuedAtLimit = Math.max(queuedAtLimit, h.client.pendingRequests - 8);
        return settled;
      }),
    );
    const results = await all;
    results.forEach(({ res, body }, i) => {
      const n = sizes[i]!;
      assert.equal(res.status, 200);
      assert.equal(res.headers['x-size'], String(n));
      assert.equal(res.headers['content-length'], String(n));
      assert.ok(bytesEqual(body, pattern(n, n)), `body of request ${i}`);
    });
    assert.equal(new Set(results.map((r) => r.res.streamId)).size, 24);
    assert.ok(queuedAtLimit > 0, 'requests waited for MAX_STREAMS');
    assert.equal(h.client.pendingRequests, 0);
    assert.equal(h.server!.activeRequests, 0);
  });

  it('streams a 2 MB upload back as a 2 MB echo, byte for byte', async () => {
    const size = 2 * 1024 * 1024;
    const upload = pattern(size, 7);
    let serverChunks = 0;
    const h = h3Pair(async (req, res) => {
      res.writeHead(200);
      for await (const chunk of req) {
        serverChunks++;
        if (!res.write(chunk)) await drained(res);
      }
      res.end();
    });
    let produced = 0;
    async function* source(): AsyncGenerator<Uint8Array> {
      // Uneven chunk sizes, produced on demand.
      for (let off = 0, i = 0; off < size; i++) {
        const n = Math.min(size - off, 1000 + ((i * 7919) % 60000));
        produced = off + n;
        yield upload.subarray(off, off + n);
        off += n;
      }
    }
    const echo = until(
      h,
      (async () => {
        const res = await h.client.request({ method: 'POST', path: '/echo', body: source() });
        assert.equal(res.status, 200);
        return collect(res.body);
      })(),
    );
    const body = await echo;
    assert.equal(produced, size);
    assert.equal(body.length, size);
    assert.ok(bytesEqual(body, upload));
    assert.ok(serverChunks > 10, 'the request body arrived in pieces');
  });

  it('downloads 3 MB to a slow reader with backpressure on the server', async () => {
    const size = 3 * 1024 * 1024;
    const data = pattern(size, 3);
    let drains = 0;
    const h = h3Pair(async (_req, res) => {
      res.writeHead(200, { 'content-length': size });
      for (let off = 0; off < size; off += 65536) {
        if (!res.write(data.subarray(off, off + 65536))) {
          drains++;
          await drained(res);
        }
      }
      res.end();
    });
    const received = until(
      h,
      (async () => {
        const res = await h.client.request({ path: '/big' });
        const parts: Uint8Array[] = [];
        let i = 0;
        for await (const chunk of res.body) {
          parts.push(chunk);
          if (i++ % 8 === 0) await settle(); // a slow consumer
        }
        return parts;
      })(),
    );
    const parts = await received;
    let off = 0;
    for (const p of parts) {
      assert.ok(bytesEqual(p, data.subarray(off, off + p.length)), `chunk at ${off}`);
      off += p.length;
    }
    assert.equal(off, size);
    assert.ok(drains > 0, 'write() returned false and drain followed');
  });

  it('carries trailers in both directions', async () => {
    let requestTrailers: Record<string, string> | null = null;
    const h = h3Pair(async (req, res) => {
      const body = await req.body.text();
      requestTrailers = req.trailers;
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write(body.toUpperCase());
      res.end(undefined, { 'x-checksum': String(body.length), 'x-more': 'yes' });
    });
    const res = await until(
      h,
      h.client.request({
        method: 'PUT',
        path: '/t',
        body: 'trailer test',
        trailers: { 'x-client-trailer': 'abc' },
      }),
    );
    assert.equal(fromUtf8(await until(h, res.body.bytes())), 'TRAILER TEST');
    const trailers = await until(h, res.trailers);
    assert.equal(trailers['x-checksum'], '12');
    assert.equal(trailers['x-more'], 'yes');
    assert.deepEqual({ ...requestTrailers! }, { 'x-client-trailer': 'abc' });
  });

  it('answers HEAD and 204 without content, and sends interim responses first', async () => {
    const h = h3Pair((req, res) => {
      if (req.path === '/early') {
        res.writeInformational(103, { link: '</style.css>; rel=preload' });
        res.end('final');
        return;
      }
      if (req.method === 'HEAD') {
        res.writeHead(200, { 'content-length': 1234 });
        res.end(new Uint8Array(1234)); // dropped: HEAD responses carry no content
        return;
      }
      res.writeHead(204).end();
    });
    const head = await until(h, h.client.request({ method: 'HEAD', path: '/file' }));
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], '1234');
    assert.equal((await until(h, head.body.bytes())).length, 0);
    const empty = await until(h, h.client.request({ method: 'DELETE', path: '/x' }));
    assert.equal(empty.status, 204);
    assert.equal((await until(h, empty.body.bytes())).length, 0);
    const interim: [number, string | undefined][] = [];
    const early = await until(
      h,
      h.client.request({
        path: '/early',
        onInformational: (status, headers) => interim.push([status, headers['link']]),
      }),
    );
    assert.deepEqual(interim, [[103, '</style.css>; rel=preload']]);
    assert.equal(early.status, 200);
    assert.equal(await until(h, early.body.text()), 'final');
  });

  it('forgets every request stream once it is closed', async () => {
    const h = h3Pair((_req, res) => res.end('x'));
    await until(
      h,
      h.client.request({ path: '/warm' }).then((r) => r.body.bytes()),
    );
    // Let the last acknowledgments arrive.
    await drive(h, () => false, 200_000);
    const clientBase = h.client.transport.streamCount;
    const serverBase = h.server!.transport.streamCount;
    for (let round = 0; round < 3; round++) {
      await until(
        h,
        Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            h.client.request({ path: `/${round}/${i}` }).then((r) => r.body.bytes()),
          ),
        ),
      );
    }
    await drive(h, () => false, 200_000);
    assert.equal(h.client.transport.streamCount, clientBase);
    assert.equal(h.server!.transport.streamCount, serverBase);
    assert.equal(h.pair.conn.streams.size, clientBase);
    // Only the unidirectional streams (control, QPACK, grease) remain.
    assert.ok(clientBase <= 8, `${clientBase} streams left`);
  });
});
