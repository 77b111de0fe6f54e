import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import { Writer } from '../../src/util/cursor.js';
import { concatBytes, fromHex, toHex } from '../../src/util/bytes.js';
import {
  decodeVersionNegotiation,
  encodeRetryPacket,
  encodeVersionNegotiation,
  isHeaderDrop,
  isLongHeader,
  parseInvariantHeader,
  parseLongHeader,
  parseShortHeader,
  peekDestinationCid,
  retryPseudoPacket,
  splitCoalesced,
  writeLengthField,
  writeLongHeader,
  writeShortHeader,
  type HeaderDrop,
  type LongHeader,
  type LongHeaderFields,
  type RetryHeader,
} from '../../src/wire/header.js';
import { PacketType, QUIC_V1, QUIC_V2 } from '../../src/wire/version.js';
import { loadVector } from '../vectors.js';
import { Rng } from './random.js';

const VECTORS = [
  { name: 'v1', version: QUIC_V1, v: loadVector('quic-v1-initial.json') },
  { name: 'v2', version: QUIC_V2, v: loadVector('quic-v2-initial.json') },
];

function long(r: LongHeader | RetryHeader | HeaderDrop): LongHeader {
  assert.ok(!isHeaderDrop(r), `dropped: ${JSON.stringify(r)}`);
  assert.notEqual(r.type, PacketType.Retry);
  return r as LongHeader;
}

function dropReason(r: object): string {
  assert.ok(isHeaderDrop(r), 'expected a drop');
  return r.drop;
}

/** A protected-looking long-header packet built with the writer: header + `payload` bytes. */
function buildLong(fields: LongHeaderFields, payloadLength: number): Uint8Array {
  const w = Writer.growable(64);
  const { lengthOffset, pnOffset } = writeLongHeader(w, fields);
  w.zeros(payloadLength);
  writeLengthField(w.buf, lengthOffset, fields.lengthFieldBytes ?? 2, w.pos - pnOffset);
  return w.finish();
}

