import assert from 'node:assert/strict';
import {
  createEnginePair,
  PAIR_CLIENT_ADDRESS,
  PAIR_SERVER_ADDRESS,
  type SansIoEndpoint,
} from '../../src/testing/index.js';

describe('testing/pair', () => {
  it('connects a client and a server engine and carries stream data', () => {
    const p = createEnginePair();
    assert.equal(p.serverConn(), null, 'nothing accepted before the network ran');
    assert.ok(p.handshake());
    const sc = p.serverConn();
    assert.ok(sc);
    assert.deepEqual(sc.remoteAddress, PAIR_CLIENT_ADDRESS);
    assert.deepEqual(p.conn.remoteAddress, PAIR_SERVER_ADDRESS);
    assert.equal(p.conn.alpn, 'test');
    p.conn.openStream(true)!.write(new Uint8Array([1, 2, 3]), true);
    const got: number[] = [];
    sc.on('readable', (s) => {
      for (let r = s.read(); r; r = s.read()) got.push(...r.data);
    });
    assert.ok(p.runUntil(() => got.length === 3, 1_000_000));
    assert.deepEqual(got, [1, 2, 3]);
  });

  it('starts several connections and accepts them all, in order', () => {
    const p = createEnginePair({ connections: 3, alpn: ['x'], conditions: { delay: 2_000 } });
    assert.equal(p.conns.length, 3);
    assert.ok(p.handshake());
    assert.equal(p.accepted.length, 3);
    assert.ok(p.conns.every((c) => c.alpn === 'x'));
    const extra = p.connect();
    assert.equal(p.conns.length, 4);
    assert.ok(p.handshake());
    assert.equal(p.accepted.length, 4);
    assert.equal(extra.handshakeConfirmed, true);
  });

  it('passes every datagram through the endpoint wrapper of each side', () => {
    const seen = { client: 0, server: 0 };
    const p = createEnginePair({
      endpoint: (engine, role): SansIoEndpoint => ({
        handleDatagram: (d, local, remote, now) => {
          seen[role]++;
          engine.handleDatagram(d, local, remote, now);
        },
        pollTransmit: (now) => engine.pollTransmit(now),
        nextTimeout: () => engine.nextTimeout(),
        handleTimeout: (now) => engine.handleTimeout(now),
      }),
    });
    assert.ok(p.handshake());
    assert.ok(seen.client > 0 && seen.server > 0);
    assert.equal(seen.client + seen.server, p.net.stats.delivered);
  });

  it('a handshake that cannot complete reports false when the time budget runs out', () => {
    const p = createEnginePair({ conditions: { loss: 1 } });
    assert.equal(p.handshake(2_000_000), false);
    assert.ok(p.now >= 2_000_000);
    assert.equal(p.serverConn(), null);
  });
});
