/**
 * Handshakes that must fail: each ends with the right alert on the side that detects the
 * problem, no exception escapes receive(), and nothing is emitted after the alert (the harness
 * throws if a session emits output after its alert).
 */
import assert from 'node:assert/strict';
import { TransportError } from '../../src/wire/errors.js';
import { Alert } from '../../src/tls/alert.js';
import { ExtensionType, HandshakeType } from '../../src/tls/constants.js';
import {
  decodeServerHello,
  decodeClientHello,
  encodeClientHello,
  encodeServerHello,
} from '../../src/tls/messages.js';
import {
  decodeEncryptedExtensions,
  encodeEncryptedExtensions,
} from '../../src/tls/messages-auth.js';
import type { Extension } from '../../src/tls/extensions.js';
import { createTlsClient } from '../../src/tls/client.js';
import { createTlsServer } from '../../src/tls/server.js';
import {
  Level,
  NOW,
  type Pair,
  Side,
  type Tamper,
  type TestPki,
  clientConfig,
  editMessage,
  frame,
  handshake,
  makePki,
  pair,
  serverConfig,
} from './harness.js';

let pki: TestPki;
let expired: TestPki;
let otherCa: TestPki;
before(function () {
  this.timeout(10000);
  pki = makePki('ec-p256');
  expired = makePki('ec-p256', { notAfter: NOW - 1000 });
  otherCa = makePki('ec-p256');
});

/** One side failed with `alert`; the handshake did not complete there. */
function assertAlert(
  p: Pair,
  side: 'client' | 'server',
  alert: number,
  transportError?: number,
): void {
  const s = p[side];
  assert.ok(s.alert !== null, `${side} expected alert ${alert}, got none`);
  assert.equal(s.alert.alert, alert, s.alert.reason);
  assert.equal(s.alert.transportError, transportError);
  assert.equal(s.completed, false);
  assert.equal(s.session.failed, true);
}

const flipLast: (m: Uint8Array) => Uint8Array = (m) => {
  const d = m.slice();
  d[d.length - 1] = d[d.length - 1]! ^ 0x01;
  return d;
};

function withoutExtension(exts: readonly Extension[], type: number): Extension[] {
  return exts.filter((e) => e.type !== type);
}

const editClientHello = (edit: (ch: ReturnType<typeof decodeClientHello>) => object): Tamper =>
  editMessage('client', HandshakeType.client_hello, (m) =>
    encodeClientHello({
      ...decodeClientHello(m.subarray(4)),
      ...edit(decodeClientHello(m.subarray(4))),
    }),
  );