describe('wire/header', () => {
  for (const { name, version, v } of VECTORS) {
    describe(`RFC vectors, ${name}`, () => {
      it('parses the protected client Initial up to the packet number', () => {
        const pkt = fromHex(v.client_initial_packet.protected_packet);
        assert.equal(pkt.length, 1200);
        const h = long(parseLongHeader(pkt));
        assert.equal(h.type, PacketType.Initial);
        assert.equal(h.version, version);
        assert.equal(toHex(h.dcid), v.client_dcid);
        assert.equal(h.scid.length, 0);
        assert.equal(h.token.length, 0);
        assert.equal(h.length, 1182);
        assert.equal(h.pnOffset, 18);
        assert.equal(h.end, 1200);
        assert.equal(h.offset, 0);
        // The bytes before the packet number are identical protected and unprotected, except
        // for the low bits of the first byte.
        const unprotected = fromHex(v.client_initial_packet.unprotected_header);
        assert.equal(
          toHex(pkt.subarray(1, h.pnOffset)),
          toHex(unprotected.subarray(1, h.pnOffset)),
        );
      });

      it('parses the protected server Initial', () => {
        const pkt = fromHex(v.server_initial_packet.protected_packet);
        const h = long(parseLongHeader(pkt));
        assert.equal(h.type, PacketType.Initial);
        assert.equal(h.dcid.length, 0);
        assert.equal(toHex(h.scid), 'f067a5502a4262b5');
        assert.equal(h.length, 117);
        assert.equal(h.pnOffset, 18);
        assert.equal(h.end, pkt.length);
      });

      it('writes the unprotected Initial headers byte for byte', () => {
        for (const [pkt, dcid, scid] of [
          [v.client_initial_packet, v.client_dcid, ''],
          [v.server_initial_packet, '', 'f067a5502a4262b5'],
        ] as const) {
          const w = Writer.growable(64);
          const offs = writeLongHeader(w, {
            version,
            type: PacketType.Initial,
            dcid: fromHex(dcid),
            scid: fromHex(scid),
            packetNumber: pkt.packet_number,
            packetNumberLength: pkt.packet_number_length,
          });
          // Length covers the packet number and the sealed payload: the rest of the packet.
          writeLengthField(
            w.buf,
            offs.lengthOffset,
            2,
            pkt.protected_packet_length - offs.pnOffset,
          );
          assert.equal(toHex(w.view()), pkt.unprotected_header);
          assert.equal(offs.pnOffset + pkt.packet_number_length, w.pos);
          assert.equal(offs.lengthOffset + 2, offs.pnOffset);
        }
      });

      it('parses and re-encodes the Retry packet', () => {
        const pkt = fromHex(v.retry.packet);
        const h = parseLongHeader(pkt);
        assert.ok(!isHeaderDrop(h) && h.type === PacketType.Retry);
        const r = h as RetryHeader;
        assert.equal(r.version, version);
        assert.equal(toHex(r.dcid), v.retry.dcid_derived);
        assert.equal(toHex(r.scid), v.retry.scid_derived);
        assert.equal(toHex(r.token), v.retry.token_derived);
        assert.equal(toHex(r.integrityTag), v.retry.integrity_tag_derived);
        assert.equal(r.end, pkt.length);
        const encoded = encodeRetryPacket({
          version,
          dcid: r.dcid,
          scid: r.scid,
          token: r.token,
          integrityTag: r.integrityTag,
          unusedBits: pkt[0]! & 0x0f,
        });
        assert.equal(toHex(encoded), v.retry.packet);
      });

      it('builds the Retry pseudo-packet the integrity tag covers (RFC 9001 §5.8)', () => {
        const pkt = fromHex(v.retry.packet);
        const pseudo = retryPseudoPacket(fromHex(v.retry.original_dcid), pkt);
        assert.equal(toHex(pseudo), '08' + v.retry.original_dcid + v.retry.packet.slice(0, -32));
        // The tag is AES-128-GCM over the pseudo-packet as AAD with an empty plaintext.
        const gcm = createCipheriv(
          'aes-128-gcm',
          fromHex(v.retry.retry_integrity_key),
          fromHex(v.retry.retry_integrity_nonce),
        );
        gcm.setAAD(pseudo);
        gcm.final();
        assert.equal(toHex(gcm.getAuthTag()), v.retry.integrity_tag_derived);
      });

      it('parses and writes the short header of the ChaCha20 example', () => {
        const ex = v.chacha20_short_header;
        const pkt = fromHex(ex.protected_packet);
        const h = parseShortHeader(pkt, 0, 0);
        assert.ok(!isHeaderDrop(h));
        assert.equal(h.pnOffset, 1);
        assert.equal(h.dcid.length, 0);
        const w = Writer.growable(8);
        const pnOffset = writeShortHeader(w, new Uint8Array(0), ex.packet_number, 3, false);
        assert.equal(pnOffset, 1);
        assert.equal(toHex(w.view()), ex.unprotected_header);
      });
    });
  }

  describe('long header parsing', () => {
    const dcid = fromHex('0102030405060708');
    const scid = fromHex('a1a2a3a4');

    it('round-trips every long type of both versions through the writer', () => {
      for (const version of [QUIC_V1, QUIC_V2]) {
        for (const type of [PacketType.Initial, PacketType.ZeroRtt, PacketType.Handshake]) {
          for (const lengthFieldBytes of [2, 4] as const) {
            const token = type === PacketType.Initial ? fromHex('deadbeef') : undefined;
            const fields: LongHeaderFields = {
              version,
              type,
              dcid,
              scid,
              packetNumber: 0x1234,
              packetNumberLength: 2,
              lengthFieldBytes,
              ...(token ? { token } : {}),
            };
            const pkt = buildLong(fields, 40);
            const h = long(parseLongHeader(pkt));
            assert.equal(h.type, type);
            assert.equal(h.version, version);
            assert.deepEqual(h.dcid, dcid);
            assert.deepEqual(h.scid, scid);
            assert.deepEqual(h.token, token ?? new Uint8Array(0));
            assert.equal(h.length, 42);
            assert.equal(h.end, pkt.length);
            assert.equal(toHex(pkt.subarray(h.pnOffset, h.pnOffset + 2)), '1234');
            // Fixed bit set, reserved bits 0, pn length bits 1.
            assert.equal(pkt[0]! & 0xcf, 0xc1);
          }
        }
      }
    });

    it('honours the fixed bit unless greasing was negotiated (RFC 9287)', () => {
      const pkt = buildLong(
        {
          version: QUIC_V1,
          type: PacketType.Handshake,
          dcid,
          scid,
          packetNumber: 0,
          packetNumberLength: 1,
          fixedBit: false,
        },
        20,
      );
      assert.equal(pkt[0]! & 0x40, 0);
      assert.equal(dropReason(parseLongHeader(pkt)), 'fixed_bit_zero');
      assert.equal(long(parseLongHeader(pkt, 0, true)).type, PacketType.Handshake);
    });

    it('drops v1/v2 headers with connection IDs over 20 bytes', () => {
      const pkt = fromHex('c0' + '00000001' + '15' + '00'.repeat(21) + '00' + '00' + '4001' + '00');
      assert.equal(dropReason(parseLongHeader(pkt)), 'cid_too_long');
      const pkt2 = fromHex(
        'c0' + '6b3343cf' + '00' + '15' + '00'.repeat(21) + '00' + '4001' + '00',
      );
      assert.equal(dropReason(parseLongHeader(pkt2)), 'cid_too_long');
      // Exactly 20 is fine.
      const ok = fromHex('c0' + '00000001' + '14' + '00'.repeat(20) + '00' + '00' + '01' + '00');
      assert.equal(long(parseLongHeader(ok)).dcid.length, 20);
    });

    it('drops a Length that runs past the datagram', () => {
      const pkt = buildLong(
        {
          version: QUIC_V1,
          type: PacketType.Handshake,
          dcid,
          scid,
          packetNumber: 0,
          packetNumberLength: 1,
        },
        20,
      );
      assert.equal(
        dropReason(parseLongHeader(pkt.subarray(0, pkt.length - 1))),
        'length_exceeds_datagram',
      );
    });

    it('drops an unknown version or a short header', () => {
      const pkt = fromHex('c0' + '0a0a0a0a' + '00' + '00' + '00');
      assert.equal(dropReason(parseLongHeader(pkt)), 'unsupported_version');
      assert.equal(dropReason(parseLongHeader(fromHex('40aabbcc'))), 'wrong_header_form');
      assert.equal(dropReason(parseLongHeader(new Uint8Array(0))), 'truncated');
    });

    it('drops a Retry with an empty token or no room for the tag', () => {
      const emptyToken = fromHex('f0' + '00000001' + '00' + '04a1a2a3a4' + '11'.repeat(16));
      assert.equal(dropReason(parseLongHeader(emptyToken)), 'empty_retry_token');
      assert.equal(dropReason(parseLongHeader(emptyToken.subarray(0, 20))), 'truncated');
    });

    it('reports every prefix of a valid packet as truncated or as a short Length, never throws', () => {
      for (const { v } of VECTORS) {
        for (const hex of [
          v.client_initial_packet.protected_packet,
          v.server_initial_packet.protected_packet,
        ]) {
          const pkt = fromHex(hex);
          for (let n = 0; n < pkt.length; n++) {
            const reason = dropReason(parseLongHeader(pkt.subarray(0, n)));
            assert.ok(reason === 'truncated' || reason === 'length_exceeds_datagram', reason);
          }
        }
      }
    });

    it('never throws on random bytes', () => {
      const rng = new Rng(11);
      for (let i = 0; i < 3000; i++) {
        const buf = rng.bytes(rng.int(64));
        if (buf.length > 0 && rng.bool()) {
          buf[0] = buf[0]! | 0xc0;
          if (buf.length >= 5) buf.set(rng.bool() ? [0, 0, 0, 1] : [0x6b, 0x33, 0x43, 0xcf], 1);
        }
        parseLongHeader(buf);
        parseShortHeader(buf, 0, rng.int(21));
        parseInvariantHeader(buf);
        peekDestinationCid(buf, rng.int(21));
        splitCoalesced(buf, rng.int(21));
        decodeVersionNegotiation(buf);
      }
    });

    it('reads the invariant fields with long CIDs of other versions (RFC 8999 §5.1)', () => {
      const d = new Uint8Array(200).fill(7);
      const pkt = concatBytes(fromHex('c0' + '0a0a0a0a' + 'c8'), d, fromHex('00'), fromHex('ffff'));
      const inv = parseInvariantHeader(pkt);
      assert.ok(inv);
      assert.equal(inv.version, 0x0a0a0a0a);
      assert.equal(inv.dcid.length, 200);
      assert.equal(inv.scid.length, 0);
      assert.equal(inv.afterScid, pkt.length - 2);
      assert.equal(parseInvariantHeader(pkt.subarray(0, 205)), null);
      assert.equal(parseInvariantHeader(fromHex('40000000010000')), null);
      assert.deepEqual(peekDestinationCid(pkt, 8), d);
    });
  });

  describe('short header', () => {
    it('parses the DCID and the spin bit', () => {
      const w = Writer.growable(32);
      const dcid = fromHex('0011223344556677');
      const pnOffset = writeShortHeader(w, dcid, 0xabcdef, 3, true, true);
      w.zeros(20);
      const pkt = w.finish();
      assert.equal(pkt[0], 0x40 | 0x20 | 0x04 | 0x02);
      const h = parseShortHeader(pkt, 0, 8);
      assert.ok(!isHeaderDrop(h));
      assert.deepEqual(h.dcid, dcid);
      assert.equal(h.spin, true);
      assert.equal(h.pnOffset, pnOffset);
      assert.equal(toHex(pkt.subarray(pnOffset, pnOffset + 3)), 'abcdef');
      assert.equal(isLongHeader(pkt[0]!), false);
    });

    it('drops fixed-bit-zero, long headers and packets without room for a packet number', () => {
      const w = Writer.growable(32);
      writeShortHeader(w, fromHex('0011'), 1, 1, false, false, false);
      const pkt = w.finish();
      assert.equal(pkt[0], 0x00);
      assert.equal(dropReason(parseShortHeader(pkt, 0, 2)), 'fixed_bit_zero');
      assert.ok(!isHeaderDrop(parseShortHeader(pkt, 0, 2, true)));
      assert.equal(dropReason(parseShortHeader(pkt, 0, 3, true)), 'truncated');
      assert.equal(dropReason(parseShortHeader(fromHex('c0'), 0, 0)), 'wrong_header_form');
    });
  });

  describe('peekDestinationCid', () => {
    it('finds the DCID of long and short headers', () => {
      const v1 = VECTORS[0]!.v;
      const pkt = fromHex(v1.client_initial_packet.protected_packet);
      assert.equal(toHex(peekDestinationCid(pkt, 0)!), v1.client_dcid);
      const short = fromHex('41' + '0102030405' + 'ff');
      assert.equal(toHex(peekDestinationCid(short, 5)!), '0102030405');
      assert.equal(peekDestinationCid(short, 7), null);
      assert.equal(peekDestinationCid(new Uint8Array(0), 0), null);
      assert.equal(peekDestinationCid(pkt.subarray(0, 10), 0), null);
    });
  });

  describe('splitCoalesced (RFC 9000 §12.2)', () => {
    const v1 = VECTORS[0]!.v;
    const initial = fromHex(v1.server_initial_packet.protected_packet);
    const handshake = buildLong(
      {
        version: QUIC_V1,
        type: PacketType.Handshake,
        dcid: new Uint8Array(0),
        scid: fromHex('f067a5502a4262b5'),
        packetNumber: 0,
        packetNumberLength: 1,
      },
      50,
    );
    const short = fromHex('40' + '00'.repeat(30));

    it('splits Initial + Handshake + 1-RTT', () => {
      const d = concatBytes(initial, handshake, short);
      const a = initial.length;
      const b = a + handshake.length;
      assert.deepEqual(splitCoalesced(d, 0), [
        { start: 0, end: a },
        { start: a, end: b },
        { start: b, end: d.length },
      ]);
      const h = long(parseLongHeader(d, a));
      assert.equal(h.type, PacketType.Handshake);
      assert.equal(h.offset, a);
    });

    it('returns a single short-header packet whole', () => {
      assert.deepEqual(splitCoalesced(short, 8), [{ start: 0, end: short.length }]);
      assert.deepEqual(splitCoalesced(short, 40), []);
      assert.deepEqual(splitCoalesced(new Uint8Array(0), 0), []);
    });

    it('stops at a Length past the end and drops the rest', () => {
      const cut = concatBytes(initial, handshake.subarray(0, handshake.length - 1));
      assert.deepEqual(splitCoalesced(cut, 0), [{ start: 0, end: initial.length }]);
      assert.deepEqual(splitCoalesced(handshake.subarray(0, 10), 0), []);
    });

    it('gives the rest of the datagram to an unknown version or a VN packet', () => {
      const unknown = fromHex('c0' + '0a0a0a0a' + '00' + '00' + 'ffff');
      const d = concatBytes(initial, unknown);
      assert.deepEqual(splitCoalesced(d, 0), [
        { start: 0, end: initial.length },
        { start: initial.length, end: d.length },
      ]);
      const vn = encodeVersionNegotiation(fromHex('01'), fromHex('02'), [QUIC_V1], 0);
      assert.deepEqual(splitCoalesced(vn, 0), [{ start: 0, end: vn.length }]);
    });

    it('keeps trailing bytes after the last long packet as a short-header candidate', () => {
      // Padding after coalesced packets (RFC 9000 §12.2) is looked at as a packet: the
      // per-packet parse or decryption rejects it.
      const d = concatBytes(initial, new Uint8Array(30));
      assert.deepEqual(splitCoalesced(d, 0), [
        { start: 0, end: initial.length },
        { start: initial.length, end: d.length },
      ]);
    });
  });

  describe('Version Negotiation (RFC 9000 §17.2.1)', () => {
    it('round-trips with arbitrary unused bits and long CIDs', () => {
      const dcid = new Uint8Array(255).fill(1);
      const scid = fromHex('0203');
      const versions = [QUIC_V1, QUIC_V2, 0x1a2a3a4a];
      for (const unused of [0, 0x3f, 0x15, 0xff]) {
        const pkt = encodeVersionNegotiation(dcid, scid, versions, unused);
        assert.equal(pkt[0]! & 0xc0, 0xc0);
        assert.equal(pkt[0]! & 0x3f, unused & 0x3f);
        assert.equal(toHex(pkt.subarray(1, 5)), '00000000');
        const vn = decodeVersionNegotiation(pkt);
        assert.ok(!isHeaderDrop(vn));
        assert.deepEqual(vn.dcid, dcid);
        assert.deepEqual(vn.scid, scid);
        assert.deepEqual(vn.versions, versions);
      }
    });

    it('encodes the exact layout', () => {
      const pkt = encodeVersionNegotiation(fromHex('aa'), fromHex('bbcc'), [QUIC_V1], 0x2a);
      assert.equal(toHex(pkt), 'ea' + '00000000' + '01aa' + '02bbcc' + '00000001');
    });

    it('drops malformed ones', () => {
      const pkt = encodeVersionNegotiation(fromHex('aa'), fromHex('bb'), [QUIC_V1, QUIC_V2], 0);
      assert.equal(
        dropReason(decodeVersionNegotiation(pkt.subarray(0, pkt.length - 1))),
        'bad_version_list',
      );
      assert.equal(dropReason(decodeVersionNegotiation(pkt.subarray(0, 7))), 'truncated');
      const v1 = fromHex(VECTORS[0]!.v.client_initial_packet.protected_packet);
      assert.equal(dropReason(decodeVersionNegotiation(v1)), 'not_version_negotiation');
      assert.throws(
        () => encodeVersionNegotiation(new Uint8Array(256), fromHex(''), [], 0),
        RangeError,
      );
    });
  });

  describe('writers', () => {
    it('patches 2- and 4-byte Length fields and rejects values that do not fit', () => {
      const buf = new Uint8Array(4);
      writeLengthField(buf, 0, 2, 0x3fff);
      assert.equal(toHex(buf.subarray(0, 2)), '7fff');
      writeLengthField(buf, 0, 4, 0x123456);
      assert.equal(toHex(buf), '80123456');
      assert.throws(() => writeLengthField(buf, 0, 2, 0x4000), RangeError);
      assert.throws(() => writeLengthField(buf, 0, 4, 2 ** 30), RangeError);
    });

    it('rejects misuse', () => {
      const w = Writer.growable(64);
      const base = {
        version: QUIC_V1,
        dcid: new Uint8Array(8),
        scid: new Uint8Array(8),
        packetNumber: 0,
        packetNumberLength: 1,
      } as const;
      assert.throws(
        () => writeLongHeader(w, { ...base, type: PacketType.Handshake, token: fromHex('01') }),
        RangeError,
      );
      assert.throws(
        () => writeLongHeader(w, { ...base, type: PacketType.Initial, dcid: new Uint8Array(21) }),
        RangeError,
      );
      const retry = {
        version: QUIC_V1,
        dcid: new Uint8Array(0),
        scid: new Uint8Array(8),
        token: fromHex('01'),
        integrityTag: new Uint8Array(16),
      };
      assert.throws(() => encodeRetryPacket({ ...retry, token: new Uint8Array(0) }), RangeError);
      assert.throws(
        () => encodeRetryPacket({ ...retry, integrityTag: new Uint8Array(15) }),
        RangeError,
      );
      assert.throws(() => retryPseudoPacket(new Uint8Array(8), new Uint8Array(15)), RangeError);
    });
  });
});
