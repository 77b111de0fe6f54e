import assert from 'node:assert/strict';
import { PAIR_CLIENT_ADDRESS, createEnginePair } from '../../src/testing/index.js';

describe('scenario: a client only listens to the server it knows (RFC 9000 §9)', () => {
  it('drops a copy of a server datagram that arrives from another address', () => {
    const p = createEnginePair();
    let hs = false;
    p.conn.on('handshakeDone', () => (hs = true));
    assert.ok(p.net.runUntil(() => hs, 5_000_000));
    // Capture the next datagram the server sends, then replay it from a foreign address.
    let captured: Uint8Array | null = null;
    p.net.onSend = (data, from) => {
      if (captured === null && from.port === 4433) captured = data.slice();
    };
    p.conn.ping();
    assert.ok(p.net.runUntil(() => captured !== null, 1_000_000));
    const before = p.conn.getStats();
    p.client.handleDatagram(
      captured!,
      PAIR_CLIENT_ADDRESS,
      { address: '10.9.9.9', port: 4433 },
      p.net.now,
    );
    const after = p.conn.getStats();
    assert.equal(after.packetsDropped, before.packetsDropped + 1);
    assert.equal(after.packetsReceived, before.packetsReceived, 'nothing was processed');
    assert.equal(p.conn.state, 'established');
  });
});
