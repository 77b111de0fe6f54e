import assert from 'node:assert/strict';
import { defaultProvider } from '../../src/crypto/default-provider.js';
import { createSelfSignedCertificate } from '../../src/tls/x509/index.js';
import { splitCoalesced } from '../../src/wire/header.js';
import { PAIR_SERVER_ADDRESS, createEnginePair } from '../../src/testing/index.js';

describe('scenario: handshake over the in-memory network', () => {
  it('completes a handshake and echoes stream data', () => {
    const p = createEnginePair();
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

  it('fills a datagram that coalesces Initial and Handshake packets (RFC 9000 §12.2)', () => {
    // A flight longer than one datagram: the same certificate ten times (the client does not
    // verify it). The first datagram then carries the server's Initial and as much of its
    // Handshake data as fits, up to the full datagram size, as the second one does.
    const cert = createSelfSignedCertificate(defaultProvider, { names: ['localhost'] });
    const certificate = { chain: Array(10).fill(cert.certificate) as Uint8Array[], key: cert.key };
    const { net, server, conn } = createEnginePair({
      alpn: ['t'],
      certificate: { cert: certificate, ca: cert.certificate },
      // x25519: a hybrid ML-KEM ServerHello alone fills a 1,200-byte Initial, leaving no room
      // to coalesce (datagrams stay at 1,200 bytes until path MTU discovery raises them).
      client: { insecure: true, groups: ['x25519'] },
    });
    const sent: { size: number; packets: number }[] = [];
    net.onSend = (d, from) => {
      if (from.port === PAIR_SERVER_ADDRESS.port) {
        sent.push({ size: d.length, packets: splitCoalesced(d, server.cidLength).length });
      }
    };
    assert.ok(net.runUntil(() => conn.handshakeConfirmed, 5_000_000));
    assert.ok(sent.length >= 3, `the flight took ${sent.length} datagrams`);
    assert.equal(sent[0]!.packets, 2, 'Initial and Handshake coalesced');
    assert.equal(sent[0]!.size, sent[1]!.size, 'the coalesced datagram is as full as the next');
  });
});
