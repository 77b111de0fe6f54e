/**
 * The engine's batch calls (docs/ARCHITECTURE.md §7.4): pollTransmitBatch hands out the GSO
 * shape (datagrams of one size end to end, the last may be shorter, one destination and ECN
 * mark) and handleDatagramBatch takes a GRO message; a transfer driven only through them
 * arrives byte for byte, and the single-datagram calls see the same datagrams.
 */
import { strict as assert } from 'node:assert';
import { defaultProvider } from '../../src/crypto/default-provider.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { Engine, type TransmitBatch } from '../../src/engine/engine.js';
import { TransmitBatcher, type TransmitSource } from '../../src/engine/transmit-batch.js';
import {
  PAIR_CLIENT_ADDRESS,
  PAIR_SERVER_ADDRESS,
  testCertificate,
} from '../../src/testing/index.js';
import type { Transmit } from '../../src/util/address.js';
import type { Connection } from '../../src/conn/connection.js';
import { Sink, pattern, pump } from '../scenario/transfer-kit.js';

/** A source over a fixed list of datagrams, each tagged with its sender. */
function listSource(items: { t: Transmit; sender: number }[]): TransmitSource {
  let i = 0;
  let last = -1;
  let held: Transmit | null = null;
  return {
    next: () => {
      if (held !== null) {
        const h = held;
        held = null;
        last = -1;
        return h;
      }
      const it = items[i++];
      last = it?.sender ?? -1;
      return it?.t ?? null;
    },
    again: () => {
      const it = items[i];
      if (it === undefined || it.sender !== last) return null;
      i++;
      return it.t;
    },
    putBack: (t) => {
      held = t;
    },
  };
}

/** Calls into packet protection: single-packet and batch, and the packets the batches held. */
interface ProtectionCalls {
  /** Packets sealed alone: seal(), or a batch call of one (PacketProtector.protect uses one). */
  seal: number;
  /** Batch calls of more than one packet, and the packets they sealed. */
  sealBatch: number;
  sealedInBatches: number;
  mask: number;
  maskBatch: number;
}

/** `defaultProvider` with its AEAD and header-protection calls counted. */
function countingProvider(calls: ProtectionCalls): CryptoProvider {
  const base = defaultProvider;
  return {
    ...base,
    random: (n) => base.random(n),
    createAead: (alg, key) => {
      const aead = base.createAead(alg, key);
      return {
        alg: aead.alg,
        seal: (...a) => {
          calls.seal++;
          return aead.seal(...a);
        },
        open: (...a) => aead.open(...a),
        sealBatch: (buf, offsets, nonces, count) => {
          if (count === 1) {
            calls.seal++;
          } else {
            calls.sealBatch++;
            calls.sealedInBatches += count;
          }
          aead.sealBatch(buf, offsets, nonces, count);
        },
        openBatch: (...a) => aead.openBatch(...a),
      };
    },
    createHeaderProtection: (alg, key) => {
      const hp = base.createHeaderProtection(alg, key);
      return {
        mask: (...a) => {
          calls.mask++;
          hp.mask(...a);
        },
        maskBatch: (buf, samples, count, masks) => {
          calls.maskBatch++;
          hp.maskBatch(buf, samples, count, masks);
        },
      };
    },
  };
}

const A = { address: '10.0.0.1', port: 1 };
const B = { address: '10.0.0.2', port: 2 };

function dgram(n: number, fill: number, remote = A, ecn?: number): Transmit {
  const t: Transmit = { data: new Uint8Array(n).fill(fill), remote };
  if (ecn !== undefined) t.ecn = ecn;
  return t;
}

