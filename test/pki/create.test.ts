import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import {
  certificateFingerprint,
  createSelfSignedCertificate,
  parseCertificate,
  type CertifiedKeyPair,
} from '../../src/tls/x509/index.js';
import type { KeyType } from '../../src/crypto/provider.js';
import { T2024, T2034, nodeTestProvider, testProviders, validity } from './helpers.js';

const KEY_TYPES: KeyType[] = ['ec-p256', 'ec-p384', 'ed25519', 'rsa'];
const SIG_ALG: Record<KeyType, string> = {
  'ec-p256': 'ecdsa-with-SHA256',
  'ec-p384': 'ecdsa-with-SHA384',
  ed25519: 'Ed25519',
  rsa: 'sha256WithRSAEncryption',
};
const NAMES = ['localhost', '127.0.0.1', '::1', 'Example.test', '*.wild.test'];

// One RSA key for the file, reused through the pkcs8 option.
const rsaPkcs8 = nodeTestProvider.generateSigningKey('rsa', 2048).pkcs8;

describe('createSelfSignedCertificate', () => {
  for (const [providerName, provider] of testProviders) {
    for (const keyType of KEY_TYPES) {
      describe(`${providerName}, ${keyType}`, () => {
        const made: CertifiedKeyPair = createSelfSignedCertificate(provider, {
          names: NAMES,
          keyType,
          ...validity,
          ...(keyType === 'rsa' ? { pkcs8: rsaPkcs8 } : {}),
        });

        it('parses with our parser', () => {
          const c = parseCertificate(made.certificate);
          assert.equal(c.version, 3);
          assert.equal(c.subject.text, 'CN=localhost');
          assert.equal(c.issuer.text, 'CN=localhost');
          assert.equal(c.selfIssued, true);
          assert.equal(c.notBefore, T2024);
          assert.equal(c.notAfter, T2034);
          assert.equal(c.keyType, keyType);
          assert.deepEqual(c.spki, made.key.spki);
          assert.equal(c.signatureAlgorithm.name, SIG_ALG[keyType]);
          assert.deepEqual(c.subjectAltName, {
            dnsNames: ['localhost', 'Example.test', '*.wild.test'],
            ipAddresses: ['127.0.0.1', '::1'],
          });
          assert.deepEqual(c.basicConstraints, { cA: false, pathLen: null });
          assert.equal(c.keyUsage!.digitalSignature, true);
          assert.equal(c.keyUsage!.keyCertSign, false);
          assert.equal(c.extendedKeyUsage!.serverAuth, true);
          assert.equal(c.extendedKeyUsage!.clientAuth, true);
          assert.deepEqual(c.unhandledCriticalExtensions, []);
          assert.ok(c.serial.length >= 1 && c.serial.length <= 20 && (c.serial[0]! & 0x80) === 0);
        });

        it("parses with node's X509Certificate, which agrees on every field", () => {
          const x = new X509Certificate(made.certificate);
          const c = parseCertificate(made.certificate);
          assert.equal(x.subject, 'CN=localhost');
          assert.equal(x.issuer, 'CN=localhost');
          assert.equal(x.serialNumber.toLowerCase(), c.serialHex.replace(/^00/, ''));
          assert.equal(new Date(x.validFrom).getTime(), T2024);
          assert.equal(new Date(x.validTo).getTime(), T2034);
          assert.equal(x.ca, false);
          assert.equal(
            x.subjectAltName,
            'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:Example.test, DNS:*.wild.test',
          );
          assert.deepEqual(x.keyUsage, ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']); // node reports the EKU here
          assert.equal(x.checkHost('localhost'), 'localhost');
          assert.equal(x.checkHost('a.wild.test'), '*.wild.test'); // node returns the matching SAN entry
          assert.equal(x.checkHost('a.b.wild.test'), undefined);
          assert.equal(x.checkIP('127.0.0.1'), '127.0.0.1');
          assert.deepEqual(
            new Uint8Array(x.publicKey.export({ format: 'der', type: 'spki' })),
            made.key.spki,
          );
          // The self-signature verifies. OpenSSL's checkIssued also wants keyCertSign in the
          // issuer's keyUsage, which RFC 5280 §4.2.1.3 forbids on a cA FALSE certificate, so it
          // says false here; OpenSSL still trusts this certificate as its own anchor (the chain
          // tests cross-check with `openssl verify`).
          assert.equal(x.verify(x.publicKey), true);
          assert.equal(x.checkIssued(x), false);
          assert.equal(
            x.checkPrivateKey(
              createPrivateKey({ key: Buffer.from(made.pkcs8), format: 'der', type: 'pkcs8' }),
            ),
            true,
          );
        });

        it('is signed so that a CA-signed leaf verifies in node too', () => {
          const ca = createSelfSignedCertificate(provider, {
            names: [],
            commonName: `CA ${keyType}`,
            isCA: true,
            pathLen: 0,
            keyType,
            ...validity,
            ...(keyType === 'rsa' ? { pkcs8: rsaPkcs8 } : {}),
          });
          const leaf = createSelfSignedCertificate(provider, {
            names: ['leaf.test'],
            ...validity,
            issuer: { cert: ca.certificate, key: ca.key },
          });
          const xca = new X509Certificate(ca.certificate);
          const xleaf = new X509Certificate(leaf.certificate);
          assert.equal(xca.ca, true);
          assert.equal(xca.checkIssued(xca), true);
          assert.equal(xca.verify(xca.publicKey), true);
          assert.equal(xleaf.checkIssued(xca), true);
          assert.equal(xleaf.verify(xca.publicKey), true);
          assert.equal(xleaf.verify(xleaf.publicKey), false);
          const c = parseCertificate(ca.certificate);
          assert.deepEqual(c.basicConstraints, { cA: true, pathLen: 0 });
          assert.equal(c.keyUsage!.keyCertSign, true);
          assert.equal(c.keyUsage!.cRLSign, true);
          assert.equal(c.extendedKeyUsage, null);
          assert.equal(c.subjectAltName, null);
          const l = parseCertificate(leaf.certificate);
          assert.equal(l.issuer.text, `CN=CA ${keyType}`);
          assert.deepEqual(l.issuer.der, c.subject.der);
          assert.equal(l.signatureAlgorithm.name, SIG_ALG[keyType]);
          assert.equal(l.keyType, 'ec-p256');
        });
      });
    }
  }

  it('fingerprints match node', () => {
    const made = createSelfSignedCertificate(nodeTestProvider, { names: ['fp.test'], ...validity });
    const expected = new X509Certificate(made.certificate).fingerprint256;
    for (const [, p] of testProviders)
      assert.equal(certificateFingerprint(p, made.certificate), expected);
    assert.match(expected, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });

  it('defaults: P-256 key, CN from the first name, dates around the current time', () => {
    const before = Date.now();
    const made = createSelfSignedCertificate(nodeTestProvider, { names: ['default.test'] });
    const c = parseCertificate(made.certificate);
    assert.equal(c.keyType, 'ec-p256');
    assert.equal(c.subject.commonName, 'default.test');
    assert.ok(c.notBefore <= before && c.notBefore > before - 2 * 3600_000);
    assert.equal(c.notAfter - c.notBefore, 365 * 24 * 3600_000);
    const nameless = createSelfSignedCertificate(nodeTestProvider, { names: [], ...validity });
    assert.equal(parseCertificate(nameless.certificate).subject.text, 'CN=tsquic');
  });

  it('dates from 2050 are GeneralizedTime and read back', () => {
    const notAfter = Date.UTC(2060, 1, 29, 12, 0, 0);
    const made = createSelfSignedCertificate(nodeTestProvider, {
      names: ['far.test'],
      notBefore: T2024,
      notAfter,
    });
    assert.equal(parseCertificate(made.certificate).notAfter, notAfter);
    assert.equal(new Date(new X509Certificate(made.certificate).validTo).getTime(), notAfter);
  });

  it('reuses a given key', () => {
    const first = createSelfSignedCertificate(nodeTestProvider, { names: ['a.test'], ...validity });
    const second = createSelfSignedCertificate(nodeTestProvider, {
      names: ['b.test'],
      pkcs8: first.pkcs8,
      ...validity,
    });
    assert.deepEqual(second.key.spki, first.key.spki);
    assert.deepEqual(second.pkcs8, first.pkcs8);
    const privateKey = createPrivateKey({
      key: Buffer.from(first.pkcs8),
      format: 'der',
      type: 'pkcs8',
    });
    const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
    assert.deepEqual(new Uint8Array(spki), second.key.spki);
  });

  it('serials are random', () => {
    const a = parseCertificate(
      createSelfSignedCertificate(nodeTestProvider, { names: ['s.test'], ...validity }).certificate,
    );
    const b = parseCertificate(
      createSelfSignedCertificate(nodeTestProvider, { names: ['s.test'], ...validity }).certificate,
    );
    assert.notEqual(a.serialHex, b.serialHex);
  });

  it('refuses misuse with clear errors', () => {
    const p = nodeTestProvider;
    const ca = createSelfSignedCertificate(p, { names: [], isCA: true, ...validity });
    const other = createSelfSignedCertificate(p, { names: ['o.test'], ...validity });
    assert.throws(
      () =>
        createSelfSignedCertificate(p, {
          names: ['x.test'],
          issuer: { cert: ca.certificate, key: other.key },
        }),
      /issuer key does not belong/,
    );
    for (const bad of ['bad name', 'a..b', '-a.test', 'ünï.test', '', 'a'.repeat(64) + '.test']) {
      assert.throws(() => createSelfSignedCertificate(p, { names: [bad] }), TypeError, bad);
    }
    assert.throws(
      () =>
        createSelfSignedCertificate(p, { names: ['x.test'], notBefore: T2034, notAfter: T2024 }),
      RangeError,
    );
    assert.throws(
      () => createSelfSignedCertificate(p, { names: ['x.test'], pathLen: 1 }),
      /pathLen needs isCA/,
    );
    assert.throws(
      () => createSelfSignedCertificate(p, { names: ['x.test'], isCA: true, pathLen: -1 }),
      TypeError,
    );
  });
});