describe('tls negative: authentication', () => {
  it('bad server Finished -> decrypt_error', async () => {
    const p = await handshake(
      clientConfig(pki),
      serverConfig(pki),
      editMessage('server', HandshakeType.finished, flipLast),
    );
    assertAlert(p, 'client', Alert.decrypt_error);
  });

  it('bad client Finished -> decrypt_error', async () => {
    const p = await handshake(
      clientConfig(pki),
      serverConfig(pki),
      editMessage('client', HandshakeType.finished, flipLast),
    );
    assertAlert(p, 'server', Alert.decrypt_error);
    assert.equal(p.server.secret(Level.Application, 'read'), undefined);
  });

  it('bad CertificateVerify signature -> decrypt_error', async () => {
    const p = await handshake(
      clientConfig(pki),
      serverConfig(pki),
      editMessage('server', HandshakeType.certificate_verify, flipLast),
    );
    assertAlert(p, 'client', Alert.decrypt_error);
  });

  it('bad CertificateVerify is still caught with insecure: true', async () => {
    const p = await handshake(
      clientConfig(otherCa, { insecure: true, serverName: 'wrong.example' }),
      serverConfig(pki),
      editMessage('server', HandshakeType.certificate_verify, flipLast),
    );
    assertAlert(p, 'client', Alert.decrypt_error);
  });

  it('insecure: true skips the chain and name checks', async () => {
    const p = await handshake(
      clientConfig(otherCa, { insecure: true, serverName: 'wrong.example' }),
      serverConfig(pki),
    );
    assert.equal(p.client.alert, null);
    assert.ok(p.client.completed);
  });

  it('CertificateVerify with a scheme the key cannot use -> illegal_parameter', async () => {
    const p = await handshake(
      clientConfig(pki),
      serverConfig(pki),
      editMessage('server', HandshakeType.certificate_verify, (m) => {
        const d = m.slice();
        d[4] = 0x08; // ed25519 (0x0807) for an ECDSA key
        d[5] = 0x07;
        return d;
      }),
    );
    assertAlert(p, 'client', Alert.illegal_parameter);
  });

  it('wrong host name -> bad_certificate with the x509 message', async () => {
    const p = await handshake(
      clientConfig(pki, { serverName: 'other.example' }),
      serverConfig(pki),
    );
    assertAlert(p, 'client', Alert.bad_certificate);
    assert.match(p.client.alert!.reason, /other\.example/);
  });

  it('expired certificate -> certificate_expired', async () => {
    const p = await handshake(clientConfig(expired), serverConfig(expired));
    assertAlert(p, 'client', Alert.certificate_expired);
  });

  it('unknown CA -> unknown_ca', async () => {
    const p = await handshake(clientConfig(otherCa), serverConfig(pki));
    assertAlert(p, 'client', Alert.unknown_ca);
  });

  it('no trust anchors -> unknown_ca', async () => {
    const p = await handshake(clientConfig(pki, { trustAnchors: [] }), serverConfig(pki));
    assertAlert(p, 'client', Alert.unknown_ca);
  });

  it('garbage certificate -> bad_certificate', async () => {
    const p = await handshake(
      clientConfig(pki, { insecure: true }),
      serverConfig(pki, {
        certificate: { chain: [Uint8Array.of(0x30, 0x03, 1, 2, 3)], key: pki.server.key },
      }),
    );
    assertAlert(p, 'client', Alert.bad_certificate);
  });

  it('empty server Certificate -> decode_error', async () => {
    const p = await handshake(
      clientConfig(pki),
      serverConfig(pki),
      editMessage('server', HandshakeType.certificate, () =>
        frame(HandshakeType.certificate, Uint8Array.of(0, 0, 0, 0)),
      ),
    );
    assertAlert(p, 'client', Alert.decode_error);
  });
});

