import assert from 'node:assert/strict';
import { Writer } from '../../src/util/cursor.js';
import { toHex } from '../../src/util/bytes.js';
import {
  decodePacketNumber,
  decodePacketNumberBig,
  encodePacketNumber,
  packetNumberLength,
} from '../../src/wire/packet-number.js';
import { Rng } from './random.js';

function truncate(pn: number, len: number): number {
  return pn % 2 ** (8 * len);
}

describe('wire/packet-number', () => {
  describe('packetNumberLength', () => {
    it('matches RFC 9000 Appendix A.2', () => {
      assert.equal(packetNumberLength(0xac5c02, 0xabe8b3), 2);
      assert.equal(packetNumberLength(0xace8fe, 0xabe8b3), 3);
    });

    it('covers twice the unacknowledged range at each width edge', () => {
      assert.equal(packetNumberLength(0, -1), 1);
      assert.equal(packetNumberLength(127, -1), 1); // 128 unacked -> needs 8 bits
      assert.equal(packetNumberLength(128, -1), 2);
      assert.equal(packetNumberLength(100 + 128, 100), 1);
      assert.equal(packetNumberLength(100 + 129, 100), 2);
      assert.equal(packetNumberLength(0x8000, 0), 2);
      assert.equal(packetNumberLength(0x8001, 0), 3);
      assert.equal(packetNumberLength(0x800000, 0), 3);
      assert.equal(packetNumberLength(0x800001, 0), 4);
      assert.equal(packetNumberLength(2 ** 31, 0), 4);
    });

    it('rejects impossible inputs', () => {
      assert.throws(() => packetNumberLength(5, 5), RangeError);
      assert.throws(() => packetNumberLength(2 ** 31 + 1, 0), RangeError);
    });
  });

  describe('encodePacketNumber', () => {
    it('writes the low bytes in network order', () => {
      const pn = 0x12345678 + 2 ** 40;
      for (const [len, hex] of [
        [1, '78'],
        [2, '5678'],
        [3, '345678'],
        [4, '12345678'],
      ] as const) {
        const w = Writer.growable(4);
        encodePacketNumber(w, pn, len);
        assert.equal(toHex(w.view()), hex);
      }
    });
  });

  describe('decodePacketNumber', () => {
    it('matches RFC 9000 Appendix A.3', () => {
      assert.equal(decodePacketNumber(0xa82f30ea, 0x9b32, 16), 0xa82f9b32);
      assert.equal(decodePacketNumberBig(0xa82f30ean, 0x9b32, 16), 0xa82f9b32n);
    });

    it('decodes the first packet of a space (largest = -1)', () => {
      assert.equal(decodePacketNumber(-1, 0, 8), 0);
      assert.equal(decodePacketNumber(-1, 2, 32), 2);
      assert.equal(decodePacketNumber(-1, 0xff, 8), 0xff);
    });

    it('never goes below zero when the candidate is near 0', () => {
      // Expected 11; 0xff is 244 away upward but the value below would be negative.
      assert.equal(decodePacketNumber(10, 0xff, 8), 0xff);
      assert.equal(decodePacketNumber(0, 0xfffe, 16), 0xfffe);
    });

    it('wraps forward and backward across the window', () => {
      assert.equal(decodePacketNumber(0xff, 0x00, 8), 0x100);
      assert.equal(decodePacketNumber(0x100, 0xff, 8), 0xff);
      assert.equal(decodePacketNumber(0x17f, 0x00, 8), 0x200); // expected 0x180: 0x200 is 128 above
      assert.equal(decodePacketNumber(0x180, 0x00, 8), 0x200);
      assert.equal(decodePacketNumber(0x17e, 0x00, 8), 0x100); // expected 0x17f: 0x100 is 127 below
    });

    it('is exact above 2^32 where 32-bit bit operations would fail', () => {
      const largest = 2 ** 40 + 0xfffffffe;
      assert.equal(decodePacketNumber(largest, 0x00000001, 32), 2 ** 40 + 2 ** 32 + 1);
      assert.equal(decodePacketNumber(2 ** 52, 0x01, 8), 2 ** 52 + 1);
    });

    it('does not wrap past 2^62 - 1 (bigint, full range)', () => {
      const top = 2n ** 62n - 1n;
      // Largest near the top: the next window would leave the packet number space.
      assert.equal(decodePacketNumberBig(top - 1n, 0x00, 8), top - 0xffn);
      assert.equal(decodePacketNumberBig(top - 1n, 0xff, 8), top);
      assert.equal(decodePacketNumberBig(top - 0x80n, 0x7f, 8), top - 0x80n);
      assert.equal(decodePacketNumberBig(top - 5n, 0xfffffffe, 32), top - 1n);
      assert.equal(decodePacketNumberBig(-1n, 0, 8), 0n);
    });

    it('agrees with the bigint version for any largest below 2^52 and any truncated value', () => {
      const rng = new Rng(11);
      for (let i = 0; i < 4000; i++) {
        const bits = rng.pick([8, 16, 24, 32]);
        // Largest values near window edges as well as anywhere, up to 2^52.
        const high = rng.pick([0, 1, 2 ** 20]);
        const base = rng.int(high) * 2 ** 32 + (high === 0 ? rng.int(2 ** 12) : rng.u32());
        const largest = rng.bool()
          ? base
          : Math.max(-1, base - (base % 2 ** bits) - 1 + rng.int(3));
        const truncated = rng.int(2 ** bits);
        assert.equal(
          BigInt(decodePacketNumber(largest, truncated, bits)),
          decodePacketNumberBig(BigInt(largest), truncated, bits),
          `largest ${largest}, truncated ${truncated}, ${bits} bits`,
        );
      }
    });

    it('round-trips any packet number sent with the length packetNumberLength picks', () => {
      const rng = new Rng(7);
      for (let i = 0; i < 2000; i++) {
        const largestAcked = rng.bool() ? -1 : rng.int(2 ** 48);
        const unacked = 1 + rng.int(rng.pick([100, 30000, 2 ** 23, 2 ** 31]));
        const pn = (largestAcked < 0 ? 0 : largestAcked) + unacked - (largestAcked < 0 ? 1 : 0);
        const len = packetNumberLength(pn, largestAcked);
        // The receiver has seen anything from largestAcked up to pn - 1 (or nothing).
        const receiverLargest = largestAcked < 0 ? -1 : largestAcked + rng.int(pn - largestAcked);
        const truncated = truncate(pn, len);
        assert.equal(decodePacketNumber(receiverLargest, truncated, len * 8), pn);
        assert.equal(
          decodePacketNumberBig(BigInt(receiverLargest), truncated, len * 8),
          BigInt(pn),
        );
      }
    });
  });
});
