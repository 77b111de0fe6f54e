/**
 * Full in-memory handshakes between the TLS client and server: every cipher suite × group ×
 * server key type, HelloRetryRequest both ways, client certificates, asynchronous callbacks,
 * events order and the key log.
 */
import assert from 'node:assert/strict';
import type { KeyExchangeGroup, KeyType } from '../../src/crypto/provider.js';
import { toHex, utf8 } from '../../src/util/bytes.js';
import { Alert } from '../../src/tls/alert.js';
import { HandshakeSession } from '../../src/tls/session.js';
import type { TlsSession } from '../../src/tls/types.js';
import type { CertifiedKey, CipherSuiteName } from '../../src/tls/types.js';
import {
  CLIENT_TP,
  Level,
  type Pair,
  SERVER_TP,
  type TestPki,
  clientConfig,
  handshake,
  makePki,
  pair,
  serverConfig,
} from './harness.js';

const KEY_TYPES: KeyType[] = ['ec-p256', 'ec-p384', 'ed25519', 'rsa'];
const SUITES: CipherSuiteName[] = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
];
const GROUPS: KeyExchangeGroup[] = ['x25519', 'secp256r1', 'secp384r1'];

const pkis = new Map<KeyType, TestPki>();
before(function () {
  this.timeout(20000);
  for (const k of KEY_TYPES) pkis.set(k, makePki(k));
});
const pki = (k: KeyType): TestPki => pkis.get(k)!;

/** Both sides completed, agree on every secret, and saw each other's parameters. */
function assertConnected(p: Pair, suite?: CipherSuiteName): void {
  const { client, server } = p;
  assert.equal(client.alert, null, client.alert?.reason);
  assert.equal(server.alert, null, server.alert?.reason);
  assert.ok(client.completed && server.completed);
  assert.ok(client.session.handshakeComplete && server.session.handshakeComplete);
  for (const level of [Level.Handshake, Level.Application]) {
    const cw = client.secret(level, 'write');
    const sr = server.secret(level, 'read');
    const sw = server.secret(level, 'write');
    const cr = client.secret(level, 'read');
    assert.ok(cw && sr && sw && cr, `secrets at level ${level}`);
    assert.equal(toHex(cw), toHex(sr));
    assert.equal(toHex(sw), toHex(cr));
    assert.notEqual(toHex(cw), toHex(sw));
  }
  if (suite !== undefined) {
    for (const s of [...client.secrets.values(), ...server.secrets.values()]) {
      assert.equal(s.suite, suite);
    }
  }
  assert.deepEqual(client.peerTransportParameters, SERVER_TP);
  assert.deepEqual(server.peerTransportParameters, CLIENT_TP);
  assert.equal(client.session.alpn, 'h3');
  assert.equal(server.session.alpn, 'h3');
  assert.equal(client.session.cipherSuite, server.session.cipherSuite);
  assert.equal(client.session.group, server.session.group);
  const ctx = utf8('context');
  assert.equal(
    toHex(client.session.exportKeyingMaterial('EXPORTER-test', ctx, 32)),
    toHex(server.session.exportKeyingMaterial('EXPORTER-test', ctx, 32)),
  );
}

describe('tls handshake: suite × group × key type', () => {
  for (const keyType of KEY_TYPES) {
    for (const suite of SUITES) {
      for (const group of GROUPS) {
        it(`${keyType} ${suite} ${group}`, async () => {
          const p = await handshake(
            clientConfig(pki(keyType), { cipherSuites: [suite], groups: [group] }),
            serverConfig(pki(keyType), { groups: [group] }),
          );
          assertConnected(p, suite);
          assert.equal(p.client.session.cipherSuite, suite);
          assert.equal(p.client.session.group, group);
          assert.deepEqual(p.client.session.peerCertificates, pki(keyType).server.chain);
          assert.equal(p.server.session.serverName, 'example.com');
          assert.equal(p.client.session.resumed, false);
        });
      }
    }
  }
});

