import assert from 'node:assert/strict';
import type { Connection } from '../../src/conn/connection.js';
import { createEnginePair, type EnginePair } from '../../src/testing/index.js';

/** One-way delay of the pair's link (the default), µs. */
const ONE_WAY = 10_000;

/**
 * The pair's server connection once it exists (null before), answering each request with 1 KiB
 * and FIN once the request's FIN arrived.
 */
function respondingServer(p: EnginePair, server: Connection | null): Connection | null {
  if (server !== null) return server;
  const sc = p.serverConn();
  sc?.on('readable', (s) => {
    let end = false;
    for (let r = s.read(); r; r = s.read()) end ||= r.fin;
    if (end) s.write(new Uint8Array(1024).fill(0x5a), true);
  });
  return sc;
}

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
      server = respondingServer(p, server);
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

describe('scenario: a short connection sends only the datagrams it needs', () => {
  it('x25519 handshake, 1 KiB request and response, close: three datagrams from the client, two from the server', () => {
    const p = createEnginePair({ client: { groups: ['x25519'] } });
    p.conn.on('handshakeDone', () => {
      p.conn.openStream(true)!.write(new TextEncoder().encode('GET /1k\r\n'), true);
    });
    p.conn.on('readable', (s) => {
      for (let r = s.read(); r; r = s.read()) if (r.fin) p.conn.close(0, 'done');
    });
    let server: Connection | null = null;
    const ok = p.net.runUntil(() => {
      server = respondingServer(p, server);
      return server !== null && server.state === 'closed';
    }, 5_000_000);
    assert.ok(ok, 'the server closed');
    const sc = server! as Connection;
    // Client: Initial; Handshake with the Finished and 1-RTT with the request; CONNECTION_CLOSE.
    assert.equal(p.conn.stats.datagramsSent, 3, 'client datagrams');
    // Server: Initial and Handshake; HANDSHAKE_DONE, NEW_CONNECTION_ID, the session ticket and
    // the response, which fill one datagram. That full datagram starts no path MTU search: a
    // probe would be a third datagram, and its ACK a fourth from the client.
    assert.equal(sc.stats.datagramsSent, 2, 'server datagrams');
  });
});
