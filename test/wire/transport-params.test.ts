import assert from 'node:assert/strict';
import { Reader, Writer } from '../../src/util/cursor.js';
import { fromHex, toHex } from '../../src/util/bytes.js';
import { VARINT_SATURATED } from '../../src/util/varint.js';
import { QuicError, TransportError } from '../../src/wire/errors.js';
import {
  TransportParameterId as Id,
  decodeTransportParameters,
  defaultTransportParameters,
  encodeTransportParameters,
  multipathCidViolation,
  paramsToRemember,
  type TransportParameterSender,
  type TransportParameters,
} from '../../src/wire/transport-params.js';
import { QUIC_V1, QUIC_V2 } from '../../src/wire/version.js';
import { loadVector } from '../vectors.js';
import { BOUNDARY_VALUES, Rng } from './random.js';

const TPE = TransportError.TRANSPORT_PARAMETER_ERROR;

function rejects(
  bytes: Uint8Array | string,
  sender: TransportParameterSender = 'server',
): QuicError {
  const b = typeof bytes === 'string' ? fromHex(bytes) : bytes;
  let thrown: unknown;
  try {
    decodeTransportParameters(b, sender);
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown instanceof QuicError, `expected QuicError, got ${String(thrown)}`);
  assert.equal(thrown.code, TPE, thrown.message);
  return thrown;
}

/** One parameter: id, length, value (all hex). */
function param(id: number, valueHex: string): string {
  const w = Writer.growable(16);
  const v = fromHex(valueHex);
  w.varint(id).varintVec(v);
  return toHex(w.view());
}

function intParam(id: number, v: number): string {
  const w = Writer.growable(16);
  w.varint(v);
  return param(id, toHex(w.view()));
}

const INTEGER_FIELDS = [
  'maxIdleTimeout',
  'initialMaxData',
  'initialMaxStreamDataBidiLocal',
  'initialMaxStreamDataBidiRemote',
  'initialMaxStreamDataUni',
  'initialMaxStreamsBidi',
  'initialMaxStreamsUni',
  'maxDatagramFrameSize',
] as const;

function randomParams(rng: Rng, sender: TransportParameterSender): TransportParameters {
  const p = defaultTransportParameters();
  for (const f of INTEGER_FIELDS) if (rng.bool()) p[f] = rng.varint();
  if (rng.bool()) p.maxUdpPayloadSize = 1200 + rng.int(65527 * 2);
  if (rng.bool()) p.ackDelayExponent = rng.int(21);
  if (rng.bool()) p.maxAckDelay = rng.int(2 ** 14);
  if (rng.bool()) p.activeConnectionIdLimit = 2 + rng.varint(2 ** 53 - 3);
  p.disableActiveMigration = rng.bool();
  p.greaseQuicBit = rng.bool();
  if (rng.bool()) p.initialSourceConnectionId = rng.bytes(rng.int(21));
  if (rng.bool()) {
    const chosenVersion = rng.pick([QUIC_V1, QUIC_V2]);
    const availableVersions = [QUIC_V2, QUIC_V1, 0x1a2a3a4a].slice(0, 1 + rng.int(3));
    if (!availableVersions.includes(chosenVersion)) availableVersions.push(chosenVersion);
    p.versionInformation = { chosenVersion, availableVersions };
  }
  if (sender === 'server') {
    if (rng.bool()) p.originalDestinationConnectionId = rng.bytes(rng.int(21));
    if (rng.bool()) p.statelessResetToken = rng.bytes(16);
    if (rng.bool()) p.retrySourceConnectionId = rng.bytes(rng.int(21));
    if (rng.bool()) {
      p.preferredAddress = {
        ipv4Address: rng.bytes(4),
        ipv4Port: rng.int(65536),
        ipv6Address: rng.bytes(16),
        ipv6Port: rng.int(65536),
        connectionId: rng.bytes(1 + rng.int(20)),
        statelessResetToken: rng.bytes(16),
      };
    }
    if (rng.bool()) p.versionInformation = { chosenVersion: QUIC_V1, availableVersions: [] };
  }
  // RFC 10069 §2.1: only with a non-empty connection ID.
  if (rng.bool() && p.initialSourceConnectionId?.length) {
    p.initialMaxPathId = rng.pick([0, 1, 63, 64, 2 ** 30, 2 ** 32 - 1]);
  }
  return p;
}

