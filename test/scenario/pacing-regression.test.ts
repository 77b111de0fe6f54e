/**
 * Regression test for a stall found while measuring the Node adapter: a paced sender sent one
 * pacer burst (the initial window, 10 packets) per round trip however large its congestion
 * window grew, because Connection.poll() marked the connection idle when only the pacer held a
 * packet back, and nextTimeout() then ignored the pacer's release time (RFC 9002 §7.7). Runs over
 * the in-memory network; belongs with the scenario tests.
 */
import assert from 'node:assert/strict';
import { createEnginePair } from '../../src/testing/index.js';

const RTT = 20_000;

describe('pacing: a paced sender keeps sending between acknowledgments', () => {
  it('moves 2 MiB in far fewer round trips than one pacer burst per round trip needs', () => {
    const p = createEnginePair({ conditions: { delay: RTT / 2 } });
    let ready = false;
    p.conn.on('handshakeDone', () => (ready = true));
    assert.ok(
      p.net.runUntil(() => ready, 5_000_000),
      'handshake completes',
    );
    const server = p.serverConn()!;
    const size = 2 << 20;
    const payload = new Uint8Array(size);
    let received = 0;
    let fin = false;
    p.conn.on('readable', (st) => {
      for (let r = st.read(); r; r = st.read()) {
        received += r.data.length;
        if (r.fin) fin = true;
      }
    });
    p.conn.openStream(true)!.write(new Uint8Array([1]), true);
    server.on('stream', (st) => {
      let written = st.write(payload, true);
      server.on('writable', (w) => {
        if (w === st && written < size) written += st.write(payload.subarray(written), true);
      });
    });
    const start = p.net.now;
    assert.ok(
      p.net.runUntil(() => fin, 60_000_000),
      'transfer completes',
    );
    assert.equal(received, size);
    const rtts = (p.net.now - start) / RTT;
    // One 14 520-byte burst per round trip would take 145 round trips; slow start needs ~10.
    assert.ok(rtts < 40, `took ${rtts.toFixed(0)} round trips`);
  });
});
