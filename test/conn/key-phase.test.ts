import assert from 'node:assert/strict';
import { KeyPhases } from '../../src/conn/key-phase.js';
import { PacketProtector } from '../../src/crypto/packet-protection.js';
import { defaultProvider } from '../../src/crypto/default-provider.js';

function phases(): KeyPhases {
  const key = (b: number): PacketProtector =>
    new PacketProtector(defaultProvider, 'TLS_AES_128_GCM_SHA256', new Uint8Array(32).fill(b), 1);
  return new KeyPhases(key(1), key(2));
}

describe('KeyPhases across the paths of a multipath connection (RFC 10069 §2.5)', () => {
  it('tells old from new keys by the packet numbers of each path', () => {
    const k = phases();
    const gen0 = k.read;
    // The peer updates on path 0 at packet 100; path 1 has seen packets of generation 0 up to 40.
    k.onPacketOpened(40, 1);
    const next = k.select(true, 100, 0);
    assert.equal(k.selectedNext, true);
    k.commitPeerUpdate(100, 1_000_000, 0);
    assert.equal(k.read, next);
    // Path 1's packet 41 in the old phase, arriving late, opens with the previous keys...
    assert.equal(k.select(false, 41, 1), gen0);
    assert.equal(k.selectedNext, false);
    // ...and once path 1 saw its first packet of the new phase (50), older ones there are old.
    k.onPacketOpened(50, 1);
    assert.equal(k.select(false, 45, 1), gen0);
    assert.equal(k.selectedNext, false);
    // A different phase above the first new-phase packet is the next update.
    k.select(false, 60, 1);
    assert.equal(k.selectedNext, true);
  });

  it('an acknowledgment on any path completes our key phase (§6.1 of RFC 9001)', () => {
    const k = phases();
    k.initiate();
    assert.equal(k.canInitiate(), false);
    k.onPathPacketSent(2, 7);
    k.onPathAckReceived(2, 6);
    assert.equal(k.writeGenAcked, false, 'an older packet of that path');
    k.onPathAckReceived(3, 100);
    assert.equal(k.writeGenAcked, false, 'another path with nothing of this phase');
    k.onPathAckReceived(2, 7);
    assert.equal(k.writeGenAcked, true);
  });
});
