import assert from 'node:assert/strict';
import { makePair } from './helpers.js';

describe('scenario: handshake over the in-memory network', () => {
  it('completes a handshake and echoes stream data', () => {
    const p = makePair();
    let done = false;
    p.conn.on('handshakeDone', () => (done = true));
    assert.ok(
      p.net.runUntil(() => done, 5_000_000),
      'handshake completes',
    );
    const sc = p.serverConn();
    assert.ok(sc, 'server accepted a connection');
    assert.equal(p.conn.alpn, 'test');

    const s = p.conn.openStream(true)!;
    const payload = new Uint8Array(100_000).map((_, i) => i * 7);
    let written = s.write(payload, true);
    assert.ok(written > 0);
    const received: Uint8Array[] = [];
    let fin = false;
    sc.on('readable', (st) => {
      for (let r = st.read(); r; r = st.read()) {
        if (r.data.length) received.push(r.data);
        if (r.fin) fin = true;
      }
    });
    p.conn.on('writable', () => {
      if (written < payload.length) written += s.write(payload.subarray(written), true);
    });
    assert.ok(
      p.net.runUntil(() => fin, 20_000_000),
      'all data arrives',
    );
    const total = Buffer.concat(received);
    assert.equal(total.length, payload.length);
    assert.ok(Buffer.from(payload).equals(total));
  });
});
