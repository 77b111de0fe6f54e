/**
 * H3Agent sends a request the server did not process once more, on a new connection (RFC 9114
 * §5.2: requests at or above a GOAWAY's identifier were not processed; §4.1.1
 * H3_REQUEST_REJECTED): GET and HEAD by default (`retryMethods`), a body that can be sent again,
 * once. The server runs in this process on loopback; the connections it is told to refuse send
 * GOAWAY before any request is processed.
 */
import assert from 'node:assert/strict';
import { Http3StreamError } from '../../src/h3/api/errors.js';
import { h3Server } from '../../src/h3/api/server.js';
import { createServer, H3Agent, type QuicServer } from '../../src/node/index.js';
import { testCertificate } from '../../src/testing/pair.js';

describe('node adapter: H3Agent retries what the server did not process', function () {
  this.timeout(30_000);
  let server: QuicServer;
  let port = 0;
  /** How many of the next connections refuse everything with GOAWAY. */
  let refusing = 0;
  /** They send their GOAWAY when the first request arrives (it was sent before), not before. */
  let refuseOnArrival = false;
  let connections = 0;
  /** Requests that reached the handler. */
  let handled: string[] = [];
  let agent: H3Agent | null = null;

  before(async () => {
    server = createServer({ alpn: ['h3'], certificate: testCertificate().cert });
    server.on('connection', (conn) => {
      connections++;
      const refuse = refusing > 0;
      if (refuse) refusing--;
      if (refuse && refuseOnArrival) {
        // Heard before HTTP/3 hears of the stream: the server resets it unprocessed.
        conn.core.on('stream', (stream) => {
          if (stream.bidirectional && h3.session.goawaySent === null) h3.session.sendGoaway(0);
        });
      }
      const h3 = h3Server(conn, async (req, res) => {
        handled.push(`${req.method} ${req.path ?? ''}`);
        let n = 0;
        for await (const chunk of req) n += chunk.length;
        res.end(`${req.method} ${req.path ?? ''} ${n}`);
      });
      if (refuse) {
        if (!refuseOnArrival) h3.session.sendGoaway(0);
        void conn.ready.then(() => h3.close());
      }
    });
    port = (await server.listen(0, '127.0.0.1')).port;
  });

  after(async () => {
    await server.close();
  });

  beforeEach(() => {
    refusing = 0;
    refuseOnArrival = false;
    connections = 0;
    handled = [];
  });

  afterEach(async () => {
    await agent?.close();
    agent = null;
  });

  function newAgent(retryMethods?: string[]): H3Agent {
    agent = new H3Agent({
      ca: testCertificate().ca,
      serverName: 'localhost',
      ...(retryMethods ? { retryMethods } : {}),
    });
    return agent;
  }

  const url = (p: string): string => `https://127.0.0.1:${port}${p}`;

  function assertRejected(e: unknown): true {
    assert.ok(e instanceof Http3StreamError, String(e));
    assert.equal(e.code, 'H3_REQUEST_REJECTED');
    return true;
  }

  it('a GET refused by GOAWAY is sent again on a new connection', async () => {
    refusing = 1;
    const res = await newAgent().fetch(url('/a'));
    assert.equal(await res.text(), 'GET /a 0');
    assert.equal(connections, 2);
    assert.deepEqual(handled, ['GET /a']);
  });

  it('a GET sent before the GOAWAY and rejected unprocessed is sent again', async () => {
    refusing = 1;
    refuseOnArrival = true;
    const res = await newAgent().fetch(url('/b'));
    assert.equal(await res.text(), 'GET /b 0');
    assert.equal(connections, 2);
    assert.deepEqual(handled, ['GET /b']);
  });

  it('refused on the new connection too: the rejection, after one retry', async () => {
    refusing = 2;
    await assert.rejects(newAgent().fetch(url('/c')), assertRejected);
    assert.equal(connections, 2);
    assert.deepEqual(handled, []);
  });

  it('POST is not sent again by default; retryMethods can allow it', async () => {
    refusing = 1;
    await assert.rejects(
      newAgent().fetch(url('/d'), { method: 'POST', body: 'x' }),
      assertRejected,
    );
    assert.equal(connections, 1);
    await agent!.close();

    refusing = 1;
    connections = 0;
    const res = await newAgent(['POST']).fetch(url('/e'), { method: 'POST', body: 'xyz' });
    assert.equal(await res.text(), 'POST /e 3');
    assert.equal(connections, 2);
  });

  it('a streamed body is never sent twice', async () => {
    refusing = 1;
    async function* body(): AsyncIterable<string> {
      yield 'abc';
    }
    const a = newAgent(['POST']);
    await assert.rejects(a.fetch(url('/f'), { method: 'POST', body: body() }), assertRejected);
    assert.equal(connections, 1);
  });

  it('retryMethods [] retries nothing', async () => {
    refusing = 1;
    await assert.rejects(newAgent([]).fetch(url('/g')), assertRejected);
    assert.equal(connections, 1);
  });
});
