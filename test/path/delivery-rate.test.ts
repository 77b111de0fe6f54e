import assert from 'node:assert/strict';
import { PnSpace } from '../../src/ack/pn-space.js';
import type { SentPacket } from '../../src/ack/sent.js';
import { NewReno } from '../../src/cc/newreno.js';
import type { DeliverySnapshot, RateSample, RttSnapshot } from '../../src/cc/types.js';
import { DeliveryRateSampler } from '../../src/path/delivery-rate.js';
import { LossDetection } from '../../src/path/loss-detection.js';
import { RttEstimator } from '../../src/path/rtt.js';
import { ack, MS, packet } from './helpers.js';

/** Drives a sampler the way loss detection does, tracking bytes in flight. */
function harness() {
  const sampler = new DeliveryRateSampler();
  const sent = new Map<number, SentPacket<string>>();
  let inFlight = 0;
  return {
    sampler,
    send(pn: number, time: number): SentPacket<string> {
      const p = packet(pn, time);
      sampler.onPacketSent(p, inFlight);
      inFlight += p.size;
      sent.set(pn, p);
      return p;
    },
    lose(pn: number): void {
      const p = sent.get(pn)!;
      inFlight -= p.size;
      sampler.onPacketLost(p.size);
    },
    /** One ACK of `acked` at `now`; returns a copy of the sample (or null). */
    ack(acked: number[], now: number, minRtt = 0): RateSample | null {
      sampler.beginAck();
      for (const pn of acked) {
        const p = sent.get(pn)!;
        inFlight -= p.size;
        sampler.onPacketAcked(p, now);
      }
      const rs = sampler.generate(minRtt);
      return rs === null ? null : { ...rs };
    },
    get inFlight() {
      return inFlight;
    },
  };
}

