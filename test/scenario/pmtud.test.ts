/**
 * Path MTU discovery over the in-memory network (RFC 8899, RFC 9000 §14.3): links whose MTU is
 * smaller than the endpoints' maximum, drops and rises of the MTU under a running connection.
 * The network counts IP and UDP headers in a link's MTU: over IPv4 a 1,280-byte link carries
 * datagrams up to 1,252 bytes.
 */
import assert from 'node:assert/strict';
import type { Connection } from '../../src/conn/connection.js';
import { PMTU_RAISE_TIMER } from '../../src/path/pmtud.js';
import { createEnginePair, type EnginePair } from '../../src/testing/index.js';
import { pattern, pump, Sink, transfer } from './transfer-kit.js';

/** The largest UDP payload a 1,280-byte IPv4 link carries (20 bytes IP, 8 bytes UDP). */
const FITS_1280 = 1252;

function mtuOf(c: Connection): number {
  return c.path.pmtud?.mtu ?? 0;
}

/** Records the datagrams each side puts on the wire: sizes over `limit`, and the time. */
function watch(p: EnginePair, limit: number): { over: number; largest: number } {
  const w = { over: 0, largest: 0 };
  p.net.onSend = (data) => {
    if (data.length > limit) w.over++;
    if (data.length > w.largest) w.largest = data.length;
  };
  return w;
}

/** Sends `n` bytes server → client on a new stream; runs until they all arrived. */
function download(p: EnginePair, n: number, seed: number, maxUs = 120_000_000): Sink {
  const data = pattern(n, seed);
  const sink = new Sink(data);
  const server = p.serverConn()!;
  const s = p.conn.openStream(true)!;
  s.end();
  const onStream = (st: { id: number }): void => {
    if (st.id === s.id) pump(server, server.getStream(s.id)!, data);
  };
  server.on('stream', onStream);
  p.conn.on('readable', (st) => {
    if (st === s) sink.take(st);
  });
  p.runUntil(() => sink.complete || sink.mismatch >= 0, maxUs);
  server.off('stream', onStream);
  return sink;
}

