// Protocol violations by the peer, sent by a raw endpoint: each ends the connection or the
// stream with the RFC 9114 / RFC 9204 code, and nothing is thrown out of the session.
import assert from 'node:assert/strict';
import { H3ErrorCode } from '../../src/h3/errors.js';
import {
  encodeDataFrameHeader,
  encodeFrame,
  encodeRawFrame,
  encodeStreamType,
  type H3Frame,
} from '../../src/h3/frames.js';
import { QpackEncoder } from '../../src/h3/qpack/encoder.js';
import type { FieldLine } from '../../src/h3/qpack/field-section.js';
import type { H3ServerRequest } from '../../src/h3/session/server.js';
import { concatBytes, fromHex } from '../../src/util/bytes.js';
import type { FakeEndpoint, FakeStream } from './fake-transport.js';
import {
  clientWithRawServer,
  collectResponse,
  f,
  get,
  post,
  serverWithRawClient,
  utf8,
} from './session-helpers.js';

const E = H3ErrorCode;

function rawUni(
  raw: FakeEndpoint,
  type: number,
  rest: Uint8Array = new Uint8Array(0),
  fin = false,
): FakeStream {
  const s = raw.openStream(false)!;
  s.write(concatBytes(encodeStreamType(type), rest), fin);
  return s;
}

function rawControl(
  raw: FakeEndpoint,
  settings = new Map<number, number>(),
  more: Uint8Array[] = [],
): FakeStream {
  return rawUni(raw, 0, concatBytes(encodeFrame({ type: 'settings', settings }), ...more));
}

function headers(fields: FieldLine[]): Uint8Array {
  return encodeFrame({ type: 'headers', fieldSection: new QpackEncoder().encode(0, fields) });
}

function data(text: string): Uint8Array {
  const body = utf8(text);
  return concatBytes(encodeDataFrameHeader(body.length), body);
}

function frame(fr: H3Frame): Uint8Array {
  return encodeFrame(fr);
}

