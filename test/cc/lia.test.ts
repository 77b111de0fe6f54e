/**
 * LIA (RFC 6356): alpha against a hand computation, a lone path growing exactly as NewReno, and
 * the coupled increase never above the uncoupled one.
 */
import assert from 'node:assert/strict';
import { CouplingGroup } from '../../src/cc/coupling.js';
import { Lia } from '../../src/cc/lia.js';
import { NewReno } from '../../src/cc/newreno.js';
import { createCongestionController } from '../../src/cc/registry.js';
import type { CongestionController } from '../../src/cc/types.js';
import { acked, ackedMany, FakeRtt, MDS } from './helpers.js';

/** Slow start to 24 000 bytes, a loss at t = 500 (window 12 000), then congestion avoidance. */
function intoAvoidance(cc: CongestionController, rtt: FakeRtt): void {
  cc.onPacketsAcked(ackedMany(10, 0), 100, rtt, false);
  assert.equal(cc.onCongestionEvent(100, 500), true);
  cc.onPacketsAcked([acked(600)], 700, rtt, false);
  assert.equal(cc.state, 'congestion_avoidance');
}

describe('LIA, coupled congestion control (RFC 6356)', () => {
  it('alpha follows RFC 6356 §3 (hand computation)', () => {
    const g = new CouplingGroup();
    assert.equal(g.alpha(), 1, 'no member');
    // One member: cwnd · (cwnd/rtt²) / (cwnd/rtt)² = 1, exactly (no floating-point residue).
    const lone = { window: 37_211, coupledRtt: 23_457.3 };
    g.join(lone);
    assert.equal(g.alpha(), 1);
    g.leave(lone);
    // cwnd 12 000 B at 10 ms and 24 000 B at 40 ms:
    // total 36 000; max(cwnd/rtt²) = 12 000/10 000² = 1.2e-4; Σ cwnd/rtt = 1.2 + 0.6 = 1.8;
    // alpha = 36 000 · 1.2e-4 / 1.8² = 4.32 / 3.24 = 4/3.
    g.join({ window: 12_000, coupledRtt: 10_000 });
    const slow = { window: 24_000, coupledRtt: 40_000 };
    g.join(slow);
    assert.equal(g.totalWindow(), 36_000);
    assert.ok(Math.abs(g.alpha() - 4 / 3) < 1e-12, `alpha ${g.alpha()}`);
    // Two equal paths: alpha = 2w · (w/r²) / (2w/r)² = 1/2.
    g.leave(slow);
    g.join({ window: 12_000, coupledRtt: 10_000 });
    assert.equal(g.alpha(), 0.5);
    // A member without an RTT sample is not weighed.
    g.join({ window: 50_000, coupledRtt: 0 });
    assert.equal(g.alpha(), 0.5);
  });

  it('on a lone path it is NewReno, step for step', () => {
    const rtt = new FakeRtt(20_000);
    const lia = new Lia();
    const reno = new NewReno();
    const both = [lia, reno];
    const same = (what: string) => {
      assert.equal(lia.window, reno.window, what);
      assert.equal(lia.ssthresh, reno.ssthresh, what);
      assert.equal(lia.state, reno.state, what);
    };
    for (const cc of both) intoAvoidance(cc, rtt);
    same('after the first loss');
    let t = 1000;
    for (let round = 0; round < 40; round++) {
      for (const cc of both) cc.onPacketsAcked(ackedMany(7, t), t + 10, rtt, false);
      same(`round ${round}`);
      t += 100;
      if (round === 25) {
        for (const cc of both) cc.onCongestionEvent(t - 50, t);
        same('second loss');
      }
    }
    assert.ok(lia.window > 12_000, 'the window grew');
    // Made by name with a group of its own, still NewReno.
    const named = createCongestionController('lia', {});
    assert.equal(named.name, 'lia');
    assert.equal(named.window, new NewReno().window);
  });

  it('the coupled increase is never above the uncoupled one, and less on shared paths', () => {
    const g = new CouplingGroup();
    const rtt = new FakeRtt(20_000);
    const a = new Lia({ coupling: g });
    const b = new Lia({ coupling: g });
    const reno = new NewReno();
    for (const cc of [a, b, reno]) intoAvoidance(cc, rtt);
    assert.equal(g.size, 2);
    // Equal windows and RTTs: alpha 1/2, each byte counts alpha · cwnd_i / total = 1/4.
    assert.equal(g.alpha(), 0.5);
    assert.equal(a.increaseWeight(), 0.25);
    let t = 1000;
    for (let round = 0; round < 60; round++) {
      for (const cc of [a, reno]) cc.onPacketsAcked(ackedMany(5, t), t + 10, rtt, false);
      assert.ok(
        a.window <= reno.window,
        `round ${round}: lia ${a.window} > newreno ${reno.window}`,
      );
      assert.ok(a.increaseWeight() <= 1);
      t += 100;
    }
    // NewReno took one datagram per window acknowledged; LIA a quarter as many.
    const renoSteps = (reno.window - 12_000) / MDS;
    const liaSteps = (a.window - 12_000) / MDS;
    assert.ok(renoSteps >= 4, `newreno grew ${renoSteps} datagrams`);
    assert.ok(liaSteps < renoSteps / 2, `lia grew ${liaSteps}, newreno ${renoSteps}`);
    // A closed path leaves the group: the other is alone again, and grows as NewReno.
    b.close();
    assert.equal(g.size, 1);
    assert.equal(a.increaseWeight(), 1);
  });

  it('the coupling group is the connection’s, not an option', async () => {
    const { congestionControlFactory } = await import('../../src/cc/choice.js');
    assert.throws(
      () => congestionControlFactory({ name: 'lia', options: { coupling: new CouplingGroup() } }),
      RangeError,
    );
    // Uncoupled controllers accept (and ignore) the group a connection hands every path.
    assert.equal(
      createCongestionController('cubic', { coupling: new CouplingGroup() }).name,
      'cubic',
    );
  });
});
