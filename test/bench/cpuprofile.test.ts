import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { summarizeProfile, type CpuProfile } from '../../bench/lib/cpuprofile.js';
import { findRepoRoot } from '../../bench/lib/env.js';

const root = findRepoRoot();
const url = (rel: string): string => pathToFileURL(path.join(root, rel)).href;

/**
 * main -> seal (src/crypto) -> createCipheriv (node internal); main -> assemble (src/conn);
 * plus garbage collection and idle time. Samples: seal's child twice, assemble once, GC once,
 * idle once, each 1 ms apart.
 */
const profile: CpuProfile = {
  startTime: 0,
  endTime: 6000,
  nodes: [
    { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 }, children: [2, 6, 7] },
    {
      id: 2,
      callFrame: { functionName: 'main', url: url('dist/bench/main.js'), lineNumber: 10 },
      children: [3, 5],
    },
    {
      id: 3,
      callFrame: {
        functionName: 'seal',
        url: url('dist/src/crypto/node-provider.js'),
        lineNumber: 40,
      },
      children: [4],
    },
    { id: 4, callFrame: { functionName: 'createCipheriv', url: 'node:crypto', lineNumber: 99 } },
    {
      id: 5,
      callFrame: { functionName: 'buildPacket', url: url('src/conn/assemble.ts'), lineNumber: 200 },
    },
    { id: 6, callFrame: { functionName: '(garbage collector)', url: '', lineNumber: -1 } },
    { id: 7, callFrame: { functionName: '(idle)', url: '', lineNumber: -1 } },
  ],
  samples: [4, 4, 5, 6, 7, 1],
  timeDeltas: [0, 1000, 1000, 1000, 1000, 1000],
};

describe('bench: .cpuprofile summary', () => {
  it('charges self time per function and area, idle time apart', () => {
    const s = summarizeProfile(profile, 'test', 'fig.id');
    assert.equal(s.totalMs, 4);
    assert.equal(s.idleMs, 1);
    assert.deepEqual(
      s.top.map((t) => [t.name, t.location, t.selfMs]),
      [
        ['createCipheriv', 'node:crypto:100', 2],
        ['buildPacket', 'src/conn/assemble.ts', 1],
        ['(garbage collector)', '', 1],
      ],
    );
    assert.equal(s.top[0]!.selfPct, 50);
    assert.deepEqual(
      s.areas.map((a) => [a.area, a.selfMs]),
      [
        ['node:internal', 2],
        ['src/conn', 1],
        ['(garbage collector)', 1],
      ],
    );
  });

  it('charges node internals to the project function that called them', () => {
    const s = summarizeProfile(profile, 'test', 'fig.id');
    // The compiled dist/src/crypto/node-provider.js is reported as its TypeScript source.
    assert.deepEqual(s.topWithRuntime[0], {
      name: 'seal',
      location: 'src/crypto/node-provider.ts',
      selfMs: 2,
      selfPct: 50,
    });
  });

  it('falls back to hit counts when there is no sample timeline', () => {
    const p: CpuProfile = {
      startTime: 0,
      endTime: 4000,
      nodes: [
        {
          id: 1,
          callFrame: { functionName: 'a', url: url('src/x/a.ts'), lineNumber: 0 },
          hitCount: 3,
        },
        {
          id: 2,
          callFrame: { functionName: 'b', url: url('src/y/b.ts'), lineNumber: 0 },
          hitCount: 1,
        },
      ],
    };
    const s = summarizeProfile(p, 't', 'f');
    assert.deepEqual(
      s.top.map((t) => [t.name, t.selfMs]),
      [
        ['a', 3],
        ['b', 1],
      ],
    );
  });
});