describe('tls handshake: negotiation', () => {
  it('follows the server suite preference', async () => {
    const p = await handshake(
      clientConfig(pki('ec-p256')),
      serverConfig(pki('ec-p256'), {
        cipherSuites: ['TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_GCM_SHA256'],
      }),
    );
    assertConnected(p, 'TLS_CHACHA20_POLY1305_SHA256');
  });

  it('picks the preferred group among several key shares without a retry', async () => {
    const p = await handshake(
      clientConfig(pki('ec-p256'), { keyShareGroups: ['x25519', 'secp256r1'] }),
      serverConfig(pki('ec-p256'), { groups: ['secp256r1', 'x25519'] }),
    );
    assertConnected(p);
    assert.equal(p.server.session.group, 'secp256r1');
    assert.equal(p.client.data.filter((d) => d.level === Level.Initial).length, 1);
  });

  it('emits events in the documented order', async () => {
    const p = await handshake(clientConfig(pki('ec-p256')), serverConfig(pki('ec-p256')));
    assertConnected(p);
    assert.deepEqual(p.client.events, [
      'data:0',
      'secret:2/read',
      'secret:2/write',
      'tp',
      'secret:3/read',
      'data:2',
      'secret:3/write',
      'complete',
    ]);
    assert.deepEqual(p.server.events, [
      'tp',
      'data:0',
      'secret:2/write',
      'secret:2/read',
      'data:2',
      'secret:3/write',
      'secret:3/read',
      'complete',
    ]);
  });

  it('connects to an IP address without SNI, checking the IP SAN', async () => {
    const p = await handshake(
      clientConfig(pki('ec-p256'), { serverName: '127.0.0.1' }),
      serverConfig(pki('ec-p256')),
    );
    assertConnected(p);
    assert.equal(p.server.session.serverName, null);
  });

  it('selects the certificate by SNI, asynchronously, and ALPN asynchronously', async () => {
    const other = pki('ed25519');
    const seen: (string | null)[] = [];
    const p = await handshake(
      clientConfig(other, { alpnProtocols: ['h3-29', 'h3'] }),
      serverConfig(pki('ec-p256'), {
        certificate: undefined,
        alpnProtocols: undefined,
        selectCertificate: async (info) => {
          seen.push(info.serverName);
          assert.ok(info.signatureSchemes.includes('ed25519'));
          await new Promise((r) => setImmediate(r));
          return info.serverName === 'example.com' ? other.server : null;
        },
        selectAlpn: (offered) => Promise.resolve(offered.includes('h3') ? 'h3' : null),
      }),
    );
    assertConnected(p);
    assert.deepEqual(seen, ['example.com']);
    assert.deepEqual(p.client.session.peerCertificates, other.server.chain);
  });

  it('buffers input that arrives while the certificate callback is pending', async () => {
    let release!: (c: CertifiedKey) => void;
    const p = pair(
      clientConfig(pki('ec-p256')),
      serverConfig(pki('ec-p256'), {
        selectCertificate: () => new Promise<CertifiedKey>((r) => (release = r)),
      }),
    );
    const ch = p.client.outbox.shift()!;
    p.server.session.receive(ch.level, ch.data.subarray(0, 10));
    p.server.session.receive(ch.level, ch.data.subarray(10));
    // The callback is pending: nothing is sent until it resolves.
    assert.equal(p.server.data.length, 0);
    release(pki('ec-p256').server);
    await p.run();
    assertConnected(p);
  });

  it('processes input buffered during a pending callback after it resolves', async () => {
    let release!: (c: CertifiedKey) => void;
    const p = pair(
      clientConfig(pki('ec-p256')),
      serverConfig(pki('ec-p256'), {
        selectCertificate: () => new Promise<CertifiedKey>((r) => (release = r)),
      }),
    );
    const ch = p.client.outbox.shift()!;
    p.server.session.receive(ch.level, ch.data);
    // A stray Initial byte after the ClientHello: buffered, judged once the handshake moves on.
    p.server.session.receive(Level.Initial, Uint8Array.of(1));
    const alertOf = (): number | undefined => p.server.alert?.alert;
    assert.equal(alertOf(), undefined);
    release(pki('ec-p256').server);
    await new Promise((r) => setImmediate(r));
    assert.equal(alertOf(), Alert.unexpected_message);
    assert.equal(p.server.data.length, 2, 'the flight went out before the stray byte was read');
  });

  it('fails with internal_error when a callback rejects', async () => {
    const p = await handshake(
      clientConfig(pki('ec-p256')),
      serverConfig(pki('ec-p256'), { selectCertificate: () => Promise.reject(new Error('boom')) }),
    );
    assert.equal(p.server.alert?.alert, Alert.internal_error);
    assert.match(p.server.alert!.reason, /boom/);
  });

  it('fails with unrecognized_name when no certificate fits the SNI', async () => {
    const p = await handshake(
      clientConfig(pki('ec-p256')),
      serverConfig(pki('ec-p256'), { selectCertificate: () => null }),
    );
    assert.equal(p.server.alert?.alert, Alert.unrecognized_name);
  });

  it('writes SSLKEYLOGFILE lines with the client random', async () => {
    const clientLog: string[] = [];
    const serverLog: string[] = [];
    const p = await handshake(
      clientConfig(pki('ec-p256'), { keyLog: (l) => clientLog.push(l) }),
      serverConfig(pki('ec-p256'), { keyLog: (l) => serverLog.push(l) }),
    );
    assertConnected(p);
    const labels = clientLog.map((l) => l.split(' ')[0]).sort();
    assert.deepEqual(labels, [
      'CLIENT_HANDSHAKE_TRAFFIC_SECRET',
      'CLIENT_TRAFFIC_SECRET_0',
      'SERVER_HANDSHAKE_TRAFFIC_SECRET',
      'SERVER_TRAFFIC_SECRET_0',
    ]);
    assert.deepEqual([...clientLog].sort(), [...serverLog].sort());
    const random = toHex(p.client.data[0]!.data.subarray(6, 38));
    for (const line of clientLog) {
      const [label, cr, secret] = line.split(' ');
      assert.equal(cr, random);
      if (label === 'CLIENT_TRAFFIC_SECRET_0') {
        assert.equal(secret, toHex(p.client.secret(Level.Application, 'write')!));
      }
    }
  });
});

