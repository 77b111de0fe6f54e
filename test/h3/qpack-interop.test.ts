// Field sections and encoder streams produced by other QPACK encoders (nghttp3, ls-qpack, quinn,
// F5, proxygen, qthingey) for the QPACK offline interop, decoded by this decoder.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { H3ProtocolError, H3ErrorCode } from '../../src/h3/errors.js';
import { QpackDecoder } from '../../src/h3/qpack/decoder.js';
import type { FieldLine } from '../../src/h3/qpack/field-section.js';
import { writeSetCapacity } from '../../src/h3/qpack/instructions.js';
import { fromHex } from '../../src/util/bytes.js';
import { Writer } from '../../src/util/cursor.js';
import { randInt, seededRandom } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
// From test/h3 (tsx) or dist/test/h3 (compiled): the JSON stays in the source tree.
const fixture = [
  path.join(here, 'qpack-interop.json'),
  path.join(here, '..', '..', '..', 'test', 'h3', 'qpack-interop.json'),
]
  .map((p) => {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      return null;
    }
  })
  .find((t) => t !== null)!;
const interop = JSON.parse(fixture) as {
  headerLists: [string, string][][];
  encoded: Record<string, string>;
  errors: Record<string, string>;
};

interface Record_ {
  streamId: number;
  data: Uint8Array;
}

/** Splits the offline interop format: Stream ID (u64), Length (u32), data. */
function records(bytes: Uint8Array): Record_[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Record_[] = [];
  for (let p = 0; p < bytes.length;) {
    const streamId = Number(view.getBigUint64(p));
    const length = view.getUint32(p + 8);
    out.push({ streamId, data: bytes.subarray(p + 12, p + 12 + length) });
    p += 12 + length;
  }
  return out;
}

function decoderFor(name: string): QpackDecoder {
  const [, capacity, blocked] = /\.(\d+)\.(\d+)\.\d+$/.exec(name)!.map(Number) as [
    number,
    number,
    number,
  ];
  const dec = new QpackDecoder({
    maxTableCapacity: capacity,
    maxBlockedStreams: blocked,
    maxFieldSectionSize: 1 << 20,
  });
  // These drafts started the table at its maximum; RFC 9204 needs Set Dynamic Table Capacity.
  const w = Writer.growable(8);
  writeSetCapacity(w, capacity);
  dec.handleEncoderStream(w.finish());
  return dec;
}

const pairs = (lines: FieldLine[]) => lines.map((l) => [l.name, l.value]);

describe('h3/qpack interop with other encoders', () => {
  for (const [name, base64] of Object.entries(interop.encoded)) {
    it(`decodes ${name} as recorded`, () => {
      const dec = decoderFor(name);
      const got = new Map<number, FieldLine[]>();
      for (const { streamId, data } of records(Buffer.from(base64, 'base64'))) {
        if (streamId === 0) {
          for (const id of dec.handleEncoderStream(data)) got.set(id, dec.decodeUnblocked(id));
        } else {
          // Some encoders write a section before the inserts it needs: it waits for them.
          const lines = dec.decode(streamId, data);
          if (lines !== null) got.set(streamId, lines);
        }
      }
      assert.equal(got.size, interop.headerLists.length);
      assert.equal(dec.blockedStreamCount, 0);
      interop.headerLists.forEach((expected, i) =>
        assert.deepEqual(pairs(got.get(i + 1)!), expected, `list ${i + 1}`),
      );
    });
  }

  // Without acknowledgments (".0") an encoder never evicts what it sent, so every section can
  // wait for its inserts: deliver all sections first, then the encoder stream in random pieces.
  for (const name of Object.keys(interop.encoded).filter((n) => /\.[1-9]\d*\.0$/.test(n))) {
    it(`decodes ${name} with the encoder stream delayed and split`, () => {
      const rand = seededRandom(name.length * 31);
      const dec = decoderFor(name);
      const all = records(Buffer.from(interop.encoded[name]!, 'base64'));
      const encoderStream = Buffer.concat(all.filter((r) => r.streamId === 0).map((r) => r.data));
      const got = new Map<number, FieldLine[]>();
      let blocked = 0;
      for (const { streamId, data } of all.filter((r) => r.streamId !== 0)) {
        const lines = dec.decode(streamId, data);
        if (lines === null) blocked++;
        else got.set(streamId, lines);
      }
      for (let p = 0; p < encoderStream.length;) {
        const n = 1 + randInt(rand, 40);
        for (const id of dec.handleEncoderStream(encoderStream.subarray(p, p + n)))
          got.set(id, dec.decodeUnblocked(id));
        p += n;
      }
      assert.equal(dec.blockedStreamCount, 0);
      interop.headerLists.forEach((expected, i) =>
        assert.deepEqual(pairs(got.get(i + 1)!), expected, `list ${i + 1}`),
      );
      if (dec.insertCount > 0) assert.ok(blocked > 0, 'some sections waited for inserts');
    });
  }

  it('rejects the malformed inputs of the interop error set', () => {
    for (const [name, hex] of Object.entries(interop.errors)) {
      const dec = new QpackDecoder({ maxTableCapacity: 4096, maxBlockedStreams: 100 });
      let error: unknown = null;
      try {
        for (const { streamId, data } of records(fromHex(hex))) {
          if (streamId === 0) dec.handleEncoderStream(data);
          else dec.decode(streamId, data);
        }
      } catch (e) {
        error = e;
      }
      assert.ok(error instanceof H3ProtocolError, `${name}: ${String(error)}`);
      const expected =
        name === 'err11' || name === 'err12'
          ? H3ErrorCode.QPACK_ENCODER_STREAM_ERROR
          : H3ErrorCode.QPACK_DECOMPRESSION_FAILED;
      assert.equal(error.code, expected, name);
    }
  });
});
