import assert from 'node:assert/strict';
import { sentFramesToQlog, transportError } from '../../src/conn/qlog-frames.js';
import { PnSpace } from '../../src/ack/pn-space.js';

// frameToQlog, sentFrameToQlog and transportParametersToQlog are checked against the qlog
// drafts' definitions in test/qlog/qlog-writer.test.ts.
describe('qlog frames', () => {
  it('names transport errors as qlog spells them, crypto errors by their code, others raw', () => {
    assert.deepEqual(transportError(0x0), { error: 'no_error' });
    assert.deepEqual(transportError(0xa), { error: 'protocol_violation' });
    assert.deepEqual(transportError(0x128), { error: 'crypto_error_0x128' });
    assert.deepEqual(transportError(0x4242), { error: 'unknown', error_code: 0x4242 });
  });

  it('lists the frames a sent packet described, leaving out those it does not describe', () => {
    assert.deepEqual(
      sentFramesToQlog([
        { k: 'none' },
        { k: 'crypto', space: PnSpace.Initial, offset: 0, length: 300 },
        { k: 'stream', streamId: 0, offset: 10, length: 5, fin: false },
      ] as Parameters<typeof sentFramesToQlog>[0]),
      [
        { frame_type: 'crypto', offset: 0, raw: { length: 300 } },
        { frame_type: 'stream', stream_id: 0, offset: 10, fin: false, raw: { length: 5 } },
      ],
    );
  });
});
