/**
 * What an established connection keeps once the handshake is confirmed: no Initial or Handshake
 * space state (RFC 9001 §4.9.1-4.9.2, RFC 9002 §6.4), no TLS handshake state (transcript,
 * intermediate secrets, reassembly), no view into the last datagram - and it still works.
 */
import assert from 'node:assert/strict';
import { PnSpace } from '../../src/ack/pn-space.js';
import type { Connection } from '../../src/conn/connection.js';
import { defaultProvider } from '../../src/crypto/default-provider.js';
import { HandshakeSession } from '../../src/tls/session.js';
import { TicketKeys } from '../../src/tls/ticket-keys.js';
import { toHex, utf8 } from '../../src/util/bytes.js';
import { createEnginePair } from '../../src/testing/index.js';

function assertReleased(c: Connection): void {
  const who = c.role;
  for (const space of [PnSpace.Initial, PnSpace.Handshake]) {
    const s = c.spaces[space];
    assert.ok(s.discarded, `${who}: space ${space} discarded`);
    assert.equal(s.holdsState, false, `${who}: space ${space} keeps no tracker or buffers`);
    assert.equal(c.keys.sealer(space), null, `${who}: space ${space} keys dropped`);
  }
  assert.ok(c.tls instanceof HandshakeSession);
  assert.ok(c.tls.handshakeStateReleased, `${who}: TLS handshake state released`);
  assert.ok(c.keys.oneRtt, `${who}: 1-RTT keys`);
  assert.equal(c.keys.staged, false, `${who}: 1-RTT keys held only by the key phases`);
  assert.equal(c.rx.dcid.length, 0, `${who}: no view into the last datagram`);
  assert.equal(c.token.length, 0, `${who}: no Initial token`);
}

describe('scenario: an idle established connection', () => {
  it('keeps no handshake state on either end, and still works', () => {
    const p = createEnginePair({ server: { ticketKeys: new TicketKeys(defaultProvider) } });
    let ticket: Uint8Array | null = null;
    p.conn.on('sessionTicket', (t) => (ticket = t));
    const ready = p.net.runUntil(() => {
      const sc = p.serverConn();
      return p.conn.handshakeConfirmed && sc !== null && sc.handshakeConfirmed && ticket !== null;
    }, 5_000_000);
    assert.ok(ready, 'handshake confirmed on both ends, session ticket received');
    p.net.runFor(1_000_000); // the last ACKs settle
    const server = p.serverConn()!;
    assertReleased(p.conn);
    assertReleased(server);

    // What outlives the handshake still does its job: the exporter (RFC 8446 §7.5) ...
    const ctx = utf8('ctx');
    assert.equal(
      toHex(p.conn.tls.exportKeyingMaterial('EXPORTER-test', ctx, 32)),
      toHex(server.tls.exportKeyingMaterial('EXPORTER-test', ctx, 32)),
    );
    // ... and the 1-RTT path, with a key update on top.
    const s = p.conn.openStream(true)!;
    s.write(utf8('ping'), true);
    p.conn.updateKeys();
    let got = '';
    server.on('readable', (st) => {
      for (let r = st.read(); r; r = st.read()) got += Buffer.from(r.data).toString();
    });
    assert.ok(
      p.net.runUntil(() => got === 'ping', 2_000_000),
      'data arrives',
    );
    assertReleased(p.conn);
    assertReleased(server);
  });
});
