/**
 * CertificateVerify: scheme choice per key type, the signed content (checked against the
 * RFC 8448 §3 server signature), and verification failures.
 */
import assert from 'node:assert/strict';
import { defaultProvider as provider } from '../../src/crypto/index.js';
import type { KeyType, SigningKey } from '../../src/crypto/provider.js';
import { fromHex } from '../../src/util/bytes.js';
import { Alert, TlsAlert } from '../../src/tls/alert.js';
import { SCHEME_CODES } from '../../src/tls/constants.js';
import { decodeCertificate, decodeCertificateVerify } from '../../src/tls/messages-auth.js';
import {
  OFFERED_SCHEME_CODES,
  certificateVerifyContent,
  chooseScheme,
  signCertificateVerify,
  verifyCertificateVerify,
} from '../../src/tls/signatures.js';
import { Transcript } from '../../src/tls/transcript.js';
import { parseCertificate } from '../../src/tls/x509/index.js';
import { loadVector } from '../vectors.js';

const v = loadVector('tls13-rfc8448-simple.json');
const msg = (name: string): Uint8Array => fromHex((v.messages as Record<string, string>)[name]!);

const keys = new Map<KeyType, SigningKey>();
before(function () {
  this.timeout(10000);
  for (const t of ['ec-p256', 'ec-p384', 'ed25519', 'rsa'] as KeyType[]) {
    keys.set(t, provider.generateSigningKey(t));
  }
});

const codes = (...names: (keyof typeof SCHEME_CODES)[]): number[] =>
  names.map((n) => SCHEME_CODES[n]);

describe('tls signatures', () => {
  it('verifies the RFC 8448 §3 server CertificateVerify over 64 spaces, context, 0, hash', () => {
    const t = new Transcript(provider);
    for (const m of ['client_hello', 'server_hello', 'encrypted_extensions', 'certificate'])
      t.add(msg(m));
    const th = t.hash('sha256');
    const leaf = parseCertificate(
      decodeCertificate(msg('certificate').subarray(4)).entries[0]!.data,
    );
    const cv = decodeCertificateVerify(msg('certificate_verify').subarray(4));
    verifyCertificateVerify(provider, cv, leaf, 'server', th);
    // The same signature does not verify as a client signature or over another transcript.
    assert.throws(
      () => verifyCertificateVerify(provider, cv, leaf, 'client', th),
      (e: unknown) => e instanceof TlsAlert && e.alert === Alert.decrypt_error,
    );
    const content = certificateVerifyContent('server', th);
    assert.equal(content.length, 64 + 33 + 1 + 32);
    assert.ok(content.subarray(0, 64).every((b) => b === 0x20));
    assert.equal(content[97], 0);
  });

  it('chooses the scheme that fits the key, in the peer order', () => {
    const all = OFFERED_SCHEME_CODES;
    assert.equal(chooseScheme(keys.get('ec-p256')!, all), 'ecdsa_secp256r1_sha256');
    assert.equal(chooseScheme(keys.get('ec-p384')!, all), 'ecdsa_secp384r1_sha384');
    assert.equal(chooseScheme(keys.get('ed25519')!, all), 'ed25519');
    assert.equal(chooseScheme(keys.get('rsa')!, all), 'rsa_pss_rsae_sha256');
    const rsa = keys.get('rsa')!;
    assert.equal(
      chooseScheme(rsa, codes('rsa_pss_rsae_sha512', 'rsa_pss_rsae_sha256')),
      'rsa_pss_rsae_sha512',
    );
    // PKCS#1 v1.5 is never used in CertificateVerify (RFC 8446 §4.2.3).
    assert.equal(chooseScheme(rsa, codes('rsa_pkcs1_sha256')), null);
    assert.equal(chooseScheme(keys.get('ec-p256')!, codes('ecdsa_secp384r1_sha384')), null);
    assert.equal(chooseScheme(keys.get('ed25519')!, [0x0a0a]), null);
  });

  it('signs and verifies with every key type; refuses mismatched schemes', () => {
    const th = new Uint8Array(32).fill(3);
    for (const [type, key] of keys) {
      const scheme = chooseScheme(key, OFFERED_SCHEME_CODES)!;
      const cv = signCertificateVerify(key, scheme, 'client', th);
      const leaf = { spki: key.spki, keyType: type };
      verifyCertificateVerify(provider, cv, leaf, 'client', th);
      const bad = { scheme: cv.scheme, signature: cv.signature.slice() };
      bad.signature[bad.signature.length - 1]! ^= 1;
      assert.throws(
        () => verifyCertificateVerify(provider, bad, leaf, 'client', th),
        (e: unknown) => e instanceof TlsAlert && e.alert === Alert.decrypt_error,
        type,
      );
    }
    const rsa = keys.get('rsa')!;
    const pkcs1 = {
      scheme: SCHEME_CODES.rsa_pkcs1_sha256,
      signature: rsa.sign('rsa_pkcs1_sha256', th),
    };
    assert.throws(
      () =>
        verifyCertificateVerify(provider, pkcs1, { spki: rsa.spki, keyType: 'rsa' }, 'server', th),
      (e: unknown) => e instanceof TlsAlert && e.alert === Alert.illegal_parameter,
    );
  });
});
