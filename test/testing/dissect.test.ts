import assert from 'node:assert/strict';
import { concatBytes, fromHex, toHex } from '../../src/util/bytes.js';
import { Writer } from '../../src/util/cursor.js';
import type { Frame } from '../../src/wire/frame-types.js';
import { encodeVersionNegotiation, writeShortHeader } from '../../src/wire/header.js';
import {
  defaultTransportParameters,
  encodeTransportParameters,
} from '../../src/wire/transport-params.js';
import { QUIC_V1, QUIC_V2 } from '../../src/wire/version.js';
import { PacketProtector, defaultProvider, nobleProvider } from '../../src/crypto/index.js';
import { ExtensionType } from '../../src/tls/constants.js';
import { encodeAlpn } from '../../src/tls/extension-codecs.js';
import { encodeEncryptedExtensions } from '../../src/tls/messages-auth.js';
import {
  Dissector,
  dissectDatagram,
  dissectionToJson,
  formatDissection,
  parseKeyLog,
  type DissectedPacket,
  type PacketKey,
} from '../../src/testing/dissect.js';
import {
  forgeLongPacket,
  forgeRetry,
  forgeShortPacket,
  initialProtector,
} from '../../src/testing/forge.js';
import { loadVector } from '../vectors.js';

const VECTORS = [
  { name: 'v1', version: QUIC_V1, v: loadVector('quic-v1-initial.json') },
  { name: 'v2', version: QUIC_V2, v: loadVector('quic-v2-initial.json') },
];
const V1 = VECTORS[0]!.v;
const CLIENT_DCID = fromHex(V1.client_dcid as string);
const CLIENT_INITIAL = fromHex(V1.client_initial_packet.protected_packet as string);
const SERVER_INITIAL = fromHex(V1.server_initial_packet.protected_packet as string);
/** The ClientHello of RFC 9001 A.2: the CRYPTO frame without its 4-byte frame header. */
const CLIENT_HELLO = fromHex(V1.client_initial_packet.crypto_frame as string).subarray(4);

// Fixed secrets: these tests need keys, not a handshake.
const secret = (fill: number, n = 32): Uint8Array => new Uint8Array(n).fill(fill);
const HS_CLIENT = secret(0x11);
const HS_SERVER = secret(0x22);
const APP_CLIENT = secret(0x33);
const APP_SERVER = secret(0x44, 48);
const SERVER_CID = fromHex('f067a5502a4262b5');
const CLIENT_CID = fromHex('c1c2c3c4');

const KEYS: PacketKey[] = [
  { level: 'handshake', sender: 'client', secret: HS_CLIENT },
  { level: 'handshake', sender: 'server', secret: HS_SERVER },
  { level: '1rtt', sender: 'client', secret: APP_CLIENT },
  { level: '1rtt', sender: 'server', secret: APP_SERVER },
];

const protector = (s: Uint8Array, version = QUIC_V1): PacketProtector =>
  new PacketProtector(
    defaultProvider,
    s.length === 48 ? 'TLS_AES_256_GCM_SHA384' : 'TLS_AES_128_GCM_SHA256',
    s,
    version,
  );

const kinds = (p: DissectedPacket): string[] => (p.frames ?? []).map((f) => f.kind);

function only(packets: DissectedPacket[]): DissectedPacket {
  assert.equal(packets.length, 1);
  return packets[0]!;
}

/** A Handshake packet from the server carrying `frames`. */
function serverHandshake(frames: Frame[], pn = 0): Uint8Array {
  return forgeLongPacket({
    type: 'handshake',
    dcid: CLIENT_CID,
    scid: SERVER_CID,
    packetNumber: pn,
    frames,
    protector: protector(HS_SERVER),
  });
}

