import assert from 'node:assert/strict';
import { IdleTimer } from '../../src/conn/idle-timer.js';

const MS = 1000;

describe('conn/idle-timer: idle timeout and keep-alive (RFC 9000 §10.1)', () => {
  it('takes the smaller of both timeouts, a side with 0 not counting', () => {
    assert.equal(new IdleTimer(30_000, 0).effectiveTimeoutMs(10_000), 10_000);
    assert.equal(new IdleTimer(5_000, 0).effectiveTimeoutMs(10_000), 5_000);
    assert.equal(new IdleTimer(0, 0).effectiveTimeoutMs(10_000), 10_000);
    assert.equal(new IdleTimer(7_000, 0).effectiveTimeoutMs(0), 7_000);
    assert.equal(new IdleTimer(0, 0).effectiveTimeoutMs(0), 0);
  });

  it('has no deadline before a restart, nor when neither side has a timeout', () => {
    const t = new IdleTimer(0, 0);
    assert.equal(t.nextTimeout(), Infinity);
    t.onReceive(1_000, 0, 100 * MS, true);
    assert.equal(t.deadline, Infinity);
    assert.equal(t.onTimeout(1e12), 'none');
  });

  it('runs for max(idle timeout, 3 × PTO) from the restart', () => {
    const t = new IdleTimer(1_000, 0);
    t.onReceive(50, 0, 100 * MS, false);
    assert.equal(t.deadline, 50 + 1_000 * MS);
    // A PTO of 500 ms makes three of them (1.5 s) longer than the 1 s timeout.
    t.onReceive(50, 0, 500 * MS, false);
    assert.equal(t.deadline, 50 + 1_500 * MS);
  });

  it('restarts on every receive, but on a send only the first after a receive', () => {
    const t = new IdleTimer(10_000, 0);
    const pto = 10 * MS;
    t.onReceive(0, 0, pto, true);
    assert.equal(t.deadline, 10_000 * MS);
    // The first ack-eliciting packet after the receive restarts the timer.
    t.onAckElicitingSent(2_000 * MS, 0, pto, true);
    assert.equal(t.deadline, 12_000 * MS);
    assert.equal(t.restartsOnSend, false);
    // Further sends without hearing back do not: a silent peer is noticed.
    t.onAckElicitingSent(5_000 * MS, 0, pto, true);
    t.onAckElicitingSent(9_000 * MS, 0, pto, true);
    assert.equal(t.deadline, 12_000 * MS);
    // A receive restarts it, and re-arms the restart on the next send.
    t.onReceive(9_500 * MS, 0, pto, true);
    assert.equal(t.restartsOnSend, true);
    assert.equal(t.deadline, 19_500 * MS);
    t.onAckElicitingSent(11_000 * MS, 0, pto, true);
    assert.equal(t.deadline, 21_000 * MS);
  });

  it('a send before any receive restarts it once', () => {
    const t = new IdleTimer(1_000, 0);
    t.onAckElicitingSent(0, 0, MS, false);
    assert.equal(t.deadline, 1_000 * MS);
    t.onAckElicitingSent(400 * MS, 0, MS, false);
    assert.equal(t.deadline, 1_000 * MS);
  });

  it('expires at its deadline, not before', () => {
    const t = new IdleTimer(1_000, 0);
    t.onReceive(0, 0, MS, true);
    assert.equal(t.onTimeout(1_000 * MS - 1), 'none');
    assert.equal(t.onTimeout(1_000 * MS), 'expired');
  });

  it('asks for a keep-alive PING once established, then every period', () => {
    const t = new IdleTimer(30_000, 5_000 * MS);
    t.onReceive(0, 0, MS, false);
    // Not established: no keep-alive.
    assert.equal(t.nextTimeout(), 30_000 * MS);
    t.onReceive(0, 0, MS, true);
    assert.equal(t.nextTimeout(), 5_000 * MS);
    assert.equal(t.onTimeout(4_999 * MS), 'none');
    assert.equal(t.onTimeout(5_000 * MS), 'keep_alive');
    assert.equal(t.nextTimeout(), 10_000 * MS);
    // The idle deadline does not move with a keep-alive: only the PING's packets restart it.
    assert.equal(t.deadline, 30_000 * MS);
    // The peer's shorter timeout wins at the next restart.
    t.onReceive(6_000 * MS, 2_000, MS, true);
    assert.equal(t.deadline, 8_000 * MS);
    assert.equal(t.onTimeout(8_000 * MS), 'expired');
  });
});
