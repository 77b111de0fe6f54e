import assert from 'node:assert/strict';
import { diffHeap, groupHeap } from '../../bench/lib/heapsnapshot.js';

/** A snapshot in V8's layout: flat node records of [type, name, id, self_size, edge_count]. */
function snapshot(nodes: [type: number, name: number, size: number][]) {
  return {
    snapshot: {
      meta: {
        node_fields: ['type', 'name', 'id', 'self_size', 'edge_count'],
        node_types: [
          ['hidden', 'array', 'string', 'object', 'code', 'closure', 'regexp', 'number', 'native'],
        ] as [string[]],
      },
    },
    nodes: nodes.flatMap(([t, n, size], i) => [t, n, i + 1, size, 0]),
    strings: ['Connection', 'SentPacket', 'some text', 'Uint8Array'],
  };
}

describe('bench: heap snapshot summary', () => {
  it('groups objects by constructor and everything else by kind', () => {
    const g = groupHeap(
      snapshot([
        [3, 0, 400],
        [3, 1, 64],
        [3, 1, 64],
        [2, 2, 32],
        [1, 2, 16],
        [8, 3, 100],
      ]),
    );
    assert.deepEqual(g.get('Connection'), { name: 'Connection', count: 1, bytes: 400 });
    assert.deepEqual(g.get('SentPacket'), { name: 'SentPacket', count: 2, bytes: 128 });
    assert.deepEqual(g.get('(string)'), { name: '(string)', count: 1, bytes: 32 });
    assert.deepEqual(g.get('(array)'), { name: '(array)', count: 1, bytes: 16 });
    assert.deepEqual(g.get('Uint8Array'), { name: 'Uint8Array', count: 1, bytes: 100 });
  });

  it('reports what grew between two snapshots, largest first', () => {
    const before = groupHeap(
      snapshot([
        [3, 0, 400],
        [2, 2, 32],
      ]),
    );
    const after = groupHeap(
      snapshot([
        [3, 0, 400],
        [3, 0, 400],
        [3, 1, 64],
        [3, 1, 64],
      ]),
    );
    const d = diffHeap(before, after, 't', 'f', 2);
    assert.equal(d.totalBytes, 400 + 128 - 32);
    assert.deepEqual(d.top, [
      { name: 'Connection', count: 1, bytes: 400 },
      { name: 'SentPacket', count: 2, bytes: 128 },
    ]);
    assert.equal(d.units, 2);
  });
});
