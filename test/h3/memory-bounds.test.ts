/**
 * HTTP/3 memory bounds over the in-memory network (bench/h3-memory.ts runs the same scenarios
 * and prints the figures): a slowloris client pins little memory and is cleaned up by the
 * request-header timeout; unread request bodies are held to the per-connection cap, the rest
 * held back by flow control; a body being read makes progress while others sit unread at the cap.
 */
import assert from 'node:assert/strict';
import {
  CONNECTIONS,
  h3Pair,
  SLOWLORIS_PREFIX,
  serverRequestStreams,
  slowloris,
  STREAMS_PER_CONNECTION,
  unreadBodies,
} from '../../bench/h3-memory.js';
import { h3Client } from '../../src/h3/api/client.js';
import { h3Server } from '../../src/h3/api/server.js';
import { createEnginePair } from '../../src/testing/index.js';
import { H3ErrorCode } from '../../src/h3/errors.js';
import { bytesEqual } from '../../src/util/bytes.js';
import { pattern } from '../scenario/transfer-kit.js';

const MIB = 1024 * 1024;

describe('h3 memory bounds', function () {
  this.timeout(120_000);

  it(`slowloris: ${CONNECTIONS} x ${STREAMS_PER_CONNECTION} streams of 13 bytes stay under 2 MB per connection, and the header timeout frees them`, () => {
    const r = slowloris(10_000);
    assert.ok(
      r.heapPerConnection < 2_000_000,
      `${Math.round(r.heapPerConnection)} bytes of heap per connection`,
    );
    assert.equal(r.streamsAfterTimeout, 0, 'every incomplete request was reset');
    assert.ok(r.heapPerConnectionAfterTimeout < r.heapPerConnection);
  });

  it('an incomplete request is reset with H3_REQUEST_REJECTED once the header timeout passes, not before', () => {
    const p = h3Pair(1, { requestHeaderTimeout: 5_000 });
    const conn = p.pair.conns[0]!;
    const stream = conn.openStream(true)!;
    stream.write(SLOWLORIS_PREFIX, false);
    p.pair.net.runFor(100_000);
    const server = p.servers[0]!;
    assert.equal(server.incompleteRequests, 1);
    const deadline = server.nextTimeout();
    assert.ok(deadline < Infinity);
    server.handleTimeout(deadline - 1);
    assert.equal(server.incompleteRequests, 1, 'not before the deadline');
    server.handleTimeout(deadline);
    assert.equal(server.incompleteRequests, 0);
    p.pair.net.runFor(100_000);
    assert.equal(stream.peerResetCode, H3ErrorCode.H3_REQUEST_REJECTED);
    assert.equal(serverRequestStreams(p), 0);
  });

  it(`unread bodies: ${STREAMS_PER_CONNECTION} uploads of 1 MiB per connection hold at most the 1 MiB cap (plus one read)`, () => {
    const r = unreadBodies(MIB);
    assert.ok(
      r.maxBufferedPerConnection <= MIB + 64 * 1024,
      `${r.maxBufferedPerConnection} bytes buffered on one connection`,
    );
    // Flow control held the clients back: far from the 1,000 MiB they wanted to send.
    assert.ok(r.bytesReceived < 100 * MIB, `${r.bytesReceived} bytes received`);
  });

  it('at the cap, the body being read still completes while the others wait unread', async () => {
    const bodies = [0, 1, 2, 3, 4, 5].map((i) => pattern(512 * 1024, i));
    // The QUIC connection window holds every body (the HTTP/3 cap is what is tested here, not
    // QUIC flow control): with the 1 MiB default, whether the last responses' headers got
    // through depended on the window's auto-tuning.
    const pair = createEnginePair({
      seed: 7,
      conditions: { delay: 5_000 },
      alpn: ['bench'],
      client: { initialMaxData: 4 * MIB },
    });
    assert.ok(pair.handshake());
    h3Server(
      pair.serverConn()!,
      (req, res) => {
        const i = Number(req.path!.slice(1));
        res.writeHead(200).end(bodies[i]!);
      },
      { clock: () => pair.now },
    );
    pair.net.runFor(100_000);
    const p = { pair };
    const client = h3Client(p.pair.conns[0]!, {
      authority: 'a',
      maxBufferedBodyBytes: MIB,
    });
    const responses = bodies.map((_, i) => client.request({ path: `/${i}` }));
    // Network steps with the promise continuations of the client run in between.
    const runUntil = async (until: () => boolean): Promise<void> => {
      for (let k = 0; k < 2000 && !until(); k++) {
        p.pair.net.runFor(5_000);
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    let settled = 0;
    for (const r of responses) void r.then(() => settled++);
    await runUntil(() => settled === responses.length);
    assert.equal(settled, responses.length);
    // Read the last one first, then the rest in order: each completes though the others hold
    // the cap.
    for (const i of [5, 0, 1, 2, 3, 4]) {
      const res = await responses[i]!;
      let done = false;
      const bytes = res.body.bytes().then((b) => {
        done = true;
        return b;
      });
      await runUntil(() => done);
      assert.ok(done, `body ${i} completed`);
      assert.ok(bytesEqual(await bytes, bodies[i]!), `body ${i} intact`);
      assert.ok(client.bufferedBodyBytes <= MIB + 64 * 1024);
    }
  });
});
