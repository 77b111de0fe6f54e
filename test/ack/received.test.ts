import assert from 'node:assert/strict';
import { Ecn } from '../../src/ack/pn-space.js';
import { ReceivedPacketTracker } from '../../src/ack/received.js';
import { SeededRandom } from '../../src/util/random.js';

function received(t: ReceivedPacketTracker, pns: number[], now = 0, eliciting = true): void {
  for (const pn of pns) assert.equal(t.onPacketReceived(pn, eliciting, now), true, `pn ${pn}`);
}

describe('ReceivedPacketTracker', () => {
  describe('ranges and duplicates', () => {
    it('merges in-order packets into one range', () => {
      const t = new ReceivedPacketTracker();
      received(t, [0, 1, 2, 3]);
      assert.deepEqual(t.ranges(), [{ smallest: 0, largest: 3 }]);
      assert.equal(t.largestReceived, 3);
    });

    it('keeps gaps as separate ranges and fills them', () => {
      const t = new ReceivedPacketTracker();
      received(t, [0, 1, 5, 6, 9]);
      assert.deepEqual(t.ranges(), [
        { smallest: 9, largest: 9 },
        { smallest: 5, largest: 6 },
        { smallest: 0, largest: 1 },
      ]);
      received(t, [3, 2, 4, 8, 7]);
      assert.deepEqual(t.ranges(), [{ smallest: 0, largest: 9 }]);
    });

    it('reports duplicates and refuses to record them twice', () => {
      const t = new ReceivedPacketTracker();
      received(t, [0, 1, 4]);
      assert.equal(t.isDuplicate(1), true);
      assert.equal(t.isDuplicate(4), true);
      assert.equal(t.isDuplicate(2), false);
      assert.equal(t.isDuplicate(5), false);
      assert.equal(t.onPacketReceived(4, true, 0), false);
      assert.deepEqual(t.ranges(), [
        { smallest: 4, largest: 4 },
        { smallest: 0, largest: 1 },
      ]);
    });

    it('drops the oldest range beyond the limit and treats older numbers as duplicates', () => {
      const t = new ReceivedPacketTracker({ maxRanges: 4 });
      received(t, [0, 2, 4, 6, 8, 10]);
      assert.equal(t.rangeCount, 4);
      assert.deepEqual(
        t.ranges().map((r) => r.smallest),
        [10, 8, 6, 4],
      );
      assert.equal(t.minimumTracked, 3);
      assert.equal(t.isDuplicate(0), true);
      assert.equal(t.isDuplicate(1), true, 'never received, but below the window');
      assert.equal(t.isDuplicate(3), false);
      assert.equal(t.onPacketReceived(1, true, 0), false);
    });

    it('rejects invalid packet numbers', () => {
      const t = new ReceivedPacketTracker();
      assert.throws(() => t.onPacketReceived(-1, true, 0), RangeError);
      assert.throws(() => t.onPacketReceived(1.5, true, 0), RangeError);
    });

    it('stays bounded and exact under random arrival (seeded)', () => {
      const rng = new SeededRandom(9000);
      const maxRanges = 8;
      const t = new ReceivedPacketTracker({ maxRanges });
      const reference = new Set<number>();
      let next = 0;
      for (let step = 0; step < 3000; step++) {
        // Mostly new packets, with holes, reordering and duplicates.
        let pn: number;
        const roll = rng.next();
        if (roll < 0.6) pn = next++;
        else if (roll < 0.8) pn = next + Math.floor(rng.next() * 5);
        else pn = Math.max(0, next - 1 - Math.floor(rng.next() * 40));
        if (pn >= next) next = pn + 1;
        const dup = t.isDuplicate(pn);
        assert.equal(dup, pn < t.minimumTracked || reference.has(pn), `isDuplicate(${pn})`);
        assert.equal(t.onPacketReceived(pn, true, step), !dup);
        if (!dup) reference.add(pn);
        assert.ok(t.rangeCount <= maxRanges);
        if (step % 500 === 250) t.onAckAcked(next - 30);
      }
      // The ranges are exactly the reference set above the floor, descending and non-adjacent.
      const floor = t.minimumTracked;
      const expected = [...reference].filter((pn) => pn >= floor).sort((a, b) => a - b);
      const fromRanges: number[] = [];
      const ranges = t.ranges();
      for (let i = ranges.length - 1; i >= 0; i--) {
        const r = ranges[i]!;
        for (let pn = r.smallest; pn <= r.largest; pn++) fromRanges.push(pn);
        if (i > 0) assert.ok(ranges[i - 1]!.smallest > r.largest + 1, 'ranges are merged');
      }
      assert.deepEqual(fromRanges, expected);
      const ack = t.buildAck(5000, 3)!;
      assert.deepEqual(ack.ranges, ranges);
      assert.equal(ack.ranges[0]!.largest, t.largestReceived);
    });
  });

  describe('ACK decision (RFC 9000 §13.2.1-13.2.2)', () => {
    it('acknowledges Initial/Handshake packets immediately', () => {
      const t = new ReceivedPacketTracker({ immediate: true });
      assert.equal(t.ackDeadline(), Infinity);
      t.onPacketReceived(0, true, 1000);
      assert.equal(t.ackDeadline(), 1000);
      assert.equal(t.wantsAckNow(1000), true);
    });

    it('delays the first ack-eliciting packet by at most max_ack_delay', () => {
      const t = new ReceivedPacketTracker({ maxAckDelay: 20_000 });
      t.onPacketReceived(0, true, 1000);
      assert.equal(t.ackDeadline(), 21_000);
      assert.equal(t.wantsAckNow(20_999), false);
      assert.equal(t.wantsAckNow(21_000), true);
      // The deadline runs from the first unacknowledged packet, not the latest.
      t.onAckSent();
      t.onPacketReceived(1, true, 30_000);
      assert.equal(t.ackDeadline(), 50_000);
    });

    it('acknowledges every second ack-eliciting packet at once', () => {
      const t = new ReceivedPacketTracker();
      t.onPacketReceived(0, true, 1000);
      assert.equal(t.wantsAckNow(1000), false);
      t.onPacketReceived(1, true, 2000);
      assert.equal(t.ackDeadline(), 2000);
      t.onAckSent();
      assert.equal(t.ackDeadline(), Infinity);
      t.onPacketReceived(2, true, 3000);
      assert.equal(t.wantsAckNow(3000), false);
    });

    it('honours a configured ack-eliciting threshold', () => {
      const t = new ReceivedPacketTracker({ ackElicitingThreshold: 3 });
      t.onPacketReceived(0, true, 0);
      t.onPacketReceived(1, true, 10);
      assert.equal(t.wantsAckNow(10), false);
      t.onPacketReceived(2, true, 20);
      assert.equal(t.ackDeadline(), 20);
      t.setAckElicitingThreshold(1);
      t.onAckSent();
      t.onPacketReceived(3, true, 30);
      assert.equal(t.ackDeadline(), 30);
    });

    it('acknowledges immediately on a new gap and on a packet filling one', () => {
      const t = new ReceivedPacketTracker({ ackElicitingThreshold: 10 });
      t.onPacketReceived(0, true, 0);
      assert.equal(t.wantsAckNow(0), false);
      t.onPacketReceived(2, true, 100);
      assert.equal(t.ackDeadline(), 100, 'gap below the new packet');
      t.onAckSent();
      t.onPacketReceived(1, true, 200);
      assert.equal(t.ackDeadline(), 200, 'below the largest ack-eliciting packet');
      t.onAckSent();
      t.onPacketReceived(3, true, 300);
      assert.equal(t.wantsAckNow(300), false, 'in order again');
    });

    it('does not count received non-ack-eliciting packets as missing', () => {
      const t = new ReceivedPacketTracker({ ackElicitingThreshold: 10 });
      t.onPacketReceived(0, true, 0);
      t.onPacketReceived(1, false, 10);
      t.onPacketReceived(2, true, 20);
      assert.equal(t.wantsAckNow(20), false);
    });

    it('never makes an ACK due for ACK-only packets, even after a gap', () => {
      const t = new ReceivedPacketTracker({ immediate: true });
      t.onPacketReceived(0, false, 0);
      t.onPacketReceived(5, false, 10);
      assert.equal(t.ackDeadline(), Infinity);
      assert.equal(t.hasUnacked(), true, 'still acknowledged when an ACK goes out anyway');
      assert.equal(t.hasUnackedAckEliciting(), false);
      t.onAckSent();
      assert.equal(t.hasUnacked(), false);
    });

    it('acknowledges CE-marked packets immediately', () => {
      const t = new ReceivedPacketTracker();
      t.onPacketReceived(0, true, 50, Ecn.Ce);
      assert.equal(t.ackDeadline(), 50);
    });

    it('moves a pending deadline when max_ack_delay changes', () => {
      const t = new ReceivedPacketTracker();
      t.onPacketReceived(0, true, 100);
      t.setMaxAckDelay(5000);
      assert.equal(t.ackDeadline(), 5100);
      assert.throws(() => t.setMaxAckDelay(-1), RangeError);
    });
  });

  describe('ACK frequency (draft-ietf-quic-ack-frequency-12)', () => {
    /**
     * Feeds ack-eliciting packets and records which made an ACK due; each due ACK is sent at
     * once (so "Largest Acked" follows the table). Thresholds and delay are large enough that
     * only reordering triggers ACKs, as in the draft's examples.
     */
    function run(reordering: number, pns: number[]): number[] {
      const t = new ReceivedPacketTracker({ maxAckDelay: 1_000_000 });
      t.setAckElicitingThreshold(1000);
      t.setReorderingThreshold(reordering);
      const acked: number[] = [];
      for (const pn of pns) {
        t.onPacketReceived(pn, true, 1000);
        if (t.wantsAckNow(1000)) {
          acked.push(pn);
          t.buildAck(1000, 3);
          t.onAckSent();
        }
      }
      return acked;
    }

    it('reordering threshold 3: the §6.2.1 example table', () => {
      assert.deepEqual(run(3, [0, 1, 3, 4, 5, 8, 9, 10]), [5, 9, 10]);
    });

    it('reordering threshold 5: the §6.2.1 example table', () => {
      assert.deepEqual(run(5, [0, 1, 3, 5, 6, 7, 8, 9]), [7, 9]);
    });

    it('reordering threshold 1 acknowledges every gap at once (RFC 9000), 0 never', () => {
      assert.deepEqual(run(1, [0, 1, 3, 4, 2]), [3, 2]);
      assert.deepEqual(run(0, [0, 1, 3, 4, 5, 8, 9, 10, 2]), []);
    });

    it('a late packet the sender may have declared lost is acknowledged at once', () => {
      // 8 - 5 >= 3 makes the gap ACK (Largest Acked 8); then 5 <= 8 - 3 arrives late.
      assert.deepEqual(run(3, [0, 1, 2, 3, 4, 6, 7, 8, 9, 5]), [8, 5]);
    });

    it('Ack-Eliciting Threshold and max_ack_delay from the peer', () => {
      const t = new ReceivedPacketTracker({ maxAckDelay: 25_000 });
      t.setAckElicitingThreshold(10 + 1); // "more than 10"
      t.setMaxAckDelay(4_000);
      for (let pn = 0; pn < 10; pn++) t.onPacketReceived(pn, true, 1000 + pn);
      assert.equal(t.ackDeadline(), 5000, 'the requested delay after the first packet');
      t.onPacketReceived(10, true, 1100);
      assert.equal(t.ackDeadline(), 1100, 'the eleventh packet makes it due');
    });

    it('IMMEDIATE_ACK makes the packet carrying it due at once', () => {
      const t = new ReceivedPacketTracker();
      t.setAckElicitingThreshold(100);
      t.onPacketReceived(0, true, 1000);
      assert.equal(t.wantsAckNow(1000), false);
      t.requestImmediateAck();
      t.onPacketReceived(1, true, 2000);
      assert.equal(t.ackDeadline(), 2000);
    });

    it('with a threshold above 1, only the onset of CE marks is acknowledged at once (§6.3)', () => {
      const t = new ReceivedPacketTracker({ maxAckDelay: 25_000 });
      t.setAckElicitingThreshold(5);
      t.onPacketReceived(0, true, 1000, Ecn.Ce);
      assert.equal(t.wantsAckNow(1000), true);
      t.onAckSent();
      t.onPacketReceived(1, true, 2000, Ecn.Ce);
      assert.equal(t.wantsAckNow(2000), false, 'a second CE in a row waits');
      t.onPacketReceived(2, true, 3000, Ecn.Ect0);
      t.onPacketReceived(3, true, 4000, Ecn.Ce);
      assert.equal(t.wantsAckNow(4000), true, 'CE after a non-CE packet');
    });
  });

  describe('buildAck', () => {
    it('returns null with nothing received', () => {
      assert.equal(new ReceivedPacketTracker().buildAck(0, 3), null);
    });

    it('encodes the delay since the largest packet arrived, scaled by the exponent', () => {
      const t = new ReceivedPacketTracker();
      t.onPacketReceived(0, true, 1000);
      t.onPacketReceived(3, true, 2000);
      t.onPacketReceived(2, true, 9000); // reordered: not the largest
      const ack = t.buildAck(12_345, 3)!;
      assert.equal(ack.kind, 'ack');
      assert.equal(ack.ackDelay, Math.floor((12_345 - 2000) / 8));
      assert.deepEqual(ack.ranges, [
        { smallest: 2, largest: 3 },
        { smallest: 0, largest: 0 },
      ]);
      assert.equal(ack.ecn, undefined);
      assert.equal(t.buildAck(12_345, 0)!.ackDelay, 10_345);
    });

    it('limits the ranges to the newest ones', () => {
      const t = new ReceivedPacketTracker();
      received(t, [0, 2, 4, 6]);
      const ack = t.buildAck(0, 3, 2)!;
      assert.deepEqual(ack.ranges, [
        { smallest: 6, largest: 6 },
        { smallest: 4, largest: 4 },
      ]);
      assert.throws(() => t.buildAck(0, 3, 0), RangeError);
    });

    it('carries ECN counts once marked packets arrived, ignoring duplicates', () => {
      const t = new ReceivedPacketTracker();
      t.onPacketReceived(0, true, 0, Ecn.Ect0);
      t.onPacketReceived(1, true, 0, Ecn.Ect0);
      t.onPacketReceived(2, true, 0, Ecn.Ect1);
      t.onPacketReceived(3, true, 0, Ecn.Ce);
      t.onPacketReceived(3, true, 0, Ecn.Ce);
      t.onPacketReceived(4, true, 0);
      assert.deepEqual(t.buildAck(0, 3)!.ecn, { ect0: 2, ect1: 1, ce: 1 });
    });
  });

  describe('onAckAcked (RFC 9000 §13.2.4)', () => {
    it('forgets ranges up to the acknowledged Largest Acknowledged', () => {
      const t = new ReceivedPacketTracker();
      received(t, [0, 1, 2, 5, 6, 7, 10]);
      t.onAckAcked(5);
      assert.deepEqual(t.ranges(), [
        { smallest: 10, largest: 10 },
        { smallest: 6, largest: 7 },
      ]);
      assert.equal(t.isDuplicate(3), true, 'below the floor now');
      assert.equal(t.isDuplicate(8), false);
      t.onAckAcked(2); // an older ACK frame acknowledged late changes nothing
      assert.equal(t.minimumTracked, 6);
      t.onAckAcked(10);
      assert.equal(t.buildAck(0, 3), null);
      assert.equal(t.largestReceived, 10, 'the largest is kept for packet number decoding');
      // A fresh in-order packet above the floor is not a gap.
      t.onAckSent();
      t.onPacketReceived(11, true, 0);
      assert.equal(t.wantsAckNow(0), false);
    });
  });
});
