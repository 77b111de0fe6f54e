import assert from 'node:assert/strict';
import { linkConditions } from '../../bench/cc-grid.js';
import { cryptoCeilingSeconds, measureTransfer } from '../../bench/inmem.js';
import { createSimPair, runDownload } from '../../bench/lib/sim.js';
import { decodeSize, encodeRequest, OP_DOWNLOAD } from '../../bench/loopback/protocol.js';
import { runBench, type BenchIo } from '../../bench/main.js';

describe('bench: building blocks', () => {
  it('an in-memory download completes and yields the counts the ceiling needs', () => {
    const s = measureTransfer(256 * 1024);
    assert.equal(s.run.done, true);
    assert.equal(s.run.bytes, 256 * 1024);
    assert.ok(s.run.packetsSent > 180, 'at least the data packets were counted');
    assert.ok(s.meanPacketSize > 100 && s.meanPacketSize <= 1452);
    assert.ok(Number.isFinite(s.cpu) && Number.isFinite(s.ceilingCpu));
    assert.ok(Number.isFinite(s.ceilingWholeCpu));
  });

  it('the crypto ceiling seals and opens packets (a failed open would throw)', () => {
    assert.ok(Number.isFinite(cryptoCeilingSeconds(50, 1200)));
  });

  it('a seeded simulation is the same run twice (virtual time), with a window trace', () => {
    const link = { rttMs: 40, lossPct: 2, bandwidthMbit: 10 };
    const run = (): ReturnType<typeof runDownload> =>
      runDownload(createSimPair({ seed: 3, conditions: linkConditions(link) }), 300_000, {
        sampleEveryUs: 10_000,
      });
    const a = run();
    const b = run();
    assert.equal(a.done, true);
    assert.equal(a.transferUs, b.transferUs);
    assert.equal(a.packetsSent, b.packetsSent);
    assert.ok(a.trace.length > 10);
    assert.deepEqual(a.trace, b.trace);
    assert.ok(a.trace.every((p) => p.cwnd > 0 && p.bytesInFlight >= 0));
  });

  it('link conditions: half the RTT each way and a queue of one BDP (at least 32 KiB)', () => {
    assert.deepEqual(linkConditions({ rttMs: 200, lossPct: 1, bandwidthMbit: 100 }), {
      delay: 100_000,
      loss: 0.01,
      rate: 100e6,
      queueBytes: 2_500_000,
    });
    assert.equal(
      linkConditions({ rttMs: 10, lossPct: 0, bandwidthMbit: 10 }).queueBytes,
      32 * 1024,
    );
  });

  it('the loopback request header round-trips', () => {
    const b = encodeRequest(OP_DOWNLOAD, 100 * 1024 * 1024);
    assert.equal(b.length, 9);
    assert.equal(b[0], OP_DOWNLOAD);
    assert.equal(decodeSize(b, 1), 100 * 1024 * 1024);
  });

  it('the command line: --help, unknown groups and options are usage errors', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io: BenchIo = {
      stdout: { write: (s) => out.push(s) },
      stderr: { write: (s) => err.push(s) },
    };
    assert.equal(await runBench(['--help'], io, 'bench'), 0);
    assert.match(out.join(''), /--only GROUP/);
    assert.equal(await runBench(['--only', 'nope'], io, 'bench'), 2);
    assert.match(err.join(''), /unknown group 'nope'/);
    assert.equal(await runBench(['--fast'], io, 'bench'), 2);
    assert.equal(await runBench(['--case', 'nope'], io, 'bench'), 2);
  });
});
