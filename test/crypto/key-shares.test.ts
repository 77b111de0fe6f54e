import assert from 'node:assert/strict';
import type { KeyExchangeGroup } from '../../src/crypto/provider.js';
import { fromHex } from '../../src/util/bytes.js';
import { PROVIDERS } from './providers.js';

const GROUPS: { group: KeyExchangeGroup; length: number; secretLength: number }[] = [
  { group: 'x25519', length: 32, secretLength: 32 },
  { group: 'secp256r1', length: 65, secretLength: 32 },
  { group: 'secp384r1', length: 97, secretLength: 48 },
];

// Low-order X25519 points (RFC 7748 §6.1 asks to check for the all-zero result they give).
const X25519_LOW_ORDER = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
];

describe('crypto key shares', () => {
  for (const { group, length, secretLength } of GROUPS) {
    describe(group, () => {
      for (const a of PROVIDERS) {
        for (const b of PROVIDERS) {
          if (a.name === 'default' && b.name === 'default') continue;
          it(`${a.name} and ${b.name} agree`, () => {
            const x = a.generateKeyShare(group);
            const y = b.generateKeyShare(group);
            assert.equal(x.group, group);
            assert.equal(x.publicKey.length, length);
            if (group !== 'x25519') assert.equal(x.publicKey[0], 0x04);
            const s1 = x.deriveSecret(y.publicKey);
            const s2 = y.deriveSecret(x.publicKey);
            assert.ok(s1 && s2);
            assert.equal(s1.length, secretLength);
            assert.deepEqual(s1, s2);
          });
        }
      }

      for (const p of PROVIDERS) {
        it(`${p.name}: fresh shares differ`, () => {
          assert.notDeepEqual(
            p.generateKeyShare(group).publicKey,
            p.generateKeyShare(group).publicKey,
          );
        });

        it(`${p.name}: a peer key of the wrong length gives null`, () => {
          const share = p.generateKeyShare(group);
          const peer = p.generateKeyShare(group).publicKey;
          assert.equal(share.deriveSecret(peer.subarray(0, length - 1)), null);
          assert.equal(share.deriveSecret(new Uint8Array(length + 1)), null);
          assert.equal(share.deriveSecret(new Uint8Array(0)), null);
        });

        if (group === 'x25519') {
          it(`${p.name}: low-order points (all-zero result) give null`, () => {
            const share = p.generateKeyShare(group);
            for (const hex of X25519_LOW_ORDER) {
              assert.equal(share.deriveSecret(fromHex(hex)), null, hex);
            }
          });
        } else {
          it(`${p.name}: a point not on the curve gives null`, () => {
            const share = p.generateKeyShare(group);
            const peer = p.generateKeyShare(group).publicKey.slice();
            peer[peer.length - 1]! ^= 0x01; // change Y: off the curve
            assert.equal(share.deriveSecret(peer), null);
            assert.equal(share.deriveSecret(new Uint8Array(length).fill(0, 1).fill(4, 0, 1)), null);
          });

          it(`${p.name}: a compressed or hybrid point gives null`, () => {
            const share = p.generateKeyShare(group);
            const peer = p.generateKeyShare(group).publicKey;
            const compressed = peer.slice(0, 1 + (length - 1) / 2);
            compressed[0] = 0x02 | (peer[length - 1]! & 1);
            assert.equal(share.deriveSecret(compressed), null);
            const hybrid = peer.slice();
            hybrid[0] = 0x06 | (peer[length - 1]! & 1);
            assert.equal(share.deriveSecret(hybrid), null);
          });
        }
      }
    });
  }

  for (const p of PROVIDERS) {
    it(`${p.name}: refuses an unknown group with a TypeError`, () => {
      assert.throws(() => p.generateKeyShare('x448' as KeyExchangeGroup), TypeError);
    });
  }
});
