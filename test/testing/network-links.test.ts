import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import {
  Network,
  type LinkOptions,
  type SansIoEndpoint,
  type Transmit,
} from '../../src/testing/network.js';
import { createEnginePair } from '../../src/testing/pair.js';
import { addressKey, type SocketAddress } from '../../src/util/address.js';

/** The server, and the client's two local addresses (a multipath client). */
const S = { address: '10.0.0.1', port: 443 };
const C1 = { address: '10.0.0.2', port: 5000 };
const C2 = { address: '10.0.1.2', port: 5000 };

interface Arrival {
  at: number;
  local: string;
  from: string;
  size: number;
}

/** Sends datagrams queued for a time (from any local address); records arrivals. */
class Host implements SansIoEndpoint {
  readonly arrivals: Arrival[] = [];
  private readonly queue: [number, Transmit][] = [];
  private readonly ready: Transmit[] = [];
  /** Called for each arrival; what it returns is sent at once. */
  answer?: (a: Arrival, local: SocketAddress, from: SocketAddress) => Transmit | null;

  /** Queues `count` datagrams of `size` bytes from `local` to `remote`, one every `gap` µs. */
  sendAt(
    start: number,
    count: number,
    gap: number,
    local: SocketAddress,
    remote: SocketAddress,
    size = 1000,
  ): void {
    for (let i = 0; i < count; i++) {
      this.queue.push([start + i * gap, { data: new Uint8Array(size).fill(i), local, remote }]);
    }
    this.queue.sort((x, y) => x[0] - y[0]);
  }

  handleDatagram(data: Uint8Array, local: SocketAddress, from: SocketAddress, now: number): void {
    const a = { at: now, local: addressKey(local), from: addressKey(from), size: data.length };
    this.arrivals.push(a);
    const reply = this.answer?.(a, local, from);
    if (reply) this.ready.push(reply);
  }
  pollTransmit(): Transmit | null {
    return this.ready.shift() ?? null;
  }
  nextTimeout(): number {
    return this.queue[0]?.[0] ?? Infinity;
  }
  handleTimeout(now: number): void {
    while (this.queue.length > 0 && this.queue[0]![0] <= now)
      this.ready.push(this.queue.shift()![1]);
  }

  from(a: SocketAddress): Arrival[] {
    return this.arrivals.filter((x) => x.from === addressKey(a));
  }
}

function topology(links: LinkOptions[], seed = 1): { net: Network; server: Host; client: Host } {
  const net = new Network({ seed, conditions: { delay: 1_000 } });
  const server = new Host();
  const client = new Host();
  net.addEndpoint('server', server, S);
  net.addEndpoint('client', client, C1);
  for (const l of links) net.addLink(l);
  return { net, server, client };
}