describe('h3/session errors', () => {
  describe('connection errors at the server', () => {
    const cases: [string, (raw: FakeEndpoint) => void, number][] = [
      [
        'a second control stream',
        (raw) => (rawControl(raw), rawControl(raw)),
        E.H3_STREAM_CREATION_ERROR,
      ],
      [
        'a control stream starting with GOAWAY',
        (raw) => rawUni(raw, 0, frame({ type: 'goaway', id: 0 })),
        E.H3_MISSING_SETTINGS,
      ],
      [
        'a control stream starting with a reserved frame',
        (raw) => rawUni(raw, 0, encodeRawFrame(0x21, new Uint8Array(2))),
        E.H3_MISSING_SETTINGS,
      ],
      [
        'a second SETTINGS frame',
        (raw) => rawControl(raw, new Map(), [frame({ type: 'settings', settings: new Map() })]),
        E.H3_FRAME_UNEXPECTED,
      ],
      [
        'DATA on the control stream',
        (raw) => rawControl(raw, new Map(), [data('x')]),
        E.H3_FRAME_UNEXPECTED,
      ],
      [
        'HEADERS on the control stream',
        (raw) => rawControl(raw, new Map(), [headers(get('/'))]),
        E.H3_FRAME_UNEXPECTED,
      ],
      [
        'an HTTP/2 PING frame',
        (raw) => rawControl(raw, new Map(), [encodeRawFrame(0x06, new Uint8Array(8))]),
        E.H3_FRAME_UNEXPECTED,
      ],
      [
        'duplicate settings',
        (raw) => rawUni(raw, 0, fromHex('0404' + '0600' + '0601')),
        E.H3_SETTINGS_ERROR,
      ],
      ['an HTTP/2 setting', (raw) => rawControl(raw, new Map([[0x02, 1]])), E.H3_SETTINGS_ERROR],
      [
        'a GOAWAY whose varint overruns it',
        (raw) => rawControl(raw, new Map(), [fromHex('0701' + '41')]),
        E.H3_FRAME_ERROR,
      ],
      [
        'a GOAWAY with extra bytes',
        (raw) => rawControl(raw, new Map(), [fromHex('0702' + '0400')]),
        E.H3_FRAME_ERROR,
      ],
      [
        'the control stream closed',
        (raw) => rawUni(raw, 0, frame({ type: 'settings', settings: new Map() }), true),
        E.H3_CLOSED_CRITICAL_STREAM,
      ],
      [
        'the control stream reset',
        (raw) => rawControl(raw).reset(E.H3_NO_ERROR),
        E.H3_CLOSED_CRITICAL_STREAM,
      ],
      [
        'the QPACK encoder stream closed',
        (raw) => rawUni(raw, 2, new Uint8Array(0), true),
        E.H3_CLOSED_CRITICAL_STREAM,
      ],
      [
        'the QPACK decoder stream reset',
        (raw) => rawUni(raw, 3).reset(E.H3_NO_ERROR),
        E.H3_CLOSED_CRITICAL_STREAM,
      ],
      [
        'a second QPACK encoder stream',
        (raw) => (rawUni(raw, 2), rawUni(raw, 2)),
        E.H3_STREAM_CREATION_ERROR,
      ],
      [
        'a second QPACK decoder stream',
        (raw) => (rawUni(raw, 3), rawUni(raw, 3)),
        E.H3_STREAM_CREATION_ERROR,
      ],
      [
        'garbage on the encoder stream',
        (raw) => rawUni(raw, 2, fromHex('3fe11f')),
        E.QPACK_ENCODER_STREAM_ERROR,
      ],
      [
        'Insert Count Increment 0 on the decoder stream',
        (raw) => rawUni(raw, 3, fromHex('00')),
        E.QPACK_DECODER_STREAM_ERROR,
      ],
      [
        'an unexpected Section Acknowledgment',
        (raw) => rawUni(raw, 3, fromHex('80')),
        E.QPACK_DECODER_STREAM_ERROR,
      ],
      [
        'a push stream from the client',
        (raw) => rawUni(raw, 1, fromHex('00')),
        E.H3_STREAM_CREATION_ERROR,
      ],
      [
        'a decreasing MAX_PUSH_ID',
        (raw) =>
          rawControl(raw, new Map(), [
            frame({ type: 'max_push_id', pushId: 5 }),
            frame({ type: 'max_push_id', pushId: 4 }),
          ]),
        E.H3_ID_ERROR,
      ],
      [
        'CANCEL_PUSH for a push never promised',
        (raw) => rawControl(raw, new Map(), [frame({ type: 'cancel_push', pushId: 0 })]),
        E.H3_ID_ERROR,
      ],
      [
        'an increasing GOAWAY',
        (raw) =>
          rawControl(raw, new Map(), [
            frame({ type: 'goaway', id: 1 }),
            frame({ type: 'goaway', id: 2 }),
          ]),
        E.H3_ID_ERROR,
      ],
      [
        'DATA before HEADERS',
        (raw) => raw.openStream(true)!.write(data('x'), true),
        E.H3_FRAME_UNEXPECTED,
      ],
      [
        'SETTINGS on a request stream',
        (raw) =>
          raw
            .openStream(true)!
            .write(
              concatBytes(headers(get('/')), frame({ type: 'settings', settings: new Map() })),
              true,
            ),
        E.H3_FRAME_UNEXPECTED,
      ],
      [
        'GOAWAY on a request stream',
        (raw) => raw.openStream(true)!.write(frame({ type: 'goaway', id: 0 }), true),
        E.H3_FRAME_UNEXPECTED,
      ],
      [
        'MAX_PUSH_ID on a request stream',
        (raw) => raw.openStream(true)!.write(frame({ type: 'max_push_id', pushId: 0 }), true),
        E.H3_FRAME_UNEXPECTED,
      ],
      [
        'CANCEL_PUSH on a request stream',
        (raw) => raw.openStream(true)!.write(frame({ type: 'cancel_push', pushId: 0 }), true),
        E.H3_FRAME_UNEXPECTED,
      ],
      [
        'PUSH_PROMISE from a client',
        (raw) =>
          raw
            .openStream(true)!
            .write(frame({ type: 'push_promise', pushId: 0, fieldSection: fromHex('0000') }), true),
        E.H3_FRAME_UNEXPECTED,
      ],
      [
        'HEADERS after trailers',
        (raw) =>
          raw
            .openStream(true)!
            .write(
              concatBytes(headers(post('/')), headers([f('x-t', '1')]), headers([f('x-t', '2')])),
              true,
            ),
        E.H3_FRAME_UNEXPECTED,
      ],
      [
        'DATA after trailers',
        (raw) =>
          raw
            .openStream(true)!
            .write(concatBytes(headers(post('/')), headers([f('x-t', '1')]), data('late')), true),
        E.H3_FRAME_UNEXPECTED,
      ],
      [
        'a request stream ending inside a frame',
        (raw) =>
          raw
            .openStream(true)!
            .write(concatBytes(headers(post('/')), fromHex('0005' + 'aabb')), true),
        E.H3_FRAME_ERROR,
      ],
      [
        'an invalid static index in a field section',
        (raw) => raw.openStream(true)!.write(encodeRawFrame(1, fromHex('0000ff24')), true),
        E.QPACK_DECOMPRESSION_FAILED,
      ],
      [
        'a dynamic reference without a table',
        (raw) => raw.openStream(true)!.write(encodeRawFrame(1, fromHex('020080')), true),
        E.QPACK_DECOMPRESSION_FAILED,
      ],
      [
        'an empty HEADERS frame',
        (raw) => raw.openStream(true)!.write(encodeRawFrame(1, new Uint8Array(0)), true),
        E.QPACK_DECOMPRESSION_FAILED,
      ],
    ];
    for (const [what, act, code] of cases) {
      it(`${what} -> ${code.toString(16)}`, () => {
        const { net, server, raw } = serverWithRawClient({ qpackMaxTableCapacity: 0 });
        server.onRequest = (req) => req.respond([f(':status', '200')], { endStream: true });
        act(raw);
        net.run();
        assert.equal(server.closeError?.code, code, server.closeError?.message);
        assert.equal(raw.closed?.code, code);
        assert.equal(raw.closed?.local, false);
      });
    }

    it('too many blocked streams -> QPACK_DECOMPRESSION_FAILED', () => {
      const { net, server, raw } = serverWithRawClient({
        qpackMaxTableCapacity: 220,
        qpackBlockedStreams: 2,
      });
      for (let i = 0; i < 3; i++)
        raw.openStream(true)!.write(encodeRawFrame(1, fromHex('020080')), true);
      net.run();
      assert.equal(server.closeError?.code, E.QPACK_DECOMPRESSION_FAILED);
    });
  });

  describe('tolerated by the server', () => {
    it('ignores unknown and reserved stream types, frames and settings', () => {
      const { net, server, raw } = serverWithRawClient();
      const got: string[] = [];
      server.onRequest = (req) => {
        req.onData = (d) => got.push(new TextDecoder().decode(d));
        req.onEnd = () => req.respond([f(':status', '200')], { endStream: true });
      };
      rawControl(
        raw,
        new Map([
          [0x21, 1],
          [0x1234, 5],
        ]),
        [encodeRawFrame(0x40, new Uint8Array(3)), encodeRawFrame(0x3f, new Uint8Array(0))],
      );
      const grease = rawUni(raw, 0x21, fromHex('aabbcc'));
      const unknown = rawUni(raw, 0x54, fromHex('00'));
      const early = raw.openStream(false)!; // ends before its type
      early.write(new Uint8Array(0), true);
      const req = raw.openStream(true)!;
      req.write(
        concatBytes(
          encodeRawFrame(0x21, new Uint8Array(4)),
          headers(post('/')),
          data('ab'),
          encodeRawFrame(0x5f, new Uint8Array(1)),
          data('cd'),
        ),
        true,
      );
      net.run();
      assert.equal(server.closeError, null);
      assert.deepEqual(got, ['ab', 'cd']);
      assert.equal(grease.stopSendingReceived, E.H3_STREAM_CREATION_ERROR);
      assert.equal(unknown.stopSendingReceived, E.H3_STREAM_CREATION_ERROR);
      assert.ok(req.readAll().data.length > 0, 'a response was sent');
    });

    it('answers STOP_SENDING on its control stream with H3_CLOSED_CRITICAL_STREAM', () => {
      const { net, server, raw } = serverWithRawClient();
      net.run();
      raw.streams.get(3)!.stopSending(E.H3_NO_ERROR); // the server's control stream
      net.run();
      assert.equal(server.closeError?.code, E.H3_CLOSED_CRITICAL_STREAM);
    });
  });

  describe('malformed requests are stream errors', () => {
    const cases: [string, Uint8Array][] = [
      ['uppercase field name', headers(get('/', [f('X-Upper', '1')]))],
      [
        'missing :path',
        headers([f(':method', 'GET'), f(':scheme', 'https'), f(':authority', 'a')]),
      ],
      ['missing :scheme', headers([f(':method', 'GET'), f(':authority', 'a'), f(':path', '/')])],
      ['duplicate :method', headers([f(':method', 'GET'), ...get('/')])],
      [
        'pseudo-header after a regular field',
        headers([
          f(':method', 'GET'),
          f('x', '1'),
          f(':scheme', 'https'),
          f(':path', '/'),
          f(':authority', 'a'),
        ]),
      ],
      [
        'undefined pseudo-header',
        headers([
          f(':method', 'GET'),
          f(':protocol', 'ws'),
          f(':scheme', 'https'),
          f(':path', '/'),
          f(':authority', 'a'),
        ]),
      ],
      ['response pseudo-header in a request', headers([f(':status', '200'), ...get('/')])],
      ['connection-specific field', headers(get('/', [f('transfer-encoding', 'chunked')]))],
      ['TE other than trailers', headers(get('/', [f('te', 'gzip')]))],
      ['CR LF in a value', headers(get('/', [f('x-evil', 'a\r\nb: c')]))],
      [
        'empty :authority',
        headers([f(':method', 'GET'), f(':scheme', 'https'), f(':authority', ''), f(':path', '/')]),
      ],
      [':authority and host differ', headers(get('/', [f('host', 'other.example')]))],
      ['relative :path', headers(get('index.html'))],
      [
        'CONNECT with :path',
        headers([f(':method', 'CONNECT'), f(':authority', 'a:443'), f(':path', '/')]),
      ],
      [
        'content shorter than content-length',
        concatBytes(headers(post('/', [f('content-length', '5')])), data('abc')),
      ],
      [
        'content longer than content-length',
        concatBytes(headers(post('/', [f('content-length', '2')])), data('abc')),
      ],
      ['invalid content-length', headers(post('/', [f('content-length', '-1')]))],
      [
        'conflicting content-length',
        headers(post('/', [f('content-length', '1'), f('content-length', '2')])),
      ],
      ['pseudo-header in trailers', concatBytes(headers(post('/')), headers([f(':path', '/')]))],
    ];
    for (const [what, bytes] of cases) {
      it(`${what} -> H3_MESSAGE_ERROR`, () => {
        const { net, server, raw } = serverWithRawClient();
        let delivered: H3ServerRequest | null = null;
        let error = -1;
        server.onRequest = (req) => {
          delivered = req;
          req.onError = (e) => (error = e.code);
        };
        const s = raw.openStream(true)!;
        s.write(bytes, true);
        net.run();
        assert.equal(server.closeError, null);
        assert.equal(s.resetReceived, E.H3_MESSAGE_ERROR);
        // Header problems are caught before the application sees the request.
        if (delivered !== null) assert.equal(error, E.H3_MESSAGE_ERROR);
        assert.equal(server.activeRequests, 0);
      });
    }

    it('a request stream without HEADERS -> H3_REQUEST_INCOMPLETE', () => {
      const { net, server, raw } = serverWithRawClient();
      const s = raw.openStream(true)!;
      s.write(encodeRawFrame(0x21, new Uint8Array(1)), true);
      net.run();
      assert.equal(server.closeError, null);
      assert.equal(s.resetReceived, E.H3_REQUEST_INCOMPLETE);
    });

    it('a HEADERS frame above the field section limit -> H3_EXCESSIVE_LOAD', () => {
      const { net, server, raw } = serverWithRawClient({ maxFieldSectionSize: 100 });
      const s = raw.openStream(true)!;
      s.write(headers(get('/', [f('x-big', 'v'.repeat(200))])), true);
      net.run();
      assert.equal(server.closeError, null);
      assert.equal(s.resetReceived, E.H3_EXCESSIVE_LOAD);
    });

    it('a reset blocked request sends a QPACK Stream Cancellation', () => {
      const { net, server, raw } = serverWithRawClient({
        qpackMaxTableCapacity: 220,
        qpackBlockedStreams: 4,
      });
      const s = raw.openStream(true)!;
      s.write(encodeRawFrame(1, fromHex('020080')), false); // Required Insert Count 1: blocks
      net.run();
      s.reset(E.H3_REQUEST_CANCELLED);
      net.run();
      assert.equal(server.closeError, null);
      // Server decoder stream (ID 11): type 0x03, then Stream Cancellation for stream 0 (0x40).
      assert.deepEqual([...raw.streams.get(11)!.readAll().data], [0x03, 0x40]);
    });
  });

  describe('at the client', () => {
    function setup() {
      const { net, client, raw } = clientWithRawServer();
      const control = rawControl(raw);
      net.run();
      return { net, client, raw, control };
    }

    const connectionCases: [string, (raw: FakeEndpoint, control: FakeStream) => void, number][] = [
      [
        'a server-initiated bidirectional stream',
        (raw) => raw.openStream(true)!.write(fromHex('00'), false),
        E.H3_STREAM_CREATION_ERROR,
      ],
      [
        'a push stream (no MAX_PUSH_ID sent)',
        (raw) => rawUni(raw, 1, fromHex('00')),
        E.H3_ID_ERROR,
      ],
      [
        'MAX_PUSH_ID from the server',
        (_raw, c) => c.write(frame({ type: 'max_push_id', pushId: 1 }), false),
        E.H3_FRAME_UNEXPECTED,
      ],
      [
        'GOAWAY with a non-request stream ID',
        (_raw, c) => c.write(frame({ type: 'goaway', id: 2 }), false),
        E.H3_ID_ERROR,
      ],
      [
        'an increasing GOAWAY',
        (_raw, c) =>
          c.write(
            concatBytes(frame({ type: 'goaway', id: 4 }), frame({ type: 'goaway', id: 8 })),
            false,
          ),
        E.H3_ID_ERROR,
      ],
      [
        'CANCEL_PUSH',
        (_raw, c) => c.write(frame({ type: 'cancel_push', pushId: 0 }), false),
        E.H3_ID_ERROR,
      ],
    ];
    for (const [what, act, code] of connectionCases) {
      it(`${what} -> ${code.toString(16)}`, () => {
        const { net, client, raw, control } = setup();
        act(raw, control);
        net.run();
        assert.equal(client.closeError?.code, code, client.closeError?.message);
      });
    }

    /** Sends a request and answers it with raw bytes. */
    function answer(bytes: Uint8Array, method = 'GET') {
      const { net, client, raw } = setup();
      const req = client.request(
        [f(':method', method), f(':scheme', 'https'), f(':authority', 'a'), f(':path', '/')],
        { endStream: true },
      )!;
      const res = collectResponse(req);
      net.run();
      const s = raw.streams.get(0)!;
      s.readAll();
      s.write(bytes, true);
      net.run();
      return { client, res, s };
    }

    it('PUSH_PROMISE on a request stream -> H3_ID_ERROR', () => {
      const { client } = answer(
        frame({ type: 'push_promise', pushId: 0, fieldSection: fromHex('0000') }),
      );
      assert.equal(client.closeError?.code, E.H3_ID_ERROR);
    });

    const malformed: [string, Uint8Array][] = [
      ['missing :status', headers([f('x', '1')])],
      ['101 status', headers([f(':status', '101')])],
      ['non-numeric status', headers([f(':status', '2xx')])],
      ['request pseudo-header', headers([f(':status', '200'), f(':path', '/')])],
      [
        'content beyond content-length',
        concatBytes(headers([f(':status', '200'), f('content-length', '1')]), data('ab')),
      ],
      ['content in a 204', concatBytes(headers([f(':status', '204')]), data('ab'))],
    ];
    for (const [what, bytes] of malformed) {
      it(`malformed response: ${what} -> H3_MESSAGE_ERROR`, () => {
        const { client, res, s } = answer(bytes);
        assert.equal(client.closeError, null);
        assert.equal(res.error?.code, E.H3_MESSAGE_ERROR);
        assert.equal(res.error?.remote, false);
        assert.equal(s.stopSendingReceived, E.H3_MESSAGE_ERROR);
      });
    }

    it('a response ending without a final header section -> H3_REQUEST_INCOMPLETE', () => {
      const { res } = answer(headers([f(':status', '100')]));
      assert.equal(res.error?.code, E.H3_REQUEST_INCOMPLETE);
    });

    it('accepts a HEAD response with content-length and no content', () => {
      const { res } = answer(headers([f(':status', '200'), f('content-length', '1234')]), 'HEAD');
      assert.equal(res.error, null);
      assert.equal(res.status, 200);
      assert.equal(res.ended, true);
    });

    it('accepts a response interleaved with reserved frames', () => {
      const { res } = answer(
        concatBytes(
          encodeRawFrame(0x21, new Uint8Array(0)),
          headers([f(':status', '200')]),
          encodeRawFrame(0x40, fromHex('00')),
          data('ok'),
          encodeRawFrame(0x5f, new Uint8Array(9)),
        ),
      );
      assert.equal(res.error, null);
      assert.equal(res.text(), 'ok');
      assert.equal(res.ended, true);
    });
  });
});
