import assert from 'node:assert/strict';
import { defaultSendQuantum, MAX_SEND_QUANTUM, Pacer } from '../../src/path/pacer.js';

describe('Pacer (RFC 9002 §7.7)', () => {
  it('lets a burst through, then spaces packets at the rate', () => {
    const p = new Pacer(3600);
    p.setRate(1_200_000, 0); // 1.2 bytes per microsecond: one 1200-byte packet per ms
    // The burst: exactly the bucket.
    let sent = 0;
    while (p.nextSendTime(0, 1200) === 0 && sent < 10) {
      p.onPacketSent(1200, 0);
      sent++;
    }
    assert.equal(sent, 3);
    assert.equal(p.available(0), 0);
    // Then one packet per 1200 bytes earned: 1 ms apart.
    let now = 0;
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      now = p.nextSendTime(now, 1200);
      times.push(now);
      p.onPacketSent(1200, now);
    }
    assert.deepEqual(times, [1000, 2000, 3000, 4000, 5000]);
    // Smaller packets need fewer tokens.
    assert.equal(p.nextSendTime(now, 600), now + 500);
  });

  it('refills at most to the burst after idle', () => {
    const p = new Pacer(2400);
    p.setRate(1_000_000, 0);
    p.onPacketSent(2400, 0);
    p.onPacketSent(1000, 0);
    assert.equal(p.nextSendTime(0, 1000), 2000);
    assert.equal(p.available(1_000_000), 2400);
    // A packet larger than the bucket waits for a full bucket only.
    p.onPacketSent(2400, 1_000_000);
    assert.equal(p.nextSendTime(1_000_000, 5000), 1_002_400);
  });

  it('accrues tokens at the old rate until the rate changes', () => {
    const p = new Pacer(10_000);
    p.setRate(1_000_000, 0);
    p.onPacketSent(10_000, 0);
    p.onPacketSent(1000, 0); // 1000 in debt
    p.setRate(500_000, 500); // 500 earned at 1 B/us, 500 still owed at 0.5 B/us
    assert.equal(p.nextSendTime(500, 0), 1500);
    assert.equal(p.nextSendTime(500, 1000), 3500);
  });

  it('does not pace at an infinite rate', () => {
    const p = new Pacer(1200);
    p.setRate(Infinity, 0);
    for (let i = 0; i < 10; i++) {
      assert.equal(p.nextSendTime(5, 1200), 5);
      p.onPacketSent(1200, 5);
    }
    assert.equal(p.rate, Infinity);
  });

  it('releases a send quantum at a time once the bucket ran dry', () => {
    const p = new Pacer(3600);
    p.setRate(1_200_000, 0); // one 1200-byte packet per ms
    p.setQuantum(6000);
    // Two quanta fit in the bucket; after idle it is full.
    assert.equal(p.burstSize, 12_000);
    assert.equal(p.available(10_000_000), 12_000);
    let now = 10_000_000;
    let sent = 0;
    while (p.nextSendTime(now, 1200) === now) {
      p.onPacketSent(1200, now);
      sent++;
    }
    assert.equal(sent, 10);
    // Dry: the next release waits for a whole quantum (5 ms), not for one packet (1 ms) ...
    assert.equal(p.nextSendTime(now, 1200), now + 5000);
    now += 5000;
    // ... and then five packets leave back to back.
    const burst: number[] = [];
    while (p.nextSendTime(now, 1200) === now) {
      p.onPacketSent(1200, now);
      burst.push(now);
    }
    assert.equal(burst.length, 5);
    // The rate is unchanged: 5 packets per 5 ms.
    assert.equal(p.nextSendTime(now, 1200), now + 5000);
    // A quantum of 0 (or below one packet) is one packet at a time, as without one.
    p.setQuantum(0);
    assert.equal(p.nextSendTime(now, 1200), now + 1000);
    assert.throws(() => p.setQuantum(-1), RangeError);
  });

  it('defaults the quantum to 1 ms at the rate, one datagram to 64 KiB', () => {
    assert.equal(defaultSendQuantum(1_000_000, 1200), 1200);
    assert.equal(defaultSendQuantum(10_000_000, 1200), 10_000);
    assert.equal(defaultSendQuantum(1e9, 1200), MAX_SEND_QUANTUM);
    assert.equal(MAX_SEND_QUANTUM, 65_536);
  });

  it('rejects nonsense', () => {
    assert.throws(() => new Pacer(0), RangeError);
    assert.throws(() => new Pacer(1000).setRate(0, 0), RangeError);
    const p = new Pacer(5000);
    p.setBurst(1000);
    assert.equal(p.available(0), 1000);
  });
});
