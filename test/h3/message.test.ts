import assert from 'node:assert/strict';
import { H3ProtocolError, H3ErrorCode } from '../../src/h3/errors.js';
import type { FieldLine } from '../../src/h3/qpack/field-section.js';
import {
  checkOutgoing,
  checkTrailers,
  fieldSectionSize,
  parseRequestHead,
  parseResponseHead,
} from '../../src/h3/session/message.js';
import { assertH3Error } from './helpers.js';

const f = (name: string, value: string): FieldLine => ({ name, value });
const lines = (...pairs: [string, string][]) => pairs.map(([n, v]) => f(n, v));

describe('h3/session/message', () => {
  it('parses valid requests (RFC 9114 §4.3.1)', () => {
    const head = parseRequestHead(
      lines(
        [':method', 'POST'],
        [':scheme', 'https'],
        [':authority', 'example.com:443'],
        [':path', '/a?b=c'],
        ['content-length', '42'],
        ['te', 'trailers'],
      ),
    );
    assert.deepEqual(head, {
      method: 'POST',
      scheme: 'https',
      authority: 'example.com:443',
      path: '/a?b=c',
      contentLength: 42,
    });
    // Host instead of :authority; equal values when both are present.
    assert.equal(
      parseRequestHead(
        lines([':method', 'GET'], [':scheme', 'http'], [':path', '/'], ['host', 'h']),
      ).authority,
      undefined,
    );
    parseRequestHead(
      lines(
        [':method', 'GET'],
        [':scheme', 'https'],
        [':authority', 'h'],
        [':path', '/'],
        ['host', 'h'],
      ),
    );
    // OPTIONS *, CONNECT, other schemes, repeated equal content-length.
    parseRequestHead(
      lines([':method', 'OPTIONS'], [':scheme', 'https'], [':authority', 'h'], [':path', '*']),
    );
    const connect = parseRequestHead(
      lines([':method', 'CONNECT'], [':authority', 'proxy.example:443']),
    );
    assert.equal(connect.path, undefined);
    parseRequestHead(lines([':method', 'GET'], [':scheme', 'urn'], [':path', 'x']));
    assert.equal(
      parseRequestHead(
        lines(
          [':method', 'PUT'],
          [':scheme', 'https'],
          [':authority', 'h'],
          [':path', '/'],
          ['content-length', '7'],
          ['content-length', '7'],
        ),
      ).contentLength,
      7,
    );
    // Obsolete text octets in values are allowed; only CR, LF and NUL are not.
    parseRequestHead(
      lines(
        [':method', 'GET'],
        [':scheme', 'https'],
        [':authority', 'h'],
        [':path', '/'],
        ['x-latin1', 'caf\xe9\t!'],
      ),
    );
  });

  it('rejects malformed requests with H3_MESSAGE_ERROR as a stream error', () => {
    const base: [string, string][] = [
      [':method', 'GET'],
      [':scheme', 'https'],
      [':authority', 'h'],
      [':path', '/'],
    ];
    const bad: [string, string][][] = [
      [],
      base.slice(1),
      [...base, [':method', 'GET']],
      [...base, ['', 'x']],
      [...base, ['x y', '1']],
      [...base, ['x\x00', '1']],
      [...base, ['x', 'a\x00b']],
      [...base, ['x', 'a\nb']],
      [...base, ['keep-alive', '1']],
      [...base, ['proxy-connection', '1']],
      [...base, ['upgrade', 'h2c']],
      [...base, ['te', 'trailers, gzip']],
      [...base, ['host', '']],
      [...base, ['content-length', '1e3']],
      [...base, ['content-length', '99999999999999999']],
      [[':method', 'G ET'], ...base.slice(1)],
      [
        [':method', 'GET'],
        [':scheme', 'https'],
        [':authority', 'user@h'],
        [':path', '/'],
      ],
      [
        [':method', 'GET'],
        [':scheme', 'https'],
        [':path', '/'],
      ],
      [
        [':method', 'GET'],
        [':scheme', 'https'],
        [':authority', 'h'],
        [':path', ''],
      ],
      [
        [':method', 'GET'],
        [':scheme', 'https'],
        [':authority', 'h'],
        [':path', '*'],
      ],
      [
        [':method', 'CONNECT'],
        [':scheme', 'https'],
        [':authority', 'h'],
      ],
      [[':method', 'CONNECT']],
    ];
    for (const b of bad)
      assertH3Error(() => parseRequestHead(lines(...b)), H3ErrorCode.H3_MESSAGE_ERROR, 'stream');
  });

  it('parses and checks responses (RFC 9114 §4.3.2)', () => {
    assert.deepEqual(parseResponseHead(lines([':status', '200'], ['content-length', '0'])), {
      status: 200,
      contentLength: 0,
    });
    assert.equal(parseResponseHead(lines([':status', '103'])).status, 103);
    const bad: [string, string][][] = [
      [['x', '1']],
      [[':status', '20']],
      [[':status', '600']],
      [[':status', '101']],
      [
        [':status', '200'],
        [':status', '200'],
      ],
      [
        ['x', '1'],
        [':status', '200'],
      ],
      [
        [':status', '200'],
        [':method', 'GET'],
      ],
      [
        [':status', '200'],
        ['te', 'trailers'],
      ],
      [
        [':status', '200'],
        ['Content-Type', 'x'],
      ],
    ];
    for (const b of bad)
      assertH3Error(() => parseResponseHead(lines(...b)), H3ErrorCode.H3_MESSAGE_ERROR, 'stream');
  });

  it('checks trailers and sizes sections', () => {
    checkTrailers(lines(['x-checksum', 'abc'], ['server-timing', 'db;dur=53']), false);
    assertH3Error(
      () => checkTrailers(lines([':status', '200']), false),
      H3ErrorCode.H3_MESSAGE_ERROR,
    );
    assertH3Error(
      () => checkTrailers(lines(['connection', 'close']), true),
      H3ErrorCode.H3_MESSAGE_ERROR,
    );
    assert.equal(fieldSectionSize(lines(['ab', 'cd'], ['', ''])), 36 + 32);
  });

  it('turns outgoing violations into TypeError', () => {
    assert.throws(() => checkOutgoing(() => parseResponseHead(lines(['x', '1']))), TypeError);
    assert.equal(checkOutgoing(() => parseResponseHead(lines([':status', '404']))).status, 404);
    assert.throws(
      () =>
        checkOutgoing(() => {
          throw new RangeError('other errors pass through');
        }),
      RangeError,
    );
    assert.ok(
      new H3ProtocolError(H3ErrorCode.H3_MESSAGE_ERROR, 'x', 'stream').message.startsWith(
        'H3_MESSAGE_ERROR',
      ),
    );
  });
});
