import assert from 'node:assert/strict';
import { SentPacket } from '../../src/ack/sent.js';
import { Bbr } from '../../src/cc/bbr.js';
import type { BbrState } from '../../src/cc/bbr-params.js';
import { createCongestionController } from '../../src/cc/registry.js';
import { DeliveryRateSampler } from '../../src/path/delivery-rate.js';
import { FakeRtt, MDS } from './helpers.js';

const MS = 1000;

interface Flight {
  packet: SentPacket;
  /** When its ACK arrives, or when its loss is detected for a dropped packet. */
  at: number;
  dropped: boolean;
  /** Marked CE by the bottleneck's AQM. */
  ce?: boolean;
}

/**
 * A fake clock and a bottleneck of `bw` bytes per second with a base RTT and a drop-tail queue,
 * fed by the real delivery-rate sampler, calling the controller in the order loss detection
 * does: per-packet losses, then the rate sample, then the acknowledged packets.
 */
class Bottleneck {
  now = 0;
  readonly cc: Bbr;
  readonly rtt: FakeRtt;
  readonly sampler = new DeliveryRateSampler();
  readonly transitions: { state: BbrState; at: number; inflight: number; bdp: number }[] = [];
  private flights: Flight[] = [];
  /** Packets the AQM marked CE. */
  ceMarked = 0;

  private inflight = 0;
  private pn = 0;
  private linkFree = 0;
  private nextPaced = 0;

  constructor(
    public bw: number,
    public baseRtt: number,
    public queueLimit = Infinity,
    /** Mark CE (as an ECN AQM) above this many queued bytes; Infinity for none. */
    public ceAbove = Infinity,
  ) {
    this.cc = new Bbr({ maxDatagramSize: MDS, seed: 7 });
    this.rtt = new FakeRtt(baseRtt);
    this.rtt.min = Infinity;
    this.rtt.sampleCount = 0;
    this.transitions.push({ state: this.cc.mode, at: 0, inflight: 0, bdp: 0 });
  }

  get bytesInFlight(): number {
    return this.inflight;
  }

  /** Runs the bulk sender until `until` (virtual microseconds). */
  run(until: number): void {
    while (this.now < until) {
      this.sendWhatIsAllowed();
      const nextEvent = Math.min(this.flights[0]?.at ?? Infinity, this.nextSendTime());
      if (nextEvent > until) {
        this.now = until;
        return;
      }
      this.now = Math.max(this.now, nextEvent);
      this.deliverDue();
    }
  }

  /** Runs until the controller reaches `state`; returns the time, or -1 before `limit`. */
  runUntilState(state: BbrState, limit: number): number {
    while (this.now < limit) {
      this.run(Math.min(this.now + 1 * MS, limit));
      if (this.cc.mode === state) return this.now;
    }
    return -1;
  }

  private nextSendTime(): number {
    if (this.inflight + MDS > this.cc.window) return Infinity;
    return Math.max(this.nextPaced, this.now);
  }

  private sendWhatIsAllowed(): void {
    while (this.inflight + MDS <= this.cc.window && this.nextPaced <= this.now) {
      const p = new SentPacket(this.pn++, this.now, MDS, true, true, []);
      this.sampler.onPacketSent(p, this.inflight);
      this.inflight += MDS;
      this.cc.onPacketSent(MDS, this.now, this.inflight);
      this.nextPaced = this.now + Math.ceil((MDS * 1_000_000) / this.cc.pacingRate(this.rtt));
      // The queue in front of the link holds what it has not yet serialized.
      const start = Math.max(this.now, this.linkFree);
      const queued = ((start - this.now) * this.bw) / 1_000_000;
      if (queued + MDS > this.queueLimit) {
        // Detected lost about one RTT later (packet threshold on later ACKs).
        this.insert({ packet: p, at: this.now + this.baseRtt + 1, dropped: true });
        continue;
      }
      this.linkFree = start + (MDS * 1_000_000) / this.bw;
      this.insert({
        packet: p,
        at: Math.ceil(this.linkFree + this.baseRtt),
        dropped: false,
        ce: queued > this.ceAbove,
      });
      if (queued > this.ceAbove) this.ceMarked++;
    }
  }

  private insert(f: Flight): void {
    let i = this.flights.length;
    while (i > 0 && this.flights[i - 1]!.at > f.at) i--;
    this.flights.splice(i, 0, f);
  }

