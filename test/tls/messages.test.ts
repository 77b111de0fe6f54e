/**
 * Handshake message and extension codecs: the RFC 8448 §3 messages parse and re-encode to the
 * same bytes; every extension body round-trips; malformed input raises the RFC's alert.
 */
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../src/util/bytes.js';
import { Alert, TlsAlert } from '../../src/tls/alert.js';
import { ExtensionType as X, HRR_RANDOM, HandshakeType } from '../../src/tls/constants.js';
import {
  bindersLength,
  decodeAlpn,
  decodeCookie,
  decodeKeyShareClient,
  decodeKeyShareServer,
  decodeMaxEarlyData,
  decodeOfferedPsks,
  decodePskModes,
  decodeServerName,
  decodeSupportedVersionsClient,
  decodeU16List,
  encodeAlpn,
  encodeCookie,
  encodeKeyShareClient,
  encodeKeyShareServer,
  encodeMaxEarlyData,
  encodeOfferedPsks,
  encodePskModes,
  encodeServerName,
  encodeSupportedVersionsClient,
  encodeU16List,
} from '../../src/tls/extension-codecs.js';
import { findExtension, readExtensions } from '../../src/tls/extensions.js';
import {
  decodeCertificate,
  decodeCertificateVerify,
  decodeEncryptedExtensions,
  decodeFinished,
  decodeNewSessionTicket,
  encodeCertificate,
  encodeCertificateVerify,
  encodeEncryptedExtensions,
  encodeFinished,
  encodeNewSessionTicket,
} from '../../src/tls/messages-auth.js';
import {
  decodeClientHello,
  decodeServerHello,
  encodeClientHello,
  encodeServerHello,
  fillBinders,
} from '../../src/tls/messages.js';
import { Reader } from '../../src/util/cursor.js';
import { loadVector } from '../vectors.js';

const v = loadVector('tls13-rfc8448-simple.json');
const msg = (name: string): Uint8Array => fromHex((v.messages as Record<string, string>)[name]!);

function throwsAlert(f: () => unknown, alert: number): void {
  assert.throws(f, (e: unknown) => e instanceof TlsAlert && e.alert === alert);
}