describe('scenario: path MTU discovery', () => {
  it('a 1,280-byte MTU link: 10 MB byte-exact, settling at the largest datagram that fits', function () {
    this.timeout(120_000);
    const p = createEnginePair({ conditions: { delay: 10_000, mtu: 1280 } });
    const w = watch(p, FITS_1280);
    const r = transfer(p, 100_000, 10_000_000);
    assert.ok(r.done, `incomplete: up ${r.up.received}, down ${r.down.received}`);
    assert.equal(r.up.mismatch, -1);
    assert.equal(r.down.mismatch, -1);
    // A search still under way when the data ended goes on (PTO probes reveal a lost probe).
    p.runFor(2_000_000);
    const server = p.serverConn()!;
    for (const c of [p.conn, server]) {
      assert.equal(mtuOf(c), FITS_1280, `${c.role} settles at ${FITS_1280}`);
      assert.equal(c.path.pmtud!.phase, 'complete');
      assert.equal(c.path.pmtud!.stats.blackHoles, 0);
      assert.equal(c.path.sendControl.maxDatagramSize, FITS_1280);
    }
    // Every datagram above what fits was a probe (and none of them got through).
    const probes = p.conn.path.pmtud!.stats.probesSent + server.path.pmtud!.stats.probesSent;
    assert.ok(w.over > 0 && w.over <= probes, `${w.over} oversize datagrams, ${probes} probes`);
    assert.ok(server.getStats().packetsLost >= server.path.pmtud!.stats.probesLost);
  });

  it('an unlimited link settles at the maximum, 1,452 bytes, and sends nothing larger', function () {
    this.timeout(60_000);
    const p = createEnginePair();
    const w = watch(p, 1452);
    const r = transfer(p, 100_000, 1_000_000);
    assert.ok(r.done);
    p.runFor(2_000_000);
    assert.equal(w.over, 0);
    assert.equal(w.largest, 1452);
    assert.equal(mtuOf(p.conn), 1452);
    assert.equal(mtuOf(p.serverConn()!), 1452);
  });

  it("the peer's max_udp_payload_size bounds the search; disabled stays at the base", function () {
    this.timeout(60_000);
    const p = createEnginePair({
      client: { maxUdpPayload: 1300 },
      serverEngine: { connection: { alpn: ['test'], pmtud: { enabled: false } } },
    });
    const w = watch(p, 1300);
    const r = transfer(p, 500_000, 500_000);
    assert.ok(r.done);
    p.runFor(2_000_000);
    assert.equal(w.over, 0);
    assert.equal(mtuOf(p.conn), 1300, 'client: up to the limit it advertised itself');
    assert.equal(mtuOf(p.serverConn()!), 1200, 'server: PMTUD off');
    assert.equal(p.serverConn()!.path.pmtud!.stats.probesSent, 0);
  });

  it('the MTU drops mid-transfer: black hole detected, fallback, search again, transfer completes', function () {
    this.timeout(120_000);
    // 50 Mbit/s: 10 MB take about 1.7 s.
    const p = createEnginePair({ conditions: { delay: 10_000, rate: 50e6 } });
    assert.ok(p.handshake());
    const warm = download(p, 500_000, 3);
    assert.ok(warm.complete);
    p.runFor(2_000_000);
    const server = p.serverConn()!;
    assert.equal(mtuOf(server), 1452);
    // 500 ms into the next transfer, the path MTU becomes 1,280 both ways (a new route, a tunnel).
    const at = p.now + 500_000;
    let dropped = false;
    p.net.onSend = () => {
      if (!dropped && p.net.now >= at) {
        dropped = true;
        p.net.setMtu('server', 'client', 1280);
        p.net.setMtu('client', 'server', 1280);
      }
    };
    const sink = download(p, 10_000_000, 4);
    assert.ok(dropped);
    assert.ok(sink.complete, `received ${sink.received}`);
    p.runFor(2_000_000);
    assert.equal(server.path.pmtud!.stats.blackHoles, 1);
    assert.equal(mtuOf(server), FITS_1280, 'the new MTU found');
    assert.equal(server.path.pmtud!.phase, 'complete');
    assert.equal(server.state, 'established');
  });

  it('a new path (the client moved to another address) searches again from the base', function () {
    this.timeout(60_000);
    const p = createEnginePair({ conditions: { delay: 10_000 } });
    assert.ok(p.handshake());
    assert.ok(download(p, 300_000, 8).complete);
    p.runFor(2_000_000);
    const server = p.serverConn()!;
    const first = server.path.pmtud!;
    assert.equal(first.mtu, 1452);
    p.net.rebind('client', { address: '10.0.0.3', port: 50000 });
    // The new path carries only 1,280-byte IP packets.
    p.net.setMtu('server', 'client', 1280);
    assert.ok(download(p, 1_000_000, 9).complete);
    p.runFor(2_000_000);
    assert.equal(server.remoteAddress.address, '10.0.0.3');
    assert.notEqual(server.path.pmtud, first, 'its own search state (RFC 9000 §14.3)');
    assert.equal(mtuOf(server), FITS_1280);
    assert.equal(server.path.pmtud!.stats.blackHoles, 0, 'found by searching, not by losses');
  });

  it('the MTU rises: found again only after PMTU_RAISE_TIMER (virtual time)', function () {
    this.timeout(120_000);
    const p = createEnginePair({
      conditions: { delay: 10_000, mtu: 1280 },
      client: { keepAlive: 15_000 },
    });
    assert.ok(p.handshake());
    assert.ok(download(p, 300_000, 5).complete);
    p.runFor(2_000_000);
    const server = p.serverConn()!;
    assert.equal(mtuOf(server), FITS_1280);
    const settled = p.now;
    p.net.setMtu('server', 'client', undefined);
    p.net.setMtu('client', 'server', undefined);
    // Before the raise timer: more data, same size.
    p.runFor(PMTU_RAISE_TIMER / 2);
    assert.ok(download(p, 300_000, 6).complete);
    assert.equal(mtuOf(server), FITS_1280);
    // After it: the next data triggers a new search, which finds the larger MTU.
    p.runFor(settled + PMTU_RAISE_TIMER - p.now);
    assert.ok(download(p, 300_000, 7).complete);
    p.runFor(2_000_000);
    assert.equal(mtuOf(server), 1452);
    assert.equal(server.state, 'established');
  });
});
