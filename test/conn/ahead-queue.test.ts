/**
 * Batch protection of 1-RTT packets (conn/ahead-queue.ts, PacketProtector.queue and
 * protectQueued): the packets come out byte for byte as per-packet `protect` writes them, with
 * the same count against the confidentiality limit, across key phases, buffers and full
 * batches, on every provider (native too when its addon loaded).
 */
import { strict as assert } from 'node:assert';
import {
  MAX_BATCH_PACKETS,
  PacketProtector,
  ProtectionBatch,
} from '../../src/crypto/packet-protection.js';
import type { CipherSuiteName } from '../../src/crypto/suites.js';
import { AheadQueue, type OutgoingDatagram } from '../../src/conn/ahead-queue.js';
import { toHex } from '../../src/util/bytes.js';
import { Writer } from '../../src/util/cursor.js';
import { SeededRandom } from '../../src/util/random.js';
import { writeLongHeader, writeShortHeader } from '../../src/wire/header.js';
import { PacketType } from '../../src/wire/version.js';
import { PROVIDERS } from '../crypto/providers.js';

const QUIC_V1 = 0x00000001;
const SUITES: CipherSuiteName[] = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
];
const ADDRESS = { address: '127.0.0.1', port: 4433 };

/** One packet written in plaintext: where it lies in its buffer and how to protect it. */
interface Written {
  buf: number;
  start: number;
  pnOffset: number;
  payloadEnd: number;
  pn: number;
  keys: number;
}

/**
 * Writes `count` packets into two buffers (1-RTT short headers of every packet-number length,
 * key phase 0 then 1, the QUIC bit set and cleared),
 * payloads of up to 1200 random bytes, 16 bytes of tag room after each.
 */
function writePackets(rng: SeededRandom, count: number) {
  const bufs = [new Uint8Array(count * 1300), new Uint8Array(count * 1300)];
  const writers = bufs.map((b) => new Writer(b));
  const packets: Written[] = [];
  const dcid = rng.bytes(8);
  for (let i = 0; i < count; i++) {
    const buf = i < count / 2 ? 0 : i % 3 === 0 ? 0 : 1;
    const w = writers[buf]!;
    const pn = 1000 + i * 37;
    const pnLen = (1 + (i % 4)) as 1 | 2 | 3 | 4;
    const keys = i < (2 * count) / 3 ? 0 : 1;
    const start = w.pos;
    const pnOffset = writeShortHeader(w, dcid, pn, pnLen, keys === 1, false, i % 5 !== 0);
    // Packet number and payload are at least 4 bytes (the sample, RFC 9001 §5.4.2): every
    // seventh packet is that short or one byte more.
    const least = Math.max(1, 4 - pnLen);
    const payload = i % 7 === 0 ? least + (i % 2) : Math.max(least, 1 + rng.int(1200));
    w.bytes(rng.bytes(payload));
    packets.push({ buf, start, pnOffset, payloadEnd: w.pos, pn, keys });
    w.pos += 16;
  }
  return { bufs, packets, dcid };
}

