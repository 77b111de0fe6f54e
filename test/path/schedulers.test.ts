/**
 * Multipath schedulers (RFC 10069 §3.3, §5.5-§5.7): each one's choices over hand-built path
 * sets, re-injection of a failing path's packets, and the registry.
 */
import assert from 'node:assert/strict';
import { MinRttScheduler } from '../../src/path/schedulers/min-rtt.js';
import { PrimaryBackupScheduler } from '../../src/path/schedulers/primary-backup.js';
import {
  DEFAULT_PATH_SCHEDULER,
  createPathScheduler,
  pathSchedulerNames,
  registerPathScheduler,
} from '../../src/path/schedulers/registry.js';
import { RoundRobinScheduler } from '../../src/path/schedulers/round-robin.js';
import type {
  PathScheduler,
  ReinjectablePacket,
  SchedulablePath,
  SendPurpose,
} from '../../src/path/schedulers/types.js';

interface TestPath extends SchedulablePath {
  pathId: number;
  srtt: number;
  sendAllowance: number;
  bytesInFlight: number;
  status: 'available' | 'backup';
  validated: boolean;
  ptoCount: number;
}

/** A validated, available path with room; `over` changes fields. */
function path(pathId: number, srtt: number, over: Partial<TestPath> = {}): TestPath {
  return {
    pathId,
    srtt,
    sendAllowance: 12_000,
    bytesInFlight: 0,
    status: 'available',
    validated: true,
    ptoCount: 0,
    ...over,
  };
}

/** The chosen path ID, or null. */
function pick(s: PathScheduler, paths: TestPath[], purpose: SendPurpose = 'new_data') {
  return s.select(paths, purpose)?.pathId ?? null;
}

function packets(...spec: [number, boolean?, boolean?][]): ReinjectablePacket[] {
  return spec.map(([pn, ackEliciting = true, lost = false]) => ({ pn, ackEliciting, lost }));
}

