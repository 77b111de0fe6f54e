import assert from 'node:assert/strict';
import { Bbr } from '../../src/cc/bbr.js';
import { congestionControlFactory } from '../../src/cc/choice.js';
import { Cubic } from '../../src/cc/cubic.js';
import { UsageError } from '../../src/cli/args.js';
import { parseCongestionControl } from '../../src/cli/serve-get-options.js';

describe('cli --cc NAME[:KEY=VALUE,...]', () => {
  it('takes a name alone, or with options for that controller', () => {
    assert.equal(parseCongestionControl('newreno'), 'newreno');
    assert.deepEqual(parseCongestionControl('cubic:beta=0.8, c=0.6,hystart=false'), {
      name: 'cubic',
      options: { beta: 0.8, c: 0.6, hystart: false },
    });
    const bbr = parseCongestionControl('bbr:startupPacingGain=2.5,probeRttIntervalMs=2000');
    const cc = congestionControlFactory(bbr)({ maxDatagramSize: 1200 });
    assert.ok(cc instanceof Bbr);
    const cubic = congestionControlFactory(parseCongestionControl('cubic:initialWindow=36000'));
    const c = cubic({ maxDatagramSize: 1200 });
    assert.ok(c instanceof Cubic);
    assert.equal(c.window, 36_000);
  });

  it('is a usage error naming what is wrong', () => {
    const cases: [string, RegExp][] = [
      ['vegas', /--cc must be one of newreno, cubic, bbr/],
      ['vegas:x=1', /--cc must be one of .* got 'vegas'/],
      ['cubic:', /--cc options are KEY=VALUE separated by commas, got ''/],
      ['cubic:beta', /got 'beta'/],
      ['cubic:beta=', /got 'beta='/],
      ['cubic:beta=fast', /--cc option beta must be a number, true or false, got 'fast'/],
      ['cubic:gamma=1', /--cc: congestion controller 'cubic' has no option 'gamma'/],
      ['bbr:probeRttIntervalMs=0', /--cc: congestion controller 'bbr': probeRttIntervalMs must be/],
      ['newreno:hystart=1', /hystart must be true or false, got 1/],
    ];
    for (const [text, message] of cases) {
      assert.throws(
        () => parseCongestionControl(text),
        (e: Error) => e instanceof UsageError && message.test(e.message),
        text,
      );
    }
  });
});
