import assert from 'node:assert/strict';
import { type CidHost } from '../../src/conn/cids.js';
import { Multipath, MultipathPath } from '../../src/conn/multipath.js';
import { PathSet } from '../../src/conn/path-set.js';
import { PathState } from '../../src/conn/path-state.js';
import type { SentFrame } from '../../src/conn/sent-frames.js';
import { SpaceState } from '../../src/conn/space.js';
import { PnSpace } from '../../src/ack/pn-space.js';
import { SendControl } from '../../src/path/send-control.js';
import { createPathScheduler } from '../../src/path/schedulers/registry.js';
import { QuicError, TransportError } from '../../src/wire/errors.js';
import type { Frame, PathNewConnectionIdFrame } from '../../src/wire/frame-types.js';

const LOCAL = { address: '10.0.0.2', port: 5000 };
const REMOTE = { address: '10.0.0.1', port: 4433 };

/** An engine stand-in: numbered 8-byte CIDs, retirements recorded. */
class Host implements CidHost {
  issued = 0;
  readonly retired: number[] = [];
  newCid(): { cid: Uint8Array; resetToken: Uint8Array } {
    const n = ++this.issued;
    return { cid: new Uint8Array(8).fill(n), resetToken: new Uint8Array(16).fill(0x40 + n) };
  }
  onCidRetired(cid: Uint8Array): void {
    this.retired.push(cid[0]!);
  }
}

function path(id: number): MultipathPath {
  const sc = new SendControl<SentFrame>({ isServer: false });
  const ps = new PathState(LOCAL, REMOTE, sc, true, {
    sequence: 0,
    cid: new Uint8Array(8),
    sentTo: null,
  });
  return new MultipathPath(id, new PathSet(ps, 0), new SpaceState(PnSpace.Application, 25_000));
}

function newCid(pathId: number, seq: number, byte: number): PathNewConnectionIdFrame {
  return {
    kind: 'path_new_connection_id',
    pathId,
    sequenceNumber: seq,
    retirePriorTo: 0,
    connectionId: new Uint8Array(8).fill(byte),
    statelessResetToken: new Uint8Array(16).fill(byte),
  };
}

function negotiated(localMax = 3, peerMax = 2): { mp: Multipath; host: Host } {
  const host = new Host();
  const mp = new Multipath(host, localMax, 8, createPathScheduler());
  assert.ok(mp.negotiate(peerMax, path(0)));
  return { mp, host };
}

const kinds = (frames: Frame[]): string[] => frames.map((f) => f.kind);

function violation(fn: () => void): void {
  assert.throws(
    fn,
    (e: unknown) => e instanceof QuicError && e.code === TransportError.PROTOCOL_VIOLATION,
  );
}

