import assert from 'node:assert/strict';
import { QuicBitGrease } from '../../src/conn/quic-bit.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';

/** A provider whose random bytes are `fill`, counting the calls and bytes asked for. */
function fakeProvider(fill: (i: number) => number) {
  const calls: number[] = [];
  const provider = {
    random(n: number): Uint8Array {
      calls.push(n);
      const b = new Uint8Array(n);
      for (let i = 0; i < n; i++) b[i] = fill(i);
      return b;
    },
  } as unknown as CryptoProvider;
  return { provider, calls };
}

describe('conn/quic-bit: greasing the QUIC bit (RFC 9287)', () => {
  it('keeps the bit set until the peer advertised grease_quic_bit (RFC 9287 §3), drawing nothing', () => {
    const { provider, calls } = fakeProvider(() => 0);
    const g = new QuicBitGrease(provider, null);
    for (let i = 0; i < 100; i++) assert.equal(g.next(), true);
    assert.equal(g.cleared, 0);
    assert.deepEqual(calls, []);
  });

  it('once enabled, takes each bit of the random bytes from the lowest (RFC 9287 §3)', () => {
    // 0b1010_0101: bits from the lowest are 1,0,1,0,0,1,0,1.
    const { provider, calls } = fakeProvider(() => 0xa5);
    const g = new QuicBitGrease(provider, null);
    g.enabled = true;
    const bits: boolean[] = [];
    for (let i = 0; i < 8; i++) bits.push(g.next());
    assert.deepEqual(bits, [true, false, true, false, false, true, false, true]);
    assert.equal(g.cleared, 4, 'packets sent with the bit cleared are counted');
    assert.equal(calls.length, 1);
  });

  it('draws 64 provider bytes for 512 packets, then draws again', () => {
    const { provider, calls } = fakeProvider(() => 0x00);
    const g = new QuicBitGrease(provider, null);
    g.enabled = true;
    for (let i = 0; i < 512; i++) assert.equal(g.next(), false);
    assert.deepEqual(calls, [64]);
    assert.equal(g.cleared, 512);
    g.next();
    assert.deepEqual(calls, [64, 64]);
  });

  it('uses all 32 bits of each value of a seeded random, and not the provider', () => {
    const { provider, calls } = fakeProvider(() => 0xff);
    const values = [0x80000001 / 0x100000000, 0];
    let drawn = 0;
    const g = new QuicBitGrease(provider, () => values[drawn++]!);
    g.enabled = true;
    const bits: boolean[] = [];
    for (let i = 0; i < 33; i++) bits.push(g.next());
    assert.equal(drawn, 2, 'a second value after 32 bits');
    assert.equal(bits[0], true);
    for (let i = 1; i < 31; i++) assert.equal(bits[i], false, `bit ${i}`);
    assert.equal(bits[31], true);
    assert.equal(bits[32], false);
    assert.equal(g.cleared, 31);
    assert.deepEqual(calls, []);
  });

  it('is unpredictable: a fair coin over many packets', () => {
    let seed = 12345;
    // A small LCG as the seeded random of tests.
    const rnd = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 0x100000000;
    };
    const g = new QuicBitGrease(fakeProvider(() => 0).provider, rnd);
    g.enabled = true;
    for (let i = 0; i < 10_000; i++) g.next();
    assert.ok(g.cleared > 4_500 && g.cleared < 5_500, `cleared ${g.cleared}`);
  });
});
