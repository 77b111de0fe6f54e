import assert from 'node:assert/strict';
import { runFlows, serverLink, type MultiLinkSim } from '../../bench/lib/multilink.js';

/** Two 10 Mbit/s, 20 ms links: a from the client's first address, b from its second. */
const links = (): ReturnType<typeof serverLink>[] => [
  serverLink('a', [0], { mbit: 10, rttMs: 20 }),
  serverLink('b', [1], { mbit: 10, rttMs: 20 }),
];

describe('bench: multi-link downloads', () => {
  it('two single-path flows each take their own link, byte-exact', () => {
    let net: MultiLinkSim['pair']['net'] | null = null;
    const r = runFlows({
      links: links(),
      flows: [
        { from: 0, bytes: 300_000 },
        { from: 1, bytes: 200_000 },
      ],
      maxUs: 10_000_000,
      atStart: (sim) => (net = sim.pair.net),
    });
    const stats = ['a', 'b'].map((l) => net!.linkStats(l).reverse.deliveredBytes);
    assert.deepEqual(
      r.map((f) => [f.complete, f.exact, f.received]),
      [
        [true, true, 300_000],
        [true, true, 200_000],
      ],
    );
    // Server to client: each link carried its flow (plus headers), and no more than that.
    assert.ok(stats[0]! > 300_000 && stats[0]! < 360_000, `link a ${stats[0]}`);
    assert.ok(stats[1]! > 200_000 && stats[1]! < 240_000, `link b ${stats[1]}`);
    assert.ok(r[0]!.series.length > 0);
  });

  it('a multipath flow uses both links and stays byte-exact', () => {
    const perPath = new Map<number, number>();
    const r = runFlows({
      links: links(),
      flows: [{ from: 0, bytes: 1_000_000, paths: [1] }],
      client: { multipath: true },
      server: { multipath: true },
      maxUs: 10_000_000,
      onSample: (_, sim) => {
        for (const p of sim.serverConn(0)!.getStats().paths) perPath.set(p.pathId, p.bytesSent);
      },
    });
    assert.equal(r[0]!.complete, true);
    assert.equal(r[0]!.exact, true);
    assert.equal(perPath.size, 2);
    for (const [id, bytes] of perPath) assert.ok(bytes > 200_000, `path ${id}: ${bytes} bytes`);
  });

  it('a single-path flow whose link fails for good stalls to the end of the run', () => {
    const r = runFlows({
      links: links(),
      flows: [{ from: 0, bytes: 2_000_000 }],
      maxUs: 3_000_000,
      atStart: (sim, t0) => sim.pair.net.failLink('a', t0 + 500_000, Infinity),
    });
    const f = r[0]!;
    assert.equal(f.complete, false);
    assert.equal(f.exact, false);
    assert.ok(f.received > 100_000 && f.received < 2_000_000);
    assert.ok(f.longestStallUs > 2_000_000, `stall ${f.longestStallUs}`);
    assert.ok(f.stallStartUs >= 400_000 && f.stallStartUs <= 600_000, `at ${f.stallStartUs}`);
  });
});
