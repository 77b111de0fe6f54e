import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  createSelfSignedCertificate,
  parseCertificate,
  pemEncode,
  verifyCertificateChain,
  type Certificate,
  type CertificateError,
  type CertifiedKeyPair,
  type VerifyChainOptions,
} from '../../src/tls/x509/index.js';
import { derNull, derOid, derSequence } from '../../src/util/der.js';
import { fromHex } from '../../src/util/bytes.js';
import { loadVector } from '../vectors.js';
import {
  T2024,
  T2025,
  T2034,
  buildCertificate,
  ext,
  exts,
  nodeTestProvider as node,
  oid,
  pssAlgorithm,
  signer,
  testProviders,
  validity,
} from './helpers.js';

const make = (opts: Parameters<typeof createSelfSignedCertificate>[1]) =>
  createSelfSignedCertificate(node, { ...validity, ...opts });
const issuedBy = (ca: CertifiedKeyPair) => ({ cert: ca.certificate, key: ca.key });

// One PKI for the whole file: root (P-256) -> intermediate (P-384) -> leaf (P-256), plus an
// RSA root (one RSA key generation per file).
const root = make({ names: [], commonName: 'Test Root', isCA: true });
const inter = make({
  names: [],
  commonName: 'Test Intermediate',
  isCA: true,
  keyType: 'ec-p384',
  issuer: issuedBy(root),
});
const LEAF_NAMES = ['localhost', '127.0.0.1', '::1', '*.example.com'];
const leaf = make({ names: LEAF_NAMES, issuer: issuedBy(inter) });
const rsaRoot = make({ names: [], commonName: 'RSA Root', isCA: true, keyType: 'rsa' });
const otherRoot = make({ names: [], commonName: 'Test Root', isCA: true }); // same name, other key

const base: VerifyChainOptions = {
  trustAnchors: [root.certificate],
  now: T2025,
  purpose: 'server',
};

function check(
  chain: Uint8Array[],
  opts: Partial<VerifyChainOptions> = {},
): CertificateError | null {
  const results = testProviders.map(([, p]) =>
    verifyCertificateChain(p, chain, { ...base, ...opts }),
  );
  // Both providers must reach the same verdict.
  assert.deepEqual(results[0], results[1]);
  return results[0]!;
}

function expectError(
  err: CertificateError | null,
  kind: CertificateError['kind'],
  alert: number,
  message?: RegExp,
) {
  assert.ok(err !== null, `expected ${kind}, got success`);
  assert.equal(err.kind, kind, err.message);
  assert.equal(err.alert, alert);
  assert.ok(!err.message.includes('\n'));
  if (message) assert.match(err.message, message);
}

function flipLast(der: Uint8Array): Uint8Array {
  const c = der.slice();
  c[c.length - 3]! ^= 0x01;
  return c;
}

