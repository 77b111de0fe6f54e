import assert from 'node:assert/strict';
import {
  H3ProtocolError,
  H3ErrorCode,
  h3ErrorName,
  isReservedCodePoint,
  reservedCodePoint,
} from '../../src/h3/errors.js';

describe('h3/errors', () => {
  it('has every code of RFC 9114 §8.1 and RFC 9204 §6', () => {
    const expected: [string, number][] = [
      ['H3_NO_ERROR', 0x100],
      ['H3_GENERAL_PROTOCOL_ERROR', 0x101],
      ['H3_INTERNAL_ERROR', 0x102],
      ['H3_STREAM_CREATION_ERROR', 0x103],
      ['H3_CLOSED_CRITICAL_STREAM', 0x104],
      ['H3_FRAME_UNEXPECTED', 0x105],
      ['H3_FRAME_ERROR', 0x106],
      ['H3_EXCESSIVE_LOAD', 0x107],
      ['H3_ID_ERROR', 0x108],
      ['H3_SETTINGS_ERROR', 0x109],
      ['H3_MISSING_SETTINGS', 0x10a],
      ['H3_REQUEST_REJECTED', 0x10b],
      ['H3_REQUEST_CANCELLED', 0x10c],
      ['H3_REQUEST_INCOMPLETE', 0x10d],
      ['H3_MESSAGE_ERROR', 0x10e],
      ['H3_CONNECT_ERROR', 0x10f],
      ['H3_VERSION_FALLBACK', 0x110],
      ['QPACK_DECOMPRESSION_FAILED', 0x200],
      ['QPACK_ENCODER_STREAM_ERROR', 0x201],
      ['QPACK_DECODER_STREAM_ERROR', 0x202],
    ];
    assert.deepEqual(Object.entries(H3ErrorCode), expected);
    for (const [name, code] of expected) assert.equal(h3ErrorName(code), name);
  });

  it('recognizes the reserved code points 0x1f * N + 0x21', () => {
    assert.equal(reservedCodePoint(0), 0x21);
    assert.equal(reservedCodePoint(2), 0x5f);
    for (let n = 0; n < 1000; n++) assert.equal(isReservedCodePoint(reservedCodePoint(n)), true);
    assert.equal(isReservedCodePoint(0x20), false);
    assert.equal(isReservedCodePoint(0x22), false);
    assert.equal(isReservedCodePoint(0x02), false);
    assert.equal(h3ErrorName(0x21), 'H3_RESERVED(0x21)');
    assert.equal(h3ErrorName(0x999), '0x999');
    assert.throws(() => reservedCodePoint(-1), RangeError);
    assert.throws(() => reservedCodePoint(2 ** 53), RangeError);
  });

  it('carries code, scope and origin', () => {
    const e = new H3ProtocolError(H3ErrorCode.H3_MESSAGE_ERROR, 'bad', 'stream', true);
    assert.equal(e.code, 0x10e);
    assert.equal(e.scope, 'stream');
    assert.equal(e.remote, true);
    assert.equal(e.message, 'H3_MESSAGE_ERROR: bad');
    assert.equal(new H3ProtocolError(0x100, 'x').scope, 'connection');
  });
});
