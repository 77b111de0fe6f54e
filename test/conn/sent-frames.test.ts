import assert from 'node:assert/strict';
import { PnSpace } from '../../src/ack/pn-space.js';
import { NOTHING, SentFrameList, type SentFrame } from '../../src/conn/sent-frames.js';

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
