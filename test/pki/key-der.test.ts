import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import {
  KeyOid,
  encodeEcPrivateKey,
  encodePkcs8,
  encodeSpki,
  parseEcPrivateKey,
  parseEd25519PrivateKey,
  parsePkcs8,
  parseSpki,
} from '../../src/crypto/key-der.js';
import { nobleSigning } from '../../src/crypto/signing-noble.js';
import { nodeSigning } from '../../src/crypto/signing-node.js';
import { DecodeError } from '../../src/util/errors.js';
import {
  derBitString,
  derExplicit,
  derImplicit,
  derInteger,
  derNull,
  derOctetString,
  derOid,
  derSequence,
} from '../../src/util/der.js';

const der = (k: KeyObject, type: 'spki' | 'pkcs8') =>
  new Uint8Array(
    type === 'spki' ? k.export({ format: 'der', type }) : k.export({ format: 'der', type }),
  );

describe('key containers (SPKI, PKCS#8, SEC1, RFC 8410)', () => {
  it('reads node-made SPKI and PKCS#8 for each supported key type', () => {
    const cases = [
      [generateKeyPairSync('ec', { namedCurve: 'prime256v1' }), 'ec-p256', 65],
      [generateKeyPairSync('ec', { namedCurve: 'secp384r1' }), 'ec-p384', 97],
      [generateKeyPairSync('ed25519'), 'ed25519', 32],
    ] as const;
    for (const [pair, type, pubLen] of cases) {
      const spki = parseSpki(der(pair.publicKey, 'spki'));
      assert.equal(spki.keyType, type);
      assert.equal(spki.publicKey.length, pubLen);
      assert.deepEqual(encodeSpki(type, spki.publicKey), der(pair.publicKey, 'spki'));
      assert.equal(parsePkcs8(der(pair.privateKey, 'pkcs8')).keyType, type);
    }
  });

  it('EC private keys: SEC1 with and without parameters', () => {
    const d = new Uint8Array(32).fill(3);
    const pub = new Uint8Array(65).fill(4);
    const plain = parseEcPrivateKey(encodeEcPrivateKey(d, pub));
    assert.deepEqual(plain, { d, curve: null, curveOid: null, publicKey: pub });
    const withParams = derSequence(
      derInteger(1),
      derOctetString(d),
      derExplicit(0, derOid(KeyOid.secp384r1)),
    );
    const parsed = parseEcPrivateKey(withParams);
    assert.equal(parsed.curve, 'ec-p384');
    assert.equal(parsed.publicKey, null);
    assert.throws(
      () => parseEcPrivateKey(derSequence(derInteger(0), derOctetString(d))),
      DecodeError,
    );
  });

  it('PKCS#8 v2 (OneAsymmetricKey) with a public key, and tolerated RSA parameter forms', () => {
    const seed = new Uint8Array(32).fill(9);
    const v2 = derSequence(
      derInteger(1),
      derSequence(derOid(KeyOid.ed25519)),
      derOctetString(derOctetString(seed)),
      derImplicit(1, Uint8Array.of(0, ...new Uint8Array(32))),
    );
    const info = parsePkcs8(v2);
    assert.equal(info.keyType, 'ed25519');
    assert.deepEqual(parseEd25519PrivateKey(info.privateKey), seed);
    // OpenSSL 3.0 (node) does not read the v2 publicKey field; the noble side does.
    const v1 = encodePkcs8('ed25519', derOctetString(seed));
    assert.deepEqual(nobleSigning.importSigningKey(v2).spki, nodeSigning.importSigningKey(v1).spki);
    const rsaNoNull = derSequence(
      derSequence(derOid(KeyOid.rsaEncryption)),
      derBitString(Uint8Array.of(0x30, 0)),
    );
    assert.equal(parseSpki(rsaNoNull).keyType, 'rsa');
    const rsaNull = derSequence(
      derSequence(derOid(KeyOid.rsaEncryption), derNull()),
      derBitString(Uint8Array.of(0x30, 0)),
    );
    assert.equal(parseSpki(rsaNull).keyType, 'rsa');
  });

  it('unknown algorithms are described, malformed containers refused', () => {
    const unknown = derSequence(
      derSequence(derOid('1.2.3'), derNull()),
      derBitString(Uint8Array.of(1)),
    );
    assert.deepEqual(parseSpki(unknown), {
      keyType: null,
      description: '1.2.3',
      publicKey: Uint8Array.of(1),
    });
    const specified = derSequence(
      derSequence(derOid(KeyOid.ecPublicKey), derSequence(derInteger(1))),
      derBitString(Uint8Array.of(4)),
    );
    assert.equal(parseSpki(specified).description, `${KeyOid.ecPublicKey}/specifiedCurve`);
    assert.throws(() => parseSpki(derSequence(derSequence(derOid(KeyOid.ed25519)))), DecodeError);
    assert.throws(
      () =>
        parsePkcs8(
          derSequence(
            derInteger(2),
            derSequence(derOid(KeyOid.ed25519)),
            derOctetString(Uint8Array.of(4, 0)),
          ),
        ),
      /version 2/,
    );
    assert.throws(() => parseEd25519PrivateKey(derOctetString(new Uint8Array(31))), DecodeError);
    // An EC private key whose own parameters contradict the PKCS#8 algorithm.
    const d = new Uint8Array(32).fill(1);
    const contradiction = encodePkcs8(
      'ec-p256',
      derSequence(derInteger(1), derOctetString(d), derExplicit(0, derOid(KeyOid.secp384r1))),
    );
    assert.throws(() => nobleSigning.importSigningKey(contradiction), /disagree/);
  });
});
