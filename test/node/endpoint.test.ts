/**
 * The endpoint owns I/O scheduling: whatever happens in one turn of the event loop (a burst of
 * datagrams, API calls) leaves in one flush in the check phase, and nothing flushes from a
 * microtask or synchronously inside an API call.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { Endpoint, monotonicMicros } from '../../src/node/endpoint.js';
import {
  UdpSocket,
  type DatagramSocket,
  type SocketBinder,
  type UdpHandlers,
} from '../../src/node/udp.js';
import { testCertificate } from '../../src/testing/index.js';
import type { Connection } from '../../src/conn/connection.js';
import type { SocketAddress } from '../../src/util/address.js';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Resolves once `done()` holds, checking every few milliseconds; rejects after `limitMs`. */
async function until(done: () => boolean, limitMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!done()) {
    if (Date.now() - start > limitMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

function serverEndpoint(
  onConnection?: (c: Connection) => void,
  bindSocket?: SocketBinder,
): Endpoint {
  const { cert } = testCertificate();
  return new Endpoint(
    { server: { alpn: ['t'], certificate: cert } },
    {},
    onConnection ? { connection: onConnection } : {},
    bindSocket ? { bindSocket } : {},
  );
}

describe('node adapter: the endpoint flushes once per turn', function () {
  this.timeout(20_000);
  const cleanup: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanup.splice(0)) c();
  });

  /**
   * A server endpoint on a node:dgram socket whose handlers the test calls as a socket that
   * reads in bursts would (the native one, a worker's port).
   */
  async function burstingEndpoint(): Promise<{
    ep: Endpoint;
    socket: DatagramSocket;
    handlers: UdpHandlers;
  }> {
    let handlers: UdpHandlers | null = null;
    const ep = serverEndpoint(undefined, (host, port, opts, h) => {
      handlers = h;
      return UdpSocket.bind(host, port, opts, h);
    });
    cleanup.push(() => ep.close());
    const socket = await ep.addSocket('127.0.0.1', 0);
    return { ep, socket, handlers: handlers! };
  }

  /**
   * A peer that counts what the endpoint sends it: a stateless reset per datagram for an
   * unknown connection (RFC 9000 §10.3).
   */
  async function countingPeer(): Promise<{ remote: SocketAddress; answers: () => number }> {
    const peer = dgram.createSocket('udp4');
    cleanup.push(() => peer.close());
    await new Promise<void>((resolve) => peer.bind(0, '127.0.0.1', resolve));
    let answers = 0;
    peer.on('message', () => answers++);
    return { remote: { address: '127.0.0.1', port: peer.address().port }, answers: () => answers };
  }

  it('many datagrams received in one turn produce one flush that answers them all', async () => {
    const ep = serverEndpoint(undefined, UdpSocket.bind);
    cleanup.push(() => ep.close());
    // node:dgram sockets: the test reaches into one to fake a read burst.
    const socket = (await ep.addSocket('127.0.0.1', 0)) as UdpSocket;
    const { remote, answers } = await countingPeer();

    await turn();
    const before = ep.flushCount;
    // One read burst, as libuv delivers it: 'message' events back to back in one poll phase.
    const n = 20;
    for (let i = 0; i < n; i++) {
      const d = Buffer.alloc(100, i + 1);
      d[0] = 0x40; // a short header for a connection this endpoint does not know
      socket.socket.emit('message', d, { ...remote, family: 'IPv4', size: d.length });
    }
    assert.equal(ep.flushCount, before, 'nothing is sent while the burst is read');
    await Promise.resolve();
    assert.equal(ep.flushCount, before, 'nor from a microtask');
    await turn();
    assert.equal(ep.flushCount, before + 1, 'one flush for the burst');
    await until(() => answers() === n);
  });

  it('a socket that reads in bursts has the streams read when its burst ends, before the flush', async () => {
    const { ep, socket, handlers } = await burstingEndpoint();
    await turn();
    const reads: string[] = [];
    const before = ep.flushCount;
    ep.readSoon({ readBeforeFlush: () => reads.push('burst') });
    // The native socket and a worker's port call this after each recvmmsg or batch: what the
    // application does with the data then runs before the flush and leaves with its ACK.
    handlers.burstEnd!(socket, true);
    assert.deepEqual(reads, ['burst'], 'read when the burst ends');
    assert.equal(ep.flushCount, before, 'before the flush');
    await turn();
    assert.deepEqual(reads, ['burst'], 'and not again at the flush');
    // A burst after which the wake-up reads more (a full recvmmsg): the reading waits for the
    // last one, so a download gets one read per wake-up.
    ep.readSoon({ readBeforeFlush: () => reads.push('wake-up') });
    handlers.burstEnd!(socket, false);
    assert.deepEqual(reads, ['burst']);
    handlers.burstEnd!(socket, true);
    assert.deepEqual(reads, ['burst', 'wake-up']);
    await turn();
    // node:dgram has no burst end: the flush reads.
    ep.readSoon({ readBeforeFlush: () => reads.push('flush') });
    assert.deepEqual(reads, ['burst', 'wake-up']);
    await turn();
    assert.deepEqual(reads, ['burst', 'wake-up', 'flush']);
  });

  it('after a burst with handshake packets, a second burst in the same turn waits for its answers to leave', async () => {
    const { ep, socket, handlers } = await burstingEndpoint();
    const { remote, answers } = await countingPeer();
    // A short header for a connection this endpoint does not know: a stateless reset answers.
    const short = (fill: number): Uint8Array => {
      const d = new Uint8Array(100).fill(fill);
      d[0] = 0x40;
      return d;
    };
    // A long header of a version nobody speaks (0x?a?a?a?a, RFC 9000 §15), a full Initial's
    // size: Version Negotiation answers.
    const long = (): Uint8Array => {
      const d = new Uint8Array(1200).fill(7);
      d.set([0xc0, 0x1a, 0x2a, 0x3a, 0x4a, 8], 0);
      d[14] = 8;
      return d;
    };
    await turn();
    const before = ep.flushCount;
    // One wake-up of a socket that found more than a batch waiting: bursts back to back.
    handlers.message(long(), remote, socket);
    handlers.burstEnd!(socket, false);
    assert.equal(ep.flushCount, before, 'nothing is sent at the end of the burst itself');
    handlers.message(short(2), remote, socket);
    assert.equal(ep.flushCount, before + 1, "the first burst's answer left before the second");
    handlers.burstEnd!(socket, false);
    // A burst of short headers only owes ACKs: the next burst does not wait for them.
    handlers.message(short(3), remote, socket);
    assert.equal(ep.flushCount, before + 1, 'no flush after a burst of short headers');
    handlers.burstEnd!(socket, true);
    await turn();
    assert.equal(ep.flushCount, before + 2, 'the rest leaves in the check phase');
    await until(() => answers() === 3);
  });

  it('API calls made in one turn share one flush; none flushes synchronously', async () => {
    let accepted: Connection | null = null;
    const server = serverEndpoint((c) => (accepted = c));
    cleanup.push(() => server.close());
    const listening = await server.addSocket('127.0.0.1', 0);
    const { ca } = testCertificate();
    const client = new Endpoint({}, {}, {});
    cleanup.push(() => client.close());
    const socket = await client.addSocket('127.0.0.1', 0);
    const before = client.flushCount;
    const conn = client.engine.connect(
      listening.local,
      { alpn: ['t'], serverName: 'localhost', ca: [ca], local: socket.local },
      monotonicMicros(),
    );
    assert.equal(client.flushCount, before, 'connect() only asks for a flush');
    await until(() => conn.handshakeConfirmed && accepted !== null);
    let received = 0;
    accepted!.on('readable', (s) => {
      for (let r = s.read(); r; r = s.read()) received += r.data.length;
    });

    await turn();
    const start = client.flushCount;
    conn.ping();
    const s = conn.openStream(true)!;
    s.write(new Uint8Array(1000), false);
    conn.ping();
    s.write(new Uint8Array(1000), true);
    assert.equal(client.flushCount, start, 'no flush inside the calls');
    await Promise.resolve();
    assert.equal(client.flushCount, start, 'nor from a microtask');
    await until(() => received === 2000);
    assert.ok(client.flushCount > start);
  });

  it('close() sends a CONNECTION_CLOSE queued in the same turn before it releases the sockets', async () => {
    let accepted: Connection | null = null;
    const server = serverEndpoint((c) => (accepted = c));
    cleanup.push(() => server.close());
    const listening = await server.addSocket('127.0.0.1', 0);
    const { ca } = testCertificate();
    const client = new Endpoint({}, {}, {});
    const socket = await client.addSocket('127.0.0.1', 0);
    const conn = client.engine.connect(
      listening.local,
      { alpn: ['t'], serverName: 'localhost', ca: [ca], local: socket.local },
      monotonicMicros(),
    );
    await until(() => conn.handshakeConfirmed && accepted !== null);
    let closedBy: string | null = null;
    accepted!.on('close', (info) => (closedBy = `${info.source}:${info.errorCode}`));
    conn.close(7, 'bye');
    client.close();
    assert.equal(client.isClosed, true);
    await until(() => closedBy !== null);
    assert.equal(closedBy, 'peer:7');
  });
});
