/**
 * Scale-out across machines (issue 14, item 5), tested: three `tsquic serve` processes with
 * distinct QUIC-LB server IDs and one key file (`tsquic keys --quic-lb`, `serve --keys FILE
 * --server-id HEX`) behind a minimal QUIC-LB load balancer written here with tsquic's decoder
 * (src/lb/decoder.ts, draft-ietf-quic-load-balancers-21 §4). The balancer is a UDP relay on
 * loopback: each client address gets its own upstream socket (the servers see it as the
 * client), datagrams go to the server the DCID's server ID names, and a client's first Initials
 * (a DCID of its own choosing, §4.3) to the server the test picks. Downloads are byte-exact; a
 * client that migrates (a new source port through the balancer) keeps reaching its server; a
 * session ticket from one server resumes at another; a server that lost its state (killed and
 * restarted with the same key file) resets the connection with a stateless reset the client
 * honours (RFC 9000 §10.3).
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { decodeKeyMaterial } from '../../src/engine/key-material.js';
import type { QuicLbConfig } from '../../src/lb/config.js';
import { QuicLbDecoder } from '../../src/lb/decoder.js';
import { connect, type QuicConnection } from '../../src/node/index.js';
import {
  MEDIUM,
  Processes,
  SMALL,
  TSQUIC,
  createSite,
  finished,
  freshDir,
  removeSite,
  startListening,
  tail,
  type Peer,
  type Site,
} from '../interop/matrix-kit.js';

/** A client address as text, for maps. */
const keyOf = (address: string, port: number): string => `${address}:${port}`;

/** The QUIC-LB load balancer of the test (not a product). */
class QuicLbBalancer {
  readonly front: Socket = createSocket('udp4');
  /** The servers each client port's datagrams went to. */
  private readonly reached = new Map<number, Set<number>>();
  /** Which server a client's first Initials go to (by their DCID); the test sets it. */
  pickInitial = 0;
  private readonly decoder: QuicLbDecoder;
  private readonly byServerId = new Map<string, number>();
  private readonly upstreams = new Map<string, Socket>();
  /** Client-chosen DCIDs already placed (§4.3: every Initial of a client to one server). */
  private readonly placed = new Map<string, number>();

  constructor(
    config: QuicLbConfig,
    serverIds: readonly Uint8Array[],
    private readonly ports: number[],
  ) {
    this.decoder = new QuicLbDecoder([config]);
    serverIds.forEach((id, i) => this.byServerId.set(Buffer.from(id).toString('hex'), i));
    this.front.on('message', (data, rinfo) => this.fromClient(data, rinfo.address, rinfo.port));
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.front.bind(0, '127.0.0.1', resolve));
    return this.front.address().port;
  }

  /** Server `i` now listens at `port` (it was restarted). */
  setPort(i: number, port: number): void {
    this.ports[i] = port;
  }

  private fromClient(data: Buffer, address: string, port: number): void {
    const server = this.serverFor(data);
    if (server === null) return;
    let set = this.reached.get(port);
    if (set === undefined) this.reached.set(port, (set = new Set()));
    set.add(server);
    this.upstream(address, port).send(data, this.ports[server]!, '127.0.0.1');
  }

  private serverFor(data: Buffer): number | null {
    const route = this.decoder.route(data);
    if (route !== null) {
      return this.byServerId.get(Buffer.from(route.serverId).toString('hex')) ?? null;
    }
    // A long header whose DCID names no server: a client's Initial or 0-RTT (§4.3).
    if (data.length < 6 || (data[0]! & 0x80) === 0) return null;
    const dcid = data.subarray(6, 6 + data[5]!).toString('hex');
    let server = this.placed.get(dcid);
    if (server === undefined) {
      server = this.pickInitial;
      this.placed.set(dcid, server);
    }
    return server;
  }

  /** The socket that stands for the client `address:port` towards the servers. */
  private upstream(address: string, port: number): Socket {
    const key = keyOf(address, port);
    let s = this.upstreams.get(key);
    if (s === undefined) {
      s = createSocket('udp4');
      s.bind(0, '127.0.0.1');
      s.on('message', (data) => this.front.send(data, port, address));
      this.upstreams.set(key, s);
    }
    return s;
  }

  /** The servers that datagrams from the client's port `port` went to, in order of index. */
  serversOf(port: number): number[] {
    return [...(this.reached.get(port) ?? [])].sort();
  }

  close(): void {
    this.front.close();
    for (const s of this.upstreams.values()) s.close();
  }
}

