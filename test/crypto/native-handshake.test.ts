/**
 * The native backend's HMAC, HKDF, HKDF-Expand-Label and X25519 (native/tsquic_handshake.c via
 * src/crypto/native-handshake.ts): the RFC 5869, RFC 8448 and RFC 7748 vectors, and the same
 * results as the pure provider on random inputs. (hkdf.test.ts, key-shares.test.ts and
 * providers.test.ts run their vectors through the native provider as well.)
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { backend } from '../../src/crypto/default-provider.js';
import { deriveSecret, hkdfExpandLabel } from '../../src/crypto/hkdf.js';
import {
  NativeX25519Share,
  nativeHandshakePrimitives,
  type NativeHandshakeAddon,
} from '../../src/crypto/native-handshake.js';
import { nativeAddonPath } from '../../src/crypto/native-provider.js';
import type { CryptoProvider, HashAlg } from '../../src/crypto/provider.js';
import { pureProvider } from '../../src/crypto/pure-provider.js';
import { fromHex, toHex } from '../../src/util/bytes.js';
import { SeededRandom } from '../../src/util/random.js';
import { loadVector } from '../vectors.js';

// RFC 5869 Appendix A.2 (SHA-256, longer inputs and outputs: an 80-byte salt is an HMAC key
// longer than SHA-256's block, RFC 2104 §2, and the output takes three HMAC blocks).
const range = (from: number, to: number) =>
  toHex(Uint8Array.from({ length: to - from }, (_, i) => from + i));
const A2 = {
  ikm: range(0x00, 0x50),
  salt: range(0x60, 0xb0),
  info: range(0xb0, 0x100),
  length: 82,
  prk: '06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244',
  okm:
    'b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c' +
    '59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71' +
    'cc30c58179ec3e87c14c01d5c1f3434f1d87',
};

// RFC 7748 §6.1: Alice's and Bob's key pairs and their shared secret.
const RFC7748 = {
  alicePrivate: '77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a',
  alicePublic: '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a',
  bobPrivate: '5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb',
  bobPublic: 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f',
  shared: '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742',
};

// u-coordinates whose X25519 result is all zeros for every private key: 0, 1, and a point of
// order 8 (RFC 7748 §6.1: a check for the all-zero value rejects them, RFC 8446 §7.4.2).
const LOW_ORDER = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
];

function bytes(rng: SeededRandom, n: number): Uint8Array {
  return rng.bytes(n);
}

if (!backend.native.loaded) {
  describe('crypto/native-handshake', () => {
    it('the addon did not load (allowed outside CI only)', () => {
      assert.notEqual(process.env['CI'], 'true', 'the native backend must load in CI');
    });
  });
} else {
  const addon = createRequire(import.meta.url)(nativeAddonPath()!) as NativeHandshakeAddon;
  const native: CryptoProvider = {
    ...pureProvider,
    ...nativeHandshakePrimitives(addon, pureProvider),
  };
  const HASHES: HashAlg[] = ['sha256', 'sha384'];

  describe('crypto/native-handshake: HMAC and HKDF', () => {
    it('RFC 5869 A.2: extract (a salt longer than the block) and a three-block expand', () => {
      const prk = native.hkdfExtract('sha256', fromHex(A2.salt), fromHex(A2.ikm));
      assert.equal(toHex(prk), A2.prk);
      assert.equal(toHex(native.hkdfExpand('sha256', prk, fromHex(A2.info), A2.length)), A2.okm);
    });

    it('HMAC equals the pure provider for keys of 0..300 bytes and data of 0..500', () => {
      const rng = new SeededRandom(5869);
      for (const alg of HASHES) {
        for (let i = 0; i < 200; i++) {
          const key = bytes(rng, rng.int(301));
          const data = bytes(rng, rng.int(501));
          assert.equal(
            toHex(native.hmac(alg, key, data)),
            toHex(pureProvider.hmac(alg, key, data)),
          );
        }
      }
    });

    it('HKDF-Expand equals the pure provider for every length up to 255 * HashLen', () => {
      const rng = new SeededRandom(8446);
      for (const alg of HASHES) {
        const n = alg === 'sha256' ? 32 : 48;
        for (const length of [0, 1, n - 1, n, n + 1, 2 * n, 3 * n + 5, 255 * n]) {
          const prk = bytes(rng, n);
          const info = bytes(rng, rng.int(100));
          assert.equal(
            toHex(native.hkdfExpand(alg, prk, info, length)),
            toHex(pureProvider.hkdfExpand(alg, prk, info, length)),
            `${alg} length ${length}`,
          );
        }
        assert.throws(
          () => native.hkdfExpand(alg, new Uint8Array(n), new Uint8Array(0), 255 * n + 1),
          RangeError,
        );
        assert.throws(
          () => native.hkdfExpand(alg, new Uint8Array(n), new Uint8Array(0), -1),
          RangeError,
        );
      }
    });

    it('RFC 8448: the key schedule, traffic keys and finished keys through Expand-Label', () => {
      const v = loadVector('tls13-rfc8448-simple.json');
      const k = v.key_schedule;
      const empty = new Uint8Array(0);
      assert.equal(
        toHex(
          deriveSecret(native, 'sha256', fromHex(k.early_secret), 'derived', fromHex(k.empty_hash)),
        ),
        k.derived_for_handshake,
      );
      assert.equal(
        toHex(
          deriveSecret(
            native,
            'sha256',
            fromHex(k.handshake_secret),
            's hs traffic',
            fromHex(k.transcript_hash_ch_sh),
          ),
        ),
        k.server_handshake_traffic_secret,
      );
      for (const side of ['server', 'client'] as const) {
        const secret = fromHex(k[`${side}_handshake_traffic_secret`]);
        assert.equal(
          toHex(hkdfExpandLabel(native, 'sha256', secret, 'key', empty, 16)),
          v.traffic_keys[`${side}_handshake_key`],
        );
        assert.equal(
          toHex(hkdfExpandLabel(native, 'sha256', secret, 'iv', empty, 12)),
          v.traffic_keys[`${side}_handshake_iv`],
        );
        assert.equal(
          toHex(hkdfExpandLabel(native, 'sha256', secret, 'finished', empty, 32)),
          v.finished[`${side}_finished_key`],
        );
      }
    });

    it('Expand-Label equals the pure provider for 100 labels (past the label cache) and contexts', () => {
      const rng = new SeededRandom(9001);
      for (let i = 0; i < 100; i++) {
        const alg = HASHES[i % 2]!;
        const label = `label ${i} ${'x'.repeat(rng.int(200))}`;
        const context = bytes(rng, rng.int(256));
        const secret = bytes(rng, 48);
        const length = rng.int(200);
        assert.equal(
          toHex(hkdfExpandLabel(native, alg, secret, label, context, length)),
          toHex(hkdfExpandLabel(pureProvider, alg, secret, label, context, length)),
        );
      }
      // A cached label again.
      const s = new Uint8Array(32);
      assert.equal(
        toHex(hkdfExpandLabel(native, 'sha256', s, 'label 0 ', s, 32)),
        toHex(hkdfExpandLabel(pureProvider, 'sha256', s, 'label 0 ', s, 32)),
      );
    });

    it('Expand-Label rejects what the HkdfLabel cannot hold, as the pure path does', () => {
      const s = new Uint8Array(32);
      for (const p of [native, pureProvider]) {
        assert.throws(() => hkdfExpandLabel(p, 'sha256', s, 'x'.repeat(250), s, 32), RangeError);
        assert.throws(() => hkdfExpandLabel(p, 'sha256', s, 'é'.repeat(125), s, 32), RangeError);
        assert.throws(
          () => hkdfExpandLabel(p, 'sha256', s, 'key', new Uint8Array(256), 32),
          RangeError,
        );
        assert.throws(() => hkdfExpandLabel(p, 'sha256', s, 'key', s, 255 * 32 + 1), RangeError);
        assert.throws(() => hkdfExpandLabel(p, 'sha256', s, 'key', s, 1.5), RangeError);
        assert.equal(hkdfExpandLabel(p, 'sha256', s, 'x'.repeat(249), s, 32).length, 32);
      }
    });
  });

  describe('crypto/native-handshake: X25519', () => {
    it('RFC 7748 §6.1: public keys from private keys, and the shared secret both ways', () => {
      const alice = new NativeX25519Share(addon, fromHex(RFC7748.alicePrivate));
      const bob = new NativeX25519Share(addon, fromHex(RFC7748.bobPrivate));
      assert.equal(toHex(alice.publicKey), RFC7748.alicePublic);
      assert.equal(toHex(bob.publicKey), RFC7748.bobPublic);
      assert.equal(toHex(alice.deriveSecret(bob.publicKey)!), RFC7748.shared);
      assert.equal(toHex(bob.deriveSecret(alice.publicKey)!), RFC7748.shared);
    });

    it("RFC 8448: the client's and the server's shares give the ECDHE secret", () => {
      const v = loadVector('tls13-rfc8448-simple.json');
      const client = new NativeX25519Share(addon, fromHex(v.client_x25519_private));
      const server = new NativeX25519Share(addon, fromHex(v.server_x25519_private));
      assert.equal(toHex(client.publicKey), v.client_x25519_public);
      assert.equal(toHex(server.publicKey), v.server_x25519_public);
      assert.equal(toHex(client.deriveSecret(server.publicKey)!), v.ecdhe_shared_secret);
      assert.equal(toHex(server.deriveSecret(client.publicKey)!), v.ecdhe_shared_secret);
    });

    it('fresh native shares agree with the pure provider in both roles', () => {
      for (let i = 0; i < 20; i++) {
        const mine = native.generateKeyShare('x25519');
        const theirs = pureProvider.generateKeyShare('x25519');
        assert.notEqual(toHex(mine.publicKey), toHex(theirs.publicKey));
        const a = mine.deriveSecret(theirs.publicKey)!;
        assert.equal(toHex(a), toHex(theirs.deriveSecret(mine.publicKey)!));
        const r = native.respondToKeyShare('x25519', theirs.publicKey)!;
        assert.equal(toHex(r.secret), toHex(theirs.deriveSecret(r.publicKey)!));
      }
      assert.notEqual(
        toHex(native.generateKeyShare('x25519').publicKey),
        toHex(native.generateKeyShare('x25519').publicKey),
      );
    });

    it('X25519MLKEM768 with a native X25519 half agrees with the pure provider', () => {
      const client = native.generateKeyShare('X25519MLKEM768');
      const server = pureProvider.respondToKeyShare('X25519MLKEM768', client.publicKey)!;
      assert.equal(toHex(client.deriveSecret(server.publicKey)!), toHex(server.secret));
      const pureClient = pureProvider.generateKeyShare('X25519MLKEM768');
      const nativeServer = native.respondToKeyShare('X25519MLKEM768', pureClient.publicKey)!;
      assert.equal(
        toHex(pureClient.deriveSecret(nativeServer.publicKey)!),
        toHex(nativeServer.secret),
      );
    });

    it('low-order points and keys of the wrong length give null, never an exception', () => {
      const share = native.generateKeyShare('x25519');
      for (const hex of LOW_ORDER) {
        assert.equal(share.deriveSecret(fromHex(hex)), null, hex);
        assert.equal(pureProvider.generateKeyShare('x25519').deriveSecret(fromHex(hex)), null, hex);
        assert.equal(native.respondToKeyShare('x25519', fromHex(hex)), null, hex);
      }
      for (const n of [0, 31, 33, 65]) assert.equal(share.deriveSecret(new Uint8Array(n)), null);
      // The share still works after refusing those.
      const peer = pureProvider.generateKeyShare('x25519');
      assert.equal(
        toHex(share.deriveSecret(peer.publicKey)!),
        toHex(peer.deriveSecret(share.publicKey)!),
      );
    });

    it('the addon refuses malformed arguments with a TypeError or RangeError', () => {
      assert.throws(() => addon.x25519Generate(new Uint8Array(31)), RangeError);
      assert.throws(() => addon.x25519Generate(new Uint8Array(32), new Uint8Array(16)), RangeError);
      assert.throws(
        () => addon.hmac(2, new Uint8Array(1), new Uint8Array(1), new Uint8Array(32)),
        TypeError,
      );
      assert.throws(
        () => addon.hmac(0, new Uint8Array(1), new Uint8Array(1), new Uint8Array(31)),
        RangeError,
      );
      assert.throws(
        () =>
          addon.hkdfExpand(0, new Uint8Array(32), new Uint8Array(0), new Uint8Array(255 * 32 + 1)),
        RangeError,
      );
      assert.throws(
        () =>
          addon.hkdfExpandLabel(
            0,
            new Uint8Array(32),
            new Uint8Array(256),
            new Uint8Array(0),
            new Uint8Array(16),
          ),
        RangeError,
      );
      assert.throws(
        () => addon.x25519Derive({} as never, new Uint8Array(32), new Uint8Array(32)),
        TypeError,
      );
    });
  });
}
