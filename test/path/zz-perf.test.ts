import { SendControl } from '../../src/path/send-control.js';
import { SentPacket } from '../../src/ack/sent.js';
import { SeededRandom } from '../../src/util/random.js';
it('perf', () => {
  const sc = new SendControl<number>({ isServer: true, addressValidated: true, pacing: false, congestionController: 'cubic' });
  sc.onHandshakeConfirmed(0);
  const rng = new SeededRandom(1);
  let now = 0; let pn = 0;
  const rttUs = 20_000;
  const inflight: {pn: number, arrive: number}[] = [];
  const received: number[] = [];
  let acks = 0;
  const t0 = performance.now();
  let lost = 0;
  while (pn < 300_000) {
    while (sc.sendAllowance(now) >= 1200) {
      sc.onPacketSent(2, new SentPacket(pn, now, 1200, true, true, [pn]));
      if (rng.next() > 0.01) inflight.push({ pn, arrive: now + rttUs / 2 }); else lost++;
      pn++;
    }
    now += 50;
    while (inflight.length && inflight[0]!.arrive <= now) received.push(inflight.shift()!.pn);
    if (received.length >= 2) {
      // ACK frame: ranges over the last ~2000 received packet numbers (descending)
      const sorted = received.slice(-4000).sort((a, b) => b - a);
      const ranges: {smallest: number, largest: number}[] = [];
      for (const x of sorted) {
        const last = ranges[ranges.length - 1];
        if (last && last.smallest === x + 1) last.smallest = x;
        else if (!last || x < last.smallest) { if (ranges.length >= 32) break; ranges.push({ smallest: x, largest: x }); }
      }
      sc.onAckReceived(2, { kind: 'ack', ackDelay: 0, ranges }, 0, now + rttUs / 2);
      acks++;
      if (received.length > 8000) received.splice(0, 4000);
    }
    if (sc.timerDeadline() <= now) sc.onTimeout(now);
  }
  console.log('ms', (performance.now() - t0).toFixed(0), 'acks', acks, 'lost', lost, 'cwnd', sc.cwnd, 'stats', JSON.stringify(sc.stats));
});
