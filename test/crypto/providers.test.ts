import assert from 'node:assert/strict';
import type { AeadAlg, HpAlg } from '../../src/crypto/provider.js';
import { fromHex, toHex, utf8 } from '../../src/util/bytes.js';
import { SeededRandom } from '../../src/util/random.js';
import { loadVector } from '../vectors.js';
import { PROVIDERS } from './providers.js';

const rng = new SeededRandom(5869);

// RFC 8439 §2.8.2
const CHACHA_POLY = {
  key: '808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f',
  nonce: '07000000' + '4041424344454647',
  aad: '50515253c0c1c2c3c4c5c6c7',
  plaintext: utf8(
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the " +
      'future, sunscreen would be it.',
  ),
  ciphertext:
    'd31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b' +
    '1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc' +
    '3ff4def08e4b7a9de576d26586cec64b6116',
  tag: '1ae10b594f09e26a7e902ecbd0600691',
};

const AEADS: { alg: AeadAlg; keyLength: number }[] = [
  { alg: 'aes-128-gcm', keyLength: 16 },
  { alg: 'aes-256-gcm', keyLength: 32 },
  { alg: 'chacha20-poly1305', keyLength: 32 },
];

const HPS: { alg: HpAlg; keyLength: number }[] = [
  { alg: 'aes-128-ecb', keyLength: 16 },
  { alg: 'aes-256-ecb', keyLength: 32 },
  { alg: 'chacha20', keyLength: 32 },
];

