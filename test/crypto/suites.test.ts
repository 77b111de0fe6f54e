import assert from 'node:assert/strict';
import {
  QUIC_V1,
  QUIC_V2,
  isCryptoSupportedVersion,
  versionCryptoParams,
} from '../../src/crypto/quic-versions.js';
import {
  CIPHER_SUITES,
  TLS_AES_128_GCM_SHA256,
  TLS_AES_256_GCM_SHA384,
  TLS_CHACHA20_POLY1305_SHA256,
  cipherSuiteByCode,
  cipherSuiteByName,
} from '../../src/crypto/suites.js';
import { toHex } from '../../src/util/bytes.js';
import { loadVector } from '../vectors.js';

describe('crypto/suites', () => {
  it('describes the three QUIC suites (RFC 9001 §5.3, §5.4)', () => {
    assert.deepEqual(
      CIPHER_SUITES.map((s) => [s.code, s.aead, s.hp, s.hash, s.keyLength, s.hashLength]),
      [
        [0x1301, 'aes-128-gcm', 'aes-128-ecb', 'sha256', 16, 32],
        [0x1302, 'aes-256-gcm', 'aes-256-ecb', 'sha384', 32, 48],
        [0x1303, 'chacha20-poly1305', 'chacha20', 'sha256', 32, 32],
      ],
    );
    for (const s of CIPHER_SUITES) {
      assert.equal(s.ivLength, 12);
      assert.equal(s.tagLength, 16);
    }
  });

  it('carries the AEAD limits of RFC 9001 §6.6', () => {
    assert.equal(TLS_AES_128_GCM_SHA256.confidentialityLimit, 2 ** 23);
    assert.equal(TLS_AES_256_GCM_SHA384.confidentialityLimit, 2 ** 23);
    assert.equal(TLS_AES_128_GCM_SHA256.integrityLimit, 2 ** 52);
    assert.equal(TLS_AES_256_GCM_SHA384.integrityLimit, 2 ** 52);
    assert.equal(TLS_CHACHA20_POLY1305_SHA256.confidentialityLimit, Infinity);
    assert.equal(TLS_CHACHA20_POLY1305_SHA256.integrityLimit, 2 ** 36);
  });

  it('looks suites up by name and code', () => {
    assert.equal(cipherSuiteByName('TLS_AES_256_GCM_SHA384'), TLS_AES_256_GCM_SHA384);
    assert.equal(cipherSuiteByCode(0x1303), TLS_CHACHA20_POLY1305_SHA256);
    assert.equal(cipherSuiteByCode(0x1304), undefined); // TLS_AES_128_CCM_SHA256: not offered
    assert.throws(() => cipherSuiteByName('TLS_NULL' as 'TLS_AES_128_GCM_SHA256'), RangeError);
  });
});

describe('crypto/quic-versions', () => {
  it('has the salts and labels of the vector files', () => {
    for (const file of ['quic-v1-initial.json', 'quic-v2-initial.json']) {
      const v = loadVector(file);
      const params = versionCryptoParams(parseInt(v.quic_version, 16));
      assert.equal(toHex(params.initialSalt), v.initial_salt);
      assert.deepEqual(
        [params.keyLabel, params.ivLabel, params.hpLabel, params.kuLabel],
        [v.labels.key, v.labels.iv, v.labels.hp, v.labels.ku],
      );
    }
  });

  it('knows v1 and v2 only', () => {
    assert.equal(isCryptoSupportedVersion(QUIC_V1), true);
    assert.equal(isCryptoSupportedVersion(QUIC_V2), true);
    assert.equal(isCryptoSupportedVersion(0), false);
    assert.equal(isCryptoSupportedVersion(0xff00001d), false);
    assert.throws(() => versionCryptoParams(0x0a0a0a0a), RangeError);
  });
});
