/** Seeded random frames of every kind, for the frame codec property tests. */
import type { AckRange, Frame, FrameKind } from '../../src/wire/frame-types.js';
import { Rng } from './random.js';

export const ALL_KINDS: readonly FrameKind[] = [
  'padding',
  'ping',
  'ack',
  'reset_stream',
  'stop_sending',
  'crypto',
  'new_token',
  'stream',
  'max_data',
  'max_stream_data',
  'max_streams',
  'data_blocked',
  'stream_data_blocked',
  'streams_blocked',
  'new_connection_id',
  'retire_connection_id',
  'path_challenge',
  'path_response',
  'connection_close',
  'handshake_done',
  'datagram',
  'ack_frequency',
  'immediate_ack',
  'path_ack',
  'path_abandon',
  'path_status_backup',
  'path_status_available',
  'path_new_connection_id',
  'path_retire_connection_id',
  'max_path_id',
  'paths_blocked',
  'path_cids_blocked',
];

function randomRanges(rng: Rng): AckRange[] {
  const count = 1 + rng.int(rng.bool() ? 3 : 40);
  let largest = rng.varint();
  const ranges: AckRange[] = [];
  for (let i = 0; i < count; i++) {
    // Range sizes and gaps of every varint width, as long as they stay above 0.
    const size = Math.min(rng.varint(), largest);
    const smallest = largest - size;
    ranges.push({ smallest, largest });
    const gap = rng.varint();
    if (smallest - gap - 2 < 0) break;
    largest = smallest - gap - 2;
  }
  return ranges;
}

/** Data no longer than `max`, sometimes empty. */
function data(rng: Rng, max = 300): Uint8Array {
  return rng.bytes(rng.pick([0, 1, 63, 64, rng.int(max)]));
}

/** A path ID of every varint width up to 2^32-1 (RFC 10069 §2.1). */
function pathId(rng: Rng): number {
  return rng.pick([0, 1, 63, 64, 16383, 16384, 2 ** 30, 2 ** 32 - 1, rng.int(2 ** 32)]);
}

export function randomFrame(rng: Rng, kind: FrameKind): Frame {
  switch (kind) {
    case 'padding':
      return { kind, length: 1 + rng.int(100) };
    case 'ping':
    case 'handshake_done':
    case 'immediate_ack':
      return { kind };
    case 'ack_frequency':
      return {
        kind,
        sequenceNumber: rng.varint(),
        ackElicitingThreshold: rng.varint(),
        requestedMaxAckDelay: rng.varint(),
        reorderingThreshold: rng.varint(),
      };
    case 'ack': {
      const f: Frame = { kind, ackDelay: rng.varint(), ranges: randomRanges(rng) };
      if (rng.bool()) f.ecn = { ect0: rng.varint(), ect1: rng.varint(), ce: rng.varint() };
      return f;
    }
    case 'reset_stream':
      return { kind, streamId: rng.varint(), errorCode: rng.varint(), finalSize: rng.varint() };
    case 'stop_sending':
      return { kind, streamId: rng.varint(), errorCode: rng.varint() };
    case 'crypto':
      return { kind, offset: rng.varint(), data: data(rng) };
    case 'new_token':
      return { kind, token: rng.bytes(1 + rng.int(100)) };
    case 'stream':
      return {
        kind,
        streamId: rng.varint(),
        offset: rng.bool() ? 0 : rng.varint(),
        data: data(rng),
        fin: rng.bool(),
      };
    case 'max_data':
      return { kind, maximum: rng.varint() };
    case 'max_stream_data':
      return { kind, streamId: rng.varint(), maximum: rng.varint() };
    case 'max_streams':
      return { kind, bidi: rng.bool(), maximum: rng.varint() };
    case 'data_blocked':
      return { kind, limit: rng.varint() };
    case 'stream_data_blocked':
      return { kind, streamId: rng.varint(), limit: rng.varint() };
    case 'streams_blocked':
      return { kind, bidi: rng.bool(), limit: rng.varint() };
    case 'new_connection_id': {
      const sequenceNumber = rng.varint();
      return {
        kind,
        sequenceNumber,
        retirePriorTo: rng.pick([0, sequenceNumber, rng.int(sequenceNumber + 1)]),
        connectionId: rng.bytes(1 + rng.int(20)),
        statelessResetToken: rng.bytes(16),
      };
    }
    case 'retire_connection_id':
      return { kind, sequenceNumber: rng.varint() };
    case 'path_challenge':
    case 'path_response':
      return { kind, data: rng.bytes(8) };
    case 'connection_close': {
      const application = rng.bool();
      return {
        kind,
        application,
        errorCode: rng.varint(),
        frameType: application ? 0 : rng.varint(),
        reason: data(rng, 80),
      };
    }
    case 'datagram':
      return { kind, data: data(rng) };
    case 'path_ack': {
      const f: Frame = {
        kind,
        pathId: pathId(rng),
        ackDelay: rng.varint(),
        ranges: randomRanges(rng),
      };
      if (rng.bool()) f.ecn = { ect0: rng.varint(), ect1: rng.varint(), ce: rng.varint() };
      return f;
    }
    case 'path_abandon':
      return { kind, pathId: pathId(rng), errorCode: rng.varint() };
    case 'path_status_backup':
    case 'path_status_available':
    case 'path_retire_connection_id':
      return { kind, pathId: pathId(rng), sequenceNumber: rng.varint() };
    case 'path_new_connection_id': {
      const sequenceNumber = rng.varint();
      return {
        kind,
        pathId: pathId(rng),
        sequenceNumber,
        retirePriorTo: rng.pick([0, sequenceNumber, rng.int(sequenceNumber + 1)]),
        connectionId: rng.bytes(1 + rng.int(20)),
        statelessResetToken: rng.bytes(16),
      };
    }
    case 'max_path_id':
    case 'paths_blocked':
      return { kind, maximum: pathId(rng) };
    case 'path_cids_blocked':
      return { kind, pathId: pathId(rng), nextSequenceNumber: rng.varint() };
  }
}
