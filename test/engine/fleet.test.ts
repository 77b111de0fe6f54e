/**
 * A fleet: three servers with distinct QUIC-LB server IDs and one shared key file behind a
 * minimal QUIC-LB load balancer (test code, over the in-memory network). The balancer routes
 * by the server ID in the Destination CID (draft-ietf-quic-load-balancers-21 §4.2 step 1) and
 * by a 4-tuple table for the client-chosen DCIDs of first flights (§4.3 baseline fallback).
 * Downloads are byte-exact, a client that migrates keeps reaching its server, a resumed client
 * is accepted with 0-RTT by whichever server gets it, and a server that lost its state resets
 * its old clients at once.
 */
import assert from 'node:assert/strict';
import { Engine } from '../../src/engine/engine.js';
import { generateKeyMaterial, type KeyMaterial } from '../../src/engine/key-material.js';
import type { Connection } from '../../src/conn/connection.js';
import { QuicLbDecoder } from '../../src/lb/decoder.js';
import type { QuicLbConfig } from '../../src/lb/config.js';
import { Network } from '../../src/testing/network.js';
import { addressKey, type SocketAddress } from '../../src/util/address.js';
import { testCertificate } from '../../src/testing/pair.js';
import { Sink, pattern, pump } from '../scenario/transfer-kit.js';
import { Router } from './router.js';

const VIP = { address: '10.1.0.1', port: 443 };
const DOWN = pattern(150_000, 7);
const SERVERS = 3;

class Fleet {
  readonly net = new Network({ seed: 5, conditions: { delay: 5_000 } });
  readonly keys: KeyMaterial;
  readonly lb: QuicLbConfig;
  readonly decoder: QuicLbDecoder;
  readonly router: Router;
  /** Server index of each connection a server accepted. */
  readonly servedBy = new Map<Connection, number>();
  /** Which servers received the datagrams of each client address. */
  readonly reached = new Map<string, Set<number>>();
  /** The 4-tuple table of the fallback algorithm, and the server the next new tuple gets. */
  private readonly tuples = new Map<string, number>();
  nextFallback = 0;
  unroutable = 0;
  private clients = 0;

  constructor() {
    this.keys = generateKeyMaterial({
      quicLb: { configId: 1, serverIdLength: 1, nonceLength: 7, key: new Uint8Array(16).fill(9) },
    });
    this.lb = this.keys.quicLb!;
    this.decoder = new QuicLbDecoder([this.lb]);
    const engines = Array.from({ length: SERVERS }, (_, i) => this.server(i));
    this.router = new Router(engines, (d, remote) => this.route(d, remote));
    this.net.addEndpoint('vip', this.router, VIP);
  }

  /** Server i: server ID i + 1, the fleet's keys. */
  server(i: number): Engine {
    const { cert } = testCertificate();
    return new Engine({
      keys: this.keys,
      quicLb: { ...this.lb, serverId: Uint8Array.of(i + 1) },
      server: { alpn: ['test'], certificate: cert, earlyData: true },
    });
  }

  /** Server i loses all state: a fresh process with the same ID and key file. */
  restart(i: number): void {
    this.router.engines[i] = this.server(i);
  }

  private route(d: Uint8Array, remote: SocketAddress): number {
    const key = addressKey(remote);
    const r = this.decoder.route(d);
    let i: number;
    if (r) i = r.serverId[0]! - 1;
    else {
      this.unroutable++;
      i = this.tuples.get(key) ?? this.nextFallback++ % SERVERS;
      this.tuples.set(key, i);
    }
    let set = this.reached.get(key);
    if (!set) this.reached.set(key, (set = new Set()));
    set.add(i);
    return i;
  }

  /** Takes new connections from every server; each answers a stream with DOWN. */
  accept(): void {
    this.router.engines.forEach((e, i) => {
      for (let c = e.accept(); c; c = e.accept()) {
        const conn = c;
        this.servedBy.set(conn, i);
        conn.on('stream', (s) => pump(conn, s, DOWN));
        // 0-RTT: the request may have come with the ClientHello, before accept().
        const early = conn.getStream(0);
        if (early) pump(conn, early, DOWN);
      }
    });
  }

  /** A client on its own address, connecting to the fleet's address. */
  client(o: { session?: Uint8Array; earlyData?: boolean } = {}): {
    conn: Connection;
    local: SocketAddress;
  } {
    const n = ++this.clients;
    const local = { address: `10.2.0.${n}`, port: 40000 + n };
    const engine = new Engine();
    this.net.addEndpoint(`client${n}`, engine, local);
    const { ca } = testCertificate();
    const conn = engine.connect(
      VIP,
      { alpn: ['test'], serverName: 'localhost', ca: [ca], local, ...o },
      this.net.now,
    );
    return { conn, local };
  }