describe('tls handshake: HelloRetryRequest', () => {
  it('retries with the group the server asks for', async () => {
    const p = await handshake(
      clientConfig(pki('ec-p256'), { groups: ['x25519', 'secp384r1'] }),
      serverConfig(pki('ec-p256'), { groups: ['secp384r1'] }),
    );
    assertConnected(p);
    assert.equal(p.client.session.group, 'secp384r1');
    // ClientHello, then the second ClientHello after the HRR.
    assert.deepEqual(
      p.client.data.map((d) => d.level),
      [Level.Initial, Level.Initial, Level.Handshake],
    );
    assert.deepEqual(
      p.server.data.map((d) => d.level),
      [Level.Initial, Level.Initial, Level.Handshake],
    );
  });

  it('retries with a SHA-384 suite (message_hash uses the suite hash)', async () => {
    const p = await handshake(
      clientConfig(pki('ec-p384'), { cipherSuites: ['TLS_AES_256_GCM_SHA384'] }),
      serverConfig(pki('ec-p384'), { groups: ['secp256r1'] }),
    );
    assertConnected(p, 'TLS_AES_256_GCM_SHA384');
    assert.equal(p.server.session.group, 'secp256r1');
  });

  it('fails with handshake_failure without a common group', async () => {
    const p = await handshake(
      clientConfig(pki('ec-p256'), { groups: ['x25519'] }),
      serverConfig(pki('ec-p256'), { groups: ['secp256r1'] }),
    );
    assert.equal(p.server.alert?.alert, Alert.handshake_failure);
  });
});

describe('tls handshake: client certificates', () => {
  for (const keyType of ['ec-p256', 'rsa'] as KeyType[]) {
    it(`authenticates a ${keyType} client certificate`, async () => {
      const k = pki(keyType);
      const p = await handshake(
        clientConfig(k, { certificate: k.client }),
        serverConfig(k, { clientAuth: { required: true, trustAnchors: [k.caCert] } }),
      );
      assertConnected(p);
      assert.deepEqual(p.server.session.peerCertificates, k.client.chain);
    });
  }

  it('continues without a client certificate when it is optional', async () => {
    const k = pki('ec-p256');
    const p = await handshake(
      clientConfig(k),
      serverConfig(k, { clientAuth: { trustAnchors: [k.caCert] } }),
    );
    assertConnected(p);
    assert.deepEqual(p.server.session.peerCertificates, []);
  });

  it('fails with certificate_required when it is required', async () => {
    const k = pki('ec-p256');
    const p = await handshake(
      clientConfig(k),
      serverConfig(k, { clientAuth: { required: true, trustAnchors: [k.caCert] } }),
    );
    assert.equal(p.server.alert?.alert, Alert.certificate_required);
    assert.equal(p.server.completed, false);
  });

  it('fails with unknown_ca for a client certificate from another CA', async () => {
    const k = pki('ec-p256');
    const p = await handshake(
      clientConfig(k, { certificate: pki('ec-p384').client }),
      serverConfig(k, { clientAuth: { required: true, trustAnchors: [k.caCert] } }),
    );
    assert.equal(p.server.alert?.alert, Alert.unknown_ca);
  });
});

/** The session's handshake-only state is gone (transcript, secrets, past levels' reassembly). */
function released(session: TlsSession): boolean {
  assert.ok(session instanceof HandshakeSession);
  return session.handshakeStateReleased;
}

describe('tls handshake: state after completion', () => {
  it('releases what only the handshake needed, once complete, on both sides', async () => {
    const k = pki('ec-p256');
    const p = pair(clientConfig(k), serverConfig(k));
    // Mid-handshake (the ClientHello waits in the outbox) nothing is released yet.
    assert.equal(released(p.client.session), false);
    assert.equal(released(p.server.session), false);
    await p.run();
    assertConnected(p); // includes matching exporter values after the release
    assert.equal(released(p.client.session), true);
    assert.equal(released(p.server.session), true);
  });

  it('releases after client authentication and after a HelloRetryRequest too', async () => {
    const k = pki('ec-p256');
    const p = await handshake(
      clientConfig(k, { certificate: k.client, groups: ['x25519', 'secp384r1'] }),
      serverConfig(k, {
        groups: ['secp384r1'],
        clientAuth: { required: true, trustAnchors: [k.caCert] },
      }),
    );
    assertConnected(p);
    // The second ClientHello answers a HelloRetryRequest.
    assert.equal(p.client.data.filter((d) => d.level === Level.Initial).length, 2);
    assert.equal(released(p.client.session), true);
    assert.equal(released(p.server.session), true);
    assert.equal(p.server.session.peerCertificates.length, 1);
  });

  it('refuses handshake messages after completion without the released state', async () => {
    const k = pki('ec-p256');
    const p = await handshake(clientConfig(k), serverConfig(k));
    assertConnected(p);
    const finished = p.client.data.find((d) => d.level === Level.Handshake)!.data;
    p.server.session.receive(Level.Handshake, finished);
    assert.equal(p.server.alert?.alert, Alert.unexpected_message);
  });
});
