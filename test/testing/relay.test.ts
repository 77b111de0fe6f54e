/**
 * The UDP relay of tsquic/testing (src/testing/relay.ts) between two plain UDP sockets on
 * loopback: forwarding both ways, seeded loss and corruption, the drop list, blackholes, the
 * rate limit's drop-tail queue, port and address rebinding, and the amplification counts up
 * to the first client Handshake packet. Outcomes are read from what arrived and from the
 * relay's counters, never from timing.
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { NativeUdpSocket, nativeUdpAddon } from '../../src/node/native-udp.js';
import { UdpRelay, carriesHandshakePacket, type RelayOptions } from '../../src/testing/index.js';
import type { SocketAddress } from '../../src/util/address.js';
import { QUIC_V1, QUIC_V2 } from '../../src/wire/version.js';

interface Received {
  data: Buffer;
  from: SocketAddress;
}

/** A UDP socket on 127.0.0.1 that keeps what it receives. */
async function endpoint(): Promise<{ socket: Socket; got: Received[]; address: SocketAddress }> {
  const socket = createSocket('udp4');
  const got: Received[] = [];
  socket.on('message', (data, r) => got.push({ data, from: { address: r.address, port: r.port } }));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { socket, got, address: { address: '127.0.0.1', port: socket.address().port } };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what}: not within 10 s`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A long-header packet of `type` bits (0..3) with `payload` bytes after the Length field. */
function longPacket(version: number, typeBits: number, payload: number): Buffer {
  const token = typeBits === (version === QUIC_V1 ? 0 : 1) ? [0] : []; // Initial: empty token
  const length = [0x40 | (payload >> 8), payload & 0xff];
  const head = [
    0xc0 | (typeBits << 4),
    version >>> 24,
    (version >>> 16) & 0xff,
    (version >>> 8) & 0xff,
    version & 0xff,
    8,
    ...Array<number>(8).fill(1),
    8,
    ...Array<number>(8).fill(2),
    ...token,
    ...length,
  ];
  return Buffer.concat([Buffer.from(head), Buffer.alloc(payload, 0xab)]);
}

describe('UdpRelay', function () {
  this.timeout(20_000);
  const open: { close(): void }[] = [];
  afterEach(() => {
    for (const o of open.splice(0)) o.close();
  });

  async function setup(options: Omit<RelayOptions, 'server'> = {}) {
    const server = await endpoint();
    const client = await endpoint();
    const relay = await UdpRelay.start({ server: server.address, ...options });
    open.push(server.socket, client.socket, relay);
    const toServer = (d: Buffer | string): void => {
      const a = relay.address();
      client.socket.send(d, a.port, a.address);
    };
    /** The server answers the relay's upstream address it last heard from. */
    const toClient = (d: Buffer | string): void => {
      const last = server.got.at(-1)!.from;
      server.socket.send(d, last.port, last.address);
    };
    return { server, client, relay, toServer, toClient };
  }

  it('forwards both ways, one upstream address per client address', async () => {
    const { server, client, relay, toServer, toClient } = await setup({ record: true });
    toServer('ping');
    await until(() => server.got.length === 1, 'ping');
    assert.equal(server.got[0]!.data.toString(), 'ping');
    assert.notEqual(server.got[0]!.from.port, client.address.port); // the relay's socket
    toClient('pong');
    await until(() => client.got.length === 1, 'pong');
    assert.equal(client.got[0]!.data.toString(), 'pong');
    assert.equal(client.got[0]!.from.port, relay.address().port);
    const s = relay.stats();
    assert.equal(s.flows, 1);
    assert.equal(s.toServer.delivered, 1);
    assert.equal(s.toClient.delivered, 1);
    assert.deepEqual(
      relay.trace.map((r) => [r.direction, r.fate, Buffer.from(r.data).toString()]),
      [
        ['toServer', 'delivered', 'ping'],
        ['toClient', 'delivered', 'pong'],
      ],
    );
  });

  it('drops and corrupts at seeded rates, the same way for the same seed', async () => {
    const run = async (seed: number) => {
      const { server, relay, toServer } = await setup({
        seed,
        toServer: { dropRate: 0.3, corruptRate: 0.3 },
      });
      for (let i = 0; i < 200; i++) toServer(Buffer.alloc(100, i));
      await until(() => relay.stats().toServer.datagrams === 200, 'all seen');
      const s = relay.stats().toServer;
      await until(() => server.got.length === s.delivered + s.corrupted, 'all forwarded');
      const corrupted = server.got.filter((g) => g.data.some((b) => b !== g.data[1])).length;
      return { s, corrupted };
    };
    const a = await run(7);
    const b = await run(7);
    assert.deepEqual(a.s, b.s);
    assert.ok(a.s.dropped > 30 && a.s.dropped < 90, `dropped ${a.s.dropped}`);
    assert.ok(a.s.corrupted > 20 && a.s.corrupted < 80, `corrupted ${a.s.corrupted}`);
    // Every corrupted datagram arrives changed (the others are one repeated byte).
    assert.equal(a.corrupted, a.s.corrupted);
  });

  it('drops the datagrams of the drop list, counted per direction', async () => {
    const { server, relay, toServer } = await setup({ toServer: { dropList: [2, 3] } });
    for (const m of ['1', '2', '3', '4']) toServer(m);
    await until(() => relay.stats().toServer.datagrams === 4, 'seen');
    await until(() => server.got.length === 2, 'delivered');
    assert.deepEqual(
      server.got.map((g) => g.data.toString()),
      ['1', '4'],
    );
    assert.equal(relay.stats().toServer.dropped, 2);
  });

  it('blackholes both directions for a period', async () => {
    const { server, relay, toServer } = await setup();
    toServer('before');
    await until(() => server.got.length === 1, 'before');
    relay.blackhole(60_000);
    toServer('during');
    await until(() => relay.stats().toServer.datagrams === 2, 'seen');
    assert.equal(relay.stats().toServer.blackholed, 1);
    relay.blackhole(0);
    toServer('after');
    await until(() => server.got.length === 2, 'after');
    assert.equal(server.got[1]!.data.toString(), 'after');
  });

  it('queues behind a rate limit and drops what the queue cannot hold', async () => {
    // 1000 bytes/s: each 1000-byte datagram holds the link for a second; the queue takes 2.
    const { server, relay, toServer } = await setup({
      toServer: { rateBytesPerSecond: 1000, queueDatagrams: 2 },
    });
    for (let i = 0; i < 5; i++) toServer(Buffer.alloc(1000, i));
    await until(() => relay.stats().toServer.datagrams === 5, 'seen');
    const s = relay.stats().toServer;
    assert.equal(s.delivered, 2);
    assert.equal(s.queueFull, 3);
    await until(() => server.got.length === s.delivered, 'delivered');
    // What passed keeps its order.
    assert.deepEqual(
      server.got.map((g) => g.data[0]),
      [...server.got.map((g) => g.data[0]!)].sort((x, y) => x - y),
    );
  });

  it('delays datagrams and still delivers them in order', async () => {
    const { server, toServer } = await setup({ toServer: { delayMs: 50 } });
    for (const m of ['a', 'b', 'c']) toServer(m);
    await until(() => server.got.length === 3, 'delayed');
    assert.deepEqual(
      server.got.map((g) => g.data.toString()),
      ['a', 'b', 'c'],
    );
  });

  it('rebinds the client port, then its address to 127.0.0.2', async () => {
    const { server, client, relay, toServer, toClient } = await setup();
    toServer('1');
    await until(() => server.got.length === 1, 'first');
    const first = server.got[0]!.from;
    await relay.rebindPort();
    toServer('2');
    await until(() => server.got.length === 2, 'second');
    const second = server.got[1]!.from;
    assert.equal(second.address, '127.0.0.1');
    assert.notEqual(second.port, first.port);
    await relay.rebindAddress();
    toServer('3');
    await until(() => server.got.length === 3, 'third');
    assert.equal(server.got[2]!.from.address, '127.0.0.2');
    // Answers to the new binding reach the client; the relay counts one flow throughout.
    toClient('back');
    await until(() => client.got.length === 1, 'back');
    assert.equal(relay.stats().rebinds, 2);
    assert.equal(relay.stats().flows, 1);
  });

  it('counts bytes each way until the first client Handshake packet reaches the server', async () => {
    const { server, client, relay, toServer, toClient } = await setup();
    toServer(longPacket(QUIC_V1, 0, 1200 - 26)); // a 1200-byte Initial
    await until(() => server.got.length === 1, 'initial');
    toClient(Buffer.alloc(3000));
    toClient(Buffer.alloc(600));
    await until(() => client.got.length === 2, 'server flight');
    let [a] = relay.amplification();
    assert.equal(a!.clientBytes, 1200);
    assert.equal(a!.serverBytes, 3600);
    assert.equal(a!.maxRatio, 3);
    assert.equal(a!.validated, false);
    toClient(Buffer.alloc(100)); // past 3x
    await until(() => client.got.length === 3, 'one more');
    assert.ok(relay.amplification()[0]!.maxRatio > 3);
    // Initial + Handshake coalesced: the address is validated, later bytes are not counted.
    toServer(Buffer.concat([longPacket(QUIC_V1, 0, 50), longPacket(QUIC_V1, 2, 40)]));
    await until(() => server.got.length === 2, 'handshake');
    toClient(Buffer.alloc(5000));
    await until(() => client.got.length === 4, 'after validation');
    [a] = relay.amplification();
    assert.equal(a!.validated, true);
    assert.equal(a!.serverBytes, 3700);
  });

  it('recognises Handshake packets of QUIC v1 and v2 by their long-header type', () => {
    assert.equal(carriesHandshakePacket(longPacket(QUIC_V1, 2, 20)), true);
    assert.equal(carriesHandshakePacket(longPacket(QUIC_V1, 0, 20)), false); // Initial
    assert.equal(carriesHandshakePacket(longPacket(QUIC_V2, 3, 20)), true); // v2 Handshake
    assert.equal(carriesHandshakePacket(longPacket(QUIC_V2, 2, 20)), false); // v2 0-RTT
    const v2 = Buffer.concat([longPacket(QUIC_V2, 1, 30), longPacket(QUIC_V2, 3, 20)]);
    assert.equal(carriesHandshakePacket(v2), true); // v2 Initial, then Handshake
    assert.equal(carriesHandshakePacket(Buffer.from([0x40, 1, 2, 3])), false); // short header
    assert.equal(carriesHandshakePacket(longPacket(QUIC_V1, 0, 20).subarray(0, 12)), false);
  });

  it('with ecn, reads each mark, records it and forwards it both ways (native sockets)', async function () {
    if (process.env['CI'] === 'true') assert.ok(nativeUdpAddon(), 'native socket in CI');
    if (nativeUdpAddon() === null) this.skip();
    const marked = async () => {
      const got: { data: Uint8Array; ecn: number; from: SocketAddress }[] = [];
      const socket = await NativeUdpSocket.bind(
        '127.0.0.1',
        0,
        {},
        {
          message: (data, from, _s, ecn) => got.push({ data: data.slice(), ecn: ecn ?? -1, from }),
          error: () => {},
        },
      );
      open.push(socket);
      const send = (data: Uint8Array, to: SocketAddress, ecn: number): void => {
        socket.send(data, to, ecn);
        socket.flushSends();
      };
      return { got, send, address: socket.local };
    };
    for (const ecn of [true, false]) {
      const server = await marked();
      const client = await marked();
      const relay = await UdpRelay.start({
        server: server.address,
        record: true,
        ...(ecn ? { ecn: NativeUdpSocket.bind } : {}),
      });
      open.push(relay);
      // ECT(0) and ECT(1) towards the server, CE back (RFC 3168 codepoints 2, 1, 3).
      client.send(Buffer.from('a'), relay.address(), 2);
      client.send(Buffer.from('b'), relay.address(), 1);
      await until(() => server.got.length === 2, 'both at the server');
      server.send(Buffer.from('c'), server.got[0]!.from, 3);
      await until(() => client.got.length === 1, 'the answer');
      const seen = [...server.got.map((g) => g.ecn), client.got[0]!.ecn];
      // Without ecn the relay's node:dgram sockets send Not-ECT: the marks are bleached.
      assert.deepEqual(seen, ecn ? [2, 1, 3] : [0, 0, 0]);
      assert.deepEqual(
        relay.trace.map((r) => r.ecn),
        ecn ? [2, 1, 3] : [0, 0, 0],
      );
    }
  });
});
