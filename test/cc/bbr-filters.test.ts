import assert from 'node:assert/strict';
import { ExtraAckedFilter, MaxBwFilter, MinRttFilter } from '../../src/cc/bbr-filters.js';
import { BBR_EXTRA_ACKED_FILTER_LEN, BBR_OPTIONS } from '../../src/cc/bbr-params.js';

describe('BBR filters', () => {
  it('max_bw is the highest rate of the last two ProbeBW cycles (§4.5.2.x)', () => {
    const f = new MaxBwFilter();
    assert.equal(f.value, 0);
    f.update(100);
    f.update(80);
    assert.equal(f.value, 100);
    f.advance(); // cycle 1: cycle 0's maximum still counts
    f.update(50);
    assert.equal(f.value, 100);
    f.advance(); // cycle 2: cycle 0 ages out
    assert.equal(f.value, 50);
    f.advance(); // cycle 3: cycle 1 ages out too
    assert.equal(f.value, 0);
  });

  it('extra_acked counts data acknowledged beyond bw × interval, capped at cwnd (§4.5.5)', () => {
    const f = new ExtraAckedFilter();
    f.startInterval(0);
    f.update(0, 20_000, 1e6, 1e9, 0, false); // no time elapsed: all 20 kB is extra
    assert.equal(f.value, 20_000);
    // 10 ms at 1 MB/s explains 10 kB of the 25 kB acknowledged since the interval began.
    f.update(10_000, 5_000, 1e6, 1e9, 1, false);
    assert.equal(f.value, 15_000);
    f.update(10_000, 100_000, 1e6, 20_000, 2, false);
    assert.equal(f.value, 20_000, 'capped at cwnd');
    // Less acknowledged than bw explains: the interval starts again with this ACK.
    f.update(1_010_000, 300, 1e6, 1e9, 3, false);
    assert.equal(f.value, 300);
  });

  it('extra_acked is the maximum of the last 10 rounds once the pipe is full, of 1 before', () => {
    const full = new ExtraAckedFilter();
    full.startInterval(0);
    full.update(0, 5_000, 0, 1e9, 0, true);
    full.update(1_000_000, 100, 1e6, 1e9, BBR_EXTRA_ACKED_FILTER_LEN - 1, true);
    assert.equal(full.value, 5_000, 'round 0 is still in the window');
    full.update(1_000_000, 100, 1e6, 1e9, BBR_EXTRA_ACKED_FILTER_LEN, true);
    assert.equal(full.value, 200, 'round 0 aged out');

    const startup = new ExtraAckedFilter();
    startup.startInterval(0);
    startup.update(0, 5_000, 0, 1e9, 0, false);
    startup.update(1_000_000, 100, 1e6, 1e9, 1, false);
    assert.equal(startup.value, 100, 'only the current round counts');
  });

  it('min_rtt keeps the lowest RTT for 10 s; ProbeRTT is due once probe_rtt_min_delay ages', () => {
    const f = new MinRttFilter(5_000_000);
    f.start(0);
    assert.equal(f.value, Infinity);
    f.update(30_000, 1_000);
    f.update(-1, 2_000); // no RTT sample
    f.update(40_000, 3_000);
    assert.equal(f.value, 30_000);
    assert.equal(f.probeRttExpired, false);
    f.update(50_000, 5_001_001); // over 5 s since the 30 ms sample: due, and it is replaced
    assert.equal(f.probeRttExpired, true);
    assert.equal(f.value, 30_000, 'min_rtt itself holds for 10 s');
    f.update(60_000, 10_001_001);
    assert.equal(f.probeRttExpired, false, 'the 50 ms sample is under 5 s old');
    f.update(70_000, 10_002_000);
    assert.equal(f.value, 50_000, 'past 10 s min_rtt takes probe_rtt_min_delay');
    f.probed(14_000_000);
    f.update(80_000, 18_000_000);
    assert.equal(f.probeRttExpired, false, 'a ProbeRTT just done restarts the interval');
  });

  it('lists the option names Bbr accepts', () => {
    assert.deepEqual([...BBR_OPTIONS].sort(), [
      'initialWindow',
      'maxDatagramSize',
      'probeRttDurationMs',
      'probeRttIntervalMs',
      'seed',
      'startupPacingGain',
    ]);
  });
});
