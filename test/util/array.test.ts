import { strict as assert } from 'node:assert';
import { emptyKeepingRoom } from '../../src/util/array.js';

describe('util/array emptyKeepingRoom', () => {
  it('empties the array in place, whatever its length, and it takes new elements', () => {
    for (const n of [0, 1, 3, 17, 1000]) {
      const a = Array.from({ length: n }, (_, i) => ({ i }));
      const same = a;
      emptyKeepingRoom(a);
      assert.equal(a, same);
      assert.equal(a.length, 0);
      assert.equal(a[0], undefined);
      a.push({ i: -1 });
      assert.deepEqual(a, [{ i: -1 }]);
    }
  });
});
