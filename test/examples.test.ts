/**
 * Every program in examples/ runs and prints what it promises, so the examples (and the README
 * snippets they back) cannot rot. Each runs as a child process, bounded in time.
 */
import assert from 'node:assert/strict';
import { Children, nodeArgsFor, waitExit } from './node/helpers.js';

const EXAMPLES: [name: string, expected: RegExp][] = [
  ['echo', /^echoed: hello over QUIC$/m],
  ['sans-io', /^received 100000 bytes$/m],
  ['h3', /^200 text\/plain GET \/hello \(0 bytes\)\n200 POST \/upload \(100000 bytes\)$/m],
  // Some datagrams must have been lost, or the example shows nothing.
  ['lossy', /^1048576 bytes arrived intact over a lossy link\n[1-9]\d* of \d+ datagrams lost/m],
];

describe('examples/', function () {
  this.timeout(40_000);
  const children = new Children();
  after(() => children.killAll());

  for (const [name, expected] of EXAMPLES) {
    it(`${name} runs and prints its result`, async () => {
      const r = await waitExit(
        children.spawn([process.execPath, ...nodeArgsFor(import.meta.url, `../examples/${name}`)]),
        30_000,
      );
      assert.equal(r.code, 0, `exit ${r.code ?? r.signal}\n${r.stderr}`);
      assert.match(r.stdout, expected, r.stdout);
    });
  }
});
