import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import {
  createSelfSignedCertificate,
  loadCertificateChainPem,
  loadPrivateKeyPem,
  pemDecode,
  pemEncode,
  pkcs1ToPkcs8,
  privateKeyPemToPkcs8,
  sec1ToPkcs8,
} from '../../src/tls/x509/index.js';
import { derInteger, derOctetString, derSequence } from '../../src/util/der.js';
import { nodeTestProvider, testProviders, validity } from './helpers.js';

const spkiOf = (k: KeyObject) =>
  new Uint8Array(createPublicKey(k).export({ format: 'der', type: 'spki' }));
const pem = (k: KeyObject, type: 'pkcs8' | 'sec1' | 'pkcs1') =>
  k.export({ format: 'pem', type }) as string;

// One RSA key per file.
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const p256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey;
const ed = generateKeyPairSync('ed25519').privateKey;

describe('PEM', () => {
  it('encodes with 64-character lines and decodes back', () => {
    for (const len of [0, 1, 47, 48, 49, 300]) {
      const der = Uint8Array.from({ length: len }, (_, i) => (i * 37) & 0xff);
      const text = pemEncode('TEST DATA', der);
      assert.ok(text.startsWith('-----BEGIN TEST DATA-----\n'));
      assert.ok(text.endsWith('-----END TEST DATA-----\n'));
      for (const line of text.split('\n')) assert.ok(line.length <= 64 || line.startsWith('-----'));
      assert.deepEqual(pemDecode(text), [{ label: 'TEST DATA', der }]);
    }
    // Same bytes as node's encoder for a certificate.
    const cert = createSelfSignedCertificate(nodeTestProvider, {
      names: ['pem.test'],
      ...validity,
    }).certificate;
    assert.equal(
      pemEncode('PRIVATE KEY', new Uint8Array(p256.export({ format: 'der', type: 'pkcs8' }))),
      pem(p256, 'pkcs8'),
    );
    assert.deepEqual(pemDecode(pemEncode('CERTIFICATE', cert))[0]!.der, cert);
  });

  it('decodes several blocks, explanatory text, CRLF and odd line lengths', () => {
    const a = pemEncode('A', Uint8Array.of(1, 2, 3));
    const b = pemEncode('B', Uint8Array.of(4, 5, 6, 7));
    const text = `Subject: something\r\n${a.replace(/\n/g, '\r\n')}junk between\n${b}trailing`;
    assert.deepEqual(pemDecode(text), [
      { label: 'A', der: Uint8Array.of(1, 2, 3) },
      { label: 'B', der: Uint8Array.of(4, 5, 6, 7) },
    ]);
    const wrapped = '-----BEGIN X-----\nAQID\nBA==\n-----END X-----';
    assert.deepEqual(pemDecode(wrapped)[0]!.der, Uint8Array.of(1, 2, 3, 4));
    assert.deepEqual(pemDecode('no pem here'), []);
  });

  it('refuses bad PEM with clear messages', () => {
    assert.throws(
      () => pemDecode('-----BEGIN A-----\nAQID\n-----END B-----\n'),
      /ends with "END B"/,
    );
    assert.throws(() => pemDecode('-----BEGIN A-----\nAQ*D\n-----END A-----\n'), /invalid base64/);
    assert.throws(() => pemDecode('-----BEGIN A-----\nAQI\n-----END A-----\n'), /invalid base64/);
    assert.throws(() => pemDecode('-----BEGIN A-----\nAQID\n'), /without a matching END/);
    assert.throws(
      () =>
        pemDecode(
          '-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAQID\n-----END RSA PRIVATE KEY-----\n',
        ),
      /headers/,
    );
  });

  describe('certificate chains', () => {
    const ca = createSelfSignedCertificate(nodeTestProvider, {
      names: [],
      isCA: true,
      ...validity,
    });
    const leaf = createSelfSignedCertificate(nodeTestProvider, {
      names: ['leaf.test'],
      ...validity,
      issuer: { cert: ca.certificate, key: ca.key },
    });

    it('loads every CERTIFICATE block in order, ignoring keys', () => {
      const text =
        pemEncode('CERTIFICATE', leaf.certificate) +
        pemEncode('PRIVATE KEY', leaf.pkcs8) +
        pemEncode('CERTIFICATE', ca.certificate);
      assert.deepEqual(loadCertificateChainPem(text), [leaf.certificate, ca.certificate]);
    });

    it('refuses text without certificates and broken certificates', () => {
      assert.throws(
        () => loadCertificateChainPem(pemEncode('PRIVATE KEY', leaf.pkcs8)),
        /no "CERTIFICATE" PEM block/,
      );
      const broken =
        pemEncode('CERTIFICATE', ca.certificate) +
        pemEncode('CERTIFICATE', leaf.certificate.subarray(0, 40));
      assert.throws(() => loadCertificateChainPem(broken), /PEM certificate 2 is not valid/);
    });
  });

  describe('private keys', () => {
    const cases: [string, KeyObject, 'pkcs8' | 'sec1' | 'pkcs1', string][] = [
      ['PKCS#8 P-256', p256, 'pkcs8', 'ec-p256'],
      ['PKCS#8 Ed25519', ed, 'pkcs8', 'ed25519'],
      ['PKCS#8 RSA', rsa, 'pkcs8', 'rsa'],
      ['SEC1 P-256', p256, 'sec1', 'ec-p256'],
      ['SEC1 P-384', p384, 'sec1', 'ec-p384'],
      ['PKCS#1 RSA', rsa, 'pkcs1', 'rsa'],
    ];
    for (const [what, keyObject, format, type] of cases) {
      it(`${what} loads in both providers`, () => {
        const text = pem(keyObject, format);
        assert.ok(
          text.includes(
            format === 'sec1'
              ? 'EC PRIVATE KEY'
              : format === 'pkcs1'
                ? 'RSA PRIVATE KEY'
                : 'BEGIN PRIVATE KEY',
          ),
        );
        for (const [, p] of testProviders) {
          const key = loadPrivateKeyPem(p, text);
          assert.equal(key.type, type);
          assert.deepEqual(key.spki, spkiOf(keyObject));
        }
        // PKCS#1 wraps into exactly the PKCS#8 node writes.
        if (format === 'pkcs1')
          assert.equal(
            pemEncode('PRIVATE KEY', privateKeyPemToPkcs8(text)),
            pem(keyObject, 'pkcs8'),
          );
      });
    }

    it('skips an EC PARAMETERS block before the key (openssl ecparam -genkey)', () => {
      const params =
        '-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n';
      const key = loadPrivateKeyPem(nodeTestProvider, params + pem(p256, 'sec1'));
      assert.deepEqual(key.spki, spkiOf(p256));
    });

    it('refuses encrypted, missing, malformed and unsupported keys', () => {
      const encrypted = rsa.export({
        format: 'pem',
        type: 'pkcs8',
        cipher: 'aes-128-cbc',
        passphrase: 'pw',
      }) as string;
      assert.throws(
        () => privateKeyPemToPkcs8(encrypted),
        /encrypted private keys are not supported/,
      );
      assert.throws(
        () => privateKeyPemToPkcs8(pemEncode('CERTIFICATE', Uint8Array.of(1))),
        /no private key PEM block/,
      );
      assert.throws(
        () => privateKeyPemToPkcs8(pemEncode('EC PRIVATE KEY', Uint8Array.of(1, 2))),
        /malformed EC PRIVATE KEY/,
      );
      assert.throws(
        () => privateKeyPemToPkcs8(pemEncode('RSA PRIVATE KEY', Uint8Array.of(1, 2))),
        /malformed RSA PRIVATE KEY/,
      );
      const noCurve = derSequence(derInteger(1), derOctetString(new Uint8Array(32).fill(7)));
      assert.throws(() => sec1ToPkcs8(noCurve), /does not name its curve/);
      const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey;
      assert.throws(
        () => privateKeyPemToPkcs8(pem(k1, 'sec1')),
        /unsupported curve \(1\.3\.132\.0\.10\)/,
      );
      assert.throws(() => pkcs1ToPkcs8(derSequence(derInteger(0))), TypeError);
      for (const [, p] of testProviders) {
        assert.throws(
          () => loadPrivateKeyPem(p, pemEncode('PRIVATE KEY', Uint8Array.of(0x30, 0))),
          TypeError,
        );
      }
    });

    it('keys from the certificate maker round trip through PEM', () => {
      for (const [, p] of testProviders) {
        const made = createSelfSignedCertificate(p, {
          names: ['rt.test'],
          keyType: 'ec-p384',
          ...validity,
        });
        const key = loadPrivateKeyPem(p, pemEncode('PRIVATE KEY', made.pkcs8));
        assert.deepEqual(key.spki, made.key.spki);
      }
    });
  });
});
