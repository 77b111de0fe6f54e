/**
 * Floods of spoofed client Initials (RFC 9000 §8.1, §8.1.2, §21.1.1): a server keeps a bounded
 * number of connections for unvalidated addresses, asks the rest to prove their address with
 * Retry (or drops them), forgets unvalidated connections quickly, and serves a real client that
 * arrives in the middle of the flood.
 */
import assert from 'node:assert/strict';
import type { Connection } from '../../src/conn/connection.js';
import { Engine, type ServerConfig } from '../../src/engine/engine.js';
import { AdmissionControl } from '../../src/engine/admission.js';
import { InitialFlood } from '../../src/testing/initial-flood.js';
import { Network } from '../../src/testing/network.js';
import { addressKey } from '../../src/util/address.js';
import {
  PAIR_CLIENT_ADDRESS,
  PAIR_SERVER_ADDRESS,
  testCertificate,
} from '../../src/testing/pair.js';
import { transfer } from './transfer-kit.js';

const ATTACKER_ADDR = { address: '10.0.0.66', port: 6666 };

interface FloodRun {
  net: Network;
  server: Engine;
  client: Engine;
  conn: Connection;
  serverConn(): Connection | null;
  flood: InitialFlood;
  /** Datagrams the server sent to spoofed addresses: Retry packets, and everything else. */
  toSpoofed: { retry: number; other: number };
  /** Spoofed addresses that got more than a Retry (a connection was made for them). */
  answered: Set<string>;
}

/** A server, a flood of spoofed Initials at it, and a client started by `startClient()`. */
function floodRun(o: {
  count: number;
  duration: number;
  server?: Partial<ServerConfig>;
}): FloodRun & { startClient: () => void } {
  const net = new Network({ seed: 5 });
  const { cert, ca } = testCertificate();
  const server = new Engine({ server: { alpn: ['test'], certificate: cert, ...o.server } });
  const client = new Engine();
  const flood = new InitialFlood({
    target: PAIR_SERVER_ADDRESS,
    count: o.count,
    duration: o.duration,
  });
  net.addEndpoint('server', server, PAIR_SERVER_ADDRESS);
  net.addEndpoint('attacker', flood, ATTACKER_ADDR);
  net.addEndpoint('client', client, PAIR_CLIENT_ADDRESS);
  const toSpoofed = { retry: 0, other: 0 };
  const answered = new Set<string>();
  const clientKey = addressKey(PAIR_CLIENT_ADDRESS);
  net.onSend = (data, from, to) => {
    if (addressKey(from) !== addressKey(PAIR_SERVER_ADDRESS) || addressKey(to) === clientKey)
      return;
    // RFC 9000 §17.2.5: a v1 Retry is long header type 3.
    if ((data[0]! & 0xb0) === 0xb0) toSpoofed.retry++;
    else {
      toSpoofed.other++;
      answered.add(addressKey(to));
    }
  };
  let accepted: Connection | null = null;
  const run = {
    net,
    server,
    client,
    flood,
    toSpoofed,
    answered,
    conn: null as unknown as Connection,
    // The accept queue also holds the flood's connections: find the client's.
    serverConn: () => {
      for (let c = server.accept(); c && !accepted; c = server.accept()) {
        if (addressKey(c.remoteAddress) === clientKey) accepted = c;
      }
      return accepted;
    },
    startClient: () => {
      run.conn = client.connect(
        PAIR_SERVER_ADDRESS,
        { alpn: ['test'], serverName: 'localhost', ca: [ca], local: PAIR_CLIENT_ADDRESS },
        net.now,
      );
    },
  };
  return run;
}

