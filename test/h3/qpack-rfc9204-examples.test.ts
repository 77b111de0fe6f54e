// RFC 9204 Appendix B, replayed byte for byte through the encoder and the decoder.
import assert from 'node:assert/strict';
import { H3ErrorCode } from '../../src/h3/errors.js';
import { QpackDecoder } from '../../src/h3/qpack/decoder.js';
import { QpackEncoder } from '../../src/h3/qpack/encoder.js';
import type { FieldLine } from '../../src/h3/qpack/field-section.js';
import { fromHex, toHex } from '../../src/util/bytes.js';
import { assertH3Error } from './helpers.js';

const B1_SECTION = '0000510b2f696e6465782e68746d6c';
const B2_ENCODER = '3fbd01c00f7777772e6578616d706c652e636f6dc10c2f73616d706c652f70617468';
const B2_SECTION = '03811011';
const B3_ENCODER = '4a637573746f6d2d6b65790c637573746f6d2d76616c7565';
const B4_ENCODER = '02';
const B4_SECTION = '050080c181';
const B5_ENCODER = '810d637573746f6d2d76616c756532';

const f = (name: string, value: string): FieldLine => ({ name, value });
const plain = (lines: FieldLine[] | null) => lines?.map(({ name, value }) => [name, value]);

describe('h3/qpack RFC 9204 Appendix B', () => {
  it('the encoder produces every encoder-stream instruction and field section', () => {
    // Plain literals and "index everything" reproduce the choices the examples make.
    const enc = new QpackEncoder({ huffman: false, shouldIndex: () => true });
    const take = () => toHex(enc.takeEncoderStreamData() ?? new Uint8Array(0));

    // B.1: no dynamic table yet, a literal with a static name reference.
    assert.equal(toHex(enc.encode(0, [f(':path', '/index.html')])), B1_SECTION);
    assert.equal(take(), '');

    // B.2: the decoder allows 220 bytes; two inserts referenced post-Base.
    enc.applyPeerSettings(220, 100);
    const s4 = enc.encode(4, [f(':authority', 'www.example.com'), f(':path', '/sample/path')]);
    assert.equal(take(), B2_ENCODER);
    assert.equal(toHex(s4), B2_SECTION);
    assert.equal(enc.tableSize, 106);
    assert.equal(enc.referenceCount(0), 1);
    assert.equal(enc.referenceCount(1), 1);
    assert.equal(enc.blockingStreamCount, 1);
    enc.handleDecoderStream(fromHex('84'));
    assert.equal(enc.knownReceivedCount, 2);
    assert.equal(enc.referenceCount(0), 0);
    assert.equal(enc.blockingStreamCount, 0);

    // B.3: speculative insert with a literal name, then an Insert Count Increment.
    assert.equal(enc.insert('custom-key', 'custom-value'), true);
    assert.equal(take(), B3_ENCODER);
    assert.equal(enc.tableSize, 160);
    enc.handleDecoderStream(fromHex('01'));
    assert.equal(enc.knownReceivedCount, 3);

    // B.4: Duplicate, then a section referencing it; the decoder cancels the stream.
    assert.equal(enc.insert(':authority', 'www.example.com'), true);
    assert.equal(take(), B4_ENCODER);
    const s8 = enc.encode(8, [
      f(':authority', 'www.example.com'),
      f(':path', '/'),
      f('custom-key', 'custom-value'),
    ]);
    assert.equal(toHex(s8), B4_SECTION);
    assert.equal(enc.tableSize, 217);
    assert.equal(enc.referenceCount(2), 1);
    assert.equal(enc.referenceCount(3), 1);
    assert.equal(enc.blockingStreamCount, 1);
    enc.handleDecoderStream(fromHex('48'));
    assert.equal(enc.referenceCount(2), 0);
    assert.equal(enc.referenceCount(3), 0);
    assert.equal(enc.blockingStreamCount, 0);
    assert.equal(enc.knownReceivedCount, 3);

    // B.5: insert with a dynamic name reference evicts the oldest entry.
    assert.equal(enc.insert('custom-key', 'custom-value2'), true);
    assert.equal(take(), B5_ENCODER);
    assert.equal(enc.tableSize, 215);
    assert.equal(enc.insertCount, 5);
  });

  it('the decoder decodes every example and emits the decoder-stream instructions', () => {
    const dec = new QpackDecoder({ maxTableCapacity: 220, maxBlockedStreams: 100 });
    const take = () => toHex(dec.takeDecoderStreamData() ?? new Uint8Array(0));

    assert.deepEqual(plain(dec.decode(0, fromHex(B1_SECTION))), [[':path', '/index.html']]);
    assert.equal(take(), ''); // Required Insert Count 0: no acknowledgment

    assert.deepEqual(dec.handleEncoderStream(fromHex(B2_ENCODER)), []);
    assert.equal(dec.capacity, 220);
    assert.deepEqual(plain(dec.decode(4, fromHex(B2_SECTION))), [
      [':authority', 'www.example.com'],
      [':path', '/sample/path'],
    ]);
    assert.equal(take(), '84');

    dec.handleEncoderStream(fromHex(B3_ENCODER));
    assert.equal(dec.tableSize, 160);
    assert.equal(take(), '01');

    // B.4 with the encoder stream delayed: stream 8 blocks, then is cancelled.
    assert.equal(dec.decode(8, fromHex(B4_SECTION)), null);
    assert.equal(dec.blockedStreamCount, 1);
    dec.cancelStream(8);
    assert.equal(dec.blockedStreamCount, 0);
    assert.equal(take(), '48');

    dec.handleEncoderStream(fromHex(B4_ENCODER));
    dec.handleEncoderStream(fromHex(B5_ENCODER));
    assert.equal(dec.tableSize, 215);
    assert.equal(dec.insertCount, 5);
    assert.equal(take(), '02');

    // The table now holds absolute indices 1..4: Required Insert Count 5 (encoded 6), Base 5.
    assert.deepEqual(plain(dec.decode(12, fromHex('0600' + '83' + '82' + '81' + '80'))), [
      [':path', '/sample/path'],
      ['custom-key', 'custom-value'],
      [':authority', 'www.example.com'],
      ['custom-key', 'custom-value2'],
    ]);
    // Absolute index 0 was evicted.
    assertH3Error(() => dec.decode(16, fromHex('060084')), H3ErrorCode.QPACK_DECOMPRESSION_FAILED);
  });

  it('the decoder unblocks B.4 when the delayed encoder stream arrives', () => {
    const dec = new QpackDecoder({ maxTableCapacity: 220, maxBlockedStreams: 1 });
    dec.handleEncoderStream(fromHex(B2_ENCODER + B3_ENCODER));
    dec.decode(4, fromHex(B2_SECTION));
    assert.equal(dec.decode(8, fromHex(B4_SECTION)), null);
    assert.equal(dec.isBlocked(8), true);
    assert.deepEqual(dec.handleEncoderStream(fromHex(B4_ENCODER)), [8]);
    assert.deepEqual(plain(dec.decodeUnblocked(8)), [
      [':authority', 'www.example.com'],
      [':path', '/'],
      ['custom-key', 'custom-value'],
    ]);
    // Ack for stream 4, then stream 8; the acknowledgment of 8 covers all four inserts.
    assert.equal(toHex(dec.takeDecoderStreamData()!), '8488');
  });
});
