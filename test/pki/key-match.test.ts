import assert from 'node:assert/strict';
import type { KeyType } from '../../src/crypto/provider.js';
import { createSelfSignedCertificate, keyMatchesCertificate } from '../../src/tls/x509/index.js';
import { nodeTestProvider, testProviders, validity } from './helpers.js';

const KEY_TYPES: KeyType[] = ['ec-p256', 'ec-p384', 'ed25519', 'rsa'];
const rsaPkcs8 = nodeTestProvider.generateSigningKey('rsa', 2048).pkcs8;

describe('keyMatchesCertificate', () => {
  for (const [providerName, provider] of testProviders) {
    describe(providerName, () => {
      const made = new Map(
        KEY_TYPES.map((keyType) => [
          keyType,
          createSelfSignedCertificate(provider, {
            names: ['localhost'],
            keyType,
            ...validity,
            ...(keyType === 'rsa' ? { pkcs8: rsaPkcs8 } : {}),
          }),
        ]),
      );

      // A second key of each type (RSA imported: generating one per provider is slow in pure JS).
      const otherKeys = new Map(
        KEY_TYPES.map((t) => [
          t,
          t === 'rsa'
            ? provider.importSigningKey(nodeTestProvider.generateSigningKey('rsa', 2048).pkcs8)
            : provider.generateSigningKey(t),
        ]),
      );

      for (const keyType of KEY_TYPES) {
        it(`accepts the ${keyType} key of its certificate`, () => {
          const m = made.get(keyType)!;
          assert.equal(keyMatchesCertificate(provider, m.certificate, m.key), true);
        });

        it(`accepts the ${keyType} key when its SPKI is encoded differently (proof by signature)`, () => {
          const m = made.get(keyType)!;
          // The same key behind another SubjectPublicKeyInfo encoding: only a signature decides.
          const key = {
            type: m.key.type,
            bits: m.key.bits,
            sign: m.key.sign.bind(m.key),
            spki: new Uint8Array(1),
          };
          assert.equal(keyMatchesCertificate(provider, m.certificate, key), true);
        });

        for (const other of KEY_TYPES) {
          it(`refuses a ${other} key for a ${keyType} certificate`, () => {
            const cert = made.get(keyType)!.certificate;
            const key = other === keyType ? otherKeys.get(other)! : made.get(other)!.key;
            assert.equal(keyMatchesCertificate(provider, cert, key), false);
          });
        }
      }
    });
  }
});