describe('testing/network links', () => {
  it('each link has its own one-way delay and rate, and the other direction its own', () => {
    const { net, server, client } = topology([
      {
        name: 'fast',
        between: [[C1.address, S.address]],
        conditions: { delay: 5_000, rate: 8e6, queueBytes: 1e6 },
        reverse: { delay: 7_000 },
      },
      {
        name: 'slow',
        between: [[C2.address, S.address]],
        conditions: { delay: 50_000, rate: 0.8e6, queueBytes: 1e6 },
      },
    ]);
    // 100 datagrams of 1000 bytes on each link at once: 1 ms each at 8 Mbit/s, 10 ms at 0.8.
    client.sendAt(0, 100, 0, C1, S);
    client.sendAt(0, 100, 0, C2, S);
    server.answer = (a, local, from) =>
      a.at === 105_000 ? { data: new Uint8Array(10), local, remote: from } : null;
    net.runFor(2_000_000);
    const fast = server.from(C1).map((a) => a.at);
    const slow = server.from(C2).map((a) => a.at);
    assert.equal(fast.length, 100);
    assert.equal(slow.length, 100);
    assert.deepEqual(fast.slice(0, 3), [6_000, 7_000, 8_000]);
    assert.equal(fast.at(-1), 105_000);
    assert.deepEqual(slow.slice(0, 2), [60_000, 70_000]);
    assert.equal(slow.at(-1), 1_050_000);
    // The answer to the last datagram on the fast link took the reverse direction: 7 ms, no rate.
    assert.deepEqual(
      client.arrivals.map((a) => [a.at, a.local]),
      [[112_000, addressKey(C1)]],
    );
    const st = net.linkStats('fast');
    assert.equal(st.forward.delivered, 100);
    assert.equal(st.forward.deliveredBytes, 100_000);
    assert.equal(st.reverse.delivered, 1);
    assert.equal(net.linkStats('slow').forward.delivered, 100);
  });

  it('random loss, queue and MTU are per link', () => {
    const { net, server, client } = topology([
      { name: 'lossy', between: [[C1.address, S.address]], conditions: { loss: 0.2 } },
      {
        name: 'narrow',
        between: [[C2.address, S.address]],
        conditions: { rate: 1e6, queueBytes: 5_000, mtu: 1_100 },
      },
    ]);
    client.sendAt(0, 2_000, 100, C1, S);
    client.sendAt(0, 20, 0, C2, S); // a burst: 5 fit the queue
    client.sendAt(1_000_000, 1, 0, C2, S, 1_073); // 1,073 + 28 > 1,100: too large
    client.sendAt(1_000_000, 1, 0, C2, S, 1_072);
    net.runFor(3_000_000);
    const lossy = net.linkStats('lossy').forward;
    assert.equal(lossy.sent, 2_000);
    assert.equal(lossy.delivered + lossy.lost, 2_000);
    assert.ok(lossy.lost > 330 && lossy.lost < 470, `lost ${lossy.lost} of 2000 at 20 %`);
    assert.equal(server.from(C1).length, lossy.delivered);
    const narrow = net.linkStats('narrow').forward;
    assert.equal(narrow.queueDrops, 15);
    assert.equal(narrow.lost, 16);
    assert.deepEqual(
      server.from(C2).map((a) => a.size),
      [1000, 1000, 1000, 1000, 1000, 1072],
    );
  });

  it('a link takes precedence over node conditions; other address pairs keep them', () => {
    const { net, server, client } = topology([
      { name: 'second', between: [[C2.address, S.address]], conditions: { delay: 30_000 } },
    ]);
    net.setConditions('client', 'server', { delay: 2_000 });
    client.sendAt(0, 1, 0, C1, S);
    client.sendAt(0, 1, 0, C2, S);
    net.runFor(100_000);
    assert.deepEqual(
      server.arrivals.map((a) => [a.at, a.from]),
      [
        [2_000, addressKey(C1)],
        [30_000, addressKey(C2)],
      ],
    );
  });

  it('a socket-address end matches that port only', () => {
    const other = { address: C1.address, port: 6000 };
    const { net, server, client } = topology([
      { name: 'port', between: [[C1, S]], conditions: { delay: 20_000 } },
    ]);
    client.sendAt(0, 1, 0, C1, S);
    client.sendAt(0, 1, 0, other, S);
    net.runFor(100_000);
    assert.deepEqual(
      server.arrivals.map((a) => [a.at, a.from]),
      [
        [1_000, addressKey(other)],
        [20_000, addressKey(C1)],
      ],
    );
  });

  it('a failed link drops what enters it and what is on it, and comes back on schedule', () => {
    const { net, server, client } = topology([
      { name: 'a', between: [[C1.address, S.address]], conditions: { delay: 10_000 } },
      { name: 'b', between: [[C2.address, S.address]], conditions: { delay: 10_000 } },
    ]);
    net.failLink('a', 100_000, 200_000);
    net.failLink('a', 300_000, 350_000);
    // One datagram every 10 ms for 0.5 s on each link.
    client.sendAt(0, 50, 10_000, C1, S);
    client.sendAt(0, 50, 10_000, C2, S);
    net.runFor(1_000_000);
    const sentAt = (a: { at: number }): number => a.at - 10_000;
    const a = server.from(C1).map(sentAt);
    const inWindow = (t: number): boolean =>
      (t >= 90_000 && t < 200_000) || (t >= 290_000 && t < 350_000);
    // Lost: sent while the link was down, or sent up to 10 ms before and arriving while down.
    assert.deepEqual(
      a,
      Array.from({ length: 50 }, (_, i) => i * 10_000).filter((t) => !inWindow(t)),
    );
    assert.equal(server.from(C2).length, 50, 'the other link is unaffected');
    const st = net.linkStats('a');
    assert.equal(st.forward.downDrops, 50 - a.length);
    assert.equal(st.forward.lost, st.forward.downDrops);
    assert.throws(() => net.failLink('a', 5, 5), RangeError);
    assert.throws(() => net.failLink('nope', 0, 5), /no link named nope/);
  });

  it('address pairs on one link share its queue: a bottleneck', () => {
    const third = { address: '10.0.2.2', port: 7000 };
    const { net, server, client } = topology([
      {
        name: 'bottleneck',
        between: [
          [C1.address, S.address],
          [C2.address, S.address],
          [third.address, S.address],
        ],
        conditions: { delay: 10_000, rate: 10e6, queueBytes: 1e6 },
      },
    ]);
    // Three senders at 8 Mbit/s each (1000 bytes every 800 µs) for 1 s: 24 Mbit/s offered.
    for (const local of [C1, C2, third]) client.sendAt(0, 1_250, 800, local, S);
    net.runFor(1_000_000);
    const delivered = server.arrivals.length;
    // 10 Mbit/s for 0.99 s (after the 10 ms delay): 1,237 datagrams of 1000 bytes, shared.
    assert.equal(delivered, 1_237);
    for (const c of [C1, C2, third]) {
      const n = server.from(c).length;
      assert.ok(Math.abs(n - delivered / 3) <= 2, `${addressKey(c)}: ${n} of ${delivered}`);
    }
    assert.throws(
      () => net.addLink({ name: 'bottleneck', between: [[C1.address, S.address]] }),
      /exists already/,
    );
    assert.throws(() => net.addLink({ name: 'x', between: [] }), /joins no addresses/);
  });

  it('setLinkConditions changes a link under way, keeping its queue', () => {
    const { net, server, client } = topology([
      {
        name: 'l',
        between: [[C1.address, S.address]],
        conditions: { delay: 1_000, rate: 8e6, queueBytes: 1e6 },
      },
    ]);
    client.sendAt(0, 10, 0, C1, S);
    client.sendAt(100_000, 10, 0, C1, S);
    net.runFor(50_000);
    net.setLinkConditions('l', { delay: 5_000, rate: 0.8e6, queueBytes: 1e6 });
    net.runFor(1_000_000);
    const at = server.arrivals.map((a) => a.at);
    assert.deepEqual(at.slice(0, 2), [2_000, 3_000]);
    assert.deepEqual(at.slice(10, 12), [115_000, 125_000]);
  });

  describe('determinism', () => {
    function run(seed: number): string {
      const { net, server, client } = topology(
        [
          {
            name: 'a',
            between: [[C1.address, S.address]],
            conditions: { delay: 5_000, jitter: 3_000, loss: 0.1, rate: 5e6, queueBytes: 20_000 },
          },
          {
            name: 'b',
            between: [[C2.address, S.address]],
            conditions: {
              delay: 20_000,
              loss: 0.02,
              burst: { enter: 0.05, leave: 0.3 },
              reorder: 0.1,
              duplicate: 0.05,
              corrupt: 0.05,
            },
          },
        ],
        seed,
      );
      net.failLink('b', 200_000, 260_000);
      client.sendAt(0, 300, 1_000, C1, S, 900);
      client.sendAt(0, 300, 1_000, C2, S, 700);
      server.answer = (a, local, from) => ({ data: new Uint8Array(40), local, remote: from });
      net.runFor(1_000_000);
      const h = createHash('sha256');
      for (const host of [server, client]) {
        for (const a of host.arrivals) h.update(`${a.at}|${a.local}|${a.from}|${a.size};`);
      }
      h.update(JSON.stringify([net.stats, net.linkStats('a'), net.linkStats('b')]));
      return h.digest('hex');
    }

    it('the same seed gives the same run, another seed another one', () => {
      const one = run(7);
      assert.equal(run(7), one);
      assert.notEqual(run(8), one);
    });
  });

  it('carries a QUIC connection over a named link that fails and comes back', () => {
    const p = createEnginePair({
      links: [
        {
          name: 'path',
          between: [['10.0.0.2', '10.0.0.1']],
          conditions: { delay: 15_000, rate: 20e6, queueBytes: 64_000 },
        },
      ],
    });
    assert.ok(p.handshake());
    const server = p.serverConn()!;
    let received = 0;
    let fin = false;
    server.on('readable', (s) => {
      for (let r = s.read(); r; r = s.read()) {
        received += r.data.length;
        fin ||= r.fin;
      }
    });
    const size = 400_000;
    const s = p.conn.openStream(true)!;
    let written = 0;
    const data = new Uint8Array(size).fill(7);
    const pump = (): void => {
      if (written < size) written += s.write(data.subarray(written), true);
    };
    p.conn.on('writable', pump);
    pump();
    p.net.failLink('path', p.now + 50_000, p.now + 400_000);
    assert.ok(p.runUntil(() => fin, 20_000_000));
    assert.equal(received, size);
    const st = p.net.linkStats('path');
    assert.ok(st.forward.downDrops > 0, 'the failure dropped datagrams');
    assert.ok(st.forward.deliveredBytes > size);
    assert.ok(st.reverse.delivered > 0);
  });
});