describe('tls negative: negotiation', () => {
  it('no ALPN overlap -> no_application_protocol', async () => {
    const p = await handshake(clientConfig(pki, { alpnProtocols: ['hq'] }), serverConfig(pki));
    assertAlert(p, 'server', Alert.no_application_protocol);
    assert.equal(p.server.data.length, 0);
  });

  it('server selecting a protocol not offered -> illegal_parameter', async () => {
    const p = await handshake(
      clientConfig(pki, { alpnProtocols: ['h3'] }),
      serverConfig(pki, { alpnProtocols: undefined, selectAlpn: () => 'h3' }),
      editMessage('server', HandshakeType.encrypted_extensions, (m) => {
        const exts = decodeEncryptedExtensions(m.subarray(4)).map((e) =>
          e.type === ExtensionType.application_layer_protocol_negotiation
            ? { type: e.type, data: Uint8Array.of(0, 3, 2, 0x68, 0x32) }
            : e,
        );
        return encodeEncryptedExtensions(exts);
      }),
    );
    assertAlert(p, 'client', Alert.illegal_parameter);
  });

  it('ClientHello without quic_transport_parameters -> missing_extension', async () => {
    const p = await handshake(
      clientConfig(pki),
      serverConfig(pki),
      editClientHello((ch) => ({
        extensions: withoutExtension(ch.extensions, ExtensionType.quic_transport_parameters),
      })),
    );
    assertAlert(p, 'server', Alert.missing_extension);
  });

  it('EncryptedExtensions without quic_transport_parameters -> missing_extension', async () => {
    const p = await handshake(
      clientConfig(pki),
      serverConfig(pki),
      editMessage('server', HandshakeType.encrypted_extensions, (m) =>
        encodeEncryptedExtensions(
          withoutExtension(
            decodeEncryptedExtensions(m.subarray(4)),
            ExtensionType.quic_transport_parameters,
          ),
        ),
      ),
    );
    assertAlert(p, 'client', Alert.missing_extension);
  });

  it('EncryptedExtensions without ALPN -> no_application_protocol', async () => {
    const p = await handshake(
      clientConfig(pki),
      serverConfig(pki),
      editMessage('server', HandshakeType.encrypted_extensions, (m) =>
        encodeEncryptedExtensions(
          withoutExtension(
            decodeEncryptedExtensions(m.subarray(4)),
            ExtensionType.application_layer_protocol_negotiation,
          ),
        ),
      ),
    );
    assertAlert(p, 'client', Alert.no_application_protocol);
  });

  it('unsolicited extension in EncryptedExtensions -> unsupported_extension', async () => {
    const p = await handshake(
      clientConfig(pki),
      serverConfig(pki),
      editMessage('server', HandshakeType.encrypted_extensions, (m) =>
        encodeEncryptedExtensions([
          ...decodeEncryptedExtensions(m.subarray(4)),
          { type: 0x1234, data: new Uint8Array(0) },
        ]),
      ),
    );
    assertAlert(p, 'client', Alert.unsupported_extension);
  });

  it('extension in the wrong message (key_share in EE) -> illegal_parameter', async () => {
    const p = await handshake(
      clientConfig(pki),
      serverConfig(pki),
      editMessage('server', HandshakeType.encrypted_extensions, (m) =>
        encodeEncryptedExtensions([
          ...decodeEncryptedExtensions(m.subarray(4)),
          { type: ExtensionType.key_share, data: new Uint8Array(0) },
        ]),
      ),
    );
    assertAlert(p, 'client', Alert.illegal_parameter);
  });

  it('duplicate extension -> illegal_parameter', async () => {
    const p = await handshake(
      clientConfig(pki),
      serverConfig(pki),
      editClientHello((ch) => ({ extensions: [ch.extensions[0]!, ...ch.extensions] })),
    );
    assertAlert(p, 'server', Alert.illegal_parameter);
  });

  it('unknown extensions and GREASE values in the ClientHello are ignored', async () => {
    const p = await handshake(
      clientConfig(pki),
      serverConfig(pki),
      editClientHello((ch) => ({
        cipherSuites: [0x0a0a, ...ch.cipherSuites],
        extensions: [
          { type: 0x1a1a, data: new Uint8Array(0) },
          { type: ExtensionType.padding, data: new Uint8Array(16) },
          ...ch.extensions,
        ],
      })),
    );
    // The server accepts the ClientHello and answers with its whole flight ...
    assert.equal(p.server.alert, null, p.server.alert?.reason);
    assert.deepEqual(
      p.server.data.map((d) => d.level),
      [Level.Initial, Level.Handshake],
    );
    // ... and the client, whose transcript holds the unmodified ClientHello, refuses the
    // signature over the modified one.
    assertAlert(p, 'client', Alert.decrypt_error);
  });

  it('TLS 1.2-only ClientHello -> protocol_version', async () => {
    const p = await handshake(
      clientConfig(pki),
      serverConfig(pki),
      editClientHello((ch) => ({
        extensions: withoutExtension(ch.extensions, ExtensionType.supported_versions),
      })),
    );
    assertAlert(p, 'server', Alert.protocol_version);
  });

  it('ClientHello offering only TLS 1.2 in supported_versions -> protocol_version', async () => {
    const p = await handshake(
      clientConfig(pki),
      serverConfig(pki),
      editClientHello((ch) => ({
        extensions: ch.extensions.map((e) =>
          e.type === ExtensionType.supported_versions
            ? { type: e.type, data: Uint8Array.of(4, 0x03, 0x03, 0x03, 0x02) }
            : e,
        ),
      })),
    );
    assertAlert(p, 'server', Alert.protocol_version);
  });

  it('TLS 1.2 ServerHello -> protocol_version', async () => {
    const p = await handshake(
      clientConfig(pki),
      serverConfig(pki),
      editMessage('server', HandshakeType.server_hello, (m) => {
        const sh = decodeServerHello(m.subarray(4));
        return encodeServerHello({
          ...sh,
          extensions: withoutExtension(sh.extensions, ExtensionType.supported_versions),
        });
      }),
    );
    assertAlert(p, 'client', Alert.protocol_version);
  });

  it('non-empty legacy_session_id -> PROTOCOL_VIOLATION (RFC 9001 §8.4)', async () => {
    const p = await handshake(
      clientConfig(pki),
      serverConfig(pki),
      editClientHello(() => ({ legacySessionId: new Uint8Array(32) })),
    );
    assertAlert(p, 'server', Alert.illegal_parameter, TransportError.PROTOCOL_VIOLATION);
  });

  it('compression offered -> illegal_parameter', async () => {
    const p = await handshake(
      clientConfig(pki),
      serverConfig(pki),
      editClientHello(() => ({ legacyCompressionMethods: Uint8Array.of(1, 0) })),
    );
    assertAlert(p, 'server', Alert.illegal_parameter);
  });

  it('no common cipher suite -> handshake_failure', async () => {
    const p = await handshake(
      clientConfig(pki, { cipherSuites: ['TLS_AES_256_GCM_SHA384'] }),
      serverConfig(pki, { cipherSuites: ['TLS_AES_128_GCM_SHA256'] }),
    );
    assertAlert(p, 'server', Alert.handshake_failure);
  });

  it('ServerHello with a suite not offered -> illegal_parameter', async () => {
    const p = await handshake(
      clientConfig(pki, { cipherSuites: ['TLS_AES_128_GCM_SHA256'] }),
      serverConfig(pki),
      editMessage('server', HandshakeType.server_hello, (m) =>
        encodeServerHello({ ...decodeServerHello(m.subarray(4)), cipherSuite: 0x1302 }),
      ),
    );
    assertAlert(p, 'client', Alert.illegal_parameter);
  });
});

