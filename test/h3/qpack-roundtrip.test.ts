// Encoder and decoder talking through simulated streams: seeded random header sets, encoder
// stream data delayed, split and delivered out of order with the field sections, decoder
// instructions fed back in random pieces, streams cancelled.
import assert from 'node:assert/strict';
import { QpackDecoder } from '../../src/h3/qpack/decoder.js';
import { QpackEncoder } from '../../src/h3/qpack/encoder.js';
import type { FieldLine } from '../../src/h3/qpack/field-section.js';
import { concatBytes } from '../../src/util/bytes.js';
import { randInt, seededRandom } from './helpers.js';

const NAMES = [
  ':method',
  ':path',
  ':authority',
  ':scheme',
  'user-agent',
  'accept',
  'x-trace',
  'x-custom-a',
  'x-custom-b',
  'cookie',
  'authorization',
  'content-type',
  'date',
  'etag',
  'x-long',
];
const VALUES = [
  'GET',
  'POST',
  '/',
  '/index.html',
  '/api/v1/items?id=42',
  'example.com',
  'https',
  'tsquic/0.1',
  'text/html',
  '*/*',
  'application/json',
  'abc',
  'déjà vu',
  '\x00\x7f\xff',
  '',
];

/** A byte pipe delivering in order, in random-sized pieces. */
class Pipe {
  private chunks: Uint8Array[] = [];
  push(data: Uint8Array | null): void {
    if (data !== null && data.length > 0) this.chunks.push(data);
  }
  get empty(): boolean {
    return this.chunks.length === 0;
  }
  take(rand: () => number): Uint8Array {
    const all = concatBytes(...this.chunks);
    const n = 1 + randInt(rand, all.length);
    this.chunks = n < all.length ? [all.subarray(n)] : [];
    return all.subarray(0, n);
  }
}

function randomSection(rand: () => number): FieldLine[] {
  const lines: FieldLine[] = [];
  const n = 1 + randInt(rand, 10);
  for (let i = 0; i < n; i++) {
    const name = NAMES[randInt(rand, NAMES.length)]!;
    let value = VALUES[randInt(rand, VALUES.length)]!;
    if (name === 'x-long') value = 'v'.repeat(randInt(rand, 300));
    if (rand() < 0.1) value += String(randInt(rand, 1000)); // fresh, never-seen values
    lines.push(rand() < 0.05 ? { name, value, neverIndex: true } : { name, value });
  }
  return lines;
}

function expectedNeverIndex(line: FieldLine): boolean {
  return (
    line.neverIndex === true ||
    ['authorization', 'proxy-authorization', 'cookie', 'set-cookie'].includes(line.name)
  );
}

interface Pending {
  streamId: number;
  lines: FieldLine[];
  section: Uint8Array;
  state: 'sent' | 'blocked';
}

