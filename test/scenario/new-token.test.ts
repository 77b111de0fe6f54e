/**
 * NEW_TOKEN on the client side (RFC 9000 §8.1.3): a token a server sent in an earlier
 * connection, given to the next connect(), validates the client's address at once - a server
 * that demands validation (Retry) skips the Retry round trip. A token from another address or a
 * garbled one does not validate: the server falls back to Retry and the handshake completes.
 */
import assert from 'node:assert/strict';
import { createEnginePair, PAIR_CLIENT_ADDRESS, type EnginePair } from '../../src/testing/pair.js';
import { QUIC_V1, QUIC_V2 } from '../../src/wire/version.js';

const TOKEN_KEY = new Uint8Array(16).fill(7);

function established(p: EnginePair): boolean {
  return p.net.runUntil(
    () => p.conn.handshakeConfirmed && p.serverConn()?.state === 'established',
    5_000_000,
  );
}

/** A NEW_TOKEN token from a first connection to a Retry-demanding server. */
function firstToken(): Uint8Array {
  const p = createEnginePair({ server: { retry: true, tokenKey: TOKEN_KEY } });
  let token: Uint8Array | null = null;
  p.conn.on('newToken', (t) => (token = t));
  assert.ok(established(p));
  assert.equal(p.conn.getStats().retry, true, 'no token: a Retry');
  p.net.runUntil(() => token !== null, 1_000_000);
  assert.ok(token, 'the server sent a NEW_TOKEN token');
  return token;
}

describe('scenario: NEW_TOKEN tokens on the client', () => {
  const token = firstToken();

  it('the next connection presents it in its Initial: no Retry, one round trip less', () => {
    const withToken = createEnginePair({
      server: { retry: true, tokenKey: TOKEN_KEY },
      client: { token },
    });
    assert.ok(established(withToken));
    assert.equal(withToken.conn.getStats().retry, false);
    const without = createEnginePair({ server: { retry: true, tokenKey: TOKEN_KEY } });
    assert.ok(established(without));
    // Virtual time: the Retry costs exactly one more round trip (2 x 10 ms).
    assert.equal(without.conn.getStats().handshakeMs - withToken.conn.getStats().handshakeMs, 20);
  });

  it('a token of a v1 connection does not validate one the server switches to v2 (RFC 9369 §5)', () => {
    const p = createEnginePair({
      server: { retry: true, tokenKey: TOKEN_KEY, versions: [QUIC_V2, QUIC_V1] },
      client: { token },
    });
    let v2Token: Uint8Array | null = null;
    p.conn.on('newToken', (t) => (v2Token = t));
    assert.ok(established(p));
    assert.equal(p.conn.version, QUIC_V2);
    assert.equal(p.conn.getStats().retry, true, 'the token did not validate: a Retry');
    // A token of the v2 connection validates the next one in v2.
    p.net.runUntil(() => v2Token !== null, 1_000_000);
    assert.ok(v2Token);
    const q = createEnginePair({
      server: { retry: true, tokenKey: TOKEN_KEY, versions: [QUIC_V2, QUIC_V1] },
      client: { token: v2Token },
    });
    assert.ok(established(q));
    assert.equal(q.conn.version, QUIC_V2);
    assert.equal(q.conn.getStats().retry, false);
  });

  it('from another client address the token does not validate: Retry, then the handshake', () => {
    const p = createEnginePair({
      server: { retry: true, tokenKey: TOKEN_KEY },
      client: { token, local: { ...PAIR_CLIENT_ADDRESS, address: '10.0.0.3' } },
    });
    p.net.addEndpoint('client-moved', p.client, { ...PAIR_CLIENT_ADDRESS, address: '10.0.0.3' });
    assert.ok(established(p));
    assert.equal(p.conn.getStats().retry, true);
  });

  it('a garbled token: Retry, then the handshake', () => {
    const bad = token.slice();
    bad[bad.length - 1]! ^= 1;
    const p = createEnginePair({
      server: { retry: true, tokenKey: TOKEN_KEY },
      client: { token: bad },
    });
    assert.ok(established(p));
    assert.equal(p.conn.getStats().retry, true);
  });
});