  /** Opens a stream asking for DOWN (once the handshake or 0-RTT allows it). */
  request(conn: Connection): Sink {
    const sink = new Sink(DOWN);
    const s = conn.openStream(true)!;
    s.write(Uint8Array.of(1), true);
    conn.on('readable', (st) => {
      if (st === s) sink.take(st);
    });
    return sink;
  }

  run(done: () => boolean, maxUs = 30_000_000): boolean {
    return this.net.runUntil(() => {
      this.accept();
      return done();
    }, maxUs);
  }
}

function handshake(f: Fleet, conn: Connection): void {
  assert.ok(
    f.run(() => conn.handshakeConfirmed, 5_000_000),
    'handshake',
  );
}

describe('fleet: three QUIC-LB servers with shared keys behind a load balancer', function () {
  this.timeout(60_000);

  it('six downloads are byte-exact, spread over all servers, each client reaching one server', () => {
    const f = new Fleet();
    const clients = Array.from({ length: 6 }, () => f.client());
    for (const c of clients) handshake(f, c.conn);
    const sinks = clients.map((c) => f.request(c.conn));
    assert.ok(f.run(() => sinks.every((s) => s.complete)));
    for (const s of sinks) assert.equal(s.mismatch, -1);
    assert.deepEqual(
      [...new Set(f.servedBy.values())].sort(),
      [0, 1, 2],
      'new connections spread over all servers',
    );
    for (const c of clients)
      assert.equal(f.reached.get(addressKey(c.local))!.size, 1, 'one server per client');
    // Only first flights (client-chosen DCIDs) needed the fallback.
    assert.ok(f.unroutable <= 2 * clients.length, `${f.unroutable} unroutable datagrams`);
  });

  it('a client that migrates mid-download keeps reaching its server', () => {
    const f = new Fleet();
    const { conn, local } = f.client();
    handshake(f, conn);
    const sink = f.request(conn);
    const moved = { address: local.address, port: local.port + 1000 };
    // The new 4-tuple would get another server from the fallback; the CID routes it home.
    f.nextFallback++;
    let migrated = false;
    assert.ok(
      f.run(() => {
        if (!migrated && sink.received > 50_000) migrated = conn.migrate(moved);
        return sink.complete;
      }),
    );
    assert.ok(migrated, 'the client migrated');
    assert.deepEqual(conn.localAddress, moved);
    const home = [...f.reached.get(addressKey(local))!];
    assert.equal(home.length, 1);
    assert.deepEqual([...f.reached.get(addressKey(moved))!], home);
    // The first flight: the ClientHello with its post-quantum key share spans two datagrams.
    assert.equal(f.unroutable, 2, 'only the first flight used the fallback');
  });

  it('a client resumes with 0-RTT on whichever server gets it', () => {
    const f = new Fleet();
    const first = f.client();
    let ticket: Uint8Array | null = null;
    first.conn.on('sessionTicket', (t) => (ticket = t));
    handshake(f, first.conn);
    assert.ok(f.run(() => ticket !== null, 2_000_000));
    const issuer = [...f.servedBy.values()][0]!;
    for (let k = 1; k <= 2; k++) {
      const target = (issuer + k) % SERVERS;
      f.nextFallback = target;
      const { conn } = f.client({ session: ticket!, earlyData: true });
      const sink = f.request(conn); // sent as 0-RTT
      assert.ok(f.run(() => sink.complete && conn.handshakeComplete));
      const st = conn.getStats();
      assert.equal(st.resumed, true, `resumed on server ${target}`);
      assert.equal(st.earlyDataAccepted, true, `0-RTT accepted on server ${target}`);
      const servedOn = [...f.servedBy].find(
        ([sc]) => sc.getStats().resumed && f.servedBy.get(sc) === target,
      );
      assert.ok(servedOn, `server ${target} (not the issuer ${issuer}) served it`);
    }
  });

  it('a server that lost its state resets its clients at once; the others carry on', () => {
    const f = new Fleet();
    const a = f.client();
    const b = f.client();
    handshake(f, a.conn);
    handshake(f, b.conn);
    f.run(() => false, 100_000); // NEW_CONNECTION_ID frames and their reset tokens arrive
    const victim = f.servedBy.get([...f.servedBy.keys()][0]!)!;
    const other = f.servedBy.get([...f.servedBy.keys()][1]!)!;
    assert.notEqual(victim, other);
    f.restart(victim);
    const start = f.net.now;
    a.conn.ping();
    b.conn.ping();
    assert.ok(f.run(() => a.conn.state === 'draining' || a.conn.isClosed, 1_000_000));
    assert.equal(a.conn.closeInfo?.source, 'stateless_reset');
    assert.ok(f.net.now - start < 50_000, 'about one round trip, not an idle timeout');
    // The client of the other server is untouched and still downloads.
    const sink = f.request(b.conn);
    assert.ok(f.run(() => sink.complete));
  });
});