/** Offsets where one parameter ends and the next begins. */
function boundaries(bytes: Uint8Array): Set<number> {
  const r = new Reader(bytes);
  const out = new Set<number>([0]);
  while (r.remaining > 0) {
    r.varint();
    r.skip(r.varint());
    out.add(r.pos);
  }
  return out;
}

describe('wire/transport-params', () => {
  it('has the RFC defaults', () => {
    assert.deepStrictEqual(defaultTransportParameters(), {
      maxIdleTimeout: 0,
      maxUdpPayloadSize: 65527,
      initialMaxData: 0,
      initialMaxStreamDataBidiLocal: 0,
      initialMaxStreamDataBidiRemote: 0,
      initialMaxStreamDataUni: 0,
      initialMaxStreamsBidi: 0,
      initialMaxStreamsUni: 0,
      ackDelayExponent: 3,
      maxAckDelay: 25,
      disableActiveMigration: false,
      activeConnectionIdLimit: 2,
      maxDatagramFrameSize: 0,
      greaseQuicBit: false,
    });
    assert.equal(encodeTransportParameters(defaultTransportParameters(), 'client').length, 0);
    assert.deepStrictEqual(
      decodeTransportParameters(new Uint8Array(0), 'server'),
      defaultTransportParameters(),
    );
  });

  it('decodes the client parameters of RFC 9001 Appendix A.2', () => {
    const hello: string = loadVector('quic-v1-initial.json').client_initial_packet.crypto_frame;
    const at = hello.indexOf('00390032');
    const block = fromHex(hello.slice(at + 8, at + 8 + 0x32 * 2));
    const p = decodeTransportParameters(block, 'client');
    assert.deepStrictEqual(p, {
      ...defaultTransportParameters(),
      initialMaxData: VARINT_SATURATED, // 2^62 - 1 on the wire
      initialMaxStreamDataBidiLocal: 65535,
      initialMaxStreamDataBidiRemote: 65535,
      initialMaxStreamDataUni: 65535,
      initialMaxStreamsBidi: 16,
      initialMaxStreamsUni: 16,
      maxIdleTimeout: 30000,
      initialSourceConnectionId: fromHex('8394c8f03e515708'),
    });
  });

  describe('round trips', () => {
    for (const sender of ['client', 'server'] as const) {
      it(`decodes what it encodes for the ${sender}, 300 seeded parameter sets`, () => {
        const rng = new Rng(sender === 'client' ? 1 : 2);
        for (let i = 0; i < 300; i++) {
          const p = randomParams(rng, sender);
          const bytes = encodeTransportParameters(p, sender);
          assert.deepStrictEqual(decodeTransportParameters(bytes, sender), p);
        }
      });
    }

    it('round-trips every integer parameter at the varint boundaries', () => {
      for (const v of BOUNDARY_VALUES) {
        for (const f of INTEGER_FIELDS) {
          const p = { ...defaultTransportParameters(), [f]: v };
          assert.deepStrictEqual(
            decodeTransportParameters(encodeTransportParameters(p, 'server'), 'client'),
            p,
            f,
          );
        }
      }
      const limits = {
        ...defaultTransportParameters(),
        maxUdpPayloadSize: 1200,
        ackDelayExponent: 20,
        maxAckDelay: 2 ** 14 - 1,
        activeConnectionIdLimit: 2 ** 53 - 1,
      };
      assert.deepStrictEqual(
        decodeTransportParameters(encodeTransportParameters(limits, 'client'), 'client'),
        limits,
      );
    });

    it('round-trips zero-length and 20-byte connection IDs', () => {
      const p: TransportParameters = {
        ...defaultTransportParameters(),
        originalDestinationConnectionId: new Uint8Array(20).fill(1),
        initialSourceConnectionId: new Uint8Array(0),
        retrySourceConnectionId: new Uint8Array(20).fill(2),
      };
      const bytes = encodeTransportParameters(p, 'server');
      assert.equal(toHex(bytes.subarray(0, 2)), '0014');
      assert.deepStrictEqual(decodeTransportParameters(bytes, 'server'), p);
    });

    it('adds a greased reserved parameter that the decoder skips', () => {
      const p = { ...defaultTransportParameters(), initialMaxData: 1000 };
      for (const n of [0, 1, 1000, 2 ** 40]) {
        const bytes = encodeTransportParameters(p, 'client', {
          grease: { n, value: fromHex('cafe') },
        });
        const r = new Reader(bytes);
        let sawGrease = false;
        while (r.remaining > 0) {
          const id = r.varint();
          const value = r.varintVec();
          if (id === 31 * n + 27) sawGrease = toHex(value) === 'cafe';
        }
        assert.ok(sawGrease, `n=${n}`);
        assert.deepStrictEqual(decodeTransportParameters(bytes, 'client'), p);
      }
      assert.throws(
        () => encodeTransportParameters(p, 'client', { grease: { n: -1, value: fromHex('') } }),
        RangeError,
      );
      assert.throws(
        () =>
          encodeTransportParameters(p, 'client', { grease: { n: 2 ** 50, value: fromHex('') } }),
        RangeError,
      );
    });

    it('skips unknown parameters of any identifier width', () => {
      const bytes = fromHex(
        param(0x21, 'aabb') +
          param(0x3fff, '') +
          param(2 ** 40, '00') +
          intParam(Id.INITIAL_MAX_DATA, 7) +
          'ffffffffffffffff' +
          '01' +
          '00' + // identifier 2^62 - 1
          'fffffffffffffffe' +
          '00', // identifier 2^62 - 2: saturates too, but is not a duplicate
      );
      assert.deepStrictEqual(decodeTransportParameters(bytes, 'client'), {
        ...defaultTransportParameters(),
        initialMaxData: 7,
      });
    });
  });

  describe('min_ack_delay (draft-ietf-quic-ack-frequency-12 §3)', () => {
    it('round-trips in microseconds under its provisional 8-byte identifier', () => {
      const p: TransportParameters = { ...defaultTransportParameters(), minAckDelay: 1000 };
      const bytes = encodeTransportParameters(p, 'client');
      assert.equal(toHex(bytes), 'c0000000ff04de1b' + '02' + '43e8');
      assert.deepStrictEqual(decodeTransportParameters(bytes, 'server'), p);
    });

    it('above max_ack_delay (ms) it is a TRANSPORT_PARAMETER_ERROR', () => {
      const bytes = fromHex(intParam(Id.MIN_ACK_DELAY, 25_001));
      assert.throws(
        () => decodeTransportParameters(bytes, 'client'),
        (e: unknown) =>
          e instanceof QuicError && e.code === TransportError.TRANSPORT_PARAMETER_ERROR,
      );
      const ok = fromHex(intParam(Id.MIN_ACK_DELAY, 25_000));
      assert.equal(decodeTransportParameters(ok, 'client').minAckDelay, 25_000);
      const raised = fromHex(intParam(Id.MAX_ACK_DELAY, 30) + intParam(Id.MIN_ACK_DELAY, 30_000));
      assert.equal(decodeTransportParameters(raised, 'client').minAckDelay, 30_000);
    });
  });

  describe('initial_max_path_id (RFC 10069 §2.1)', () => {
    const cid = (hex: string) => param(Id.INITIAL_SOURCE_CONNECTION_ID, hex);

    it('round-trips under identifier 0x3e, up to 2^32-1', () => {
      for (const v of [0, 3, 2 ** 32 - 1]) {
        const p: TransportParameters = {
          ...defaultTransportParameters(),
          initialSourceConnectionId: fromHex('0102'),
          initialMaxPathId: v,
        };
        const bytes = encodeTransportParameters(p, 'client');
        assert.equal(toHex(bytes), cid('0102') + intParam(0x3e, v));
        assert.deepStrictEqual(decodeTransportParameters(bytes, 'client'), p);
      }
      // Absent: multipath not supported.
      assert.equal(
        decodeTransportParameters(fromHex(cid('01')), 'client').initialMaxPathId,
        undefined,
      );
    });

    it('above 2^32-1 it is a TRANSPORT_PARAMETER_ERROR', () => {
      rejects(cid('01') + intParam(0x3e, 2 ** 32), 'client');
      rejects(cid('01') + intParam(0x3e, 2 ** 53 - 1), 'server');
      rejects(cid('01') + param(0x3e, 'c0ffffffffffffff'), 'server');
      rejects(cid('01') + param(0x3e, '0100'), 'server'); // trailing bytes
      assert.throws(
        () =>
          encodeTransportParameters(
            {
              ...defaultTransportParameters(),
              initialSourceConnectionId: fromHex('01'),
              initialMaxPathId: 2 ** 32,
            },
            'client',
          ),
        RangeError,
      );
    });

    it('with a zero-length connection ID it is a PROTOCOL_VIOLATION', () => {
      const bytes = fromHex(cid('') + intParam(0x3e, 1));
      assert.throws(
        () => decodeTransportParameters(bytes, 'server'),
        (e: unknown) => e instanceof QuicError && e.code === TransportError.PROTOCOL_VIOLATION,
      );
      // Our own CID (the carrying packet's Destination) empty: the connection's check.
      const p = decodeTransportParameters(fromHex(cid('01') + intParam(0x3e, 1)), 'server');
      assert.equal(multipathCidViolation(p, 0)?.code, TransportError.PROTOCOL_VIOLATION);
      assert.equal(multipathCidViolation(p, 8), null);
      const single = decodeTransportParameters(fromHex(cid('01')), 'server');
      assert.equal(multipathCidViolation(single, 0), null);
      // And we never advertise it with one (API misuse).
      assert.throws(
        () =>
          encodeTransportParameters(
            {
              ...defaultTransportParameters(),
              initialSourceConnectionId: new Uint8Array(0),
              initialMaxPathId: 1,
            },
            'server',
          ),
        RangeError,
      );
    });

    it('is never remembered for 0-RTT (RFC 9000 §7.4.1)', () => {
      const p: TransportParameters = {
        ...defaultTransportParameters(),
        initialMaxData: 1000,
        initialMaxPathId: 4,
      };
      const kept = paramsToRemember(p);
      assert.equal('initialMaxPathId' in kept, false);
      assert.equal(kept.initialMaxData, 1000);
      assert.equal(p.initialMaxPathId, 4, 'the original is left alone');
    });
  });

  describe('malformed input', () => {
    it('raises TRANSPORT_PARAMETER_ERROR for every cut that is not a parameter boundary', () => {
      const rng = new Rng(9);
      for (let i = 0; i < 30; i++) {
        const sender = rng.bool() ? 'client' : 'server';
        const bytes = encodeTransportParameters(randomParams(rng, sender), sender);
        const ok = boundaries(bytes);
        for (let n = 0; n < bytes.length; n++) {
          const cut = bytes.subarray(0, n);
          if (ok.has(n)) decodeTransportParameters(cut, sender);
          else rejects(cut, sender);
        }
      }
    });

    it('rejects duplicates, known or not (RFC 9000 §7.4)', () => {
      rejects(intParam(Id.MAX_IDLE_TIMEOUT, 1) + intParam(Id.MAX_IDLE_TIMEOUT, 2));
      rejects(param(Id.DISABLE_ACTIVE_MIGRATION, '') + param(Id.DISABLE_ACTIVE_MIGRATION, ''));
      rejects(param(0x1b, '') + param(0x1b, '01'));
      rejects('ffffffffffffffff00' + 'ffffffffffffffff00');
      const e = rejects(
        param(Id.GREASE_QUIC_BIT, '') +
          intParam(Id.INITIAL_MAX_DATA, 1) +
          param(Id.GREASE_QUIC_BIT, ''),
      );
      assert.match(e.message, /twice/);
    });

    it('rejects server-only parameters from a client (RFC 9000 §18.2)', () => {
      const serverOnly = [
        param(Id.ORIGINAL_DESTINATION_CONNECTION_ID, '0102'),
        param(Id.STATELESS_RESET_TOKEN, '00'.repeat(16)),
        param(Id.PREFERRED_ADDRESS, '00'.repeat(24) + '0101' + '00'.repeat(16)),
        param(Id.RETRY_SOURCE_CONNECTION_ID, '0102'),
      ];
      for (const hex of serverOnly) {
        rejects(hex, 'client');
        decodeTransportParameters(fromHex(hex), 'server');
      }
    });

    it('rejects out-of-range values', () => {
      rejects(intParam(Id.MAX_UDP_PAYLOAD_SIZE, 1199));
      rejects(intParam(Id.MAX_UDP_PAYLOAD_SIZE, 0));
      rejects(intParam(Id.ACK_DELAY_EXPONENT, 21));
      rejects(intParam(Id.MAX_ACK_DELAY, 2 ** 14));
      rejects(param(Id.MAX_ACK_DELAY, 'ffffffffffffffff'));
      rejects(intParam(Id.ACTIVE_CONNECTION_ID_LIMIT, 1));
      rejects(intParam(Id.ACTIVE_CONNECTION_ID_LIMIT, 0));
      // 2^60 is the largest stream count; 2^60 + 1 is not.
      const at = decodeTransportParameters(
        fromHex(param(Id.INITIAL_MAX_STREAMS_BIDI, 'd000000000000000')),
        'client',
      );
      assert.equal(at.initialMaxStreamsBidi, VARINT_SATURATED);
      rejects(param(Id.INITIAL_MAX_STREAMS_BIDI, 'd000000000000001'));
      rejects(param(Id.INITIAL_MAX_STREAMS_UNI, 'ffffffffffffffff'));
    });

    it('rejects values of the wrong length', () => {
      rejects(param(Id.STATELESS_RESET_TOKEN, '00'.repeat(15)));
      rejects(param(Id.STATELESS_RESET_TOKEN, '00'.repeat(17)));
      rejects(param(Id.ORIGINAL_DESTINATION_CONNECTION_ID, '00'.repeat(21)));
      rejects(param(Id.INITIAL_SOURCE_CONNECTION_ID, '00'.repeat(21)));
      rejects(param(Id.RETRY_SOURCE_CONNECTION_ID, '00'.repeat(21)));
      rejects(param(Id.MAX_IDLE_TIMEOUT, '')); // an integer needs a varint
      rejects(param(Id.MAX_IDLE_TIMEOUT, '0101')); // trailing byte
      rejects(param(Id.INITIAL_MAX_DATA, '4001' + '00'));
      rejects(param(Id.INITIAL_MAX_STREAMS_BIDI, '0101'));
      rejects(param(Id.MAX_IDLE_TIMEOUT, '40')); // truncated varint inside the value
      rejects(param(Id.DISABLE_ACTIVE_MIGRATION, '00'));
      rejects(param(Id.GREASE_QUIC_BIT, '01')); // RFC 9287 §3
      // Non-minimal but exact-length integers are fine.
      const p = decodeTransportParameters(
        fromHex(param(Id.MAX_IDLE_TIMEOUT, '80000005')),
        'client',
      );
      assert.equal(p.maxIdleTimeout, 5);
    });

    it('rejects a malformed preferred_address', () => {
      const addr = '7f000001' + '1151' + '00'.repeat(16) + '0000';
      const token = 'ab'.repeat(16);
      const good = decodeTransportParameters(
        fromHex(param(Id.PREFERRED_ADDRESS, addr + '04c0ffee00' + token)),
        'server',
      );
      assert.deepStrictEqual(good.preferredAddress, {
        ipv4Address: fromHex('7f000001'),
        ipv4Port: 4433,
        ipv6Address: new Uint8Array(16),
        ipv6Port: 0,
        connectionId: fromHex('c0ffee00'),
        statelessResetToken: fromHex(token),
      });
      rejects(param(Id.PREFERRED_ADDRESS, addr + '00' + token)); // zero-length CID
      rejects(param(Id.PREFERRED_ADDRESS, addr + '15' + '00'.repeat(21) + token));
      rejects(param(Id.PREFERRED_ADDRESS, addr + '04c0ffee00' + token + '00'));
      rejects(param(Id.PREFERRED_ADDRESS, addr + '04c0ffee00' + token.slice(2)));
    });

    it('rejects a malformed version_information (RFC 9368 §4)', () => {
      const ok = decodeTransportParameters(
        fromHex(param(Id.VERSION_INFORMATION, '00000001' + '6b3343cf' + '00000001')),
        'client',
      );
      assert.deepStrictEqual(ok.versionInformation, {
        chosenVersion: QUIC_V1,
        availableVersions: [QUIC_V2, QUIC_V1],
      });
      // A server may leave its own chosen version out, or list nothing.
      decodeTransportParameters(fromHex(param(Id.VERSION_INFORMATION, '00000001')), 'server');
      rejects(param(Id.VERSION_INFORMATION, '00000001'), 'client');
      rejects(param(Id.VERSION_INFORMATION, '00000001' + '6b3343cf'), 'client');
      rejects(param(Id.VERSION_INFORMATION, ''));
      rejects(param(Id.VERSION_INFORMATION, '000001'));
      rejects(param(Id.VERSION_INFORMATION, '00000001' + '000001'));
      rejects(param(Id.VERSION_INFORMATION, '00000000' + '00000001'));
      rejects(param(Id.VERSION_INFORMATION, '00000001' + '00000000'));
    });

    it('never throws anything but QuicError on random input', () => {
      const rng = new Rng(123);
      for (let i = 0; i < 3000; i++) {
        const bytes = rng.bytes(rng.int(60));
        // Small identifiers, so known parameters get hit often.
        if (bytes.length > 0 && rng.bool()) bytes[0] = bytes[0]! & 0x1f;
        for (const sender of ['client', 'server'] as const) {
          try {
            decodeTransportParameters(bytes, sender);
          } catch (e) {
            assert.ok(e instanceof QuicError && e.code === TPE, String(e));
          }
        }
      }
    });
  });

  describe('encoding misuse', () => {
    it('refuses server-only parameters for a client', () => {
      const d = defaultTransportParameters();
      for (const p of [
        { ...d, originalDestinationConnectionId: fromHex('01') },
        { ...d, statelessResetToken: new Uint8Array(16) },
        { ...d, retrySourceConnectionId: fromHex('01') },
        {
          ...d,
          preferredAddress: {
            ipv4Address: new Uint8Array(4),
            ipv4Port: 0,
            ipv6Address: new Uint8Array(16),
            ipv6Port: 0,
            connectionId: fromHex('01'),
            statelessResetToken: new Uint8Array(16),
          },
        },
      ]) {
        assert.throws(() => encodeTransportParameters(p, 'client'), TypeError);
        encodeTransportParameters(p, 'server');
      }
    });

    it('refuses invalid values', () => {
      const d = defaultTransportParameters();
      for (const p of [
        { ...d, maxUdpPayloadSize: 1000 },
        { ...d, ackDelayExponent: 21 },
        { ...d, maxAckDelay: 2 ** 14 },
        { ...d, activeConnectionIdLimit: 1 },
        { ...d, initialSourceConnectionId: new Uint8Array(21) },
        { ...d, statelessResetToken: new Uint8Array(15) },
        { ...d, versionInformation: { chosenVersion: 0, availableVersions: [] } },
        { ...d, versionInformation: { chosenVersion: QUIC_V1, availableVersions: [QUIC_V1, 0] } },
      ]) {
        assert.throws(() => encodeTransportParameters(p, 'server'), RangeError, JSON.stringify(p));
      }
      assert.throws(
        () =>
          encodeTransportParameters(
            { ...d, versionInformation: { chosenVersion: QUIC_V1, availableVersions: [QUIC_V2] } },
            'client',
          ),
        RangeError,
      );
    });
  });
});
