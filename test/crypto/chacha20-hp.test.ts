import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import { ChaCha20HeaderProtection } from '../../src/crypto/chacha20-hp.js';
import { fromHex, toHex } from '../../src/util/bytes.js';
import { SeededRandom } from '../../src/util/random.js';

/** Reference: node's chacha20 with IV = sample (4-byte LE counter || 12-byte nonce). */
function nodeMask(key: Uint8Array, sample: Uint8Array): string {
  return toHex(createCipheriv('chacha20', key, sample).update(new Uint8Array(5)));
}

describe('crypto/chacha20-hp', () => {
  it('RFC 8439 §2.3.2 block: first five keystream bytes', () => {
    const key = fromHex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
    // counter = 1 (little endian), nonce = 000000090000004a00000000
    const sample = fromHex('01000000' + '000000090000004a00000000');
    const mask = new Uint8Array(5);
    new ChaCha20HeaderProtection(key).mask(sample, mask);
    assert.equal(toHex(mask), '10f1e7e4d1');
  });

  it('matches OpenSSL for random keys and samples, including counter 2^32-1', () => {
    const rng = new SeededRandom(8439);
    for (let i = 0; i < 200; i++) {
      const key = rng.bytes(32);
      const sample = rng.bytes(16);
      if (i % 50 === 0) sample.fill(0xff, 0, 4);
      if (i % 50 === 1) sample.fill(0x00, 0, 4);
      const mask = new Uint8Array(8).fill(0xaa);
      new ChaCha20HeaderProtection(key).mask(sample, mask);
      assert.equal(toHex(mask.subarray(0, 5)), nodeMask(key, sample), `case ${i}`);
      assert.equal(toHex(mask.subarray(5)), 'aaaaaa', 'writes only five bytes');
    }
  });

  it('reads the sample from a view at any offset', () => {
    const rng = new SeededRandom(1);
    const key = rng.bytes(32);
    const buf = rng.bytes(40);
    const hp = new ChaCha20HeaderProtection(key);
    const mask = new Uint8Array(5);
    hp.mask(buf.subarray(7, 23), mask);
    assert.equal(toHex(mask), nodeMask(key, buf.slice(7, 23)));
  });

  it('rejects a key that is not 32 bytes', () => {
    assert.throws(() => new ChaCha20HeaderProtection(new Uint8Array(16)), RangeError);
  });
});
