import assert from 'node:assert/strict';
import type { Connection } from '../../src/conn/connection.js';
import { createEnginePair } from '../../src/testing/index.js';

/** One-way delay of the pair's link (the default), µs. */
const ONE_WAY = 10_000;

describe('scenario: time to the first response', () => {
  it('a request made when the handshake completes leaves with the Finished: 2 round trips to the response (RFC 9001 §4.1.1)', () => {
    const p = createEnginePair();
    const start = p.net.now;
    let confirmedAtDone: boolean | null = null;
    let requested = false;
    p.conn.on('handshakeDone', () => {
      // A client's handshake is complete before HANDSHAKE_DONE confirms it (§4.1.2); 1-RTT
      // data may go now.
      confirmedAtDone = p.conn.handshakeConfirmed;
      const s = p.conn.openStream(true)!;
      s.write(new TextEncoder().encode('GET /1k\r\n'), true);
      requested = true;
    });
    let received = 0;
    let fin = false;
    p.conn.on('readable', (s) => {
      for (let r = s.read(); r; r = s.read()) {
        received += r.data.length;
        if (r.fin) fin = true;
      }
    });
    let server: Connection | null = null;
    const ok = p.net.runUntil(() => {
      if (server === null) {
        server = p.serverConn();
        server?.on('readable', (s) => {
          let end = false;
          for (let r = s.read(); r; r = s.read()) end ||= r.fin;
          if (end) s.write(new Uint8Array(1024).fill(0x5a), true);
        });
      }
      return fin;
    }, 5_000_000);
    assert.ok(ok, 'the response arrives');
    assert.ok(requested);
    assert.equal(confirmedAtDone, false, "'handshakeDone' comes before HANDSHAKE_DONE arrives");
    assert.equal(received, 1024);
    const elapsed = p.net.now - start;
    // Initial -> server flight -> Finished + request -> response: 4 one-way trips; waiting for
    // HANDSHAKE_DONE before sending the request would make it 6.
    assert.ok(
      elapsed < 5 * ONE_WAY,
      `response after ${elapsed} µs, 2 round trips are ${4 * ONE_WAY}`,
    );
  });
});