describe('testing/dissect', () => {
  describe('Initial packets of RFC 9001 A.2-A.3 and RFC 9369 A.2-A.3', () => {
    for (const { name, version, v } of VECTORS) {
      it(`${name}: opens the client Initial with keys from its own DCID`, () => {
        const datagram = fromHex(v.client_initial_packet.protected_packet as string);
        const before = toHex(datagram);
        const p = only(dissectDatagram(datagram).packets);
        assert.equal(toHex(datagram), before, 'the caller buffer is left untouched');
        assert.equal(p.type, 'initial');
        assert.equal(p.version, version);
        assert.equal(p.sender, 'client');
        assert.equal(p.dcid, v.client_dcid);
        assert.equal(p.scid, '');
        assert.equal(p.token, '');
        assert.equal(p.length, 1182);
        assert.equal(p.packetNumber, 2);
        assert.equal(p.packetNumberLength, 4);
        assert.equal(p.error, undefined);
        assert.deepEqual(kinds(p), ['crypto', 'padding']);
        const crypto = p.frames![0]!;
        assert.ok(crypto.kind === 'crypto');
        assert.equal(crypto.offset, 0);
        assert.equal(toHex(crypto.data), toHex(CLIENT_HELLO));
        assert.deepEqual(p.frames![1], { kind: 'padding', length: 917 });
      });

      it(`${name}: opens the server Initial with opts.dcid`, () => {
        const datagram = fromHex(v.server_initial_packet.protected_packet as string);
        const p = only(dissectDatagram(datagram, { dcid: CLIENT_DCID }).packets);
        assert.equal(p.sender, 'server');
        assert.equal(p.version, version);
        assert.equal(p.scid, 'f067a5502a4262b5');
        assert.equal(p.packetNumber, 1);
        assert.deepEqual(kinds(p), ['ack', 'crypto']);
        assert.deepEqual(p.frames![0], {
          kind: 'ack',
          ackDelay: 0,
          ranges: [{ smallest: 0, largest: 0 }],
        });
        assert.equal(p.tls?.[0]?.messageType, 'server_hello');
      });

      it(`${name}: verifies the Retry integrity tag with the Original DCID`, () => {
        const retry = fromHex(v.retry.packet as string);
        const p = only(dissectDatagram(retry, { dcid: CLIENT_DCID }).packets);
        assert.equal(p.type, 'retry');
        assert.equal(p.version, version);
        assert.equal(p.scid, v.retry.scid_derived);
        assert.equal(p.token, v.retry.token_derived);
        assert.equal(p.integrityTag, v.retry.integrity_tag_derived);
        assert.equal(p.integrity, 'valid');
        assert.equal(p.error, undefined);
      });
    }

    it('a server Initial alone cannot be opened, and the reason says what is missing', () => {
      const p = only(dissectDatagram(SERVER_INITIAL).packets);
      assert.equal(p.frames, undefined);
      assert.equal(p.packetNumber, undefined);
      assert.match(p.error!, /^authentication failed \(a server's Initial needs the DCID/);
    });

    it("learns the client's DCID from its Initial and opens the server's next", () => {
      const d = new Dissector();
      d.dissect(CLIENT_INITIAL);
      const p = only(d.dissect(SERVER_INITIAL).packets);
      assert.equal(p.error, undefined);
      assert.equal(p.sender, 'server');
      assert.deepEqual(kinds(p), ['ack', 'crypto']);
    });

    it('gives the same result with the noble provider', () => {
      const a = dissectDatagram(CLIENT_INITIAL, { provider: nobleProvider });
      assert.deepEqual(dissectionToJson(a), dissectionToJson(dissectDatagram(CLIENT_INITIAL)));
    });

    it('reports a tampered packet as failing authentication', () => {
      for (const at of [30, 600, 1199]) {
        const bad = CLIENT_INITIAL.slice();
        bad[at]! ^= 0x01;
        const p = only(dissectDatagram(bad).packets);
        assert.equal(p.type, 'initial');
        assert.equal(p.frames, undefined);
        assert.match(p.error!, /^authentication failed/);
      }
    });

    it('reports a packet too short for a header protection sample', () => {
      // Keep the header but cut the Length down to 10 bytes of packet number and payload.
      const h = fromHex(V1.client_initial_packet.protected_header as string);
      const short = concatBytes(h.subarray(0, h.length - 6), fromHex('400a'), new Uint8Array(10));
      const p = only(dissectDatagram(short).packets);
      assert.match(p.error!, /too short for a header protection sample/);
    });
  });

  describe('TLS summaries', () => {
    it('summarizes the ClientHello of RFC 9001 A.2', () => {
      const [m] = only(dissectDatagram(CLIENT_INITIAL).packets).tls!;
      assert.ok(m);
      assert.equal(m.messageType, 'client_hello');
      assert.equal(m.length, 237);
      assert.equal(m['sni'], 'example.com');
      assert.deepEqual(m['alpn'], ['alpn']);
      assert.deepEqual(m['cipherSuites'], ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384']);
      assert.deepEqual(m['supportedGroups'], ['x25519', 'secp256r1', 'secp384r1']);
      assert.deepEqual(m['keyShareGroups'], ['x25519']);
      assert.deepEqual(m['supportedVersions'], ['TLS1.3']);
      assert.deepEqual(m['pskKeyExchangeModes'], ['psk_dhe_ke']);
      assert.equal((m['signatureAlgorithms'] as string[])[0], 'ecdsa_secp256r1_sha256');
      assert.ok((m['extensions'] as string[]).includes('renegotiation_info'));
      assert.deepEqual(m['transportParameters'], {
        // 2^62-1 is above 2^53: given exactly, as a string.
        initial_max_data: '4611686018427387903',
        initial_max_stream_data_bidi_local: 65535,
        initial_max_stream_data_uni: 65535,
        initial_max_streams_bidi: 16,
        max_idle_timeout: 30000,
        initial_max_streams_uni: 16,
        initial_source_connection_id: '8394c8f03e515708',
        initial_max_stream_data_bidi_remote: 65535,
      });
      assert.equal(m['errors'], undefined);
    });

    it('summarizes the ServerHello of RFC 9001 A.3', () => {
      const p = only(dissectDatagram(SERVER_INITIAL, { dcid: CLIENT_DCID }).packets);
      assert.deepEqual(p.tls, [
        {
          messageType: 'server_hello',
          length: 86,
          random: 'eefce7f7b37ba1d1632e96677825ddf73988cfc79825df566dc5430b9a045a12',
          sessionId: '',
          cipherSuite: 'TLS_AES_128_GCM_SHA256',
          selectedVersion: 'TLS1.3',
          keyShareGroup: 'x25519',
          extensions: ['key_share', 'supported_versions'],
        },
      ]);
    });

    it('reassembles a ClientHello split over two datagrams, out of order', () => {
      const client = initialProtector('client', CLIENT_DCID);
      const initial = (offset: number, data: Uint8Array, pn: number): Uint8Array =>
        forgeLongPacket({
          type: 'initial',
          dcid: CLIENT_DCID,
          scid: new Uint8Array(0),
          packetNumber: pn,
          frames: [{ kind: 'crypto', offset, data }],
          protector: client,
          minSize: 1200,
        });
      const d = new Dissector();
      const second = only(d.dissect(initial(100, CLIENT_HELLO.subarray(100), 0)).packets);
      assert.equal(second.error, undefined);
      assert.equal(second.tls, undefined, 'incomplete: no summary yet');
      const first = only(d.dissect(initial(0, CLIENT_HELLO.subarray(0, 100), 1)).packets);
      assert.equal(first.tls?.length, 1);
      assert.equal(first.tls![0]!['sni'], 'example.com');
    });

    it("summarizes EncryptedExtensions with the server's transport parameters", () => {
      const params = {
        ...defaultTransportParameters(),
        originalDestinationConnectionId: CLIENT_DCID,
        initialSourceConnectionId: SERVER_CID,
        maxIdleTimeout: 30000,
        statelessResetToken: new Uint8Array(16).fill(0xab),
      };
      const ee = encodeEncryptedExtensions([
        { type: ExtensionType.application_layer_protocol_negotiation, data: encodeAlpn(['h3']) },
        {
          type: ExtensionType.quic_transport_parameters,
          data: encodeTransportParameters(params, 'server', {
            grease: { n: 3, value: fromHex('cafe') },
          }),
        },
      ]);
      const packet = serverHandshake([
        { kind: 'crypto', offset: 0, data: ee },
        { kind: 'crypto', offset: ee.length, data: fromHex('14000004aabbccdd') },
      ]);
      const p = only(dissectDatagram(packet, { keys: KEYS }).packets);
      assert.equal(p.error, undefined);
      assert.equal(p.sender, 'server');
      assert.deepEqual(p.tls, [
        {
          messageType: 'encrypted_extensions',
          length: ee.length - 4,
          alpn: ['h3'],
          extensions: ['application_layer_protocol_negotiation', 'quic_transport_parameters'],
          transportParameters: {
            original_destination_connection_id: '8394c8f03e515708',
            max_idle_timeout: 30000,
            stateless_reset_token: 'ab'.repeat(16),
            initial_source_connection_id: 'f067a5502a4262b5',
            unknown: [{ id: '0x78', value: 'cafe' }],
          },
        },
        { messageType: 'finished', length: 4 },
      ]);
    });

    it('reports a malformed Hello without throwing', () => {
      const broken = concatBytes(fromHex('01000005'), fromHex('0303000000'));
      const packet = forgeLongPacket({
        type: 'initial',
        dcid: CLIENT_DCID,
        scid: new Uint8Array(0),
        packetNumber: 0,
        frames: [{ kind: 'crypto', offset: 0, data: broken }],
        protector: initialProtector('client', CLIENT_DCID),
      });
      const [m] = only(dissectDatagram(packet).packets).tls!;
      assert.equal(m!.messageType, 'client_hello');
      assert.equal(typeof m!['error'], 'string');
    });
  });

  describe('coalesced packets', () => {
    const serverInitial = (): Uint8Array =>
      forgeLongPacket({
        type: 'initial',
        dcid: CLIENT_CID,
        scid: SERVER_CID,
        packetNumber: 0,
        frames: [{ kind: 'ack', ackDelay: 5, ranges: [{ smallest: 0, largest: 0 }] }],
        protector: initialProtector('server', CLIENT_DCID),
      });
    const handshake = (): Uint8Array =>
      serverHandshake([{ kind: 'crypto', offset: 0, data: fromHex('0800000200000b') }]);
    const oneRtt = (): Uint8Array =>
      forgeShortPacket({
        dcid: CLIENT_CID,
        packetNumber: 7,
        packetNumberLength: 2,
        frames: [
          { kind: 'stream', streamId: 3, offset: 0, data: fromHex('000401'), fin: false },
          {
            kind: 'new_connection_id',
            sequenceNumber: 1,
            retirePriorTo: 0,
            connectionId: fromHex('0102030405060708'),
            statelessResetToken: new Uint8Array(16),
          },
        ],
        protector: protector(APP_SERVER),
      });

    it('splits and opens Initial + Handshake + 1-RTT with the keys given', () => {
      const datagram = concatBytes(serverInitial(), handshake(), oneRtt());
      const { packets, size } = dissectDatagram(datagram, { dcid: CLIENT_DCID, keys: KEYS });
      assert.equal(size, datagram.length);
      assert.deepEqual(
        packets.map((p) => [p.type, p.sender, p.packetNumber, p.error]),
        [
          ['initial', 'server', 0, undefined],
          ['handshake', 'server', 0, undefined],
          ['1rtt', 'server', 7, undefined],
        ],
      );
      assert.deepEqual(
        packets.map((p) => p.offset),
        [0, packets[0]!.size, packets[0]!.size + packets[1]!.size],
      );
      assert.equal(
        packets.reduce((n, p) => n + p.size, 0),
        datagram.length,
      );
      const short = packets[2]!;
      assert.equal(short.dcid, toHex(CLIENT_CID), 'DCID length taken from the long headers');
      assert.equal(short.keyPhase, 0);
      assert.equal(short.spin, false);
      assert.equal(short.packetNumberLength, 2);
      assert.deepEqual(kinds(short), ['stream', 'new_connection_id']);
      assert.equal(packets[1]!.tls?.[0]?.messageType, 'encrypted_extensions');
    });

    it('names the missing keys when it has none', () => {
      const datagram = concatBytes(serverInitial(), handshake(), oneRtt());
      const packets = dissectDatagram(datagram, { dcid: CLIENT_DCID }).packets;
      assert.equal(packets[0]!.error, undefined);
      assert.equal(packets[1]!.error, 'no keys for handshake packets');
      assert.equal(packets[1]!.scid, toHex(SERVER_CID));
      assert.equal(packets[2]!.error, 'no keys for 1-RTT packets');
      assert.equal(packets[2]!.dcid, toHex(CLIENT_CID));
    });

    it('reports zero bytes after the packets as padding, not a packet', () => {
      const datagram = concatBytes(serverInitial(), new Uint8Array(40));
      const r = dissectDatagram(datagram, { dcid: CLIENT_DCID });
      assert.equal(r.packets.length, 1);
      assert.equal(r.trailingZeros, 40);
    });

    it('stops at a packet whose Length runs past the datagram', () => {
      const first = serverInitial();
      const cut = handshake().subarray(0, 40);
      const packets = dissectDatagram(concatBytes(first, cut), { dcid: CLIENT_DCID }).packets;
      assert.equal(packets.length, 2);
      assert.equal(packets[1]!.type, 'handshake');
      assert.equal(packets[1]!.error, 'Length field runs past the end of the datagram');
    });
  });

  describe('1-RTT packets', () => {
    const packet = (
      pn: number,
      pnLength: 1 | 2 | 3 | 4,
      p: PacketProtector,
      keyPhase = false,
    ): Uint8Array =>
      forgeShortPacket({
        dcid: SERVER_CID,
        packetNumber: pn,
        packetNumberLength: pnLength,
        keyPhase,
        frames: [{ kind: 'ping' }],
        protector: p,
      });

    it('finds the DCID length by trial when it is not known', () => {
      const p = only(dissectDatagram(packet(1, 1, protector(APP_CLIENT)), { keys: KEYS }).packets);
      assert.equal(p.error, undefined);
      assert.equal(p.dcid, toHex(SERVER_CID));
      assert.equal(p.sender, 'client');
      assert.deepEqual(kinds(p), ['ping', 'padding']);
    });

    it('uses shortDcidLength when given', () => {
      const right = only(
        dissectDatagram(packet(1, 1, protector(APP_CLIENT)), { keys: KEYS, shortDcidLength: 8 })
          .packets,
      );
      assert.equal(right.error, undefined);
      const wrong = only(
        dissectDatagram(packet(1, 1, protector(APP_CLIENT)), { keys: KEYS, shortDcidLength: 4 })
          .packets,
      );
      assert.equal(wrong.dcid, toHex(SERVER_CID.subarray(0, 4)));
      assert.equal(wrong.error, 'authentication failed');
    });

    it('opens packets after a key update (RFC 9001 §6)', () => {
      const next = protector(APP_CLIENT).nextKeyPhase();
      const p = only(
        dissectDatagram(packet(9, 1, next, true), { keys: KEYS, shortDcidLength: 8 }).packets,
      );
      assert.equal(p.error, undefined);
      assert.equal(p.keyPhase, 1);
    });

    it('expands truncated packet numbers from the largest one seen (RFC 9000 §A.3)', () => {
      const d = new Dissector({ keys: KEYS, shortDcidLength: 8 });
      const p = protector(APP_CLIENT);
      assert.equal(only(d.dissect(packet(250, 1, p)).packets).packetNumber, 250);
      assert.equal(only(d.dissect(packet(260, 1, p)).packets).packetNumber, 260);
      assert.equal(only(d.dissect(packet(30000, 2, p)).packets).packetNumber, 30000);
      assert.equal(only(d.dissect(packet(0x12345, 3, p)).packets).packetNumber, 0x12345);
    });

    it('accepts a PacketProtector and a v2 secret', () => {
      const v2 = protector(APP_CLIENT, QUIC_V2);
      const withProtector = dissectDatagram(packet(3, 1, v2), {
        keys: [{ level: '1rtt', sender: 'client', protector: v2 }],
        shortDcidLength: 8,
      });
      assert.equal(only(withProtector.packets).error, undefined);
      const withSecret = dissectDatagram(packet(3, 1, v2), {
        keys: [
          { level: '1rtt', sender: 'client', secret: APP_CLIENT, suite: 'TLS_AES_128_GCM_SHA256' },
        ],
        shortDcidLength: 8,
        version: QUIC_V2,
      });
      assert.equal(only(withSecret.packets).error, undefined);
    });

    it('reports the reserved bits and a packet without frames (RFC 9000 §17.3.1, §12.4)', () => {
      const key = protector(APP_CLIENT);
      const w = new Writer(new Uint8Array(1 + 8 + 4 + 16));
      const pnOffset = writeShortHeader(w, SERVER_CID, 5, 4, false);
      w.buf[0]! |= 0x18;
      key.protect(w.buf, 0, pnOffset, w.pos, 5);
      const p = only(dissectDatagram(w.buf, { keys: KEYS, shortDcidLength: 8 }).packets);
      assert.deepEqual(p.frames, []);
      assert.match(p.error!, /reserved bits are not 0/);
      assert.match(p.error!, /packet contains no frames/);
    });
  });

  describe('frame checks', () => {
    it('reports a frame not allowed in the packet type, keeping the frames', () => {
      const packet = forgeLongPacket({
        type: 'initial',
        dcid: CLIENT_DCID,
        scid: new Uint8Array(0),
        packetNumber: 0,
        frames: [{ kind: 'stream', streamId: 0, offset: 0, data: fromHex('00'), fin: true }],
        protector: initialProtector('client', CLIENT_DCID),
      });
      const p = only(dissectDatagram(packet).packets);
      assert.deepEqual(kinds(p), ['stream']);
      assert.equal(p.error, 'stream frame not allowed in initial packets (RFC 9000 §12.4)');
    });

    it('reports a DATAGRAM frame in a Handshake packet (RFC 9221 §4)', () => {
      const p = only(
        dissectDatagram(serverHandshake([{ kind: 'datagram', data: fromHex('ff') }]), {
          keys: KEYS,
        }).packets,
      );
      assert.deepEqual(kinds(p), ['datagram']);
      assert.equal(p.error, 'datagram frame not allowed in handshake packets (RFC 9000 §12.4)');
    });

    it('reports a malformed frame, keeping the frames before it', () => {
      // 0x20 is no frame type: FRAME_ENCODING_ERROR after the PING.
      const packet = forgeLongPacket({
        type: 'handshake',
        dcid: CLIENT_CID,
        scid: SERVER_CID,
        packetNumber: 1,
        frames: [{ kind: 'ping' }],
        rawPayload: fromHex('2000'),
        protector: protector(HS_SERVER),
      });
      const p = only(dissectDatagram(packet, { keys: KEYS }).packets);
      assert.deepEqual(kinds(p), ['ping']);
      assert.match(p.error!, /^malformed frame at payload byte 1: frame 0x20: unknown frame type/);
    });
  });

  describe('Retry and Version Negotiation', () => {
    it('marks a Retry unchecked without the Original DCID, invalid with a wrong one', () => {
      const retry = fromHex(V1.retry.packet as string);
      assert.equal(only(dissectDatagram(retry).packets).integrity, 'unchecked');
      assert.equal(only(dissectDatagram(retry).packets).error, undefined);
      const wrong = only(dissectDatagram(retry, { dcid: fromHex('0001020304050607') }).packets);
      assert.equal(wrong.integrity, 'invalid');
      assert.match(wrong.error!, /^Retry integrity tag does not verify/);
    });

    it("derives the next Initial keys from a valid Retry's SCID (RFC 9001 §5.2)", () => {
      const newDcid = fromHex('0badc0de0badc0de');
      const retry = forgeRetry({
        dcid: CLIENT_CID,
        scid: newDcid,
        token: fromHex('abcd'),
        originalDcid: CLIENT_DCID,
      });
      const d = new Dissector();
      d.dissect(CLIENT_INITIAL);
      assert.equal(only(d.dissect(retry).packets).integrity, 'valid');
      const serverInitial = forgeLongPacket({
        type: 'initial',
        dcid: CLIENT_CID,
        scid: newDcid,
        packetNumber: 0,
        frames: [{ kind: 'ping' }],
        protector: initialProtector('server', newDcid),
      });
      const p = only(d.dissect(serverInitial).packets);
      assert.equal(p.error, undefined);
      assert.equal(p.sender, 'server');
    });

    it('lists the versions of a Version Negotiation packet', () => {
      const vn = encodeVersionNegotiation(
        CLIENT_CID,
        SERVER_CID,
        [QUIC_V2, QUIC_V1, 0x1a2a3a4a],
        0x15,
      );
      const p = only(dissectDatagram(vn).packets);
      assert.equal(p.type, 'version_negotiation');
      assert.equal(p.version, 0);
      assert.equal(p.dcid, toHex(CLIENT_CID));
      assert.equal(p.scid, toHex(SERVER_CID));
      assert.deepEqual(p.versions, [QUIC_V2, QUIC_V1, 0x1a2a3a4a]);
      const broken = only(dissectDatagram(vn.subarray(0, vn.length - 1)).packets);
      assert.match(broken.error!, /whole number of 4-byte versions/);
    });

    it('reports an unknown version and a truncated long header', () => {
      const other = concatBytes(
        fromHex('c0ff00001d04'),
        CLIENT_CID,
        fromHex('00'),
        new Uint8Array(30),
      );
      const p = only(dissectDatagram(other).packets);
      assert.equal(p.type, 'unknown');
      assert.equal(p.version, 0xff00001d);
      assert.equal(p.dcid, toHex(CLIENT_CID));
      assert.equal(p.error, 'unsupported version 0xff00001d');
      const cut = only(dissectDatagram(CLIENT_INITIAL.subarray(0, 8)).packets);
      assert.equal(cut.error, 'truncated long header');
    });
  });

  describe('renderings', () => {
    it('JSON: lowercase frame names, hex data, offset and length, ack ranges as arrays', () => {
      const d = new Dissector();
      const json = dissectionToJson([d.dissect(CLIENT_INITIAL), d.dissect(SERVER_INITIAL)]);
      assert.deepEqual(json.datagrams, [{ size: 1200 }, { size: 135 }]);
      const [client, server] = json.packets;
      assert.equal(client!.datagram, 0);
      assert.equal(server!.datagram, 1);
      assert.deepEqual((client!['frames'] as unknown[])[0], {
        type: 'crypto',
        offset: 0,
        length: 241,
        data: toHex(CLIENT_HELLO),
      });
      assert.deepEqual((client!['frames'] as unknown[])[1], { type: 'padding', length: 917 });
      assert.deepEqual((server!['frames'] as unknown[])[0], {
        type: 'ack',
        largest: 0,
        ackDelay: 0,
        ranges: [[0, 0]],
      });
      // Round trip through JSON text changes nothing: the form holds only JSON values.
      assert.deepEqual(JSON.parse(JSON.stringify(json)), json);
    });

    it('JSON: every frame kind converts byte fields to hex', () => {
      const frames: Frame[] = [
        { kind: 'new_token', token: fromHex('0102') },
        { kind: 'path_challenge', data: fromHex('0102030405060708') },
        {
          kind: 'connection_close',
          application: false,
          errorCode: 0x0a,
          frameType: 0x06,
          reason: new TextEncoder().encode('bad crypto'),
        },
        {
          kind: 'connection_close',
          application: true,
          errorCode: 0x100,
          frameType: 0,
          reason: new Uint8Array(0),
        },
        { kind: 'max_streams', bidi: true, maximum: 100 },
        {
          kind: 'ack',
          ackDelay: 1,
          ranges: [
            { smallest: 5, largest: 9 },
            { smallest: 1, largest: 2 },
          ],
          ecn: { ect0: 3, ect1: 0, ce: 1 },
        },
        { kind: 'path_ack', pathId: 2, ackDelay: 0, ranges: [{ smallest: 4, largest: 6 }] },
        {
          kind: 'path_new_connection_id',
          pathId: 1,
          sequenceNumber: 1,
          retirePriorTo: 0,
          connectionId: fromHex('0a0b'),
          statelessResetToken: fromHex('00'.repeat(16)),
        },
      ];
      const packet = forgeShortPacket({
        dcid: SERVER_CID,
        packetNumber: 0,
        frames,
        protector: protector(APP_SERVER),
      });
      const json = dissectionToJson(dissectDatagram(packet, { keys: KEYS, shortDcidLength: 8 }));
      assert.deepEqual(json.packets[0]!['frames'], [
        { type: 'new_token', token: '0102' },
        { type: 'path_challenge', data: '0102030405060708' },
        {
          type: 'connection_close',
          application: false,
          errorCode: 10,
          errorName: 'PROTOCOL_VIOLATION',
          frameType: 6,
          reason: 'bad crypto',
        },
        { type: 'connection_close', application: true, errorCode: 256, reason: '' },
        { type: 'max_streams', bidi: true, maximum: 100 },
        {
          type: 'ack',
          largest: 9,
          ackDelay: 1,
          ranges: [
            [5, 9],
            [1, 2],
          ],
          ecn: { ect0: 3, ect1: 0, ce: 1 },
        },
        // RFC 10069 §4.1, §4.4.
        { type: 'path_ack', pathId: 2, largest: 6, ackDelay: 0, ranges: [[4, 6]] },
        {
          type: 'path_new_connection_id',
          pathId: 1,
          sequenceNumber: 1,
          retirePriorTo: 0,
          connectionId: '0a0b',
          statelessResetToken: '00'.repeat(16),
        },
      ]);
    });

    it('text: one line per packet, indented frames, TLS summary and errors', () => {
      const d = new Dissector();
      const text = formatDissection([d.dissect(CLIENT_INITIAL), d.dissect(fromHex('c0'))]);
      const lines = text.split('\n');
      assert.equal(lines[0], 'datagram 0: 1200 bytes');
      assert.equal(
        lines[1],
        'initial v1 from client dcid=8394c8f03e515708 scid="" len=1182 pn=2 (1200 bytes at 0)',
      );
      assert.equal(
        lines[2],
        `  crypto offset=0 length=241 data=${toHex(CLIENT_HELLO.subarray(0, 16))}…`,
      );
      assert.equal(lines[3], '  padding length=917');
      assert.equal(lines[4], '  tls client_hello (237 bytes)');
      assert.ok(lines.includes('    sni: example.com'));
      assert.ok(lines.includes('      initial_max_data: 4611686018427387903'));
      assert.ok(lines.includes('datagram 1: 1 bytes'));
      assert.ok(lines.includes('unknown (1 bytes at 0)'), text);
      assert.ok(lines.includes('  error: truncated long header'), text);
    });
  });

  describe('parseKeyLog', () => {
    const random = 'ab'.repeat(32);
    it('maps the QUIC secrets of an NSS key log to packet keys', () => {
      const text = [
        '# comment',
        `CLIENT_HANDSHAKE_TRAFFIC_SECRET ${random} ${toHex(HS_CLIENT)}`,
        `SERVER_HANDSHAKE_TRAFFIC_SECRET ${random} ${toHex(HS_SERVER)}`,
        '',
        `EXPORTER_SECRET ${random} ${'00'.repeat(32)}`,
        `CLIENT_TRAFFIC_SECRET_0 ${random} ${toHex(APP_CLIENT)}`,
        `SERVER_TRAFFIC_SECRET_0 ${random} ${toHex(APP_SERVER)}\r`,
        `CLIENT_EARLY_TRAFFIC_SECRET ${random} ${'55'.repeat(32)}`,
      ].join('\n');
      const keys = parseKeyLog(text);
      assert.deepEqual(
        keys.map((k) => [k.level, k.sender, 'secret' in k ? toHex(k.secret) : '']),
        [
          ['handshake', 'client', toHex(HS_CLIENT)],
          ['handshake', 'server', toHex(HS_SERVER)],
          ['1rtt', 'client', toHex(APP_CLIENT)],
          ['1rtt', 'server', toHex(APP_SERVER)],
          ['0rtt', 'client', '55'.repeat(32)],
        ],
      );
      const p = only(dissectDatagram(serverHandshake([{ kind: 'ping' }]), { keys }).packets);
      assert.equal(p.error, undefined);
    });

    it('throws a TypeError naming the line of a malformed entry', () => {
      assert.throws(() => parseKeyLog(`\nCLIENT_TRAFFIC_SECRET_0 ${random}`), /line 2/);
      assert.throws(() => parseKeyLog(`CLIENT_TRAFFIC_SECRET_0 ${random} 0011`), /2-byte secret/);
      assert.throws(() => parseKeyLog(`CLIENT_TRAFFIC_SECRET_0 xyz ${'00'.repeat(32)}`), TypeError);
    });
  });

  describe('options', () => {
    it('rejects misuse with RangeErrors', () => {
      assert.throws(() => new Dissector({ dcid: new Uint8Array(21) }), RangeError);
      assert.throws(() => new Dissector({ shortDcidLength: 21 }), RangeError);
      assert.throws(() => new Dissector({ shortDcidLength: 1.5 }), RangeError);
      assert.throws(
        () =>
          new Dissector({
            keys: [{ level: '1rtt', sender: 'client', secret: new Uint8Array(20) }],
          }),
        /20-byte traffic secret/,
      );
      assert.throws(
        () =>
          new Dissector({
            keys: [
              {
                level: '1rtt',
                sender: 'client',
                secret: new Uint8Array(32),
                suite: 'TLS_AES_256_GCM_SHA384',
              },
            ],
          }),
        /48-byte secret/,
      );
    });

    it('an empty datagram has no packets', () => {
      assert.deepEqual(dissectDatagram(new Uint8Array(0)), { size: 0, packets: [] });
    });
  });
});
