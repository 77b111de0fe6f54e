/** The sender's ACK_FREQUENCY policy (draft-ietf-quic-ack-frequency-12 §9) and its receive checks. */
import assert from 'node:assert/strict';
import { ReceivedPacketTracker } from '../../src/ack/received.js';
import { AckFrequency, MAX_THRESHOLD, MIN_ACK_DELAY_US } from '../../src/conn/ack-frequency.js';
import { QuicError, TransportError } from '../../src/wire/errors.js';

const MDS = 1200;
const SRTT = 40_000;

function sender(peerMin = 1000, peerMaxMs = 25): AckFrequency {
  const af = new AckFrequency(true);
  af.onPeerParams(peerMin, peerMaxMs);
  return af;
}

describe('conn/ack-frequency', () => {
  it('asks nothing of a peer without min_ack_delay, or when our option is off', () => {
    const without = new AckFrequency(true);
    without.onPeerParams(undefined, 25);
    assert.equal(without.peerSupports, false);
    assert.equal(without.poll({ cwnd: 1e6, maxDatagramSize: MDS, srtt: SRTT }, 0), null);
    const off = new AckFrequency(false);
    off.onPeerParams(1000, 25);
    assert.equal(off.peerSupports, false);
    assert.equal(off.poll({ cwnd: 1e6, maxDatagramSize: MDS, srtt: SRTT }, 0), null);
  });

  it('keeps the RFC 9000 default while the window is small', () => {
    // 10 packets: a quarter is 2, so "more than 1" - the default, no request.
    assert.equal(sender().poll({ cwnd: 10 * MDS, maxDatagramSize: MDS, srtt: SRTT }, 0), null);
  });

  it('about four ACKs per window, at most MAX_THRESHOLD, delay srtt/4 within the peer limits', () => {
    const af = sender();
    const f = af.poll({ cwnd: 40 * MDS, maxDatagramSize: MDS, srtt: SRTT }, 0)!;
    assert.deepEqual(f, {
      kind: 'ack_frequency',
      sequenceNumber: 0,
      ackElicitingThreshold: 9, // an ACK every 10 packets: 4 per window of 40
      requestedMaxAckDelay: 10_000,
      reorderingThreshold: 3,
    });
    const g = af.poll({ cwnd: 1000 * MDS, maxDatagramSize: MDS, srtt: 400_000 }, 500_000)!;
    assert.equal(g.sequenceNumber, 1);
    assert.equal(g.ackElicitingThreshold, MAX_THRESHOLD);
    assert.equal(g.requestedMaxAckDelay, 25_000, "capped at the peer's max_ack_delay");
    // A tiny RTT: never below the peer's min_ack_delay.
    const h = sender(5000).poll({ cwnd: 100 * MDS, maxDatagramSize: MDS, srtt: 1000 }, 0)!;
    assert.equal(h.requestedMaxAckDelay, 5000);
    assert.ok(MIN_ACK_DELAY_US <= 1000);
  });

  it('at most once per smoothed RTT, and only for a change of a quarter or more', () => {
    const af = sender();
    assert.ok(af.poll({ cwnd: 40 * MDS, maxDatagramSize: MDS, srtt: SRTT }, 0));
    assert.equal(af.poll({ cwnd: 80 * MDS, maxDatagramSize: MDS, srtt: SRTT }, SRTT - 1), null);
    // 44 packets: threshold 10 vs 9, delay unchanged: too small a change.
    assert.equal(af.poll({ cwnd: 44 * MDS, maxDatagramSize: MDS, srtt: SRTT }, SRTT), null);
    const f = af.poll({ cwnd: 20 * MDS, maxDatagramSize: MDS, srtt: SRTT }, SRTT)!;
    assert.equal(f.ackElicitingThreshold, 4);
    assert.equal(af.requestsSent, 2);
  });

  it('the receive side applies a request and rejects what it must', () => {
    const af = new AckFrequency(true);
    const t = new ReceivedPacketTracker();
    af.onFrame(
      {
        kind: 'ack_frequency',
        sequenceNumber: 2 ** 53,
        ackElicitingThreshold: 2 ** 53,
        requestedMaxAckDelay: 1000,
        reorderingThreshold: 2 ** 53,
      },
      t,
    );
    // Saturated thresholds are capped, not rejected: "very many".
    t.onPacketReceived(0, true, 0);
    assert.equal(t.ackDeadline(), 1000);
    const violation = (f: () => void): void =>
      assert.throws(
        f,
        (e: unknown) => e instanceof QuicError && e.code === TransportError.PROTOCOL_VIOLATION,
      );
    violation(() =>
      af.onFrame(
        {
          kind: 'ack_frequency',
          sequenceNumber: 0,
          ackElicitingThreshold: 1,
          requestedMaxAckDelay: 999,
          reorderingThreshold: 1,
        },
        t,
      ),
    );
    violation(() => new AckFrequency(false).onImmediateAck(t));
  });
});
