import assert from 'node:assert/strict';
import { QpackDecoder } from '../../src/h3/qpack/decoder.js';
import { QpackEncoder } from '../../src/h3/qpack/encoder.js';
import type { FieldLine } from '../../src/h3/qpack/field-section.js';
import { QpackReader } from '../../src/h3/qpack/primitives.js';
import { readEncoderInstruction } from '../../src/h3/qpack/instructions.js';

const f = (name: string, value: string): FieldLine => ({ name, value });

function instructions(bytes: Uint8Array | null): string[] {
  if (bytes === null) return [];
  const r = new QpackReader(bytes);
  const out: string[] = [];
  for (
    let i = readEncoderInstruction(r, 1 << 20);
    i !== null;
    i = readEncoderInstruction(r, 1 << 20)
  ) {
    out.push(
      i.type === 'set-capacity'
        ? `cap ${i.capacity}`
        : i.type === 'duplicate'
          ? `dup ${i.relativeIndex}`
          : i.type,
    );
  }
  assert.equal(r.remaining, 0);
  return out;
}

/** Moves encoder-stream data to the decoder and acknowledgments back. */
function sync(enc: QpackEncoder, dec: QpackDecoder): void {
  const e = enc.takeEncoderStreamData();
  if (e !== null) dec.handleEncoderStream(e);
  const d = dec.takeDecoderStreamData();
  if (d !== null) enc.handleDecoderStream(d);
}

describe('h3/qpack/encoder', () => {
  it('uses no dynamic table before the peer allows one', () => {
    const enc = new QpackEncoder({ shouldIndex: () => true });
    enc.encode(0, [f('x-a', '1'), f(':authority', 'example.com')]);
    assert.equal(enc.takeEncoderStreamData(), null);
    assert.equal(enc.insertCount, 0);
    enc.applyPeerSettings(0, 100);
    enc.encode(4, [f('x-a', '1')]);
    assert.equal(enc.insertCount, 0);
    // Values remembered for 0-RTT may be replaced while nothing was inserted ...
    enc.applyPeerSettings(100, 0);
    enc.encode(8, [f('x-b', '2')]);
    assert.equal(enc.insertCount, 1);
    // ... never once the table is in use.
    assert.throws(() => enc.applyPeerSettings(200, 0), RangeError);
  });

  it('sets the capacity once, lazily, to the smaller of the two limits', () => {
    const enc = new QpackEncoder({ maxTableCapacity: 300 });
    enc.applyPeerSettings(4096, 10);
    assert.equal(enc.takeEncoderStreamData(), null);
    enc.encode(0, [f(':authority', 'example.com'), f('user-agent', 'ua')]);
    assert.deepEqual(instructions(enc.takeEncoderStreamData()), [
      'cap 300',
      'insert-name-ref',
      'insert-name-ref',
    ]);
    assert.equal(enc.capacity, 300);
    enc.encode(4, [f(':authority', 'other.example')]);
    assert.deepEqual(instructions(enc.takeEncoderStreamData()), ['insert-name-ref']);
  });

  it('indexes names that repeat per connection at once, others on second sight', () => {
    const enc = new QpackEncoder();
    enc.applyPeerSettings(4096, 10);
    enc.encode(0, [f('user-agent', 'ua/1'), f('x-trace', 't1'), f(':path', '/a')]);
    assert.equal(enc.insertCount, 1);
    enc.encode(4, [f('x-trace', 't2'), f(':path', '/a')]);
    assert.equal(enc.insertCount, 2, ':path /a repeated');
    enc.encode(8, [f('x-trace', 't2')]);
    assert.equal(enc.insertCount, 3);
    // Oversized lines stay literals.
    enc.encode(12, [f('x-big', 'v'.repeat(3000)), f('x-big', 'v'.repeat(3000))]);
    enc.encode(16, [f('x-big', 'v'.repeat(3000))]);
    assert.equal(enc.insertCount, 3);
  });

  it('duplicates a draining entry instead of referencing it', () => {
    const enc = new QpackEncoder({ shouldIndex: () => true });
    enc.applyPeerSettings(200, 10);
    const dec = new QpackDecoder({ maxTableCapacity: 200 });
    // Four 41-byte entries: the oldest ones fall in the draining quarter.
    for (let i = 0; i < 4; i++) {
      const section = enc.encode(i * 4, [f('x-' + i, 'abcdef')]);
      sync(enc, dec);
      assert.equal(dec.decode(i * 4, section)?.length, 1);
      sync(enc, dec);
    }
    assert.equal(enc.knownReceivedCount, 4);
    const section = enc.encode(16, [f('x-0', 'abcdef')]);
    assert.deepEqual(instructions(enc.takeEncoderStreamData()), ['dup 3']);
    assert.equal(enc.insertCount, 5);
    dec.handleEncoderStream(new Uint8Array([0x03]));
    assert.deepEqual(
      dec.decode(16, section)?.map((l) => l.value),
      ['abcdef'],
    );
  });

  it('keeps the number of streams that may block within the peer limit', () => {
    const enc = new QpackEncoder({ shouldIndex: () => true });
    enc.applyPeerSettings(4096, 1);
    const s0 = enc.encode(0, [f('x-a', '1')]);
    assert.equal(enc.blockingStreamCount, 1);
    assert.notEqual(s0[0], 0);
    // Another stream may not block: the new entry is inserted but sent as a literal.
    const s4 = enc.encode(4, [f('x-b', '2'), f('x-a', '1')]);
    assert.equal(s4[0], 0, 'Required Insert Count 0');
    assert.equal(enc.blockingStreamCount, 1);
    // The blocking stream itself may reference more unacknowledged entries.
    const s0b = enc.encode(0, [f('x-b', '2')]);
    assert.notEqual(s0b[0], 0);
    assert.equal(enc.blockingStreamCount, 1);
  });

  it('inserts nothing when told the encoder stream is backed up', () => {
    const enc = new QpackEncoder({ shouldIndex: () => true });
    enc.applyPeerSettings(4096, 10);
    const dec = new QpackDecoder();
    const first = enc.encode(0, [f('x-a', '1')]);
    sync(enc, dec);
    dec.decode(0, first);
    sync(enc, dec);
    const section = enc.encode(4, [f('x-a', '1'), f('x-new', '2')], false);
    assert.equal(enc.takeEncoderStreamData(), null);
    assert.equal(enc.insertCount, 1);
    assert.deepEqual(
      dec.decode(4, section)?.map((l) => l.value),
      ['1', '2'],
    );
  });

  it('rejects characters above 0xff without changing any state', () => {
    const enc = new QpackEncoder({ shouldIndex: () => true });
    enc.applyPeerSettings(4096, 10);
    assert.throws(() => enc.encode(0, [f('x-a', '1'), f('x-b', '\u2603')]), TypeError);
    assert.equal(enc.insertCount, 0);
    assert.equal(enc.takeEncoderStreamData(), null);
    assert.equal(enc.blockingStreamCount, 0);
    assert.throws(
      () => new QpackEncoder({ huffman: false }).encode(0, [f('x-a', '\u2603')]),
      TypeError,
    );
  });
});
