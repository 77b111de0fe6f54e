/**
 * Multipath schedulers (RFC 10069 §3.3, §5.5-§5.7): each one's choices over hand-built path
 * sets, re-injection of a failing path's packets, and the registry.
 */
import assert from 'node:assert/strict';
import { EcfScheduler } from '../../src/path/schedulers/ecf.js';
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
  ScheduleContext,
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
  cwnd: number;
  slowStart: boolean;
  rttVariance: number;
  maxAckDelay: number;
  sendableAt: number;
  reinjecting?: boolean;
}

/**
 * A validated, available path with room at time 0; `over` changes fields (a path given no
 * allowance is window-blocked unless `sendableAt` says when its pacer releases it).
 */
function path(pathId: number, srtt: number, over: Partial<TestPath> = {}): TestPath {
  return {
    pathId,
    srtt,
    sendAllowance: 12_000,
    bytesInFlight: 0,
    status: 'available',
    validated: true,
    ptoCount: 0,
    cwnd: 120_000,
    slowStart: false,
    rttVariance: 0,
    maxAckDelay: 0,
    sendableAt: over.sendAllowance === 0 ? Infinity : 0,
    ...over,
  };
}

/** The chosen path ID, or null. */
function pick(
  s: PathScheduler,
  paths: TestPath[],
  purpose: SendPurpose = 'new_data',
  context?: ScheduleContext,
) {
  return s.select(paths, purpose, context)?.pathId ?? null;
}

/** New data with `backlog` bytes waiting, at time 0. */
function withBacklog(s: PathScheduler, paths: TestPath[], backlog: number) {
  return pick(s, paths, 'new_data', { now: 0, backlog });
}

/** A 10 ms path whose 100 kB window is full, and a 100 ms path with room. */
function fastFullSlowFree(): { fast: TestPath; slow: TestPath } {
  return {
    fast: path(0, 10_000, { cwnd: 100_000, bytesInFlight: 100_000, sendAllowance: 0 }),
    slow: path(1, 100_000, { cwnd: 12_000 }),
  };
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
      // The fast path's window is full: with no backlog known, the slow one takes the overflow.
      fast.sendAllowance = 0;
      fast.sendableAt = Infinity;
      assert.equal(pick(s, [slow, fast]), 1);
      slow.sendAllowance = 0;
      slow.sendableAt = Infinity;
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

    it('waits for a full faster path that would send the backlog before the slow path delivers', () => {
      const s = new MinRttScheduler();
      const { fast, slow } = fastFullSlowFree();
      // 300 kB: 1 + 3 rounds of 10 ms = 40 ms, sooner than the slow path's first packet (100 ms).
      assert.equal(withBacklog(s, [slow, fast], 300_000), null);
      assert.equal(withBacklog(s, [slow, fast], 0), null, 'lost data alone waits too');
      // 2 MB: 21 rounds, 210 ms: the slow path helps.
      assert.equal(withBacklog(s, [slow, fast], 2_000_000), 1);
      // In slow start the fast window doubles each round: 1 + log2(21) rounds, 54 ms.
      fast.slowStart = true;
      assert.equal(withBacklog(s, [slow, fast], 2_000_000), null);
      fast.slowStart = false;
      // 1 MB: 110 ms against 100 ms, unless the RTT variation (ECF's δ) makes the slow one later.
      assert.equal(withBacklog(s, [slow, fast], 1_000_000), 1);
      slow.rttVariance = 20_000;
      assert.equal(withBacklog(s, [slow, fast], 1_000_000), null);
      // The fast path with room takes everything, whatever the backlog.
      fast.sendAllowance = 1200;
      fast.sendableAt = 0;
      assert.equal(withBacklog(s, [slow, fast], 2_000_000), 0);
    });

    it('waits for the pacer of a faster path when its packet still arrives first', () => {
      const s = new MinRttScheduler();
      // Window open, the pacer releases the next packet in 0.5 ms.
      const fast = path(0, 10_000, { sendAllowance: 0, sendableAt: 500 });
      const slow = path(1, 100_000);
      assert.equal(withBacklog(s, [slow, fast], 10_000_000), null);
      // Two paths of the same RTT: the one with room now arrives first.
      slow.srtt = 10_000;
      assert.equal(withBacklog(s, [slow, fast], 10_000_000), 1);
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

  describe('ECF (Earliest Completion First)', () => {
    it('waits for the fast path unless the slow one can carry the whole backlog quickly', () => {
      const s = new EcfScheduler();
      const { fast, slow } = fastFullSlowFree();
      // 300 kB: the fast path finishes first, and the slow path alone would need 2.5 s.
      assert.equal(withBacklog(s, [slow, fast], 300_000), null);
      // 1 kB: the slow path sends it in under two fast round trips (8 ms of its 100 ms): go.
      assert.equal(withBacklog(s, [slow, fast], 1_000), 1);
      // 2 MB: the slow path helps, as with min-RTT.
      assert.equal(withBacklog(s, [slow, fast], 2_000_000), 1);
    });

    it('keeps waiting until the slow path is clearly the quicker (β = 1/4)', () => {
      const { fast, slow } = fastFullSlowFree();
      // 1 MB: the fast path needs 110 ms, the slow path's first packet 100 ms.
      assert.equal(withBacklog(new EcfScheduler(), [slow, fast], 1_000_000), 1, 'not waiting yet');
      const s = new EcfScheduler();
      assert.equal(withBacklog(s, [slow, fast], 300_000), null, 'waits');
      assert.equal(withBacklog(s, [slow, fast], 1_000_000), null, '110 ms < 1.25 x 100 ms');
      assert.equal(withBacklog(s, [slow, fast], 2_000_000), 1, '210 ms: go, and stop waiting');
      assert.equal(withBacklog(s, [slow, fast], 1_000_000), 1);
    });

    it('waits for a fast path held back only by its pacer, backlog or not', () => {
      const s = new EcfScheduler();
      const fast = path(0, 10_000, { sendAllowance: 0, sendableAt: 500 });
      const slow = path(1, 100_000);
      assert.equal(withBacklog(s, [slow, fast], 1_000), null);
      assert.equal(pick(s, [slow, fast], 'retransmission'), 1, 'retransmissions: room now');
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

    it('a path with re-injected packets pending counts as failing, in every scheduler', () => {
      for (const name of pathSchedulerNames()) {
        const s = createPathScheduler(name);
        const paths = [path(0, 50_000), path(1, 20_000, { reinjecting: true })];
        assert.equal(pick(s, paths), 0, `${name}: new data`);
        assert.equal(pick(s, paths, 'retransmission'), 0, `${name}: retransmission`);
        assert.equal(pick(s, [path(1, 20_000, { reinjecting: true })]), null, name);
      }
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
      assert.ok(createPathScheduler('ecf') instanceof EcfScheduler);
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
