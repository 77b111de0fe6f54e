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

  describe('X25519MLKEM768 (draft-ietf-tls-ecdhe-mlkem §3)', () => {
    for (const a of PROVIDERS) {
      for (const b of PROVIDERS) {
        it(`client ${a.name}, server ${b.name}: 1216/1120-byte shares, one 64-byte secret`, () => {
          const client = a.generateKeyShare('X25519MLKEM768');
          assert.equal(client.group, 'X25519MLKEM768');
          assert.equal(client.publicKey.length, 1216);
          const server = b.respondToKeyShare('X25519MLKEM768', client.publicKey);
          assert.ok(server);
          assert.equal(server.publicKey.length, 1120);
          assert.equal(server.secret.length, 64);
          assert.deepEqual(client.deriveSecret(server.publicKey), server.secret);
          // ML-KEM first, X25519 last (§3.3): the X25519 half is an ordinary X25519 exchange.
          const x = a.generateKeyShare('x25519');
          const xs = b.respondToKeyShare('x25519', x.publicKey);
          assert.ok(xs);
          assert.deepEqual(x.deriveSecret(xs.publicKey), xs.secret);
        });
      }
    }

    for (const p of PROVIDERS) {
      it(`${p.name}: the X25519 half is the last 32 bytes of both shares`, () => {
        const client = p.generateKeyShare('X25519MLKEM768');
        const server = p.respondToKeyShare('X25519MLKEM768', client.publicKey)!;
        // Replacing the server's X25519 key changes only the second half of the secret.
        const other = p.respondToKeyShare('x25519', client.publicKey.subarray(1184))!;
        const mixed = new Uint8Array(1120);
        mixed.set(server.publicKey.subarray(0, 1088));
        mixed.set(other.publicKey, 1088);
        const s = client.deriveSecret(mixed)!;
        assert.deepEqual(s.subarray(0, 32), server.secret.subarray(0, 32));
        assert.deepEqual(s.subarray(32), other.secret);
      });

      it(`${p.name}: shares of the wrong length, a bad encapsulation key or a low-order X25519 key give null`, () => {
        const client = p.generateKeyShare('X25519MLKEM768');
        const ek = client.publicKey;
        assert.equal(p.respondToKeyShare('X25519MLKEM768', ek.subarray(0, 1215)), null);
        assert.equal(p.respondToKeyShare('X25519MLKEM768', new Uint8Array(1217)), null);
        // FIPS 203 §7.2 modulus check: a 12-bit coefficient of 4095 is not below q = 3329.
        const badEk = ek.slice();
        badEk[0] = 0xff;
        badEk[1] = 0xff;
        assert.equal(p.respondToKeyShare('X25519MLKEM768', badEk), null);
        const lowOrder = ek.slice();
        lowOrder.fill(0, 1184);
        assert.equal(p.respondToKeyShare('X25519MLKEM768', lowOrder), null);
        const server = p.respondToKeyShare('X25519MLKEM768', ek)!;
        assert.equal(client.deriveSecret(server.publicKey.subarray(0, 1119)), null);
        assert.equal(client.deriveSecret(new Uint8Array(1121)), null);
        const zeroX = server.publicKey.slice();
        zeroX.fill(0, 1088);
        assert.equal(client.deriveSecret(zeroX), null);
      });
    }
  });

  for (const p of PROVIDERS) {
    it(`${p.name}: refuses an unknown group with a TypeError`, () => {
      assert.throws(() => p.generateKeyShare('x448' as KeyExchangeGroup), TypeError);
    });
  }
});
