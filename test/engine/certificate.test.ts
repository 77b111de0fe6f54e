import assert from 'node:assert/strict';
import { defaultProvider } from '../../src/crypto/default-provider.js';
import { Engine } from '../../src/engine/engine.js';
import { createEnginePair, testCertificate } from '../../src/testing/pair.js';
import { createSelfSignedCertificate, pemEncode } from '../../src/tls/x509/index.js';

describe('engine: server certificate', () => {
  const made = createSelfSignedCertificate(defaultProvider, { names: ['localhost'] });
  const other = createSelfSignedCertificate(defaultProvider, { names: ['localhost'] });

  it('takes a certificate with its own key', () => {
    new Engine({
      server: { alpn: ['x'], certificate: { chain: [made.certificate], key: made.key } },
    });
  });

  it('refuses a key that is not the certificate’s, before any client arrives', () => {
    assert.throws(
      () =>
        new Engine({
          server: { alpn: ['x'], certificate: { chain: [made.certificate], key: other.key } },
        }),
      /server certificate and its private key do not match/,
    );
  });

  it('a client takes its ca as PEM or DER, one or a list, as tsquic/node does', () => {
    const { ca } = testCertificate();
    const pem = pemEncode('CERTIFICATE', ca);
    for (const form of [pem, ca, [ca], [pem], new TextEncoder().encode(pem)]) {
      const pair = createEnginePair({ client: { ca: form } });
      assert.ok(pair.handshake(), `handshake with ca given as ${typeof form}`);
    }
    // The wrong CA in PEM is still the wrong CA.
    const wrong = pemEncode('CERTIFICATE', other.certificate);
    assert.equal(createEnginePair({ client: { ca: wrong } }).handshake(), false);
  });
});