describe('Multipath (RFC 10069)', () => {
  it('is off when the peer sent no initial_max_path_id (§2)', () => {
    const mp = new Multipath(new Host(), 4, 8, createPathScheduler());
    assert.equal(mp.negotiate(undefined, path(0)), false);
    assert.equal(mp.enabled, false);
    mp.issueCids();
    assert.deepEqual(mp.takeFrames(), []);
  });

  it('issues CIDs for every path ID up to both limits, without gaps (§3.2.1)', () => {
    const { mp } = negotiated(3, 2);
    mp.issueCids();
    const frames = mp.takeFrames() as PathNewConnectionIdFrame[];
    assert.deepEqual(
      frames.map((f) => [f.pathId, f.sequenceNumber]),
      [
        [1, 0],
        [1, 1],
        [2, 0],
        [2, 1],
      ],
    );
    // Each CID routes back to its path ID.
    assert.equal(mp.pathIdOf(frames[2]!.connectionId), 2);
    assert.equal(mp.pathIdOf(new Uint8Array(8).fill(0xee)), -1);
    // Issuing again adds nothing.
    mp.issueCids();
    assert.deepEqual(mp.takeFrames(), []);
  });

  it('a path ID can be opened once both sides hold CIDs for it (§3.1)', () => {
    const { mp } = negotiated(3, 2);
    assert.equal(mp.nextOpenableId(), -1, 'no CIDs yet');
    mp.onOpenBlocked();
    assert.deepEqual(kinds(mp.takeFrames()), ['path_cids_blocked']);
    mp.issueCids();
    mp.takeFrames();
    mp.onNewCid(newCid(2, 0, 0xa2));
    assert.equal(mp.nextOpenableId(), 2, 'path 1 has no CID of the peer: path 2 it is');
    mp.onNewCid(newCid(1, 0, 0xa1));
    assert.equal(mp.nextOpenableId(), 1);
    assert.equal(mp.nextOpenableId([1]), 2, 'reserved IDs are skipped');
    mp.add(path(1));
    mp.add(path(2));
    assert.equal(mp.nextOpenableId(), -1);
    mp.onOpenBlocked();
    assert.deepEqual(mp.takeFrames(), [{ kind: 'paths_blocked', maximum: 2 }]);
  });

  it('frames with a path ID above our maximum are a PROTOCOL_VIOLATION (§4)', () => {
    const { mp } = negotiated(3, 2);
    violation(() => mp.onNewCid(newCid(4, 0, 1)));
    violation(() => mp.onPathStatus(4, 0, 'backup', 0x3e76));
    violation(() => mp.onPathsBlocked(4));
    violation(() => mp.onPathCidsBlocked(4, 0, 8));
  });

  it('MAX_PATH_ID: below the initial value is a violation, a lower one is ignored (§4.6)', () => {
    const { mp } = negotiated(3, 2);
    violation(() => mp.onMaxPathId(1, 2));
    violation(() => mp.onMaxPathId(2 ** 32, 2));
    mp.onMaxPathId(4, 2);
    assert.equal(mp.peerMaxPathId, 4);
    mp.onMaxPathId(3, 2);
    assert.equal(mp.peerMaxPathId, 4, 'not lowered');
    // The new limit lets us issue CIDs for path 3 (ours is 3).
    assert.ok(
      (mp.takeFrames() as PathNewConnectionIdFrame[]).some((f) => f.pathId === 3),
      'CIDs for the new path ID',
    );
  });

  it('PATH_CIDS_BLOCKED beyond what we issued is a violation (§4.7)', () => {
    const { mp } = negotiated(3, 2);
    mp.issueCids();
    mp.takeFrames();
    mp.onPathCidsBlocked(1, 2, 2);
    violation(() => mp.onPathCidsBlocked(1, 3, 2));
  });

  it('PATH_CIDS_BLOCKED gets fresh CIDs up to the peer limit, numbered past retired ones', () => {
    const { mp } = negotiated(3, 2);
    mp.issueCids();
    mp.takeFrames();
    // The peer retired both CIDs of path 1 (sequences 0 and 1): 2 and 3 replace them.
    mp.onRetireCid(
      { kind: 'path_retire_connection_id', pathId: 1, sequenceNumber: 0 },
      new Uint8Array(8),
    );
    mp.onRetireCid(
      { kind: 'path_retire_connection_id', pathId: 1, sequenceNumber: 1 },
      new Uint8Array(8),
    );
    const seqs = (frames: Frame[]) =>
      (frames as PathNewConnectionIdFrame[])
        .filter((f) => f.kind === 'path_new_connection_id' && f.pathId === 1)
        .map((f) => f.sequenceNumber);
    assert.deepEqual(seqs(mp.takeFrames()), [2, 3]);
    // Blocked at 4: the next we would issue. With room for 4 CIDs the peer gets two more.
    mp.onPathCidsBlocked(1, 4, 4);
    assert.deepEqual(seqs(mp.takeFrames()), [4, 5]);
    // At the limit nothing more goes; a sequence number we never reached is a violation.
    mp.onPathCidsBlocked(1, 6, 4);
    assert.deepEqual(seqs(mp.takeFrames()), []);
    violation(() => mp.onPathCidsBlocked(1, 7, 4));
  });

  it('path status: the newest sequence number wins, per path (§4.3)', () => {
    const { mp } = negotiated();
    const p = path(1);
    mp.add(p);
    mp.onPathStatus(1, 3, 'backup', 0x3e76);
    assert.equal(p.peerStatus, 'backup');
    assert.ok(p.backup);
    mp.onPathStatus(1, 2, 'available', 0x3e77);
    assert.equal(p.peerStatus, 'backup', 'an older frame is ignored');
    mp.onPathStatus(1, 3, 'available', 0x3e77);
    assert.equal(p.peerStatus, 'backup', 'an equal sequence number is ignored');
    mp.onPathStatus(1, 4, 'available', 0x3e77);
    assert.equal(p.peerStatus, 'available');
    mp.setLocalStatus(p, 'backup');
    mp.setLocalStatus(p, 'available');
    assert.deepEqual(mp.takeFrames(), [
      { kind: 'path_status_backup', pathId: 1, sequenceNumber: 0 },
      { kind: 'path_status_available', pathId: 1, sequenceNumber: 1 },
    ]);
    // Only the latest status is sent again when lost.
    mp.onFrameLost({ kind: 'path_status_backup', pathId: 1, sequenceNumber: 0 });
    assert.deepEqual(mp.takeFrames(), []);
    mp.onFrameLost({ kind: 'path_status_available', pathId: 1, sequenceNumber: 1 });
    assert.equal(mp.takeFrames().length, 1);
  });

  it('abandon: one PATH_ABANDON, state kept 3 PTO, then the path ID is never used again (§3.4)', () => {
    const { mp, host } = negotiated(3, 2);
    mp.issueCids();
    mp.takeFrames();
    mp.onNewCid(newCid(1, 0, 0xa1));
    const p = path(1);
    mp.add(p);
    assert.ok(mp.abandon(p, 0x3e, 1_000, 300_000));
    assert.equal(mp.abandon(p, 0x3e, 2_000, 300_000), false, 'once');
    assert.deepEqual(mp.takeFrames(), [{ kind: 'path_abandon', pathId: 1, errorCode: 0x3e }]);
    assert.equal(mp.peerCidsOf(1), undefined, "the peer's CIDs are retired at once");
    assert.equal(p.state, 'abandoned');
    assert.equal(mp.deadline(), 301_000);
    assert.deepEqual(mp.dropExpired(300_999), []);
    assert.equal(mp.get(1), p, 'kept for late packets');
    assert.deepEqual(mp.dropExpired(301_000), [p]);
    assert.equal(mp.get(1), undefined);
    assert.ok(host.retired.length >= 2, 'our CIDs for the path are retired from routing');
    // Frames for the forgotten path are ignored (§4), and it is not opened again.
    mp.onNewCid(newCid(1, 5, 0xb1));
    assert.equal(mp.peerCidsOf(1), undefined);
    mp.onPathStatus(1, 9, 'backup', 0x3e76);
    assert.notEqual(mp.nextOpenableId(), 1);
  });

  it('the peer CIDs of a path: retire_prior_to retires with PATH_RETIRE_CONNECTION_ID (§4.4)', () => {
    const { mp } = negotiated(3, 2);
    mp.onNewCid(newCid(1, 0, 0xa1));
    mp.onNewCid({ ...newCid(1, 1, 0xa2), retirePriorTo: 1 });
    assert.deepEqual(mp.takeFrames(), [
      { kind: 'path_retire_connection_id', pathId: 1, sequenceNumber: 0 },
    ]);
    assert.equal(mp.peerCidsOf(1)!.current.sequence, 1);
  });

  it('PATH_RETIRE_CONNECTION_ID for a path with no CID of ours is a violation', () => {
    const { mp } = negotiated(3, 2);
    violation(() =>
      mp.onRetireCid(
        { kind: 'path_retire_connection_id', pathId: 1, sequenceNumber: 0 },
        new Uint8Array(8),
      ),
    );
  });
});
