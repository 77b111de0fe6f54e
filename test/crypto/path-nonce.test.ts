/**
 * The multipath AEAD nonce (RFC 10069 §2.4, draft-ietf-quic-multipath-21 "Nonce Calculation"):
 * nonce = IV XOR {Path ID (32), 0b00, Packet Number (62)}. The expected nonces are derived here
 * by hand with bigints and the expected ciphertexts with node:crypto directly, through every
 * provider (node, noble, pure, and native when its addon loaded).
 */
import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import {
  PacketProtector,
  derivePacketKeys,
  writePacketNonce,
} from '../../src/crypto/packet-protection.js';
import { CIPHER_SUITES, type CipherSuite } from '../../src/crypto/suites.js';
import { fromHex, toHex } from '../../src/util/bytes.js';
import { SeededRandom } from '../../src/util/random.js';
import { QUIC_V1 } from '../../src/wire/version.js';
import { loadVector } from '../vectors.js';
import { PROVIDERS } from './providers.js';

/** The nonce by the letter of §2.4: the 96-bit PPN as a bigint, XORed into the IV. */
function handNonce(iv: Uint8Array, pathId: number, pn: number): Uint8Array {
  const ppn = (BigInt(pathId) << 64n) | (BigInt(pn) & ((1n << 62n) - 1n));
  const out = iv.slice();
  for (let i = 0; i < 12; i++) {
    const at = out.length - 1 - i;
    out[at] = out[at]! ^ Number((ppn >> BigInt(8 * i)) & 0xffn);
  }
  return out;
}

/** AEAD ciphertext || tag straight from node:crypto, for the expected bytes. */
function nodeSeal(
  suite: CipherSuite,
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  plaintext: Uint8Array,
): Uint8Array {
  const c = createCipheriv(suite.aead as 'aes-128-gcm', key, nonce, { authTagLength: 16 });
  c.setAAD(aad);
  const ct = Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
  return new Uint8Array(ct);
}

const rng = new SeededRandom(10069);

/** A short-header packet: 0x41 (2-byte packet number), 8-byte DCID, pn, payload, tag room. */
function shortPacket(pn: number, payloadLength = 40): Uint8Array {
  const buf = new Uint8Array(1 + 8 + 2 + payloadLength + 16);
  buf[0] = 0x41;
  buf.set(rng.bytes(8), 1);
  buf[9] = (pn >>> 8) & 0xff;
  buf[10] = pn & 0xff;
  buf.set(rng.bytes(payloadLength), 11);
  return buf;
}
const PN_OFFSET = 9;
const PAYLOAD_START = 11;

const PATH_IDS = [0, 1, 3, 0x12345678, 2 ** 32 - 1];
const PNS = [0, 1, 54321, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1];

