// SETTINGS remembered for 0-RTT (RFC 9114 §7.2.4.2, RFC 9204 §3.2.3): the client's checks when
// the server's SETTINGS arrive, and sessions over the in-memory transport that encode requests
// against remembered settings before the server's arrive.
import assert from 'node:assert/strict';
import { H3ErrorCode, H3ProtocolError } from '../../src/h3/errors.js';
import { H3SettingId } from '../../src/h3/frames.js';
import { checkRememberedSettings } from '../../src/h3/session/remembered-settings.js';
import { collectResponse, f, sessionPair } from './session-helpers.js';

const CAPACITY = H3SettingId.QPACK_MAX_TABLE_CAPACITY;
const BLOCKED = H3SettingId.QPACK_BLOCKED_STREAMS;
const FIELD_SECTION = H3SettingId.MAX_FIELD_SECTION_SIZE;

const settings = (capacity: number, blocked: number, fieldSection?: number): Map<number, number> =>
  new Map([
    [CAPACITY, capacity],
    [BLOCKED, blocked],
    ...(fieldSection === undefined ? [] : [[FIELD_SECTION, fieldSection] as [number, number]]),
  ]);

function fails(fn: () => void, code: number): void {
  assert.throws(fn, (e: unknown) => e instanceof H3ProtocolError && e.code === code);
}

describe('h3/remembered settings: the checks', () => {
  const remembered = settings(4096, 16, 65536);

  it('0-RTT accepted: the same or larger limits pass', () => {
    checkRememberedSettings(remembered, settings(4096, 16, 65536), true, true);
    checkRememberedSettings(remembered, settings(4096, 100), true, true); // no field limit: ∞
  });

  it('0-RTT accepted: another non-zero table capacity is QPACK_DECODER_STREAM_ERROR', () => {
    fails(
      () => checkRememberedSettings(remembered, settings(8192, 16, 65536), true, false),
      H3ErrorCode.QPACK_DECODER_STREAM_ERROR,
    );
    // Omitted counts as 0, a different value too (RFC 9204 §3.2.3).
    fails(
      () => checkRememberedSettings(remembered, new Map([[BLOCKED, 16]]), true, false),
      H3ErrorCode.QPACK_DECODER_STREAM_ERROR,
    );
  });

  it('0-RTT accepted: a reduced limit is H3_SETTINGS_ERROR', () => {
    fails(
      () => checkRememberedSettings(remembered, settings(4096, 8, 65536), true, false),
      H3ErrorCode.H3_SETTINGS_ERROR,
    );
    fails(
      () => checkRememberedSettings(remembered, settings(4096, 16, 1024), true, false),
      H3ErrorCode.H3_SETTINGS_ERROR,
    );
  });

  it('0-RTT accepted with a remembered capacity of 0: the server may raise it', () => {
    checkRememberedSettings(settings(0, 0), settings(4096, 16), true, false);
  });

  it('0-RTT rejected: anything goes unless the table was used under other QPACK values', () => {
    checkRememberedSettings(remembered, settings(0, 0, 10), false, false);
    checkRememberedSettings(remembered, settings(4096, 16, 10), false, true);
    fails(
      () => checkRememberedSettings(remembered, settings(2048, 16), false, true),
      H3ErrorCode.H3_INTERNAL_ERROR,
    );
  });
});

describe('h3/remembered settings: sessions', () => {
  const serverSettings = { qpackMaxTableCapacity: 4096, qpackBlockedStreams: 16, grease: false };
  const request = [
    f(':method', 'GET'),
    f(':scheme', 'https'),
    f(':authority', 'example.test'),
    f(':path', '/a/path/long/enough/for/the/dynamic/table'),
    f('user-agent', 'tsquic-test-agent/1.0'),
  ];

  function run(remembered: Map<number, number> | undefined, accepted: boolean) {
    const pair = sessionPair({
      settle: false,
      server: serverSettings,
      client: { grease: false, ...(remembered ? { rememberedSettings: remembered } : {}) },
    });
    pair.net.client.earlyDataAccepted = accepted;
    pair.server.onRequest = (req) => {
      req.respond([f(':status', '200')], { endStream: true });
    };
    // Sent before any SETTINGS arrived: as 0-RTT requests are.
    const res = collectResponse(pair.client.request(request, { endStream: true })!);
    const insertsBeforeSettings = pair.client.qpackStats.encoderInsertCount;
    pair.net.run();
    return { ...pair, res, insertsBeforeSettings };
  }

  it('encodes against the remembered table before the SETTINGS arrive, and goes on after', () => {
    const { client, server, res, insertsBeforeSettings } = run(settings(4096, 16, 65536), true);
    assert.ok(insertsBeforeSettings > 0, 'inserts made under the remembered capacity');
    assert.equal(res.status, 200);
    assert.equal(server.qpackStats.decoderInsertCount, insertsBeforeSettings);
    assert.equal(client.closeError, null);
    assert.equal(client.peerSettings?.get(CAPACITY), 4096);
  });

  it('without remembered settings nothing is inserted before the SETTINGS (RFC 9204 §3.2.3)', () => {
    const { res, insertsBeforeSettings } = run(undefined, true);
    assert.equal(insertsBeforeSettings, 0);
    assert.equal(res.status, 200);
  });

  it('a server that accepted 0-RTT and changed the capacity is a connection error', () => {
    const { client } = run(settings(2048, 16), true);
    assert.equal(client.closeError?.code, H3ErrorCode.QPACK_DECODER_STREAM_ERROR);
  });
});
