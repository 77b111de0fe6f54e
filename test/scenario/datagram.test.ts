import assert from 'node:assert/strict';
import { createEnginePair } from '../../src/testing/index.js';

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
});
