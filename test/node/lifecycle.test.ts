import assert from 'node:assert/strict';
import { Children, nodeArgsFor, waitExit } from './helpers.js';

const children = new Children();

describe('node adapter: clean shutdown', () => {
  after(() => children.killAll());

  it('leaves no timers or handles: a process that closes everything exits on its own', async () => {
    const child = children.spawn([
      process.execPath,
      ...nodeArgsFor(import.meta.url, './fixtures/close-child'),
    ]);
    // The bound is only a safety net: a process kept alive by a leaked handle never exits.
    const result = await waitExit(child, 15_000);
    assert.equal(
      result.killed,
      false,
      `the child did not exit on its own; stderr: ${result.stderr}`,
    );
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(lines[0], {
      echoed: 'ping',
      refused: 'ERR_QUIC_REFUSED',
      badCa: 'ERR_QUIC_CERTIFICATE',
    });
    assert.deepEqual(lines[1], { exiting: true });
  });
});