describe('path/schedulers (RFC 10069 §5.5)', () => {
  describe('min-RTT', () => {
    it('sends on the lowest smoothed RTT among the paths with room', () => {
      const s = new MinRttScheduler();
      const fast = path(0, 10_000);
      const slow = path(1, 100_000);
      assert.equal(pick(s, [slow, fast]), 0);
      fast.sendAllowance = 0; // the fast path's window is full: the slow one takes the overflow
      assert.equal(pick(s, [slow, fast]), 1);
      slow.sendAllowance = 0;
      assert.equal(pick(s, [slow, fast]), null, 'every window full: wait');
    });

    it('breaks RTT ties by bytes in flight, then by path ID', () => {
      const s = new MinRttScheduler();
      const a = path(2, 20_000, { bytesInFlight: 5000 });
      const b = path(1, 20_000, { bytesInFlight: 3000 });
      const c = path(3, 20_000, { bytesInFlight: 3000 });
      assert.equal(pick(s, [a, b, c]), 1);
      b.bytesInFlight = 6000;
      assert.equal(pick(s, [a, b, c]), 3);
    });

    it('skips paths that are not validated or are failing (a PTO without an ACK)', () => {
      const s = new MinRttScheduler();
      const fast = path(0, 10_000, { validated: false });
      const slow = path(1, 50_000);
      assert.equal(pick(s, [fast, slow]), 1);
      fast.validated = true;
      fast.ptoCount = 1;
      assert.equal(pick(s, [fast, slow]), 1);
      fast.ptoCount = 0;
      assert.equal(pick(s, [fast, slow]), 0);
      // A higher threshold tolerates one PTO.
      const tolerant = new MinRttScheduler({ failingPtoCount: 2 });
      fast.ptoCount = 1;
      assert.equal(pick(tolerant, [fast, slow]), 0);
      assert.throws(() => new MinRttScheduler({ failingPtoCount: 0 }), RangeError);
    });

    it('uses backup paths only when no available path works (RFC 10069 §3.3)', () => {
      const s = new MinRttScheduler();
      const available = path(0, 80_000);
      const backup = path(1, 10_000, { status: 'backup' });
      assert.equal(pick(s, [available, backup]), 0, 'the faster backup path stays unused');
      available.sendAllowance = 0;
      assert.equal(pick(s, [available, backup]), null, 'a full window is no failure: wait');
      available.ptoCount = 1;
      assert.equal(pick(s, [available, backup]), 1, 'the available path fails: backup');
      available.ptoCount = 0;
      available.sendAllowance = 1200;
      assert.equal(pick(s, [available, backup]), 0, 'back as soon as it recovers');
      // All backup: the fastest of them.
      const b2 = path(2, 5_000, { status: 'backup' });
      assert.equal(pick(s, [backup, b2]), 2);
    });

    it('sends probes on the fastest working path, window or not (RFC 9002 §7.5)', () => {
      const s = new MinRttScheduler();
      const fast = path(0, 10_000, { sendAllowance: 0 });
      const slow = path(1, 30_000);
      assert.equal(pick(s, [fast, slow], 'probe'), 0);
      assert.equal(pick(s, [fast, slow], 'retransmission'), 1);
      assert.equal(pick(s, [path(0, 1, { validated: false })], 'probe'), null);
      assert.equal(pick(s, []), null);
    });
  });

  describe('round-robin', () => {
    it('takes the working paths with room in turn, by path ID', () => {
      const s = new RoundRobinScheduler();
      const paths = [path(4, 10_000), path(0, 90_000), path(2, 50_000)];
      const order = Array.from({ length: 7 }, () => pick(s, paths));
      assert.deepEqual(order, [0, 2, 4, 0, 2, 4, 0]);
      paths[2]!.sendAllowance = 0; // path 2 is full: skipped
      assert.deepEqual([pick(s, paths), pick(s, paths), pick(s, paths)], [4, 0, 4]);
      paths[0]!.ptoCount = 3; // path 4 fails
      assert.deepEqual([pick(s, paths), pick(s, paths)], [0, 0]);
    });

    it('sends retransmissions on the fastest path, and prefers available paths', () => {
      const s = new RoundRobinScheduler();
      const paths = [path(0, 90_000), path(1, 10_000), path(2, 1_000, { status: 'backup' })];
      assert.equal(pick(s, paths, 'retransmission'), 1);
      assert.deepEqual([pick(s, paths), pick(s, paths), pick(s, paths)], [0, 1, 0]);
      assert.equal(s.name, 'roundrobin');
    });
  });

  describe('primary with backup', () => {
    it('sends everything on the lowest-ID working available path; the next takes over', () => {
      const s = new PrimaryBackupScheduler();
      const p0 = path(0, 90_000);
      const p1 = path(1, 10_000);
      const p2 = path(2, 1_000, { status: 'backup' });
      const paths = [p2, p1, p0];
      for (const purpose of ['new_data', 'retransmission', 'probe'] as const) {
        assert.equal(pick(s, paths, purpose), 0, purpose);
      }
      p0.sendAllowance = 0;
      assert.equal(pick(s, paths), null, 'no spill-over: data waits for the primary');
      assert.equal(pick(s, paths, 'probe'), 0);
      p0.ptoCount = 1;
      assert.equal(pick(s, paths), 1, 'failover to the next available path');
      p1.validated = false;
      assert.equal(pick(s, paths), 2, 'then to the backup path');
      p2.ptoCount = 2;
      assert.equal(pick(s, paths), null);
    });
  });

  describe('re-injection (xquic; RFC 10069 §5.7)', () => {
    it('hands out a failing path’s outstanding ack-eliciting packets, each once', () => {
      const s = createPathScheduler('reinject');
      assert.equal(s.name, 'reinject');
      const first = s.onPathFailing(1, 'pto', packets([3], [4, false], [5, true, true], [6]));
      assert.deepEqual(
        first.map((p) => p.pn),
        [3, 6],
        'ACK-only and lost packets are left out',
      );
      // A second PTO: only what was sent since.
      const again = s.onPathFailing(1, 'pto', packets([3], [6], [7], [9]));
      assert.deepEqual(
        again.map((p) => p.pn),
        [7, 9],
      );
      // Another path keeps its own record; closing a path forgets it.
      assert.deepEqual(
        s.onPathFailing(2, 'abandoned', packets([3])).map((p) => p.pn),
        [3],
      );
      s.onPathClosed(1);
      assert.deepEqual(
        s.onPathFailing(1, 'abandoned', packets([3], [9])).map((p) => p.pn),
        [3, 9],
      );
    });

    it('selects like min-RTT', () => {
      const s = createPathScheduler('reinject');
      assert.equal(pick(s, [path(0, 50_000), path(1, 20_000)]), 1);
    });

    it('is off in the other schedulers unless asked for', () => {
      for (const name of ['minrtt', 'roundrobin', 'backup']) {
        const s = createPathScheduler(name);
        assert.deepEqual(s.onPathFailing(0, 'pto', packets([1], [2])), [], name);
        const on = createPathScheduler(name, { reinjection: true });
        assert.deepEqual(
          on.onPathFailing(0, 'pto', packets([1], [2])).map((p) => p.pn),
          [1, 2],
          name,
        );
      }
      const off = createPathScheduler('reinject', { reinjection: false });
      assert.deepEqual(off.onPathFailing(0, 'pto', packets([1])), []);
    });
  });

  describe('registry', () => {
    it('has the built-in schedulers, min-RTT by default, one instance per call', () => {
      assert.deepEqual(pathSchedulerNames().slice(0, 4), [
        'minrtt',
        'roundrobin',
        'backup',
        'reinject',
      ]);
      assert.equal(DEFAULT_PATH_SCHEDULER, 'minrtt');
      assert.ok(createPathScheduler() instanceof MinRttScheduler);
      assert.ok(createPathScheduler('roundrobin') instanceof RoundRobinScheduler);
      assert.ok(createPathScheduler('backup') instanceof PrimaryBackupScheduler);
      assert.notEqual(createPathScheduler('roundrobin'), createPathScheduler('roundrobin'));
    });

    it('creates user schedulers by name with their options', () => {
      let seen: unknown;
      registerPathScheduler('highest-id-test', (options) => {
        seen = options;
        return {
          name: 'highest-id-test',
          select: (paths) => paths.reduce((a, b) => (b.pathId > a.pathId ? b : a)),
          onPathFailing: () => [],
          onPathClosed: () => {},
        };
      });
      const s = createPathScheduler('highest-id-test', { failingPtoCount: 3 });
      assert.deepEqual(seen, { failingPtoCount: 3 });
      assert.equal(pick(s, [path(0, 1), path(5, 9), path(2, 3)]), 5);
    });

    it('rejects unknown names and bad registrations', () => {
      assert.throws(() => createPathScheduler('fastest'), RangeError);
      assert.throws(() => registerPathScheduler('', () => new MinRttScheduler()), TypeError);
      assert.throws(
        () => registerPathScheduler('x', 'nope' as unknown as () => MinRttScheduler),
        TypeError,
      );
    });
  });
});