describe('tls negative: HelloRetryRequest', () => {
  const hrrPair = (tamper: Tamper): Promise<Pair> =>
    handshake(
      clientConfig(pki, { groups: ['x25519', 'secp256r1'] }),
      serverConfig(pki, { groups: ['secp256r1'] }),
      tamper,
    );

  it('a second HelloRetryRequest -> unexpected_message', async () => {
    let hrr: Uint8Array | null = null;
    const p = await hrrPair((from, level, data) => {
      if (from !== 'server' || level !== Level.Initial) return data;
      if (hrr === null) {
        hrr = data;
        return data;
      }
      return hrr; // answer the second ClientHello with the HRR again
    });
    assertAlert(p, 'client', Alert.unexpected_message);
  });

  it('an HRR that would not change the ClientHello -> illegal_parameter', async () => {
    const p = await hrrPair(
      editMessage('server', HandshakeType.server_hello, (m) => {
        const sh = decodeServerHello(m.subarray(4));
        return encodeServerHello({
          ...sh,
          extensions: sh.extensions.filter((e) => e.type === ExtensionType.supported_versions),
        });
      }),
    );
    assertAlert(p, 'client', Alert.illegal_parameter);
  });

  it('an HRR for a group already offered -> illegal_parameter', async () => {
    const p = await hrrPair(
      editMessage('server', HandshakeType.server_hello, (m) => {
        const sh = decodeServerHello(m.subarray(4));
        return encodeServerHello({
          ...sh,
          extensions: sh.extensions.map((e) =>
            e.type === ExtensionType.key_share ? { type: e.type, data: Uint8Array.of(0, 0x1d) } : e,
          ),
        });
      }),
    );
    assertAlert(p, 'client', Alert.illegal_parameter);
  });

  it('an HRR for a group the client does not support -> illegal_parameter', async () => {
    const p = await hrrPair(
      editMessage('server', HandshakeType.server_hello, (m) => {
        const sh = decodeServerHello(m.subarray(4));
        return encodeServerHello({
          ...sh,
          extensions: sh.extensions.map((e) =>
            e.type === ExtensionType.key_share ? { type: e.type, data: Uint8Array.of(0, 0x18) } : e,
          ),
        });
      }),
    );
    assertAlert(p, 'client', Alert.illegal_parameter);
  });

  it('a second ClientHello without the cookie -> missing_extension', async () => {
    let n = 0;
    const p = await hrrPair((from, _level, data) => {
      if (from !== 'client' || data[0] !== HandshakeType.client_hello || n++ === 0) return data;
      const ch = decodeClientHello(data.subarray(4));
      return encodeClientHello({
        ...ch,
        extensions: withoutExtension(ch.extensions, ExtensionType.cookie),
      });
    });
    assertAlert(p, 'server', Alert.missing_extension);
  });

  it('a second ClientHello with the old key share -> illegal_parameter', async () => {
    let first: Uint8Array | null = null;
    const p = await hrrPair((from, _level, data) => {
      if (from !== 'client' || data[0] !== HandshakeType.client_hello) return data;
      if (first === null) {
        first = data;
        return data;
      }
      const ch2 = decodeClientHello(data.subarray(4));
      const ch1 = decodeClientHello(first.subarray(4));
      const share = ch1.extensions.find((e) => e.type === ExtensionType.key_share)!;
      return encodeClientHello({
        ...ch2,
        extensions: ch2.extensions.map((e) => (e.type === ExtensionType.key_share ? share : e)),
      });
    });
    assertAlert(p, 'server', Alert.illegal_parameter);
  });
});

