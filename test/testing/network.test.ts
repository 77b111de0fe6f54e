import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { Network, type SansIoEndpoint, type Transmit } from '../../src/testing/network.js';
import { SeededRandom } from '../../src/util/random.js';
import { addressKey, type SocketAddress } from '../../src/util/address.js';

const A = { address: '10.0.0.1', port: 1000 };
const B = { address: '10.0.0.2', port: 2000 };

interface Received {
  at: number;
  local: string;
  from: string;
  bytes: Uint8Array;
  /** The array handed to handleDatagram (owned by the network, reused after the call). */
  data: Uint8Array;
}

/**
 * A scripted endpoint: sends what is queued at the next poll, or at a scheduled time; records
 * (a copy of) what arrives, then overwrites the buffer as an engine decrypting in place would.
 */
class Scripted implements SansIoEndpoint {
  readonly outbox: Transmit[] = [];
  readonly inbox: Received[] = [];
  readonly timeouts: number[] = [];
  /** Sends queued for a time: [time, transmit]. */
  readonly schedule: [number, Transmit][] = [];
  timer = Infinity;
  onDatagram?: (r: Received) => void;
  onTimeout?: (now: number) => void;

  handleDatagram(data: Uint8Array, local: SocketAddress, from: SocketAddress, now: number): void {
    const r = {
      at: now,
      local: addressKey(local),
      from: addressKey(from),
      bytes: data.slice(),
      data,
    };
    this.inbox.push(r);
    data.fill(0xee);
    this.onDatagram?.(r);
  }
  pollTransmit(): Transmit | null {
    return this.outbox.shift() ?? null;
  }
  nextTimeout(): number {
    return Math.min(this.timer, this.schedule[0]?.[0] ?? Infinity);
  }
  handleTimeout(now: number): void {
    this.timeouts.push(now);
    if (this.timer <= now) this.timer = Infinity;
    while (this.schedule.length > 0 && this.schedule[0]![0] <= now) {
      this.outbox.push(this.schedule.shift()![1]);
    }
    this.onTimeout?.(now);
  }
}

function bytes(n: number, fill: number): Uint8Array {
  return new Uint8Array(n).fill(fill);
}

function pair(net: Network): { a: Scripted; b: Scripted } {
  const a = new Scripted();
  const b = new Scripted();
  net.addEndpoint('a', a, A);
  net.addEndpoint('b', b, B);
  return { a, b };
}

