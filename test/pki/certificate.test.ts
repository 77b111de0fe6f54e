import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { CertificateParseError, parseCertificate } from '../../src/tls/x509/index.js';
import {
  derBitString,
  derExplicit,
  derImplicit,
  derInteger,
  derNull,
  derOctetString,
  derOid,
  derPrintableString,
  derSequence,
  derSet,
  derTime,
  derTlv,
  derUtf8String,
} from '../../src/util/der.js';
import { fromHex, utf8 } from '../../src/util/bytes.js';
import { loadVector } from '../vectors.js';
import {
  T2024,
  T2034,
  buildCertificate,
  ext,
  exts,
  nodeTestProvider,
  oid,
  pssAlgorithm,
} from './helpers.js';

const key = nodeTestProvider.generateSigningKey('ec-p256');
const ecdsa = derSequence(derOid(oid.ecdsaSha256));
const sign = (tbs: Uint8Array) => key.sign('ecdsa_secp256r1_sha256', tbs);
const withExtensions = (...extensions: Uint8Array[]) =>
  parseCertificate(buildCertificate({ subject: 'x.test', spki: key.spki, sign, extensions }));

/** A certificate from raw TBS parts, for shapes the builder does not make. */
function fromTbs(parts: Uint8Array[], outerAlg = ecdsa): Uint8Array {
  const tbs = derSequence(...parts);
  return derSequence(tbs, outerAlg, derBitString(sign(tbs)));
}
const name = (cn: string) => derSequence(derSet(derSequence(derOid('2.5.4.3'), derUtf8String(cn))));
const dates = derSequence(derTime(T2024), derTime(T2034));

function rfc8448Certificate(): Uint8Array {
  const m = fromHex(loadVector('tls13-rfc8448-simple.json').messages.certificate);
  const len = (m[8]! << 16) | (m[9]! << 8) | m[10]!;
  return m.subarray(11, 11 + len);
}

