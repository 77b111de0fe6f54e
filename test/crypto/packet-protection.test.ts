import assert from 'node:assert/strict';
import { createInitialProtectors } from '../../src/crypto/initial.js';
import {
  PacketProtector,
  derivePacketKeys,
  nextTrafficSecret,
} from '../../src/crypto/packet-protection.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { CIPHER_SUITES, TLS_CHACHA20_POLY1305_SHA256 } from '../../src/crypto/suites.js';
import { fromHex, toHex } from '../../src/util/bytes.js';
import { SeededRandom } from '../../src/util/random.js';
import { loadVector } from '../vectors.js';
import { PROVIDERS } from './providers.js';

const FILES = ['quic-v1-initial.json', 'quic-v2-initial.json'];

/** Header and payload in a buffer with 16 bytes of room for the tag. */
function unprotected(header: string, payload: string): Uint8Array {
  const h = fromHex(header);
  const pl = fromHex(payload);
  const buf = new Uint8Array(h.length + pl.length + 16);
  buf.set(h);
  buf.set(pl, h.length);
  return buf;
}

/** Offset of the packet number in a long header: after the Length varint. */
function longHeaderPnOffset(header: Uint8Array): number {
  let o = 5;
  o += 1 + header[o]!; // DCID
  o += 1 + header[o]!; // SCID
  if ((header[0]! & 0x30) === (header[1]! === 0x6b ? 0x10 : 0x00)) {
    // Initial (v1 type 0b00, v2 type 0b01): Token Length varint + token
    const len = 1 << (header[o]! >> 6);
    let tokenLength = header[o]! & 0x3f;
    for (let i = 1; i < len; i++) tokenLength = tokenLength * 256 + header[o + i]!;
    o += len + tokenLength;
  }
  return o + (1 << (header[o]! >> 6)); // Length varint
}

function openAll(
  pr: PacketProtector,
  buf: Uint8Array,
  pnOffset: number,
  pn: number,
  end = buf.length,
): number {
  const pnLength = pr.removeHeaderProtection(buf, 0, pnOffset, end);
  if (pnLength < 0) return -2;
  return pr.openPayload(buf, 0, pnOffset, pnLength, pn, end);
}

