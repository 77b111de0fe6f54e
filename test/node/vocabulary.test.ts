/**
 * One vocabulary for certificates: `cert` is certificate bytes (DER, or PEM in tsquic/node
 * options) and `certificate` a chain with its private key, `{ chain, key }`. The result of
 * `createSelfSignedCertificate` is such a pair, usable as a server's or a client's
 * `certificate`; the old spellings still work (deprecated, CHANGELOG.md).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { defaultProvider } from '../../src/crypto/default-provider.js';
import { parseCertificate } from '../../src/tls/x509/index.js';
import { createSelfSignedCertificate } from '../../src/index.js';
import { connect, createServer, type QuicServer } from '../../src/node/index.js';
import { createEnginePair, testCertificate } from '../../src/testing/index.js';

describe('certificate vocabulary', function () {
  this.timeout(30_000);
  const made = createSelfSignedCertificate(defaultProvider, {
    names: ['localhost', '127.0.0.1'],
    notBefore: Date.UTC(2020, 0, 1),
    notAfter: Date.UTC(2099, 0, 1),
  });

  it('createSelfSignedCertificate gives `cert` (DER) and a `{ chain, key }` pair', () => {
    assert.equal(parseCertificate(made.cert).subject.commonName, 'localhost');
    assert.deepEqual(made.chain, [made.cert]);
    assert.equal(made.certificate, made.cert, 'the deprecated alias is the same DER');
  });

  it('testCertificate() names the pair `certificate` (and `cert`, deprecated)', () => {
    const t = testCertificate();
    assert.equal(t.certificate.chain[0], t.ca);
    assert.equal(t.cert, t.certificate);
  });

  it('the pair is a server certificate as it is, in the core and with the old spelling', () => {
    for (const certificate of [
      { certificate: made, ca: made.cert },
      { cert: made, ca: made.cert },
    ]) {
      const p = createEnginePair({ certificate });
      assert.equal(p.handshake(), true);
      assert.deepEqual(p.conn.tls.peerCertificates, [made.cert]);
    }
  });

  describe('tsquic/node', () => {
    let server: QuicServer;
    const client = createSelfSignedCertificate(defaultProvider, {
      names: ['client.test'],
      notBefore: Date.UTC(2020, 0, 1),
      notAfter: Date.UTC(2099, 0, 1),
    });

    before(async () => {
      server = createServer({
        certificate: made,
        alpn: ['v'],
        clientAuth: { required: true, ca: client.cert },
      });
      await server.listen(0, '127.0.0.1');
    });
    after(() => server.close());

    it('a client presents `certificate` (a pair) and the server verifies it', async () => {
      const accepted = new Promise<string | undefined>((resolve) =>
        server.once('connection', (c) =>
          c.ready.then(() => resolve(c.getPeerCertificate()?.subject)),
        ),
      );
      const conn = connect(`https://localhost:${server.address()!.port}`, {
        alpn: ['v'],
        ca: made.cert,
        certificate: client,
      });
      await conn.ready;
      assert.match((await accepted) ?? '', /client\.test/);
      await conn.close();
    });

    it('without it the server, which requires one, refuses the handshake', async () => {
      const refused = once(server, 'tlsClientError');
      const conn = connect(`https://localhost:${server.address()!.port}`, {
        alpn: ['v'],
        ca: made.cert,
      });
      conn.ready.catch(() => {}); // the client may learn of the refusal after its own Finished
      const [error] = await refused;
      assert.equal(error.code, 'ERR_QUIC_TLS');
      assert.match(error.message, /certificate/);
      conn.destroy();
    });
  });
});
