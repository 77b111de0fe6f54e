import assert from 'node:assert/strict';
import { defaultProvider } from '../../src/crypto/default-provider.js';
import { Engine } from '../../src/engine/engine.js';
import { createSelfSignedCertificate } from '../../src/tls/x509/index.js';

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
});
