import assert from 'node:assert/strict';
import { PnSpace } from '../../src/ack/pn-space.js';
import { NOTHING, SentFrameList, type SentFrame } from '../../src/conn/sent-frames.js';
import { createEnginePair } from '../../src/testing/pair.js';

describe('conn/sent-frames: the frame descriptors of a sent packet (RFC 9000 §13.3)', () => {
  const stream: SentFrame = { k: 'stream', streamId: 0, offset: 0, length: 100, fin: false };
  const crypto: SentFrame = { k: 'crypto', space: PnSpace.Handshake, offset: 10, length: 20 };
  const ack: SentFrame = { k: 'ack', space: PnSpace.Application, largest: 9 };

  it('take hands out the frames pushed, in order, as an exact-size array', () => {
    const l = new SentFrameList();
    l.push(stream);
    l.push(crypto);
    l.push(NOTHING);
    assert.equal(l.length, 3);
    const out = l.take();
    assert.deepEqual(out, [stream, crypto, NOTHING]);
    assert.equal(out.length, 3);
  });

  it('starts empty again after take, and the record taken is not changed by the next packet', () => {
    const l = new SentFrameList();
    l.push(stream);
    l.push(crypto);
    const first = l.take();
    assert.equal(l.length, 0);
    l.push(ack);
    const second = l.take();
    // The list reuses its storage: the first packet's record must be a copy, not a view.
    assert.deepEqual(first, [stream, crypto]);
    assert.deepEqual(second, [ack]);
    assert.notEqual(first, second);
  });

  it('an empty packet takes an empty record', () => {
    const l = new SentFrameList();
    assert.deepEqual(l.take(), []);
    l.push(stream);
    l.take();
    assert.deepEqual(l.take(), [], 'nothing left over from the previous packet');
  });

  it('NOTHING is the one descriptor of frames with nothing to redo (PING, PADDING)', () => {
    assert.deepEqual(NOTHING, { k: 'none' });
  });
});

describe('conn/sent-frames: descriptor arrays recycled from acknowledged packets', () => {
  const stream: SentFrame = { k: 'stream', streamId: 4, offset: 0, length: 100, fin: false };
  const ack: SentFrame = { k: 'ack', space: PnSpace.Application, largest: 9 };

  it('take hands a recycled array of the same length out again, refilled, its old descriptors gone', () => {
    const l = new SentFrameList();
    l.push(stream);
    l.push(ack);
    const first = l.take();
    l.recycle(first);
    // Recycled: the acknowledged packet's descriptors are let go at once.
    assert.deepEqual(first, [NOTHING, NOTHING]);
    l.push(ack);
    const one = l.take();
    assert.notEqual(one, first, 'an array of another length is not reused');
    l.push(NOTHING);
    l.push(stream);
    const again = l.take();
    assert.equal(again, first, 'the recycled array is reused');
    assert.deepEqual(again, [NOTHING, stream]);
    // Not recycled twice: the next two-descriptor packet gets its own array.
    l.push(stream);
    l.push(stream);
    const other = l.take();
    assert.notEqual(other, again);
    assert.deepEqual(again, [NOTHING, stream], 'the live record is untouched by the next packet');
  });

  it('empty and long records are not pooled', () => {
    const l = new SentFrameList();
    const empty = l.take();
    l.recycle(empty);
    assert.notEqual(l.take(), empty);
    for (let i = 0; i < 6; i++) l.push(stream);
    const long = l.take();
    l.recycle(long);
    for (let i = 0; i < 6; i++) l.push(ack);
    assert.notEqual(l.take(), long);
    assert.deepEqual(long, [stream, stream, stream, stream, stream, stream]);
  });

  it('in a lossy upload, no two packets in flight share a descriptor array and every byte arrives', () => {
    const size = 600_000;
    const pair = createEnginePair({ seed: 7, conditions: { delay: 5_000, loss: 0.03 } });
    assert.ok(pair.handshake());
    const client = pair.conn;
    const data = new Uint8Array(size);
    for (let i = 0; i < size; i++) data[i] = (i * 7 + (i >> 8)) & 0xff;
    const got = new Uint8Array(size);
    let received = 0;
    let fin = false;
    pair.serverConn()!.on('readable', (s) => {
      for (let r = s.read(); r; r = s.read()) {
        got.set(r.data, received);
        received += r.data.length;
        if (r.fin) fin = true;
      }
    });
    const s = client.openStream(true)!;
    let written = 0;
    const pump = (): void => {
      while (written < size) {
        const n = s.write(data.subarray(written), true);
        if (n === 0) return;
        written += n;
      }
    };
    client.on('writable', pump);
    pump();
    const log = client.path.sendControl.lossDetection.log(PnSpace.Application);
    let checks = 0;
    let shared = '';
    const done = pair.runUntil(() => {
      const inFlight = log.outstandingPackets();
      const arrays = new Set(inFlight.map((p) => p.frames));
      if (arrays.size !== inFlight.length && shared === '') {
        shared = `${inFlight.length - arrays.size} shared among ${inFlight.length} packets`;
      }
      checks++;
      return fin || shared !== '';
    }, 60_000_000);
    assert.equal(shared, '', 'a recycled array reached a packet while another still held it');
    assert.ok(done && fin, `upload stopped at ${received} of ${size} bytes`);
    assert.ok(checks > 100);
    assert.equal(received, size);
    assert.deepEqual(got, data);
    assert.ok(client.stats.packetsLost > 0, 'the upload lost packets (their frames were requeued)');
  });
});