describe('crypto providers', () => {
  for (const p of PROVIDERS) {
    describe(`${p.name}`, () => {
      it('hashes: SHA-256 and SHA-384 of "abc" (FIPS 180-2)', () => {
        assert.equal(
          toHex(p.hash('sha256', utf8('abc'))),
          'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
        );
        assert.equal(
          toHex(p.hash('sha384', utf8('abc'))),
          'cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed' +
            '8086072ba1e7cc2358baeca134c825a7',
        );
      });

      it('HMAC: RFC 4231 test case 2', () => {
        const key = utf8('Jefe');
        const data = utf8('what do ya want for nothing?');
        assert.equal(
          toHex(p.hmac('sha256', key, data)),
          '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
        );
        assert.equal(
          toHex(p.hmac('sha384', key, data)),
          'af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e' +
            '8e2240ca5e69e2c78b3239ecfab21649',
        );
      });

      it('returns plain Uint8Arrays, never Buffers', () => {
        for (const out of [
          p.random(8),
          p.hash('sha256', new Uint8Array(1)),
          p.hmac('sha256', new Uint8Array(1), new Uint8Array(1)),
          p.hkdfExtract('sha256', new Uint8Array(1), new Uint8Array(1)),
          p.hkdfExpand('sha256', new Uint8Array(32), new Uint8Array(1), 40),
          p.generateKeyShare('x25519').publicKey,
          p.generateKeyShare('secp256r1').publicKey,
        ]) {
          assert.equal(Object.getPrototypeOf(out), Uint8Array.prototype);
        }
      });

      it('random: requested length, fresh bytes, large requests', () => {
        assert.equal(p.random(0).length, 0);
        assert.notDeepEqual(p.random(32), p.random(32));
        const big = p.random(70000);
        assert.equal(big.length, 70000);
        // The tail past 65536 bytes is filled too: 4464 zero bytes would be a 2^-35712 event.
        assert.ok(big.subarray(65536).some((b) => b !== 0));
      });

      it('ChaCha20-Poly1305: RFC 8439 §2.8.2', () => {
        const aead = p.createAead('chacha20-poly1305', fromHex(CHACHA_POLY.key));
        const nonce = fromHex(CHACHA_POLY.nonce);
        const aad = fromHex(CHACHA_POLY.aad);
        const out = new Uint8Array(CHACHA_POLY.plaintext.length + 16);
        assert.equal(aead.seal(nonce, aad, CHACHA_POLY.plaintext, out, 0), out.length);
        assert.equal(toHex(out), CHACHA_POLY.ciphertext + CHACHA_POLY.tag);
        const back = new Uint8Array(out.length);
        assert.equal(aead.open(nonce, aad, out, back, 0), CHACHA_POLY.plaintext.length);
        assert.deepEqual(back.subarray(0, CHACHA_POLY.plaintext.length), CHACHA_POLY.plaintext);
      });

      it('AES-128-GCM: the RFC 8448 server handshake record', () => {
        const v = loadVector('tls13-rfc8448-simple.json');
        const record = fromHex(v.records.server_encrypted_handshake_record);
        const aead = p.createAead('aes-128-gcm', fromHex(v.traffic_keys.server_handshake_key));
        const nonce = fromHex(v.traffic_keys.server_handshake_iv); // sequence number 0
        const out = new Uint8Array(record.length);
        const n = aead.open(nonce, record.subarray(0, 5), record.subarray(5), out, 0);
        assert.equal(n, record.length - 5 - 16);
        // TLSInnerPlaintext: the handshake messages, then content type 22.
        const payload = v.records.server_encrypted_handshake_payload as string;
        assert.equal(toHex(out.subarray(0, n - 1)), payload);
        assert.equal(out[n - 1], 22);
      });

      for (const { alg, keyLength } of AEADS) {
        it(`${alg}: seals in place and opens in place`, () => {
          const key = rng.bytes(keyLength);
          const aead = p.createAead(alg, key);
          const nonce = rng.bytes(12);
          const aad = rng.bytes(21);
          const buf = new Uint8Array(10 + 300 + 16);
          const plain = rng.bytes(300);
          buf.set(plain, 10);
          assert.equal(aead.seal(nonce, aad, buf.subarray(10, 310), buf, 10), 316);
          assert.notDeepEqual(buf.subarray(10, 310), plain);
          assert.equal(aead.open(nonce, aad, buf.subarray(10, 326), buf, 10), 300);
          assert.deepEqual(buf.subarray(10, 310), plain);
        });

        it(`${alg}: empty plaintext gives just a tag`, () => {
          const aead = p.createAead(alg, rng.bytes(keyLength));
          const out = new Uint8Array(16);
          const nonce = rng.bytes(12);
          const aad = rng.bytes(3);
          assert.equal(aead.seal(nonce, aad, new Uint8Array(0), out, 0), 16);
          assert.equal(aead.open(nonce, aad, out, new Uint8Array(0), 0), 0);
          aad[0]! ^= 1;
          assert.equal(aead.open(nonce, aad, out, new Uint8Array(0), 0), -1);
        });

        it(`${alg}: open returns -1 for input shorter than a tag or a wrong key`, () => {
          const aead = p.createAead(alg, rng.bytes(keyLength));
          const out = new Uint8Array(64);
          assert.equal(aead.open(rng.bytes(12), new Uint8Array(0), rng.bytes(15), out, 0), -1);
          const other = p.createAead(alg, rng.bytes(keyLength));
          const nonce = rng.bytes(12);
          const sealed = new Uint8Array(48);
          aead.seal(nonce, new Uint8Array(0), rng.bytes(32), sealed, 0);
          assert.equal(other.open(nonce, new Uint8Array(0), sealed, out, 0), -1);
        });

        it(`${alg}: rejects a key of the wrong length`, () => {
          assert.throws(() => p.createAead(alg, new Uint8Array(keyLength - 1)), RangeError);
        });
      }

      for (const { alg, keyLength } of HPS) {
        it(`${alg} header protection: rejects a key of the wrong length`, () => {
          assert.throws(() => p.createHeaderProtection(alg, new Uint8Array(24)), RangeError);
          assert.doesNotThrow(() => p.createHeaderProtection(alg, new Uint8Array(keyLength)));
        });
      }

      it('rejects unknown algorithms with a TypeError', () => {
        assert.throws(() => p.createAead('aes-128-ccm' as AeadAlg, new Uint8Array(16)), TypeError);
        assert.throws(
          () => p.createHeaderProtection('aes-192-ecb' as HpAlg, new Uint8Array(24)),
          TypeError,
        );
      });
    });
  }

  describe('node and noble agree', () => {
    const [node, noble] = PROVIDERS;

    for (const { alg, keyLength } of AEADS) {
      it(`${alg}: same ciphertext and tag`, () => {
        for (const size of [0, 1, 15, 16, 17, 1162, 1436]) {
          const key = rng.bytes(keyLength);
          const nonce = rng.bytes(12);
          const aad = rng.bytes(1 + (size % 30));
          const plain = rng.bytes(size);
          const a = new Uint8Array(size + 16);
          const b = new Uint8Array(size + 16);
          node!.createAead(alg, key).seal(nonce, aad, plain, a, 0);
          noble!.createAead(alg, key).seal(nonce, aad, plain, b, 0);
          assert.deepEqual(a, b, `size ${size}`);
        }
      });
    }

    for (const { alg, keyLength } of HPS) {
      it(`${alg}: same 5-byte mask, nothing written past it`, () => {
        for (let i = 0; i < 50; i++) {
          const key = rng.bytes(keyLength);
          const sample = rng.bytes(16);
          if (i === 0) sample.fill(0xff);
          const a = new Uint8Array(6).fill(0x5a);
          const b = new Uint8Array(6).fill(0x5a);
          node!.createHeaderProtection(alg, key).mask(sample, a);
          noble!.createHeaderProtection(alg, key).mask(sample, b);
          assert.deepEqual(a, b);
          assert.equal(a[5], 0x5a);
        }
      });
    }

    it('AES header protection reuses its cipher: consecutive masks stay independent', () => {
      const key = rng.bytes(16);
      const hpNode = node!.createHeaderProtection('aes-128-ecb', key);
      const hpNoble = noble!.createHeaderProtection('aes-128-ecb', key);
      const samples = [rng.bytes(16), rng.bytes(16), rng.bytes(16)];
      const first = samples.map((s) => {
        const m = new Uint8Array(5);
        hpNode.mask(s, m);
        return toHex(m);
      });
      const again = [...samples].reverse().map((s) => {
        const m = new Uint8Array(5);
        hpNoble.mask(s, m);
        return toHex(m);
      });
      assert.deepEqual(first, again.reverse());
    });
  });
});

