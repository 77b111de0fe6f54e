import assert from 'node:assert/strict';
import { PnSpace } from '../../src/ack/pn-space.js';
import { Cubic } from '../../src/cc/cubic.js';
import { NewReno } from '../../src/cc/newreno.js';
import type { CongestionControllerOptions } from '../../src/cc/types.js';
import { AmplificationBudget } from '../../src/path/amplification.js';
import { LossDetection } from '../../src/path/loss-detection.js';
import { RttEstimator } from '../../src/path/rtt.js';
import { QuicError } from '../../src/wire/errors.js';
import { FrameType } from '../../src/wire/frame-types.js';
import { ack, MS, packet, pns, S, type PacketShape } from './helpers.js';

const { Initial, Handshake, Application } = PnSpace;

/** NewReno that records the congestion signals it receives. */
class RecordingReno extends NewReno {
  readonly events: string[] = [];
  constructor(options: CongestionControllerOptions = {}) {
    super(options);
  }
  override onCongestionEvent(sentTime: number, now: number): boolean {
    const entered = super.onCongestionEvent(sentTime, now);
    this.events.push(`congestion(${sentTime},${now})=${entered}`);
    return entered;
  }
  override onPersistentCongestion(now: number): void {
    this.events.push(`persistent(${now})`);
    super.onPersistentCongestion(now);
  }
}

interface Setup {
  isServer?: boolean;
  amplification?: AmplificationBudget;
  confirmed?: boolean;
  cc?: NewReno | Cubic;
  probePackets?: 1 | 2;
}

function setup(options: Setup = {}) {
  const rtt = new RttEstimator();
  const cc = options.cc ?? new RecordingReno();
  const ld = new LossDetection<string>({
    isServer: options.isServer ?? true,
    rtt,
    cc,
    ...(options.amplification !== undefined ? { amplification: options.amplification } : {}),
    ...(options.probePackets !== undefined ? { probePackets: options.probePackets } : {}),
  });
  if (options.confirmed === true) ld.onHandshakeConfirmed(0);
  const send = (space: PnSpace, pn: number, time: number, shape?: PacketShape) =>
    ld.onPacketSent(space, packet(pn, time, shape));
  return { rtt, cc, ld, send };
}

