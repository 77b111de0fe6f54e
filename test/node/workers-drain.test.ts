/**
 * Ending a multi-worker server (workers.ts): drain() refuses new clients at once (RFC 9000
 * §10.2, CONNECTION_REFUSED) and lets the live connections run to their end or to the limit;
 * destroy() stops at once; getStats() never waits for a worker that has left.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import {
  connect,
  createWorkerServer,
  QuicConnectionError,
  type QuicConnection,
  type WorkerServer,
} from '../../src/node/index.js';
import { RUNNING_TS, payload, testCert } from './helpers.js';

const MODULE = new URL(`./fixtures/echo-worker${RUNNING_TS ? '.ts' : '.js'}`, import.meta.url);

describe('node: multi-worker server, drain and destroy', function () {
  this.timeout(60_000);
  const { certPem, keyPem } = testCert();
  const clientOptions = { alpn: ['echo'], ca: certPem, serverName: 'localhost' };
  let server: WorkerServer | null = null;
  const clients: QuicConnection[] = [];

  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    await server?.destroy();
    server = null;
  });

  async function start(tag: string): Promise<number> {
    server = createWorkerServer({
      workers: 2,
      module: MODULE,
      moduleData: { tag },
      server: { cert: certPem, key: keyPem, alpn: ['echo'] },
    });
    return (await server.listen(0, '127.0.0.1')).port;
  }

  function client(port: number): QuicConnection {
    const c = connect({ host: '127.0.0.1', port }, clientOptions);
    clients.push(c);
    return c;
  }

  it('refuses a late client while a live transfer runs to its end, then exits', async () => {
    const port = await start('d');
    const live = client(port);
    await live.ready;
    const data = payload(400_000, 5);
    const stream = await live.openStream();
    const echoed = (async () => {
      const chunks: Buffer[] = [];
      for await (const c of stream) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    })();
    stream.write(data.subarray(0, 200_000));

    const s = server!;
    let drained = false;
    const closed = once(s, 'close');
    const drain = s.drain(Infinity).then(() => (drained = true));
    // Stats requests follow the drain command: once answered, every worker refuses.
    const during = await s.getStats();
    assert.equal(during.workers.length, 2, 'both workers stay while a connection is live');

    const late = client(port);
    await assert.rejects(late.ready, (e: unknown) => {
      assert.ok(e instanceof QuicConnectionError, String(e));
      assert.equal(e.code, 'ERR_QUIC_REFUSED');
      assert.equal(e.errorCode, 0x02); // CONNECTION_REFUSED
      assert.equal(e.source, 'peer');
      return true;
    });

    stream.end(data.subarray(200_000));
    const got = await echoed;
    assert.ok(got.equals(Buffer.concat([Buffer.from('d:'), data])), 'byte for byte');
    assert.equal(drained, false, 'the drain waits for the live connection');
    await live.close();
    await drain;
    await closed;
    // Every worker has left: stats come at once, with none.
    const after = await s.getStats();
    assert.deepEqual(after.workers, []);
  });

  it('closes what is left when the drain limit comes', async () => {
    const port = await start('t');
    const idle = client(port);
    await idle.ready;
    const ended = once(idle, 'close');
    await server!.drain(200, 0, 'drain limit');
    const [info] = (await ended) as [{ source: string; errorCode: number }];
    assert.equal(info.source, 'peer');
    assert.equal(info.errorCode, 0);
  });

  it('drains a reloaded server: the old generation and the new one together', async () => {
    const port = await start('g0');
    const old = client(port);
    await old.ready;
    const s = server!;
    await s.reload({ moduleData: { tag: 'g1' } });
    const fresh = client(port);
    await fresh.ready;
    const drain = s.drain(Infinity);
    const during = await s.getStats();
    // The old generation's idle worker may have left already; the one holding `old` stays.
    assert.equal(during.total.connections, 2, JSON.stringify(during));
    const late = client(port);
    await assert.rejects(late.ready, { code: 'ERR_QUIC_REFUSED' });
    await Promise.all([old.close(), fresh.close()]);
    await drain;
    assert.deepEqual((await s.getStats()).workers, []);
  });

  it('a drain during a reload ends the starting generation too', async () => {
    await start('r0');
    const s = server!;
    const reload = s.reload({ moduleData: { tag: 'r1' } });
    // One turn later the reload is starting its workers (which takes far longer than a turn).
    await new Promise((resolve) => setImmediate(resolve));
    const closed = once(s, 'close');
    await s.drain(Infinity);
    await closed;
    await assert.rejects(reload, { code: 'ERR_QUIC_CLOSED', message: /during the reload/ });
    assert.deepEqual((await s.getStats()).workers, []);
  });

  it('destroy() stops at once, live connections or not', async () => {
    const port = await start('x');
    const c = client(port);
    await c.ready;
    const s = server!;
    const closed = once(s, 'close');
    await s.destroy();
    await closed;
    assert.equal((await s.getStats()).workers.length, 0);
    // A close() after destroy() resolves too.
    await s.close();
  });
});
