import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, type CipherGCMTypes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  backend,
  defaultProvider,
  describeBackend,
  selectBackend,
} from '../../src/crypto/default-provider.js';
import { loadNativeProvider, type NativeLoad } from '../../src/crypto/native-provider.js';
import type { AeadAlg } from '../../src/crypto/provider.js';
import { pureProvider } from '../../src/crypto/pure-provider.js';
import { toHex } from '../../src/util/bytes.js';
import { SeededRandom } from '../../src/util/random.js';

describe('crypto/native: the backend choice', () => {
  it('the native backend loaded (required under CI=true), or the reason it did not is given', () => {
    if (process.env['CI'] === 'true') {
      assert.ok(
        backend.native.loaded,
        `native backend did not load in CI: ${describeBackend(backend)}`,
      );
    } else if (!backend.native.loaded) {
      assert.equal(backend.name, 'pure');
      assert.match(backend.native.reason, /\S/);
    }
  });

  it('this process runs the backend TSQUIC_BACKEND asks for (default: native when loaded)', () => {
    const requested = process.env['TSQUIC_BACKEND'] ?? '';
    const expected = requested === '' ? (backend.native.loaded ? 'native' : 'pure') : requested;
    assert.equal(backend.name, expected);
    assert.equal(defaultProvider, backend.provider);
    assert.equal(defaultProvider.name, expected);
  });

  const loaded: NativeLoad = {
    loaded: true,
    provider: { ...pureProvider, name: 'native' },
    openssl: 'OpenSSL 3.x',
  };
  const missing: NativeLoad = { loaded: false, reason: 'not built' };

  it('selectBackend: default, forced pure, forced native, unknown', () => {
    assert.equal(selectBackend(undefined, loaded).name, 'native');
    assert.equal(selectBackend('', loaded).provider.name, 'native');
    assert.equal(selectBackend(undefined, missing).provider, pureProvider);
    assert.equal(selectBackend('pure', loaded).provider, pureProvider);
    assert.equal(selectBackend('native', loaded).name, 'native');
    assert.throws(() => selectBackend('native', missing), /did not load: not built/);
    assert.throws(() => selectBackend('fast', loaded), /must be 'pure' or 'native'/);
  });

  it('describeBackend says which backend runs and why', () => {
    assert.equal(describeBackend(selectBackend('', loaded)), 'native (OpenSSL 3.x)');
    assert.equal(
      describeBackend(selectBackend('pure', loaded)),
      'pure (native available, not selected)',
    );
    assert.equal(describeBackend(selectBackend('', missing)), 'pure (native: not built)');
  });

  it('loading reports a missing or broken addon instead of throwing', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tsquic-native-'));
    try {
      const none = loadNativeProvider(path.join(dir, 'absent.node'));
      assert.equal(none.loaded, false);
      assert.match(!none.loaded ? none.reason : '', /^not built/);
      const junk = path.join(dir, 'junk.node');
      writeFileSync(junk, 'not a shared object');
      const broken = loadNativeProvider(junk);
      assert.equal(broken.loaded, false);
      assert.match(!broken.loaded ? broken.reason : '', /^load failed/);
      const nowhere = loadNativeProvider(null);
      assert.equal(nowhere.loaded, false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// The addon's AEAD against node:crypto (one Cipheriv per message, the reference here); the RFC
// 9001/9369 vectors run through it in packet-protection.test.ts (test/crypto/providers.ts).
const native = backend.native;
if (native.loaded) {
  const p = native.provider;
  const rng = new SeededRandom(7539);
  const AEADS: [AeadAlg, number][] = [
    ['aes-128-gcm', 16],
    ['aes-256-gcm', 32],
    ['chacha20-poly1305', 32],
  ];

  function reference(
    alg: AeadAlg,
    key: Uint8Array,
    nonce: Uint8Array,
    aad: Uint8Array,
    pt: Uint8Array,
  ) {
    const c = createCipheriv(alg as CipherGCMTypes, key, nonce, { authTagLength: 16 });
    c.setAAD(aad);
    const ct = Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]);
    return new Uint8Array(ct);
  }

  describe('crypto/native: the addon against node:crypto', () => {
    for (const [alg, keyLength] of AEADS) {
      it(`${alg}: seal and open agree for payloads of 0..1500 bytes, in place and not`, () => {
        for (let i = 0; i < 120; i++) {
          const key = rng.bytes(keyLength);
          const aead = p.createAead(alg, key);
          const nonce = rng.bytes(12);
          const aad = rng.bytes(rng.int(41));
          const pt = rng.bytes(i < 3 ? i : rng.int(1501));
          const expected = reference(alg, key, nonce, aad, pt);

          const out = new Uint8Array(pt.length + 16 + 7);
          assert.equal(aead.seal(nonce, aad, pt, out, 7), pt.length + 16);
          assert.equal(toHex(out.subarray(7)), toHex(expected));

          const inPlace = new Uint8Array(pt.length + 16);
          inPlace.set(pt);
          aead.seal(nonce, aad, inPlace.subarray(0, pt.length), inPlace, 0);
          assert.equal(toHex(inPlace), toHex(expected));

          // node:crypto opens what the addon sealed, and the addon opens it in place.
          const d = createDecipheriv(alg as CipherGCMTypes, key, nonce, { authTagLength: 16 });
          d.setAAD(aad);
          d.setAuthTag(inPlace.subarray(pt.length));
          const viaNode = Buffer.concat([d.update(inPlace.subarray(0, pt.length)), d.final()]);
          assert.equal(toHex(viaNode), toHex(pt));
          assert.equal(aead.open(nonce, aad, inPlace, inPlace, 0), pt.length);
          assert.equal(toHex(inPlace.subarray(0, pt.length)), toHex(pt));

          // Shifted output overlapping the input (plaintext lands 3 bytes earlier).
          const shifted = new Uint8Array(expected.length + 3);
          shifted.set(expected, 3);
          assert.equal(aead.open(nonce, aad, shifted.subarray(3), shifted, 0), pt.length);
          assert.equal(toHex(shifted.subarray(0, pt.length)), toHex(pt));
        }
      });

      it(`${alg}: a failed open returns -1 and leaves the packet as it was`, () => {
        const key = rng.bytes(keyLength);
        const aead = p.createAead(alg, key);
        const nonce = rng.bytes(12);
        const aad = rng.bytes(20);
        const sealed = reference(alg, key, nonce, aad, rng.bytes(1200));
        for (const spoil of [
          (b: Uint8Array) => (b[100]! ^= 1), // ciphertext
          (b: Uint8Array) => (b[b.length - 1]! ^= 0x80), // tag
        ]) {
          const packet = sealed.slice();
          spoil(packet);
          const before = packet.slice();
          assert.equal(aead.open(nonce, aad, packet, packet, 0), -1);
          assert.equal(toHex(packet), toHex(before));
        }
        const wrongAad = sealed.slice();
        assert.equal(aead.open(nonce, rng.bytes(20), wrongAad, wrongAad, 0), -1);
        assert.equal(toHex(wrongAad), toHex(sealed));
        assert.equal(aead.open(nonce, aad, sealed.subarray(0, 15), new Uint8Array(16), 0), -1);
      });

      it(`${alg}: bad arguments throw a TypeError or RangeError, never crash`, () => {
        const aead = p.createAead(alg, rng.bytes(keyLength));
        const pt = rng.bytes(32);
        assert.throws(() => aead.seal(rng.bytes(8), pt, pt, new Uint8Array(64), 0), TypeError);
        assert.throws(() => aead.seal(rng.bytes(12), pt, pt, new Uint8Array(47), 0), RangeError);
        assert.throws(() => aead.seal(rng.bytes(12), pt, pt, new Uint8Array(64), 40), RangeError);
        assert.throws(() => p.createAead(alg, rng.bytes(keyLength - 1)), RangeError);
        // Views of the wrong element type reach C only to be refused.
        const wide = new Uint16Array(6) as unknown as Uint8Array;
        assert.throws(() => aead.seal(wide, pt, pt, new Uint8Array(64), 0), TypeError);
        const signed = new Int32Array(3) as unknown as Uint32Array;
        assert.throws(
          () => aead.sealBatch(new Uint8Array(64), signed, rng.bytes(12), 1),
          TypeError,
        );
        const results = new Uint32Array(1) as unknown as Int32Array;
        assert.throws(
          () =>
            aead.openBatch(
              new Uint8Array(64),
              new Uint32Array([0, 4, 40]),
              rng.bytes(12),
              1,
              results,
            ),
          TypeError,
        );
      });
    }
  });
}
