/**
 * Greasing the QUIC bit (RFC 9287): both sides advertise grease_quic_bit, clear the bit on a
 * share of their packets once the peer's parameters are known (never on the client's first
 * Initials, §3), and accept packets with the bit cleared. A side that turned it off neither
 * advertises nor clears it, and its peer then keeps the bit set.
 */
import { strict as assert } from 'node:assert';
import type { Engine } from '../../src/engine/engine.js';
import type { SansIoEndpoint } from '../../src/testing/network.js';
import { createEnginePair } from '../../src/testing/index.js';
import type { SocketAddress } from '../../src/util/address.js';
import { SeededRandom } from '../../src/util/random.js';
import { transfer } from './transfer-kit.js';

interface BitCount {
  set: number;
  cleared: number;
  /** Cleared in a long-header packet that starts a datagram from a client before any reply. */
  firstFlightCleared: number;
}

/** Counts the QUIC bit of the first packet of every datagram an engine sends. */
function counting(ep: Engine, count: BitCount): SansIoEndpoint {
  let received = false;
  return {
    handleDatagram(data: Uint8Array, local: SocketAddress, remote: SocketAddress, now: number) {
      received = true;
      ep.handleDatagram(data, local, remote, now);
    },
    pollTransmit(now) {
      const t = ep.pollTransmit(now);
      if (t) {
        if ((t.data[0]! & 0x40) !== 0) count.set++;
        else {
          count.cleared++;
          if (!received) count.firstFlightCleared++;
        }
      }
      return t;
    },
    nextTimeout: () => ep.nextTimeout(),
    handleTimeout: (now) => ep.handleTimeout(now),
  };
}

function run(clientGrease: boolean, serverGrease: boolean) {
  const counts = {
    client: { set: 0, cleared: 0, firstFlightCleared: 0 },
    server: { set: 0, cleared: 0, firstFlightCleared: 0 },
  };
  const p = createEnginePair({
    seed: 7,
    serverEngine: {
      connection: { greaseQuicBit: serverGrease, random: seeded(1) },
    },
    client: { greaseQuicBit: clientGrease, random: seeded(2) },
    endpoint: (e, role) => counting(e, counts[role]),
  });
  const r = transfer(p, 200_000, 300_000);
  return { p, r, counts };
}

function seeded(seed: number): () => number {
  const rng = new SeededRandom(seed);
  return () => rng.next();
}

describe('QUIC bit greasing (RFC 9287)', () => {
  it('both sides advertise it, clear the bit on about half their packets, and transfer byte-exact', () => {
    const { p, r, counts } = run(true, true);
    assert.ok(r.done, 'transfer completes');
    assert.equal(r.up.mismatch, -1);
    assert.equal(r.down.mismatch, -1);
    assert.equal(p.conn.peerParams?.greaseQuicBit, true);
    assert.equal(p.serverConn()!.peerParams?.greaseQuicBit, true);
    for (const side of ['client', 'server'] as const) {
      const c = counts[side];
      const total = c.set + c.cleared;
      assert.ok(total > 100, `${side} sent ${total} datagrams`);
      // A fair coin per packet: far from 0 and from all of them.
      assert.ok(
        c.cleared > total * 0.3 && c.cleared < total * 0.7,
        `${side}: ${c.cleared}/${total}`,
      );
    }
    // §3: before the server's parameters arrive the client keeps the bit set.
    assert.equal(counts.client.firstFlightCleared, 0);
    assert.equal(p.conn.getStats().packetsDropped, 0);
    assert.equal(p.serverConn()!.getStats().packetsDropped, 0);
  });

  it('a side that does not advertise it receives only packets with the bit set', () => {
    const { p, r, counts } = run(false, true);
    assert.ok(r.done, 'transfer completes');
    assert.equal(p.serverConn()!.peerParams?.greaseQuicBit, false);
    assert.equal(p.conn.peerParams?.greaseQuicBit, true);
    assert.equal(counts.server.cleared, 0, 'the server never clears the bit');
    // The client may not grease either: its option turns off sending as well.
    assert.equal(counts.client.cleared, 0);
  });
});
