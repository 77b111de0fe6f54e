/**
 * The multipath bookkeeping of RFC 10069 outside the connection: path ID limits with the
 * MAX_PATH_ID / PATHS_BLOCKED rules (§2.1, §4.6, §4.7) and path status sequence numbers (§4.3).
 */
import assert from 'node:assert/strict';
import { PathIdLimits } from '../../src/path/path-id-limits.js';
import { PathStatusSignals } from '../../src/path/path-status.js';
import { QuicError, TransportError } from '../../src/wire/errors.js';
import { FrameType } from '../../src/wire/frame-types.js';

const PV = TransportError.PROTOCOL_VIOLATION;

function isViolation(v: unknown, frameType: number): boolean {
  return v instanceof QuicError && v.code === PV && v.frameType === frameType;
}

describe('path/multipath state (RFC 10069)', () => {
  describe('PathIdLimits', () => {
    it('checks peer path IDs against the limit we announced (§4, §4.7)', () => {
      const l = new PathIdLimits(2, 5);
      assert.equal(l.checkPeerPathId(2, FrameType.PATH_ACK), null);
      assert.ok(isViolation(l.checkPeerPathId(3, FrameType.PATH_ACK), FrameType.PATH_ACK));
      assert.deepEqual(l.raiseLocalMax(4), { kind: 'max_path_id', maximum: 4 });
      assert.equal(l.checkPeerPathId(3, FrameType.PATH_ABANDON), null);
      assert.equal(l.localMaxPathId, 4);
    });

    it('takes MAX_PATH_ID increases, ignores the others, rejects one below the initial (§4.6)', () => {
      const l = new PathIdLimits(1, 3);
      assert.ok(l.mayOpen(3) && !l.mayOpen(4));
      assert.equal(l.onMaxPathId({ kind: 'max_path_id', maximum: 6 }), null);
      assert.equal(l.peerMaxPathId, 6);
      assert.equal(l.onMaxPathId({ kind: 'max_path_id', maximum: 4 }), null, 'reordered: ignored');
      assert.equal(l.peerMaxPathId, 6);
      assert.ok(l.mayOpen(6));
      assert.ok(
        isViolation(l.onMaxPathId({ kind: 'max_path_id', maximum: 2 }), FrameType.MAX_PATH_ID),
      );
    });

    it('answers PATHS_BLOCKED: above our limit a violation, below it stale (§4.7)', () => {
      const l = new PathIdLimits(3, 0);
      assert.equal(l.onPathsBlocked({ kind: 'paths_blocked', maximum: 3 }), true);
      assert.equal(l.onPathsBlocked({ kind: 'paths_blocked', maximum: 1 }), false);
      assert.ok(
        isViolation(
          l.onPathsBlocked({ kind: 'paths_blocked', maximum: 4 }),
          FrameType.PATHS_BLOCKED,
        ),
      );
    });

    it('raises our limit only upward and within 2^32-1', () => {
      const l = new PathIdLimits(3, 0);
      assert.equal(l.raiseLocalMax(3), null);
      assert.equal(l.raiseLocalMax(1), null);
      assert.deepEqual(l.raiseLocalMax(2 ** 32 - 1), { kind: 'max_path_id', maximum: 2 ** 32 - 1 });
      assert.throws(() => l.raiseLocalMax(2 ** 32), RangeError);
      assert.throws(() => l.raiseLocalMax(-1), RangeError);
    });

    it('reports being blocked once per peer limit', () => {
      const l = new PathIdLimits(0, 1);
      assert.equal(l.blocked(1), null, 'within the limit');
      assert.deepEqual(l.blocked(2), { kind: 'paths_blocked', maximum: 1 });
      assert.equal(l.blocked(3), null, 'already said so at this limit');
      l.onMaxPathId({ kind: 'max_path_id', maximum: 2 });
      assert.equal(l.blocked(2), null);
      assert.deepEqual(l.blocked(3), { kind: 'paths_blocked', maximum: 2 });
    });
  });

  describe('PathStatusSignals (§4.3)', () => {
    it('numbers our frames per path in one space for both types', () => {
      const s = new PathStatusSignals();
      assert.deepEqual(s.announce(1, 'backup'), {
        kind: 'path_status_backup',
        pathId: 1,
        sequenceNumber: 0,
      });
      assert.deepEqual(s.announce(1, 'available'), {
        kind: 'path_status_available',
        pathId: 1,
        sequenceNumber: 1,
      });
      assert.equal(s.announce(2, 'backup').sequenceNumber, 0, 'another path: its own numbers');
    });

    it('resends a lost frame only while it is the last one sent for its path', () => {
      const s = new PathStatusSignals();
      const first = s.announce(1, 'backup');
      assert.ok(s.shouldResend(first));
      const second = s.announce(1, 'available');
      assert.ok(!s.shouldResend(first));
      assert.ok(s.shouldResend(second));
      s.forget(1);
      assert.ok(!s.shouldResend(second));
    });

    it('applies only frames newer than every earlier one for the path', () => {
      const s = new PathStatusSignals();
      assert.equal(s.peerStatus(1), 'available', 'unknown preference: available');
      assert.equal(
        s.onFrame({ kind: 'path_status_backup', pathId: 1, sequenceNumber: 5 }),
        'backup',
      );
      assert.equal(
        s.onFrame({ kind: 'path_status_available', pathId: 1, sequenceNumber: 4 }),
        null,
      );
      assert.equal(
        s.onFrame({ kind: 'path_status_available', pathId: 1, sequenceNumber: 5 }),
        null,
        'equal: ignored',
      );
      assert.equal(s.peerStatus(1), 'backup');
      assert.equal(
        s.onFrame({ kind: 'path_status_available', pathId: 2, sequenceNumber: 0 }),
        'available',
        'numbers are per path',
      );
      assert.equal(
        s.onFrame({ kind: 'path_status_available', pathId: 1, sequenceNumber: 6 }),
        'available',
      );
      assert.equal(s.peerStatus(1), 'available');
    });
  });
});
