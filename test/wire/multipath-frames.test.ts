/**
 * The frames of Multipath QUIC (RFC 10069 §4, draft-ietf-quic-multipath-21): encodings written
 * out by hand from the frame diagrams, malformed input, and where the frames may appear.
 */
import assert from 'node:assert/strict';
import { Reader, Writer } from '../../src/util/cursor.js';
import { fromHex, toHex } from '../../src/util/bytes.js';
import { MultipathError, QuicError, TransportError } from '../../src/wire/errors.js';
import { decodeFrame } from '../../src/wire/frame-decode.js';
import { encodeFrame, frameEncodedLength } from '../../src/wire/frame-encode.js';
import {
  countsInFlight,
  frameAllowedIn,
  isAckEliciting,
  isMultipathFrameType,
  isProbingFrame,
} from '../../src/wire/frame-rules.js';
import { FrameType, type Frame, type FrameKind } from '../../src/wire/frame-types.js';
import { PacketType } from '../../src/wire/version.js';

const TOKEN = '000102030405060708090a0b0c0d0e0f';

/** Hand-written encodings: the type (two-byte varints 0x7eXX for 0x3eXX), then the fields. */
const VECTORS: readonly [string, Frame][] = [
  // PATH_ACK: path 1, Largest 5, Delay 0, Range Count 0, First Range 2 -> packets 3..5.
  [
    '3e0105000002',
    { kind: 'path_ack', pathId: 1, ackDelay: 0, ranges: [{ smallest: 3, largest: 5 }] },
  ],
  // PATH_ACK with ECN: path 2, Largest 9, Delay 3, 1 more range (gap 1, length 0), ECN 1/2/3.
  [
    '3f02090301000100010203',
    {
      kind: 'path_ack',
      pathId: 2,
      ackDelay: 3,
      ranges: [
        { smallest: 9, largest: 9 },
        { smallest: 6, largest: 6 },
      ],
      ecn: { ect0: 1, ect1: 2, ce: 3 },
    },
  ],
  // PATH_ABANDON path 3 with PATH_RESOURCE_LIMIT_REACHED (0x3e75, itself a two-byte varint).
  [
    '7e75037e75',
    {
      kind: 'path_abandon',
      pathId: 3,
      errorCode: MultipathError.PATH_RESOURCE_LIMIT_REACHED,
    },
  ],
  ['7e760107', { kind: 'path_status_backup', pathId: 1, sequenceNumber: 7 }],
  ['7e770108', { kind: 'path_status_available', pathId: 1, sequenceNumber: 8 }],
  [
    `7e7801020104aabbccdd${TOKEN}`,
    {
      kind: 'path_new_connection_id',
      pathId: 1,
      sequenceNumber: 2,
      retirePriorTo: 1,
      connectionId: fromHex('aabbccdd'),
      statelessResetToken: fromHex(TOKEN),
    },
  ],
  ['7e790102', { kind: 'path_retire_connection_id', pathId: 1, sequenceNumber: 2 }],
  // 2^32-1, the largest path ID (an eight-byte varint: four bytes hold only up to 2^30-1).
  ['7e7ac0000000ffffffff', { kind: 'max_path_id', maximum: 0xffffffff }],
  ['7e7b0a', { kind: 'paths_blocked', maximum: 10 }],
  ['7e7c0105', { kind: 'path_cids_blocked', pathId: 1, nextSequenceNumber: 5 }],
];

function encode(f: Frame): Uint8Array {
  const w = Writer.growable(64);
  encodeFrame(w, f);
  return w.finish();
}

function rejects(hex: string, code: number, frameType: number): void {
  let thrown: unknown;
  try {
    decodeFrame(new Reader(fromHex(hex)));
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown instanceof QuicError, `${hex}: expected QuicError, got ${String(thrown)}`);
  assert.equal(thrown.code, code, `${hex}: ${thrown.message}`);
  assert.equal(thrown.frameType, frameType, hex);
}

const FEE = TransportError.FRAME_ENCODING_ERROR;
const PV = TransportError.PROTOCOL_VIOLATION;
const MULTIPATH_TYPES = [
  0x3e, 0x3f, 0x3e75, 0x3e76, 0x3e77, 0x3e78, 0x3e79, 0x3e7a, 0x3e7b, 0x3e7c,
];
const MULTIPATH_KINDS: readonly FrameKind[] = VECTORS.map(([, f]) => f.kind);