describe('tls messages: RFC 8448 §3', () => {
  it('parses the ClientHello and re-encodes it byte for byte', () => {
    const raw = msg('client_hello');
    assert.equal(raw[0], HandshakeType.client_hello);
    const ch = decodeClientHello(raw.subarray(4));
    assert.equal(ch.legacyVersion, 0x0303);
    assert.equal(
      toHex(ch.random),
      'cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7',
    );
    assert.equal(ch.legacySessionId.length, 0);
    assert.deepEqual(ch.cipherSuites, [0x1301, 0x1303, 0x1302]);
    assert.deepEqual(
      ch.extensions.map((e) => e.type),
      [0, 65281, 10, 35, 51, 43, 13, 45, 28],
    );
    assert.equal(decodeServerName(findExtension(ch.extensions, X.server_name)!), 'server');
    assert.deepEqual(
      decodeU16List(findExtension(ch.extensions, X.supported_groups)!, 'g'),
      [0x1d, 0x17, 0x18, 0x19, 0x100, 0x101, 0x102, 0x103, 0x104],
    );
    assert.deepEqual(
      decodeSupportedVersionsClient(findExtension(ch.extensions, X.supported_versions)!),
      [0x0304],
    );
    assert.deepEqual(decodePskModes(findExtension(ch.extensions, X.psk_key_exchange_modes)!), [1]);
    const shares = decodeKeyShareClient(findExtension(ch.extensions, X.key_share)!);
    assert.equal(toHex(shares[0]!.keyExchange), v.client_x25519_public);
    assert.equal(toHex(encodeClientHello(ch)), toHex(raw));
  });

  it('parses the ServerHello and re-encodes it byte for byte', () => {
    const raw = msg('server_hello');
    const sh = decodeServerHello(raw.subarray(4));
    assert.equal(sh.isHelloRetryRequest, false);
    assert.equal(sh.cipherSuite, 0x1301);
    assert.equal(sh.legacyCompressionMethod, 0);
    const share = decodeKeyShareServer(findExtension(sh.extensions, X.key_share)!);
    assert.equal(share.group, 0x1d);
    assert.equal(toHex(share.keyExchange), v.server_x25519_public);
    assert.equal(toHex(encodeServerHello(sh)), toHex(raw));
  });

  it('parses and re-encodes EncryptedExtensions, Certificate, CertificateVerify, Finished, NewSessionTicket', () => {
    const ee = msg('encrypted_extensions');
    assert.equal(
      toHex(encodeEncryptedExtensions(decodeEncryptedExtensions(ee.subarray(4)))),
      toHex(ee),
    );
    const cert = msg('certificate');
    const c = decodeCertificate(cert.subarray(4));
    assert.equal(c.entries.length, 1);
    assert.equal(c.entries[0]!.data[0], 0x30);
    assert.equal(toHex(encodeCertificate(c)), toHex(cert));
    const cv = msg('certificate_verify');
    const d = decodeCertificateVerify(cv.subarray(4));
    assert.equal(d.scheme, 0x0804);
    assert.equal(d.signature.length, 128);
    assert.equal(toHex(encodeCertificateVerify(d)), toHex(cv));
    const fin = msg('server_finished');
    assert.equal(toHex(encodeFinished(decodeFinished(fin.subarray(4), 32))), toHex(fin));
    throwsAlert(() => decodeFinished(fin.subarray(4), 48), Alert.decode_error);
    const nst = msg('new_session_ticket');
    const t = decodeNewSessionTicket(nst.subarray(4));
    assert.equal(t.lifetime, 30);
    assert.equal(toHex(t.nonce), '0000');
    assert.equal(decodeMaxEarlyData(findExtension(t.extensions, X.early_data)!), 1024);
    assert.equal(toHex(encodeNewSessionTicket(t)), toHex(nst));
  });

  it('recognizes a HelloRetryRequest by its random', () => {
    const sh = decodeServerHello(msg('server_hello').subarray(4));
    const hrr = encodeServerHello({
      ...sh,
      random: HRR_RANDOM,
      extensions: [{ type: X.cookie, data: encodeCookie(Uint8Array.of(1)) }],
    });
    assert.equal(decodeServerHello(hrr.subarray(4)).isHelloRetryRequest, true);
    // A cookie is not allowed in a real ServerHello.
    const notHrr = encodeServerHello({
      ...sh,
      extensions: [{ type: X.cookie, data: encodeCookie(Uint8Array.of(1)) }],
    });
    throwsAlert(() => decodeServerHello(notHrr.subarray(4)), Alert.illegal_parameter);
  });
});