describe('verifyCertificateChain', () => {
  describe('good chains', () => {
    it('leaf + intermediate to a root anchor', () => {
      assert.equal(check([leaf.certificate, inter.certificate], { serverName: 'localhost' }), null);
    });

    it('hands the leaf it parsed to the caller when the chain is valid, and only then', () => {
      const [, p] = testProviders[0]!;
      const parsed: { leaf: Certificate | null } = { leaf: null };
      const chain = [leaf.certificate, inter.certificate];
      assert.equal(verifyCertificateChain(p, chain, base, parsed), null);
      assert.deepEqual(parsed.leaf, parseCertificate(leaf.certificate));
      const refused: { leaf: Certificate | null } = { leaf: null };
      const err = verifyCertificateChain(p, chain, { ...base, serverName: 'nope.test' }, refused);
      assert.notEqual(err, null);
      assert.equal(refused.leaf, null);
    });

    it('with the root included, and with certificates out of order or unrelated', () => {
      assert.equal(check([leaf.certificate, inter.certificate, root.certificate]), null);
      assert.equal(
        check([leaf.certificate, otherRoot.certificate, root.certificate, inter.certificate]),
        null,
      );
    });

    it('a leaf issued by the anchor directly', () => {
      const direct = make({ names: ['direct.test'], issuer: issuedBy(root) });
      assert.equal(check([direct.certificate], { serverName: 'direct.test' }), null);
    });

    it('anchors with the same name: the one whose key verifies wins', () => {
      const anchors = [otherRoot.certificate, root.certificate];
      assert.equal(check([leaf.certificate, inter.certificate], { trustAnchors: anchors }), null);
    });

    for (const keyType of ['ed25519', 'ec-p384'] as const) {
      it(`${keyType} CA and leaf`, () => {
        const ca = make({ names: [], commonName: `${keyType} CA`, isCA: true, keyType });
        const l = make({ names: ['x.test'], keyType, issuer: issuedBy(ca) });
        assert.equal(
          check([l.certificate], { trustAnchors: [ca.certificate], serverName: 'x.test' }),
          null,
        );
      });
    }

    it('RSA root (sha256WithRSAEncryption) signing an EC leaf', () => {
      const l = make({ names: ['rsa.test'], issuer: issuedBy(rsaRoot) });
      assert.equal(
        check([l.certificate], { trustAnchors: [rsaRoot.certificate], serverName: 'rsa.test' }),
        null,
      );
    });

    it('RSA-PSS certificate signatures with TLS parameters', () => {
      const l = buildCertificate({
        subject: 'pss.test',
        issuer: 'RSA Root',
        spki: leaf.key.spki,
        sigAlg: pssAlgorithm(oid.sha256, 32),
        sign: signer(rsaRoot.key, 'rsa_pss_rsae_sha256'),
        extensions: [exts.san('pss.test')],
      });
      assert.equal(
        check([l], { trustAnchors: [rsaRoot.certificate], serverName: 'pss.test' }),
        null,
      );
      const salt20 = buildCertificate({
        subject: 'pss.test',
        issuer: 'RSA Root',
        spki: leaf.key.spki,
        sigAlg: pssAlgorithm(oid.sha256, 20),
        sign: signer(rsaRoot.key, 'rsa_pss_rsae_sha256'),
      });
      expectError(
        check([salt20], { trustAnchors: [rsaRoot.certificate] }),
        'unsupported_certificate',
        43,
        /rsassa-pss/,
      );
    });

    it('the RFC 8448 self-signed server certificate, trusted as an anchor', () => {
      const m = fromHex(loadVector('tls13-rfc8448-simple.json').messages.certificate);
      const len = (m[8]! << 16) | (m[9]! << 8) | m[10]!;
      const cert = m.subarray(11, 11 + len);
      const opts = { trustAnchors: [cert], now: Date.UTC(2020, 0, 1) };
      assert.equal(check([cert], { ...opts, serverName: 'rsa' }), null); // no SAN: CN fallback
      expectError(
        check([cert], { ...opts, serverName: 'example.com' }),
        'hostname_mismatch',
        42,
        /CN:rsa/,
      );
      expectError(
        check([cert], { ...opts, now: Date.UTC(2027, 0, 1) }),
        'expired',
        45,
        /^certificate has expired \(notAfter 2026-07-30T01:23:59Z\)$/,
      );
      expectError(check([cert], { now: Date.UTC(2020, 0, 1) }), 'unknown_ca', 48, /self-signed/);
    });
  });

  describe('trust', () => {
    it('unknown CA', () => {
      expectError(
        check([leaf.certificate, inter.certificate], { trustAnchors: [rsaRoot.certificate] }),
        'unknown_ca',
        48,
        /intermediate certificate 'CN=Test Intermediate' is issued by 'CN=Test Root', which is not a trusted CA/,
      );
      expectError(
        check([leaf.certificate, inter.certificate], { trustAnchors: [] }),
        'unknown_ca',
        48,
      );
    });

    it('missing intermediate', () => {
      expectError(
        check([leaf.certificate]),
        'unknown_ca',
        48,
        /^certificate is issued by 'CN=Test Intermediate'/,
      );
    });

    it('an anchor with the right name but another key: bad signature', () => {
      const err = check([leaf.certificate, inter.certificate], {
        trustAnchors: [otherRoot.certificate],
      });
      expectError(err, 'bad_signature', 42, /bad signature \(issuer 'CN=Test Root'\)/);
      assert.equal(err!.depth, 1);
    });

    it('a self-signed leaf only when it is itself an anchor', () => {
      const self = make({ names: ['self.test'] });
      assert.equal(
        check([self.certificate], { trustAnchors: [self.certificate], serverName: 'self.test' }),
        null,
      );
      expectError(
        check([self.certificate]),
        'unknown_ca',
        48,
        /self-signed certificate 'CN=self.test' is not trusted/,
      );
      // Same subject, same key, but not the configured certificate.
      const twin = make({ names: ['self.test'], pkcs8: self.pkcs8 });
      expectError(
        check([twin.certificate], { trustAnchors: [self.certificate] }),
        'unknown_ca',
        48,
      );
    });

    it('a chain ending at an untrusted root', () => {
      expectError(
        check([leaf.certificate, inter.certificate, root.certificate], {
          trustAnchors: [rsaRoot.certificate],
        }),
        'unknown_ca',
        48,
        /ends at 'CN=Test Root', which is not a trust anchor/,
      );
    });
  });

  describe('signatures', () => {
    it('a tampered leaf signature', () => {
      const err = check([flipLast(leaf.certificate), inter.certificate]);
      expectError(err, 'bad_signature', 42);
      assert.equal(err!.depth, 0);
    });

    it('a tampered intermediate', () => {
      const err = check([leaf.certificate, flipLast(inter.certificate)]);
      expectError(
        err,
        'bad_signature',
        42,
        /intermediate certificate 'CN=Test Intermediate' has a bad signature/,
      );
      assert.equal(err!.depth, 1);
    });

    it('a tampered to-be-signed part', () => {
      const c = leaf.certificate.slice();
      const at = Buffer.from(c).indexOf('localhost'); // the subject CN comes first
      c[at]! ^= 0x01; // 'localhost' -> 'mocalhost'
      expectError(check([c, inter.certificate]), 'bad_signature', 42);
    });

    it('SHA-1 signatures are refused', () => {
      const sha1 = buildCertificate({
        subject: 'sha1.test',
        issuer: 'RSA Root',
        spki: leaf.key.spki,
        sigAlg: derSequence(derOid(oid.sha1Rsa), derNull()),
        sign: () => new Uint8Array(256), // never checked: SHA-1 is refused first
      });
      expectError(
        check([sha1], { trustAnchors: [rsaRoot.certificate] }),
        'unsupported_certificate',
        43,
        /SHA-1/,
      );
    });

    it('ECDSA with a hash that does not fit the issuer curve is unsupported', () => {
      const mismatched = buildCertificate({
        subject: 'x.test',
        issuer: 'Test Intermediate',
        spki: leaf.key.spki,
        sign: () => new Uint8Array(8), // ecdsa-with-SHA256 under a P-384 issuer
      });
      expectError(
        check([mismatched, inter.certificate]),
        'unsupported_certificate',
        43,
        /ecdsa-with-SHA256 with a ec-p384/,
      );
    });
  });

  describe('dates', () => {
    it('expired and not yet valid leaf', () => {
      expectError(
        check([leaf.certificate, inter.certificate], { now: T2034 + 1000 }),
        'expired',
        45,
        /^certificate has expired \(notAfter 2034-01-01T00:00:00Z\)$/,
      );
      expectError(
        check([leaf.certificate, inter.certificate], { now: T2024 - 1000 }),
        'not_yet_valid',
        45,
        /^certificate is not yet valid \(notBefore 2024-01-01T00:00:00Z\)$/,
      );
      // The bounds themselves are inside the validity period (RFC 5280 §4.1.2.5).
      assert.equal(check([leaf.certificate, inter.certificate], { now: T2034 }), null);
      assert.equal(check([leaf.certificate, inter.certificate], { now: T2024 }), null);
    });

    it('an expired intermediate', () => {
      const oldInter = make({
        names: [],
        commonName: 'Old Intermediate',
        isCA: true,
        issuer: issuedBy(root),
        notAfter: Date.UTC(2025, 0, 1),
      });
      const l = make({ names: ['x.test'], issuer: issuedBy(oldInter) });
      const err = check([l.certificate, oldInter.certificate]);
      expectError(err, 'expired', 45, /intermediate certificate 'CN=Old Intermediate' has expired/);
      assert.equal(err!.depth, 1);
    });
  });

  describe('CA constraints and usage', () => {
    it('an intermediate without cA', () => {
      const notCa = make({ names: ['not-a-ca.test'], issuer: issuedBy(root) });
      const l = make({ names: ['x.test'], issuer: issuedBy(notCa) });
      expectError(check([l.certificate, notCa.certificate]), 'unknown_ca', 48, /is not a CA/);
      // Also without any basicConstraints extension.
      const bare = buildCertificate({
        subject: 'Bare',
        issuer: 'Test Root',
        spki: notCa.key.spki,
        sign: signer(root.key, 'ecdsa_secp256r1_sha256'),
        extensions: [exts.keyUsage(5)],
      });
      const l2 = make({ names: ['x.test'], issuer: { cert: bare, key: notCa.key } });
      expectError(check([l2.certificate, bare]), 'unknown_ca', 48, /is not a CA/);
    });

    it('pathLenConstraint', () => {
      const strictRoot = make({ names: [], commonName: 'Strict Root', isCA: true, pathLen: 0 });
      const mid = make({ names: [], commonName: 'Mid', isCA: true, issuer: issuedBy(strictRoot) });
      const l = make({ names: ['x.test'], issuer: issuedBy(mid) });
      const opts = { trustAnchors: [strictRoot.certificate] };
      expectError(
        check([l.certificate, mid.certificate], opts),
        'unknown_ca',
        48,
        /allows 0 intermediate CAs below it, the chain has 1/,
      );
      const direct = make({ names: ['y.test'], issuer: issuedBy(strictRoot) });
      assert.equal(check([direct.certificate], opts), null);
      const oneRoot = make({ names: [], commonName: 'One Root', isCA: true, pathLen: 1 });
      const mid1 = make({
        names: [],
        commonName: 'Mid1',
        isCA: true,
        pathLen: 0,
        issuer: issuedBy(oneRoot),
      });
      const mid2 = make({ names: [], commonName: 'Mid2', isCA: true, issuer: issuedBy(mid1) });
      const l1 = make({ names: ['z.test'], issuer: issuedBy(mid1) });
      const l2 = make({ names: ['z.test'], issuer: issuedBy(mid2) });
      assert.equal(
        check([l1.certificate, mid1.certificate], { trustAnchors: [oneRoot.certificate] }),
        null,
      );
      expectError(
        check([l2.certificate, mid2.certificate, mid1.certificate], {
          trustAnchors: [oneRoot.certificate],
        }),
        'unknown_ca',
        48,
        /Mid1' allows 0/,
      );
    });

    it('keyUsage: a CA without keyCertSign, a leaf without digitalSignature', () => {
      const noSign = buildCertificate({
        subject: 'No Sign CA',
        issuer: 'Test Root',
        spki: inter.key.spki,
        sign: signer(root.key, 'ecdsa_secp256r1_sha256'),
        extensions: [exts.ca(), exts.keyUsage(6)], // cRLSign only
      });
      const l = make({ names: ['x.test'], issuer: { cert: noSign, key: inter.key } });
      expectError(check([l.certificate, noSign]), 'unknown_ca', 48, /keyCertSign/);
      const encipherOnly = buildCertificate({
        subject: 'x.test',
        issuer: 'Test Root',
        spki: leaf.key.spki,
        sign: signer(root.key, 'ecdsa_secp256r1_sha256'),
        extensions: [exts.san('x.test'), exts.notCa(), exts.keyUsage(2)], // keyEncipherment
      });
      expectError(check([encipherOnly]), 'unsupported_certificate', 43, /digitalSignature/);
    });

    it('extendedKeyUsage must fit the purpose', () => {
      const mk = (...ekus: string[]) =>
        buildCertificate({
          subject: 'eku.test',
          issuer: 'Test Root',
          spki: leaf.key.spki,
          sign: signer(root.key, 'ecdsa_secp256r1_sha256'),
          extensions: [exts.san('eku.test'), exts.eku(...ekus)],
        });
      const clientOnly = mk(oid.clientAuth);
      expectError(
        check([clientOnly]),
        'unsupported_certificate',
        43,
        /not valid for server authentication/,
      );
      assert.equal(check([clientOnly], { purpose: 'client' }), null);
      assert.equal(check([mk(oid.serverAuth)]), null);
      expectError(
        check([mk(oid.serverAuth)], { purpose: 'client' }),
        'unsupported_certificate',
        43,
      );
      assert.equal(check([mk('2.5.29.37.0')], { purpose: 'client' }), null); // anyExtendedKeyUsage
      expectError(check([mk(oid.codeSigning)]), 'unsupported_certificate', 43);
      // An intermediate restricted to code signing cannot vouch for a TLS server.
      const codeCa = buildCertificate({
        subject: 'Code CA',
        issuer: 'Test Root',
        spki: inter.key.spki,
        sign: signer(root.key, 'ecdsa_secp256r1_sha256'),
        extensions: [exts.ca(), exts.eku(oid.codeSigning)],
      });
      const l = make({ names: ['x.test'], issuer: { cert: codeCa, key: inter.key } });
      expectError(check([l.certificate, codeCa]), 'unsupported_certificate', 43, /intermediate/);
      // The maker's leaves allow both purposes.
      assert.equal(check([leaf.certificate, inter.certificate], { purpose: 'client' }), null);
    });

    it('unknown critical extensions are refused, unknown non-critical ones ignored', () => {
      const mk = (critical: boolean) =>
        buildCertificate({
          subject: 'crit.test',
          issuer: 'Test Root',
          spki: leaf.key.spki,
          sign: signer(root.key, 'ecdsa_secp256r1_sha256'),
          extensions: [exts.san('crit.test'), ext(oid.nameConstraints, critical, derSequence())],
        });
      expectError(
        check([mk(true)]),
        'unsupported_certificate',
        43,
        /critical extension \(2\.5\.29\.30\)/,
      );
      assert.equal(check([mk(false)]), null);
    });
  });

  describe('host names', () => {
    const chain = [leaf.certificate, inter.certificate];
    const ok = (serverName: string) => assert.equal(check(chain, { serverName }), null, serverName);
    const bad = (serverName: string) =>
      expectError(
        check(chain, { serverName }),
        'hostname_mismatch',
        42,
        /does not match the certificate/,
      );

    it('exact DNS names, case-insensitive, trailing dot', () => {
      ok('localhost');
      ok('LOCALHOST');
      ok('localhost.');
      bad('localhost2');
      bad('other.test');
    });

    it('the message lists the certificate names', () => {
      const err = check(chain, { serverName: 'x' });
      assert.equal(
        err!.message,
        "host name 'x' does not match the certificate (DNS:localhost, DNS:*.example.com, IP:127.0.0.1, IP:::1)",
      );
    });

    it('wildcards cover exactly one left-most label', () => {
      ok('www.example.com');
      ok('A.Example.Com');
      bad('example.com');
      bad('a.b.example.com');
      bad('.example.com');
    });

    it('IP addresses match iPAddress entries only', () => {
      ok('127.0.0.1');
      ok('::1');
      ok('0:0:0:0:0:0:0:1');
      ok('[::1]');
      bad('127.0.0.2');
      bad('::2');
      const dnsOnly = make({ names: ['localhost'], issuer: issuedBy(root) });
      expectError(
        check([dnsOnly.certificate], { serverName: '127.0.0.1' }),
        'hostname_mismatch',
        42,
      );
    });

    it('the CN is never used when subjectAltName exists', () => {
      const c = make({ names: ['san.test'], commonName: 'cn.test', issuer: issuedBy(root) });
      expectError(
        check([c.certificate], { serverName: 'cn.test' }),
        'hostname_mismatch',
        42,
        /DNS:san\.test/,
      );
      assert.equal(check([c.certificate], { serverName: 'san.test' }), null);
      const legacy = make({ names: [], commonName: 'legacy.test', issuer: issuedBy(root) });
      assert.equal(check([legacy.certificate], { serverName: 'legacy.test' }), null);
    });

    it('no serverName, no check', () => {
      assert.equal(check(chain), null);
    });
  });

  describe('bounds and malformed input', () => {
    it('chain length', () => {
      expectError(
        check([leaf.certificate, inter.certificate], { maxDepth: 2 }),
        'unknown_ca',
        48,
        /longer than 2/,
      );
      assert.equal(check([leaf.certificate, inter.certificate], { maxDepth: 3 }), null);
      const many = Array.from({ length: 11 }, () => inter.certificate);
      expectError(check([leaf.certificate, ...many]), 'bad_certificate', 42, /more than 10/);
      // A long but valid chain: 8 intermediates, within the default bound of 10.
      let issuer = root;
      const mids: CertifiedKeyPair[] = [];
      for (let i = 0; i < 8; i++) {
        issuer = make({ names: [], commonName: `Mid ${i}`, isCA: true, issuer: issuedBy(issuer) });
        mids.unshift(issuer);
      }
      const l = make({ names: ['deep.test'], issuer: issuedBy(issuer) });
      assert.equal(check([l.certificate, ...mids.map((m) => m.certificate)]), null);
      const extra = make({ names: [], commonName: 'Mid 8', isCA: true, issuer: issuedBy(issuer) });
      const l2 = make({ names: ['deep.test'], issuer: issuedBy(extra) });
      expectError(
        check([l2.certificate, extra.certificate, ...mids.map((m) => m.certificate)]),
        'unknown_ca',
        48,
        /longer than 10/,
      );
    });

    it('an empty chain and malformed certificates', () => {
      expectError(check([]), 'bad_certificate', 42, /no certificate/);
      const err = check([leaf.certificate, inter.certificate.subarray(0, 50)]);
      expectError(err, 'bad_certificate', 42, /certificate 1 of the chain is malformed/);
      assert.equal(err!.depth, 1);
      expectError(check([new Uint8Array(3)]), 'bad_certificate', 42, /^certificate is malformed/);
    });

    it('a malformed trust anchor is a configuration error', () => {
      for (const [, p] of testProviders) {
        assert.throws(
          () =>
            verifyCertificateChain(p, [leaf.certificate], {
              ...base,
              trustAnchors: [new Uint8Array(4)],
            }),
          /trust anchor 0 is not a valid certificate/,
        );
      }
    });
  });

  it('agrees with openssl verify (cross-check, skipped without openssl)', function () {
    if (spawnSync('openssl', ['version']).status !== 0) this.skip();
    const dir = mkdtempSync(path.join(tmpdir(), 'tsquic-pki-'));
    try {
      const file = (name: string, ders: Uint8Array[]) => {
        const p = path.join(dir, name);
        writeFileSync(p, ders.map((d) => pemEncode('CERTIFICATE', d)).join(''));
        return p;
      };
      const ca = file('root.pem', [root.certificate]);
      const untrusted = file('inter.pem', [inter.certificate]);
      const leafFile = file('leaf.pem', [leaf.certificate]);
      const attime = String(Math.floor(T2025 / 1000));
      const run = (...extra: string[]) =>
        spawnSync('openssl', ['verify', '-attime', attime, '-CAfile', ca, ...extra, leafFile], {
          encoding: 'utf8',
        });
      assert.equal(
        run('-untrusted', untrusted, '-purpose', 'sslserver', '-verify_hostname', 'www.example.com')
          .status,
        0,
      );
      assert.notEqual(
        run('-untrusted', untrusted, '-verify_hostname', 'a.b.example.com').status,
        0,
      );
      assert.notEqual(run().status, 0); // missing intermediate
      // A self-signed leaf is its own anchor for OpenSSL too.
      const self = make({ names: ['self.test'] });
      const selfFile = file('self.pem', [self.certificate]);
      const selfRun = spawnSync('openssl', [
        'verify',
        '-attime',
        attime,
        '-CAfile',
        selfFile,
        '-purpose',
        'sslserver',
        selfFile,
      ]);
      assert.equal(selfRun.status, 0);
      assert.equal(check([self.certificate], { trustAnchors: [self.certificate] }), null);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
