/**
 * The native backend's ML-KEM-768 (native/tsquic_mlkem.c via nativeMlKem768) against
 * @noble/post-quantum's, which the pure backend runs: the same keys, ciphertexts and shared
 * secrets for the same seeds (FIPS 203's algorithms are deterministic given d, z and m), the
 * same implicit-rejection secret for a tampered ciphertext, the same refusals of malformed keys
 * (§7.2, §7.3); and an X25519MLKEM768 handshake on the native provider running it.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { backend } from '../../src/crypto/default-provider.js';
import { nobleMlKem768, type MlKem768 } from '../../src/crypto/hybrid-mlkem.js';
import { nativeMlKem768 } from '../../src/crypto/native-handshake.js';
import {
  nativeAddonPath,
  nativeProvider,
  type NativeAddon,
} from '../../src/crypto/native-provider.js';
import { pureProvider } from '../../src/crypto/pure-provider.js';
import { createEnginePair } from '../../src/testing/pair.js';
import { toHex } from '../../src/util/bytes.js';
import { SeededRandom } from '../../src/util/random.js';

const Q = 3329;
const EK = 1184;
const DK = 2400;
const CT = 1088;

/** Sets the 12-bit coefficient `index` (0..767) of ek's ByteEncode_12'd vector to `value`. */
function setCoefficient(ek: Uint8Array, index: number, value: number): Uint8Array {
  const out = ek.slice();
  const at = (index >> 1) * 3; // two coefficients per three bytes, little-endian bit order
  if (index % 2 === 0) {
    out[at] = value & 0xff;
    out[at + 1] = (out[at + 1]! & 0xf0) | (value >> 8);
  } else {
    out[at + 1] = (out[at + 1]! & 0x0f) | ((value & 0x0f) << 4);
    out[at + 2] = value >> 4;
  }
  return out;
}

/** SHAKE128 / SHAKE256 / SHA3-512 of node:crypto, independent of both implementations. */
function shake(alg: 'shake128' | 'shake256', length: number, ...parts: Uint8Array[]): Uint8Array {
  const h = createHash(alg, { outputLength: length });
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/**
 * How many coefficients SampleNTT (FIPS 203 Algorithm 7) gets from the first `length` bytes of
 * SHAKE128(rho || j || i).
 */
function sampleNttYield(rho: Uint8Array, j: number, i: number, length: number): number {
  const b = shake('shake128', length, rho, Uint8Array.of(j, i));
  let n = 0;
  for (let p = 0; p + 3 <= b.length; p += 3) {
    if ((b[p]! | ((b[p + 1]! & 0x0f) << 8)) < Q) n++;
    if (((b[p + 1]! >> 4) | (b[p + 2]! << 4)) < Q) n++;
  }
  return n;
}

/** The smallest matrix-entry yield of the first three SHAKE128 blocks for key seed d. */
function leastYield(d: Uint8Array): number {
  // K-PKE.KeyGen (Algorithm 13): (rho, sigma) = G(d || k), k = 3.
  const rho = new Uint8Array(createHash('sha3-512').update(d).update(Uint8Array.of(3)).digest());
  let least = Infinity;
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++)
      least = Math.min(least, sampleNttYield(rho.subarray(0, 32), j, i, 504));
  }
  return least;
}

function sameRun(native: MlKem768, seed: Uint8Array, m: Uint8Array): void {
  const a = native.keygen(seed);
  const b = nobleMlKem768.keygen(seed);
  assert.equal(toHex(a.publicKey), toHex(b.publicKey), 'encapsulation key');
  assert.equal(toHex(a.secretKey), toHex(b.secretKey), 'decapsulation key');
  const ea = native.encapsulate(a.publicKey, m)!;
  const eb = nobleMlKem768.encapsulate(b.publicKey, m)!;
  assert.equal(toHex(ea.cipherText), toHex(eb.cipherText), 'ciphertext');
  assert.equal(toHex(ea.sharedSecret), toHex(eb.sharedSecret), 'shared secret');
  assert.equal(toHex(native.decapsulate(ea.cipherText, a.secretKey)!), toHex(ea.sharedSecret));
}

