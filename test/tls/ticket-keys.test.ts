/** Server ticket keys (sealing, rotation) and the sealed resumption state. */
import assert from 'node:assert/strict';
import { defaultProvider as provider } from '../../src/crypto/index.js';
import { utf8 } from '../../src/util/bytes.js';
import { TicketKeys } from '../../src/tls/ticket-keys.js';
import { decodeServerTicketState, encodeServerTicketState } from '../../src/tls/server-ticket.js';

const T0 = 1_700_000_000_000;
const HOUR = 3600_000;

describe('TicketKeys', () => {
  it('opens what it sealed, and nothing else', () => {
    const keys = new TicketKeys(provider);
    const t = keys.seal(utf8('state'), T0);
    assert.deepEqual(keys.open(t, T0 + 1), utf8('state'));
    for (let i = 0; i < t.length; i += 7) {
      const bad = t.slice();
      bad[i]! ^= 1;
      assert.equal(keys.open(bad, T0), null, `byte ${i}`);
    }
    assert.equal(keys.open(t.subarray(0, 20), T0), null);
    assert.equal(new TicketKeys(provider).open(t, T0), null);
  });

  it('rotates: one period old still opens, two periods old does not', () => {
    const keys = new TicketKeys(provider, { rotationMs: HOUR });
    const t = keys.seal(utf8('a'), T0);
    const t2 = keys.seal(utf8('b'), T0 + HOUR + 1); // new key
    assert.deepEqual(keys.open(t, T0 + HOUR + 2), utf8('a'));
    assert.deepEqual(keys.open(t2, T0 + HOUR + 2), utf8('b'));
    assert.equal(keys.open(t, T0 + 2 * HOUR + 2), null);
    assert.deepEqual(keys.open(t2, T0 + 2 * HOUR + 2), utf8('b'));
    assert.throws(() => new TicketKeys(provider, { rotationMs: 0 }), RangeError);
  });
});

describe('TicketKeys from a shared secret', () => {
  const secret = new Uint8Array(32).fill(3);

  it("servers holding the secret open each other's tickets; another secret does not", () => {
    const a = new TicketKeys(provider, { secret, rotationMs: HOUR });
    const b = new TicketKeys(provider, { secret: secret.slice(), rotationMs: HOUR });
    const t = a.seal(utf8('state'), T0);
    assert.deepEqual(b.open(t, T0 + 5), utf8('state'));
    const other = new TicketKeys(provider, {
      secret: new Uint8Array(32).fill(4),
      rotationMs: HOUR,
    });
    assert.equal(other.open(t, T0), null);
    assert.throws(() => new TicketKeys(provider, { secret: new Uint8Array(16) }), RangeError);
  });

  it('rotates on wall-clock periods: the next period opens, the one after does not', () => {
    const a = new TicketKeys(provider, { secret, rotationMs: HOUR });
    const b = new TicketKeys(provider, { secret, rotationMs: HOUR });
    const start = Math.floor(T0 / HOUR) * HOUR;
    const t = a.seal(utf8('a'), start + HOUR - 1); // the last ms of a period
    const t2 = a.seal(utf8('b'), start + HOUR); // the first of the next: another key
    assert.notDeepEqual(t.subarray(0, 16), t2.subarray(0, 16));
    assert.deepEqual(b.open(t, start + 2 * HOUR - 1), utf8('a'));
    assert.equal(b.open(t, start + 2 * HOUR), null);
    assert.deepEqual(b.open(t2, start + 2 * HOUR), utf8('b'));
    // A server that slept through periods derives the keys it needs, in any order.
    assert.deepEqual(
      new TicketKeys(provider, { secret, rotationMs: HOUR }).open(t2, start + HOUR),
      utf8('b'),
    );
  });
});

describe('server ticket state', () => {
  it('round-trips and refuses anything else', () => {
    const s = {
      suite: 0x1302,
      psk: new Uint8Array(48).fill(5),
      issuedAt: T0,
      ageAdd: 0xffffffff,
      lifetime: 604800,
      maxEarlyData: 0xffffffff,
      alpn: 'h3',
      serverName: 'example.com',
      clientCertificate: new Uint8Array(70000).fill(1),
      appData: utf8('tp'),
    };
    const b = encodeServerTicketState(s);
    assert.deepEqual(decodeServerTicketState(b), s);
    assert.equal(decodeServerTicketState(b.subarray(0, b.length - 1)), null);
    assert.equal(decodeServerTicketState(Uint8Array.of(2, ...b.subarray(1))), null);
    assert.equal(decodeServerTicketState(Uint8Array.of(...b, 0)), null);
  });
});
