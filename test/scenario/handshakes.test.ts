import assert from 'node:assert/strict';
import { type EnginePair, createEnginePair } from '../../src/testing/index.js';

function handshake(p: EnginePair, maxUs = 60_000_000): boolean {
  let done = false;
  p.conn.on('handshakeDone', () => (done = true));
  return p.net.runUntil(() => done && p.serverConn()?.state === 'established', maxUs);
}

for (const cc of ['newreno', 'cubic']) {
  describe(`scenario: handshakes under adverse conditions (${cc})`, () => {
    it('50 handshakes at 30% loss all complete', function () {
      this.timeout(60_000);
      for (let seed = 1; seed <= 50; seed++) {
        const p = createEnginePair({
          seed,
          conditions: { loss: 0.3, delay: 15_000 },
          client: { congestionControl: cc },
        });
        assert.ok(handshake(p), `handshake ${seed} completes`);
      }
    });

    it('50 handshakes at 30% corruption all complete', function () {
      this.timeout(60_000);
      for (let seed = 1; seed <= 50; seed++) {
        const p = createEnginePair({
          seed,
          conditions: { corrupt: 0.3, delay: 15_000 },
          client: { congestionControl: cc },
        });
        assert.ok(handshake(p), `handshake ${seed} completes`);
      }
    });
  });
}
