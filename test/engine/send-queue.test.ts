/**
 * SendQueue (src/engine/send-queue.ts): the order in which an engine's datagrams leave (held
 * back, stateless, then senders round robin), its bound on stateless datagrams, the drained
 * report, and releases that wait while a datagram is held back.
 */
import { strict as assert } from 'node:assert';
import { SendQueue, type DatagramSender } from '../../src/engine/send-queue.js';
import type { Transmit } from '../../src/util/address.js';

const REMOTE = { address: '127.0.0.1', port: 4433 };

function datagram(tag: number, size = 100): Transmit {
  return { data: new Uint8Array(size).fill(tag), remote: REMOTE };
}

/** A sender with `left` datagrams of its `tag`, of the `sizes` given (then 100 bytes). */
class Sender implements DatagramSender {
  constructor(
    readonly tag: number,
    public left: number,
    private readonly sizes: number[] = [],
  ) {}
  poll(): Transmit | null {
    if (this.left === 0) return null;
    this.left--;
    return datagram(this.tag, this.sizes.shift() ?? 100);
  }
}

function drain(q: SendQueue<Sender>): number[] {
  const out: number[] = [];
  for (let t = q.next(0); t !== null; t = q.next(0)) out.push(t.data[0]!);
  return out;
}

describe('SendQueue', () => {
  it('sends stateless datagrams first, then senders in turn, and reports each drained sender', () => {
    const drained: number[] = [];
    const q = new SendQueue<Sender>((s) => drained.push(s.tag));
    assert.equal(q.pending, false);
    const a = new Sender(1, 3);
    const b = new Sender(2, 2);
    q.add(a);
    q.add(b);
    q.add(a); // once in the queue
    q.addStateless(datagram(9));
    assert.equal(q.pending, true);
    assert.deepEqual(drain(q), [9, 1, 2, 1, 2, 1]);
    assert.deepEqual(drained, [2, 1]);
    assert.equal(q.pending, false);
  });

  it('skips a removed sender and bounds the stateless datagrams', () => {
    const q = new SendQueue<Sender>(() => {});
    const a = new Sender(1, 5);
    q.add(a);
    q.remove(a);
    for (let i = 0; i < 300; i++) q.addStateless(datagram(7));
    const out = drain(q);
    assert.equal(out.length, 256, 'at most 256 stateless datagrams wait');
    assert.ok(out.every((t) => t === 7));
    assert.equal(a.left, 5, 'the removed sender was not polled');
  });

  it('batches a sender, holds back what does not fit, and releases only without it', () => {
    const q = new SendQueue<Sender>(() => {});
    const a = new Sender(1, 3, [100, 100, 200]);
    const b = new Sender(2, 1);
    q.add(a);
    q.add(b);
    const first = q.nextBatch(0)!;
    assert.deepEqual([first.count, first.segmentSize, first.data[0]], [2, 100, 1]);
    // The batch polled a's third datagram, larger, which does not fit it: it is held back.
    const epoch = q.release.epoch;
    q.released();
    assert.equal(q.release.epoch, epoch, 'a held-back datagram blocks the release');
    const second = q.nextBatch(0)!;
    assert.deepEqual([second.count, second.data.length, second.data[0]], [1, 200, 1]);
    q.released();
    assert.equal(q.release.epoch, epoch + 1);
    assert.equal(q.nextBatch(0)!.data[0], 2);
    assert.equal(q.nextBatch(0), null);
  });
});
