/**
 * RFC 10069 §2: when either endpoint did not send initial_max_path_id, neither may use the
 * multipath frames. A peer that sends one anyway (in a 1-RTT packet, where the frame is
 * otherwise allowed) gets a PROTOCOL_VIOLATION naming the frame type.
 */
import { strict as assert } from 'node:assert';
import { createEnginePair } from '../../src/testing/index.js';
import { TransportError } from '../../src/wire/errors.js';
import { frameTypeOf } from '../../src/wire/frame-encode.js';
import type { Frame } from '../../src/wire/frame-types.js';

const FRAMES: readonly Frame[] = [
  { kind: 'path_abandon', pathId: 0, errorCode: 0 },
  { kind: 'path_status_backup', pathId: 0, sequenceNumber: 1 },
  { kind: 'max_path_id', maximum: 4 },
  { kind: 'path_cids_blocked', pathId: 1, nextSequenceNumber: 0 },
];

describe('scenario: multipath frames without negotiated multipath (RFC 10069 §2)', () => {
  for (const frame of FRAMES) {
    it(`${frame.kind} closes the connection with PROTOCOL_VIOLATION`, () => {
      const p = createEnginePair({ seed: 3 });
      assert.ok(p.handshake());
      const server = p.serverConn()!;
      assert.equal(server.peerParams?.initialMaxPathId, undefined);
      p.conn.controlFrames.queue(frame);
      p.runFor(200_000);
      assert.equal(server.closeInfo?.errorCode, TransportError.PROTOCOL_VIOLATION);
      assert.equal(server.closeInfo?.frameType, frameTypeOf(frame));
    });
  }
});
