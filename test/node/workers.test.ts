import assert from 'node:assert/strict';
import { connect, createWorkerServer, type QuicConnection } from '../../src/node/index.js';
import { ReusePortGroup } from '../../src/node/reuseport-group.js';
import { nextFreeConfigId } from '../../src/node/workers.js';
import { chooseSocket } from '../../src/node/socket-choice.js';
import { defaultProvider } from '../../src/crypto/default-provider.js';
import { RUNNING_TS, payload, testCert } from './helpers.js';

const MODULE = new URL(`./fixtures/echo-worker${RUNNING_TS ? '.ts' : '.js'}`, import.meta.url);

/** Writes `data` on a new stream of `conn` and collects the echo. */
async function echo(conn: QuicConnection, data: Buffer): Promise<Buffer> {
  const stream = await conn.openStream();
  stream.end(data);
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** The design a server gets by default here: kernel steering wherever the native socket runs. */
const STEERING =
  chooseSocket(defaultProvider.name).kind === 'native' && ReusePortGroup.addon() !== null
    ? 'kernel'
    : 'router';

describe('node: multi-worker server', function () {
  this.timeout(60_000);
  const { certPem, keyPem } = testCert();

  /** Sixteen clients echo 100 kB each through `server`; its stats after. */
  async function sixteenEchoes(server: ReturnType<typeof createWorkerServer>, tag: string) {
    const { port } = await server.listen(0, '127.0.0.1');
    const data = payload(100_000, 7);
    // New connections are spread by hash, so each worker gets some (all on one worker would
    // come once in 2^15 runs).
    const conns = Array.from({ length: 16 }, () =>
      connect(
        { host: '127.0.0.1', port },
        { alpn: ['echo'], ca: certPem, serverName: 'localhost' },
      ),
    );
    await Promise.all(conns.map((c) => c.ready));
    const echoed = await Promise.all(conns.map((c) => echo(c, data)));
    for (const e of echoed)
      assert.ok(e.equals(Buffer.concat([Buffer.from(`${tag}:`), data])), 'byte for byte');
    const stats = await server.getStats();
    assert.equal(stats.workers.length, 2);
    assert.equal(stats.total.accepted, 16);
    for (const w of stats.workers)
      assert.ok(w.accepted >= 1, `worker ${w.worker} got no connection`);
    await Promise.all(conns.map((c) => c.close()));
    return stats;
  }

  it(`spreads connections over the workers and keeps each one on its worker (${STEERING})`, async () => {
    const server = createWorkerServer({
      workers: 2,
      module: MODULE,
      moduleData: { tag: 'w' },
      server: { cert: certPem, key: keyPem, alpn: ['echo'] },
    });
    try {
      const stats = await sixteenEchoes(server, 'w');
      assert.equal(stats.steering, STEERING);
      // Only the clients' first Initials carry a DCID of their own choosing: everything after
      // names its worker by CID.
      assert.ok(
        stats.hashedIn > 0 && stats.hashedIn < stats.datagramsIn / 10,
        JSON.stringify(stats),
      );
      // The kernel delivers every datagram to the worker holding its connection.
      assert.equal(stats.forwarded, 0, JSON.stringify(stats));
      if (STEERING === 'kernel') {
        for (const w of stats.workers) assert.ok(w.datagramsIn > 0 && w.datagramsOut > 0);
      }
    } finally {
      await server.close();
    }
  });

  const encryptedTitle =
    STEERING === 'kernel' ? 'forwards what the kernel cannot steer' : 'the router decodes each CID';
  it(`with an encrypted QUIC-LB configuration, ${encryptedTitle}`, async () => {
    const server = createWorkerServer({
      workers: 2,
      module: MODULE,
      moduleData: { tag: 'e' },
      server: { cert: certPem, key: keyPem, alpn: ['echo'] },
      quicLb: { configId: 0, nonceLength: 15, key: new Uint8Array(16).fill(7) },
    });
    try {
      // sixteenEchoes checks each echo byte for byte.
      const stats = await sixteenEchoes(server, 'e');
      assert.equal(stats.steering, STEERING);
      if (STEERING === 'router') {
        // This thread decrypts each CID (§5) and hands the datagram straight to its worker:
        // nothing is forwarded, and only the clients' first Initials go by hash.
        assert.equal(stats.forwarded, 0, JSON.stringify(stats));
        assert.ok(
          stats.hashedIn > 0 && stats.hashedIn < stats.datagramsIn / 10,
          JSON.stringify(stats),
        );
        return;
      }
      // Short headers go by the kernel's 4-tuple hash: for some of 16 clients, to the other
      // worker (none at all would come once in 2^16 runs), which forwards them.
      assert.ok(stats.forwarded > 0, JSON.stringify(stats));
      // Counted by the workers as they send, and by this thread as it receives.
      assert.ok(stats.total.forwarded > 0);
    } finally {
      await server.close();
    }
  });

  it('routes through this thread when asked to (steering: router)', async () => {
    const server = createWorkerServer({
      workers: 2,
      module: MODULE,
      moduleData: { tag: 'r' },
      server: { cert: certPem, key: keyPem, alpn: ['echo'] },
      steering: 'router',
    });
    try {
      // sixteenEchoes checks each echo byte for byte.
      const stats = await sixteenEchoes(server, 'r');
      assert.equal(stats.steering, 'router');
      assert.ok(stats.datagramsIn > 0 && stats.datagramsOut > 0);
      // This thread routes every datagram itself: none is handed on between workers.
      assert.equal(stats.forwarded, 0, JSON.stringify(stats));
      assert.equal(stats.total.forwarded, 0, JSON.stringify(stats));
      // Only the clients' first Initials go by hash; the rest name their worker by CID.
      assert.ok(
        stats.hashedIn > 0 && stats.hashedIn < stats.datagramsIn / 10,
        JSON.stringify(stats),
      );
    } finally {
      await server.close();
    }
  });

  it('follows a client that migrates to a new port', async () => {
    const server = createWorkerServer({
      workers: 2,
      module: MODULE,
      moduleData: { tag: 'm' },
      server: { cert: certPem, key: keyPem, alpn: ['echo'] },
    });
    const { port } = await server.listen(0, '127.0.0.1');
    try {
      const conn = connect(
        { host: '127.0.0.1', port },
        { alpn: ['echo'], ca: certPem, serverName: 'localhost' },
      );
      await conn.ready;
      const before = await echo(conn, payload(50_000, 1));
      assert.equal(before.length, 50_002);
      assert.equal(await conn.migrate(), true);
      const data = payload(200_000, 2);
      const after = await echo(conn, data);
      assert.ok(after.equals(Buffer.concat([Buffer.from('m:'), data])));
      assert.equal(conn.getStats().migrated, true);
      // The new path's datagrams carry the same kind of CID: steered like the old ones.
      assert.equal((await server.getStats()).forwarded, 0);
      await conn.close();
    } finally {
      await server.close();
    }
  });

  it('reloads three times during eight transfers without dropping one', async function () {
    this.timeout(180_000); // three generations of worker threads start
    const server = createWorkerServer({
      workers: 2,
      module: MODULE,
      moduleData: { tag: 'g0' },
      server: { cert: certPem, key: keyPem, alpn: ['echo'] },
    });
    const { port } = await server.listen(0, '127.0.0.1');
    try {
      const opts = { alpn: ['echo'], ca: certPem, serverName: 'localhost' };
      const conns = Array.from({ length: 8 }, () => connect({ host: '127.0.0.1', port }, opts));
      await Promise.all(conns.map((c) => c.ready));
      const data = payload(400_000, 3);
      // Half of each stream before the reloads, half after: each transfer spans all three.
      const streams = await Promise.all(conns.map((c) => c.openStream()));
      const echoes = streams.map(async (stream) => {
        const chunks: Buffer[] = [];
        for await (const c of stream) chunks.push(c as Buffer);
        return Buffer.concat(chunks);
      });
      for (const st of streams) st.write(data.subarray(0, 200_000));
      // No drain limit (the default): under load a limit would cut the old generation's transfers.
      for (let g = 1; g <= 3; g++) await server.reload({ moduleData: { tag: `g${g}` } });
      for (const st of streams) st.end(data.subarray(200_000));
      for (const e of await Promise.all(echoes)) {
        assert.ok(e.equals(Buffer.concat([Buffer.from('g0:'), data])), 'old connections stay put');
      }
      // An old connection goes on after the reloads; a new one lands on the newest generation.
      const again = await echo(conns[0]!, data.subarray(0, 1000));
      assert.ok(again.equals(Buffer.concat([Buffer.from('g0:'), data.subarray(0, 1000)])));
      const fresh = connect({ host: '127.0.0.1', port }, opts);
      await fresh.ready;
      const answer = await echo(fresh, Buffer.from('hi'));
      assert.equal(answer.toString(), 'g3:hi');
      const stats = await server.getStats();
      assert.equal(stats.reloads, 3);
      await Promise.all([...conns, fresh].map((c) => c.close()));
    } finally {
      await server.close();
    }
  });

  it('resumes a session on whichever worker the new connection lands on (shared ticket keys)', async () => {
    const server = createWorkerServer({
      workers: 2,
      module: MODULE,
      moduleData: { tag: 'r' },
      server: { cert: certPem, key: keyPem, alpn: ['echo'] },
    });
    const { port } = await server.listen(0, '127.0.0.1');
    try {
      const opts = { alpn: ['echo'], ca: certPem, serverName: 'localhost' };
      const first = connect({ host: '127.0.0.1', port }, opts);
      const ticket = new Promise<Buffer>((resolve) => first.once('sessionTicket', resolve));
      await first.ready;
      await echo(first, Buffer.from('x'));
      const session = new Uint8Array(await ticket);
      await first.close();
      // New connections are spread by hash: with several, both workers see resumptions.
      const resumed = Array.from({ length: 6 }, () =>
        connect({ host: '127.0.0.1', port }, { ...opts, session }),
      );
      await Promise.all(resumed.map((c) => c.ready));
      for (const c of resumed) assert.equal(c.getStats().resumed, true);
      // `ready` comes with the client's Finished: an answer shows the server accepted it too.
      await Promise.all(resumed.map((c) => echo(c, Buffer.from('y'))));
      const stats = await server.getStats();
      for (const w of stats.workers)
        assert.ok(w.accepted >= 1, `worker ${w.worker} got no connection`);
      await Promise.all(resumed.map((c) => c.close()));
    } finally {
      await server.close();
    }
  });

  it('fails to listen with a clear error when the module has no default export', async () => {
    const server = createWorkerServer({
      workers: 1,
      module: new URL(`./helpers${RUNNING_TS ? '.ts' : '.js'}`, import.meta.url),
      server: { cert: certPem, key: keyPem, alpn: ['echo'] },
    });
    await assert.rejects(server.listen(0, '127.0.0.1'), /has no default export/);
    assert.equal(server.address(), null);
  });

  it('takes the next config rotation codepoint no live generation holds (wraps past 6)', () => {
    const live = (...ids: number[]) => ids.map((configId) => ({ lb: { configId } }));
    assert.equal(nextFreeConfigId(0, live(0)), 1);
    assert.equal(nextFreeConfigId(6, live(6)), 0); // the seventh reload wraps
    assert.equal(nextFreeConfigId(6, live(0, 6)), 1); // 0 still drains: skip it
    assert.equal(nextFreeConfigId(2, live(0, 1, 2, 3, 4, 5, 6)), null);
  });

  it('refuses a worker count out of range', () => {
    assert.throws(
      () => createWorkerServer({ workers: 0, module: MODULE, server: { alpn: ['x'] } }),
      RangeError,
    );
  });
});
