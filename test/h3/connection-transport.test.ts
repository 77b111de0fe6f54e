/**
 * ConnectionTransport, the adapter between a tsquic Connection and the HTTP/3 session: event
 * delivery without re-entrance, streams opened before attachment, refusal of requests after the
 * session closed, and a connection that is already gone.
 */
import assert from 'node:assert/strict';
import { h3Client } from '../../src/h3/api/client.js';
import { Http3ConnectionError } from '../../src/h3/api/errors.js';
import { h3Server } from '../../src/h3/api/server.js';
import { ConnectionTransport, type H3SessionHandlers } from '../../src/h3/connection-transport.js';
import { H3ErrorCode } from '../../src/h3/errors.js';
import type { H3Stream } from '../../src/h3/session/transport.js';
import { createEnginePair } from '../../src/testing/index.js';
import { pattern } from '../scenario/transfer-kit.js';
import { drive, h3Pair, rejection, until } from './connection-helpers.js';

/** Records handle* calls and checks that none starts while another runs. */
class Recorder implements H3SessionHandlers {
  readonly calls: string[] = [];
  depth = 0;
  maxDepth = 0;
  /** Runs inside handleReadable, to raise events from there. */
  duringReadable: (() => void) | null = null;

  private record(call: string, fn?: () => void): void {
    this.depth++;
    this.maxDepth = Math.max(this.maxDepth, this.depth);
    this.calls.push(call);
    try {
      fn?.();
    } finally {
      this.depth--;
    }
  }

  handleStream(stream: H3Stream): void {
    this.record(`stream ${stream.id}`);
  }
  handleReadable(id: number): void {
    this.record(`readable ${id}`, this.duringReadable ?? undefined);
  }
  handleWritable(id: number): void {
    this.record(`writable ${id}`);
  }
  handleReset(id: number, code: number): void {
    this.record(`reset ${id} ${code}`);
  }
  handleStopSending(id: number, code: number): void {
    this.record(`stopSending ${id} ${code}`);
  }
  handleStreamCredit(): void {
    this.record('credit');
  }
  handleClose(code: number): void {
    this.record(`close ${code}`);
  }
}

function connectedPair() {
  const p = createEnginePair({ server: { alpn: ['h3'] }, client: { alpn: ['h3'] } });
  let done = false;
  p.conn.on('handshakeDone', () => (done = true));
  assert.ok(p.net.runUntil(() => done && p.serverConn() !== null));
  return p;
}

describe('h3 ConnectionTransport', () => {
  it('delivers events raised inside a stream call only after it returns', async () => {
    const p = connectedPair();
    const transport = new ConnectionTransport(p.conn);
    const session = new Recorder();
    transport.attach(session);
    const stream = transport.openStream(true)!;
    const core = p.conn.getStream(stream.id)!;

    // From the application: held until the call returns, then delivered in a microtask.
    transport.enter();
    p.conn.emit('writable', core);
    transport.leave();
    assert.deepEqual(session.calls, []);
    await Promise.resolve();
    assert.deepEqual(session.calls, ['writable 0']);

    // From inside a delivery: queued behind the running handler.
    session.duringReadable = () => {
      transport.enter();
      p.conn.emit('writable', core);
      transport.leave();
      p.conn.emit('streamReset', core, 7);
      assert.equal(session.calls.at(-1), 'readable 0');
    };
    p.conn.emit('readable', core);
    assert.deepEqual(session.calls.slice(1), ['readable 0', 'writable 0', 'reset 0 7']);
    assert.equal(session.maxDepth, 1);
  });

  it("with a host's end of burst, delivers a stream's 'readable' once per burst, before other events", () => {
    const p = connectedPair();
    const readers: { readBeforeFlush(): void }[] = [];
    const transport = new ConnectionTransport(p.conn, undefined, (r) => readers.push(r));
    const session = new Recorder();
    transport.attach(session);
    const a = p.conn.getStream(transport.openStream(true)!.id)!;
    const b = p.conn.getStream(transport.openStream(true)!.id)!;
    // A burst: several packets for stream a, one for b, then a for a again.
    p.conn.emit('readable', a);
    p.conn.emit('readable', a);
    p.conn.emit('readable', b);
    p.conn.emit('readable', a);
    assert.equal(readers.length, 1, 'one end-of-burst call asked for');
    assert.deepEqual(session.calls, []);
    readers[0]!.readBeforeFlush();
    assert.deepEqual(session.calls, [`readable ${a.id}`, `readable ${b.id}`]);
    // The next burst asks again; a reset in it delivers the data that came before it first.
    p.conn.emit('readable', b);
    assert.equal(readers.length, 2);
    p.conn.emit('streamReset', b, 9);
    assert.deepEqual(session.calls.slice(2), [`readable ${b.id}`, `reset ${b.id} 9`]);
    readers[1]!.readBeforeFlush(); // nothing left for it
    assert.equal(session.calls.length, 4);
  });

  it('hands over streams the peer opened before HTTP/3 was attached', async () => {
    const p = createEnginePair({ server: { alpn: ['h3'] }, client: { alpn: ['h3'] } });
    const client = h3Client(p.conn, { authority: 'localhost' });
    const response = client.request({ path: '/early' });
    // The client's control, QPACK and request streams reach the server first.
    assert.ok(p.net.runUntil(() => (p.serverConn()?.streams.size ?? 0) >= 4));
    const server = h3Server(p.serverConn()!, (req, res) => res.end(`late ${req.path}`));
    const h = { pair: p, client, server, serverConn: p.serverConn() };
    const res = await until(h, response);
    assert.equal(await until(h, res.body.text()), 'late /early');
    assert.notEqual(server.session.peerSettings, null);
  });

  it('refuses request streams that arrive after the session closed', async () => {
    const data = pattern(1_500_000, 4);
    const h = h3Pair(
      (_req, res) => {
        res.end(data);
        void h.server!.close();
      },
      // The client's stream window takes the whole response, so the server's session closes
      // while its connection still sends, however flow-control auto-tuning goes (the client
      // reads the body only at the end).
      { conditions: { delay: 20_000 }, quic: { initialMaxStreamData: 2 << 20 } },
    );
    const res = await until(h, h.client.request({ path: '/' }));
    // The server's session is closed; its connection waits for the response to be acknowledged.
    assert.ok(await drive(h, () => h.server!.session.closed));
    assert.equal(h.serverConn!.state, 'established');
    const raw = h.pair.conn.openStream(true)!;
    raw.write(new Uint8Array([1, 2, 3]), true);
    assert.ok(await drive(h, () => raw.peerResetCode !== null));
    assert.equal(raw.peerResetCode, H3ErrorCode.H3_REQUEST_REJECTED);
    assert.equal((await until(h, res.body.bytes())).length, data.length);
    await until(h, h.client.closed);
  });

  it('reports a connection that is already closing', async () => {
    const p = connectedPair();
    p.conn.close(0x42, 'gone');
    const client = h3Client(p.conn, { authority: 'localhost' });
    assert.equal(client.session.closed, true);
    const h = { pair: p, client, server: null, serverConn: null };
    const e = await rejection(h, client.request({ path: '/' }));
    assert.ok(e instanceof Http3ConnectionError);
    assert.equal(e.errorCode, 0x42);
    assert.equal(client.transport.openStream(true), null);
  });
});
