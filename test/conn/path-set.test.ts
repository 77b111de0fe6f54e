import assert from 'node:assert/strict';
import { PathSet } from '../../src/conn/path-set.js';
import { PathState } from '../../src/conn/path-state.js';
import type { PeerCid } from '../../src/conn/cids.js';
import type { SentFrame } from '../../src/conn/sent-frames.js';
import { SendControl } from '../../src/path/send-control.js';
import type { SocketAddress } from '../../src/util/address.js';

const LOCAL: SocketAddress = { address: '10.0.0.1', port: 4433 };
const CLIENT: SocketAddress = { address: '192.0.2.1', port: 5000 };
const REBOUND: SocketAddress = { address: '192.0.2.1', port: 5001 };
const MOVED: SocketAddress = { address: '198.51.100.7', port: 5000 };
const cid = (sequence: number): PeerCid => ({
  sequence,
  cid: new Uint8Array(8).fill(sequence),
  sentTo: null,
});
const CHALLENGE = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);

/** A server's send control whose RTT has been sampled once, so a reset is visible. */
function sampledSendControl(): SendControl<SentFrame> {
  const sc = new SendControl<SentFrame>({ isServer: true, initialRtt: 333_000 });
  sc.rtt.update(20_000, 0, 0, true);
  return sc;
}

describe('PathSet', () => {
  it('starts with the given path active, no probe and no fallback', () => {
    const first = new PathState(LOCAL, CLIENT, sampledSendControl(), true, cid(0));
    const set = new PathSet(first, 0);
    assert.equal(set.active, first);
    assert.equal(set.probe, null);
    assert.equal(set.fallback, null);
    assert.equal(set.find(LOCAL, CLIENT), first);
    assert.equal(set.find(LOCAL, MOVED), null);
    assert.equal(set.deadline(), Infinity);
    assert.equal(set.hasPendingSend, false);
  });

  it('resets congestion and RTT state on a move to a new address, not on a port change (RFC 9000 §9.4)', () => {
    const sc = sampledSendControl();
    const set = new PathSet(new PathState(LOCAL, CLIENT, sc, true, cid(0)), 0);
    set.moveTo(new PathState(LOCAL, REBOUND, sc, false, cid(1)), 1_000);
    assert.equal(sc.rtt.smoothed, 20_000, 'NAT rebinding keeps the RTT');
    set.moveTo(new PathState(LOCAL, MOVED, sc, false, cid(2)), 2_000);
    assert.equal(sc.rtt.smoothed, 333_000, 'a new address starts from the initial RTT');
  });

  it('validates a probe by its PATH_RESPONSE and reports it for the move', () => {
    const sc = sampledSendControl();
    const first = new PathState(LOCAL, CLIENT, sc, true, cid(0));
    const set = new PathSet(first, 0);
    const probe = new PathState(LOCAL, MOVED, sc, false, cid(1));
    probe.startValidation(CHALLENGE, 900_000);
    set.startProbe(probe);
    assert.equal(set.hasPendingSend, true, 'the challenge waits to be sent');
    assert.equal(set.deadline(), Infinity, 'no timer before a `now` arms it');
    set.armValidationDeadlines(100);
    assert.equal(set.deadline(), 900_100);
    assert.equal(set.onResponse(Uint8Array.of(9, 9, 9, 9, 9, 9, 9, 9), 200), 'none');
    assert.equal(set.onResponse(CHALLENGE, 300), 'probe');
    assert.ok(probe.validated);
    set.moveTo(probe, 300);
    assert.equal(set.active, probe);
    assert.equal(set.probe, null);
  });

  it('retries an unanswered challenge, then drops the probe at its deadline (RFC 9000 §8.2.4)', () => {
    const sc = sampledSendControl();
    const set = new PathSet(new PathState(LOCAL, CLIENT, sc, true, cid(0)), 0);
    const probe = new PathState(LOCAL, MOVED, sc, false, cid(1));
    probe.startValidation(CHALLENGE, 1_000_000);
    set.startProbe(probe);
    set.armValidationDeadlines(0);
    probe.onChallengeSent(10, 100_000);
    assert.equal(set.hasPendingSend, false);
    assert.equal(set.deadline(), 100_010, 'the retry comes first');
    assert.equal(set.onTimers(100_010), null);
    assert.equal(set.hasPendingSend, true, 'the challenge goes again');
    assert.equal(set.onTimers(1_000_000), null);
    assert.equal(set.probe, null, 'given up');
  });

  it('returns to the fallback when the active path fails validation (RFC 9000 §9.3.2)', () => {
    const sc = sampledSendControl();
    const first = new PathState(LOCAL, CLIENT, sc, true, cid(0));
    const set = new PathSet(first, 0);
    const moved = new PathState(LOCAL, MOVED, sc, false, cid(1));
    moved.startValidation(CHALLENGE, 500_000);
    moved.armValidationDeadline(0);
    set.moveTo(moved, 0, first);
    assert.equal(set.fallback, first);
    assert.equal(set.find(LOCAL, CLIENT), first, 'the fallback is still a known path');
    assert.ok(set.knowsRemote(CLIENT));
    assert.equal(set.onTimers(499_999), null);
    const back = set.onTimers(500_000);
    assert.equal(back, first);
    assert.equal(moved.validation, 'failed');
    assert.equal(set.fallback, null);
    set.moveTo(first, 500_000, null);
    assert.equal(set.active, first);
  });

  it('a response on the active path drops the fallback', () => {
    const sc = sampledSendControl();
    const first = new PathState(LOCAL, CLIENT, sc, true, cid(0));
    const set = new PathSet(first, 0);
    const moved = new PathState(LOCAL, MOVED, sc, false, cid(1));
    moved.startValidation(CHALLENGE, 500_000);
    set.moveTo(moved, 0, first);
    assert.equal(set.onResponse(CHALLENGE, 10), 'active');
    assert.equal(set.fallback, null);
    assert.ok(moved.validated);
  });

  it('counts received datagrams against the budget of their path (RFC 9000 §8.1)', () => {
    const sc = new SendControl<SentFrame>({ isServer: true });
    const first = new PathState(LOCAL, CLIENT, sc, false, cid(0));
    const set = new PathSet(first, 0);
    const probe = new PathState(LOCAL, MOVED, sc, false, cid(1));
    set.startProbe(probe);
    set.onDatagramReceived(LOCAL, CLIENT, 1200, 0);
    set.onDatagramReceived(LOCAL, MOVED, 100, 0);
    set.onDatagramReceived(LOCAL, REBOUND, 5000, 0);
    assert.equal(first.amplificationAllowance(), 3600);
    assert.equal(probe.amplificationAllowance(), 300);
  });
});
