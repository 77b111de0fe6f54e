import assert from 'node:assert/strict';
import {
  createHash,
  createPrivateKey,
  generateKeyPairSync,
  sign as nodeSign,
  constants,
} from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { nodeSigning } from '../../src/crypto/signing-node.js';
import { nobleSigning } from '../../src/crypto/signing-noble.js';
import type { KeyType, SignatureScheme, SigningKey } from '../../src/crypto/provider.js';
import { encodeEcPrivateKey, encodePkcs8 } from '../../src/crypto/key-der.js';
import { encodeRsaPrivateKey, type RsaPrivateKey } from '../../src/crypto/rsa.js';
import { concatBytes, fromHex, utf8 } from '../../src/util/bytes.js';
import { DerReader, derInteger, derSequence, readSequence } from '../../src/util/der.js';
import { loadVector } from '../vectors.js';

type Signing = typeof nodeSigning;
const providers: [string, Signing][] = [
  ['node', nodeSigning],
  ['noble', nobleSigning],
];

const SCHEMES: Record<KeyType, SignatureScheme[]> = {
  'ec-p256': ['ecdsa_secp256r1_sha256'],
  'ec-p384': ['ecdsa_secp384r1_sha384'],
  ed25519: ['ed25519'],
  rsa: [
    'rsa_pss_rsae_sha256',
    'rsa_pss_rsae_sha384',
    'rsa_pss_rsae_sha512',
    'rsa_pkcs1_sha256',
    'rsa_pkcs1_sha384',
    'rsa_pkcs1_sha512',
  ],
};

const message = utf8('TLS 1.3, server CertificateVerify test message');

// One RSA key per file (generation is the slow part); EC and Ed25519 keys are cheap.
const rsaPkcs8 = new Uint8Array(
  generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
    format: 'der',
    type: 'pkcs8',
  }),
);

function keyPair(type: KeyType): { pkcs8: Uint8Array } {
  return type === 'rsa' ? { pkcs8: rsaPkcs8 } : nodeSigning.generateSigningKey(type);
}

function flip(b: Uint8Array, i: number): Uint8Array {
  const c = b.slice();
  c[i]! ^= 0x01;
  return c;
}

