/**
 * A PTO probes every space with ack-eliciting packets in flight (RFC 9002 §6.2.4): a client
 * whose handshake is complete but not confirmed, with its request in flight in 1-RTT, probes in
 * 1-RTT as well as in Handshake. Before confirmation no Application Data PTO runs (§6.2.1), so
 * without this a lost request waits for HANDSHAKE_DONE; an aioquic server that lost its
 * HANDSHAKE_DONE does not repeat it on PTO, and the interop handshakecorruption case timed out.
 */
import assert from 'node:assert/strict';
import { createEnginePair, PAIR_CLIENT_ADDRESS } from '../../src/testing/pair.js';
import { dissectDatagram } from '../../src/testing/dissect.js';
import { addressKey } from '../../src/util/address.js';

describe('scenario: PTO probes cover the other spaces in flight', () => {
  it('a client with Handshake and 1-RTT data in flight probes in both', () => {
    const p = createEnginePair({ seed: 7 });
    assert.ok(
      p.runUntil(() => p.conn.handshakeComplete, 5_000_000),
      'the client completes its handshake',
    );
    assert.equal(p.conn.handshakeConfirmed, false);
    const s = p.conn.openStream(true)!;
    s.write(new TextEncoder().encode('GET /\r\n'), true);
    // From here on nothing the client sends arrives: neither its Finished nor its request, so
    // the server confirms nothing and acknowledges nothing.
    const start = p.now;
    p.net.blackhole(start, start + 4_000_000, 'client', 'server');
    const probes: { handshake: boolean; oneRtt: boolean }[] = [];
    let sentRequest = false;
    const tap = p.net.onSend;
    p.net.onSend = (data, from, to) => {
      tap?.(data, from, to);
      if (addressKey(from) !== addressKey(PAIR_CLIENT_ADDRESS)) return;
      const types = dissectDatagram(data).packets.map((pkt) => pkt.type);
      if (!sentRequest) {
        sentRequest = types.includes('1rtt');
        return;
      }
      probes.push({ handshake: types.includes('handshake'), oneRtt: types.includes('1rtt') });
    };
    p.runFor(3_500_000);
    assert.ok(sentRequest, 'the request left');
    assert.equal(p.conn.handshakeConfirmed, false, 'nothing reached the server');
    assert.ok(
      probes.some((d) => d.handshake),
      `Handshake probes were sent (${JSON.stringify(probes)})`,
    );
    // The client receives nothing, so it owes no ACK: a 1-RTT packet now is a probe.
    assert.ok(
      probes.some((d) => d.oneRtt),
      `1-RTT probes were sent with them (${JSON.stringify(probes)})`,
    );
    // Once the path clears, the handshake is confirmed and the request is delivered.
    assert.ok(p.handshake(10_000_000), 'the handshake is confirmed after the blackhole');
  });
});
