import assert from 'node:assert/strict';
import {
  BLACK_HOLE_THRESHOLD,
  MAX_PROBES,
  FULL_DATAGRAM_SLACK,
  FULL_DATAGRAMS_BEFORE_SEARCH,
  PathMtuDiscovery,
  PMTU_RAISE_TIMER,
  type PmtudConfig,
  type SizedPacket,
} from '../../src/path/pmtud.js';

const S = 1_000_000;

/** Packets of one path: numbers increase, one per `send`. */
class Path {
  pn = 0;
  now = 1_000;
  readonly d: PathMtuDiscovery;
  constructor(config: Partial<PmtudConfig> = {}, peerMax = 65527) {
    this.d = new PathMtuDiscovery({ enabled: true, base: 1200, max: 1452, ...config });
    this.d.start(peerMax, this.now);
    // The path carries datagrams of the full base size: the search starts.
    for (let i = 0; i < FULL_DATAGRAMS_BEFORE_SEARCH; i++)
      this.d.onDatagramSent(this.d.mtu, this.now);
  }
  packet(size: number, probe = false): SizedPacket {
    this.now += 1_000;
    return { pn: this.pn++, size, timeSent: this.now, pmtuProbe: probe };
  }
  /** Sends the probe asked for now (asserts one is due). */
  probe(): SizedPacket {
    const size = this.d.probeSize(this.now);
    assert.ok(size > 0, 'a probe is due');
    const p = this.packet(size, true);
    this.d.onProbeSent(p.pn, p.size);
    return p;
  }
  /**
   * Runs the search against a path carrying datagrams up to `pathMtu`: a probe that fits is
   * acknowledged, a larger one lost. Returns the sizes probed.
   */
  search(pathMtu: number): number[] {
    const sizes: number[] = [];
    for (let size = this.d.probeSize(this.now); size > 0; size = this.d.probeSize(this.now)) {
      const p = this.probe();
      sizes.push(p.size);
      if (p.size <= pathMtu) this.d.onPacketAcked(p, this.now);
      else this.d.onPacketLost(p, this.now);
      assert.ok(sizes.length < 100, 'the search ends');
    }
    return sizes;
  }
}