describe('wire/multipath frames (RFC 10069 §4)', () => {
  it('has the type codes of the IANA section', () => {
    assert.deepEqual(
      [
        FrameType.PATH_ACK,
        FrameType.PATH_ACK_ECN,
        FrameType.PATH_ABANDON,
        FrameType.PATH_STATUS_BACKUP,
        FrameType.PATH_STATUS_AVAILABLE,
        FrameType.PATH_NEW_CONNECTION_ID,
        FrameType.PATH_RETIRE_CONNECTION_ID,
        FrameType.MAX_PATH_ID,
        FrameType.PATHS_BLOCKED,
        FrameType.PATH_CIDS_BLOCKED,
      ],
      MULTIPATH_TYPES,
    );
    assert.deepEqual(Object.values(MultipathError), [0x3e, 0x3e75, 0x3e76, 0x3e77]);
  });

  it('decodes the hand-written encodings and writes them back byte for byte', () => {
    for (const [hex, frame] of VECTORS) {
      const r = new Reader(fromHex(hex));
      assert.deepStrictEqual(decodeFrame(r), frame, hex);
      assert.equal(r.remaining, 0, hex);
      assert.equal(toHex(encode(frame)), hex, frame.kind);
      assert.equal(frameEncodedLength(frame), hex.length / 2, frame.kind);
    }
  });

  it('rejects path IDs above 2^32-1 with PROTOCOL_VIOLATION (§2.1: above any maximum)', () => {
    const big = 'c000000100000000'; // 2^32
    rejects(`3e${big}05000002`, PV, 0x3e);
    rejects(`7e75${big}00`, PV, 0x3e75);
    rejects(`7e76${big}00`, PV, 0x3e76);
    rejects(`7e77${big}00`, PV, 0x3e77);
    rejects(`7e78${big}00000100${TOKEN}`, PV, 0x3e78);
    rejects(`7e79${big}00`, PV, 0x3e79);
    rejects(`7e7a${big}`, PV, 0x3e7a);
    rejects(`7e7b${big}`, PV, 0x3e7b);
    rejects(`7e7c${big}00`, PV, 0x3e7c);
    // And the encoder refuses to write one (API misuse).
    assert.throws(() => encode({ kind: 'max_path_id', maximum: 2 ** 32 }), RangeError);
    assert.throws(() => encode({ kind: 'path_abandon', pathId: -1, errorCode: 0 }), RangeError);
    assert.throws(
      () => frameEncodedLength({ kind: 'path_ack', pathId: 2 ** 32, ackDelay: 0, ranges: [] }),
      RangeError,
    );
  });

  it('rejects malformed fields with FRAME_ENCODING_ERROR', () => {
    // PATH_ACK: First ACK Range 6 below Largest 5, and a range below 0 after a gap.
    rejects('3e0105000006', FEE, 0x3e);
    rejects('3e01050001000005', FEE, 0x3e);
    // PATH_ACK_ECN without its ECN counts.
    rejects('3f0105000000', FEE, 0x3f);
    // PATH_NEW_CONNECTION_ID: CID lengths 0 and 21, Retire Prior To above Sequence Number.
    rejects(`7e7801010000${TOKEN}`, FEE, 0x3e78);
    rejects(`7e7801010015${'ab'.repeat(21)}${TOKEN}`, FEE, 0x3e78);
    rejects(`7e7801010201aa${TOKEN}`, FEE, 0x3e78);
    // A short stateless reset token.
    rejects(`7e7801020104aabbccdd${TOKEN.slice(2)}`, FEE, 0x3e78);
  });

  it('needs the frame types in their shortest encoding (RFC 9000 §12.4)', () => {
    rejects('403e0105000002', PV, 0x3e);
    rejects('80003e750300', PV, 0x3e75);
    rejects('c000000000003e7a0a', PV, 0x3e7a);
  });

  it('leaves the neighbouring two-byte types unknown', () => {
    rejects('7e7401', FEE, 0x3e74);
    rejects('7e7d01', FEE, 0x3e7d);
    for (const t of [0x3e74, 0x3e7d, 0x3e00]) assert.ok(!isMultipathFrameType(t));
  });

  it('allows the frames in 1-RTT packets only (§4: else PROTOCOL_VIOLATION)', () => {
    for (const type of MULTIPATH_TYPES) {
      assert.ok(isMultipathFrameType(type));
      assert.ok(frameAllowedIn(type, PacketType.OneRtt), type.toString(16));
      for (const pt of [PacketType.Initial, PacketType.Handshake, PacketType.ZeroRtt]) {
        assert.ok(!frameAllowedIn(type, pt), `0x${type.toString(16)} in ${pt}`);
      }
    }
  });

  it('counts PATH_ACK like ACK, every other multipath frame as ack-eliciting', () => {
    for (const kind of MULTIPATH_KINDS) {
      assert.equal(isAckEliciting(kind), kind !== 'path_ack', kind);
      assert.equal(countsInFlight(kind), kind !== 'path_ack', kind);
      assert.ok(!isProbingFrame(kind), kind);
    }
  });
});
