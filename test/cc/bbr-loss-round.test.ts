import assert from 'node:assert/strict';
import { BbrLossRound } from '../../src/cc/bbr-loss-round.js';
import type { RateSample } from '../../src/cc/types.js';

function sample(deliveryRate: number, delivered: number, priorDelivered: number): RateSample {
  return {
    deliveryRate,
    interval: 10_000,
    delivered,
    priorDelivered,
    isAppLimited: false,
    rtt: 10_000,
    txInFlight: 0,
    lost: 0,
    newlyAcked: 1200,
    newlyLost: 0,
    totalDelivered: priorDelivered + delivered,
  };
}

describe('BBR loss rounds (§4.5.10)', () => {
  it('a round ends when a packet sent after it began is acknowledged', () => {
    const r = new BbrLossRound();
    r.updateLatest(sample(100, 1000, 0), 1000); // sent at delivered 0 ≥ round start 0
    assert.equal(r.started, true);
    r.updateLatest(sample(100, 1000, 500), 2000); // sent before the round began at 1000
    assert.equal(r.started, false);
    r.updateLatest(sample(100, 1000, 1000), 3000);
    assert.equal(r.started, true);
  });

  it('counts a round’s losses; the first one restarts the round and says so', () => {
    const r = new BbrLossRound();
    assert.equal(r.noteLoss(1200, 5000), true);
    assert.equal(r.noteLoss(800, 5200), false);
    assert.equal(r.hadLoss, true);
    assert.equal(r.lostBytes, 2000);
    assert.equal(r.lostEvents, 2);
    // The round restarted at 5000: a packet sent at 4000 does not end it.
    r.updateLatest(sample(100, 1000, 4000), 6000);
    assert.equal(r.started, false);
    r.clearLoss();
    assert.equal(r.hadLoss, false);
  });

  it('keeps the round’s highest rate and volume, from the sample that starts the next', () => {
    const r = new BbrLossRound();
    r.updateLatest(sample(300, 5000, 0), 5000);
    r.advanceLatest(sample(300, 5000, 0), 5000); // a round start: the signals restart here
    r.noteLoss(1200, 5000);
    r.updateLatest(sample(200, 9000, 4000), 9000);
    assert.equal(r.bwLatest, 300);
    assert.equal(r.inflightLatest, 9000);
    assert.equal(r.deliveredSinceStart(9000), 4000);
    r.updateLatest(sample(150, 1000, 5000), 10_000); // sent after the round began: a new round
    r.advanceLatest(sample(150, 1000, 5000), 10_000);
    assert.deepEqual([r.bwLatest, r.inflightLatest, r.lostBytes, r.lostEvents], [150, 1000, 0, 0]);
    r.reset();
    assert.deepEqual([r.bwLatest, r.inflightLatest, r.hadLoss], [0, 0, false]);
  });
});