  private deliverDue(): void {
    const now = this.now;
    const acked: SentPacket[] = [];
    const lost: SentPacket[] = [];
    let ce = 0;
    while (this.flights.length > 0 && this.flights[0]!.at <= now) {
      const f = this.flights.shift()!;
      (f.dropped ? lost : acked).push(f.packet);
      if (f.ce === true) ce++;
    }
    if (acked.length === 0 && lost.length === 0) return;
    this.sampler.beginAck();
    for (const p of acked) {
      this.inflight -= p.size;
      this.sampler.onPacketAcked(p, now);
    }
    if (acked.length > 0) this.rtt.sample(now - acked[acked.length - 1]!.timeSent);
    for (const p of lost) {
      this.inflight -= p.size;
      this.sampler.onPacketLost(p.size);
      this.cc.onPacketLost(p, now, this.inflight);
    }
    if (lost.length > 0) this.cc.onCongestionEvent(lost[lost.length - 1]!.timeSent, now);
    // As loss detection does on a higher ECN-CE count (RFC 9002 §B.7).
    if (ce > 0) {
      this.cc.onEcnCongestion(ce, now, this.inflight);
      this.cc.onCongestionEvent(acked[acked.length - 1]!.timeSent, now);
    }
    const rs = this.sampler.generate(this.rtt.min === Infinity ? 0 : this.rtt.min);
    if (rs !== null) this.cc.onRateSample(rs, now, this.rtt, this.inflight);
    if (acked.length > 0) this.cc.onPacketsAcked(acked, now, this.rtt, false);
    const last = this.transitions[this.transitions.length - 1]!;
    if (last.state !== this.cc.mode) {
      this.transitions.push({
        state: this.cc.mode,
        at: now,
        inflight: this.inflight,
        bdp: this.cc.bdp,
      });
    }
  }
}

/** 10 Mbit/s and 40 ms: a BDP of 50 000 bytes. */
const BW = 1_250_000;
const RTT = 40 * MS;