function run(seed: number, capacity: number, blocked: number, steps: number) {
  const rand = seededRandom(seed);
  const enc = new QpackEncoder({ huffman: rand() < 0.7 });
  enc.applyPeerSettings(capacity, blocked);
  const dec = new QpackDecoder({
    maxTableCapacity: capacity,
    maxBlockedStreams: blocked,
    maxFieldSectionSize: 1 << 20,
  });
  const encoderStream = new Pipe();
  const decoderStream = new Pipe();
  const pending: Pending[] = [];
  let nextStream = 0;
  let decoded = 0;
  let blockedSeen = 0;
  let encodedBytes = 0;
  let plainBytes = 0;

  const check = (p: Pending, lines: FieldLine[]) => {
    assert.deepEqual(
      lines.map((l) => [l.name, l.value, l.neverIndex]),
      p.lines.map((l) => [l.name, l.value, expectedNeverIndex(l)]),
      `stream ${p.streamId} (seed ${seed})`,
    );
    decoded++;
  };
  const deliverEncoderStream = () => {
    for (const id of dec.handleEncoderStream(encoderStream.take(rand))) {
      const i = pending.findIndex((p) => p.streamId === id);
      assert.ok(i >= 0 && pending[i]!.state === 'blocked');
      check(pending[i]!, dec.decodeUnblocked(id));
      pending.splice(i, 1);
    }
    decoderStream.push(dec.takeDecoderStreamData());
  };

  for (let step = 0; step < steps; step++) {
    const action = rand();
    if (action < 0.35) {
      const lines = randomSection(rand);
      const streamId = nextStream;
      nextStream += 4;
      const section = enc.encode(streamId, lines);
      encodedBytes += section.length;
      for (const l of lines) plainBytes += l.name.length + l.value.length;
      encoderStream.push(enc.takeEncoderStreamData());
      pending.push({ streamId, lines, section, state: 'sent' });
      assert.ok(enc.blockingStreamCount <= blocked);
    } else if (action < 0.6 && !encoderStream.empty) {
      deliverEncoderStream();
    } else if (action < 0.8) {
      const sent = pending.filter((p) => p.state === 'sent');
      if (sent.length === 0) continue;
      const p = sent[randInt(rand, sent.length)]!;
      const lines = dec.decode(p.streamId, p.section);
      if (lines === null) {
        p.state = 'blocked';
        blockedSeen++;
        assert.ok(dec.blockedStreamCount <= blocked);
      } else {
        check(p, lines);
        pending.splice(pending.indexOf(p), 1);
      }
      decoderStream.push(dec.takeDecoderStreamData());
    } else if (action < 0.95 && !decoderStream.empty) {
      enc.handleDecoderStream(decoderStream.take(rand));
    } else if (pending.length > 0) {
      // The stream is reset before its section is decoded (RFC 9204 §2.2.2.2).
      const p = pending.splice(randInt(rand, pending.length), 1)[0]!;
      dec.cancelStream(p.streamId);
      decoderStream.push(dec.takeDecoderStreamData());
    }
  }
  // Drain: deliver everything, then all acknowledgments.
  while (!encoderStream.empty) deliverEncoderStream();
  for (const p of pending.filter((q) => q.state === 'sent')) {
    const lines = dec.decode(p.streamId, p.section);
    assert.ok(lines !== null, 'all inserts have arrived');
    check(p, lines);
  }
  assert.equal(dec.blockedStreamCount, 0);
  decoderStream.push(dec.takeDecoderStreamData());
  while (!decoderStream.empty) enc.handleDecoderStream(decoderStream.take(rand));
  assert.equal(enc.knownReceivedCount, enc.insertCount);
  assert.equal(enc.blockingStreamCount, 0);
  assert.equal(dec.insertCount, enc.insertCount);
  assert.equal(dec.tableSize, enc.tableSize);
  return { decoded, blockedSeen, inserts: enc.insertCount, encodedBytes, plainBytes };
}

