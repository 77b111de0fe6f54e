import assert from 'node:assert/strict';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { createSelfSignedCertificate, verifyCertificateChain } from '../../src/tls/x509/index.js';
import { PRESENTED_CACHE_SIZE, parsePresentedCertificate } from '../../src/tls/x509/presented.js';
import { CertificateParseError } from '../../src/tls/x509/errors.js';
import { T2025, nodeTestProvider as node, validity } from './helpers.js';

const make = (opts: Parameters<typeof createSelfSignedCertificate>[1]) =>
  createSelfSignedCertificate(node, { ...validity, ...opts });
const root = make({ names: [], commonName: 'Presented Root', isCA: true });
const leaf = make({
  names: ['localhost'],
  issuer: { cert: root.certificate, key: root.key },
});

/** `node` with its verify calls counted, and refused while `refuse` is set. */
function countingProvider(): {
  provider: Pick<CryptoProvider, 'verify'>;
  calls: () => number;
  refuse: (r: boolean) => void;
} {
  let calls = 0;
  let refusing = false;
  return {
    provider: {
      verify: (...args: Parameters<CryptoProvider['verify']>) => {
        calls++;
        return !refusing && node.verify(...args);
      },
    },
    calls: () => calls,
    refuse: (r) => (refusing = r),
  };
}

describe('x509: presented certificates parsed once', () => {
  it('the same bytes, from any buffer, give the same parse', () => {
    const a = parsePresentedCertificate(leaf.certificate);
    const b = parsePresentedCertificate(new Uint8Array(leaf.certificate));
    assert.equal(a, b);
    assert.deepEqual(a.subjectAltName?.dnsNames, ['localhost']);
  });

  it('owns its bytes: a handshake buffer reused afterwards does not change the parse', () => {
    const buf = new Uint8Array(root.certificate);
    const cert = parsePresentedCertificate(buf);
    buf.fill(0);
    assert.deepEqual(cert.der, root.certificate);
    assert.equal(cert.subject.text.includes('Presented Root'), true);
    assert.equal(parsePresentedCertificate(root.certificate), cert);
  });

  it('a malformed certificate throws every time and is not kept', () => {
    const bad = leaf.certificate.slice(0, 40);
    for (let i = 0; i < 2; i++) {
      assert.throws(() => parsePresentedCertificate(bad), CertificateParseError);
    }
  });

  it(`keeps the last ${PRESENTED_CACHE_SIZE} distinct certificates`, () => {
    const first = parsePresentedCertificate(leaf.certificate);
    const others = Array.from({ length: PRESENTED_CACHE_SIZE }, (_, i) =>
      make({ names: [`host${i}.example`] }),
    );
    for (const o of others) parsePresentedCertificate(o.certificate);
    // Evicted: parsed again, into a new object with the same content.
    const again = parsePresentedCertificate(leaf.certificate);
    assert.notEqual(again, first);
    assert.deepEqual(again.der, first.der);
    // The most recent ones stay.
    const last = others[others.length - 1]!.certificate;
    assert.equal(parsePresentedCertificate(last), parsePresentedCertificate(last));
  });

  it('a signature that verified is not verified again by the same provider; another provider checks', () => {
    const opts = { trustAnchors: [root.certificate], now: T2025, purpose: 'server' as const };
    const p1 = countingProvider();
    assert.equal(verifyCertificateChain(p1.provider, [leaf.certificate], opts), null);
    assert.equal(p1.calls(), 1);
    assert.equal(
      verifyCertificateChain(p1.provider, [new Uint8Array(leaf.certificate)], opts),
      null,
    );
    assert.equal(p1.calls(), 1);

    // A provider is the judge of its own verify: one that refuses is asked, and refuses.
    const p2 = countingProvider();
    p2.refuse(true);
    assert.equal(
      verifyCertificateChain(p2.provider, [leaf.certificate], opts)?.kind,
      'bad_signature',
    );
    assert.equal(p2.calls(), 1);
    // A refusal is not remembered as a success.
    p2.refuse(false);
    assert.equal(verifyCertificateChain(p2.provider, [leaf.certificate], opts), null);
    assert.equal(p2.calls(), 2);
  });

  it('dates are still checked every time against the handshake time', () => {
    const p = countingProvider();
    const opts = { trustAnchors: [root.certificate], now: T2025, purpose: 'server' as const };
    assert.equal(verifyCertificateChain(p.provider, [leaf.certificate], opts), null);
    const late = verifyCertificateChain(p.provider, [leaf.certificate], {
      ...opts,
      now: Date.UTC(2100, 0, 1),
    });
    assert.equal(late?.kind, 'expired');
  });
});