describe('engine/transmit-batch: the GSO shape out, GRO messages in', () => {
  it('groups datagrams of one sender, size, destination and ECN; the last may be shorter', () => {
    const items = [
      { t: dgram(1200, 1), sender: 0 },
      { t: dgram(1200, 2), sender: 0 },
      { t: dgram(700, 3), sender: 0 }, // short: ends the batch
      { t: dgram(1200, 4), sender: 0 },
      { t: dgram(1300, 5), sender: 0 }, // larger: a new batch
      { t: dgram(1300, 6, B), sender: 0 }, // another destination
      { t: dgram(1300, 7, B, 2), sender: 0 }, // another ECN mark
      { t: dgram(1300, 8, B, 2), sender: 1 }, // another sender: not polled with `again`
    ];
    const source = listSource(items);
    const batcher = new TransmitBatcher();
    const out: TransmitBatch[] = [];
    for (let b = batcher.next(source, 0); b; b = batcher.next(source, 0)) out.push(b);
    assert.deepEqual(
      out.map((b) => [b.count, b.segmentSize, b.data.length, b.remote.port, b.ecn]),
      [
        [3, 1200, 3100, 1, undefined],
        [1, 1200, 1200, 1, undefined],
        [1, 1300, 1300, 1, undefined],
        [1, 1300, 1300, 2, undefined],
        [1, 1300, 1300, 2, 2],
        [1, 1300, 1300, 2, 2],
      ],
    );
    // Byte for byte: the batch is the datagrams end to end.
    const first = out[0]!.data;
    assert.deepEqual(first.subarray(0, 1200), new Uint8Array(1200).fill(1));
    assert.deepEqual(first.subarray(1200, 2400), new Uint8Array(1200).fill(2));
    assert.deepEqual(first.subarray(2400), new Uint8Array(700).fill(3));
  });

  it('hands out datagrams that lie end to end as a view, and copies a run that breaks', () => {
    // A connection's slab: datagrams written one after another (conn/packet-builder.ts).
    const slab = new Uint8Array(10_000);
    const at = (offset: number, n: number, fill: number): Transmit => ({
      data: slab.subarray(offset, offset + n).fill(fill),
      remote: A,
    });
    const inPlace = [at(0, 1200, 1), at(1200, 1200, 2), at(2400, 500, 3)];
    const batcher = new TransmitBatcher();
    const b = batcher.next(listSource(inPlace.map((t) => ({ t, sender: 0 }))), 0)!;
    assert.equal(b.count, 3);
    assert.equal(b.data.buffer, slab.buffer, 'no copy');
    assert.equal(b.data.byteOffset, 0);
    assert.equal(b.data.length, 2900);
    // The third datagram starts elsewhere (a new slab): the batch is copied, bytes intact.
    const other = new Uint8Array(1200).fill(7);
    const broken = [
      at(5000, 1200, 4),
      at(6200, 1200, 5),
      { data: other, remote: A },
      at(0, 800, 6),
    ];
    const c = batcher.next(listSource(broken.map((t) => ({ t, sender: 0 }))), 0)!;
    assert.equal(c.count, 4);
    assert.notEqual(c.data.buffer, slab.buffer);
    const expected = new Uint8Array(4400);
    expected.fill(4, 0, 1200).fill(5, 1200, 2400).fill(7, 2400, 3600).fill(6, 3600);
    assert.deepEqual(c.data, expected);
  });

  it('caps a batch at maxSegments and at 64 KiB of payload', () => {
    const items = Array.from({ length: 100 }, (_, i) => ({ t: dgram(1452, i), sender: 0 }));
    const batcher = new TransmitBatcher();
    const counts: number[] = [];
    const source = listSource(items);
    for (let b = batcher.next(source, 0, 10); b; b = batcher.next(source, 0, 10)) {
      counts.push(b.count);
    }
    assert.deepEqual(counts, [10, 10, 10, 10, 10, 10, 10, 10, 10, 10]);
    const big = listSource(items);
    const b = batcher.next(big, 0)!;
    assert.equal(b.count, Math.floor(65000 / 1452));
  });

  it('a transfer driven only by pollTransmitBatch and handleDatagramBatch arrives intact', () => {
    const { cert, ca } = testCertificate();
    const server = new Engine({ server: { alpn: ['t'], certificate: cert } });
    // The sender's packet protection, counted: its 1-RTT packets go in batches.
    const calls = { seal: 0, sealBatch: 0, sealedInBatches: 0, mask: 0, maskBatch: 0 };
    const client = new Engine({ crypto: countingProvider(calls) });
    const conn = client.connect(
      PAIR_SERVER_ADDRESS,
      { alpn: ['t'], serverName: 'localhost', ca: [ca], local: PAIR_CLIENT_ADDRESS, ecn: true },
      0,
    );
    const data = pattern(3_000_000, 11);
    const sink = new Sink(data);
    let accepted: Connection | null = null;
    let now = 0;
    const shapes: TransmitBatch[] = [];
    const shuttle = (from: Engine, to: Engine): number => {
      let moved = 0;
      for (let b = from.pollTransmitBatch(now); b; b = from.pollTransmitBatch(now)) {
        assert.ok(b.data.length > (b.count - 1) * b.segmentSize);
        assert.ok(b.data.length <= b.count * b.segmentSize);
        if (from === client) shapes.push(b);
        // Received as a GRO message of the same shape, with the sender's ECN mark.
        to.handleDatagramBatch(b.data.slice(), b.segmentSize, b.remote, b.local!, now, b.ecn);
        moved++;
      }
      return moved;
    };
    let started = false;
    for (let step = 0; step < 200_000 && !sink.complete; step++) {
      const moved = shuttle(client, server) + shuttle(server, client);
      if (accepted === null) {
        accepted = server.accept();
        accepted?.on('readable', (s) => sink.take(s));
      }
      if (!started && conn.handshakeComplete) {
        started = true;
        pump(conn, conn.openStream(true)!, data);
      }
      if (moved === 0) {
        now = Math.max(now + 1, Math.min(client.nextTimeout(), server.nextTimeout()));
        client.handleTimeout(now);
        server.handleTimeout(now);
      } else {
        now += 50;
      }
    }
    assert.ok(sink.complete, `received ${sink.received} of ${data.length}`);
    const largest = Math.max(...shapes.map((b) => b.count));
    assert.ok(largest >= 8, `batches of ${largest} datagrams at most`);
    // The client marks ECT(0) (RFC 9000 §13.4): the marks went through the batches.
    assert.ok(shapes.some((b) => b.ecn === 2));
    assert.ok(accepted!.getStats().ecn.receivedEct0 > 0);
    // The sender's 1-RTT packets were protected in batches of many (ahead-queue.ts); the single
    // ones are its Initial and Handshake packets, the few 1-RTT packets built on their own (PMTU
    // probes) and batches that happened to hold one packet.
    const sent = conn.getStats().packetsSent;
    assert.ok(sent > 2000, `${sent} packets`);
    assert.ok(calls.sealedInBatches > sent - 40, `${calls.sealedInBatches} of ${sent} batched`);
    assert.ok(calls.seal < 40, `${calls.seal} single seals`);
    assert.ok(calls.sealBatch * 10 < calls.sealedInBatches, `${calls.sealBatch} batch calls`);
    // Every batch of many is masked in one call; a batch of one may be too.
    assert.ok(
      calls.maskBatch >= calls.sealBatch && calls.maskBatch <= calls.sealBatch + calls.seal,
    );
    // Single masks: the packets sealed singly, and removing protection from what it received.
    const received = accepted!.getStats().packetsSent;
    assert.ok(calls.mask <= calls.seal + received, `${calls.mask} single masks`);
  });
});
