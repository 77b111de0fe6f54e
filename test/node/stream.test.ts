import assert from 'node:assert/strict';
import { once } from 'node:events';
import {
  connect,
  createServer,
  QuicStreamError,
  type QuicConnection,
  type QuicServer,
  type QuicStream,
} from '../../src/node/index.js';
import { QuicStream as QuicStreamClass } from '../../src/node/stream.js';
import type { Stream as CoreStream } from '../../src/stream/stream.js';
import { payload, testCert } from './helpers.js';

interface Setup {
  server: QuicServer;
  client: QuicConnection;
  /** The next stream the server accepts. */
  nextServerStream(): Promise<QuicStream>;
}

async function setup(opts: { streamSendBuffer?: number } = {}): Promise<Setup> {
  const { certPem, keyPem } = testCert();
  const queue: QuicStream[] = [];
  const waiting: ((s: QuicStream) => void)[] = [];
  const server = createServer({ cert: certPem, key: keyPem, alpn: ['t'] }, (conn) => {
    conn.on('stream', (s: QuicStream) => {
      const w = waiting.shift();
      if (w) w(s);
      else queue.push(s);
    });
  });
  const { port } = await server.listen(0, '127.0.0.1');
  const client = connect(
    { host: '127.0.0.1', port },
    { alpn: ['t'], ca: certPem, serverName: 'localhost', ...opts },
  );
  await client.ready;
  return {
    server,
    client,
    nextServerStream: () =>
      new Promise((resolve) => {
        const s = queue.shift();
        if (s) resolve(s);
        else waiting.push(resolve);
      }),
  };
}

async function teardown(s: Setup): Promise<void> {
  await s.client.close();
  await s.server.close();
}

describe('node adapter: streams as Duplex', () => {
  it('applies backpressure both ways with a few MiB', async () => {
    const s = await setup({ streamSendBuffer: 256 * 1024 });
    try {
      const data = payload(4 << 20, 3);
      const out = await s.client.openStream();
      // The writer runs until write() says stop, then waits for 'drain'.
      let offset = 0;
      let blocked = false;
      const blockedOnce = new Promise<void>((resolve) => {
        const pump = (): void => {
          while (offset < data.length) {
            const chunk = data.subarray(offset, offset + 64 * 1024);
            offset += chunk.length;
            if (!out.write(chunk)) {
              if (!blocked) {
                blocked = true;
                resolve();
              }
              out.once('drain', pump);
              return;
            }
          }
          out.end();
        };
        pump();
      });
      const peer = await s.nextServerStream();
      peer.end(); // the server only reads
      await blockedOnce;
      // Nobody reads on the server yet: the reader's window caps what was sent, and the writer
      // was stopped long before the whole payload was accepted.
      assert.ok(peer.core.bytesReceived <= peer.core.recvLimit, 'flow control respected');
      assert.ok(peer.core.bytesReceived < data.length, 'the unread side held the sender back');
      assert.ok(out.core.bytesWritten < data.length, 'the writer was held back');
      // Now read, slowly enough to exercise the readable side's buffer too.
      const chunks: Buffer[] = [];
      for await (const c of peer) {
        chunks.push(c as Buffer);
        if (chunks.length % 16 === 0) await new Promise((r) => setImmediate(r));
      }
      assert.ok(Buffer.concat(chunks).equals(data), 'every byte arrived in order');
    } finally {
      await teardown(s);
    }
  });

  it('surfaces a peer reset as ERR_QUIC_STREAM_RESET with its code', async () => {
    const s = await setup();
    try {
      const c = await s.client.openStream();
      c.write('hello');
      const peer = await s.nextServerStream();
      peer.reset(0x2a);
      const err = await once(c, 'error').then(([e]) => e as QuicStreamError);
      assert.ok(err instanceof QuicStreamError);
      assert.equal(err.code, 'ERR_QUIC_STREAM_RESET');
      assert.equal(err.errorCode, 0x2a);
      assert.equal(err.streamId, c.id);
    } finally {
      await teardown(s);
    }
  });

  it('reports STOP_SENDING to the writer', async () => {
    const s = await setup();
    try {
      const c = await s.client.openStream();
      c.write('x');
      const peer = await s.nextServerStream();
      peer.stopSending(0x7);
      const [code] = (await once(c, 'stopSending')) as [number];
      assert.equal(code, 0x7);
    } finally {
      await teardown(s);
    }
  });

  it('carries a unidirectional stream (writable only on the opener, readable only on the peer)', async () => {
    const s = await setup();
    try {
      const c = await s.client.openStream({ unidirectional: true });
      assert.equal(c.readable, false);
      assert.equal(c.bidirectional, false);
      c.end(Buffer.from('one way'));
      const peer = await s.nextServerStream();
      assert.equal(peer.writable, false);
      assert.equal(peer.remote, true);
      const chunks: Buffer[] = [];
      for await (const chunk of peer) chunks.push(chunk as Buffer);
      assert.equal(Buffer.concat(chunks).toString(), 'one way');
    } finally {
      await teardown(s);
    }
  });

  it('fails pending reads when the connection closes under them', async () => {
    const s = await setup();
    try {
      const c = await s.client.openStream();
      c.write('waiting');
      await s.nextServerStream();
      const failed = once(c, 'error');
      [...s.server.connections][0]!.destroy(new Error('going away'), 0x9);
      const [err] = (await failed) as [Error & { code?: string }];
      assert.equal(err.code, 'ERR_QUIC_APPLICATION');
      await assert.rejects(s.client.closed, { code: 'ERR_QUIC_APPLICATION' });
    } finally {
      await teardown(s);
    }
  });
});