describe('BBR (draft-ietf-ccwg-bbr)', () => {
  it('is registered as bbr, starts in Startup with the initial window, and paces', () => {
    const cc = createCongestionController('bbr', { maxDatagramSize: MDS });
    assert.ok(cc instanceof Bbr);
    assert.equal(cc.name, 'bbr');
    assert.equal(cc.mode, 'startup');
    assert.equal(cc.state, 'slow_start');
    assert.equal(cc.window, 12_000);
    assert.equal(cc.ssthresh, Infinity);
    // InitPacingRate: 2.77 * initial window / 1 ms before any RTT sample (§4.6.2).
    assert.equal(cc.pacingRate(new FakeRtt()), (2.77 * 12_000 * 1_000_000) / 1000);
    assert.throws(() => new Bbr({ initialWindow: 2 * MDS }), RangeError);
  });

  it('leaves Startup after three rounds without 25% bandwidth growth, drains to the BDP, then probes', () => {
    const sim = new Bottleneck(BW, RTT);
    const drainAt = sim.runUntilState('drain', 5_000_000);
    assert.ok(drainAt > 0, 'never left Startup');
    assert.ok(sim.cc.fullBandwidthReached);
    // The bandwidth estimate found the bottleneck (samples may exceed it by a packet's worth).
    assert.ok(Math.abs(sim.cc.maxBandwidth - BW) < 0.05 * BW, `max bw ${sim.cc.maxBandwidth}`);
    assert.ok(Math.abs(sim.cc.minRttEstimate - RTT) < 2 * MS);
    // Startup doubles per round from 12 kB to a 50 kB BDP: a few rounds, plus the three
    // plateau rounds; well under 15 round trips.
    assert.ok(drainAt < 15 * RTT, `drain at ${drainAt}`);
    sim.run(drainAt + 10 * RTT);
    const d = sim.transitions.findIndex((t) => t.state === 'drain');
    const exit = sim.transitions[d + 1]!;
    // Drain enters ProbeBW_DOWN, which goes on to CRUISE in the same ACK when inflight is
    // already at the BDP.
    assert.ok(exit.state === 'probe_bw_down' || exit.state === 'probe_bw_cruise', exit.state);
    // Drain ends when inflight is down to the BDP, not by its three-round limit (§4.3.2).
    assert.ok(exit.inflight <= exit.bdp, JSON.stringify(exit));
    assert.ok(exit.at - drainAt <= 3 * RTT, `drained in ${exit.at - drainAt} us`);
    // Startup's queue (inflight well above the BDP) is what Drain removed.
    assert.ok(sim.transitions[d]!.inflight > 1.5 * exit.bdp);
  });

  it('cycles ProbeBW through DOWN, CRUISE, REFILL and UP', () => {
    const sim = new Bottleneck(BW, RTT, 100_000);
    sim.run(4_900_000);
    const states = sim.transitions.map((t) => t.state);
    const start = states.indexOf('probe_bw_down');
    assert.ok(start > 0);
    const cycle = states.slice(start);
    const order: BbrState[] = [
      'probe_bw_down',
      'probe_bw_cruise',
      'probe_bw_refill',
      'probe_bw_up',
    ];
    assert.ok(cycle.length >= 5, cycle.join(' '));
    for (let i = 1; i < cycle.length; i++) {
      const from = order.indexOf(cycle[i - 1]!);
      const to = order.indexOf(cycle[i]!);
      // Each step is the next sub-state, except that UP and REFILL may go straight to DOWN
      // (loss) and DOWN straight to REFILL (time to probe before reaching cruise).
      const next = (from + 1) % 4;
      assert.ok(
        to === next || to === 0 || (from === 0 && to === 2),
        `unexpected ${cycle[i - 1]} -> ${cycle[i]} in ${cycle.join(' ')}`,
      );
    }
    assert.ok(cycle.includes('probe_bw_up') && cycle.includes('probe_bw_cruise'));
  });

  it('enters ProbeRTT after 5 s without a new min RTT and leaves after 200 ms and a round', () => {
    const sim = new Bottleneck(BW, RTT);
    const entered = sim.runUntilState('probe_rtt', 8_000_000);
    assert.ok(entered > 5_000_000 && entered < 5_500_000, `entered at ${entered}`);
    let minCwnd = Infinity;
    let left = -1;
    while (sim.now < entered + 2_000_000) {
      sim.run(sim.now + 1 * MS);
      if (sim.cc.mode === 'probe_rtt') minCwnd = Math.min(minCwnd, sim.cc.window);
      else {
        left = sim.now;
        break;
      }
    }
    // ProbeRTT's window: half the BDP, at least 4 packets (§4.3.4).
    assert.ok(minCwnd <= Math.max(25_000, 4 * MDS) + MDS, `cwnd ${minCwnd}`);
    assert.ok(left - entered >= 200 * MS, `left after ${left - entered}`);
    assert.ok(left - entered <= 200 * MS + 3 * RTT, `left after ${left - entered}`);
    // The pipe was full before: it goes back to cruising (§4.3.4.4 ExitProbeRTT).
    assert.equal(sim.cc.mode, 'probe_bw_cruise');
  });

  it('leaves Startup on high loss and caps inflight_longterm', () => {
    // Hand-driven: one clean round, then a round losing 7 of 20 packets.
    const cc = new Bbr({ maxDatagramSize: MDS });
    const sampler = new DeliveryRateSampler();
    const rtt = new FakeRtt(100 * MS);
    let inflight = 0;
    let pn = 0;
    const send = (count: number, now: number): SentPacket[] =>
      Array.from({ length: count }, () => {
        const p = new SentPacket(pn++, now, MDS, true, true, []);
        sampler.onPacketSent(p, inflight);
        inflight += MDS;
        cc.onPacketSent(MDS, now, inflight);
        return p;
      });
    const ackAndLose = (acked: SentPacket[], lost: SentPacket[], now: number): void => {
      sampler.beginAck();
      for (const p of acked) {
        inflight -= MDS;
        sampler.onPacketAcked(p, now);
      }
      for (const p of lost) {
        inflight -= MDS;
        sampler.onPacketLost(MDS);
        cc.onPacketLost(p, now, inflight);
      }
      rtt.sample(100 * MS);
      cc.onRateSample(sampler.generate(rtt.min)!, now, rtt, inflight);
      cc.onPacketsAcked(acked, now, rtt, false);
    };
    ackAndLose(send(10, 0), [], 100 * MS);
    assert.equal(cc.mode, 'startup');
    const second = send(20, 100 * MS);
    ackAndLose(second.slice(7), second.slice(0, 7), 200 * MS);
    assert.equal(cc.fullBandwidthReached, true);
    // Nothing is left in flight, so Drain is over at once too.
    assert.notEqual(cc.mode, 'startup');
    assert.notEqual(cc.inflightBounds.longterm, Infinity);
  });

  it('keeps a lossy bottleneck queue bounded and lowers inflight_longterm on loss', () => {
    // A queue of a fifth of the BDP: Startup overshoots it and loses packets.
    const sim = new Bottleneck(BW, RTT, 10_000);
    sim.run(3_000_000);
    assert.notEqual(sim.cc.inflightBounds.longterm, Infinity);
    assert.ok(sim.cc.inflightBounds.longterm < 3 * 50_000);
    assert.ok(sim.cc.mode.startsWith('probe_bw'), sim.cc.mode);
  });

  it('treats CE marks as congestion (draft §ECN): marks bound inflight as losses do', () => {
    // A deep buffer: without marks nothing sets the inflight bounds; with an AQM marking above
    // a tenth of the BDP, CE-marked packets count as lost bytes of the round (onEcnCongestion).
    const plain = new Bottleneck(BW, RTT);
    plain.run(4_000_000);
    const marked = new Bottleneck(BW, RTT, Infinity, 5_000);
    marked.run(4_000_000);
    assert.equal(plain.ceMarked, 0);
    assert.ok(marked.ceMarked > 0);
    assert.equal(plain.cc.inflightBounds.shortterm, Infinity);
    assert.notEqual(marked.cc.inflightBounds.shortterm, Infinity);
    assert.notEqual(marked.cc.inflightBounds.longterm, Infinity);
    assert.equal(plain.cc.inflightBounds.longterm, Infinity);
  });
});
