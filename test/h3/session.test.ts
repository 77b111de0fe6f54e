// Client and server sessions over the in-memory transport: requests, bodies, trailers,
// concurrency, flow control, QPACK blocking, cancellation, GOAWAY.
import assert from 'node:assert/strict';
import { H3ErrorCode } from '../../src/h3/errors.js';
import { H3SettingId } from '../../src/h3/frames.js';
import type { H3ServerRequest } from '../../src/h3/session/server.js';
import { concatBytes } from '../../src/util/bytes.js';
import { collectResponse, f, get, post, sessionPair, utf8 } from './session-helpers.js';

/** A server handler that echoes the request body with a trailer holding its length. */
function echo(req: H3ServerRequest): void {
  const chunks: Uint8Array[] = [];
  let trailer = '';
  req.onData = (d) => chunks.push(d.slice());
  req.onTrailers = (t) => (trailer = t.map((l) => `${l.name}=${l.value}`).join(';'));
  req.onEnd = () => {
    const body = concatBytes(...chunks);
    req.respond([
      f(':status', '200'),
      f('content-length', String(body.length)),
      f('x-path', req.path ?? ''),
    ]);
    if (body.length > 0) req.write(body);
    req.end([f('x-received', String(body.length)), f('x-request-trailers', trailer)]);
  };
}

