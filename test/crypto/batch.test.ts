import assert from 'node:assert/strict';
import type { AeadAlg, HpAlg } from '../../src/crypto/provider.js';
import { toHex } from '../../src/util/bytes.js';
import { SeededRandom } from '../../src/util/random.js';
import { PROVIDERS } from './providers.js';

const AEADS: [AeadAlg, number][] = [
  ['aes-128-gcm', 16],
  ['aes-256-gcm', 32],
  ['chacha20-poly1305', 32],
];
const HPS: [HpAlg, number][] = [
  ['aes-128-ecb', 16],
  ['aes-256-ecb', 32],
  ['chacha20', 32],
];

/**
 * A datagram of `sizes.length` packets back to back (the GSO shape: equal sizes, the last one
 * shorter), each a random header of 1-30 bytes then its payload and 16 bytes of tag room.
 */
function layout(rng: SeededRandom, sizes: readonly number[]) {
  const offsets = new Uint32Array(3 * sizes.length);
  let at = 0;
  sizes.forEach((payload, i) => {
    const header = 1 + rng.int(30);
    offsets[3 * i] = at;
    offsets[3 * i + 1] = at + header;
    offsets[3 * i + 2] = at + header + payload;
    at += header + payload + 16;
  });
  return { buf: rng.bytes(at), offsets, nonces: rng.bytes(12 * sizes.length) };
}

describe('crypto/batch: sealBatch, openBatch and maskBatch agree with the single calls', () => {
  const rng = new SeededRandom(9001);
  for (const p of PROVIDERS) {
    for (const [alg, keyLength] of AEADS) {
      it(`${p.name} ${alg}: 32 packets with a short last one, byte for byte`, () => {
        const aead = p.createAead(alg, rng.bytes(keyLength));
        const sizes = [...Array<number>(31).fill(1180), 333];
        const { buf, offsets, nonces } = layout(rng, sizes);
        const single = buf.slice();
        aead.sealBatch(buf, offsets, nonces, sizes.length);
        for (let i = 0; i < sizes.length; i++) {
          const [h, s, e] = [offsets[3 * i]!, offsets[3 * i + 1]!, offsets[3 * i + 2]!];
          const n = aead.seal(
            nonces.subarray(12 * i, 12 * i + 12),
            single.subarray(h, s),
            single.subarray(s, e),
            single,
            s,
          );
          assert.equal(n, e - s + 16);
        }
        assert.equal(toHex(buf), toHex(single));

        // Open: packet 5 tampered, the rest intact; ends now include the tag.
        const sealed = buf.slice();
        buf[offsets[3 * 5 + 1]! + 3]! ^= 0x40;
        const tampered = buf.slice();
        const openOffsets = offsets.slice();
        for (let i = 0; i < sizes.length; i++) openOffsets[3 * i + 2]! += 16;
        const results = new Int32Array(sizes.length);
        assert.equal(aead.openBatch(buf, openOffsets, nonces, sizes.length, results), 1);
        for (let i = 0; i < sizes.length; i++) {
          const [h, s] = [offsets[3 * i]!, offsets[3 * i + 1]!];
          if (i === 5) {
            assert.equal(results[i], -1);
            const end = openOffsets[3 * i + 2]!;
            assert.equal(toHex(buf.subarray(h, end)), toHex(tampered.subarray(h, end)));
            continue;
          }
          assert.equal(results[i], sizes[i]);
          const plain = single.slice(); // any buffer with the plaintext: open a copy singly
          const copy = sealed.slice();
          const n = aead.open(
            nonces.subarray(12 * i, 12 * i + 12),
            copy.subarray(h, s),
            copy.subarray(s, openOffsets[3 * i + 2]!),
            plain,
            s,
          );
          assert.equal(n, sizes[i]);
          assert.equal(toHex(buf.subarray(s, s + n)), toHex(plain.subarray(s, s + n)));
        }
      });

      it(`${p.name} ${alg}: batch offsets are checked`, () => {
        const aead = p.createAead(alg, rng.bytes(keyLength));
        const { buf, offsets, nonces } = layout(rng, [100]);
        // No room for the tag after the last packet.
        assert.throws(
          () => aead.sealBatch(buf.subarray(0, buf.length - 1), offsets, nonces, 1),
          RangeError,
        );
        assert.throws(() => aead.sealBatch(buf, offsets, nonces, 2), RangeError);
        // A packet too short for a tag fails, and nothing throws.
        const results = new Int32Array(1);
        const short = new Uint32Array([0, 4, 10]);
        assert.equal(aead.openBatch(buf, short, nonces, 1, results), 1);
        assert.equal(results[0], -1);
      });
    }

    for (const [alg, keyLength] of HPS) {
      it(`${p.name} ${alg}: maskBatch gives each sample's mask`, () => {
        const hp = p.createHeaderProtection(alg, rng.bytes(keyLength));
        const buf = rng.bytes(4000);
        const sampleOffsets = new Uint32Array(32);
        for (let i = 0; i < 32; i++) sampleOffsets[i] = rng.int(4000 - 16);
        const masks = new Uint8Array(5 * 32);
        hp.maskBatch(buf, sampleOffsets, 32, masks);
        for (let i = 0; i < 32; i++) {
          const one = new Uint8Array(5);
          hp.mask(buf, one, sampleOffsets[i]);
          assert.equal(toHex(masks.subarray(5 * i, 5 * i + 5)), toHex(one), `sample ${i}`);
        }
        assert.throws(() => hp.maskBatch(buf, new Uint32Array([4000 - 15]), 1, masks), RangeError);
        assert.throws(() => hp.maskBatch(buf, sampleOffsets, 33, masks), RangeError);
      });
    }
  }
});
