import assert from 'node:assert/strict';
import { deriveSecret, encodeHkdfLabel, hkdfExpandLabel } from '../../src/crypto/hkdf.js';
import { fromHex, toHex } from '../../src/util/bytes.js';
import { loadVector } from '../vectors.js';
import { PROVIDERS } from './providers.js';

// RFC 5869 Appendix A.1 (Basic test case with SHA-256).
const A1 = {
  ikm: '0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b',
  salt: '000102030405060708090a0b0c',
  info: 'f0f1f2f3f4f5f6f7f8f9',
  length: 42,
  prk: '077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5',
  okm: '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
};
// RFC 5869 Appendix A.3 (zero-length salt and info).
const A3 = {
  ikm: '0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b',
  prk: '19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04',
  okm: '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8',
};

describe('crypto/hkdf', () => {
  for (const p of PROVIDERS) {
    describe(`${p.name} provider`, () => {
      it('RFC 5869 A.1: extract and expand', () => {
        const prk = p.hkdfExtract('sha256', fromHex(A1.salt), fromHex(A1.ikm));
        assert.equal(toHex(prk), A1.prk);
        const okm = p.hkdfExpand('sha256', prk, fromHex(A1.info), A1.length);
        assert.equal(toHex(okm), A1.okm);
      });

      it('RFC 5869 A.3: empty salt means HashLen zeros, empty info', () => {
        const prk = p.hkdfExtract('sha256', new Uint8Array(0), fromHex(A3.ikm));
        assert.equal(toHex(prk), A3.prk);
        assert.equal(toHex(p.hkdfExpand('sha256', prk, new Uint8Array(0), 42)), A3.okm);
      });

      it('expand rejects a length over 255 * HashLen', () => {
        const prk = new Uint8Array(32);
        assert.equal(p.hkdfExpand('sha256', prk, new Uint8Array(0), 255 * 32).length, 255 * 32);
        assert.throws(
          () => p.hkdfExpand('sha256', prk, new Uint8Array(0), 255 * 32 + 1),
          RangeError,
        );
        assert.equal(p.hkdfExpand('sha384', prk, new Uint8Array(0), 0).length, 0);
      });

      it('RFC 8448 key schedule: Derive-Secret for "derived" and "c hs traffic"', () => {
        const v = loadVector('tls13-rfc8448-simple.json').key_schedule;
        const derived = deriveSecret(
          p,
          'sha256',
          fromHex(v.early_secret),
          'derived',
          fromHex(v.empty_hash),
        );
        assert.equal(toHex(derived), v.derived_for_handshake);
        const chs = deriveSecret(
          p,
          'sha256',
          fromHex(v.handshake_secret),
          'c hs traffic',
          fromHex(v.transcript_hash_ch_sh),
        );
        assert.equal(toHex(chs), v.client_handshake_traffic_secret);
      });

      it('RFC 8448 traffic keys: Expand-Label "key" and "iv"', () => {
        const v = loadVector('tls13-rfc8448-simple.json');
        const secret = fromHex(v.key_schedule.server_handshake_traffic_secret);
        const empty = new Uint8Array(0);
        assert.equal(
          toHex(hkdfExpandLabel(p, 'sha256', secret, 'key', empty, 16)),
          v.traffic_keys.server_handshake_key,
        );
        assert.equal(
          toHex(hkdfExpandLabel(p, 'sha256', secret, 'iv', empty, 12)),
          v.traffic_keys.server_handshake_iv,
        );
      });
    });
  }

  it('encodes HkdfLabel exactly as RFC 9001 A.1 and RFC 9369 A.1 print it', () => {
    for (const file of ['quic-v1-initial.json', 'quic-v2-initial.json']) {
      const info = loadVector(file).hkdf_label_info as Record<string, string>;
      for (const [label, hex] of Object.entries(info)) {
        const length = label.endsWith(' in') ? 32 : label.endsWith(' iv') ? 12 : 16;
        assert.equal(toHex(encodeHkdfLabel(label, new Uint8Array(0), length)), hex, label);
      }
    }
  });

  it('encodes the RFC 8448 "derived" label with its context', () => {
    const v = loadVector('tls13-rfc8448-simple.json');
    const label = encodeHkdfLabel('derived', fromHex(v.key_schedule.empty_hash), 32);
    assert.equal(toHex(label), v.hkdf_label_info.derived);
  });

  it('rejects labels and contexts that do not fit their length bytes', () => {
    assert.throws(() => encodeHkdfLabel('x'.repeat(250), new Uint8Array(0), 32), RangeError);
    assert.doesNotThrow(() => encodeHkdfLabel('x'.repeat(249), new Uint8Array(0), 32));
    assert.throws(() => encodeHkdfLabel('key', new Uint8Array(256), 32), RangeError);
    assert.throws(() => encodeHkdfLabel('key', new Uint8Array(0), 0x10000), RangeError);
  });
});
