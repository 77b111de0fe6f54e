import assert from 'node:assert/strict';
import {
  STATIC_TABLE,
  STATIC_TABLE_SIZE,
  staticExactIndex,
  staticNameIndex,
} from '../../src/h3/qpack/static-table.js';
import { loadVector } from '../vectors.js';

describe('h3/qpack/static-table', () => {
  it('matches the RFC 9204 Appendix A vector entry for entry', () => {
    const entries = loadVector('qpack-static-table.json').entries as [number, string, string][];
    assert.equal(STATIC_TABLE_SIZE, 99);
    assert.equal(entries.length, STATIC_TABLE_SIZE);
    for (const [index, name, value] of entries) {
      assert.deepEqual(STATIC_TABLE[index], [name, value], `entry ${index}`);
    }
  });

  it('finds exact matches and names', () => {
    assert.equal(staticExactIndex(':method', 'GET'), 17);
    assert.equal(staticExactIndex(':status', '200'), 25);
    assert.equal(staticExactIndex('accept', '*/*'), 29);
    assert.equal(staticExactIndex(':method', 'PATCH'), -1);
    assert.equal(staticExactIndex('x-unknown', ''), -1);
    // Names that occur more than once resolve to their first index.
    assert.equal(staticNameIndex(':method'), 15);
    assert.equal(staticNameIndex(':status'), 24);
    assert.equal(staticNameIndex('authorization'), 84);
    assert.equal(staticNameIndex('x-unknown'), -1);
  });

  it('gives every entry its own exact index', () => {
    STATIC_TABLE.forEach(([name, value], index) => {
      assert.equal(staticExactIndex(name, value), index);
    });
  });
});