describe('DeliveryRateSampler (draft-ietf-ccwg-bbr §4.5.2)', () => {
  it('samples one packet per ACK from the newest packet snapshot', () => {
    const h = harness();
    h.send(0, 0);
    h.send(1, 10 * MS);
    const first = h.ack([0], 100 * MS)!;
    // p0: delivered 0 at send; ack_elapsed 100 ms, send_elapsed 0.
    assert.equal(first.delivered, 1200);
    assert.equal(first.interval, 100 * MS);
    assert.equal(first.deliveryRate, 12_000);
    assert.equal(first.rtt, 100 * MS);
    assert.equal(first.txInFlight, 1200);
    const second = h.ack([1], 110 * MS)!;
    // p1 was sent with delivered 0, delivered_time 0: 2400 bytes over max(10, 110) ms.
    assert.equal(second.delivered, 2400);
    assert.equal(second.priorDelivered, 0);
    assert.equal(second.interval, 110 * MS);
    assert.equal(second.deliveryRate, 2400 / 0.11);
    assert.equal(second.txInFlight, 2400);
    assert.equal(second.totalDelivered, 2400);
  });

  it('takes a stretch ACK as one sample over the newest packet, and restarts after idle', () => {
    const h = harness();
    for (let i = 0; i < 4; i++) h.send(i, i * MS);
    const rs = h.ack([0, 1, 2, 3], 50 * MS)!;
    assert.equal(rs.newlyAcked, 4800);
    assert.equal(rs.delivered, 4800);
    // send_elapsed 3 ms (p3 - first send), ack_elapsed 50 ms.
    assert.equal(rs.interval, 50 * MS);
    assert.equal(rs.deliveryRate, 96_000);
    assert.equal(rs.rtt, 47 * MS);
    assert.equal(rs.txInFlight, 4800);
    // Nothing in flight: a send after a second of silence starts a new interval, so the idle
    // time does not dilute the next sample (1200 bytes in 50 ms, not in 1 s).
    h.send(4, 1000 * MS);
    const after = h.ack([4], 1050 * MS)!;
    assert.equal(after.priorDelivered, 4800);
    assert.equal(after.delivered, 1200);
    assert.equal(after.interval, 50 * MS);
    assert.equal(after.deliveryRate, 24_000);
  });

  it('uses the send interval when it is the longer one (ACK compression)', () => {
    const h = harness();
    h.send(0, 0);
    h.send(1, 20 * MS);
    h.ack([0], 30 * MS);
    // p2 is sent with delivered_time 30 ms and first_send_time 0 (p0's send, the newest
    // acknowledged); the ACKs of p1 and p2 then come back bunched together.
    h.send(2, 31 * MS);
    const rs = h.ack([1, 2], 35 * MS)!;
    // send_elapsed 31 ms beats ack_elapsed 5 ms: 2400 bytes over 31 ms, not over 5.
    assert.equal(rs.delivered, 2400);
    assert.equal(rs.interval, 31 * MS);
    assert.equal(rs.deliveryRate, 2400 / 0.031);
  });

  it('marks packets sent in an application-limited bubble until it is delivered', () => {
    const h = harness();
    const p0 = h.send(0, 0);
    assert.equal(p0.isAppLimited, false);
    // Out of data with p0 (1200 bytes) in flight: the bubble ends once 1200 bytes are past.
    h.sampler.markAppLimited(h.inFlight);
    assert.equal(h.sampler.appLimited, true);
    const p1 = h.send(1, 10 * MS);
    assert.equal(p1.isAppLimited, true);
    const rs0 = h.ack([0], 100 * MS)!;
    assert.equal(rs0.isAppLimited, false);
    // Delivered 1200 is not beyond the marker yet.
    assert.equal(h.sampler.appLimited, true);
    const p2 = h.send(2, 100 * MS);
    assert.equal(p2.isAppLimited, true);
    const rs1 = h.ack([1], 110 * MS)!;
    assert.equal(rs1.isAppLimited, true);
    assert.equal(h.sampler.appLimited, false);
    const p3 = h.send(3, 110 * MS);
    assert.equal(p3.isAppLimited, false);
    // An empty connection marks a non-zero bubble.
    const idle = harness();
    idle.sampler.markAppLimited(0);
    assert.equal(idle.sampler.appLimited, true);
  });

  it('reports no rate for an interval shorter than the min RTT, and nothing without data', () => {
    const h = harness();
    h.send(0, 0);
    const rs = h.ack([0], 20 * MS, 30 * MS)!;
    assert.equal(rs.interval, -1);
    assert.equal(rs.deliveryRate, 0);
    assert.equal(rs.delivered, 1200);
    assert.equal(h.ack([], 25 * MS), null);
  });

  it('counts the bytes lost since the newest packet was sent', () => {
    const h = harness();
    h.send(0, 0);
    h.send(1, 1 * MS);
    h.send(2, 2 * MS);
    h.lose(0);
    const p3 = h.send(3, 3 * MS);
    assert.equal(p3.lostBefore, 1200);
    h.lose(1);
    const rs = h.ack([2], 50 * MS)!;
    // p2 was sent before either loss.
    assert.equal(rs.lost, 2400);
    assert.equal(h.sampler.lost, 2400);
    const rs3 = h.ack([3], 51 * MS)!;
    assert.equal(rs3.lost, 1200);
  });

  it('is fed by loss detection: per-packet losses, then one sample per ACK', () => {
    const events: string[] = [];
    class SamplingReno extends NewReno {
      onPacketLost(p: DeliverySnapshot, now: number, bytesInFlight: number): void {
        events.push(`lost ${p.timeSent} at ${now} bif ${bytesInFlight}`);
      }
      onRateSample(rs: RateSample, now: number, rtt: RttSnapshot, bytesInFlight: number): void {
        events.push(
          `sample ${rs.delivered}/${rs.interval} rate ${rs.deliveryRate} lost ${rs.lost} ` +
            `newlyLost ${rs.newlyLost} bif ${bytesInFlight} minRtt ${rtt.min}`,
        );
      }
    }
    const rtt = new RttEstimator();
    const ld = new LossDetection<string>({ isServer: true, rtt, cc: new SamplingReno() });
    ld.onHandshakeConfirmed(0);
    for (let i = 0; i < 5; i++) ld.onPacketSent(PnSpace.Application, packet(i, i * MS));
    // Acknowledging 3..4 declares 0 and 1 lost by the packet threshold (RFC 9002 §6.1.1).
    ld.onAckReceived(PnSpace.Application, ack([[3, 4]]), 0, 50 * MS);
    assert.deepEqual(events, [
      `lost 0 at ${50 * MS} bif 2400`,
      `lost ${1 * MS} at ${50 * MS} bif 1200`,
      `sample 2400/${50 * MS} rate 48000 lost 2400 newlyLost 2400 bif 1200 minRtt ${46 * MS}`,
    ]);
    assert.equal(ld.delivered, 2400);
  });
});
