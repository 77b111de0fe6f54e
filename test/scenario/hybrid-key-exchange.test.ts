/**
 * X25519MLKEM768 (draft-ietf-tls-ecdhe-mlkem) over QUIC: the default ClientHello carries a
 * 1,216-byte hybrid key share and an x25519 one, so it spans two Initial packets in two
 * datagrams, each padded to 1,200 bytes (RFC 9000 §14.1). The server reassembles it from
 * packets in any order and across losses, selects the hybrid group when offered, and a server
 * without it selects x25519 at once; a client offering only the hybrid share gets a
 * HelloRetryRequest.
 */
import assert from 'node:assert/strict';
import type { KeyExchangeGroup } from '../../src/crypto/provider.js';
import { splitCoalesced, parseLongHeader } from '../../src/wire/header.js';
import { PacketType } from '../../src/wire/version.js';
import { addressKey } from '../../src/util/address.js';
import { PAIR_CLIENT_ADDRESS, createEnginePair, type EnginePair } from '../../src/testing/pair.js';

function established(p: EnginePair, maxUs = 10_000_000): boolean {
  return p.net.runUntil(
    () => p.conn.handshakeConfirmed && p.serverConn()?.state === 'established',
    maxUs,
  );
}

/**
 * Records the client's datagrams. `initials` counts those with an Initial packet and no
 * Handshake packet: the ClientHello datagrams (the client's last Initial, its ACK of the
 * ServerHello, travels with its Handshake packets).
 */
function tapClient(p: EnginePair): { datagrams: Uint8Array[]; initials: () => number } {
  const datagrams: Uint8Array[] = [];
  p.net.onSend = (data, from) => {
    if (addressKey(from) === addressKey(PAIR_CLIENT_ADDRESS)) datagrams.push(data.slice());
  };
  const types = (d: Uint8Array): PacketType[] =>
    splitCoalesced(d, 8).flatMap((s) => {
      // The QUIC bit may be greased once the server's parameters are known (RFC 9287).
      const h = parseLongHeader(d, s.start, true);
      return 'drop' in h ? [] : [h.type];
    });
  const initials = (): number =>
    datagrams.filter((d) => {
      const t = types(d);
      return t.includes(PacketType.Initial) && !t.includes(PacketType.Handshake);
    }).length;
  return { datagrams, initials };
}

function groups(p: EnginePair): [string | null, string | null] {
  return [p.conn.getStats().group, p.serverConn()!.getStats().group];
}

describe('scenario: X25519MLKEM768 and a ClientHello in two datagrams', () => {
  it('by default both sides agree on X25519MLKEM768; each ClientHello datagram is padded', () => {
    const p = createEnginePair();
    const tap = tapClient(p);
    assert.ok(established(p));
    assert.deepEqual(groups(p), ['X25519MLKEM768', 'X25519MLKEM768']);
    const [first, second] = tap.datagrams;
    assert.ok(first && second);
    assert.ok(first.length >= 1200 && second.length >= 1200, `${first.length}, ${second.length}`);
    assert.equal(tap.initials(), 2, 'two Initial datagrams, no HelloRetryRequest');
  });

  it('the second half of the ClientHello arriving first', () => {
    const p = createEnginePair({ conditions: { reorder: 1, reorderDelay: 3_000 } });
    const sent: Uint8Array[] = [];
    // Only the first datagram is held back: the second overtakes it.
    p.net.onSend = (d, from) => {
      if (addressKey(from) !== addressKey(PAIR_CLIENT_ADDRESS)) return;
      sent.push(d);
      if (sent.length === 1) return;
      p.net.setConditions('client', 'server', {});
    };
    assert.ok(established(p));
    assert.deepEqual(groups(p), ['X25519MLKEM768', 'X25519MLKEM768']);
  });

  for (const lost of [0, 1]) {
    it(`datagram ${lost + 1} of the ClientHello lost: the client's probe completes it`, () => {
      const p = createEnginePair();
      let n = 0;
      p.net.onSend = (_d, from) => {
        if (addressKey(from) !== addressKey(PAIR_CLIENT_ADDRESS)) return;
        p.net.setConditions('client', 'server', { loss: n++ === lost ? 1 : 0 });
      };
      assert.ok(established(p));
      assert.deepEqual(groups(p), ['X25519MLKEM768', 'X25519MLKEM768']);
    });
  }

  it('a server without ML-KEM selects the x25519 share at once', () => {
    const p = createEnginePair({ server: { groups: ['x25519'] } });
    const tap = tapClient(p);
    assert.ok(established(p));
    assert.deepEqual(groups(p), ['x25519', 'x25519']);
    assert.equal(tap.initials(), 2, 'no HelloRetryRequest');
  });

  it('a client sending only the hybrid share to such a server gets a HelloRetryRequest', () => {
    const p = createEnginePair({
      server: { groups: ['x25519'] },
      client: { keyShareGroups: ['X25519MLKEM768'] },
    });
    const tap = tapClient(p);
    assert.ok(established(p));
    assert.deepEqual(groups(p), ['x25519', 'x25519']);
    assert.equal(tap.initials(), 3, 'the second ClientHello fits one datagram');
  });

  it("the server's preference decides when the client offers both", () => {
    const preferClassic: KeyExchangeGroup[] = ['x25519', 'X25519MLKEM768'];
    const p = createEnginePair({ server: { groups: preferClassic } });
    assert.ok(established(p));
    assert.deepEqual(groups(p), ['x25519', 'x25519']);
  });

  it('a client limited to classic groups still talks to a default server', () => {
    const p = createEnginePair({ client: { groups: ['secp256r1', 'x25519'] } });
    const tap = tapClient(p);
    assert.ok(established(p));
    assert.deepEqual(groups(p), ['secp256r1', 'secp256r1']);
    assert.equal(tap.initials(), 1);
  });
});