describe('Initial flood (RFC 9000 §8.1, §8.1.2)', function () {
  this.timeout(300_000);

  it('100,000 spoofed Initials in 10 s: a client arriving mid-flood is served within 1 s, byte-exact, with bounded server state', () => {
    // The flood's connections time out after 5 s here (the default 20 s would only make the
    // simulation four times longer).
    const run = floodRun({
      count: 100_000,
      duration: 10_000_000,
      server: { admission: { unvalidatedTimeout: 5_000_000 } },
    });
    let maxConnections = 0;
    let maxUnvalidated = 0;
    const sample = (): boolean => {
      maxConnections = Math.max(maxConnections, run.server.connectionCount);
      maxUnvalidated = Math.max(maxUnvalidated, run.server.unvalidatedCount);
      return false;
    };
    run.net.runUntil(sample, 5_000_000);
    assert.ok(run.flood.sent >= 49_000, `the flood is under way (${run.flood.sent} sent)`);

    run.startClient();
    const result = transfer(run, 1000, 200_000, 1_000_000);
    assert.ok(result.done, `the client is served (${result.down.received} bytes down)`);
    assert.ok(result.timeUs <= 1_000_000, `within 1 s (${result.timeUs} µs)`);
    assert.equal(result.down.mismatch, -1);
    assert.equal(result.up.mismatch, -1);

    run.net.runUntil(() => sample() || run.flood.sent === 100_000, 6_000_000);
    assert.equal(run.flood.sent, 100_000);
    // The default bound: at most 128 unvalidated connections at once, each dropped after 5 s.
    run.net.runUntil(sample, 5_100_000);
    assert.ok(maxUnvalidated <= 128, `unvalidated connections bounded (${maxUnvalidated})`);
    assert.ok(maxConnections <= 129, `connections bounded (${maxConnections})`);
    assert.ok(
      run.answered.size <= 128 * 3,
      `handshakes started for spoofers: ${run.answered.size}`,
    );
    assert.ok(run.toSpoofed.retry > 90_000, `the rest got Retry (${run.toSpoofed.retry})`);
    // Once the flood is over and its connections timed out, only the client's is left.
    assert.equal(run.server.unvalidatedCount, 0);
    assert.equal(run.server.connectionCount, 1);
  });

  it('with autoRetry off, Initials over the limit are dropped without an answer', () => {
    const run = floodRun({
      count: 5_000,
      duration: 1_000_000,
      server: {
        admission: { autoRetry: false, maxUnvalidated: 16, unvalidatedTimeout: 5_000_000 },
      },
    });
    let maxConnections = 0;
    run.net.runUntil(() => {
      maxConnections = Math.max(maxConnections, run.server.connectionCount);
      return false;
    }, 1_500_000);
    assert.equal(run.flood.sent, 5_000);
    assert.equal(maxConnections, 16);
    assert.equal(run.toSpoofed.retry, 0, 'no Retry');
    assert.equal(run.answered.size, 16, 'only the admitted spoofers got an answer');
    // A client arriving while the slots are taken retransmits until one is free (5 s after it
    // was taken) and then completes.
    run.startClient();
    const result = transfer(run, 100, 10_000, 20_000_000);
    assert.ok(result.done, 'the client is served once a slot frees');
    assert.equal(result.down.mismatch, -1);
  });

  it('a rate of new connections beyond maxNewPerSecond gets Retry', () => {
    const run = floodRun({
      count: 50,
      duration: 1_000_000,
      server: { admission: { maxNewPerSecond: 10 } },
    });
    run.net.runFor(1_000_000);
    // 10 in the bucket and about 10 more earned over the second.
    assert.ok(run.answered.size >= 10 && run.answered.size <= 21, `${run.answered.size}`);
    assert.equal(run.toSpoofed.retry, 50 - run.answered.size);
  });

  it('an unvalidated connection is dropped, silently, once its client is silent for unvalidatedTimeout', () => {
    const run = floodRun({ count: 1, duration: 1 });
    run.net.runFor(100_000);
    assert.equal(run.server.connectionCount, 1);
    assert.equal(run.server.unvalidatedCount, 1);
    run.net.runFor(19_850_000);
    assert.equal(run.server.connectionCount, 1, 'still there before 20 s');
    const sentBefore = run.toSpoofed.other;
    run.net.runFor(100_000);
    assert.equal(run.server.connectionCount, 0, 'gone after 20 s');
    assert.equal(run.server.unvalidatedCount, 0);
    assert.equal(run.server.accept(), null, 'no longer handed out by accept()');
    // Nothing (no CONNECTION_CLOSE) is sent when it is dropped.
    run.net.runFor(1_000_000);
    assert.equal(run.toSpoofed.other, sentBefore);
  });

  it('a validated client (Retry token) is not counted, and its connection outlives the timeout', () => {
    const run = floodRun({
      count: 0,
      duration: 1,
      server: { retry: true, admission: { unvalidatedTimeout: 1_000_000 } },
    });
    run.startClient();
    const result = transfer(run, 100, 100, 5_000_000);
    assert.ok(result.done);
    assert.equal(run.server.unvalidatedCount, 0);
    run.net.runFor(2_000_000);
    assert.equal(run.serverConn()!.state, 'established');
  });
});

describe('AdmissionControl', () => {
  const conn = (): object => ({});

  it('admits up to maxUnvalidated at once, then asks for Retry (or drop)', () => {
    const a = new AdmissionControl<object>({ maxUnvalidated: 2 });
    const c1 = conn();
    a.added(c1, 0);
    assert.equal(a.admit(0), 'accept');
    a.added(conn(), 0);
    assert.equal(a.admit(0), 'retry');
    a.settled(c1);
    assert.equal(a.admit(0), 'accept');
    const d = new AdmissionControl<object>({ maxUnvalidated: 0, autoRetry: false });
    assert.equal(d.admit(0), 'drop');
  });

  it('refills the rate bucket with time', () => {
    const a = new AdmissionControl<object>({ maxNewPerSecond: 2 });
    a.added(conn(), 0);
    a.settled(conn());
    a.added(conn(), 0);
    assert.equal(a.admit(0), 'retry');
    assert.equal(a.admit(499_999), 'retry');
    assert.equal(a.admit(500_000), 'accept');
  });

  it('expires the least recently heard first, unvalidatedTimeout after it was last heard', () => {
    const a = new AdmissionControl<object>({ unvalidatedTimeout: 1000 });
    const c1 = conn();
    const c2 = conn();
    const c3 = conn();
    a.added(c1, 10);
    a.added(c2, 20);
    a.added(c3, 30);
    a.heard(c1, 500);
    assert.equal(a.nextExpiry(), 1020);
    assert.equal(a.takeExpired(1019), null);
    assert.equal(a.takeExpired(1025), c2);
    assert.equal(a.takeExpired(1035), c3);
    assert.equal(a.takeExpired(1035), null);
    assert.equal(a.nextExpiry(), 1500);
    a.settled(c1);
    a.heard(c1, 2000); // no longer counted: stays out
    assert.equal(a.nextExpiry(), Infinity);
    assert.equal(a.unvalidatedCount, 0);
  });

  it('rejects bad limits', () => {
    assert.throws(() => new AdmissionControl({ maxUnvalidated: -1 }), RangeError);
    assert.throws(() => new AdmissionControl({ unvalidatedTimeout: NaN }), RangeError);
  });
});
