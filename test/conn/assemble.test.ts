import assert from 'node:assert/strict';
import { defaultProvider } from '../../src/crypto/default-provider.js';
import {
  createEnginePair,
  type EnginePair,
  type EnginePairOptions,
} from '../../src/testing/pair.js';
import { createSelfSignedCertificate } from '../../src/tls/x509/index.js';
import { Dissector } from '../../src/testing/dissect.js';
import type { Transmit } from '../../src/util/address.js';

/** Every datagram `pair.<side>` has to send now. */
function drain(pair: EnginePair, side: 'client' | 'server'): Transmit[] {
  const out: Transmit[] = [];
  for (;;) {
    const t = pair[side].pollTransmit(pair.now);
    if (t === null) return out;
    out.push({ ...t, data: t.data.slice() });
  }
}

/** The client's first flight, and the server's answer to it, before anything else arrives. */
function firstFlights(opts: EnginePairOptions = {}) {
  const pair = createEnginePair(opts);
  const client = drain(pair, 'client');
  // Dissected first: the engine opens packets in place.
  const dissector = new Dissector();
  const dc = client.map((t) => dissector.dissect(t.data));
  for (const t of client) {
    pair.server.handleDatagram(t.data, pair.serverAddress, pair.clientAddress, pair.now);
  }
  const server = drain(pair, 'server');
  const ds = server.map((t) => dissector.dissect(t.data));
  return { pair, client, server, dc, ds };
}

describe('conn/assemble: packet assembly into datagrams (RFC 9000 §12.2, §14.1, §8.1)', () => {
  it("a client's datagram with an Initial is at least 1200 bytes (RFC 9000 §14.1)", () => {
    const { client, dc } = firstFlights();
    assert.ok(client.length >= 1);
    for (let i = 0; i < client.length; i++) {
      assert.equal(dc[i]!.packets[0]!.type, 'initial');
      assert.ok(client[i]!.data.length >= 1200, `datagram of ${client[i]!.data.length} bytes`);
    }
    const frames = dc[0]!.packets[0]!.frames!.map((f) => f.kind);
    assert.ok(frames.includes('crypto'), 'the ClientHello goes in CRYPTO frames');
  });

  it('the server coalesces Initial and Handshake packets, Initial first (RFC 9000 §12.2)', () => {
    const { ds } = firstFlights();
    const types = ds.map((d) => d.packets.map((p) => p.type).join('+'));
    assert.ok(types.includes('initial+handshake'), `datagrams ${types.join(', ')}`);
    for (const t of types) assert.ok(!/handshake\+initial/.test(t), 'Initial comes first');
    for (const d of ds) {
      // The Handshake packets need keys the dissector does not have; the Initials open.
      const initial = d.packets.find((p) => p.type === 'initial');
      assert.equal(initial?.error, undefined);
    }
  });

  it("the server's Initial acknowledges the client's, ACK first (RFC 9000 §13.2.1)", () => {
    const { ds } = firstFlights();
    const initial = ds[0]!.packets[0]!;
    assert.equal(initial.frames![0]!.kind, 'ack');
  });

  it('a server datagram with an ack-eliciting Initial is at least 1200 bytes (RFC 9000 §14.1)', () => {
    const { server, ds } = firstFlights();
    for (let i = 0; i < server.length; i++) {
      const initial = ds[i]!.packets.find((p) => p.type === 'initial');
      if (!initial) continue;
      const eliciting = initial.frames!.some((f) => f.kind !== 'ack' && f.kind !== 'padding');
      if (eliciting) assert.ok(server[i]!.data.length >= 1200);
    }
  });

  it('before the client address is validated, the server sends at most three times what it received (RFC 9000 §8.1)', () => {
    // A certificate with hundreds of names: a first flight larger than the budget.
    const names = Array.from({ length: 1000 }, (_, i) => `host-${i}.example.test`);
    const c = createSelfSignedCertificate(defaultProvider, {
      names: ['localhost', ...names],
      notBefore: Date.UTC(2020, 0, 1),
      notAfter: Date.UTC(2099, 0, 1),
    });
    const { client, server } = firstFlights({ certificate: { certificate: c, ca: c.cert } });
    const received = client.reduce((n, t) => n + t.data.length, 0);
    const sent = server.reduce((n, t) => n + t.data.length, 0);
    assert.ok(sent <= 3 * received, `sent ${sent} for ${received} received`);
    assert.ok(sent > 2 * received, `the budget is used: sent ${sent} for ${received}`);
  });

  it('nothing to send: no datagram', () => {
    const { pair } = firstFlights();
    assert.equal(pair.server.pollTransmit(pair.now), null);
    assert.equal(pair.client.pollTransmit(pair.now), null);
  });
});