describe('parseCertificate', () => {
  it('reads the RFC 8448 server certificate', () => {
    const der = rfc8448Certificate();
    const c = parseCertificate(der);
    assert.equal(c.version, 3);
    assert.equal(c.serialHex, '02');
    assert.equal(c.subject.text, 'CN=rsa');
    assert.equal(c.subject.commonName, 'rsa');
    assert.equal(c.issuer.text, 'CN=rsa');
    assert.equal(c.selfIssued, true);
    assert.equal(c.notBefore, Date.UTC(2016, 6, 30, 1, 23, 59));
    assert.equal(c.notAfter, Date.UTC(2026, 6, 30, 1, 23, 59));
    assert.equal(c.keyType, 'rsa');
    assert.equal(c.keyAlgorithm, '1.2.840.113549.1.1.1');
    assert.equal(c.signatureAlgorithm.name, 'sha256WithRSAEncryption');
    assert.equal(c.signatureAlgorithm.hash, 'sha256');
    assert.equal(c.signatureAlgorithm.family, 'rsa-pkcs1');
    assert.equal(c.signature.length, 128);
    assert.deepEqual(c.basicConstraints, { cA: false, pathLen: null });
    assert.equal(c.keyUsage!.digitalSignature, true);
    assert.equal(c.keyUsage!.keyEncipherment, true);
    assert.equal(c.keyUsage!.keyCertSign, false);
    assert.equal(c.subjectAltName, null);
    assert.equal(c.extendedKeyUsage, null);
    assert.deepEqual(c.der, der);
    // The self-signature verifies over the tbsCertificate bytes.
    assert.equal(nodeTestProvider.verify('rsa_pkcs1_sha256', c.spki, c.tbs, c.signature), true);
  });

  it('never throws anything but CertificateParseError on damaged input', () => {
    const der = rfc8448Certificate();
    for (let n = 0; n < der.length; n++) {
      assert.throws(
        () => parseCertificate(der.subarray(0, n)),
        CertificateParseError,
        `prefix ${n}`,
      );
    }
    assert.throws(() => parseCertificate(Uint8Array.of(...der, 0)), CertificateParseError);
    // Every single-byte change either still parses or fails with the typed error.
    let rejected = 0;
    for (let i = 0; i < der.length; i++) {
      const c = der.slice();
      c[i]! ^= 0xff;
      try {
        parseCertificate(c);
      } catch (e) {
        assert.ok(e instanceof CertificateParseError, `byte ${i}: ${String(e)}`);
        assert.equal(e.alert, 42);
        rejected++;
      }
    }
    assert.ok(rejected > 50);
  });

  it('refuses structural violations', () => {
    const spki = key.spki;
    const v3 = derExplicit(0, derInteger(2));
    const good = [v3, derInteger(1), ecdsa, name('a'), dates, name('a'), spki];
    assert.doesNotThrow(() => parseCertificate(fromTbs(good)));
    const bad: [string, Uint8Array][] = [
      [
        'different inner algorithm',
        fromTbs([
          v3,
          derInteger(1),
          derSequence(derOid(oid.sha256Rsa), derNull()),
          name('a'),
          dates,
          name('a'),
          spki,
        ]),
      ],
      ['version 4', fromTbs([derExplicit(0, derInteger(3)), ...good.slice(1)])],
      ['missing subject', fromTbs([v3, derInteger(1), ecdsa, name('a'), dates, spki])],
      ['trailing element', fromTbs([...good, derNull()])],
      ['extensions in v1', fromTbs([...good.slice(1), derExplicit(3, derSequence(exts.notCa()))])],
      ['empty extensions', fromTbs([...good, derExplicit(3, derSequence())])],
      [
        'duplicate extension',
        fromTbs([...good, derExplicit(3, derSequence(exts.notCa(), exts.notCa()))]),
      ],
      [
        'empty RDN',
        fromTbs([v3, derInteger(1), ecdsa, derSequence(derSet()), dates, name('a'), spki]),
      ],
      [
        'bad time',
        fromTbs([
          v3,
          derInteger(1),
          ecdsa,
          name('a'),
          derSequence(derTime(T2024), derTlv(0x17, utf8('2501'))),
          name('a'),
          spki,
        ]),
      ],
      ['not a certificate', derSequence(derNull())],
    ];
    for (const [what, der] of bad)
      assert.throws(() => parseCertificate(der), CertificateParseError, what);
  });

  it('reads a v1 certificate (no extensions) and unique IDs in v2/v3', () => {
    const v1 = parseCertificate(
      fromTbs([derInteger(7), ecdsa, name('old'), dates, name('old'), key.spki]),
    );
    assert.equal(v1.version, 1);
    assert.equal(v1.basicConstraints, null);
    const withIds = parseCertificate(
      fromTbs([
        derExplicit(0, derInteger(2)),
        derInteger(1),
        ecdsa,
        name('a'),
        dates,
        name('a'),
        key.spki,
        derImplicit(1, Uint8Array.of(0, 1)),
        derImplicit(2, Uint8Array.of(0, 2)),
        derExplicit(3, derSequence(exts.notCa())),
      ]),
    );
    assert.deepEqual(withIds.basicConstraints, { cA: false, pathLen: null });
  });

  it('readable names: several attributes, multi-valued RDNs, escaping, other string types', () => {
    const atv = (type: string, value: Uint8Array) => derSequence(derOid(type), value);
    const issuer = derSequence(
      derSet(atv('2.5.4.6', derPrintableString('US'))),
      derSet(atv('2.5.4.10', derUtf8String('Example, Inc.'))),
      derSet(atv('2.5.4.11', derUtf8String('Ops')), atv('2.5.4.3', derUtf8String('Root + CA'))),
      derSet(atv('1.2.3.4', derTlv(0x1e, Uint8Array.of(0, 0x48, 0, 0x69)))), // BMPString "Hi"
      derSet(atv('2.5.4.5', derInteger(5))),
    );
    const c = parseCertificate(
      fromTbs([
        derExplicit(0, derInteger(2)),
        derInteger(1),
        ecdsa,
        issuer,
        dates,
        name('a'),
        key.spki,
      ]),
    );
    assert.equal(
      c.issuer.text,
      'C=US, O=Example\\, Inc., OU=Ops+CN=Root \\+ CA, 1.2.3.4=Hi, serialNumber=#020105',
    );
    assert.equal(c.issuer.commonName, 'Root + CA');
    assert.equal(c.selfIssued, false);
  });

  describe('extensions', () => {
    it('subjectAltName: DNS and IP entries, other GeneralNames skipped', () => {
      const san = derSequence(
        derImplicit(2, utf8('a.test')),
        derImplicit(1, utf8('mail@a.test')), // rfc822Name
        derImplicit(6, utf8('https://a.test/')), // URI
        derImplicit(7, fromHex('c0a80001')),
        derImplicit(7, fromHex('20010db8000000000000000000000001')),
        derImplicit(7, fromHex('00000000000000000000ffff7f000001')),
        derImplicit(4, name('dir').subarray(0), true),
      );
      const c = withExtensions(ext(oid.san, false, san));
      assert.deepEqual(c.subjectAltName, {
        dnsNames: ['a.test'],
        ipAddresses: ['192.168.0.1', '2001:db8::1', '::ffff:7f00:1'],
      });
      assert.throws(
        () => withExtensions(ext(oid.san, false, derSequence(derImplicit(7, fromHex('c0a800'))))),
        CertificateParseError,
      );
      assert.throws(
        () => withExtensions(ext(oid.san, false, derSequence(derImplicit(2, fromHex('c3a9'))))),
        CertificateParseError,
      );
      assert.throws(
        () => withExtensions(ext(oid.san, false, derSequence(derNull()))),
        CertificateParseError,
      );
    });

    it('basicConstraints with pathLen, keyUsage bits, extendedKeyUsage', () => {
      const c = withExtensions(
        exts.ca(3),
        exts.keyUsage(5, 6, 8),
        exts.eku(oid.serverAuth, '1.2.3'),
      );
      assert.deepEqual(c.basicConstraints, { cA: true, pathLen: 3 });
      assert.equal(c.keyUsage!.keyCertSign, true);
      assert.equal(c.keyUsage!.cRLSign, true);
      assert.equal(c.keyUsage!.decipherOnly, true);
      assert.equal(c.keyUsage!.digitalSignature, false);
      assert.deepEqual(c.extendedKeyUsage, {
        serverAuth: true,
        clientAuth: false,
        any: false,
        oids: [oid.serverAuth, '1.2.3'],
      });
      assert.throws(
        () => withExtensions(ext(oid.eku, false, derSequence())),
        CertificateParseError,
      );
      // keyUsage with a trailing zero bit is not DER.
      assert.throws(
        () => withExtensions(ext(oid.ku, true, derBitString(Uint8Array.of(0x80), 0))),
        CertificateParseError,
      );
      assert.throws(
        () => withExtensions(ext(oid.bc, true, derSequence(derInteger(-1)))),
        CertificateParseError,
      );
    });

    it('records unhandled critical extensions only', () => {
      const c = withExtensions(
        ext('1.2.3.4', true, derNull()),
        ext('1.2.3.5', false, derNull()),
        ext('2.5.29.14', false, derOctetString(Uint8Array.of(1))),
      );
      assert.deepEqual(c.unhandledCriticalExtensions, ['1.2.3.4']);
    });
  });

  it('signature algorithms: PSS parameters, unknown algorithms', () => {
    const mk = (alg: Uint8Array) =>
      parseCertificate(buildCertificate({ subject: 'x', spki: key.spki, sign, sigAlg: alg }));
    assert.equal(
      mk(pssAlgorithm('2.16.840.1.101.3.4.2.2', 48)).signatureAlgorithm.name,
      'rsassa-pss-sha384',
    );
    const odd = mk(pssAlgorithm('2.16.840.1.101.3.4.2.1', 20)).signatureAlgorithm;
    assert.equal(odd.hash, null);
    assert.equal(odd.family, 'rsa-pss');
    const unknown = mk(derSequence(derOid('1.2.3.4.5'), derNull())).signatureAlgorithm;
    assert.deepEqual(unknown, { oid: '1.2.3.4.5', name: '1.2.3.4.5', hash: null, family: null });
  });

  it('keys tsquic cannot use are reported with keyType null', () => {
    for (const [type, opts, expected] of [
      ['ec', { namedCurve: 'secp256k1' }, '1.2.840.10045.2.1/1.3.132.0.10'],
      ['ed448', {}, '1.3.101.113'],
    ] as const) {
      const spki = new Uint8Array(
        generateKeyPairSync(type as 'ec', opts as { namedCurve: string }).publicKey.export({
          format: 'der',
          type: 'spki',
        }),
      );
      const c = parseCertificate(buildCertificate({ subject: 'x', spki, sign }));
      assert.equal(c.keyType, null);
      assert.equal(c.keyAlgorithm, expected);
    }
  });
});