describe('header protection agrees across providers', () => {
  it('pure (small-table AES), node (ECB) and noble give the same masks on random keys and samples', async () => {
    const { pureProvider } = await import('../../src/crypto/pure-provider.js');
    const { nodeProvider } = await import('../../src/crypto/node-provider.js');
    const { nobleProvider } = await import('../../src/crypto/noble-provider.js');
    const rng = new SeededRandom(2026);
    for (const [alg, keyLen] of [
      ['aes-128-ecb', 16],
      ['aes-256-ecb', 32],
      ['chacha20', 32],
    ] as const) {
      for (let i = 0; i < 200; i++) {
        const key = rng.bytes(keyLen);
        const sample = rng.bytes(16);
        const masks = [pureProvider, nodeProvider, nobleProvider].map((p) => {
          const m = new Uint8Array(5);
          p.createHeaderProtection(alg, key).mask(sample, m);
          return toHex(m);
        });
        assert.equal(masks[0], masks[1], `${alg} pure vs node, case ${i}`);
        assert.equal(masks[2], masks[1], `${alg} noble vs node, case ${i}`);
      }
    }
  });

  it('a sample read at an offset inside a packet gives the mask of the sample alone', async () => {
    const { pureProvider } = await import('../../src/crypto/pure-provider.js');
    const { nodeProvider } = await import('../../src/crypto/node-provider.js');
    const { nobleProvider } = await import('../../src/crypto/noble-provider.js');
    const rng = new SeededRandom(77);
    for (const [alg, keyLen] of [
      ['aes-128-ecb', 16],
      ['aes-256-ecb', 32],
      ['chacha20', 32],
    ] as const) {
      for (const p of [pureProvider, nodeProvider, nobleProvider]) {
        for (let i = 0; i < 20; i++) {
          const hp = p.createHeaderProtection(alg, rng.bytes(keyLen));
          const packet = rng.bytes(64);
          const offset = 1 + rng.int(47);
          const alone = new Uint8Array(5);
          const inPlace = new Uint8Array(5);
          hp.mask(packet.slice(offset, offset + 16), alone);
          hp.mask(packet, inPlace, offset);
          assert.deepEqual(inPlace, alone, `${p.name} ${alg} offset ${offset}`);
        }
      }
    }
  });
});
