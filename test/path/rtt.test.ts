import assert from 'node:assert/strict';
import { DEFAULT_INITIAL_RTT, GRANULARITY, RttEstimator } from '../../src/path/rtt.js';

describe('RttEstimator (RFC 9002 §5)', () => {
  it('starts from kInitialRtt = 333 ms, giving a 999 ms PTO', () => {
    const rtt = new RttEstimator();
    assert.equal(rtt.smoothed, DEFAULT_INITIAL_RTT);
    assert.equal(rtt.variance, DEFAULT_INITIAL_RTT / 2);
    assert.equal(rtt.hasSample, false);
    assert.equal(rtt.firstSampleTime, -Infinity);
    assert.equal(rtt.ptoPeriod(false), 999_000);
    assert.equal(rtt.ptoPeriod(true), 999_000 + 25_000);
  });

  it('resets the estimator from the first sample, ignoring its ack delay', () => {
    const rtt = new RttEstimator();
    rtt.update(100_000, 20_000, 5_000, true);
    assert.equal(rtt.latest, 100_000);
    assert.equal(rtt.min, 100_000);
    assert.equal(rtt.smoothed, 100_000);
    assert.equal(rtt.variance, 50_000);
    assert.equal(rtt.firstSampleTime, 5_000);
    assert.equal(rtt.sampleCount, 1);
  });

  it('subtracts the ack delay when plausible and smooths with 1/8 and 1/4', () => {
    const rtt = new RttEstimator();
    rtt.update(100_000, 0, 0, true);
    rtt.update(120_000, 10_000, 1, true);
    // adjusted = 110 ms; rttvar = 3/4 * 50 + 1/4 * |100 - 110|; srtt = 7/8 * 100 + 1/8 * 110
    assert.equal(rtt.variance, 0.75 * 50_000 + 0.25 * 10_000);
    assert.equal(rtt.smoothed, 0.875 * 100_000 + 0.125 * 110_000);
    assert.equal(rtt.min, 100_000);
    assert.equal(rtt.latest, 120_000);
  });

  it('never subtracts the ack delay below min_rtt', () => {
    const rtt = new RttEstimator();
    rtt.update(100_000, 0, 0, true);
    rtt.update(105_000, 10_000, 1, true); // 105 - 10 < 100: use 105 unadjusted
    assert.equal(rtt.smoothed, 0.875 * 100_000 + 0.125 * 105_000);
  });

  it('limits the ack delay to max_ack_delay only after handshake confirmation', () => {
    const confirmed = new RttEstimator();
    confirmed.maxAckDelay = 25_000;
    confirmed.update(100_000, 0, 0, true);
    confirmed.update(200_000, 80_000, 1, true); // delay limited to 25 ms: adjusted 175 ms
    assert.equal(confirmed.smoothed, 0.875 * 100_000 + 0.125 * 175_000);

    const early = new RttEstimator();
    early.update(100_000, 0, 0, false);
    early.update(200_000, 80_000, 1, false); // full 80 ms: adjusted 120 ms
    assert.equal(early.smoothed, 0.875 * 100_000 + 0.125 * 120_000);
  });

  it('keeps min_rtt free of ack delay and restarts it after persistent congestion', () => {
    const rtt = new RttEstimator();
    rtt.update(100_000, 0, 0, true);
    rtt.update(90_000, 50_000, 1, true);
    assert.equal(rtt.min, 90_000);
    rtt.update(300_000, 0, 2, true);
    assert.equal(rtt.min, 90_000);
    rtt.onPersistentCongestion();
    assert.equal(rtt.min, 300_000);
  });

  it('accepts a different initial RTT until the first sample', () => {
    const rtt = new RttEstimator(100_000);
    assert.equal(rtt.ptoPeriod(false), 100_000 + 200_000);
    rtt.setInitialRtt(50_000);
    assert.equal(rtt.smoothed, 50_000);
    rtt.update(10_000, 0, 0, false);
    rtt.setInitialRtt(500_000);
    assert.equal(rtt.smoothed, 10_000);
    rtt.reset();
    assert.equal(rtt.smoothed, 500_000);
    assert.equal(rtt.hasSample, false);
    assert.throws(() => new RttEstimator(0), RangeError);
    assert.throws(() => rtt.update(-1, 0, 0, false), RangeError);
  });

  it('floors the variance term at kGranularity and computes the persistent congestion duration', () => {
    const rtt = new RttEstimator();
    rtt.update(1000, 0, 0, true);
    for (let i = 0; i < 50; i++) rtt.update(1000, 0, i, true);
    assert.ok(4 * rtt.variance < GRANULARITY);
    assert.equal(rtt.ptoPeriod(false), 1000 + GRANULARITY);
    rtt.maxAckDelay = 10_000;
    assert.equal(rtt.persistentCongestionDuration(3), (1000 + GRANULARITY + 10_000) * 3);
  });
});