describe('LossDetection (RFC 9002 §6, Appendix A)', () => {
  describe('RTT sampling', () => {
    it('takes the first sample and then adjusts later ones by the ACK delay', () => {
      const { ld, rtt, send } = setup({ confirmed: true });
      send(Application, 0, 0);
      const r = ld.onAckReceived(Application, ack([[0, 0]]), 5 * MS, 100 * MS);
      assert.equal(r.rttSampled, true);
      assert.deepEqual(pns(r.newlyAcked), [0]);
      assert.equal(rtt.latest, 100 * MS);
      assert.equal(rtt.smoothed, 100 * MS, 'first sample: ack delay not applied');
      send(Application, 1, 200 * MS);
      ld.onAckReceived(Application, ack([[0, 1]]), 20 * MS, 330 * MS);
      // latest 130 ms, adjusted 110 ms.
      assert.equal(rtt.latest, 130 * MS);
      assert.equal(rtt.smoothed, 0.875 * 100 * MS + 0.125 * 110 * MS);
    });

    it('ignores the ACK delay in the Initial space', () => {
      const { ld, rtt, send } = setup();
      send(Initial, 0, 0);
      ld.onAckReceived(Initial, ack([[0, 0]]), 0, 100 * MS);
      send(Initial, 1, 100 * MS);
      ld.onAckReceived(Initial, ack([[0, 1]]), 30 * MS, 230 * MS);
      assert.equal(rtt.smoothed, 0.875 * 100 * MS + 0.125 * 130 * MS);
    });

    it('samples only when the largest acknowledged is newly acknowledged', () => {
      const { ld, rtt, send } = setup({ confirmed: true });
      send(Application, 0, 0);
      send(Application, 1, 1 * MS);
      send(Application, 2, 2 * MS);
      assert.equal(ld.onAckReceived(Application, ack([[2, 2]]), 0, 102 * MS).rttSampled, true);
      const r = ld.onAckReceived(Application, ack([[0, 2]]), 0, 103 * MS);
      assert.deepEqual(pns(r.newlyAcked), [0, 1]);
      assert.equal(r.rttSampled, false);
      assert.equal(rtt.sampleCount, 1);
    });

    it('does not sample from an ACK of only non-ack-eliciting packets', () => {
      const { ld, rtt, send } = setup({ confirmed: true });
      send(Application, 0, 0, { ackEliciting: false });
      const r = ld.onAckReceived(Application, ack([[0, 0]]), 0, 50 * MS);
      assert.deepEqual(pns(r.newlyAcked), [0]);
      assert.equal(r.rttSampled, false);
      assert.equal(rtt.hasSample, false);
    });
  });

  describe('acknowledgment-based loss detection (§6.1)', () => {
    it('declares a packet lost three packets below the largest acknowledged', () => {
      const { ld, send } = setup({ confirmed: true });
      for (let pn = 0; pn < 5; pn++) send(Application, pn, pn * 10);
      const r1 = ld.onAckReceived(Application, ack([[3, 3]]), 0, 100 * MS + 30);
      assert.deepEqual(pns(r1.lost), [0]);
      // 1 and 2 wait for the time threshold (9/8 of the 100 ms RTT): the timer is 1's loss time.
      assert.equal(ld.timerDeadline, 10 + (9 / 8) * 100 * MS);
      const r2 = ld.onAckReceived(Application, ack([[3, 4]]), 0, 100 * MS + 40);
      assert.deepEqual(pns(r2.lost), [1]);
      assert.equal(ld.bytesInFlight, 1200, 'only packet 2 is still in flight');
    });

    it('declares a packet lost after 9/8 RTT by the timer', () => {
      const { ld, send } = setup({ confirmed: true });
      send(Application, 0, 0);
      send(Application, 1, 10 * MS);
      const r = ld.onAckReceived(Application, ack([[1, 1]]), 0, 110 * MS);
      assert.deepEqual(pns(r.lost), []);
      const lossTime = 0 + (9 / 8) * 100 * MS;
      assert.equal(ld.timerDeadline, lossTime);
      assert.deepEqual(pns(ld.onTimeout(lossTime - 1).lost), [], 'not before the deadline');
      const t = ld.onTimeout(lossTime);
      assert.deepEqual(pns(t.lost), [0]);
      assert.equal(t.probeSpace, null);
      assert.equal(t.recoveryStarted, true);
      assert.equal(ld.timerDeadline, Infinity);
      assert.equal(ld.bytesInFlight, 0);
      assert.equal(ld.stats.packetsLost, 1);
    });

    it('never uses a time threshold below kGranularity', () => {
      const { ld, send } = setup({ confirmed: true });
      send(Application, 0, 0);
      send(Application, 1, 10);
      ld.onAckReceived(Application, ack([[1, 1]]), 0, 110); // RTT 100 us
      assert.equal(ld.timerDeadline, 0 + 1 * MS);
    });

    it('hands lost packets to the controller once per recovery period', () => {
      const cc = new RecordingReno();
      const { ld, send } = setup({ confirmed: true, cc });
      for (let pn = 0; pn < 10; pn++) send(Application, pn, pn * 10);
      ld.onAckReceived(Application, ack([[4, 4]]), 0, 100 * MS); // 0, 1 lost
      ld.onAckReceived(Application, ack([[4, 5]]), 0, 101 * MS); // 2 lost, same period
      assert.deepEqual(cc.events, [
        `congestion(10,${100 * MS})=true`,
        `congestion(20,${101 * MS})=false`,
      ]);
      assert.equal(cc.window, 6000);
    });

    it('does not treat a lost PMTU probe as congestion', () => {
      const cc = new RecordingReno();
      const { ld, send } = setup({ confirmed: true, cc });
      send(Application, 0, 0, { pmtuProbe: true, size: 1500 });
      for (let pn = 1; pn < 5; pn++) send(Application, pn, pn * MS);
      const r = ld.onAckReceived(Application, ack([[1, 4]]), 0, 20 * MS);
      assert.deepEqual(pns(r.lost), [0]);
      assert.deepEqual(cc.events, []);
      assert.equal(ld.bytesInFlight, 0);
    });
  });

  describe('probe timeout (§6.2)', () => {
    it('arms the PTO from the last ack-eliciting packet and backs off exponentially', () => {
      const { ld, send } = setup({ probePackets: 2 });
      send(Initial, 0, 10 * MS);
      assert.equal(ld.timerDeadline, 10 * MS + 999 * MS, 'no max_ack_delay for Initial');
      let t = ld.onTimeout(ld.timerDeadline);
      assert.equal(t.probeSpace, Initial);
      assert.equal(t.probeCount, 2);
      assert.deepEqual(t.lost, [], 'a PTO declares nothing lost');
      assert.equal(ld.ptoCount, 1);
      assert.equal(ld.timerDeadline, 10 * MS + 2 * 999 * MS);
      t = ld.onTimeout(ld.timerDeadline);
      assert.equal(ld.ptoCount, 2);
      assert.equal(ld.timerDeadline, 10 * MS + 4 * 999 * MS);
      // A probe sent now restarts the timer from its send time.
      send(Initial, 1, 4 * S);
      assert.equal(ld.timerDeadline, 4 * S + 4 * 999 * MS);
      // An acknowledgment resets the backoff.
      ld.onAckReceived(Initial, ack([[1, 1]]), 0, 4 * S + 50 * MS);
      assert.equal(ld.ptoCount, 0);
      assert.equal(ld.timerDeadline, Infinity, 'nothing ack-eliciting in flight');
      assert.equal(ld.stats.ptoExpirations, 2);
    });

    it('probes the space whose PTO is earliest', () => {
      const { ld, send } = setup();
      send(Initial, 0, 0);
      send(Handshake, 0, 100 * MS);
      assert.equal(ld.onTimeout(999 * MS).probeSpace, Initial);
      ld.onAckReceived(Initial, ack([[0, 0]]), 0, 1 * S);
      // RTT sample 1 s: PTO = 1 + 4 * 0.5 = 3 s after the Handshake packet.
      assert.equal(ld.timerDeadline, 100 * MS + 3 * S);
      const t = ld.onTimeout(ld.timerDeadline);
      assert.equal(t.probeSpace, Handshake);
    });

    it('arms no Application Data PTO before handshake confirmation', () => {
      const { ld, rtt, send } = setup();
      send(Application, 0, 0);
      assert.equal(ld.timerDeadline, Infinity);
      rtt.maxAckDelay = 20 * MS;
      ld.onHandshakeConfirmed(5 * MS);
      assert.equal(ld.timerDeadline, 999 * MS + 20 * MS);
      const t = ld.onTimeout(ld.timerDeadline);
      assert.equal(t.probeSpace, Application);
      // max_ack_delay is backed off too.
      assert.equal(ld.timerDeadline, 2 * (999 * MS + 20 * MS));
    });

    it('sends one probe when configured so', () => {
      const { ld, send } = setup({ probePackets: 1 });
      send(Initial, 0, 0);
      assert.equal(ld.onTimeout(999 * MS).probeCount, 1);
    });

    it('does not arm the PTO while a server is at its amplification limit (§6.2.2.1)', () => {
      const amp = new AmplificationBudget(false);
      const { ld, send } = setup({ amplification: amp });
      amp.onDatagramReceived(1200);
      for (let pn = 0; pn < 3; pn++) {
        amp.onBytesSent(1200);
        send(Initial, pn, pn);
      }
      assert.equal(amp.isBlocked(), true);
      assert.equal(ld.timerDeadline, Infinity);
      amp.onDatagramReceived(1200);
      ld.rearm(2 * S);
      assert.equal(ld.timerDeadline, 2 + 999 * MS, 'already past: the owner fires it now');
      assert.equal(ld.onTimeout(2 * S).probeSpace, Initial);
    });

    it('arms the client anti-deadlock PTO until the server has validated the address', () => {
      const { ld, send } = setup({ isServer: false });
      send(Initial, 0, 0);
      ld.onAckReceived(Initial, ack([[0, 0]]), 0, 100 * MS);
      // Nothing in flight, but no Handshake ACK yet: the timer runs from now.
      const duration = 100 * MS + 4 * 50 * MS;
      assert.equal(ld.timerDeadline, 100 * MS + duration);
      let t = ld.onTimeout(ld.timerDeadline);
      assert.equal(t.probeSpace, Initial);
      assert.equal(t.probeCount, 1);
      ld.onHandshakeKeysAvailable();
      t = ld.onTimeout(ld.timerDeadline);
      assert.equal(t.probeSpace, Handshake);
      assert.equal(ld.ptoCount, 2);
      // An Initial ACK does not reset the client's backoff...
      send(Initial, 1, 2 * S);
      ld.onAckReceived(Initial, ack([[1, 1]]), 0, 2 * S + 100 * MS);
      assert.equal(ld.ptoCount, 2);
      // ...a Handshake ACK does, and then with nothing in flight no timer is needed.
      send(Handshake, 0, 3 * S);
      ld.onAckReceived(Handshake, ack([[0, 0]]), 0, 3 * S + 100 * MS);
      assert.equal(ld.ptoCount, 0);
      assert.equal(ld.timerDeadline, Infinity);
    });

    it('keeps the anti-deadlock PTO when only 0-RTT packets are in flight', () => {
      const { ld, send } = setup({ isServer: false });
      send(Initial, 0, 0);
      send(Application, 0, 1);
      ld.onAckReceived(Initial, ack([[0, 0]]), 0, 100 * MS);
      assert.ok(ld.timerDeadline < Infinity);
      assert.equal(ld.onTimeout(ld.timerDeadline).probeSpace, Initial);
    });
  });

  describe('persistent congestion (§7.6)', () => {
    // RFC 9002 §7.6.3's example, in seconds after T: 1 s between sends, PTO-sized period.
    const T = 1 * S;
    function exampleTimeline(options: { ackFive?: boolean; lastLost?: number } = {}) {
      const cc = new RecordingReno();
      const env = setup({ confirmed: true, cc });
      const { ld, rtt, send } = env;
      rtt.maxAckDelay = 200 * MS;
      rtt.update(600 * MS, 0, 0, true); // first RTT sample before the example starts
      send(Application, 1, T);
      ld.onAckReceived(Application, ack([[1, 1]]), 0, T + 0.6 * S);
      send(Application, 2, T + 1 * S);
      const lastLost = options.lastLost ?? 8;
      for (let pn = 3; pn <= lastLost; pn++) send(Application, pn, T + (pn - 1) * S);
      send(Application, 9, T + 11 * S);
      const ranges: [number, number][] =
        options.ackFive === true
          ? [
              [9, 9],
              [5, 5],
            ]
          : [[9, 9]];
      const r = ld.onAckReceived(Application, ack(ranges), 0, T + 11.2 * S);
      return { ...env, cc, r };
    }

    it('is established by the RFC example: packets 2-8 lost, 7 s > 3 PTO periods', () => {
      const { ld, rtt, cc, r } = exampleTimeline();
      assert.deepEqual(pns(r.lost), [2, 3, 4, 5, 6, 7, 8]);
      assert.ok(rtt.persistentCongestionDuration(3) < 7 * S);
      assert.equal(r.persistentCongestion, true);
      // Minimum window, then (§B.5 after §B.8) slow start for the packet this ACK delivered.
      assert.equal(cc.window, cc.minimumWindow + 1200);
      assert.equal(cc.events.at(-1), `persistent(${T + 11.2 * S})`);
      assert.equal(rtt.min, rtt.latest, `min_rtt ${rtt.min} restarts from ${rtt.latest}`);
      assert.equal(ld.stats.persistentCongestions, 1);
    });

    it('is not established when a packet in between was acknowledged', () => {
      const { r, cc, rtt } = exampleTimeline({ ackFive: true });
      // 2-4 and 6-8 are lost, 6 s apart, but 5 was delivered: two short periods.
      assert.deepEqual(pns(r.lost), [2, 3, 4, 6, 7, 8]);
      assert.ok(rtt.persistentCongestionDuration(3) < 6 * S);
      assert.equal(r.persistentCongestion, false);
      assert.ok(cc.window > cc.minimumWindow);
    });

    it('is not established when the lost period is too short', () => {
      const { r, rtt } = exampleTimeline({ lastLost: 5 });
      assert.ok(rtt.persistentCongestionDuration(3) > 3 * S);
      assert.equal(r.persistentCongestion, false);
    });

    it('needs an RTT sample taken before the lost packets were sent', () => {
      const cc = new RecordingReno();
      const { ld, send } = setup({ confirmed: true, cc });
      for (let pn = 0; pn < 8; pn++) send(Application, pn, pn * S);
      const r = ld.onAckReceived(Application, ack([[8 - 1, 8 - 1]]), 0, 7.1 * S);
      assert.equal(r.lost.length, 7);
      assert.equal(r.persistentCongestion, false);
    });
  });

  describe('ECN (§7.1, §B.7)', () => {
    it('treats an increased ECN-CE count as a congestion event', () => {
      const cc = new RecordingReno();
      const { ld, send } = setup({ confirmed: true, cc });
      send(Application, 0, 0);
      send(Application, 1, 1 * MS);
      send(Application, 2, 2 * MS);
      let r = ld.onAckReceived(Application, ack([[0, 0]], { ect0: 1, ect1: 0, ce: 0 }), 0, 50);
      assert.equal(r.recoveryStarted, false);
      r = ld.onAckReceived(Application, ack([[0, 1]], { ect0: 1, ect1: 0, ce: 1 }), 0, 60 * MS);
      assert.equal(r.recoveryStarted, true);
      assert.deepEqual(cc.events, [`congestion(${1 * MS},${60 * MS})=true`]);
      r = ld.onAckReceived(Application, ack([[0, 2]], { ect0: 1, ect1: 0, ce: 1 }), 0, 70 * MS);
      assert.equal(r.recoveryStarted, false, 'same count: no new event');
      assert.equal(ld.stats.ecnCongestionEvents, 1);
    });
  });

  describe('spurious losses', () => {
    it('reports late acknowledgments and undoes a reduction they alone caused', () => {
      const cc = new Cubic({ hystart: false });
      const { ld, send } = setup({ confirmed: true, cc });
      for (let pn = 0; pn < 6; pn++) send(Application, pn, pn * MS);
      const before = cc.window;
      const r1 = ld.onAckReceived(Application, ack([[3, 5]]), 0, 20 * MS);
      assert.deepEqual(pns(r1.lost), [0, 1, 2]);
      assert.ok(cc.window < before);
      // Packets 0 and 1 were only reordered: not yet every loss is spurious.
      const r2 = ld.onAckReceived(Application, ack([[0, 1]]), 0, 21 * MS);
      assert.deepEqual(pns(r2.ackedAfterLoss), [0, 1]);
      assert.deepEqual(pns(r2.newlyAcked), []);
      assert.ok(cc.window < before);
      ld.onAckReceived(Application, ack([[0, 5]]), 0, 22 * MS);
      assert.equal(cc.window, before);
      assert.equal(ld.stats.spuriousLosses, 3);
      assert.equal(ld.stats.congestionUndos, 1);
      assert.equal(ld.bytesInFlight, 0);
    });

    it('does not undo when one of the losses was real', () => {
      const cc = new Cubic({ hystart: false });
      const { ld, send } = setup({ confirmed: true, cc });
      for (let pn = 0; pn < 6; pn++) send(Application, pn, pn * MS);
      const before = cc.window;
      ld.onAckReceived(Application, ack([[3, 5]]), 0, 20 * MS);
      ld.onAckReceived(
        Application,
        ack([
          [0, 0],
          [3, 5],
        ]),
        0,
        21 * MS,
      );
      assert.ok(cc.window < before);
      assert.equal(ld.stats.congestionUndos, 0);
    });
  });

  describe('acknowledgments of packets never sent (RFC 9000 §13.1)', () => {
    it('raises PROTOCOL_VIOLATION above the largest sent, changing nothing', () => {
      const { ld, send } = setup({ confirmed: true });
      send(Application, 0, 0);
      send(Application, 1, 1);
      assert.throws(
        () => ld.onAckReceived(Application, ack([[0, 2]]), 0, 50 * MS),
        (e: unknown) => e instanceof QuicError && e.code === 0x0a && e.frameType === FrameType.ACK,
      );
      assert.equal(ld.bytesInFlight, 2400);
      assert.equal(ld.largestAcked(Application), -1);
      assert.throws(
        () => ld.onAckReceived(Handshake, ack([[0, 0]], { ect0: 0, ect1: 0, ce: 0 }), 0, 1),
        (e: unknown) => e instanceof QuicError && e.frameType === FrameType.ACK_ECN,
      );
    });

    it('raises PROTOCOL_VIOLATION for a deliberately skipped packet number', () => {
      const { ld, send } = setup({ confirmed: true });
      send(Application, 0, 0);
      ld.onPacketNumberSkipped(Application, 1);
      send(Application, 2, 1);
      assert.throws(() => ld.onAckReceived(Application, ack([[0, 2]]), 0, 9), QuicError);
      const r = ld.onAckReceived(
        Application,
        ack([
          [2, 2],
          [0, 0],
        ]),
        0,
        10 * MS,
      );
      assert.deepEqual(pns(r.newlyAcked), [0, 2]);
      assert.throws(() => ld.onPacketNumberSkipped(Application, 2), RangeError);
    });
  });

  describe('discarding keys (§6.4)', () => {
    it('removes the space from bytes in flight and re-arms the timer', () => {
      const { ld, send } = setup({ confirmed: true });
      send(Initial, 0, 0);
      send(Initial, 1, 0, { ackEliciting: false });
      send(Handshake, 0, 10 * MS);
      ld.onTimeout(999 * MS);
      assert.equal(ld.ptoCount, 1);
      assert.equal(ld.bytesInFlight, 2400);
      const dropped = ld.discardSpace(Initial, 1 * S);
      assert.deepEqual(pns(dropped), [0, 1]);
      assert.equal(ld.bytesInFlight, 1200);
      assert.equal(ld.ptoCount, 0);
      assert.equal(ld.timerDeadline, 10 * MS + 999 * MS, 'now from the Handshake packet');
      // The space is gone: ACKs are ignored, sending is a bug.
      assert.deepEqual(ld.onAckReceived(Initial, ack([[0, 0]]), 0, 2 * S).newlyAcked, []);
      assert.throws(() => send(Initial, 2, 2 * S), RangeError);
      assert.deepEqual(ld.discardSpace(Initial, 2 * S), []);
      ld.discardSpace(Handshake, 2 * S);
      assert.equal(ld.bytesInFlight, 0);
      assert.equal(ld.timerDeadline, Infinity);
    });

    it('drops 0-RTT packets when 0-RTT is rejected, keeping the space usable', () => {
      const { ld, send } = setup({ isServer: false });
      send(Initial, 0, 0);
      send(Application, 0, 1);
      send(Application, 1, 2);
      assert.deepEqual(pns(ld.onZeroRttRejected(50 * MS)), [0, 1]);
      assert.equal(ld.bytesInFlight, 1200);
      send(Application, 2, 60 * MS);
      assert.equal(ld.largestSent(Application), 2);
    });
  });

  describe('congestion reset on a path change (RFC 9000 §9.4)', () => {
    it('keeps reporting older packets but feeds only newer ones to the new controller', () => {
      const { ld, rtt, send } = setup({ confirmed: true });
      for (let pn = 0; pn < 8; pn++) send(Application, pn, pn);
      const fresh = new RecordingReno();
      rtt.reset();
      ld.resetCongestionState(fresh);
      assert.equal(ld.bytesInFlight, 0);
      send(Application, 8, 10 * MS);
      assert.equal(ld.bytesInFlight, 1200);
      // 0 is lost (threshold), 1-6 acknowledged late, 7 and 8 acknowledged.
      const r = ld.onAckReceived(Application, ack([[1, 8]]), 0, 60 * MS);
      assert.deepEqual(pns(r.newlyAcked), [1, 2, 3, 4, 5, 6, 7, 8]);
      assert.deepEqual(pns(r.lost), [0]);
      assert.equal(ld.bytesInFlight, 0);
      assert.deepEqual(fresh.events, [], 'the old packet loss is not the new path congestion');
      assert.equal(fresh.window, 12_000 + 1200, 'only packet 8 grows the new window');
      assert.equal(rtt.latest, 50 * MS, 'the sample comes from packet 8');
      // An ACK whose largest is an old packet gives no sample.
      const { ld: ld2, rtt: rtt2, send: send2 } = setup({ confirmed: true });
      send2(Application, 0, 0);
      rtt2.reset();
      ld2.resetCongestionState(new RecordingReno());
      assert.equal(ld2.onAckReceived(Application, ack([[0, 0]]), 0, 5 * MS).rttSampled, false);
      assert.equal(rtt2.hasSample, false);
    });
  });

  describe('bookkeeping', () => {
    it('counts only in-flight packets in bytes in flight and tells the controller', () => {
      const { ld, send, cc } = setup({ confirmed: true });
      send(Application, 0, 0, { ackEliciting: false, inFlight: false, size: 50 });
      send(Application, 1, 0, { ackEliciting: false, inFlight: true, size: 1200 });
      send(Application, 2, 0, { size: 1000 });
      assert.equal(ld.bytesInFlight, 2200);
      assert.equal(ld.hasAckElicitingInFlight(Application), true);
      ld.onAckReceived(Application, ack([[0, 2]]), 0, 10 * MS);
      assert.equal(ld.bytesInFlight, 0);
      assert.equal(cc.window, 12_000 + 2200, 'slow start counts only the in-flight packets');
      assert.equal(ld.stats.packetsAcked, 3);
      assert.equal(ld.stats.bytesAcked, 2250);
      assert.equal(ld.stats.packetsSent, 3);
    });

    it('passes the application-limited state to the controller (RFC 9002 §7.8)', () => {
      const cc = new RecordingReno();
      const { ld, send } = setup({ confirmed: true, cc });
      ld.appLimited = true;
      send(Application, 0, 0);
      ld.onAckReceived(Application, ack([[0, 0]]), 0, 10 * MS);
      assert.equal(cc.window, 12_000);
      ld.appLimited = false;
      send(Application, 1, 10 * MS);
      ld.onAckReceived(Application, ack([[0, 1]]), 0, 20 * MS);
      assert.equal(cc.window, 13_200);
    });

    it('lets go of the packets of the last outcomes once the owner releases them', () => {
      const { ld, send } = setup({ confirmed: true });
      send(Application, 0, 0);
      send(Application, 1, 10 * MS);
      const acked = ld.onAckReceived(Application, ack([[1, 1]]), 0, 110 * MS);
      assert.deepEqual(pns(acked.newlyAcked), [1]);
      const timedOut = ld.onTimeout(ld.timerDeadline);
      assert.deepEqual(pns(timedOut.lost), [0]);
      // The outcomes are reused objects: until released they keep the records reachable.
      assert.deepEqual(pns(acked.newlyAcked), [1]);
      ld.releaseOutcomes();
      assert.equal(acked.newlyAcked.length, 0);
      assert.equal(timedOut.lost.length, 0);
      assert.equal(ld.bytesInFlight, 0, 'releasing changes no recovery state');
      assert.equal(ld.stats.packetsLost, 1);
      assert.equal(ld.stats.packetsAcked, 1);
    });

    it('forgets old unacknowledged ACK-only packets', () => {
      const { ld, send } = setup({ confirmed: true });
      send(Application, 0, 0);
      ld.onAckReceived(Application, ack([[0, 0]]), 0, 10 * MS); // srtt 10 ms
      for (let pn = 1; pn <= 1000; pn++) {
        send(Application, pn, pn * 10 * MS, { ackEliciting: false, inFlight: false });
      }
      // Records older than three PTOs (~3 * (10 + 20 + 25) ms) are gone.
      const log = ld.log(Application);
      assert.ok(log.outstandingCount < 30, `${log.outstandingCount} records kept`);
      assert.equal(log.get(1000)!.pn, 1000);
    });
  });
});
