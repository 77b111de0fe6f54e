import assert from 'node:assert/strict';
import { createEnginePair } from '../../src/testing/index.js';
import { transfer } from './transfer-kit.js';

for (const cc of ['newreno', 'cubic', 'bbr']) {
  describe(`scenario: transfers (${cc})`, () => {
    it('moves 10 MB each way byte for byte', function () {
      this.timeout(120_000);
      const p = createEnginePair({
        client: { congestionControl: cc },
        serverEngine: { connection: { congestionControl: cc } },
      });
      const r = transfer(p, 10_000_000, 10_000_000);
      assert.equal(r.up.mismatch, -1);
      assert.equal(r.down.mismatch, -1);
      assert.ok(r.done, `incomplete: up ${r.up.received}, down ${r.down.received}`);
    });

    for (const loss of [0.02, 0.1]) {
      it(`completes 1 MB each way at ${loss * 100}% random loss`, function () {
        this.timeout(60_000);
        const p = createEnginePair({
          seed: 7,
          conditions: { loss, delay: 20_000 },
          client: { congestionControl: cc },
          serverEngine: { connection: { congestionControl: cc } },
        });
        const r = transfer(p, 1_000_000, 1_000_000, 600_000_000);
        assert.ok(r.done, `incomplete: up ${r.up.received}, down ${r.down.received}`);
      });
    }

    it('completes with reordering and jitter', function () {
      this.timeout(60_000);
      const p = createEnginePair({
        seed: 3,
        conditions: { delay: 20_000, jitter: 10_000, reorder: 0.1, reorderDelay: 15_000 },
        client: { congestionControl: cc },
        serverEngine: { connection: { congestionControl: cc } },
      });
      const r = transfer(p, 2_000_000, 2_000_000);
      assert.ok(r.done);
    });

    it('completes with duplication and corruption', function () {
      this.timeout(60_000);
      const p = createEnginePair({
        seed: 5,
        conditions: { delay: 10_000, duplicate: 0.05, corrupt: 0.05 },
        client: { congestionControl: cc },
        serverEngine: { connection: { congestionControl: cc } },
      });
      const r = transfer(p, 1_000_000, 1_000_000);
      assert.ok(r.done);
    });

    it('survives a 2-second blackhole in mid-transfer', function () {
      this.timeout(60_000);
      const p = createEnginePair({ seed: 9, client: { congestionControl: cc } });
      p.net.blackhole(300_000, 2_300_000);
      const r = transfer(p, 3_000_000, 3_000_000);
      assert.ok(r.done, `incomplete: up ${r.up.received}, down ${r.down.received}`);
    });
  });
}