describe('tls extension codecs', () => {
  it('round-trip', () => {
    assert.equal(decodeServerName(encodeServerName('Example.COM')), 'example.com');
    assert.deepEqual(decodeAlpn(encodeAlpn(['h3', 'hq-interop'])), ['h3', 'hq-interop']);
    assert.deepEqual(decodeU16List(encodeU16List([1, 0xfefe]), 'x'), [1, 0xfefe]);
    assert.deepEqual(
      decodeSupportedVersionsClient(encodeSupportedVersionsClient([0x0304, 0x7a7a])),
      [0x0304, 0x7a7a],
    );
    const shares = [
      { group: 0x1d, keyExchange: new Uint8Array(32).fill(1) },
      { group: 0x17, keyExchange: new Uint8Array(65).fill(4) },
    ];
    assert.deepEqual(decodeKeyShareClient(encodeKeyShareClient(shares)), shares);
    assert.deepEqual(decodeKeyShareServer(encodeKeyShareServer(shares[0]!)), shares[0]);
    assert.deepEqual(decodePskModes(encodePskModes([1, 0])), [1, 0]);
    assert.equal(decodeMaxEarlyData(encodeMaxEarlyData(0xffffffff)), 0xffffffff);
    assert.deepEqual(decodeCookie(encodeCookie(Uint8Array.of(9, 8))), Uint8Array.of(9, 8));
    const ids = [{ identity: Uint8Array.of(1, 2, 3), obfuscatedTicketAge: 0x80000001 }];
    const psk = encodeOfferedPsks(ids, [32]);
    const back = decodeOfferedPsks(psk);
    assert.deepEqual(back.identities, ids);
    assert.equal(back.binders[0]!.length, 32);
    assert.equal(back.bindersLength, bindersLength([32]));
  });

  it('fills binders at the end of an encoded ClientHello', () => {
    const ch = decodeClientHello(msg('client_hello').subarray(4));
    const psk = encodeOfferedPsks([{ identity: Uint8Array.of(7), obfuscatedTicketAge: 1 }], [32]);
    const m = encodeClientHello({
      ...ch,
      extensions: [...ch.extensions, { type: X.pre_shared_key, data: psk }],
    });
    fillBinders(m, [new Uint8Array(32).fill(0xab)]);
    const parsed = decodeOfferedPsks(
      findExtension(decodeClientHello(m.subarray(4)).extensions, X.pre_shared_key)!,
    );
    assert.deepEqual(parsed.binders[0], new Uint8Array(32).fill(0xab));
  });

  it('refuse malformed bodies with decode_error', () => {
    const cases: [string, () => unknown][] = [
      ['empty server_name list', () => decodeServerName(Uint8Array.of(0, 0))],
      [
        'server_name trailing byte',
        () => decodeServerName(Uint8Array.of(...encodeServerName('a'), 0)),
      ],
      ['empty ALPN name', () => decodeAlpn(Uint8Array.of(0, 1, 0))],
      ['ALPN list too short', () => decodeAlpn(Uint8Array.of(0, 0))],
      ['odd group list', () => decodeU16List(Uint8Array.of(0, 3, 0, 1, 2), 'g')],
      ['odd versions', () => decodeSupportedVersionsClient(Uint8Array.of(3, 3, 4, 3))],
      ['empty key_exchange', () => decodeKeyShareClient(Uint8Array.of(0, 4, 0, 0x1d, 0, 0))],
      [
        'short binder',
        () =>
          decodeOfferedPsks(
            encodeOfferedPsks([{ identity: Uint8Array.of(1), obfuscatedTicketAge: 0 }], [31]),
          ),
      ],
      ['empty modes', () => decodePskModes(Uint8Array.of(0))],
      ['empty cookie', () => decodeCookie(Uint8Array.of(0, 0))],
    ];
    for (const [name, f] of cases) {
      assert.throws(
        f,
        (e: unknown) => e instanceof TlsAlert && e.alert === Alert.decode_error,
        name,
      );
    }
    // Truncation inside a vector surfaces as the cursor's DecodeError (mapped to decode_error).
    assert.throws(() => decodeAlpn(Uint8Array.of(0, 5, 2, 0x68)));
  });

  it('refuse two host names and non-ASCII names with illegal_parameter', () => {
    throwsAlert(
      () => decodeServerName(Uint8Array.of(0, 8, 0, 0, 1, 0x61, 0, 0, 1, 0x62)),
      Alert.illegal_parameter,
    );
    throwsAlert(
      () => decodeServerName(Uint8Array.of(0, 4, 0, 0, 1, 0xc3)),
      Alert.illegal_parameter,
    );
  });

  it('refuse duplicates and misplaced extensions with illegal_parameter', () => {
    const list = (types: number[]): Reader => {
      const body: number[] = [];
      for (const t of types) body.push(t >> 8, t & 0xff, 0, 0);
      return new Reader(Uint8Array.of(body.length >> 8, body.length & 0xff, ...body));
    };
    throwsAlert(() => readExtensions(list([0x1234, 0x1234]), 'CH'), Alert.illegal_parameter);
    throwsAlert(() => readExtensions(list([X.cookie]), 'EE'), Alert.illegal_parameter);
    throwsAlert(() => readExtensions(list([X.early_data]), 'SH'), Alert.illegal_parameter);
    assert.equal(readExtensions(list([0x1234, X.early_data]), 'NST').length, 2);
    const ch = decodeClientHello(msg('client_hello').subarray(4));
    const m = encodeClientHello({
      ...ch,
      extensions: [{ type: X.pre_shared_key, data: new Uint8Array(0) }, ...ch.extensions],
    });
    throwsAlert(() => decodeClientHello(m.subarray(4)), Alert.illegal_parameter);
  });
});
