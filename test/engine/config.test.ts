import assert from 'node:assert/strict';
import { defaultProvider } from '../../src/crypto/default-provider.js';
import {
  checkServerConfig,
  cidScheme,
  serverVersions,
  withAntiReplay,
  withKeyMaterial,
} from '../../src/engine/config.js';
import { generateKeyMaterial } from '../../src/engine/key-material.js';
import { MemoryAntiReplayStore } from '../../src/tls/anti-replay.js';
import { createSelfSignedCertificate } from '../../src/tls/x509/index.js';
import { fromHex } from '../../src/util/bytes.js';
import { QUIC_V1, QUIC_V2, SUPPORTED_VERSIONS } from '../../src/wire/version.js';

describe('engine config', () => {
  it('issues 8-byte random CIDs by default, or the length asked for within 4..20', () => {
    const own = cidScheme({}, defaultProvider);
    assert.equal(own.length, 8);
    assert.equal(own.generate().length, 8);
    assert.notDeepEqual(own.generate(), own.generate());
    assert.equal(cidScheme({ cidLength: 20 }, defaultProvider).generate().length, 20);
    assert.throws(() => cidScheme({ cidLength: 3 }, defaultProvider), /within 4\.\.20/);
    const mine = new Uint8Array(6).fill(7);
    assert.equal(
      cidScheme({ cidLength: 6, cidGenerator: () => mine }, defaultProvider).generate(),
      mine,
    );
  });

  it('takes its CID length from QUIC-LB, exclusive of a generator of its own', () => {
    const quicLb = {
      configId: 0,
      serverIdLength: 3,
      nonceLength: 4,
      serverId: fromHex('a1b2c3'),
    };
    const lb = cidScheme({ quicLb }, defaultProvider);
    assert.equal(lb.length, 8);
    assert.deepEqual(lb.generate().subarray(1, 4), fromHex('a1b2c3'));
    assert.throws(() => cidScheme({ quicLb, cidLength: 9 }, defaultProvider), /must be 8/);
    assert.throws(
      () => cidScheme({ quicLb, cidGenerator: () => new Uint8Array(8) }, defaultProvider),
      /exclusive/,
    );
  });

  it("a server's versions default to v1 and v2; one the engine does not speak is refused", () => {
    assert.equal(serverVersions({}), SUPPORTED_VERSIONS);
    const server = { alpn: ['x'], versions: [QUIC_V2, QUIC_V1] };
    assert.deepEqual(serverVersions({ server }), [QUIC_V2, QUIC_V1]);
    assert.throws(
      () => serverVersions({ server: { alpn: ['x'], versions: [0xff00001d] } }),
      /0xff00001d/,
    );
  });

  it('gives 0-RTT an anti-replay store of its own when none is given', () => {
    assert.equal(withAntiReplay(undefined), undefined);
    const plain = { alpn: ['x'] };
    assert.equal(withAntiReplay(plain), plain);
    assert.ok(
      withAntiReplay({ alpn: ['x'], earlyData: true })?.antiReplay instanceof MemoryAntiReplayStore,
    );
    const store = new MemoryAntiReplayStore();
    assert.equal(
      withAntiReplay({ alpn: ['x'], earlyData: true, antiReplay: store })?.antiReplay,
      store,
    );
  });

  it("takes the server's ticket keys from the key material unless it names its own", () => {
    const keys = generateKeyMaterial();
    const server = { alpn: ['x'] };
    const config = withKeyMaterial({ keys, server }, defaultProvider);
    assert.ok(config.server?.ticketKeys !== undefined);
    assert.equal('ticketKeys' in server, false, "the caller's object is left alone");
    const own = { alpn: ['x'], ticketKeys: config.server.ticketKeys };
    assert.equal(withKeyMaterial({ keys, server: own }, defaultProvider).server, own);
    const client = { keys };
    assert.equal(withKeyMaterial(client, defaultProvider), client, 'no server: unchanged');
  });

  it('refuses a certificate and key that do not match, and a bad congestion controller', () => {
    const a = createSelfSignedCertificate(defaultProvider, { names: ['localhost'] });
    const b = createSelfSignedCertificate(defaultProvider, { names: ['localhost'] });
    checkServerConfig({ server: { alpn: ['x'], certificate: a } }, defaultProvider);
    assert.throws(
      () =>
        checkServerConfig(
          { server: { alpn: ['x'], certificate: { chain: a.chain, key: b.key } } },
          defaultProvider,
        ),
      /do not match/,
    );
    assert.throws(
      () => checkServerConfig({ connection: { congestionControl: 'vegas' } }, defaultProvider),
      /vegas/,
    );
  });
});
