import assert from 'node:assert/strict';
import { PnSpace } from '../../src/ack/pn-space.js';
import type { CidHost } from '../../src/conn/cids.js';
import type { ConnectionContext } from '../../src/conn/context.js';
import { ControlFrames } from '../../src/conn/control-frames.js';
import { Multipath, MultipathPath } from '../../src/conn/multipath.js';
import { PathRequests } from '../../src/conn/path-requests.js';
import { PathSet } from '../../src/conn/path-set.js';
import { PathState } from '../../src/conn/path-state.js';
import type { SentFrame } from '../../src/conn/sent-frames.js';
import { SpaceState } from '../../src/conn/space.js';
import { SendControl } from '../../src/path/send-control.js';
import { createPathScheduler } from '../../src/path/schedulers/registry.js';

const LOCAL = { address: '10.0.0.2', port: 5000 };
const LOCAL2 = { address: '10.0.0.3', port: 5001 };
const REMOTE = { address: '10.0.0.1', port: 4433 };

class Host implements CidHost {
  issued = 0;
  newCid(): { cid: Uint8Array; resetToken: Uint8Array } {
    const n = ++this.issued;
    return { cid: new Uint8Array(8).fill(n), resetToken: new Uint8Array(16).fill(0x40 + n) };
  }
  onCidRetired(): void {}
}

function path0(): MultipathPath {
  const sc = new SendControl<SentFrame>({ isServer: false });
  const ps = new PathState(LOCAL, REMOTE, sc, true, {
    sequence: 0,
    cid: new Uint8Array(8),
    sentTo: null,
  });
  return new MultipathPath(0, new PathSet(ps, 0), new SpaceState(PnSpace.Application, 25_000));
}

/** Multipath negotiated with path IDs up to 2 both ways, CIDs of the peer for `peerCidsFor`. */
function negotiated(peerCidsFor: number[]): Multipath {
  const mp = new Multipath(new Host(), 2, 8, createPathScheduler());
  assert.ok(mp.negotiate(2, path0()));
  mp.issueCids();
  mp.takeFrames();
  for (const id of peerCidsFor) {
    mp.onNewCid({
      kind: 'path_new_connection_id',
      pathId: id,
      sequenceNumber: 0,
      retirePriorTo: 0,
      connectionId: new Uint8Array(8).fill(0x70 + id),
      statelessResetToken: new Uint8Array(16).fill(0x70 + id),
    });
  }
  return mp;
}

describe('conn/path-requests: openPath/closePath wait for a `now` (RFC 10069 §3)', () => {
  it('reserves a path ID per request, each one once', () => {
    const mp = negotiated([1, 2]);
    const r = new PathRequests();
    assert.equal(r.pending, false);
    assert.equal(r.requestOpen(mp, LOCAL2, REMOTE), 1);
    assert.equal(r.pending, true);
    assert.equal(r.requestOpen(mp, LOCAL2, REMOTE), 2, 'path 1 is already requested');
    assert.equal(r.requestOpen(mp, LOCAL2, REMOTE), -1, 'no path ID left');
  });

  it('without a CID of the peer for the next path ID: -1 and PATH_CIDS_BLOCKED (§4.7)', () => {
    const mp = negotiated([]);
    const r = new PathRequests();
    assert.equal(r.requestOpen(mp, LOCAL2, REMOTE), -1);
    assert.equal(r.pending, false);
    assert.deepEqual(mp.takeFrames(), [
      { kind: 'path_cids_blocked', pathId: 1, nextSequenceNumber: 0 },
    ]);
  });

  it('queues the multipath frames waiting to be sent at the next entry point', () => {
    const mp = negotiated([]);
    const r = new PathRequests();
    mp.onOpenBlocked();
    const conn = { multipath: mp, controlFrames: new ControlFrames() };
    r.carryOut(conn as unknown as ConnectionContext, 0);
    assert.equal(mp.hasPendingFrames, false);
    assert.equal(conn.controlFrames.hasPending, true);
  });

  it('keeps its requests while multipath is not enabled', () => {
    const mp = negotiated([1]);
    const r = new PathRequests();
    r.requestClose(mp.get(0)!, 0x3e);
    const off = { multipath: null, controlFrames: new ControlFrames() };
    r.carryOut(off as unknown as ConnectionContext, 0);
    assert.equal(r.pending, true);
  });
});
