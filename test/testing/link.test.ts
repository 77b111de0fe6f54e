import assert from 'node:assert/strict';
import { endMatches, ipUdpHeaders, isDown, linkState } from '../../src/testing/link.js';

describe('testing/link', () => {
  it('a new link state is idle, up, with zeroed counters and the conditions given', () => {
    const cond = { delay: 5_000, rate: 1e6 };
    const l = linkState(cond);
    assert.equal(l.cond, cond);
    assert.equal(l.busyUntil, 0);
    assert.equal(l.queued, 0);
    assert.equal(l.bad, false);
    assert.deepEqual(l.down, []);
    assert.deepEqual(Object.values(l.stats), [0, 0, 0, 0, 0, 0, 0]);
    assert.notEqual(linkState(cond).stats, l.stats, 'each link counts for itself');
  });

  it('is down inside a window [start, end) only', () => {
    const l = linkState({});
    l.down.push({ start: 100, end: 200 }, { start: 500, end: 600 });
    assert.deepEqual(
      [99, 100, 199, 200, 550, 600].map((t) => isDown(l, t)),
      [false, true, true, false, true, false],
    );
  });

  it('an end given as an address matches any port; a socket address only its port', () => {
    const a = { address: '10.0.0.2', port: 4433 };
    assert.equal(endMatches('10.0.0.2', a), true);
    assert.equal(endMatches('10.0.0.3', a), false);
    assert.equal(endMatches({ address: '10.0.0.2', port: 4433 }, a), true);
    assert.equal(endMatches({ address: '10.0.0.2', port: 4434 }, a), false);
  });

  it('counts 28 bytes of IPv4 and UDP headers, 48 of IPv6 and UDP', () => {
    assert.equal(ipUdpHeaders({ address: '192.0.2.1', port: 1 }), 28);
    assert.equal(ipUdpHeaders({ address: '2001:db8::1', port: 1 }), 48);
  });
});
