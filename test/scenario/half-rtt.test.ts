import assert from 'node:assert/strict';
import { createEnginePair } from '../../src/testing/index.js';

describe('scenario: 0.5-RTT and close notification', () => {
  it('the server sends 1-RTT data before the client Finished arrives (RFC 9001 §5.7)', () => {
    const p = createEnginePair();
    let sentEarly = false;
    let opened = false;
    let received = 0;
    p.conn.on('readable', (s) => {
      for (let r = s.read(); r; r = s.read()) received += r.data.length;
    });
    const ok = p.net.runUntil(() => {
      const sc = p.serverConn();
      if (sc && !opened) {
        const s = sc.openStream(false);
        if (s) {
          opened = true;
          s.write(new Uint8Array([1, 2, 3]), true);
        }
      }
      if (sc && opened && !sc.handshakeComplete && sc.getStream(3)!.bytesSent > 0) sentEarly = true;
      return received === 3;
    }, 5_000_000);
    assert.ok(ok, 'the client receives the data');
    assert.ok(sentEarly, 'the data left before the server completed the handshake');
  });

  it("emits 'closing' at once and 'close' after the draining period", () => {
    const p = createEnginePair();
    let hs = false;
    p.conn.on('handshakeDone', () => (hs = true));
    assert.ok(p.net.runUntil(() => hs, 5_000_000));
    const sc = p.serverConn()!;
    const events: string[] = [];
    sc.on('closing', () => events.push(`closing@${p.net.now}`));
    sc.on('close', () => events.push(`close@${p.net.now}`));
    const start = p.net.now;
    p.conn.close(7, 'done');
    p.net.runFor(5_000_000);
    assert.equal(events.length, 2);
    const closingAt = Number(events[0]!.split('@')[1]);
    const closeAt = Number(events[1]!.split('@')[1]);
    assert.ok(events[0]!.startsWith('closing') && events[1]!.startsWith('close@'));
    assert.ok(closingAt - start < 100_000, 'closing arrives within one trip');
    assert.ok(closeAt > closingAt, 'close comes after draining');
  });
});
