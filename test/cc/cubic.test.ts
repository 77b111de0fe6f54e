import assert from 'node:assert/strict';
import { Cubic, CUBIC_ALPHA } from '../../src/cc/cubic.js';
import { acked, ackedMany, FakeRtt, MDS } from './helpers.js';

// RFC 9438 constants, restated here so the test checks the implementation against the RFC.
const C = 0.4;
const BETA = 0.7;

/** A CUBIC controller that reached 120 000 bytes in slow start and then saw a loss at t=2 ms. */
function afterFirstLoss(options: { fastConvergence?: boolean } = {}): Cubic {
  const cc = new Cubic({ hystart: false, ...options });
  cc.onPacketsAcked(ackedMany(90, 0), 1000, new FakeRtt(), false);
  assert.equal(cc.window, 120_000);
  assert.equal(cc.onCongestionEvent(1000, 2000), true);
  return cc;
}

/** RFC 9438 §4.2 Figure 1, in bytes with t in seconds. */
function wCubic(t: number, wMax: number, k: number): number {
  return C * (t - k) ** 3 * MDS + wMax;
}

describe('CUBIC (RFC 9438)', () => {
  it('uses alpha_cubic = 3(1-beta)/(1+beta)', () => {
    assert.ok(Math.abs(CUBIC_ALPHA - (3 * (1 - BETA)) / (1 + BETA)) < 1e-12);
  });

  it('reduces by beta = 0.7 and remembers W_max (§4.6)', () => {
    const cc = afterFirstLoss();
    assert.equal(cc.window, 84_000);
    assert.equal(cc.ssthresh, 84_000);
    assert.equal(cc.maxWindowBeforeReduction, 120_000);
    assert.equal(cc.state, 'recovery');
    assert.equal(cc.onCongestionEvent(1500, 2500), false, 'same recovery period');
    assert.equal(cc.window, 84_000);
  });

  it('follows the window increase of §4.2 step by step', () => {
    const cc = afterFirstLoss();
    const rtt = new FakeRtt(100_000);
    const wMax = 120_000;
    const k = Math.cbrt((wMax - 84_000) / MDS / C);
    // First acknowledgment of a packet sent after the loss: the avoidance stage starts (t=0).
    // At t = 0 W_cubic equals cwnd_epoch, below the Reno estimate: Reno-friendly.
    const t0 = 100_000;
    cc.onPacketsAcked([acked(3000)], t0, rtt, false);
    assert.ok(Math.abs(cc.timeToOrigin - k) < 1e-12);
    assert.ok(Math.abs(wCubic(0, wMax, k) - 84_000) < 1e-6);
    let wEst = 84_000 + (CUBIC_ALPHA * MDS * MDS) / 84_000;
    let cwnd = wEst;
    assert.equal(cc.window, Math.floor(cwnd));
    // Two seconds later the cubic curve is far above the Reno estimate.
    const t = 2;
    cc.onPacketsAcked([acked(t0)], t0 + t * 1e6, rtt, false);
    wEst += (CUBIC_ALPHA * MDS * MDS) / cwnd;
    assert.ok(wCubic(t, wMax, k) > wEst);
    let target = wCubic(t + 0.1, wMax, k);
    target = Math.min(Math.max(target, cwnd), 1.5 * cwnd);
    cwnd += ((target - cwnd) * MDS) / cwnd;
    assert.equal(cc.window, Math.floor(cwnd));
    assert.ok(Math.abs(cc.renoEstimate - wEst) < 1e-6);
  });

  it('tracks W_cubic(t) over an epoch under a steady ACK clock (concave, plateau, convex)', () => {
    const cc = afterFirstLoss();
    const rttUs = 100_000;
    const rtt = new FakeRtt(rttUs);
    const wMax = 120_000;
    const k = Math.cbrt((wMax - 84_000) / MDS / C);
    let now = 100_000;
    cc.onPacketsAcked([acked(3000)], now, rtt, false);
    const start = now;
    const checkpoints = [1, 3, k, 5, 2 * k];
    let next = 0;
    while (next < checkpoints.length) {
      // One packet acknowledged per inter-packet interval of the current window.
      now += Math.round((rttUs * MDS) / cc.window);
      cc.onPacketsAcked([acked(now - rttUs)], now, rtt, false);
      const t = (now - start) / 1e6;
      if (t >= checkpoints[next]!) {
        const expected = wCubic(t, wMax, k);
        const error = Math.abs(cc.window - expected) / expected;
        assert.ok(error < 0.01, `t=${t.toFixed(3)}s cwnd ${cc.window} vs W_cubic ${expected}`);
        next++;
      }
    }
    // Convex region beyond W_max.
    assert.ok(cc.window > wMax);
    assert.equal(cc.state, 'congestion_avoidance');
  });

  it('grows like Reno with alpha_cubic in the Reno-friendly region (§4.3)', () => {
    const cc = afterFirstLoss();
    // A 1 ms RTT: Reno's per-RTT growth outpaces the cubic curve.
    const rtt = new FakeRtt(1000);
    let now = 100_000;
    cc.onPacketsAcked([acked(3000)], now, rtt, false);
    const start = now;
    let sawAlphaCubic = false;
    let sawAlphaOne = false;
    for (let i = 0; i < 20_000 && !sawAlphaOne; i++) {
      now += 10;
      const before = cc.renoEstimate;
      cc.onPacketsAcked([acked(now - 1000)], now, rtt, false);
      const t = (now - start) / 1e6;
      assert.ok(cc.cubicWindow(t) < cc.renoEstimate, 'in the Reno-friendly region');
      assert.ok(Math.abs(cc.window - Math.floor(cc.renoEstimate)) <= 1, 'cwnd = W_est');
      // In this region cwnd == W_est before the ACK, so the step reveals alpha.
      const alpha = ((cc.renoEstimate - before) * before) / (MDS * MDS);
      if (before < 120_000) {
        assert.ok(Math.abs(alpha - CUBIC_ALPHA) < 1e-9, `alpha ${alpha} below cwnd_prior`);
        sawAlphaCubic = true;
      } else {
        assert.ok(Math.abs(alpha - 1) < 1e-9, `alpha ${alpha} at or above cwnd_prior`);
        sawAlphaOne = true;
      }
    }
    assert.ok(sawAlphaCubic && sawAlphaOne);
  });

  it('applies fast convergence when W_max shrinks (§4.7)', () => {
    const cc = afterFirstLoss();
    cc.onPacketsAcked([acked(3000)], 5000, new FakeRtt(), false); // leave recovery
    const w = cc.window; // a little above 84 000 after one Reno-friendly step
    assert.ok(w < 120_000);
    assert.equal(cc.onCongestionEvent(4000, 6000), true);
    assert.ok(Math.abs(cc.maxWindowBeforeReduction - (w * (1 + BETA)) / 2) < 1);
    assert.ok(Math.abs(cc.window - w * BETA) < 1);

    const plain = afterFirstLoss({ fastConvergence: false });
    plain.onPacketsAcked([acked(3000)], 5000, new FakeRtt(), false);
    const pw = plain.window;
    plain.onCongestionEvent(4000, 6000);
    assert.ok(Math.abs(plain.maxWindowBeforeReduction - pw) < 1);
  });

  it('never reduces below the minimum window', () => {
    const cc = new Cubic({ hystart: false });
    for (let i = 1; i <= 10; i++) cc.onCongestionEvent(i * 1000, i * 1000 + 1);
    assert.equal(cc.window, 2 * MDS);
    assert.equal(cc.ssthresh, 2 * MDS);
  });

  it('undoes a spurious reduction (§4.9)', () => {
    const cc = afterFirstLoss();
    cc.onSpuriousCongestion();
    assert.equal(cc.window, 120_000);
    assert.equal(cc.ssthresh, Infinity);
    assert.equal(cc.maxWindowBeforeReduction, 0);
    assert.equal(cc.state, 'slow_start');
    cc.onSpuriousCongestion(); // nothing left to undo
    assert.equal(cc.window, 120_000);
  });

  it('restarts with K = 0 and W_max = cwnd_epoch after persistent congestion (§4.8)', () => {
    const cc = afterFirstLoss();
    cc.onPersistentCongestion(3000);
    assert.equal(cc.window, 2 * MDS);
    assert.equal(cc.state, 'slow_start');
    cc.onSpuriousCongestion();
    assert.equal(cc.window, 2 * MDS, 'persistent congestion is not undone');
    const rtt = new FakeRtt();
    // Slow start back to ssthresh (84 000), then the first avoidance ACK.
    cc.onPacketsAcked(ackedMany(68, 4000), 5000, rtt, false);
    assert.equal(cc.window, 84_000);
    cc.onPacketsAcked([acked(4000)], 6000, rtt, false);
    assert.equal(cc.timeToOrigin, 0);
    assert.equal(cc.maxWindowBeforeReduction, 84_000);
  });

  it('neither grows nor advances the curve while application limited', () => {
    const rtt = new FakeRtt(100_000);
    const a = afterFirstLoss();
    const b = afterFirstLoss();
    const t0 = 100_000;
    a.onPacketsAcked([acked(3000)], t0, rtt, false);
    b.onPacketsAcked([acked(3000)], t0, rtt, false);
    a.onPacketsAcked([acked(t0)], t0 + 2_000_000, rtt, false);
    // b is application limited from 2 s to 12 s: the ten seconds do not count.
    const frozen = b.window;
    b.onPacketsAcked([acked(t0)], t0 + 2_000_000, rtt, true);
    assert.equal(b.window, frozen);
    assert.equal(b.state, 'application_limited');
    b.onPacketsAcked([acked(t0)], t0 + 7_000_000, rtt, true);
    b.onPacketsAcked([acked(t0)], t0 + 12_000_000, rtt, false);
    assert.equal(b.window, a.window);
    assert.ok(b.window > 84_000);
  });

  it('leaves slow start through HyStart++ by default', () => {
    const cc = new Cubic();
    const rtt = new FakeRtt(100_000);
    let now = 0;
    // Rounds of 20 packets: a stable RTT, then a rise of 20 ms (threshold 12.5 ms).
    const round = (rttUs: number): void => {
      const sentAt = now;
      for (let i = 0; i < 20; i++) {
        cc.onPacketSent(MDS, now, 0);
        now += 10;
      }
      for (let i = 0; i < 20; i++) {
        now += 10;
        rtt.sample(rttUs);
        cc.onPacketsAcked([acked(sentAt + i * 10)], now, rtt, false);
      }
    };
    round(100_000);
    round(100_000);
    assert.equal(cc.state, 'slow_start');
    round(120_000);
    assert.equal(cc.state, 'conservative_slow_start');
    for (let i = 0; i < 5; i++) round(120_000);
    assert.equal(cc.state, 'congestion_avoidance');
    assert.equal(cc.ssthresh < Infinity, true);
  });
});
