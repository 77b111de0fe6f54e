/**
 * The send path's slabs come from uninitializedBytes (src/util/uninitialized.ts): memory that is
 * not zeroed. Every byte of a datagram must therefore be written; a packet that relied on zeroed
 * memory (PADDING by skipping bytes, a length field left unwritten) would put old bytes on the
 * wire. With the allocator poisoned (every allocation filled with 0xA5), a handshake (padded
 * Initials) and a transfer both ways must still arrive byte for byte.
 */
import { strict as assert } from 'node:assert';
import { uninitializedBytes } from '../../src/util/uninitialized.js';
import { createEnginePair } from '../../src/testing/index.js';
import { transfer } from '../scenario/transfer-kit.js';

describe('uninitializedBytes', () => {
  it('returns a plain Uint8Array of the size asked for, on memory of its own', () => {
    const a = uninitializedBytes(1000);
    const b = uninitializedBytes(1000);
    assert.equal(Object.getPrototypeOf(a), Uint8Array.prototype);
    assert.equal(a.length, 1000);
    assert.notEqual(a.buffer, b.buffer);
  });

  describe('with poisoned memory', () => {
    const original = Buffer.allocUnsafeSlow;
    let poisoned = 0;
    before(() => {
      Buffer.allocUnsafeSlow = ((size: number) => {
        poisoned++;
        return original(size).fill(0xa5);
      }) as typeof Buffer.allocUnsafeSlow;
    });
    after(() => {
      Buffer.allocUnsafeSlow = original;
    });

    it('the allocator hands out the poisoned memory', () => {
      assert.equal(uninitializedBytes(16)[7], 0xa5);
    });

    it('a handshake and a transfer both ways arrive byte for byte', () => {
      poisoned = 0;
      const p = createEnginePair({ seed: 7 });
      const r = transfer(p, 300_000, 1_000_000);
      assert.ok(r.done, 'the transfer did not finish');
      assert.ok(r.up.complete && r.down.complete);
      assert.equal(r.up.mismatch, -1);
      assert.equal(r.down.mismatch, -1);
      // The slabs really came from the poisoned allocator.
      assert.ok(poisoned > 0, 'no slab was allocated through uninitializedBytes');
    });
  });
});
