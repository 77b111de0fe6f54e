import assert from 'node:assert/strict';
import { createEnginePair } from '../../src/testing/index.js';
import { FULL_DATAGRAMS_BEFORE_SEARCH, PACKET_OVERHEAD_ALLOWANCE } from '../../src/path/pmtud.js';

describe('scenario: DATAGRAM frames (RFC 9221)', () => {
  it('delivers datagrams both ways when both sides allow them', () => {
    const p = createEnginePair({
      client: { maxDatagramFrameSize: 1200 },
      serverEngine: { connection: { maxDatagramFrameSize: 1200 } },
    });
    let hs = false;
    p.conn.on('handshakeDone', () => (hs = true));
    assert.ok(p.net.runUntil(() => hs, 5_000_000));
    const sc = p.serverConn()!;
    const atServer: number[] = [];
    const atClient: number[] = [];
    sc.on('datagram', (d) => {
      atServer.push(d[0]!);
      sc.sendDatagram(d.map((b) => b + 100));
    });
    p.conn.on('datagram', (d) => atClient.push(d[0]!));
    assert.ok(p.conn.maxDatagramSize > 1000);
    for (let i = 0; i < 10; i++)
      assert.equal(p.conn.sendDatagram(new Uint8Array(500).fill(i)), true);
    assert.ok(p.net.runUntil(() => atClient.length === 10, 5_000_000));
    assert.deepEqual(atServer, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual(atClient, [100, 101, 102, 103, 104, 105, 106, 107, 108, 109]);
  });

  it('refuses to send when the peer did not advertise support, or the datagram is too large', () => {
    const p = createEnginePair({ client: { maxDatagramFrameSize: 1200 } });
    let hs = false;
    p.conn.on('handshakeDone', () => (hs = true));
    assert.ok(p.net.runUntil(() => hs, 5_000_000));
    assert.equal(p.conn.maxDatagramSize, 0);
    assert.equal(p.conn.sendDatagram(new Uint8Array(10)), false);
    const q = createEnginePair({
      client: { maxDatagramFrameSize: 1200 },
      serverEngine: { connection: { maxDatagramFrameSize: 100 } },
    });
    hs = false;
    q.conn.on('handshakeDone', () => (hs = true));
    assert.ok(q.net.runUntil(() => hs, 5_000_000));
    assert.equal(q.conn.sendDatagram(new Uint8Array(200)), false);
    assert.equal(q.conn.sendDatagram(new Uint8Array(50)), true);
  });

  it('follows the path MTU: larger datagrams once it grew, a queued one dropped after a black hole', () => {
    const p = createEnginePair({
      conditions: { delay: 10_000 },
      client: { maxDatagramFrameSize: 2000 },
      serverEngine: { connection: { maxDatagramFrameSize: 2000 } },
    });
    assert.ok(p.handshake());
    const sc = p.serverConn()!;
    assert.equal(p.conn.maxDatagramSize, 1200 - PACKET_OVERHEAD_ALLOWANCE, 'the base size first');
    p.runFor(2_000_000);
    assert.equal(
      p.conn.maxDatagramSize,
      1200 - PACKET_OVERHEAD_ALLOWANCE,
      'no search before a datagram fills the path',
    );
    assert.equal(p.conn.sendDatagram(new Uint8Array(p.conn.maxDatagramSize)), true);
    p.runFor(2_000_000);
    assert.equal(p.conn.maxDatagramSize, 1200 - PACKET_OVERHEAD_ALLOWANCE, 'nor does one full one');
    // Datagrams of the largest size offered keep filling the path: the search starts.
    for (let i = 1; i < FULL_DATAGRAMS_BEFORE_SEARCH; i++) {
      assert.equal(p.conn.sendDatagram(new Uint8Array(p.conn.maxDatagramSize)), true);
    }
    p.runFor(2_000_000);
    assert.equal(p.conn.maxDatagramSize, 1452 - 64, 'the searched size');
    const got: number[] = [];
    sc.on('datagram', (d) => got.push(d.length));
    assert.equal(p.conn.sendDatagram(new Uint8Array(1300)), true);
    p.runFor(100_000);
    assert.deepEqual(got, [1300]);
    let fin = false;
    sc.on('stream', (st) => sc.on('readable', () => st.read() && (fin = true)));
    // The MTU drops; full-size stream data fills the window (and is lost), so a big datagram
    // queued now waits until the black hole is found: it can never be sent, and must not hold
    // back the small one queued after it.
    p.net.setMtu('client', 'server', 1280);
    p.net.setMtu('server', 'client', 1280);
    p.conn.openStream(true)!.write(new Uint8Array(1_000_000), true);
    p.runFor(5_000);
    // Full: no room for another datagram (RFC 9002 §7: bytes in flight never pass the window).
    const { cwnd, bytesInFlight } = p.conn.getStats();
    const mds = p.conn.path.sendControl.maxDatagramSize;
    assert.ok(cwnd - bytesInFlight < mds, `the window is full: ${bytesInFlight} of ${cwnd}`);
    assert.equal(p.conn.sendDatagram(new Uint8Array(1300)), true);
    assert.ok(p.runUntil(() => p.conn.path.pmtud!.stats.blackHoles > 0, 10_000_000));
    assert.equal(p.conn.maxDatagramSize, 1200 - 64);
    assert.equal(p.conn.sendDatagram(new Uint8Array(1300)), false, 'too large for the path now');
    assert.ok(p.conn.sendDatagram(new Uint8Array(100)));
    p.runFor(2_000_000);
    assert.ok(fin);
    assert.deepEqual(got, [1300, 100]);
  });
});