describe('PathMtuDiscovery (RFC 8899)', () => {
  it('starts at the base and waits for the handshake before probing', () => {
    const d = new PathMtuDiscovery({ enabled: true, base: 1200, max: 1452 });
    assert.equal(d.mtu, 1200);
    assert.equal(d.phase, 'idle');
    assert.equal(d.probeSize(0), 0);
    d.start(65527, 0);
    assert.equal(d.phase, 'base');
    assert.equal(d.probeSize(0), 0);
    d.onDatagramSent(1144, 0);
    assert.equal(d.probeSize(0), 0, 'a 1 KiB response does not start the search');
    d.onDatagramSent(1200 - FULL_DATAGRAM_SLACK - 1, 0);
    assert.equal(d.probeSize(0), 0, 'a datagram short of the PLPMTU does not start it');
    for (let i = 1; i < FULL_DATAGRAMS_BEFORE_SEARCH; i++) {
      d.onDatagramSent(1200 - FULL_DATAGRAM_SLACK, 0);
      assert.equal(d.probeSize(0), 0, `${i} full datagram(s) do not start it`);
      d.onDatagramSent(600, 0);
    }
    d.onDatagramSent(1200 - FULL_DATAGRAM_SLACK, 0);
    assert.equal(d.phase, 'searching', 'full datagrams again and again do');
    assert.equal(d.probeSize(0), 1326, 'the middle of (1200, 1452]');
  });

  it('searches upward by halving the range: a path of 1,452 bytes or more is found in full', () => {
    const p = new Path();
    assert.deepEqual(p.search(1500), [1326, 1389, 1421, 1437, 1445, 1449, 1451, 1452]);
    assert.equal(p.d.mtu, 1452);
    assert.equal(p.d.phase, 'complete');
  });

  it('settles at exactly the largest size a smaller path carries', () => {
    for (const pathMtu of [1200, 1201, 1232, 1252, 1280, 1400, 1451]) {
      const p = new Path();
      p.search(pathMtu);
      assert.equal(p.d.mtu, pathMtu, `path of ${pathMtu}`);
      assert.equal(p.d.phase, 'complete');
    }
  });

  it('one probe at a time; a size is given up only after MAX_PROBES losses in a row', () => {
    const p = new Path();
    const a = p.probe();
    assert.equal(p.d.probeSize(p.now), 0, 'no second probe while one is in flight');
    for (let i = 1; i < MAX_PROBES; i++) {
      p.d.onPacketLost(p.packet(a.size, true), p.now); // not the probe in flight: ignored
      assert.equal(p.d.onPacketLost(i === 1 ? a : p.probe(), p.now), false);
      assert.equal(p.d.probeSize(p.now), a.size, 'the same size again');
    }
    const last = p.probe();
    p.d.onPacketLost(last, p.now);
    assert.ok(p.d.probeSize(p.now) < a.size, 'a smaller size after MAX_PROBES losses');
    assert.equal(p.d.mtu, 1200, 'losses never lower the PLPMTU');
    assert.equal(p.d.stats.probesLost, MAX_PROBES);
  });

  it('an acknowledged probe resets PROBE_COUNT (isolated loss does not end the step)', () => {
    const p = new Path();
    const a = p.probe();
    p.d.onPacketLost(a, p.now);
    p.d.onPacketLost(p.probe(), p.now);
    const b = p.probe();
    assert.equal(b.size, a.size);
    assert.equal(p.d.onPacketAcked(b, p.now), true);
    assert.equal(p.d.mtu, a.size);
  });

  it("the peer's max_udp_payload_size bounds the search", () => {
    const p = new Path({}, 1300);
    assert.equal(p.d.maxSize, 1300);
    const sizes = p.search(9000);
    assert.ok(sizes.every((s) => s <= 1300));
    assert.equal(p.d.mtu, 1300);
    const q = new Path({}, 1200);
    assert.equal(q.d.phase, 'complete', 'nothing to search above a 1,200-byte peer limit');
    assert.equal(q.d.probeSize(q.now), 0);
  });

  it('disabled: the datagram size stays at the base and no probe is sent', () => {
    const d = new PathMtuDiscovery({ enabled: false, base: 1280, max: 1452 });
    d.start(65527, 0);
    assert.equal(d.phase, 'off');
    assert.equal(d.mtu, 1280);
    assert.equal(d.probeSize(PMTU_RAISE_TIMER * 2), 0);
  });

  it('rejects a base below 1,200 bytes or a maximum below the base', () => {
    assert.throws(() => new PathMtuDiscovery({ enabled: true, base: 1199, max: 1452 }), RangeError);
    assert.throws(() => new PathMtuDiscovery({ enabled: true, base: 1300, max: 1299 }), RangeError);
  });

  it('searches again after PMTU_RAISE_TIMER, and finds a path that grew', () => {
    const p = new Path();
    p.search(1252);
    assert.equal(p.d.mtu, 1252);
    p.now += PMTU_RAISE_TIMER - 10 * S;
    assert.equal(p.d.probeSize(p.now), 0, 'not before the timer');
    p.now += 10 * S;
    assert.ok(p.d.probeSize(p.now) > 1252, 'searching again above the PLPMTU');
    p.search(1452);
    assert.equal(p.d.mtu, 1452);
    p.now += 2 * PMTU_RAISE_TIMER;
    assert.equal(p.d.probeSize(p.now), 0, 'nothing to search above the maximum');
  });

  it('the raise timer is configurable', () => {
    const p = new Path({ raiseTimer: 5 * S });
    p.search(1300);
    p.now += 5 * S;
    assert.ok(p.d.probeSize(p.now) > 1300);
  });

  describe('black hole detection', () => {
    /** A path at 1,452 whose MTU then drops: `lost` full-size packets, then a small one acked. */
    function drop(lost: number): { p: Path; changed: boolean } {
      const p = new Path();
      p.search(1452);
      p.d.onPacketAcked(p.packet(1452), p.now);
      const big = Array.from({ length: lost }, () => p.packet(1452));
      const small = p.packet(1200);
      // As from one ACK frame: newly acknowledged first, then the losses it reveals.
      let changed = p.d.onPacketAcked(small, p.now);
      for (const b of big) changed = p.d.onPacketLost(b, p.now) || changed;
      return { p, changed };
    }

    it('falls back to the base after full-size losses while a small packet got through', () => {
      const { p, changed } = drop(BLACK_HOLE_THRESHOLD);
      assert.equal(changed, true);
      assert.equal(p.d.mtu, 1200);
      assert.equal(p.d.stats.blackHoles, 1);
      assert.equal(p.d.phase, 'searching', 'and searches again at once');
      p.search(1280);
      assert.equal(p.d.mtu, 1280, 'finding the smaller MTU');
    });

    it('fewer losses than the threshold are not a black hole', () => {
      const { p, changed } = drop(BLACK_HOLE_THRESHOLD - 1);
      assert.equal(changed, false);
      assert.equal(p.d.mtu, 1452);
    });

    it('no black hole while no smaller packet sent after the losses got through', () => {
      const p = new Path();
      p.search(1452);
      const small = p.packet(1200);
      const big = Array.from({ length: 2 * BLACK_HOLE_THRESHOLD }, () => p.packet(1452));
      p.d.onPacketAcked(small, p.now);
      for (const b of big) assert.equal(p.d.onPacketLost(b, p.now), false);
      assert.equal(p.d.mtu, 1452, 'everything lost: an outage, not a smaller MTU');
    });

    it('a full-size packet acknowledged after the losses clears them (congestion, not MTU)', () => {
      const p = new Path();
      p.search(1452);
      const big = Array.from({ length: BLACK_HOLE_THRESHOLD }, () => p.packet(1452));
      const later = p.packet(1452);
      const small = p.packet(1200);
      p.d.onPacketAcked(later, p.now);
      p.d.onPacketAcked(small, p.now);
      for (const b of big) assert.equal(p.d.onPacketLost(b, p.now), false);
      // Interleaved: losses, one full-size packet through, losses again.
      const q = new Path();
      q.search(1452);
      const half = BLACK_HOLE_THRESHOLD / 2;
      const run1 = Array.from({ length: half }, () => q.packet(1452));
      const through = q.packet(1452);
      const run2 = Array.from({ length: half }, () => q.packet(1452));
      for (const b of run1) q.d.onPacketLost(b, q.now);
      q.d.onPacketAcked(through, q.now);
      for (const b of run2) q.d.onPacketLost(b, q.now);
      q.d.onPacketAcked(q.packet(1200), q.now);
      assert.equal(q.d.mtu, 1452, 'the run was broken by a full-size packet');
      assert.equal(q.d.stats.blackHoles, 0);
    });

    it('packets sent before the PLPMTU last changed do not count, nor lost probes', () => {
      const p = new Path();
      const old = Array.from({ length: BLACK_HOLE_THRESHOLD }, () => p.packet(1300));
      p.search(1452);
      const small = p.packet(1200);
      p.d.onPacketAcked(small, p.now);
      for (const b of old) assert.equal(p.d.onPacketLost(b, p.now), false);
      assert.equal(p.d.mtu, 1452);
    });

    it('at the base there is nothing to fall back from', () => {
      const p = new Path({ enabled: false });
      const big = Array.from({ length: BLACK_HOLE_THRESHOLD }, () => p.packet(1200));
      p.d.onPacketAcked(p.packet(1200), p.now);
      for (const b of big) assert.equal(p.d.onPacketLost(b, p.now), false);
      assert.equal(p.d.stats.blackHoles, 0);
    });

    it('a probe of the search before a black hole is ignored when it is acknowledged', () => {
      const p = new Path();
      p.d.onPacketAcked(p.probe(), p.now);
      assert.equal(p.d.mtu, 1326);
      const stale = p.probe();
      const big = Array.from({ length: BLACK_HOLE_THRESHOLD }, () => p.packet(1326));
      p.d.onPacketAcked(p.packet(1200), p.now);
      for (const b of big) p.d.onPacketLost(b, p.now);
      assert.equal(p.d.mtu, 1200);
      assert.equal(p.d.onPacketAcked(stale, p.now), false);
      assert.equal(p.d.mtu, 1200);
    });
  });
});