describe('lb: a fleet of three tsquic serve processes behind a QUIC-LB load balancer', function () {
  this.timeout(120_000);
  const procs = new Processes();
  let site: Site | undefined;
  let keyFile = '';
  let config: QuicLbConfig;
  const serverIds = [
    Uint8Array.of(0x0a, 0x01),
    Uint8Array.of(0x0b, 0x02),
    Uint8Array.of(0x0c, 0x03),
  ];
  const servers: { peer: Peer; port: number }[] = [];
  let balancer: QuicLbBalancer;
  let port = 0;
  const open: QuicConnection[] = [];

  const serve = (i: number, atPort = 0): Promise<{ peer: Peer; port: number }> =>
    startListening(
      procs,
      [
        ...TSQUIC,
        'serve',
        '--host',
        '127.0.0.1',
        '--port',
        String(atPort),
        '--root',
        site!.www,
        '--cert',
        site!.certFile,
        '--key',
        site!.keyFile,
        '--keys',
        keyFile,
        '--server-id',
        Buffer.from(serverIds[i]!).toString('hex'),
      ],
      `tsquic serve ${i}`,
    );

  before(async () => {
    site = createSite('fleet', { big: false });
    keyFile = path.join(freshDir(site, 'keys'), 'pool.keys');
    const made = procs.start([...TSQUIC, 'keys', '--out', keyFile, '--quic-lb', '1:2:6']);
    const exit = await finished(made, 30_000, 'tsquic keys');
    assert.equal(exit.code, 0, made.output());
    const km = decodeKeyMaterial(readFileSync(keyFile, 'utf8'));
    assert.ok(km.quicLb?.key, 'the pool configuration is encrypted');
    config = km.quicLb;
    servers.push(...(await Promise.all([0, 1, 2].map((i) => serve(i)))));
    balancer = new QuicLbBalancer(
      config,
      serverIds,
      servers.map((s) => s.port),
    );
    port = await balancer.listen();
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close().catch(() => {})));
  });

  after(() => {
    balancer?.close();
    procs.killAll();
    removeSite(site);
  });

  const dial = (session?: Uint8Array): QuicConnection => {
    const c = connect(
      { host: '127.0.0.1', port },
      {
        alpn: ['hq-interop'],
        ca: readFileSync(site!.certFile, 'utf8'),
        serverName: 'localhost',
        ...(session ? { session } : {}),
      },
    );
    open.push(c);
    return c;
  };

  /** hq-interop GET (src/cli/hq-client.ts): the whole body. */
  async function get(conn: QuicConnection, name: string): Promise<Buffer> {
    const stream = await conn.openStream();
    stream.end(`GET /${name}\r\n`);
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  it('downloads byte for byte from each server, by the server ID in the CIDs', async () => {
    for (let i = 0; i < 3; i++) {
      balancer.pickInitial = i;
      const conn = dial();
      await conn.ready;
      assert.ok((await get(conn, MEDIUM)).equals(site!.files.get(MEDIUM)!), `server ${i}`);
      // Everything of the connection went to the one server: its CIDs name it.
      assert.deepEqual(balancer.serversOf(conn.localAddress.port), [i]);
      await conn.close();
    }
  });

  it('keeps a client that migrates to a new port on its server', async () => {
    balancer.pickInitial = 1;
    const conn = dial();
    await conn.ready;
    assert.ok((await get(conn, SMALL)).equals(site!.files.get(SMALL)!));
    const before = conn.localAddress.port;
    assert.equal(await conn.migrate(), true);
    assert.ok((await get(conn, MEDIUM)).equals(site!.files.get(MEDIUM)!));
    assert.equal(conn.getStats().migrated, true);
    const after = conn.localAddress.port;
    assert.notEqual(after, before, 'a new source port');
    assert.deepEqual(balancer.serversOf(before), [1]);
    assert.deepEqual(balancer.serversOf(after), [1]);
    await conn.close();
  });

  it('resumes at server B a session server A issued (one ticket key for the pool)', async () => {
    balancer.pickInitial = 0;
    const first = dial();
    const ticket = new Promise<Buffer>((resolve) => first.once('sessionTicket', resolve));
    await first.ready;
    await get(first, SMALL);
    const session = new Uint8Array(await ticket);
    await first.close();
    assert.deepEqual(balancer.serversOf(first.localAddress.port), [0]);
    balancer.pickInitial = 2;
    const again = dial(session);
    await again.ready;
    assert.equal(again.getStats().resumed, true);
    assert.ok((await get(again, MEDIUM)).equals(site!.files.get(MEDIUM)!));
    assert.deepEqual(balancer.serversOf(again.localAddress.port), [2]);
    await again.close();
  });

  it('honours a stateless reset from a restarted server that lost the connection', async () => {
    balancer.pickInitial = 2;
    const conn = dial();
    await conn.ready;
    assert.ok((await get(conn, SMALL)).equals(site!.files.get(SMALL)!));
    const closed = new Promise<{ source: string }>((resolve) =>
      conn.once('close', (info) => resolve(info)),
    );
    // Server 2 loses every connection and comes back at its port with the pool's keys.
    const old = servers[2]!;
    old.peer.child.kill('SIGKILL');
    await finished(old.peer, 15_000, 'killed tsquic serve');
    servers[2] = await serve(2, old.port);
    balancer.setPort(2, servers[2].port);
    // The next request reaches the new process by the CID's server ID: it answers with a
    // stateless reset (RFC 9000 §10.3) keyed by the shared key, which the client recognizes.
    const request = get(conn, MEDIUM).then(
      () => 'answered',
      () => 'failed',
    );
    const info = await closed;
    assert.equal(info.source, 'stateless_reset', tail(servers[2].peer.output()));
    assert.equal(await request, 'failed');
    // The restarted server serves new clients.
    const fresh = dial();
    await fresh.ready;
    assert.ok((await get(fresh, SMALL)).equals(site!.files.get(SMALL)!));
  });
});