describe('h3/session', () => {
  it('exchanges SETTINGS, ignoring reserved settings and grease', () => {
    const { client, server } = sessionPair({
      server: { qpackMaxTableCapacity: 1000, maxFieldSectionSize: 5000 },
    });
    assert.equal(client.peerSettings?.get(H3SettingId.QPACK_MAX_TABLE_CAPACITY), 1000);
    assert.equal(client.peerSettings?.get(H3SettingId.MAX_FIELD_SECTION_SIZE), 5000);
    assert.equal(server.peerSettings?.get(H3SettingId.QPACK_BLOCKED_STREAMS), 16);
    // Each side sent one reserved setting; both kept going.
    const reserved = [...server.peerSettings!.keys()].filter(
      (id) => id >= 0x21 && (id - 0x21) % 0x1f === 0,
    );
    assert.equal(reserved.length, 1);
    assert.equal(client.closed, false);
    assert.equal(server.closed, false);
  });

  it('serves a GET with a response body and trailers', () => {
    const { net, client, server } = sessionPair();
    let ended = false;
    server.onRequest = (req) => {
      assert.equal(req.method, 'GET');
      assert.equal(req.path, '/hello');
      assert.equal(req.authority, 'example.com');
      req.onEnd = () => (ended = true);
      req.respond([f(':status', '200'), f('content-type', 'text/plain')]);
      req.write(utf8('hello, '));
      req.write(utf8('world'));
      req.end([f('x-checksum', 'abc')]);
    };
    const req = client.request(get('/hello'), { endStream: true })!;
    const res = collectResponse(req);
    net.run();
    assert.equal(res.status, 200);
    assert.equal(res.text(), 'hello, world');
    assert.deepEqual(res.trailers, [{ name: 'x-checksum', value: 'abc', neverIndex: false }]);
    assert.equal(res.ended, true);
    assert.equal(res.error, null);
    assert.equal(ended, true);
    assert.equal(client.activeRequests, 0);
    assert.equal(server.activeRequests, 0);
  });

  it('streams request bodies with trailers to the server', () => {
    const { net, client, server } = sessionPair();
    server.onRequest = echo;
    const req = client.request(post('/upload'))!;
    const res = collectResponse(req);
    for (let i = 0; i < 10; i++) req.write(utf8(`part ${i};`));
    req.end([f('x-digest', 'd1'), f('x-more', 'm')]);
    net.run();
    assert.equal(res.status, 200);
    assert.equal(res.text(), Array.from({ length: 10 }, (_, i) => `part ${i};`).join(''));
    const trailers = Object.fromEntries(res.trailers!.map((l) => [l.name, l.value]));
    assert.equal(trailers['x-received'], String(res.text().length));
    assert.equal(trailers['x-request-trailers'], 'x-digest=d1;x-more=m');
  });

  it('handles interim responses before the final one', () => {
    const { net, client, server } = sessionPair();
    server.onRequest = (req) => {
      req.sendInformational([f(':status', '103'), f('link', '</style.css>; rel=preload')]);
      req.respond([f(':status', '204')], { endStream: true });
    };
    const res = collectResponse(client.request(get('/'), { endStream: true })!);
    net.run();
    assert.deepEqual(res.informational, [103]);
    assert.equal(res.status, 204);
    assert.equal(res.ended, true);
  });

  it('runs many concurrent requests, interleaved', () => {
    const { net, client, server } = sessionPair();
    server.onRequest = echo;
    const results = [];
    const requests = [];
    for (let i = 0; i < 40; i++) {
      const req = client.request(
        post(`/item/${i}`, [f('user-agent', 'tsquic-test'), f('x-n', String(i % 3))]),
      )!;
      requests.push(req);
      results.push(collectResponse(req));
    }
    for (let round = 0; round < 3; round++) {
      requests.forEach((req, i) => req.write(utf8(`${i}:${round};`)));
      net.run();
    }
    requests.forEach((req) => req.end());
    net.run();
    results.forEach((res, i) => {
      assert.equal(res.status, 200, `request ${i}`);
      assert.equal(res.text(), `${i}:0;${i}:1;${i}:2;`);
      assert.equal(res.headers.find((l) => l.name === 'x-path')?.value, `/item/${i}`);
    });
    assert.equal(client.activeRequests, 0);
    assert.equal(server.activeRequests, 0);
  });

  it('applies flow control: write() backpressure, onDrain, and the body arrives whole', () => {
    const { net, client, server } = sessionPair({
      serverNet: { streamWindow: 4096 },
      clientNet: { streamWindow: 4096 },
    });
    let serverChunks = 0;
    server.onRequest = (req) => {
      const chunks: Uint8Array[] = [];
      req.onData = (d) => {
        serverChunks++;
        chunks.push(d.slice());
      };
      req.onEnd = () => {
        const body = concatBytes(...chunks);
        req.respond([f(':status', '200')]);
        req.write(body);
        req.end();
      };
    };
    const big = new Uint8Array(300_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
    const req = client.request(post('/big'))!;
    const res = collectResponse(req);
    let drains = 0;
    let offset = 0;
    const pump = () => {
      while (offset < big.length) {
        const piece = big.subarray(offset, offset + 50_000);
        offset += piece.length;
        if (!req.write(piece)) return;
      }
      req.end();
    };
    req.onDrain = () => {
      drains++;
      pump();
    };
    pump();
    net.run();
    assert.ok(drains > 0, 'write() reported backpressure');
    assert.ok(serverChunks > 10, 'the body was delivered in pieces');
    assert.deepEqual(concatBytes(...res.body), big);
    assert.equal(res.ended, true);
  });

  it('pause() keeps data in the transport until resume()', () => {
    const { net, client, server } = sessionPair();
    let request = null as H3ServerRequest | null;
    const got: string[] = [];
    server.onRequest = (req) => {
      request = req;
      req.pause();
      req.onData = (d) => got.push(new TextDecoder().decode(d));
      req.onEnd = () => {
        req.respond([f(':status', '200')], { endStream: true });
      };
    };
    const req = client.request(post('/p'))!;
    const res = collectResponse(req);
    req.write(utf8('abc'));
    req.end();
    net.run();
    assert.ok(request !== null);
    assert.deepEqual(got, []);
    const before = net.server.streams.get(0)!.readBytes;
    request!.resume();
    net.run();
    assert.deepEqual(got, ['abc']);
    // The 5-byte DATA frame had stayed in the stream until resume().
    assert.equal(net.server.streams.get(0)!.readBytes - before, 5);
    assert.equal(res.status, 200);
  });

  it('uses the dynamic table and recovers from QPACK blocking when the encoder stream is late', () => {
    const { net, client, server } = sessionPair({ client: { grease: false } });
    const seen: string[] = [];
    server.onRequest = (req) => {
      seen.push(req.path!);
      req.respond([f(':status', '200')], { endStream: true });
    };
    // Client streams: control 2, QPACK encoder 6, decoder 10. Hold the encoder stream back.
    net.hold((id, from) => from === net.client && id === 6);
    const headers = [f('user-agent', 'tsquic-test-agent/1.0'), f('x-custom', 'repeated-value')];
    const r1 = collectResponse(client.request(get('/one', headers), { endStream: true })!);
    net.run();
    assert.deepEqual(seen, [], 'the request is blocked on QPACK inserts');
    assert.ok(net.server.streams.get(0)!.readBytes > 0, 'its HEADERS frame was read');
    net.release();
    net.run();
    assert.deepEqual(seen, ['/one']);
    assert.equal(r1.status, 200);
    // Later requests reference the acknowledged entries: their HEADERS are much smaller.
    const before = net.server.streams.get(0)!.readBytes;
    const r2 = collectResponse(client.request(get('/one', headers), { endStream: true })!);
    net.run();
    assert.equal(r2.status, 200);
    assert.ok(net.server.streams.get(4)!.readBytes < before / 2);
  });

  it('client cancellation resets both directions and reaches the server', () => {
    const { net, client, server } = sessionPair();
    let serverReq: H3ServerRequest | null = null;
    let serverError: number | null = null;
    server.onRequest = (req) => {
      serverReq = req;
      req.onError = (e) => {
        assert.equal(e.remote, true);
        serverError = e.code;
      };
      req.respond([f(':status', '200')]);
      req.write(utf8('partial'));
    };
    const req = client.request(post('/slow'))!;
    const res = collectResponse(req);
    req.write(utf8('x'));
    net.run();
    assert.equal(res.status, 200);
    req.abort();
    net.run();
    assert.equal(serverError, H3ErrorCode.H3_REQUEST_CANCELLED);
    assert.equal(res.error, null, 'a local abort is not reported as an error');
    assert.equal(net.client.streams.get(0)!.resetSent, H3ErrorCode.H3_REQUEST_CANCELLED);
    assert.equal(net.client.streams.get(0)!.stopSendingSent, H3ErrorCode.H3_REQUEST_CANCELLED);
    assert.equal(client.activeRequests, 0);
    assert.equal(server.activeRequests, 0);
    assert.ok(serverReq !== null);
  });

  it('server reset reaches the client as a remote stream error', () => {
    const { net, client, server } = sessionPair();
    server.onRequest = (req) => req.abort(H3ErrorCode.H3_REQUEST_REJECTED);
    const res = collectResponse(client.request(get('/'), { endStream: true })!);
    net.run();
    assert.equal(res.error?.code, H3ErrorCode.H3_REQUEST_REJECTED);
    assert.equal(res.error?.remote, true);
    assert.equal(client.closed, false);
  });

  it('a complete response survives a later STOP_SENDING of the request body', () => {
    const { net, client, server } = sessionPair();
    server.onRequest = (req) => {
      req.respond([f(':status', '413')], { endStream: true });
      req.abort(H3ErrorCode.H3_NO_ERROR); // stop reading the body; the response is already queued
    };
    const req = client.request(post('/too-big'))!;
    const res = collectResponse(req);
    let stopped = -1;
    req.onStopSending = (code) => (stopped = code);
    req.write(utf8('some body'));
    net.run();
    assert.equal(res.status, 413);
    assert.equal(res.ended, true);
    assert.equal(stopped, H3ErrorCode.H3_NO_ERROR);
    assert.equal(res.error, null);
    assert.equal(client.activeRequests, 0);
  });

  it('after STOP_SENDING the response is dropped quietly', () => {
    const { net, client, server } = sessionPair();
    let serverReq = null as H3ServerRequest | null;
    let stopped = -1;
    server.onRequest = (req) => {
      serverReq = req;
      req.onStopSending = (code) => (stopped = code);
    };
    const req = client.request(get('/'), { endStream: true })!;
    net.run();
    // The client gives up reading; the server has not answered yet.
    net.client.streams.get(0)!.stopSending(H3ErrorCode.H3_REQUEST_CANCELLED);
    net.run();
    assert.equal(stopped, H3ErrorCode.H3_REQUEST_CANCELLED);
    assert.equal(net.server.streams.get(0)!.resetSent, H3ErrorCode.H3_REQUEST_CANCELLED);
    serverReq!.respond([f(':status', '200')]);
    assert.equal(serverReq!.write(utf8('ignored')), false);
    serverReq!.end();
    net.run();
    assert.equal(server.activeRequests, 0);
    assert.ok(req !== null);
  });

  it('copies body bytes the transport could not take at once', () => {
    const { net, client, server } = sessionPair({ serverNet: { streamWindow: 64 } });
    const chunks: Uint8Array[] = [];
    server.onRequest = (req) => {
      req.onData = (d) => chunks.push(d.slice());
      req.onEnd = () => req.respond([f(':status', '200')], { endStream: true });
    };
    const req = client.request(post('/'))!;
    const buf = new Uint8Array(1000).fill(1);
    req.write(buf);
    buf.fill(2); // the caller reuses its buffer at once
    req.end();
    net.run();
    assert.deepEqual(concatBytes(...chunks), new Uint8Array(1000).fill(1));
  });

  it('rejects requests when no handler is installed', () => {
    const { net, client } = sessionPair();
    const res = collectResponse(client.request(get('/'), { endStream: true })!);
    net.run();
    assert.equal(res.error?.code, H3ErrorCode.H3_REQUEST_REJECTED);
  });

  it('refuses to send malformed messages (TypeError) and checks content-length', () => {
    const { net, client, server } = sessionPair();
    assert.throws(() => client.request([f(':method', 'GET'), f(':path', '/')]), TypeError);
    assert.throws(() => client.request(get('/', [f('Upper', 'x')])), TypeError);
    assert.throws(() => client.request(get('/', [f('connection', 'close')])), TypeError);
    server.onRequest = (req) => {
      assert.throws(() => req.respond([f(':status', '200'), f(':path', '/')]), TypeError);
      assert.throws(() => req.respond([f(':status', '100')]), TypeError);
      assert.throws(() => req.write(utf8('x')), TypeError); // before respond()
      req.respond([f(':status', '200'), f('content-length', '3')]);
      assert.throws(() => req.write(utf8('four')), RangeError);
      req.write(utf8('abc'));
      req.end();
      assert.throws(() => req.end(), TypeError);
    };
    const res = collectResponse(client.request(get('/'), { endStream: true })!);
    net.run();
    assert.equal(res.text(), 'abc');
  });

  describe('GOAWAY', () => {
    it('shutdown() lets requests in progress finish, refuses new ones, then closes', () => {
      const { net, client, server } = sessionPair();
      let pending: H3ServerRequest | null = null;
      server.onRequest = (req) => (pending = req);
      const r0 = collectResponse(client.request(get('/a'), { endStream: true })!);
      net.run();
      let goaway = -1;
      client.onGoaway = (id) => (goaway = id);
      server.shutdown();
      net.run();
      assert.equal(goaway, 4, 'stream 0 accepted, 4 and above refused');
      assert.equal(client.request(get('/b'), { endStream: true }), null);
      assert.equal(server.closed, false);
      pending!.respond([f(':status', '200')], { endStream: true });
      net.run();
      assert.equal(r0.status, 200);
      assert.equal(server.closeError?.code, H3ErrorCode.H3_NO_ERROR);
      assert.equal(client.closeError?.code, H3ErrorCode.H3_NO_ERROR);
      assert.equal(client.closeError?.remote, true);
    });

    it('requests above the GOAWAY identifier fail as rejected on both sides', () => {
      const { net, client, server } = sessionPair();
      const accepted: number[] = [];
      server.onRequest = (req) => accepted.push(req.id);
      const rs = [0, 1, 2].map(() =>
        collectResponse(client.request(get('/'), { endStream: true })!),
      );
      net.run();
      assert.deepEqual(accepted, [0, 4, 8]);
      server.sendGoaway(4);
      net.run();
      assert.equal(rs[0]!.error, null);
      assert.equal(rs[1]!.error?.code, H3ErrorCode.H3_REQUEST_REJECTED);
      assert.equal(rs[2]!.error?.code, H3ErrorCode.H3_REQUEST_REJECTED);
      assert.equal(client.goawayReceived, 4);
      assert.throws(() => server.sendGoaway(8), RangeError); // may not grow
      assert.throws(() => server.sendGoaway(2), RangeError); // not a client bidi stream
      assert.equal(client.closed, false);
    });

    it('a request racing the GOAWAY is reset with H3_REQUEST_REJECTED', () => {
      const { net, client, server } = sessionPair();
      server.onRequest = (req) => req.respond([f(':status', '200')], { endStream: true });
      server.sendGoaway(); // nothing accepted yet: 0
      // The client sends before the GOAWAY reaches it.
      const res = collectResponse(client.request(get('/'), { endStream: true })!);
      net.run();
      assert.equal(res.error?.code, H3ErrorCode.H3_REQUEST_REJECTED);
      assert.equal(net.server.streams.get(0)!.resetSent, H3ErrorCode.H3_REQUEST_REJECTED);
    });

    it('the client can send GOAWAY with a push ID', () => {
      const { net, client, server } = sessionPair();
      let got = -1;
      server.onGoaway = (id) => (got = id);
      client.sendGoaway();
      net.run();
      assert.equal(got, 0);
      assert.equal(server.goawayReceived, 0);
    });
  });

  it('opens critical streams once the peer grants stream credit', () => {
    const { net, client, server } = sessionPair({ serverNet: { maxUniStreams: 1 }, settle: false });
    net.run();
    // Only the control stream could be opened so far.
    assert.equal(net.client.streams.has(6), false);
    net.server.grantStreams(false, 3);
    net.run();
    assert.ok(net.client.streams.has(6) && net.client.streams.has(10));
    server.onRequest = (req) => req.respond([f(':status', '200')], { endStream: true });
    const res = collectResponse(client.request(get('/'), { endStream: true })!);
    net.run();
    assert.equal(res.status, 200);
  });

  it('returns null when the stream limit is reached', () => {
    const { net, client, server } = sessionPair({ serverNet: { maxBidiStreams: 1 } });
    server.onRequest = (req) => req.respond([f(':status', '200')], { endStream: true });
    assert.ok(client.request(get('/'), { endStream: true }) !== null);
    assert.equal(client.request(get('/'), { endStream: true }), null);
    net.run();
  });

  it('refuses to send a header section above the peer limit', () => {
    const { net, client, server } = sessionPair({ server: { maxFieldSectionSize: 200 } });
    assert.throws(() => client.request(get('/', [f('x-big', 'v'.repeat(200))])), RangeError);
    assert.equal(net.client.streams.has(0), false, 'no stream was opened');
    server.onRequest = (req) => req.respond([f(':status', '200')], { endStream: true });
    assert.ok(client.request(get('/'), { endStream: true }) !== null);
    net.run();
  });

  it('client shutdown() sends GOAWAY and closes when its requests are done', () => {
    const { net, client, server } = sessionPair();
    let pending = null as H3ServerRequest | null;
    server.onRequest = (req) => (pending = req);
    const res = collectResponse(client.request(get('/'), { endStream: true })!);
    net.run();
    client.shutdown();
    net.run();
    assert.equal(server.goawayReceived, 0);
    assert.equal(client.closed, false);
    pending!.respond([f(':status', '200')], { endStream: true });
    net.run();
    assert.equal(res.status, 200);
    assert.equal(client.closeError?.code, H3ErrorCode.H3_NO_ERROR);
    assert.equal(server.closeError?.remote, true);
  });

  it('a STOP_SENDING on the reserved stream only resets that stream', () => {
    const { net, client } = sessionPair();
    // Client streams: control 2, encoder 6, decoder 10, reserved 14.
    net.server.streams.get(14)!.stopSending(0x21);
    net.run();
    assert.equal(client.closed, false);
  });

  it('propagates a connection close to every request in progress', () => {
    const { net, client, server } = sessionPair();
    server.onRequest = () => {};
    const res = collectResponse(client.request(get('/'), { endStream: true })!);
    net.run();
    let closed = -1;
    client.onClose = (e) => (closed = e.code);
    server.close(H3ErrorCode.H3_INTERNAL_ERROR, 'bye');
    net.run();
    assert.equal(closed, H3ErrorCode.H3_INTERNAL_ERROR);
    assert.equal(res.error?.code, H3ErrorCode.H3_INTERNAL_ERROR);
    assert.equal(res.error?.scope, 'connection');
    assert.equal(client.request(get('/')), null);
  });
});