describe('tls negative: order and level', () => {
  it('a message out of order (Certificate before EncryptedExtensions) -> unexpected_message', async () => {
    const p = await handshake(
      clientConfig(pki),
      serverConfig(pki),
      editMessage('server', HandshakeType.encrypted_extensions, () => null),
    );
    assertAlert(p, 'client', Alert.unexpected_message);
  });

  it('Finished before CertificateVerify -> unexpected_message', async () => {
    const p = await handshake(
      clientConfig(pki),
      serverConfig(pki),
      editMessage('server', HandshakeType.certificate_verify, () => null),
    );
    assertAlert(p, 'client', Alert.unexpected_message);
  });

  it('ServerHello at the Handshake level -> unexpected_message', async () => {
    const p = await handshake(clientConfig(pki), serverConfig(pki), (from, level, data) =>
      from === 'server' && level === Level.Initial ? { level: Level.Handshake, data } : data,
    );
    assertAlert(p, 'client', Alert.unexpected_message);
  });

  it('the server flight at the Initial level -> unexpected_message', async () => {
    const p = await handshake(clientConfig(pki), serverConfig(pki), (from, level, data) =>
      from === 'server' && level === Level.Handshake ? { level: Level.Initial, data } : data,
    );
    assertAlert(p, 'client', Alert.unexpected_message);
  });

  it('ClientHello at the Handshake level -> unexpected_message', async () => {
    const p = await handshake(clientConfig(pki), serverConfig(pki), (from, _level, data) =>
      from === 'client' ? { level: Level.Handshake, data } : data,
    );
    assertAlert(p, 'server', Alert.unexpected_message);
  });

  it('CRYPTO data in 0-RTT -> PROTOCOL_VIOLATION (RFC 9001 §8.3)', async () => {
    const p = await handshake(clientConfig(pki), serverConfig(pki), (from, _level, data) =>
      from === 'client' ? { level: Level.EarlyData, data } : data,
    );
    assertAlert(p, 'server', Alert.unexpected_message, TransportError.PROTOCOL_VIOLATION);
  });

  it('a partial message left behind at Initial -> PROTOCOL_VIOLATION (RFC 9001 §4.1.3)', async () => {
    const p = await handshake(clientConfig(pki), serverConfig(pki), (from, level, data) => {
      if (from !== 'server' || level !== Level.Initial) return data;
      const d = new Uint8Array(data.length + 2);
      d.set(data);
      d[data.length] = HandshakeType.server_hello;
      return d;
    });
    assertAlert(p, 'client', Alert.unexpected_message, TransportError.PROTOCOL_VIOLATION);
  });

  it('EndOfEarlyData -> unexpected_message (RFC 9001 §8.3)', async () => {
    const p = await handshake(clientConfig(pki), serverConfig(pki), (from, level, data) => {
      if (from !== 'client' || level !== Level.Handshake) return data;
      return frame(HandshakeType.end_of_early_data, new Uint8Array(0));
    });
    assertAlert(p, 'server', Alert.unexpected_message);
  });

  it('KeyUpdate after the handshake -> unexpected_message (RFC 9001 §6)', async () => {
    const p = await handshake(clientConfig(pki), serverConfig(pki));
    assert.ok(p.client.completed);
    p.client.session.receive(Level.Application, frame(HandshakeType.key_update, Uint8Array.of(0)));
    assert.equal(p.client.alert?.alert, Alert.unexpected_message);
  });

  it('post-handshake CertificateRequest -> PROTOCOL_VIOLATION (RFC 9001 §4.4)', async () => {
    const p = await handshake(clientConfig(pki), serverConfig(pki));
    p.client.session.receive(
      Level.Application,
      frame(HandshakeType.certificate_request, Uint8Array.of(0, 0, 0)),
    );
    assert.equal(p.client.alert?.alert, Alert.unexpected_message);
    assert.equal(p.client.alert?.transportError, TransportError.PROTOCOL_VIOLATION);
  });

  it('anything at the server after completion -> unexpected_message', async () => {
    const p = await handshake(clientConfig(pki), serverConfig(pki));
    p.server.session.receive(Level.Handshake, Uint8Array.of(20));
    assert.equal(p.server.alert?.alert, Alert.unexpected_message);
  });

  it('input after an alert is ignored', async () => {
    const p = await handshake(clientConfig(pki, { alpnProtocols: ['hq'] }), serverConfig(pki));
    assert.equal(p.server.alert?.alert, Alert.no_application_protocol);
    p.server.session.receive(Level.Initial, new Uint8Array(100));
    assert.equal(p.server.events.filter((e) => e.startsWith('alert')).length, 1);
  });

  it('an oversized message is refused at its header', () => {
    const server = new Side();
    server.session = createTlsServer(
      serverConfig(pki, { maxMessageSize: 4096 }),
      server.callbacks(),
    );
    server.session.receive(Level.Initial, Uint8Array.of(1, 0, 0x10, 0x01));
    assert.equal(server.alert?.alert, Alert.illegal_parameter);
  });

  it('bounds input buffered while a callback is pending', async () => {
    const p = pair(
      clientConfig(pki),
      serverConfig(pki, { maxMessageSize: 4096, selectCertificate: () => new Promise(() => {}) }),
    );
    const ch = p.client.outbox.shift()!;
    p.server.session.receive(ch.level, ch.data);
    for (let i = 0; i < 5 && p.server.alert === null; i++) {
      p.server.session.receive(Level.Handshake, new Uint8Array(1000));
    }
    assert.equal(p.server.alert?.transportError, TransportError.CRYPTO_BUFFER_EXCEEDED);
  });
});

