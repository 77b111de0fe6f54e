import assert from 'node:assert/strict';
import type { Connection } from '../../src/conn/connection.js';
import { defaultProvider } from '../../src/crypto/default-provider.js';
import { PeerResetTokenIndex } from '../../src/engine/peer-reset-tokens.js';
import { forgeStatelessReset } from '../../src/testing/forge.js';
import { SeededRandom } from '../../src/util/random.js';

/** The index only uses connections as keys. */
const a = { name: 'a' } as unknown as Connection;
const b = { name: 'b' } as unknown as Connection;

describe('PeerResetTokenIndex (RFC 9000 §10.3.1)', () => {
  const rng = new SeededRandom(4);
  const reset = (token: Uint8Array, size = 43): Uint8Array =>
    forgeStatelessReset({ token, size, random: (n) => rng.bytes(n) });

  it('finds the connection by the last 16 bytes of a datagram of 21 bytes or more', () => {
    const index = new PeerResetTokenIndex(defaultProvider);
    const [t1, t2, t3] = [rng.bytes(16), rng.bytes(16), rng.bytes(16)];
    assert.equal(index.lookup(reset(t1)), undefined, 'empty index');
    index.update(a, [t1, t2]);
    index.update(b, [t3]);
    assert.equal(index.lookup(reset(t1)), a);
    assert.equal(index.lookup(reset(t2, 21)), a);
    assert.equal(index.lookup(reset(t3, 1200)), b);
    assert.equal(index.lookup(reset(t3).subarray(1)), b, 'the tail is what counts');
    const short = reset(t1, 21).subarray(1);
    assert.equal(short.length, 20);
    assert.equal(index.lookup(short), undefined, 'below 21 bytes');
    assert.equal(index.lookup(reset(rng.bytes(16))), undefined);
  });

  it('an update replaces the tokens of its connection only; remove forgets them', () => {
    const index = new PeerResetTokenIndex(defaultProvider);
    const [t1, t2, t3] = [rng.bytes(16), rng.bytes(16), rng.bytes(16)];
    index.update(a, [t1, t2]);
    index.update(b, [t3]);
    index.update(a, [t2]);
    assert.equal(index.lookup(reset(t1)), undefined, 'retired');
    assert.equal(index.lookup(reset(t2)), a);
    assert.equal(index.lookup(reset(t3)), b);
    index.remove(a);
    assert.equal(index.lookup(reset(t2)), undefined);
    assert.equal(index.lookup(reset(t3)), b);
    index.remove(b);
    assert.equal(index.lookup(reset(t3)), undefined);
  });

  it('keys are keyed transforms, different per index (no raw token lookups)', () => {
    const t = rng.bytes(16);
    const one = new PeerResetTokenIndex(defaultProvider);
    const two = new PeerResetTokenIndex(defaultProvider);
    one.update(a, [t]);
    two.update(a, [t]);
    const keys = (i: PeerResetTokenIndex): string[] => [
      ...(i as unknown as { byKey: Map<string, Connection> }).byKey.keys(),
    ];
    const raw = String.fromCharCode(...t);
    assert.notEqual(keys(one)[0], raw);
    assert.notEqual(keys(one)[0], keys(two)[0]);
  });
});
