import assert from 'node:assert/strict';
import {
  BatchReader,
  BatchWriter,
  createDatagramRing,
  type DatagramBatch,
} from '../../src/node/worker-socket.js';
import { SeededRandom } from '../../src/util/random.js';

const FROM = { address: '192.0.2.1', port: 4433 };

describe('worker-socket datagram rings', () => {
  it('every batch is read from the one ring: no buffer per batch, contents intact across wraps', () => {
    const ring = createDatagramRing(64 * 1024);
    const writer = new BatchWriter(ring);
    const reader = new BatchReader(ring);
    const rng = new SeededRandom(14);
    const buffers = new Set<ArrayBufferLike>();
    let bytes = 0;
    let datagrams = 0;
    for (let b = 0; b < 500; b++) {
      const sent: Uint8Array[] = [];
      for (let n = 1 + rng.int(20); n > 0; n--) {
        const d = rng.bytes(1 + rng.int(1500));
        assert.equal(writer.add(d, { address: FROM.address, port: FROM.port + (n % 2) }), true);
        sent.push(d);
      }
      const batch = writer.take()!;
      // The batch crosses threads by structured clone, as postMessage sends it.
      const received: Uint8Array[] = [];
      const end = reader.forEach(structuredClone(batch), (data, remote) => {
        buffers.add(data.buffer);
        assert.equal(remote.address, FROM.address);
        received.push(data.slice());
      });
      reader.release(end);
      assert.deepEqual(received, sent);
      bytes += sent.reduce((s, d) => s + d.length, 0);
      datagrams += sent.length;
      assert.equal(writer.take(), null);
    }
    assert.ok(bytes > 50 * 64 * 1024, `wrapped round the ring many times (${bytes} bytes)`);
    assert.equal(buffers.size, 1, `${datagrams} datagrams in 500 batches, one buffer`);
    assert.ok(buffers.has(ring));
    assert.equal(writer.dropped, 0);
  });

  it('a reader that falls behind: the writer drops and counts, and what it holds stays intact', () => {
    const ring = createDatagramRing(16 * 1024);
    const writer = new BatchWriter(ring);
    const reader = new BatchReader(ring);
    const first = Uint8Array.from({ length: 1200 }, (_, i) => i & 0xff);
    assert.equal(writer.add(first, FROM), true);
    const held = writer.take()!;
    const filler = new Uint8Array(1200).fill(0xaa);
    let accepted = 0;
    while (writer.add(filler, FROM)) accepted++;
    // 16 KiB holds 13 datagrams of 1200 octets: the held one and 12 more, then no room.
    assert.equal(accepted, 12);
    for (let i = 0; i < 100; i++) assert.equal(writer.add(filler, FROM), false);
    assert.equal(writer.dropped, 101);
    const rest = writer.take()!;
    let seen: Uint8Array | null = null;
    const heldEnd = reader.forEach(held, (data) => (seen = data.slice()));
    assert.deepEqual(seen, first);
    // Released, the first datagram's room (and the ring's tail) is free again: what fits in it
    // goes in, and the unread batch is untouched.
    reader.release(heldEnd);
    assert.equal(writer.add(new Uint8Array(1000).fill(0x55), FROM), true);
    assert.equal(writer.add(new Uint8Array(1000), FROM), false);
    const restEnd = reader.forEach(rest, (data) => assert.deepEqual(data, filler));
    reader.release(restEnd);
    const last: DatagramBatch = writer.take()!;
    reader.forEach(last, (data) => assert.deepEqual(data, new Uint8Array(1000).fill(0x55)));
  });

  it('rings are a power of two in size', () => {
    assert.throws(() => createDatagramRing(3000), RangeError);
    assert.throws(() => createDatagramRing(1024), RangeError);
    assert.equal(createDatagramRing(4096).byteLength > 4096, true);
  });
});