if (!backend.native.loaded) {
  describe('crypto/mlkem', () => {
    it('the addon did not load (allowed outside CI only)', () => {
      assert.notEqual(process.env['CI'], 'true', 'the native backend must load in CI');
    });
  });
} else {
  const addon = createRequire(import.meta.url)(nativeAddonPath()!) as NativeAddon;
  const native = nativeMlKem768(addon);

  describe('crypto/mlkem: the native ML-KEM-768 against noble', () => {
    it('keygen, encapsulate and decapsulate give the same bytes for 150 random seeds', () => {
      const rng = new SeededRandom(203);
      for (let n = 0; n < 150; n++) sameRun(native, rng.bytes(64), rng.bytes(32));
    });

    it('a matrix entry needing a fourth SHAKE128 block (SampleNTT) gives the same bytes', () => {
      // About 1 in 100 entries takes more than 504 bytes: the addon then squeezes again.
      const rng = new SeededRandom(17);
      let seed: Uint8Array | null = null;
      for (let n = 0; n < 2000 && seed === null; n++) {
        const s = rng.bytes(64);
        if (leastYield(s.subarray(0, 32)) < 256) seed = s;
      }
      assert.ok(seed !== null, 'no seed among 2000 needs a fourth block');
      sameRun(native, seed, rng.bytes(32));
    });

    it('a tampered ciphertext yields the implicit-rejection secret J(z || c), as noble', () => {
      const rng = new SeededRandom(9);
      for (let n = 0; n < 40; n++) {
        const keys = native.keygen(rng.bytes(64));
        const { cipherText, sharedSecret } = native.encapsulate(keys.publicKey, rng.bytes(32))!;
        const tampered = cipherText.slice();
        // c1 (the first 960 bytes) or c2, and the very last byte.
        const at = n === 0 ? CT - 1 : rng.int(CT);
        tampered[at]! ^= 1 << rng.int(8);
        const got = native.decapsulate(tampered, keys.secretKey)!;
        assert.notEqual(toHex(got), toHex(sharedSecret));
        assert.equal(toHex(got), toHex(nobleMlKem768.decapsulate(tampered, keys.secretKey)!));
        // Algorithm 18: K-bar = J(z || c) = SHAKE256(z || c, 32), z the last 32 bytes of dk.
        const z = keys.secretKey.subarray(DK - 32);
        assert.equal(toHex(got), toHex(shake('shake256', 32, z, tampered)));
      }
    });

    it('an encapsulation key with a coefficient of q or more is refused (§7.2), as noble', () => {
      const rng = new SeededRandom(5);
      const { publicKey } = native.keygen(rng.bytes(64));
      const m = rng.bytes(32);
      for (const index of [0, 1, 255, 256, 511, 766, 767]) {
        for (const value of [Q, Q + 1, 4095]) {
          const bad = setCoefficient(publicKey, index, value);
          assert.equal(native.encapsulate(bad, m), null, `coefficient ${index} = ${value}`);
          // noble's own call throws; nobleMlKem768 turns that into null.
          assert.throws(() => ml_kem768.encapsulate(bad, m), /modulus/);
        }
        // q - 1 is the largest value allowed: both accept it and agree.
        const edge = setCoefficient(publicKey, index, Q - 1);
        const a = native.encapsulate(edge, m)!;
        const b = nobleMlKem768.encapsulate(edge, m)!;
        assert.equal(toHex(a.cipherText), toHex(b.cipherText));
        assert.equal(toHex(a.sharedSecret), toHex(b.sharedSecret));
      }
      // The length check of §7.2.
      for (const length of [0, EK - 1, EK + 1]) {
        const ek = new Uint8Array(length);
        ek.set(publicKey.subarray(0, Math.min(length, EK)));
        assert.equal(native.encapsulate(ek, m), null, `length ${length}`);
        assert.equal(nobleMlKem768.encapsulate(ek, m), null, `length ${length}`);
      }
    });

    it('a decapsulation key failing the hash check, or a wrong length, is refused (§7.3)', () => {
      const rng = new SeededRandom(6);
      const keys = native.keygen(rng.bytes(64));
      const { cipherText } = native.encapsulate(keys.publicKey, rng.bytes(32))!;
      // dk = dk_PKE (1152) || ek (1184) || H(ek) (32) || z (32): change ek, or H(ek).
      for (const at of [1152, 1152 + 1183, 2336, 2367]) {
        const bad = keys.secretKey.slice();
        bad[at]! ^= 0x01;
        assert.equal(native.decapsulate(cipherText, bad), null, `byte ${at}`);
        assert.equal(nobleMlKem768.decapsulate(cipherText, bad), null, `byte ${at}`);
      }
      assert.equal(native.decapsulate(cipherText, keys.secretKey.subarray(0, DK - 1)), null);
      assert.equal(native.decapsulate(cipherText.subarray(0, CT - 1), keys.secretKey), null);
      assert.equal(native.decapsulate(new Uint8Array(CT + 1), keys.secretKey), null);
    });

    it('the addon throws on misuse: outputs of the wrong size, other typed arrays', () => {
      const seed = new Uint8Array(64);
      assert.throws(
        () => addon.mlkemKeygen(seed.subarray(1), new Uint8Array(EK), new Uint8Array(DK)),
        RangeError,
      );
      assert.throws(
        () => addon.mlkemKeygen(seed, new Uint8Array(EK - 1), new Uint8Array(DK)),
        RangeError,
      );
      assert.throws(
        () => addon.mlkemKeygen(seed, new Uint8Array(EK), new Uint8Array(DK + 1)),
        RangeError,
      );
      const { publicKey, secretKey } = native.keygen(seed);
      const ct = new Uint8Array(CT);
      assert.throws(
        () => addon.mlkemEncaps(publicKey, new Uint8Array(31), ct, new Uint8Array(32)),
        RangeError,
      );
      assert.throws(
        () =>
          addon.mlkemEncaps(
            publicKey,
            new Uint8Array(32),
            new Uint8Array(CT - 1),
            new Uint8Array(32),
          ),
        RangeError,
      );
      assert.throws(() => addon.mlkemDecaps(ct, secretKey, new Uint8Array(31)), RangeError);
      assert.throws(
        () =>
          addon.mlkemDecaps(
            new Uint16Array(CT / 2) as unknown as Uint8Array,
            secretKey,
            new Uint8Array(32),
          ),
        TypeError,
      );
    });
  });

  describe('crypto/mlkem: X25519MLKEM768 handshakes on the native provider', () => {
    /** The native provider on an addon whose ML-KEM calls are counted. */
    function counted(): {
      provider: ReturnType<typeof nativeProvider>;
      calls: Record<string, number>;
    } {
      const calls: Record<string, number> = { mlkemKeygen: 0, mlkemEncaps: 0, mlkemDecaps: 0 };
      // The addon's functions are read-only properties (napi_default): the watcher inherits
      // from it and shadows the three.
      const watched = Object.create(
        addon,
        Object.fromEntries(
          Object.keys(calls).map((name) => {
            const f = addon[name as keyof NativeAddon] as (...a: unknown[]) => unknown;
            const counting = (...args: unknown[]): unknown => {
              calls[name]!++;
              return f(...args);
            };
            return [name, { value: counting }];
          }),
        ),
      ) as NativeAddon;
      return { provider: nativeProvider(watched), calls };
    }

    it('both sides native: one keygen, one encapsulation, one decapsulation in the addon', () => {
      const { provider, calls } = counted();
      const p = createEnginePair({
        clientEngine: { crypto: provider },
        serverEngine: { crypto: provider },
      });
      assert.ok(p.handshake());
      assert.equal(p.conn.getStats().group, 'X25519MLKEM768');
      assert.equal(p.serverConn()!.getStats().group, 'X25519MLKEM768');
      assert.deepEqual(calls, { mlkemKeygen: 1, mlkemEncaps: 1, mlkemDecaps: 1 });
    });

    for (const side of ['client', 'server'] as const) {
      it(`a native ${side} and a pure (noble) peer agree`, () => {
        const { provider, calls } = counted();
        const [client, server] =
          side === 'client' ? [provider, pureProvider] : [pureProvider, provider];
        const p = createEnginePair({
          clientEngine: { crypto: client },
          serverEngine: { crypto: server },
        });
        assert.ok(p.handshake());
        assert.equal(p.conn.getStats().group, 'X25519MLKEM768');
        const expected =
          side === 'client'
            ? { mlkemKeygen: 1, mlkemEncaps: 0, mlkemDecaps: 1 }
            : { mlkemKeygen: 0, mlkemEncaps: 1, mlkemDecaps: 0 };
        assert.deepEqual(calls, expected);
      });
    }

    it(`the process's backend (${backend.name}) runs its own provider's hybrid exchange`, () => {
      // TSQUIC_BACKEND=native (or unset, with the addon built) selects nativeProvider.
      assert.equal(backend.provider.name, backend.name);
      const p = createEnginePair();
      assert.ok(p.handshake());
      assert.equal(p.conn.getStats().group, 'X25519MLKEM768');
    });
  });
}