describe('testing/network', () => {
  describe('datagram buffers', () => {
    it('delivers the bytes sent, of any size, though buffers are reused', () => {
      const net = new Network({ conditions: { delay: 1_000 } });
      const { a, b } = pair(net);
      const rng = new SeededRandom(3);
      const sent: Uint8Array[] = [];
      const sizes = [0, 1, 1200, 40, 1200, 5000, 1200, 3, 70_000, 1200];
      // One datagram every 2 ms: each arrives after the previous one's buffer went back.
      sizes.forEach((n, i) => {
        const data = rng.bytes(n);
        sent.push(data.slice());
        a.schedule.push([i * 2_000, { data, remote: B }]);
      });
      net.runFor(30_000);
      assert.deepEqual(
        b.inbox.map((r) => r.bytes),
        sent,
      );
    });

    it('hands the same buffer out again once the endpoint returned; an idle network lets go', () => {
      const net = new Network({ conditions: { delay: 1_000 } });
      const { a, b } = pair(net);
      a.schedule.push([0, { data: bytes(1200, 1), remote: B }]);
      a.schedule.push([2_000, { data: bytes(1200, 2), remote: B }]);
      net.runFor(5_000);
      assert.equal(b.inbox.length, 2);
      assert.equal(b.inbox[1]!.data, b.inbox[0]!.data, 'one pooled array');
      assert.deepEqual(b.inbox[1]!.bytes, bytes(1200, 2));
      // runFor ended with nothing left to do: the pool was emptied.
      a.outbox.push({ data: bytes(1200, 3), remote: B });
      net.runFor(5_000);
      assert.equal(b.inbox.length, 3);
      assert.notEqual(b.inbox[2]!.data, b.inbox[0]!.data, 'a new array after idling');
      assert.deepEqual(b.inbox[2]!.bytes, bytes(1200, 3));
    });

    it("does not deliver the sender's array: the sender's bytes stay as they were", () => {
      const net = new Network({ conditions: { delay: 1_000, corrupt: 1 } });
      const { a, b } = pair(net);
      const data = bytes(100, 7);
      a.outbox.push({ data, remote: B });
      net.runFor(5_000);
      assert.deepEqual(data, bytes(100, 7), 'neither corruption nor the receiver touched it');
      assert.equal(b.inbox.length, 1);
      assert.notDeepEqual(b.inbox[0]!.bytes, data, 'one bit flipped in the delivered copy');
      assert.equal(net.stats.corrupted, 1);
    });

    it('a duplicate is an independent copy of the (corrupted) datagram', () => {
      const net = new Network({ conditions: { delay: 1_000, duplicate: 1, corrupt: 1 } });
      const { a, b } = pair(net);
      a.outbox.push({ data: bytes(300, 9), remote: B });
      net.runFor(5_000);
      assert.equal(b.inbox.length, 2);
      // The receiver overwrote the first copy before the duplicate arrived.
      assert.deepEqual(b.inbox[1]!.bytes, b.inbox[0]!.bytes);
      assert.equal(b.inbox[1]!.at, b.inbox[0]!.at + 1);
      assert.notEqual(b.inbox[1]!.data, b.inbox[0]!.data);
    });

    it('a rate-limited link frees its queue as datagrams arrive', () => {
      // 1 Mbit/s and room for two 1000-byte datagrams: a third sent at once is dropped.
      const net = new Network({ conditions: { delay: 1_000, rate: 1e6, queueBytes: 2000 } });
      const { a, b } = pair(net);
      for (let i = 0; i < 3; i++) a.outbox.push({ data: bytes(1000, i), remote: B });
      net.runFor(30_000);
      assert.equal(net.stats.queueDrops, 1);
      assert.deepEqual(
        b.inbox.map((r) => r.at),
        [9_000, 17_000],
      );
      for (let i = 0; i < 2; i++) a.outbox.push({ data: bytes(1000, i), remote: B });
      net.runFor(30_000);
      assert.equal(net.stats.queueDrops, 1, 'the queue emptied');
      assert.equal(b.inbox.length, 4);
    });

    it('a link with an mtu drops larger datagrams, one direction only', () => {
      const net = new Network({ conditions: { delay: 1_000 } });
      const { a, b } = pair(net);
      // A 1,280-byte IPv4 link: 20 bytes of IP header and 8 of UDP leave 1,252 for the datagram.
      net.setConditions('a', 'b', { delay: 1_000, mtu: 1280 });
      for (const size of [1200, 1252, 1253, 1452])
        a.outbox.push({ data: bytes(size, 1), remote: B });
      b.outbox.push({ data: bytes(1452, 2), remote: A });
      net.runFor(5_000);
      assert.deepEqual(
        b.inbox.map((r) => r.bytes.length),
        [1200, 1252],
      );
      assert.equal(net.stats.lost, 2);
      assert.deepEqual(
        a.inbox.map((r) => r.bytes.length),
        [1452],
      );
    });

    it('counts 48 bytes of IPv6 and UDP headers to an IPv6 address', () => {
      const net = new Network({ conditions: { delay: 1_000, mtu: 1280 } });
      const a = new Scripted();
      const b = new Scripted();
      const A6 = { address: 'fd00::1', port: 1000 };
      const B6 = { address: 'fd00::2', port: 2000 };
      net.addEndpoint('a', a, A6);
      net.addEndpoint('b', b, B6);
      for (const size of [1232, 1233]) a.outbox.push({ data: bytes(size, 1), remote: B6 });
      net.runFor(5_000);
      assert.deepEqual(
        b.inbox.map((r) => r.bytes.length),
        [1232],
      );
    });

    it('setMtu changes one direction while datagrams flow, keeping the other conditions', () => {
      const net = new Network({ conditions: { delay: 1_000 } });
      const { a, b } = pair(net);
      net.setConditions('a', 'b', { delay: 2_000 });
      const send = (): void => {
        for (const size of [1200, 1452]) a.outbox.push({ data: bytes(size, 1), remote: B });
        b.outbox.push({ data: bytes(1452, 2), remote: A });
      };
      send();
      net.runFor(5_000);
      net.setMtu('a', 'b', 1280);
      send();
      net.runFor(5_000);
      assert.deepEqual(
        b.inbox.map((r) => [r.bytes.length, r.at]),
        [
          [1200, 2_000],
          [1452, 2_000],
          [1200, 7_000],
        ],
      );
      assert.equal(a.inbox.length, 2, 'the other direction is unchanged');
      net.setMtu('a', 'b', undefined);
      send();
      net.runFor(5_000);
      assert.equal(b.inbox.length, 5, 'the limit lifted');
    });
  });

  it('nextEventTime tells when the next delivery or timer is due, moving nothing', () => {
    const net = new Network({ conditions: { delay: 1_000 } });
    const { a, b } = pair(net);
    assert.equal(net.nextEventTime(), Infinity, 'idle');
    b.timer = 50_000;
    assert.equal(net.nextEventTime(), 50_000);
    a.outbox.push({ data: bytes(10, 1), remote: B });
    // A datagram waiting to be sent: due now (the endpoint's own timer says so in an engine;
    // here the network has not polled it yet, so the timer still rules).
    a.timer = 0;
    assert.equal(net.nextEventTime(), 0);
    assert.equal(a.outbox.length, 1, 'nothing was polled');
    assert.equal(net.step(), true);
    a.timer = Infinity;
    assert.equal(net.nextEventTime(), 1_000, 'the delivery in flight');
    assert.equal(b.inbox.length, 0);
  });

  describe('routes', () => {
    it('follows a NAT rebinding: new source address, the old one unreachable', () => {
      const net = new Network({ conditions: { delay: 1_000 } });
      const { a, b } = pair(net);
      a.outbox.push({ data: bytes(10, 1), remote: B });
      net.runFor(5_000);
      const outside = { address: '192.0.2.7', port: 7000 };
      net.rebind('a', outside);
      a.outbox.push({ data: bytes(10, 2), remote: B });
      b.outbox.push({ data: bytes(10, 3), remote: A });
      b.outbox.push({ data: bytes(10, 4), remote: outside });
      net.runFor(5_000);
      assert.deepEqual(
        b.inbox.map((r) => r.from),
        [addressKey(A), addressKey(outside)],
      );
      assert.deepEqual(
        a.inbox.map((r) => [r.local, r.bytes[0]]),
        [[addressKey(A), 4]],
        'only the datagram to the new external address arrives, at the internal one',
      );
    });

    it('a local address used for the first time becomes reachable', () => {
      const net = new Network({ conditions: { delay: 1_000 } });
      const { a, b } = pair(net);
      const second = { address: '10.0.0.1', port: 1001 };
      b.outbox.push({ data: bytes(10, 1), remote: second });
      net.runFor(5_000);
      assert.equal(a.inbox.length, 0, 'nobody there yet');
      assert.equal(net.stats.lost, 1);
      a.outbox.push({ data: bytes(10, 2), remote: B, local: second });
      net.runFor(5_000);
      assert.equal(b.inbox[0]!.from, addressKey(second));
      b.outbox.push({ data: bytes(10, 3), remote: second });
      net.runFor(5_000);
      assert.deepEqual(
        a.inbox.map((r) => [r.local, r.bytes[0]]),
        [[addressKey(second), 3]],
      );
    });

    it('an endpoint added later is reachable at once', () => {
      const net = new Network({ conditions: { delay: 1_000 } });
      const { a } = pair(net);
      const C = { address: '10.0.0.3', port: 3000 };
      a.outbox.push({ data: bytes(10, 1), remote: C });
      net.runFor(5_000);
      const c = new Scripted();
      net.addEndpoint('c', c, C);
      a.outbox.push({ data: bytes(10, 2), remote: C });
      net.runFor(5_000);
      assert.deepEqual(
        c.inbox.map((r) => r.bytes[0]),
        [2],
      );
    });

    it('new conditions apply to the next datagram, also when set from the onSend tap', () => {
      const net = new Network({ conditions: { delay: 1_000 } });
      const { a, b } = pair(net);
      a.outbox.push({ data: bytes(10, 1), remote: B });
      net.runFor(5_000);
      net.setConditions('a', 'b', { delay: 2_000 });
      a.outbox.push({ data: bytes(10, 2), remote: B });
      net.runFor(5_000);
      // Set while this datagram is on its way out: it already travels under them.
      net.onSend = () => net.setConditions('a', 'b', { delay: 3_000 });
      a.outbox.push({ data: bytes(10, 3), remote: B });
      net.runFor(5_000);
      assert.deepEqual(
        b.inbox.map((r) => r.at),
        [1_000, 7_000, 13_000],
      );
    });

    it('matches addresses by value, not by object', () => {
      const net = new Network({ conditions: { delay: 1_000 } });
      const { a, b } = pair(net);
      for (let i = 0; i < 3; i++) {
        a.outbox.push({ data: bytes(10, i), remote: { ...B }, local: { ...A } });
      }
      net.runFor(5_000);
      assert.equal(b.inbox.length, 3);
      assert.ok(b.inbox.every((r) => r.from === addressKey(A) && r.local === addressKey(B)));
    });
  });

  describe('timers', () => {
    it("asks again for the timeouts after a timer touched another endpoint's timer", () => {
      const net = new Network();
      const { a, b } = pair(net);
      a.timer = 5_000;
      // a's timer arms b's for the same instant: b fires in the same step.
      a.onTimeout = (now) => {
        b.timer = now;
      };
      assert.equal(net.step(), true);
      assert.equal(net.now, 5_000);
      assert.deepEqual(a.timeouts, [5_000]);
      assert.deepEqual(b.timeouts, [5_000]);
    });

    it('asks again after a delivery touched another endpoint', () => {
      const net = new Network({ conditions: { delay: 1_000 } });
      const { a, b } = pair(net);
      b.onDatagram = (r) => {
        a.timer = r.at;
      };
      a.outbox.push({ data: bytes(10, 1), remote: B });
      assert.equal(net.step(), true);
      assert.equal(net.now, 1_000);
      assert.deepEqual(a.timeouts, [1_000]);
      assert.deepEqual(b.timeouts, []);
    });
  });

  describe('determinism', () => {
    /**
     * Two scripted endpoints exchanging datagrams over every impairment, with a blackhole, a
     * rebinding, a new local address and new conditions on the way. The digest of everything
     * delivered (time, addresses, bytes) was recorded from the network before its per-datagram
     * costs were cut: the same seed must still give the same run.
     */
    function run(seed: number): { digest: string; now: number; stats: object } {
      const net = new Network({
        seed,
        conditions: {
          delay: 4_000,
          jitter: 2_000,
          loss: 0.05,
          burst: { enter: 0.02, leave: 0.3, lossInBad: 0.8 },
          reorder: 0.1,
          reorderDelay: 3_000,
          duplicate: 0.05,
          corrupt: 0.05,
          rate: 8e6,
          queueBytes: 12_000,
        },
      });
      const { a, b } = pair(net);
      const rng = new SeededRandom(seed + 100);
      for (let i = 0; i < 400; i++) {
        const at = Math.floor(rng.next() * 200_000);
        const size = rng.int(1400);
        b.schedule.push([at, { data: rng.bytes(size), remote: A }]);
      }
      b.schedule.sort((x, y) => x[0] - y[0]);
      let replies = 0;
      a.onDatagram = (r) => {
        // Answer every fourth datagram, from the second local address later on.
        if (++replies % 4 === 0) {
          const local = net.now > 120_000 ? { address: '10.0.0.1', port: 1001 } : undefined;
          a.outbox.push({ data: r.bytes.subarray(0, 60), remote: B, ...(local ? { local } : {}) });
        }
      };
      net.blackhole(30_000, 45_000, 'b', 'a');
      net.runFor(60_000);
      net.rebind('b', { address: '198.51.100.9', port: 9000 });
      net.runFor(30_000);
      net.setConditions('a', '*', { delay: 1_500, jitter: 500, duplicate: 0.1 });
      net.runFor(200_000);
      const h = createHash('sha256');
      for (const end of [a, b]) {
        for (const r of end.inbox) h.update(`${r.at}|${r.local}|${r.from}|`).update(r.bytes);
        h.update(end.timeouts.join(','));
      }
      return { digest: h.digest('hex').slice(0, 32), now: net.now, stats: { ...net.stats } };
    }

    it('the same seed gives the same run as before', () => {
      assert.deepEqual(run(1), {
        digest: 'bf3731f73b3d1ffc22028a33c7ef3ab2',
        now: 290_000,
        stats: {
          sent: 477,
          delivered: 325,
          lost: 177,
          corrupted: 15,
          duplicated: 25,
          queueDrops: 50,
          ceMarked: 0,
        },
      });
      assert.deepEqual(run(2), {
        digest: '2aabad0c002d5b4a6dd7ee0c3aaa0c7e',
        now: 290_000,
        stats: {
          sent: 473,
          delivered: 310,
          lost: 173,
          corrupted: 24,
          duplicated: 10,
          queueDrops: 42,
          ceMarked: 0,
        },
      });
    });
  });
});