describe('signing (node and noble)', () => {
  for (const type of Object.keys(SCHEMES) as KeyType[]) {
    describe(type, () => {
      const { pkcs8 } = keyPair(type);
      const keys: [string, SigningKey][] = providers.map(([n, p]) => [
        n,
        p.importSigningKey(pkcs8),
      ]);

      it('both providers import the same key', () => {
        const [[, a], [, b]] = keys as [[string, SigningKey], [string, SigningKey]];
        assert.deepEqual(a.spki, b.spki);
        assert.equal(a.type, type);
        assert.equal(b.type, type);
        assert.equal(a.bits, type === 'rsa' ? 2048 : 0);
        assert.equal(b.bits, a.bits);
      });

      for (const scheme of SCHEMES[type]) {
        for (const [signerName, key] of keys) {
          it(`${scheme}: ${signerName} signs, both verify, tampering fails`, () => {
            const sig = key.sign(scheme, message);
            for (const [, verifier] of providers) {
              assert.equal(verifier.verify(scheme, key.spki, message, sig), true);
              assert.equal(verifier.verify(scheme, key.spki, flip(message, 3), sig), false);
              assert.equal(
                verifier.verify(scheme, key.spki, message, flip(sig, sig.length - 5)),
                false,
              );
              assert.equal(
                verifier.verify(scheme, key.spki, message, sig.subarray(0, sig.length - 1)),
                false,
              );
            }
          });
        }
      }

      it('refuses schemes that do not fit the key', () => {
        const key = keys[0]![1];
        const other: SignatureScheme = type === 'ed25519' ? 'ecdsa_secp256r1_sha256' : 'ed25519';
        for (const [, p] of keys) assert.throws(() => p.sign(other, message), TypeError);
        const sig = key.sign(SCHEMES[type][0]!, message);
        for (const [, verifier] of providers) {
          assert.equal(verifier.verify(other, key.spki, message, sig), false);
        }
      });
    });
  }

  it('ECDSA schemes bind the curve: P-256 keys do not verify as P-384 and back', () => {
    const k256 = nodeSigning.generateSigningKey('ec-p256');
    const sig = k256.sign('ecdsa_secp256r1_sha256', message);
    for (const [, p] of providers) {
      assert.equal(p.verify('ecdsa_secp384r1_sha384', k256.spki, message, sig), false);
      assert.throws(
        () => p.importSigningKey(k256.pkcs8).sign('ecdsa_secp384r1_sha384', message),
        TypeError,
      );
    }
  });

  it('accepts high-S ECDSA signatures (OpenSSL produces them)', () => {
    const key = nobleSigning.generateSigningKey('ec-p256');
    const sig = key.sign('ecdsa_secp256r1_sha256', message);
    const r = readSequence(sig, 'sig');
    const [rr, s] = [r.integer(), r.integer()];
    const high = derSequence(derInteger(rr), derInteger(p256.Point.CURVE().n - s));
    for (const [, p] of providers) {
      assert.equal(p.verify('ecdsa_secp256r1_sha256', key.spki, message, sig), true);
      assert.equal(p.verify('ecdsa_secp256r1_sha256', key.spki, message, high), true);
    }
  });

  it('refuses SHA-1 schemes even for valid signatures', () => {
    const rsa = createPrivateKey({ key: Buffer.from(rsaPkcs8), format: 'der', type: 'pkcs8' });
    const rsaSig = new Uint8Array(nodeSign('sha1', message, rsa));
    const rsaSpki = nodeSigning.importSigningKey(rsaPkcs8).spki;
    const ec = nodeSigning.generateSigningKey('ec-p256');
    const ecKey = createPrivateKey({ key: Buffer.from(ec.pkcs8), format: 'der', type: 'pkcs8' });
    const ecSig = new Uint8Array(nodeSign('sha1', message, { key: ecKey, dsaEncoding: 'der' }));
    for (const [, p] of providers) {
      assert.equal(p.verify('rsa_pkcs1_sha1', rsaSpki, message, rsaSig), false);
      assert.equal(p.verify('ecdsa_sha1', ec.spki, message, ecSig), false);
      assert.throws(() => p.importSigningKey(rsaPkcs8).sign('rsa_pkcs1_sha1', message), TypeError);
    }
  });

  it('RSA-PSS requires the salt length to equal the hash length (RFC 8446 §4.2.3)', () => {
    const key = createPrivateKey({ key: Buffer.from(rsaPkcs8), format: 'der', type: 'pkcs8' });
    const spki = nodeSigning.importSigningKey(rsaPkcs8).spki;
    for (const saltLength of [0, 20, 32]) {
      const sig = nodeSign('sha256', message, {
        key,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength,
      });
      for (const [, p] of providers) {
        assert.equal(
          p.verify('rsa_pss_rsae_sha256', spki, message, sig),
          saltLength === 32,
          `salt ${saltLength}`,
        );
      }
    }
  });

  it('verify never throws on malformed input', () => {
    const key = nodeSigning.generateSigningKey('ec-p256');
    const sig = key.sign('ecdsa_secp256r1_sha256', message);
    const junk = [
      new Uint8Array(0),
      fromHex('3000'),
      fromHex('ff'.repeat(40)),
      key.spki.subarray(0, 20),
    ];
    for (const [, p] of providers) {
      for (const j of junk) {
        assert.equal(p.verify('ecdsa_secp256r1_sha256', j, message, sig), false);
        assert.equal(p.verify('ecdsa_secp256r1_sha256', key.spki, message, j), false);
        assert.equal(p.verify('rsa_pss_rsae_sha256', j, message, j), false);
        assert.equal(p.verify('ed25519', j, message, j), false);
      }
      assert.equal(p.verify('no_such_scheme' as SignatureScheme, key.spki, message, sig), false);
    }
  });

  it('importSigningKey throws TypeError for junk and unsupported keys', () => {
    const k256k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey;
    const pss = generateKeyPairSync('rsa-pss', { modulusLength: 1024 }).privateKey;
    const ed448 = generateKeyPairSync('ed448').privateKey;
    const unsupported = [k256k1, pss, ed448].map(
      (k) => new Uint8Array(k.export({ format: 'der', type: 'pkcs8' })),
    );
    for (const [name, p] of providers) {
      assert.throws(() => p.importSigningKey(fromHex('3000')), TypeError, name);
      assert.throws(() => p.importSigningKey(new Uint8Array(0)), TypeError, name);
      for (const u of unsupported)
        assert.throws(() => p.importSigningKey(u), /unsupported|not a/, name);
      assert.throws(() => p.generateSigningKey('dsa' as KeyType), TypeError, name);
    }
    assert.throws(() => nodeSigning.generateSigningKey('rsa', 512), RangeError);
    assert.throws(() => nobleSigning.generateSigningKey('rsa', 1000), RangeError);
  });

  it('noble reads an EC scalar whose leading zero octet was stripped, and refuses d >= n', () => {
    const d = new Uint8Array(32).fill(0x11);
    d[0] = 0;
    const pub = p256.getPublicKey(d, false);
    const full = encodePkcs8('ec-p256', encodeEcPrivateKey(d, pub));
    const short = encodePkcs8('ec-p256', encodeEcPrivateKey(d.subarray(1), pub));
    assert.deepEqual(
      nobleSigning.importSigningKey(short).spki,
      nodeSigning.importSigningKey(full).spki,
    );
    const tooBig = encodePkcs8('ec-p256', encodeEcPrivateKey(new Uint8Array(32).fill(0xff), pub));
    assert.throws(() => nobleSigning.importSigningKey(tooBig), /out of range/);
    const tooLong = encodePkcs8('ec-p256', encodeEcPrivateKey(new Uint8Array(33).fill(1), pub));
    assert.throws(() => nobleSigning.importSigningKey(tooLong), /too long/);
  });

  for (const [genName, gen] of providers) {
    for (const type of ['ec-p256', 'ec-p384', 'ed25519'] as KeyType[]) {
      it(`${genName} generateSigningKey(${type}) gives PKCS#8 both providers read`, () => {
        const k = gen.generateSigningKey(type);
        assert.equal(k.type, type);
        for (const [, p] of providers) {
          const imported = p.importSigningKey(k.pkcs8);
          assert.deepEqual(imported.spki, k.spki);
          const scheme = SCHEMES[type][0]!;
          assert.equal(p.verify(scheme, k.spki, message, imported.sign(scheme, message)), true);
        }
      });
    }
  }

  it('noble generates RSA keys that node accepts', function () {
    this.timeout(30000); // pure-JS prime search; usually well under a second for 1024 bits
    const k = nobleSigning.generateSigningKey('rsa', 1024);
    assert.equal(k.bits, 1024);
    const n = nodeSigning.importSigningKey(k.pkcs8);
    assert.deepEqual(n.spki, k.spki);
    assert.equal(
      nodeSigning.verify(
        'rsa_pss_rsae_sha256',
        k.spki,
        message,
        k.sign('rsa_pss_rsae_sha256', message),
      ),
      true,
    );
    assert.equal(
      nobleSigning.verify('rsa_pkcs1_sha384', k.spki, message, n.sign('rsa_pkcs1_sha384', message)),
      true,
    );
  });

  describe('RFC 8448 §3 CertificateVerify', () => {
    const v = loadVector('tls13-rfc8448-simple.json');
    const m = v.messages;
    const rsa = v.server_rsa_key;
    const big = (h: string) => BigInt('0x' + h);
    const key: RsaPrivateKey = {
      n: big(rsa.modulus),
      e: big(rsa.public_exponent),
      d: big(rsa.private_exponent),
      p: big(rsa.prime1),
      q: big(rsa.prime2),
      dp: big(rsa.exponent1),
      dq: big(rsa.exponent2),
      qInv: big(rsa.coefficient),
      bits: 1024,
    };
    const pkcs8 = encodePkcs8('rsa', encodeRsaPrivateKey(key));

    // Certificate message: type(1) len(3) context(1) list_len(3) cert_len(3) cert ...
    const certMsg = fromHex(m.certificate);
    const certLen = (certMsg[8]! << 16) | (certMsg[9]! << 8) | certMsg[10]!;
    const certDer = certMsg.subarray(11, 11 + certLen);
    const spki = new DerReader(certDer).sequence().sequence(); // tbsCertificate
    spki.optionalExplicit(0);
    for (let i = 0; i < 5; i++) spki.read(); // serial, signature, issuer, validity, subject
    const certSpki = spki.read().raw;

    // CertificateVerify: type(1) len(3) scheme(2) sig_len(2) sig.
    const cv = fromHex(m.certificate_verify);
    assert.equal((cv[4]! << 8) | cv[5]!, 0x0804); // rsa_pss_rsae_sha256
    const signature = cv.subarray(8);
    const transcript = createHash('sha256')
      .update(fromHex(m.client_hello))
      .update(fromHex(m.server_hello))
      .update(fromHex(m.encrypted_extensions))
      .update(certMsg)
      .digest();
    // RFC 8446 §4.4.3: 64 spaces, the context string, a zero byte, the transcript hash.
    const content = concatBytes(
      new Uint8Array(64).fill(0x20),
      utf8('TLS 1.3, server CertificateVerify'),
      Uint8Array.of(0),
      transcript,
    );

    for (const [name, p] of providers) {
      it(`${name}: the §2 key matches the certificate, and the signature verifies`, () => {
        const k = p.importSigningKey(pkcs8);
        assert.deepEqual(k.spki, certSpki);
        assert.equal(k.bits, 1024);
        assert.equal(p.verify('rsa_pss_rsae_sha256', certSpki, content, signature), true);
        assert.equal(
          p.verify('rsa_pss_rsae_sha256', certSpki, flip(content, 70), signature),
          false,
        );
        assert.equal(p.verify('rsa_pkcs1_sha256', certSpki, content, signature), false);
        // Our own signature with the §2 key verifies under both providers.
        const ours = k.sign('rsa_pss_rsae_sha256', content);
        for (const [, q] of providers)
          assert.equal(q.verify('rsa_pss_rsae_sha256', certSpki, content, ours), true);
      });
    }
  });
});