describe('conn/ahead-queue: 1-RTT packets protected in batches', () => {
  const rng = new SeededRandom(1313);
  for (const provider of PROVIDERS) {
    for (const suite of SUITES) {
      it(`${provider.name} ${suite}: byte for byte what per-packet protect writes`, () => {
        const secret = rng.bytes(suite.endsWith('SHA384') ? 48 : 32);
        const count = 3 * MAX_BATCH_PACKETS + 5;
        const { bufs, packets } = writePackets(rng, count);
        const single = bufs.map((b) => b.slice());
        const perPacket = [new PacketProtector(provider, suite, secret, QUIC_V1)];
        perPacket.push(perPacket[0]!.nextKeyPhase());
        const batched = [new PacketProtector(provider, suite, secret, QUIC_V1)];
        batched.push(batched[0]!.nextKeyPhase());

        const queue = new AheadQueue();
        for (const p of packets) {
          const end = perPacket[p.keys]!.protect(
            single[p.buf]!,
            p.start,
            p.pnOffset,
            p.payloadEnd,
            p.pn,
          );
          const queued = queue.defer(
            batched[p.keys]!,
            bufs[p.buf]!,
            p.start,
            p.pnOffset,
            p.payloadEnd,
            p.pn,
          );
          assert.equal(queued, end);
        }
        queue.seal();
        assert.equal(toHex(bufs[0]!), toHex(single[0]!));
        assert.equal(toHex(bufs[1]!), toHex(single[1]!));
        assert.deepEqual(
          batched.map((k) => k.sealedPackets),
          perPacket.map((k) => k.sealedPackets),
        );
        // And the receiver's per-packet path opens them.
        const p = packets[count - 1]!;
        const opener = new PacketProtector(provider, suite, secret, QUIC_V1).nextKeyPhase();
        const packetEnd = p.payloadEnd + 16;
        const pnLen = opener.removeHeaderProtection(bufs[p.buf]!, p.start, p.pnOffset, packetEnd);
        assert.equal(pnLen, 1 + ((count - 1) % 4));
        const n = opener.openPayload(bufs[p.buf]!, p.start, p.pnOffset, pnLen, p.pn, packetEnd);
        assert.equal(n, p.payloadEnd - p.pnOffset - pnLen);
      });
    }
  }

  it('protects long headers as protect does (4 masked bits of the first byte)', () => {
    const provider = PROVIDERS[PROVIDERS.length - 1]!;
    const secret = rng.bytes(32);
    const buf = new Uint8Array(2000);
    const w = new Writer(buf);
    const o = writeLongHeader(w, {
      version: QUIC_V1,
      type: PacketType.Handshake,
      dcid: rng.bytes(8),
      scid: rng.bytes(8),
      packetNumber: 7,
      packetNumberLength: 2,
    });
    w.bytes(rng.bytes(300));
    const single = buf.slice();
    new PacketProtector(provider, 'TLS_AES_128_GCM_SHA256', secret, QUIC_V1).protect(
      single,
      0,
      o.pnOffset,
      w.pos,
      7,
    );
    const k = new PacketProtector(provider, 'TLS_AES_128_GCM_SHA256', secret, QUIC_V1);
    const batch = new ProtectionBatch();
    k.queue(batch, buf, 0, o.pnOffset, w.pos, 7);
    k.protectQueued(buf, batch);
    assert.equal(batch.count, 0);
    assert.equal(toHex(buf), toHex(single));
  });

  it('refuses what protect refuses, before queueing anything', () => {
    const provider = PROVIDERS[0]!;
    const k = new PacketProtector(provider, 'TLS_AES_128_GCM_SHA256', rng.bytes(32), QUIC_V1);
    const batch = new ProtectionBatch();
    const buf = new Uint8Array(100);
    buf[0] = 0x43; // short header, 4-byte packet number
    assert.throws(() => k.queue(batch, buf, 0, 9, 90, 1), RangeError); // no room for the tag
    assert.throws(() => k.queue(batch, buf, 0, 9, 12, 1), RangeError); // too short to sample
    assert.throws(() => k.queue(batch, buf, 0, 9, 20, 1, -1), RangeError); // bad path ID
    assert.equal(batch.count, 0);
    assert.equal(k.sealedPackets, 0);
    for (let i = 0; i < MAX_BATCH_PACKETS; i++) k.queue(batch, buf, 0, 9, 20, i);
    assert.throws(() => k.queue(batch, buf, 0, 9, 20, 99), RangeError); // full
    assert.equal(k.sealedPackets, MAX_BATCH_PACKETS);
  });

  it('hands datagrams out in the order they were pushed', () => {
    const queue = new AheadQueue();
    const d = (n: number): OutgoingDatagram => ({
      data: new Uint8Array(n),
      remote: ADDRESS,
      local: ADDRESS,
      ecn: 0,
    });
    assert.equal(queue.shift(), null);
    for (let round = 0; round < 2; round++) {
      const pushed = [d(1), d(2), d(3)];
      for (const x of pushed) queue.push(x);
      assert.equal(queue.length, 3);
      assert.equal(queue.full, false);
      for (const x of pushed) assert.equal(queue.shift(), x);
      assert.equal(queue.shift(), null);
      assert.equal(queue.length, 0);
    }
    // Around the ring: the order holds across its end.
    for (let i = 0; i < MAX_BATCH_PACKETS - 2; i++) queue.push(d(i));
    assert.equal(queue.shift()!.data.length, 0);
    for (let i = 0; i < 3; i++) queue.push(d(100 + i));
    assert.equal(queue.full, true);
    assert.throws(() => queue.push(d(0)), RangeError);
    const lengths: number[] = [];
    for (let x = queue.shift(); x !== null; x = queue.shift()) lengths.push(x.data.length);
    assert.deepEqual(lengths, [
      ...Array.from({ length: MAX_BATCH_PACKETS - 3 }, (_, i) => i + 1),
      100,
      101,
      102,
    ]);
  });
});
