import assert from 'node:assert/strict';
import { DynamicTable, entrySize } from '../../src/h3/qpack/dynamic-table.js';

describe('h3/qpack/dynamic-table', () => {
  it('sizes entries as name + value + 32 (RFC 9204 §3.2.1)', () => {
    assert.equal(entrySize(':authority', 'www.example.com'), 57);
    assert.equal(entrySize('', ''), 32);
  });

  it('inserts with absolute indices and evicts oldest first', () => {
    const evicted: number[] = [];
    const t = new DynamicTable((abs) => evicted.push(abs));
    t.setCapacity(220);
    assert.equal(t.insert(':authority', 'www.example.com'), 0);
    assert.equal(t.insert(':path', '/sample/path'), 1);
    assert.equal(t.insert('custom-key', 'custom-value'), 2);
    assert.equal(t.insert(':authority', 'www.example.com'), 3);
    assert.equal(t.size, 217);
    assert.deepEqual(evicted, []);
    assert.equal(t.evictionEnd(entrySize('custom-key', 'custom-value2')), 1);
    assert.equal(t.evictionEnd(3), 0);
    t.insert('custom-key', 'custom-value2');
    assert.deepEqual(evicted, [0]);
    assert.equal(t.size, 215);
    assert.equal(t.has(0), false);
    assert.equal(t.has(1), true);
    assert.equal(t.has(5), false);
    assert.equal(t.name(4), 'custom-key');
    assert.equal(t.value(4), 'custom-value2');
    assert.equal(t.length, 4);
    assert.throws(() => t.insert('x', 'y'.repeat(200)), RangeError);
  });

  it('evicts on capacity reduction and can be cleared and reused', () => {
    const t = new DynamicTable();
    t.setCapacity(100);
    t.insert('a', '1');
    t.insert('b', '2');
    t.setCapacity(40);
    assert.equal(t.length, 1);
    assert.equal(t.name(1), 'b');
    t.setCapacity(0);
    assert.equal(t.length, 0);
    assert.equal(t.droppedCount, 2);
    t.setCapacity(100);
    assert.equal(t.insert('c', '3'), 2);
  });

  it('keeps order and contents across ring-buffer growth and wrap-around', () => {
    const t = new DynamicTable();
    t.setCapacity(33 * 40);
    for (let i = 0; i < 1000; i++) {
      t.insert(String.fromCharCode(97 + (i % 26)), '');
      assert.ok(t.length <= 40);
      for (let abs = t.droppedCount; abs < t.insertCount; abs++) {
        assert.equal(t.name(abs), String.fromCharCode(97 + (abs % 26)));
      }
    }
    assert.equal(t.insertCount, 1000);
    assert.equal(t.droppedCount, 960);
  });
});
