/** ECN validation of one path (RFC 9000 §13.4.2, Appendix A.4). */
import { strict as assert } from 'node:assert';
import { PnSpace } from '../../src/ack/pn-space.js';
import { ECN_TESTING_PACKETS, EcnValidator } from '../../src/path/ecn.js';

const APP = PnSpace.Application;
const marked = (n: number) => Array.from({ length: n }, () => ({ ecnMarked: true }));
const unmarked = (n: number) => Array.from({ length: n }, () => ({ ecnMarked: false }));

/** Sends `n` packets in one datagram each, as the send path does. */
function send(v: EcnValidator, n: number): boolean[] {
  const out: boolean[] = [];
  for (let i = 0; i < n; i++) {
    const m = v.marking;
    v.onPacketSent(APP, m);
    v.onDatagramSent();
    out.push(m);
  }
  return out;
}

describe('EcnValidator (RFC 9000 §13.4.2)', () => {
  it('off when the socket cannot mark: nothing marked, counts only recorded', () => {
    const v = new EcnValidator(false);
    assert.equal(v.state, 'off');
    assert.equal(v.codepoint, 0);
    assert.deepEqual(send(v, 3), [false, false, false]);
    v.onAck(APP, 2, { ect0: 0, ect1: 0, ce: 1 }, unmarked(3));
    assert.equal(v.state, 'off');
    assert.equal(v.stats().peerCe, 1);
  });

  it('tests with ten marked packets, waits, and becomes capable when counts cover them', () => {
    const v = new EcnValidator(true);
    assert.equal(v.codepoint, 2); // ECT(0)
    const sent = send(v, ECN_TESTING_PACKETS + 2);
    assert.equal(sent.filter(Boolean).length, ECN_TESTING_PACKETS);
    assert.equal(v.state, 'unknown');
    assert.equal(v.codepoint, 0);
    // 4 marked packets acknowledged: 3 came as ECT(0), 1 as CE.
    v.onAck(APP, 3, { ect0: 3, ect1: 0, ce: 1 }, marked(4));
    assert.equal(v.state, 'capable');
    assert.equal(v.marking, true);
    assert.deepEqual(v.stats(), {
      state: 'capable',
      failure: null,
      markedSent: ECN_TESTING_PACKETS,
      peerEct0: 3,
      peerEct1: 0,
      peerCe: 1,
    });
  });

  it('fails when marked packets are acknowledged without counts (bleached)', () => {
    const v = new EcnValidator(true);
    send(v, 2);
    v.onAck(APP, 1, undefined, marked(2));
    assert.equal(v.state, 'failed');
    assert.equal(v.failure, 'no_counts');
    assert.equal(v.marking, false);
  });

  it('fails when the counts grow less than the marked packets acknowledged', () => {
    const v = new EcnValidator(true);
    send(v, 4);
    v.onAck(APP, 3, { ect0: 3, ect1: 0, ce: 0 }, marked(4));
    assert.equal(v.failure, 'counts_too_low');
  });

  it('fails on ECT(1) counts (we only send ECT(0): remarked)', () => {
    const v = new EcnValidator(true);
    send(v, 2);
    v.onAck(APP, 1, { ect0: 1, ect1: 1, ce: 0 }, marked(2));
    assert.equal(v.failure, 'remarked');
  });

  it('fails on counts above the marked packets sent', () => {
    const v = new EcnValidator(true);
    send(v, 2);
    v.onAck(APP, 1, { ect0: 5, ect1: 0, ce: 0 }, marked(2));
    assert.equal(v.failure, 'counts_above_sent');
  });

  it('fails on counts that decrease, but ignores an ACK that does not raise the largest acknowledged', () => {
    const v = new EcnValidator(true);
    send(v, 6);
    v.onAck(APP, 3, { ect0: 4, ect1: 0, ce: 0 }, marked(4));
    assert.equal(v.state, 'capable');
    // A reordered older ACK with older counts: not checked (§13.4.2.1).
    v.onAck(APP, 2, { ect0: 2, ect1: 0, ce: 0 }, []);
    assert.equal(v.state, 'capable');
    v.onAck(APP, 5, { ect0: 3, ect1: 0, ce: 0 }, marked(2));
    assert.equal(v.failure, 'counts_decreased');
  });

  it('fails when every test packet is lost, not when some arrive', () => {
    const v = new EcnValidator(true);
    send(v, ECN_TESTING_PACKETS);
    v.onLost(marked(ECN_TESTING_PACKETS - 1));
    assert.equal(v.state, 'unknown');
    v.onLost(marked(1));
    assert.equal(v.failure, 'test_packets_lost');
  });

  it('a new path is tested again; the per-space counts carry over', () => {
    const v = new EcnValidator(true);
    send(v, 2);
    v.onAck(APP, 1, undefined, marked(2));
    assert.equal(v.state, 'failed');
    v.restart();
    assert.equal(v.state, 'testing');
    assert.equal(v.failure, null);
    send(v, 2);
    v.onAck(APP, 3, { ect0: 2, ect1: 0, ce: 0 }, marked(2));
    assert.equal(v.state, 'capable');
  });
});
