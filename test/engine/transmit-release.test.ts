/**
 * Engine.releaseTransmits (src/util/transmit-release.ts): once the caller says it holds none of
 * the datagrams it polled, packet assembly writes their memory again instead of allocating. The
 * in-memory network releases after each flush (it copies what it delivers), as the Node endpoint
 * does once its socket sent everything; a caller that never releases gets fresh memory.
 */
import { strict as assert } from 'node:assert';
import { createEnginePair } from '../../src/testing/index.js';
import { transfer } from '../scenario/transfer-kit.js';

/** Slabs allocated (uninitializedBytes) and the outcome of a 2 MB download. */
function download(release: boolean): { slabs: number; complete: boolean } {
  const original = Buffer.allocUnsafeSlow;
  let slabs = 0;
  Buffer.allocUnsafeSlow = ((size: number) => {
    slabs++;
    // Poisoned: a datagram written again while still referenced would not arrive intact.
    return original(size).fill(0x5a);
  }) as typeof Buffer.allocUnsafeSlow;
  try {
    const p = createEnginePair({ seed: 3, conditions: { delay: 5000, loss: 0.01 } });
    if (!release) {
      p.server.releaseTransmits = () => {};
      p.client.releaseTransmits = () => {};
    }
    const r = transfer(p, 10_000, 2_000_000);
    return { slabs, complete: r.done && r.up.complete && r.down.complete };
  } finally {
    Buffer.allocUnsafeSlow = original;
  }
}

describe('engine: releaseTransmits', () => {
  it('released datagrams are written again: a 2 MB download, byte for byte, on few slabs', () => {
    const kept = download(false);
    const released = download(true);
    assert.ok(kept.complete, 'without releases');
    assert.ok(released.complete, 'with releases');
    assert.ok(kept.slabs > 10, `${kept.slabs} slabs without releases`);
    assert.ok(
      released.slabs * 2 < kept.slabs,
      `${released.slabs} slabs with releases against ${kept.slabs} without`,
    );
  });
});
