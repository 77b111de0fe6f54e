import assert from 'node:assert/strict';
import { Bbr } from '../../src/cc/bbr.js';
import { congestionControlFactory } from '../../src/cc/choice.js';
import { Cubic } from '../../src/cc/cubic.js';
import { NewReno } from '../../src/cc/newreno.js';
import type { CongestionControllerOptions } from '../../src/cc/types.js';
import { Engine } from '../../src/engine/engine.js';
import type { Stream } from '../../src/stream/stream.js';
import { createEnginePair } from '../../src/testing/pair.js';
import { FakeRtt } from './helpers.js';

const rtt = (us: number): FakeRtt => new FakeRtt(us);

const MDS = 1200;

/** Window after one loss event from a window of `cwnd` bytes. */
function afterLoss(cc: Cubic | NewReno, now = 1_000_000): number {
  cc.onPacketSent(MDS, 0, MDS);
  cc.onCongestionEvent(0, now);
  return cc.window;
}

describe('congestion controller choice', () => {
  it('a name, a name with options, or a factory; each call a fresh controller', () => {
    const byName = congestionControlFactory('newreno');
    const a = byName({ maxDatagramSize: MDS });
    assert.ok(a instanceof NewReno);
    assert.notEqual(byName({ maxDatagramSize: MDS }), a);
    assert.ok(congestionControlFactory()({ maxDatagramSize: MDS }) instanceof Cubic);

    const spec = congestionControlFactory({ name: 'cubic', options: { initialWindow: 24_000 } });
    const c = spec({ maxDatagramSize: 1400 });
    assert.ok(c instanceof Cubic);
    assert.equal(c.window, 24_000);
    assert.equal(c.maxDatagramSize, 1400);

    let seen: CongestionControllerOptions | undefined;
    const mine = (o: CongestionControllerOptions): NewReno => {
      seen = o;
      return new NewReno({ ...o, initialWindow: 50_000 });
    };
    assert.equal(congestionControlFactory(mine), mine);
    assert.equal(mine({ maxDatagramSize: 1300 }).window, 50_000);
    assert.deepEqual(seen, { maxDatagramSize: 1300 });
  });

  it("CUBIC's beta and C change its response; the defaults are RFC 9438's", () => {
    const window = 100 * MDS;
    const base = new Cubic({ initialWindow: window });
    assert.equal(afterLoss(base), Math.floor(window * 0.7));
    const gentle = new Cubic({ initialWindow: window, beta: 0.8 });
    assert.equal(afterLoss(gentle), Math.floor(window * 0.8));
    // K = cbrt((W_max - cwnd_epoch) / C) in segments: a larger C reaches W_max sooner.
    const steep = congestionControlFactory({ name: 'cubic', options: { c: 3.2 } })({
      maxDatagramSize: MDS,
      initialWindow: window,
    }) as Cubic;
    afterLoss(steep);
    afterLoss(base, 2_000_000);
    const ack = (cc: Cubic, at: number): void => {
      cc.onPacketSent(MDS, at, MDS);
      cc.onPacketsAcked([{ timeSent: at, size: MDS }], at + 50_000, rtt(50_000), false);
    };
    ack(steep, 3_000_000);
    ack(base, 3_000_000);
    assert.ok(Math.abs(steep.timeToOrigin - base.timeToOrigin / 2) < 1e-9);
  });

  it("BBR's startup pacing gain is its own", () => {
    const srtt = rtt(100_000);
    const base = new Bbr();
    const slow = congestionControlFactory({ name: 'bbr', options: { startupPacingGain: 2 } })({
      maxDatagramSize: MDS,
    });
    // §4.6.2 BBRInitPacingRate: StartupPacingGain * InitialCwnd / SRTT.
    assert.ok(Math.abs(slow.pacingRate!(srtt) / base.pacingRate(srtt) - 2 / 2.77) < 1e-9);
  });

  it("BBR's ProbeRTT interval and duration are its own (over the in-memory network)", () => {
    /** The ProbeRTT episodes [start, end) of a 2.5 s bulk transfer, µs since it started. */
    const episodes = (options: Record<string, number>): [number, number][] => {
      const p = createEnginePair({
        // Jitter keeps RTT samples above the minimum, so that only ProbeRTT refreshes it.
        conditions: { delay: 10_000, jitter: 2_000, rate: 10e6, queueBytes: 100_000 },
        serverEngine: { connection: { congestionControl: { name: 'bbr', options } } },
      });
      assert.ok(p.handshake());
      const server = p.serverConn()!;
      p.conn.openStream(true)!.write(new Uint8Array(1), true);
      const chunk = new Uint8Array(65_536);
      let stream: Stream | null = null;
      const pump = (): void => {
        while (stream !== null && stream.write(chunk, false) > 0);
      };
      server.on('readable', (s) => {
        while (s.read());
        stream = s;
        pump();
      });
      server.on('writable', pump);
      p.conn.on('readable', (s) => {
        while (s.read());
      });
      const t0 = p.now;
      const out: [number, number][] = [];
      p.runUntil(() => {
        const inProbeRtt = (server.path.sendControl.cc as Bbr).mode === 'probe_rtt';
        const last = out.at(-1);
        if (inProbeRtt && (last === undefined || last[1] >= 0)) out.push([p.now - t0, -1]);
        if (!inProbeRtt && last !== undefined && last[1] < 0) last[1] = p.now - t0;
        return p.now - t0 >= 2_500_000;
      }, 5_000_000);
      return out;
    };
    assert.deepEqual(episodes({}), [], 'the default interval is 5 s');
    const tuned = episodes({ probeRttIntervalMs: 1_000, probeRttDurationMs: 50 });
    assert.ok(tuned.length >= 1 && tuned.length <= 2, JSON.stringify(tuned));
    const [start, end] = tuned[0]!;
    assert.ok(start > 1_000_000 && start < 1_300_000, `ProbeRTT at ${start} µs`);
    // §4.3.4.4: at least ProbeRTTDuration and one round at the reduced window.
    assert.ok(end - start >= 50_000 && end - start < 150_000, `ProbeRTT for ${end - start} µs`);
  });

  it('rejects unknown names, unknown options and values out of range, naming them', () => {
    assert.throws(() => congestionControlFactory('vegas'), /unknown congestion controller 'vegas'/);
    assert.throws(
      () => congestionControlFactory({ name: 'cubic', options: { gamma: 1 } }),
      /congestion controller 'cubic' has no option 'gamma' \(options: .*beta/,
    );
    assert.throws(
      () => congestionControlFactory({ name: 'newreno', options: { beta: 0.5 } }),
      /'newreno' has no option 'beta'/,
    );
    assert.throws(
      () => congestionControlFactory({ name: 'cubic', options: { beta: 1.2 } }),
      (e: Error) =>
        e instanceof RangeError &&
        /'cubic': beta must be a number above 0 .*got 1.2/.test(e.message),
    );
    assert.throws(
      () => congestionControlFactory({ name: 'cubic', options: { hystart: 1 } }),
      /'cubic': hystart must be true or false, got 1/,
    );
    assert.throws(
      () => congestionControlFactory({ name: 'bbr', options: { startupPacingGain: 1 } }),
      /'bbr': startupPacingGain must be a number above 1/,
    );
    assert.throws(
      () => congestionControlFactory({ name: 'bbr', options: { initialWindow: 2400 } }),
      /'bbr': initialWindow must be an integer at least 4800/,
    );
    assert.throws(
      () => congestionControlFactory({ name: 'newreno', options: { minimumWindowPackets: 0 } }),
      /minimumWindowPackets must be an integer at least 1/,
    );
    assert.throws(
      () => congestionControlFactory({ name: 'cubic', options: { maxDatagramSize: 1400 } }),
      /maxDatagramSize is the path's/,
    );
    assert.throws(
      () => congestionControlFactory(42 as unknown as string),
      /must be a controller name, \{ name, options \} or a factory/,
    );
  });

  it('each connection of one engine runs its own controller with its own options', () => {
    const p = createEnginePair({ connections: 0 });
    const plain = p.connect();
    const tuned = p.connect({ congestionControl: { name: 'cubic', options: { beta: 0.5 } } });
    const bbr = p.connect({ congestionControl: 'bbr' });
    const mine = p.connect({
      congestionControl: (o) => new NewReno({ ...o, initialWindow: 20 * (o.maxDatagramSize ?? 0) }),
    });
    assert.ok(p.handshake());
    const cc = (c: typeof plain): unknown => c.path.sendControl.cc;
    assert.ok(cc(plain) instanceof Cubic);
    assert.ok(cc(tuned) instanceof Cubic);
    assert.ok(cc(bbr) instanceof Bbr);
    assert.ok(cc(mine) instanceof NewReno);
    assert.ok(p.accepted.every((c) => c.path.sendControl.cc instanceof Cubic));
    // The tuned connection's controller reduces by its own beta.
    const t = tuned.path.sendControl.cc as Cubic;
    const before = t.window;
    t.onCongestionEvent(p.now, p.now + 1);
    assert.equal(t.window, Math.max(Math.floor(before * 0.5), 2 * t.maxDatagramSize));
    assert.throws(
      () => p.connect({ congestionControl: { name: 'cubic', options: { beta: 0 } } }),
      /beta must be/,
    );
  });

  it('an engine rejects a bad default controller when it is made, not when a client arrives', () => {
    assert.throws(
      () => new Engine({ connection: { congestionControl: { name: 'bbr', options: { x: 1 } } } }),
      /'bbr' has no option 'x'/,
    );
  });
});
