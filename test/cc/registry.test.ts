import assert from 'node:assert/strict';
import { Cubic } from '../../src/cc/cubic.js';
import { NewReno } from '../../src/cc/newreno.js';
import {
  congestionControllerNames,
  createCongestionController,
  registerCongestionController,
} from '../../src/cc/registry.js';

describe('congestion controller registry', () => {
  it('has newreno and cubic built in, cubic by default', () => {
    assert.ok(congestionControllerNames().includes('newreno'));
    assert.ok(congestionControllerNames().includes('cubic'));
    assert.ok(createCongestionController('newreno') instanceof NewReno);
    assert.ok(createCongestionController() instanceof Cubic);
    const cc = createCongestionController('cubic', { maxDatagramSize: 1500 });
    assert.equal(cc.maxDatagramSize, 1500);
    assert.equal(cc.name, 'cubic');
  });

  it('creates user controllers by name with the given options', () => {
    let seen: unknown;
    registerCongestionController('fixed-test', (options) => {
      seen = options;
      return new NewReno({ ...options, initialWindow: 50_000 });
    });
    const cc = createCongestionController('fixed-test', { maxDatagramSize: 1300 });
    assert.equal(cc.window, 50_000);
    assert.deepEqual(seen, { maxDatagramSize: 1300 });
  });

  it('rejects unknown names and bad registrations', () => {
    assert.throws(() => createCongestionController('bbr9'), RangeError);
    assert.throws(() => registerCongestionController('', () => new NewReno()), TypeError);
    assert.throws(
      () => registerCongestionController('x', 'nope' as unknown as () => NewReno),
      TypeError,
    );
  });
});
