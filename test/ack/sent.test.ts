import assert from 'node:assert/strict';
import { SentPacket, SentPacketLog, SlotState } from '../../src/ack/sent.js';

function pkt(pn: number, time = pn * 10, opts: { eliciting?: boolean; inFlight?: boolean } = {}) {
  return new SentPacket<string>(pn, time, 1000, opts.eliciting ?? true, opts.inFlight ?? true, [
    `frame-${pn}`,
  ]);
}

function fill(log: SentPacketLog<string>, pns: number[]): void {
  for (const pn of pns) log.append(pkt(pn));
}

describe('SentPacketLog', () => {
  it('appends in increasing packet number order only', () => {
    const log = new SentPacketLog<string>();
    fill(log, [0, 1, 3]);
    assert.equal(log.largestSent, 3);
    assert.throws(() => log.append(pkt(3)), RangeError);
    assert.throws(() => log.append(pkt(2)), RangeError);
    assert.equal(log.outstandingCount, 3);
    assert.equal(log.get(3)!.frames[0], 'frame-3');
    assert.equal(log.get(2), undefined);
  });

  it('acknowledges ranges, in order, and only once', () => {
    const log = new SentPacketLog<string>();
    fill(log, [0, 1, 2, 3, 5, 6, 7]);
    const acked: SentPacket<string>[] = [];
    const late: SentPacket<string>[] = [];
    assert.equal(log.ackRange(2, 5, acked, late), 3);
    assert.deepEqual(
      acked.map((p) => p.pn),
      [2, 3, 5],
    );
    assert.equal(log.ackRange(2, 6, acked, late), 1, 'only 6 is new');
    assert.deepEqual(
      acked.map((p) => p.pn),
      [2, 3, 5, 6],
    );
    assert.equal(late.length, 0);
    assert.equal(log.outstandingCount, 3);
    assert.deepEqual(
      log.outstandingPackets().map((p) => p.pn),
      [0, 1, 7],
    );
    assert.equal(log.ackRange(100, 200, acked, late), 0);
  });

  it('counts ack-eliciting in-flight packets', () => {
    const log = new SentPacketLog<string>();
    log.append(pkt(0));
    log.append(pkt(1, 10, { eliciting: false, inFlight: false }));
    log.append(pkt(2, 20, { eliciting: false, inFlight: true }));
    assert.equal(log.ackElicitingInFlight, 1);
    log.ackRange(0, 0, [], []);
    assert.equal(log.ackElicitingInFlight, 0);
    assert.equal(log.outstandingCount, 2);
  });

  it('keeps lost records to recognise a late acknowledgment', () => {
    const log = new SentPacketLog<string>();
    fill(log, [0, 1, 2]);
    const i = log.firstOutstandingIndex();
    assert.equal(log.pnAt(i), 0);
    const p = log.markLost(i);
    assert.equal(p.pn, 0);
    assert.equal(log.stateAt(i), SlotState.Lost);
    assert.equal(log.lostCount, 1);
    assert.equal(log.outstandingCount, 2);
    assert.equal(log.pnAt(log.firstOutstandingIndex()), 1);
    assert.throws(() => log.markLost(i), RangeError);
    const acked: SentPacket<string>[] = [];
    const late: SentPacket<string>[] = [];
    log.ackRange(0, 1, acked, late);
    assert.deepEqual(
      acked.map((x) => x.pn),
      [1],
    );
    assert.deepEqual(
      late.map((x) => x.pn),
      [0],
    );
    assert.equal(log.lostCount, 0);
  });

  it('prunes old lost records and old ACK-only packets from the front', () => {
    const log = new SentPacketLog<string>();
    log.append(pkt(0, 0)); // lost
    log.append(pkt(1, 10, { eliciting: false, inFlight: false })); // ACK-only
    log.append(pkt(2, 20)); // in flight: stops pruning
    log.append(pkt(3, 30, { eliciting: false, inFlight: false }));
    log.markLost(log.firstOutstandingIndex());
    assert.equal(log.pruneFront(5, 100), 1, 'the ACK-only packet 1 was dropped');
    assert.equal(log.lostCount, 0);
    assert.equal(log.get(0), undefined);
    assert.equal(log.get(1), undefined);
    assert.deepEqual(
      log.outstandingPackets().map((p) => p.pn),
      [2, 3],
    );
    assert.equal(log.stateAt(log.headIndex()), SlotState.Outstanding);
    // A young lost record stops pruning.
    const log2 = new SentPacketLog<string>();
    fill(log2, [0]);
    log2.markLost(log2.firstOutstandingIndex());
    assert.equal(log2.pruneFront(0, 0), 0);
    assert.equal(log2.lostCount, 1);
  });

  it('stays correct across compaction with many packets', () => {
    const log = new SentPacketLog<string>();
    const sink: SentPacket<string>[] = [];
    let next = 0;
    for (let round = 0; round < 200; round++) {
      for (let k = 0; k < 50; k++) log.append(pkt(next++));
      // Acknowledge the previous round's tail and all but the last 10 of this round.
      sink.length = 0;
      log.ackRange(Math.max(0, next - 100), next - 11, sink, []);
      assert.equal(sink.length, round === 0 ? 40 : 50);
    }
    assert.equal(log.outstandingCount, 10);
    assert.equal(log.get(next - 11), undefined);
    assert.equal(log.get(next - 10)!.pn, next - 10);
    assert.equal(log.get(next - 1)!.pn, next - 1);
    assert.ok(log.endIndex() < 200, `compacted (end index ${log.endIndex()})`);
    assert.equal(log.pnAt(log.headIndex()), next - 10);
    assert.deepEqual(
      log.outstandingPackets().map((p) => p.pn),
      Array.from({ length: 10 }, (_, i) => next - 10 + i),
    );
    // Acknowledge everything; the log empties and restarts on the next append.
    log.ackRange(0, next, sink, []);
    assert.equal(log.outstandingCount, 0);
    log.append(pkt(next));
    assert.equal(log.headIndex(), 0);
    assert.equal(log.endIndex(), 1);
  });

  it('keeps no record in the slots a compaction vacated, and reuses them', () => {
    const log = new SentPacketLog<string>();
    const sink: SentPacket<string>[] = [];
    fill(
      log,
      Array.from({ length: 200 }, (_, i) => i),
    );
    log.ackRange(0, 149, sink, []);
    log.append(pkt(200)); // compacts: 50 live slots move to the front
    assert.equal(log.headIndex(), 0);
    assert.equal(log.endIndex(), 51);
    for (let i = log.endIndex(); i < 200; i++)
      assert.equal(log.packetAt(i), undefined, `slot ${i}`);
    for (let pn = 201; pn < 300; pn++) log.append(pkt(pn));
    assert.equal(log.outstandingCount, 150);
    sink.length = 0;
    assert.equal(log.ackRange(150, 299, sink, []), 150);
    assert.deepEqual(
      sink.map((p) => p.pn),
      Array.from({ length: 150 }, (_, i) => 150 + i),
    );
  });

  it('starts over after a burst larger than it keeps room for', () => {
    const log = new SentPacketLog<string>();
    const sink: SentPacket<string>[] = [];
    fill(
      log,
      Array.from({ length: 5000 }, (_, i) => i),
    );
    log.ackRange(0, 4999, sink, []);
    log.append(pkt(5000));
    assert.equal(log.endIndex(), 1);
    assert.equal(log.get(5000)!.pn, 5000);
    assert.equal(log.outstandingCount, 1);
    assert.equal(log.ackElicitingInFlight, 1);
  });

  it('clears everything and hands back outstanding packets', () => {
    const log = new SentPacketLog<string>();
    fill(log, [0, 1, 2]);
    log.markLost(log.firstOutstandingIndex());
    const out: SentPacket<string>[] = [];
    log.clear(out);
    assert.deepEqual(
      out.map((p) => p.pn),
      [1, 2],
    );
    assert.equal(log.outstandingCount, 0);
    assert.equal(log.ackElicitingInFlight, 0);
    assert.equal(log.lostCount, 0);
    assert.equal(log.largestSent, 2, 'packet numbers keep increasing after a clear');
    assert.throws(() => log.append(pkt(2)), RangeError);
    log.append(pkt(3));
  });

  it('exposes the loss state of a record', () => {
    const p = pkt(0);
    assert.equal(p.lost, false);
    p.lossBatch = 4;
    assert.equal(p.lost, true);
  });
});