describe('crypto/multipath nonce (RFC 10069 §2.4)', () => {
  it('gives the RFC example: IV 6b26114b9cba2b63a9e8dd4f, path 3, packet 54321', () => {
    const iv = fromHex('6b26114b9cba2b63a9e8dd4f');
    const out = new Uint8Array(12);
    writePacketNonce(iv, 3, 54321, out);
    assert.equal(toHex(out), '6b2611489cba2b63a9e8097e');
  });

  it('matches the hand derivation for path IDs and packet numbers of every width', () => {
    const out = new Uint8Array(12 + 7);
    for (let i = 0; i < 20; i++) {
      const iv = rng.bytes(12);
      for (const pathId of PATH_IDS) {
        for (const pn of PNS) {
          writePacketNonce(iv, pathId, pn, out, 7);
          assert.equal(toHex(out.subarray(7)), toHex(handNonce(iv, pathId, pn)), `${pathId}/${pn}`);
        }
      }
    }
  });

  it('with path ID 0 is RFC 9001 §5.3 (the A.5 packet is unchanged)', () => {
    const c = loadVector('quic-v1-initial.json').chacha20_short_header;
    const suite = CIPHER_SUITES.find((s) => s.aead === 'chacha20-poly1305')!;
    for (const p of PROVIDERS) {
      const pr = new PacketProtector(p, suite, fromHex(c.secret), QUIC_V1);
      const h = fromHex(c.unprotected_header);
      const buf = new Uint8Array(h.length + 1 + 16);
      buf.set(h);
      buf.set(fromHex(c.payload_plaintext), h.length);
      pr.protect(buf, 0, 1, buf.length - 16, c.packet_number, 0);
      assert.equal(toHex(buf), c.protected_packet, p.name);
    }
  });

  for (const p of PROVIDERS) {
    describe(`provider ${p.name}`, () => {
      for (const suite of CIPHER_SUITES) {
        it(`${suite.name}: seals with the hand-derived nonce of the path`, () => {
          const secret = rng.bytes(suite.hashLength);
          const keys = derivePacketKeys(p, suite, secret, QUIC_V1);
          const pr = new PacketProtector(p, suite, secret, QUIC_V1);
          for (const pathId of PATH_IDS) {
            const pn = 1000 + pathId;
            const buf = shortPacket(pn & 0xffff);
            const aad = buf.slice(0, PAYLOAD_START);
            const plaintext = buf.slice(PAYLOAD_START, buf.length - 16);
            const expected = nodeSeal(
              suite,
              keys.key,
              handNonce(keys.iv, pathId, pn),
              aad,
              plaintext,
            );
            pr.protect(buf, 0, PN_OFFSET, buf.length - 16, pn, pathId);
            assert.equal(toHex(buf.subarray(PAYLOAD_START)), toHex(expected), `path ${pathId}`);
          }
        });

        it(`${suite.name}: round-trips on paths 0, 1 and 2^32-1, and only on its own path`, () => {
          const secret = rng.bytes(suite.hashLength);
          const tx = new PacketProtector(p, suite, secret, QUIC_V1);
          const rx = new PacketProtector(p, suite, secret, QUIC_V1);
          for (const pathId of [0, 1, 2 ** 32 - 1]) {
            const pn = 0x1234;
            const original = shortPacket(pn);
            const buf = original.slice();
            tx.protect(buf, 0, PN_OFFSET, buf.length - 16, pn, pathId);
            const pnLength = rx.removeHeaderProtection(buf, 0, PN_OFFSET, buf.length);
            assert.equal(pnLength, 2);
            const sealed = buf.slice();
            // The same packet number on another path does not authenticate.
            for (const other of [0, 1, 2, 2 ** 32 - 1].filter((o) => o !== pathId)) {
              assert.equal(rx.openPayload(buf, 0, PN_OFFSET, 2, pn, buf.length, other), -1);
              assert.deepEqual(buf, sealed, 'a failed open leaves the ciphertext');
            }
            const n = rx.openPayload(buf, 0, PN_OFFSET, 2, pn, buf.length, pathId);
            assert.equal(n, original.length - PAYLOAD_START - 16);
            assert.deepEqual(buf.subarray(0, PAYLOAD_START + n), original.subarray(0, -16));
          }
        });
      }

      it('batch nonces from writeNonce seal what the single calls open', () => {
        const suite = CIPHER_SUITES[0]!;
        const secret = rng.bytes(suite.hashLength);
        const keys = derivePacketKeys(p, suite, secret, QUIC_V1);
        const aead = p.createAead(suite.aead, keys.key);
        const pr = new PacketProtector(p, suite, secret, QUIC_V1);
        const packets = [shortPacket(1), shortPacket(2), shortPacket(3)];
        const pathIds = [0, 7, 2 ** 32 - 1];
        const size = packets[0]!.length;
        const buf = new Uint8Array(size * packets.length);
        const offsets = new Uint32Array(3 * packets.length);
        const nonces = new Uint8Array(12 * packets.length);
        packets.forEach((pkt, i) => {
          buf.set(pkt, i * size);
          offsets.set([i * size, i * size + PAYLOAD_START, (i + 1) * size - 16], 3 * i);
          pr.writeNonce(i + 1, pathIds[i]!, nonces, 12 * i);
        });
        aead.sealBatch(buf, offsets, nonces, packets.length);
        packets.forEach((pkt, i) => {
          const at = buf.subarray(i * size, (i + 1) * size);
          const expected = nodeSeal(
            suite,
            keys.key,
            handNonce(keys.iv, pathIds[i]!, i + 1),
            pkt.subarray(0, PAYLOAD_START),
            pkt.subarray(PAYLOAD_START, size - 16),
          );
          assert.equal(toHex(at.subarray(PAYLOAD_START)), toHex(expected), `packet ${i}`);
        });
      });
    });
  }

  it('refuses a path ID that is not a 32-bit integer', () => {
    const suite = CIPHER_SUITES[0]!;
    const pr = new PacketProtector(PROVIDERS[0]!, suite, rng.bytes(32), QUIC_V1);
    for (const bad of [2 ** 32, -1, 1.5, NaN]) {
      const buf = shortPacket(1);
      assert.throws(() => pr.protect(buf, 0, PN_OFFSET, buf.length - 16, 1, bad), RangeError);
      assert.throws(() => pr.openPayload(buf, 0, PN_OFFSET, 2, 1, buf.length, bad), RangeError);
      assert.throws(() => pr.writeNonce(1, bad, new Uint8Array(12)), RangeError);
    }
  });
});
