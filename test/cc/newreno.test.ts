import assert from 'node:assert/strict';
import { NewReno } from '../../src/cc/newreno.js';
import { initialWindowFor } from '../../src/cc/types.js';
import { acked, ackedMany, FakeRtt, MDS } from './helpers.js';

describe('NewReno (RFC 9002 §7)', () => {
  const rtt = new FakeRtt();

  it('starts with the initial window of RFC 9002 §7.2 in slow start', () => {
    const cc = new NewReno();
    assert.equal(cc.window, 12_000);
    assert.equal(cc.ssthresh, Infinity);
    assert.equal(cc.minimumWindow, 2 * MDS);
    assert.equal(cc.state, 'slow_start');
    assert.equal(initialWindowFor(1200), 12_000);
    assert.equal(initialWindowFor(1500), 14_720);
    assert.equal(initialWindowFor(9000), 18_000);
    assert.equal(new NewReno({ maxDatagramSize: 1500 }).window, 14_720);
    assert.equal(new NewReno({ initialWindow: 30_000 }).window, 30_000);
    assert.throws(() => new NewReno({ maxDatagramSize: 1000 }), RangeError);
    assert.throws(() => new NewReno({ initialWindow: 100 }), RangeError);
  });

  it('grows by the bytes acknowledged in slow start', () => {
    const cc = new NewReno();
    cc.onPacketsAcked(ackedMany(3, 0), 1000, rtt, false);
    assert.equal(cc.window, 12_000 + 3 * MDS);
    cc.onPacketsAcked([acked(0, 500)], 1000, rtt, false);
    assert.equal(cc.window, 12_000 + 3 * MDS + 500);
    cc.onPacketsAcked([], 1000, rtt, false);
    assert.equal(cc.window, 12_000 + 3 * MDS + 500);
  });

  it('halves once per recovery period', () => {
    const cc = new NewReno();
    cc.onPacketsAcked(ackedMany(10, 0), 100, rtt, false); // 24 000
    assert.equal(cc.window, 24_000);
    assert.equal(cc.onCongestionEvent(500, 1000), true);
    assert.equal(cc.ssthresh, 12_000);
    assert.equal(cc.window, 12_000);
    assert.equal(cc.state, 'recovery');
    // A second loss of a packet sent before the recovery started: no second reduction.
    assert.equal(cc.onCongestionEvent(900, 1100), false);
    assert.equal(cc.onCongestionEvent(1000, 1200), false, 'sent exactly at the start');
    assert.equal(cc.window, 12_000);
    // Acknowledgments of packets sent before recovery do not grow the window or end it.
    cc.onPacketsAcked(ackedMany(5, 800), 1300, rtt, false);
    assert.equal(cc.window, 12_000);
    assert.equal(cc.state, 'recovery');
    // A packet sent after the recovery started ends it; congestion avoidance follows.
    cc.onPacketsAcked([acked(1001)], 1400, rtt, false);
    assert.equal(cc.state, 'congestion_avoidance');
    // A later loss starts a new recovery period.
    assert.equal(cc.onCongestionEvent(1500, 2000), true);
    assert.equal(cc.window, 6000);
  });

  it('never goes below the minimum window', () => {
    const cc = new NewReno();
    for (let i = 1; i <= 6; i++) cc.onCongestionEvent(i * 1000, i * 1000 + 1);
    assert.equal(cc.window, 2 * MDS);
  });

  it('adds one datagram per window acknowledged in congestion avoidance', () => {
    const cc = new NewReno();
    cc.onCongestionEvent(0, 10); // 6000, ssthresh 6000
    assert.equal(cc.window, 6000);
    // One window (5 packets) acknowledged: exactly one more datagram.
    cc.onPacketsAcked(ackedMany(4, 20), 100, rtt, false);
    assert.equal(cc.window, 6000);
    cc.onPacketsAcked(ackedMany(1, 20), 110, rtt, false);
    assert.equal(cc.window, 7200);
    assert.equal(cc.state, 'congestion_avoidance');
    // The next window is 7200 bytes: six packets.
    cc.onPacketsAcked(ackedMany(5, 20), 200, rtt, false);
    assert.equal(cc.window, 7200);
    cc.onPacketsAcked(ackedMany(1, 20), 210, rtt, false);
    assert.equal(cc.window, 8400);
  });

  it('does not grow while application limited (RFC 9002 §7.8)', () => {
    const cc = new NewReno();
    cc.onPacketsAcked(ackedMany(4, 0), 100, rtt, true);
    assert.equal(cc.window, 12_000);
    assert.equal(cc.state, 'application_limited');
    cc.onPacketsAcked(ackedMany(1, 0), 200, rtt, false);
    assert.equal(cc.window, 13_200);
    assert.equal(cc.state, 'slow_start');
  });

  it('collapses to the minimum window on persistent congestion and slow-starts again', () => {
    const cc = new NewReno();
    cc.onCongestionEvent(0, 10);
    cc.onPersistentCongestion(20);
    assert.equal(cc.window, 2 * MDS);
    assert.equal(cc.ssthresh, 6000);
    assert.equal(cc.state, 'slow_start');
    // The recovery period is over: any acknowledgment grows the window again.
    cc.onPacketsAcked([acked(5)], 30, rtt, false);
    assert.equal(cc.window, 3 * MDS);
  });

  it('recomputes the initial window when the datagram size changes', () => {
    const cc = new NewReno();
    cc.setMaxDatagramSize(1500);
    assert.equal(cc.window, 14_720);
    assert.equal(cc.minimumWindow, 3000);
    cc.setMaxDatagramSize(1200);
    assert.equal(cc.window, 12_000);
    // Once the window moved, it is kept.
    cc.onPacketsAcked([acked(0)], 10, rtt, false);
    cc.setMaxDatagramSize(1500);
    assert.equal(cc.window, 13_200);
    assert.throws(() => cc.setMaxDatagramSize(1199), RangeError);
  });
});