describe('crypto/packet-protection', () => {
  for (const file of FILES) {
    const v = loadVector(file);
    const version = parseInt(v.quic_version, 16);
    for (const p of PROVIDERS) {
      describe(`${file} with the ${p.name} provider`, () => {
        const both = () => createInitialProtectors(p, version, fromHex(v.client_dcid));

        it('protects the client Initial into the published 1200 bytes', () => {
          const c = v.client_initial_packet;
          const buf = unprotected(c.unprotected_header, c.unprotected_payload_derived);
          const pnOffset = longHeaderPnOffset(buf);
          assert.equal(pnOffset + c.packet_number_length, fromHex(c.unprotected_header).length);
          const end = both().client.protect(buf, 0, pnOffset, buf.length - 16, c.packet_number);
          assert.equal(end, 1200);
          assert.equal(toHex(buf), c.protected_packet);
        });

        it('unprotects the published client Initial', () => {
          const c = v.client_initial_packet;
          const buf = fromHex(c.protected_packet);
          const pr = both().client;
          const pnOffset = longHeaderPnOffset(buf);
          const pnLength = pr.removeHeaderProtection(buf, 0, pnOffset, buf.length);
          assert.equal(pnLength, c.packet_number_length);
          assert.equal(pr.truncatedPn, c.packet_number);
          assert.equal(toHex(buf.subarray(0, pnOffset + pnLength)), c.unprotected_header);
          const n = pr.openPayload(buf, 0, pnOffset, pnLength, c.packet_number, buf.length);
          assert.equal(n, c.payload_length);
          const payload = buf.subarray(pnOffset + pnLength, pnOffset + pnLength + n);
          assert.equal(toHex(payload), c.unprotected_payload_derived);
        });

        it('protects and unprotects the server Initial', () => {
          const s = v.server_initial_packet;
          const buf = unprotected(s.unprotected_header, s.payload);
          const pnOffset = longHeaderPnOffset(buf);
          const pr = both().server;
          pr.protect(buf, 0, pnOffset, buf.length - 16, s.packet_number);
          assert.equal(toHex(buf), s.protected_packet);

          const rx = fromHex(s.protected_packet);
          const reader = both().server;
          const pnLength = reader.removeHeaderProtection(rx, 0, pnOffset, rx.length);
          assert.equal(pnLength, s.packet_number_length);
          assert.equal(reader.truncatedPn, s.packet_number);
          const n = reader.openPayload(rx, 0, pnOffset, pnLength, s.packet_number, rx.length);
          assert.equal(toHex(rx.subarray(pnOffset + pnLength, pnOffset + pnLength + n)), s.payload);
        });

        it('ChaCha20-Poly1305 short header packet (A.5)', () => {
          const c = v.chacha20_short_header;
          const suite = TLS_CHACHA20_POLY1305_SHA256;
          const keys = derivePacketKeys(p, suite, fromHex(c.secret), version);
          assert.equal(toHex(keys.key), c.key);
          assert.equal(toHex(keys.iv), c.iv);
          assert.equal(toHex(keys.hp), c.hp);
          const ku = nextTrafficSecret(p, 'sha256', fromHex(c.secret), version);
          assert.equal(toHex(ku), c.ku);

          const pr = new PacketProtector(p, suite, fromHex(c.secret), version);
          const buf = unprotected(c.unprotected_header, c.payload_plaintext);
          // Short header, empty DCID: the packet number starts at offset 1.
          assert.equal(pr.protect(buf, 0, 1, buf.length - 16, c.packet_number), buf.length);
          assert.equal(toHex(buf), c.protected_packet);

          const rx = fromHex(c.protected_packet);
          const pnLength = pr.removeHeaderProtection(rx, 0, 1, rx.length);
          assert.equal(pnLength, c.packet_number_length);
          assert.equal(pr.truncatedPn, c.packet_number & 0xffffff);
          assert.equal(toHex(rx.subarray(0, 4)), c.unprotected_header);
          assert.equal(pr.openPayload(rx, 0, 1, pnLength, c.packet_number, rx.length), 1);
          assert.equal(toHex(rx.subarray(4, 5)), c.payload_plaintext);
        });
      });
    }
  }

  const rng = new SeededRandom(9001);

  /** A short-header packet: 0x40 | pnLength-1, 8-byte DCID, packet number, payload, tag room. */
  function shortPacket(payloadLength: number, pn: number, pnLength = 2): Uint8Array {
    const buf = new Uint8Array(1 + 8 + pnLength + payloadLength + 16);
    buf[0] = 0x40 | (pnLength - 1);
    buf.set(rng.bytes(8), 1);
    for (let i = 0; i < pnLength; i++) buf[9 + i] = (pn >>> (8 * (pnLength - 1 - i))) & 0xff;
    buf.set(rng.bytes(payloadLength), 9 + pnLength);
    return buf;
  }

  function pair(a: CryptoProvider, b: CryptoProvider, suiteIndex: number) {
    const suite = CIPHER_SUITES[suiteIndex]!;
    const secret = rng.bytes(suite.hashLength);
    return [
      new PacketProtector(a, suite, secret, 1),
      new PacketProtector(b, suite, secret, 1),
    ] as const;
  }

  describe('cross-provider', () => {
    for (const [i, suite] of CIPHER_SUITES.entries()) {
      for (const a of PROVIDERS) {
        for (const b of PROVIDERS) {
          if (a === b) continue;
          it(`${suite.name}: sealed by ${a.name}, opened by ${b.name}`, () => {
            const [tx, rx] = pair(a, b, i);
            for (const [size, pn] of [
              [1200, 0],
              [1452, 0x1234],
              [3, 7],
            ] as const) {
              const buf = shortPacket(size, pn);
              const plain = buf.slice();
              const end = tx.protect(buf, 0, 9, buf.length - 16, pn);
              assert.equal(end, buf.length);
              assert.notDeepEqual(buf, plain);
              assert.equal(openAll(rx, buf, 9, pn), size);
              assert.deepEqual(
                buf.subarray(0, buf.length - 16),
                plain.subarray(0, buf.length - 16),
              );
            }
          });
        }
      }
    }
  });

  for (const p of PROVIDERS) {
    describe(`failures with the ${p.name} provider`, () => {
      const [tx, rx] = pair(p, p, 0);
      const pn = 1000;
      const sealed = (): Uint8Array => {
        const buf = shortPacket(100, pn);
        tx.protect(buf, 0, 9, buf.length - 16, pn);
        return buf;
      };

      it('opens an intact packet', () => {
        assert.equal(openAll(rx, sealed(), 9, pn), 100);
      });

      for (const [what, offset] of [
        ['ciphertext', 40],
        ['tag', -1],
        ['DCID (header)', 3],
      ] as const) {
        it(`fails cleanly on a tampered ${what}, leaving the payload as it was`, () => {
          const buf = sealed();
          buf[offset < 0 ? buf.length + offset : offset]! ^= 0x01;
          const before = buf.slice();
          const failures = rx.authFailures;
          const pnLength = rx.removeHeaderProtection(buf, 0, 9, buf.length);
          assert.equal(pnLength, 2);
          assert.equal(rx.openPayload(buf, 0, 9, pnLength, pn, buf.length), -1);
          assert.equal(rx.authFailures, failures + 1);
          assert.deepEqual(buf.subarray(11), before.subarray(11));
        });
      }

      it('fails cleanly with the wrong packet number', () => {
        assert.equal(openAll(rx, sealed(), 9, pn + 1), -1);
        assert.equal(openAll(rx, sealed(), 9, pn + 2 ** 40), -1);
      });

      it("fails cleanly with the other direction's keys", () => {
        const [, other] = pair(p, p, 0);
        assert.equal(openAll(other, sealed(), 9, pn), -1);
      });

      it('returns -1 when the packet is too short for a sample, header untouched', () => {
        const buf = sealed();
        const before = buf.slice();
        assert.equal(rx.removeHeaderProtection(buf, 0, 9, 9 + 4 + 15), -1);
        assert.deepEqual(buf, before);
        assert.equal(rx.removeHeaderProtection(buf, 0, 9, 9 + 4 + 16), 2);
      });

      it('returns -1 when there is no room for a tag after the packet number', () => {
        const buf = sealed();
        assert.equal(rx.openPayload(buf, 0, 9, 2, pn, 9 + 2 + 15), -1);
      });

      it('throws a RangeError when asked to seal without tag room or sample', () => {
        const buf = shortPacket(100, pn);
        assert.throws(() => tx.protect(buf, 0, 9, buf.length - 15, pn), RangeError);
        // pn length 2 + payload 1 < 4 bytes: no sample (RFC 9001 §5.4.2)
        assert.throws(() => tx.protect(buf, 0, 9, 12, pn), RangeError);
        assert.doesNotThrow(() => tx.protect(buf, 0, 9, 13, pn));
      });
    });
  }

  describe('packet addressing', () => {
    const p = PROVIDERS[0]!;

    it('works on a packet in the middle of a coalesced datagram', () => {
      const [tx, rx] = pair(p, p, 0);
      const pkt = shortPacket(64, 5);
      const datagram = new Uint8Array(50 + pkt.length + 30);
      datagram.set(pkt, 50);
      const plain = datagram.slice();
      const end = tx.protect(datagram, 50, 59, 50 + pkt.length - 16, 5);
      assert.equal(end, 50 + pkt.length);
      assert.deepEqual(datagram.subarray(0, 50), plain.subarray(0, 50));
      const pnLength = rx.removeHeaderProtection(datagram, 50, 59, end);
      assert.equal(rx.openPayload(datagram, 50, 59, pnLength, 5, end), 64);
      // Everything but the tag is back to plaintext; bytes around the packet never changed.
      assert.deepEqual(datagram.subarray(0, end - 16), plain.subarray(0, end - 16));
      assert.deepEqual(datagram.subarray(end), plain.subarray(end));
    });

    it('puts every exactly representable packet number into the nonce', () => {
      const [tx, rx] = pair(p, p, 0);
      for (const pn of [0, 1, 0xff, 0xffffffff, 2 ** 32, 2 ** 53 - 1]) {
        const buf = shortPacket(40, pn, 4);
        tx.protect(buf, 0, 9, buf.length - 16, pn);
        const copy = buf.slice();
        assert.equal(openAll(rx, buf, 9, pn), 40, `pn ${pn}`);
        if (pn > 0) assert.equal(openAll(rx, copy, 9, pn - 1), -1, `pn ${pn} - 1`);
      }
    });

    it('masks 4 bits of a long header first byte and 5 of a short header', () => {
      // Run many packets: a mask bit outside the allowed ones would show up quickly.
      const [tx] = pair(p, p, 0);
      for (let i = 0; i < 64; i++) {
        const buf = shortPacket(40, i, 4);
        buf[0] = 0xc3; // long header, pn length 4
        tx.protect(buf, 0, 9, buf.length - 16, i);
        assert.equal(buf[0]! & 0xf0, 0xc0);
        const s = shortPacket(40, i, 4);
        tx.protect(s, 0, 9, s.length - 16, i);
        assert.equal(s[0]! & 0xe0, 0x40);
      }
    });

    it('counts sealed packets', () => {
      const [tx] = pair(p, p, 0);
      for (let i = 0; i < 3; i++) {
        const buf = shortPacket(40, i);
        tx.protect(buf, 0, 9, buf.length - 16, i);
      }
      assert.equal(tx.sealedPackets, 3);
    });

    it('rejects a secret of the wrong length', () => {
      assert.throws(() => new PacketProtector(p, 'TLS_AES_256_GCM_SHA384', new Uint8Array(32), 1));
    });
  });

  describe('key update (RFC 9001 §6)', () => {
    for (const p of PROVIDERS) {
      it(`${p.name}: next key phase has new packet keys and the same header protection`, () => {
        for (const [i, suite] of CIPHER_SUITES.entries()) {
          const [tx, rx] = pair(p, p, i);
          const tx1 = tx.nextKeyPhase();
          const rx1 = rx.nextKeyPhase();
          assert.equal(toHex(tx1.secret), toHex(nextTrafficSecret(p, suite.hash, tx.secret, 1)));
          assert.equal(tx1.secret.length, suite.hashLength);
          const buf = shortPacket(80, 77);
          tx1.protect(buf, 0, 9, buf.length - 16, 77);
          const copy = buf.slice();
          // Header protection of generation 0 removes generation 1's: the HP key is unchanged.
          const pnLength = rx.removeHeaderProtection(buf, 0, 9, buf.length);
          assert.equal(rx.truncatedPn, 77);
          assert.equal(rx.openPayload(buf.slice(), 0, 9, pnLength, 77, buf.length), -1);
          assert.equal(rx1.openPayload(buf, 0, 9, pnLength, 77, buf.length), 80);
          // And generation 1's protector removes it too.
          assert.equal(rx1.removeHeaderProtection(copy, 0, 9, copy.length), pnLength);
          assert.equal(rx1.truncatedPn, 77);
        }
      });
    }

    it('uses "quicv2 ku" for QUIC v2', () => {
      const v = loadVector('quic-v2-initial.json').chacha20_short_header;
      const p = PROVIDERS[0]!;
      const pr = new PacketProtector(
        p,
        TLS_CHACHA20_POLY1305_SHA256,
        fromHex(v.secret),
        0x6b3343cf,
      );
      assert.equal(toHex(pr.nextKeyPhase().secret), v.ku);
    });
  });
});