describe('node adapter: reads per burst', () => {
  /** The part of a core stream a receive-only QuicStream reads: bytes buffered, then the end. */
  function fakeCore() {
    const buffered: number[] = [];
    return {
      buffered,
      finished: false,
      id: 3,
      canReceive: true,
      canSend: false,
      locallyInitiated: false,
      get readableLength() {
        return buffered.length;
      },
      get readFinished() {
        return this.finished && buffered.length === 0;
      },
      readInto(buf: Uint8Array): number {
        const n = Math.min(buf.length, buffered.length);
        buf.set(buffered.splice(0, n));
        return n;
      },
    };
  }

  it('reads the data of many packets once, when the host says, as one chunk', async () => {
    const core = fakeCore();
    const asked: QuicStream[] = [];
    const host = { usable: true, release: () => {}, readSoon: (s: QuicStream) => asked.push(s) };
    const s = new QuicStreamClass(core as unknown as CoreStream, host);
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    await new Promise((resolve) => setImmediate(resolve)); // flowing: Readable asked for data
    for (let p = 0; p < 10; p++) {
      for (let i = 0; i < 1200; i++) core.buffered.push((p + i) & 0xff);
      s.onReadable(); // one packet's STREAM frame
    }
    assert.equal(asked.length, 1, 'one read asked for the burst');
    assert.equal(chunks.length, 0, 'nothing read per packet');
    asked[0]!.readBeforeFlush();
    assert.equal(chunks.length, 1);
    assert.equal(chunks[0]!.length, 12_000);
    assert.equal(chunks[0]![1200], 1);
    // The next burst asks again; the end arrives with it.
    core.buffered.push(7);
    core.finished = true;
    s.onReadable();
    assert.equal(asked.length, 2);
    const ended = once(s, 'end');
    asked[1]!.readBeforeFlush();
    await ended;
    assert.deepEqual(
      chunks.map((c) => c.length),
      [12_000, 1],
    );
  });

  it('delivers a burst still waiting for its read when the connection closes', async () => {
    const core = fakeCore();
    const host = { usable: true, release: () => {}, readSoon: () => {} };
    const s = new QuicStreamClass(core as unknown as CoreStream, host);
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    await new Promise((resolve) => setImmediate(resolve));
    core.buffered.push(1, 2, 3);
    core.finished = true;
    s.onReadable();
    const ended = once(s, 'end');
    s.onConnectionClosed(null);
    await ended;
    assert.deepEqual(chunks, [Buffer.from([1, 2, 3])]);
  });
});
