import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../src/util/bytes.js';

describe('util/bytes: hex', () => {
  it('toHex gives lowercase pairs for every byte value, and fromHex reads them back', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const hex = toHex(all);
    assert.equal(hex, Buffer.from(all).toString('hex'));
    assert.deepEqual(fromHex(hex), all);
    assert.equal(toHex(new Uint8Array(0)), '');
    assert.equal(toHex(all.subarray(250, 252)), 'fafb');
  });
});