describe('h3/qpack encoder-decoder round trips', () => {
  const configs: [number, number][] = [
    [0, 0],
    [64, 0],
    [220, 1],
    [220, 3],
    [1024, 0],
    [1024, 2],
    [4096, 16],
    [4096, 100],
  ];
  for (const [capacity, blocked] of configs) {
    it(`capacity ${capacity}, ${blocked} blocked streams`, () => {
      let blockedSeen = 0;
      let encodedBytes = 0;
      let plainBytes = 0;
      for (let seed = 1; seed <= 6; seed++) {
        const r = run(capacity * 1000 + blocked * 10 + seed, capacity, blocked, 400);
        assert.ok(r.decoded > 50);
        if (capacity >= 220) assert.ok(r.inserts > 0, 'the dynamic table is used');
        if (capacity === 0) assert.equal(r.inserts, 0);
        blockedSeen += r.blockedSeen;
        encodedBytes += r.encodedBytes;
        plainBytes += r.plainBytes;
      }
      // Blocking happens exactly when allowed and a table exists to block on.
      if (blocked === 0 || capacity === 0) assert.equal(blockedSeen, 0);
      else assert.ok(blockedSeen > 0, 'some sections were blocked');
      assert.ok(encodedBytes < plainBytes, 'compression happened');
    });
  }

  it('the dynamic table pays off on repeated requests', () => {
    const request: FieldLine[] = [
      { name: ':method', value: 'GET' },
      { name: ':scheme', value: 'https' },
      { name: ':authority', value: 'www.example.com' },
      { name: ':path', value: '/assets/app.js' },
      { name: 'user-agent', value: 'Mozilla/5.0 (X11; Linux x86_64) tsquic-test/1.0' },
      { name: 'x-request-context', value: 'appId=cid-v1:0123456789abcdef' },
    ];
    const enc = new QpackEncoder();
    enc.applyPeerSettings(4096, 16);
    const dec = new QpackDecoder();
    const sizes: number[] = [];
    for (let i = 0; i < 4; i++) {
      const section = enc.encode(i * 4, request);
      sizes.push(section.length);
      dec.handleEncoderStream(enc.takeEncoderStreamData() ?? new Uint8Array(0));
      assert.deepEqual(
        dec.decode(i * 4, section)?.map((l) => l.value),
        request.map((l) => l.value),
      );
      enc.handleDecoderStream(dec.takeDecoderStreamData()!);
    }
    // Later requests are a few bytes: every line is a table reference.
    assert.ok(sizes[2]! <= 2 + request.length, `sizes ${sizes.join(',')}`);
    assert.ok(sizes[2]! < sizes[0]! / 4);
  });

  it('never inserts sensitive fields and sends them with the N bit', () => {
    const enc = new QpackEncoder({ shouldIndex: () => true });
    enc.applyPeerSettings(4096, 16);
    const dec = new QpackDecoder();
    const lines: FieldLine[] = [
      { name: 'authorization', value: 'Bearer secret' },
      { name: 'cookie', value: 'session=1' },
      { name: 'x-secret', value: 'v', neverIndex: true },
    ];
    for (let i = 0; i < 3; i++) {
      const section = enc.encode(i * 4, lines);
      assert.equal(enc.takeEncoderStreamData(), null);
      assert.deepEqual(
        dec.decode(i * 4, section)?.map((l) => l.neverIndex),
        [true, true, true],
      );
    }
    assert.equal(enc.insertCount, 0);
  });

  it('does not block when the peer allows no blocked streams', () => {
    const enc = new QpackEncoder({ shouldIndex: () => true });
    enc.applyPeerSettings(4096, 0);
    const dec = new QpackDecoder({ maxBlockedStreams: 0 });
    const lines: FieldLine[] = [{ name: 'x-a', value: '1' }];
    // Inserted but not referenced until acknowledged.
    const s0 = enc.encode(0, lines);
    assert.equal(enc.insertCount, 1);
    assert.equal(s0[0], 0); // Required Insert Count 0
    assert.deepEqual(
      dec.decode(0, s0)?.map((l) => l.value),
      ['1'],
    );
    dec.handleEncoderStream(enc.takeEncoderStreamData()!);
    enc.handleDecoderStream(dec.takeDecoderStreamData()!);
    assert.equal(enc.knownReceivedCount, 1);
    const s4 = enc.encode(4, lines);
    assert.notEqual(s4[0], 0);
    assert.deepEqual(
      dec.decode(4, s4)?.map((l) => l.value),
      ['1'],
    );
  });

  it('does not evict entries that unacknowledged sections reference', () => {
    // Room for two 40-byte entries only.
    const enc = new QpackEncoder({ shouldIndex: () => true });
    enc.applyPeerSettings(100, 10);
    const dec = new QpackDecoder({ maxTableCapacity: 100, maxBlockedStreams: 10 });
    const s0 = enc.encode(0, [{ name: 'x-a', value: 'aaaaa' }]);
    dec.handleEncoderStream(enc.takeEncoderStreamData()!);
    enc.handleDecoderStream(dec.takeDecoderStreamData()!); // insert acknowledged, section not yet
    assert.equal(enc.referenceCount(0), 1);
    const s4 = enc.encode(4, [
      { name: 'x-b', value: 'bbbbb' },
      { name: 'x-c', value: 'ccccc' },
    ]);
    // x-b fits; x-c would need to evict x-a, which stream 0 still references: literal.
    assert.equal(enc.insertCount, 2);
    dec.handleEncoderStream(enc.takeEncoderStreamData()!);
    assert.deepEqual(
      dec.decode(0, s0)?.map((l) => l.value),
      ['aaaaa'],
    );
    assert.deepEqual(
      dec.decode(4, s4)?.map((l) => l.value),
      ['bbbbb', 'ccccc'],
    );
    enc.handleDecoderStream(dec.takeDecoderStreamData()!);
    // Both acknowledged and unreferenced: now x-c may evict x-a.
    assert.equal(enc.insert('x-c', 'ccccc'), true);
    assert.equal(enc.insertCount, 3);
  });
});
