import assert from 'node:assert/strict';
import { HyStartPlusPlus, HYSTART_N_RTT_SAMPLE, SlowStartPhase } from '../../src/cc/hystart.js';
import { NewReno } from '../../src/cc/newreno.js';
import { acked, FakeRtt, MDS } from './helpers.js';

/**
 * Drives one round: `sent` packets are sent, then each is acknowledged with an RTT sample of
 * `rttUs`. Returns the phases the ACKs reported.
 */
function round(
  h: HyStartPlusPlus,
  clock: { now: number },
  rtt: FakeRtt,
  rttUs: number,
  sent = 10,
): SlowStartPhase[] {
  const first = clock.now;
  for (let i = 0; i < sent; i++) h.onPacketSent((clock.now += 10));
  const phases: SlowStartPhase[] = [];
  for (let i = 0; i < sent; i++) {
    clock.now += 10;
    rtt.sample(rttUs);
    phases.push(h.onAck(first + 10 * (i + 1), rtt));
  }
  return phases;
}

describe('HyStart++ (RFC 9406)', () => {
  it('enters CSS on an RTT increase beyond the threshold, then exits after CSS_ROUNDS', () => {
    const h = new HyStartPlusPlus();
    const rtt = new FakeRtt();
    const clock = { now: 0 };
    round(h, clock, rtt, 100_000);
    round(h, clock, rtt, 100_000);
    // Threshold: clamp(100 ms / 8, 4 ms, 16 ms) = 12.5 ms. A 12 ms rise is not enough.
    assert.ok(round(h, clock, rtt, 112_000).every((p) => p === SlowStartPhase.Standard));
    // min RTT of the last round is now 112 ms, threshold 14 ms: 126 ms triggers after
    // N_RTT_SAMPLE samples (the ACK bringing the eighth still grows as standard slow start).
    const phases = round(h, clock, rtt, 126_000);
    assert.equal(phases.indexOf(SlowStartPhase.Conservative), HYSTART_N_RTT_SAMPLE);
    assert.equal(h.inConservativeSlowStart, true);
    for (let r = 0; r < 4; r++) {
      const p = round(h, clock, rtt, 126_000);
      assert.ok(
        p.every((x) => x === SlowStartPhase.Conservative),
        `CSS round ${r}`,
      );
    }
    // The fifth CSS round start ends slow start.
    const last = round(h, clock, rtt, 126_000);
    assert.equal(last[0], SlowStartPhase.Exit);
    assert.equal(h.inConservativeSlowStart, false);
  });

  it('returns to standard slow start when the RTT falls below the CSS baseline', () => {
    const h = new HyStartPlusPlus();
    const rtt = new FakeRtt();
    const clock = { now: 0 };
    round(h, clock, rtt, 50_000);
    round(h, clock, rtt, 60_000); // threshold max(4 ms, 50/8 = 6.25 ms)
    assert.equal(h.inConservativeSlowStart, true);
    const phases = round(h, clock, rtt, 55_000);
    assert.equal(h.inConservativeSlowStart, false);
    assert.equal(phases[0], SlowStartPhase.Conservative);
    assert.equal(phases[phases.length - 1], SlowStartPhase.Standard);
  });

  it('counts only new RTT samples and caps the threshold at 16 ms', () => {
    const h = new HyStartPlusPlus();
    const rtt = new FakeRtt();
    const clock = { now: 0 };
    round(h, clock, rtt, 400_000);
    // 400 ms / 8 = 50 ms, capped at 16 ms: a 16 ms rise suffices.
    const first = clock.now;
    for (let i = 0; i < 10; i++) h.onPacketSent((clock.now += 10));
    for (let i = 0; i < HYSTART_N_RTT_SAMPLE - 1; i++) {
      rtt.sample(416_000);
      h.onAck(first + 10, rtt);
      // ACKs that bring no new sample do not count toward N_RTT_SAMPLE.
      h.onAck(first + 10, rtt);
      h.onAck(first + 10, rtt);
    }
    assert.equal(h.inConservativeSlowStart, false);
    rtt.sample(416_000);
    h.onAck(first + 20, rtt);
    assert.equal(h.inConservativeSlowStart, true);
  });

  it('slows window growth to a quarter in CSS (NewReno with hystart enabled)', () => {
    const cc = new NewReno({ hystart: true });
    const rtt = new FakeRtt();
    let now = 0;
    const doRound = (rttUs: number): void => {
      const first = now;
      for (let i = 0; i < 10; i++) cc.onPacketSent(MDS, (now += 10), 0);
      for (let i = 0; i < 10; i++) {
        now += 10;
        rtt.sample(rttUs);
        cc.onPacketsAcked([acked(first + 10 * (i + 1))], now, rtt, false);
      }
    };
    doRound(100_000);
    doRound(130_000);
    assert.equal(cc.state, 'conservative_slow_start');
    const before = cc.window;
    doRound(130_000);
    assert.equal(cc.window - before, (10 * MDS) / 4);
  });
});