describe('tls API misuse', () => {
  it('throws TypeError/RangeError for bad configuration and calls', () => {
    const cb = new Side().callbacks();
    assert.throws(() => createTlsClient(clientConfig(pki, { alpnProtocols: [] }), cb), TypeError);
    assert.throws(
      () => createTlsClient(clientConfig(pki, { alpnProtocols: [''] }), cb),
      RangeError,
    );
    assert.throws(
      () =>
        createTlsClient(
          clientConfig(pki, { keyShareGroups: ['secp384r1'], groups: ['x25519'] }),
          cb,
        ),
      RangeError,
    );
    assert.throws(
      () => createTlsClient(clientConfig(pki, { sessionTicket: Uint8Array.of(1, 2) }), cb),
      TypeError,
    );
    assert.throws(
      () => createTlsServer(serverConfig(pki, { certificate: undefined }), cb),
      TypeError,
    );
    assert.throws(
      () => createTlsServer(serverConfig(pki, { ticketLifetime: 604801 }), cb),
      RangeError,
    );
    const c = createTlsClient(clientConfig(pki), cb);
    assert.throws(() => c.exportKeyingMaterial('x', new Uint8Array(0), 16), TypeError);
    c.start();
    assert.throws(() => c.start(), TypeError);
    assert.throws(() => c.receive(7 as never, new Uint8Array(1)), RangeError);
  });
});
