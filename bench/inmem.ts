/**
 * The inmem group. First, bulk transfer on one core: a server and a client engine in this
 * process, joined by the in-memory network without loss or rate limit, move a download as fast
 * as the CPU allows. Its goodput per CPU-second is compared with the crypto-only ceiling measured
 * in the same run: sealing and opening as many packets, of the transfer's mean packet size, as
 * the transfer sent, with the default provider. The ratio says how much of the stack's time is
 * anything but the AEAD and header protection it cannot avoid. Then the congestion-controller
 * grid, fairness and window trace of bench/cc-grid.ts.
 */
import { CIPHER_SUITES, PacketProtector, defaultProvider } from '../src/crypto/index.js';
import type { CryptoProvider } from '../src/crypto/provider.js';
import { runControllerGrid, runFairness, runWindowTrace } from './cc-grid.js';
import type { BenchGroup, GroupContext } from './lib/group.js';
import { nullPacketProtection } from './lib/null-crypto.js';
import { createSimPair, runDownload, type TransferRun } from './lib/sim.js';
import { cpuSeconds, collectGarbage } from './lib/timing.js';

const MiB = 1024 * 1024;
const RATIO_TARGET = 0.5;
/** Issue 13: about 2 µs of protocol logic per packet per side. */
const PROTOCOL_TARGET_US = 2;
/** A short one-way delay: the window opens quickly and the transfer is CPU-bound. */
const FAST_LINK = { delay: 1_000 };

/**
 * CPU seconds to protect and unprotect `packets` short-header packets of `size` bytes (header
 * protection included, plus the copy into a work buffer a receive path makes).
 */
export function cryptoCeilingSeconds(packets: number, size: number): number {
  const suite = CIPHER_SUITES.find((s) => s.name === 'TLS_AES_128_GCM_SHA256')!;
  const secret = new Uint8Array(suite.hashLength).fill(7);
  const tx = new PacketProtector(defaultProvider, suite, secret, 1);
  const rx = new PacketProtector(defaultProvider, suite, secret, 1);
  const header = new Uint8Array(11);
  header[0] = 0x41;
  const pnOffset = 9;
  const buf = new Uint8Array(size).fill(3);
  const work = new Uint8Array(size);
  const t0 = cpuSeconds();
  for (let pn = 0; pn < packets; pn++) {
    buf.set(header);
    tx.protect(buf, 0, pnOffset, size - 16, pn);
    work.set(buf);
    const pnLength = rx.removeHeaderProtection(work, 0, pnOffset, size);
    if (rx.openPayload(work, 0, pnOffset, pnLength, pn, size) < 0) {
      throw new Error('crypto ceiling: a packet failed to open');
    }
  }
  return cpuSeconds() - t0;
}

export interface InmemSample {
  run: TransferRun;
  cpu: number;
  wall: number;
  ceilingCpu: number;
  ceilingWholeCpu: number;
  meanPacketSize: number;
}

/** Packets per batch of the ceiling (see `ceilingSeconds`). */
const CEILING_BATCH = 8192;

/**
 * The crypto-only ceiling of `packets` packets of `size` bytes, measured where crypto is
 * cheapest: in batches of CEILING_BATCH packets, each on a freshly collected heap. In one long
 * loop node:crypto's per-packet cipher objects and output buffers pile up as external memory and
 * set off full collections, so the cost per packet grows with the count (13-22 µs per packet
 * here for 10k-80k packets); a ceiling measured that way would flatter the stack. Batches
 * `from` .. `to` (of all the packets' batches) are measured, for splitting around a transfer.
 */
function ceilingSeconds(packets: number, size: number, from: number, to: number): number {
  let seconds = 0;
  for (let b = from; b < to; b++) {
    const n = Math.min(CEILING_BATCH, packets - b * CEILING_BATCH);
    collectGarbage();
    seconds += cryptoCeilingSeconds(n, size);
  }
  return seconds;
}

/**
 * One measured transfer of `bytes` and its crypto-only ceiling. The ceiling's batches are
 * measured half before and half after the transfer, so a drift in the machine's background
 * load weighs on both sides alike. Right before the transfer, a dry run of the same seeded
 * transfer (deterministic: checked) gives the ceiling its packet count and size and leaves the
 * heap as a transfer keeps it: a forced collection just before would shrink V8's heap limits
 * and make the next 4 MiB cost twice as much while they grow back, a cost of the measurement
 * rather than of the stack. `ceilingWholeCpu` is the same packets sealed and opened in one
 * loop, the looser ceiling, reported for comparison.
 */
export function measureTransfer(bytes: number, seed = 1): InmemSample {
  const probe = runDownload(createSimPair({ seed, conditions: FAST_LINK }), bytes);
  const packets = probe.packetsSent;
  const meanPacketSize = Math.max(64, Math.round(probe.bytesSent / packets));
  const batches = Math.ceil(packets / CEILING_BATCH);
  const half = Math.floor(batches / 2);
  const before = ceilingSeconds(packets, meanPacketSize, 0, half);
  runDownload(createSimPair({ seed, conditions: FAST_LINK }), bytes);
  const pair = createSimPair({ seed, conditions: FAST_LINK });
  const w0 = performance.now();
  const c0 = cpuSeconds();
  const run = runDownload(pair, bytes);
  const cpu = cpuSeconds() - c0;
  const wall = (performance.now() - w0) / 1000;
  if (!run.done) throw new Error(`in-memory transfer stopped at ${run.bytes} of ${bytes} bytes`);
  if (run.packetsSent !== packets) {
    throw new Error('in-memory transfer is not deterministic: the dry run sent other packets');
  }
  const ceilingCpu = before + ceilingSeconds(packets, meanPacketSize, half, batches);
  collectGarbage();
  const ceilingWholeCpu = cryptoCeilingSeconds(packets, meanPacketSize);
  return { run, cpu, wall, ceilingCpu, ceilingWholeCpu, meanPacketSize };
}

export interface ProtocolSample {
  /** CPU µs per packet per side: the transfer's CPU / (packets sent + packets received). */
  usPerPacketPerSide: number;
  packets: number;
}

/**
 * The protocol logic per packet (issue 13 item 4): the same seeded download with packet
 * protection taken out of both engines (bench/lib/null-crypto.ts), so what is left is the QUIC
 * code (framing, ACKs, loss detection, congestion control, streams, flow control), the engine's
 * routing and the in-memory network's delivery of each datagram (a copy into a pooled buffer and
 * an event queue: the in-memory stand-in for I/O). Each packet is built and sent by one side and
 * received and processed by the other, so the CPU time is divided by twice the packets sent.
 */
export function measureProtocol(bytes: number, seed = 1): ProtocolSample {
  const pair = (): ReturnType<typeof createSimPair> =>
    createSimPair({ seed, conditions: FAST_LINK, crypto: nullPacketProtection });
  runDownload(pair(), bytes);
  const p = pair();
  const c0 = cpuSeconds();
  const run = runDownload(p, bytes);
  const cpu = cpuSeconds() - c0;
  if (!run.done) throw new Error(`in-memory transfer stopped at ${run.bytes} of ${bytes} bytes`);
  return { usPerPacketPerSide: (cpu * 1e6) / (2 * run.packetsSent), packets: run.packetsSent };
}

/**
 * Transfers until the JIT has settled: the first few transfers of a process recompile the data
 * path on V8's background threads (up to half as much CPU again as the transfer itself), which
 * would be charged to the first measured runs. `crypto`: the provider the measured runs use, so
 * that the JIT settles on the same types (the null provider of measureProtocol).
 */
export function warmUp(size: number, crypto?: CryptoProvider): void {
  for (let i = 0; i < 3; i++) {
    runDownload(
      createSimPair({ seed: 90 + i, conditions: FAST_LINK, ...(crypto ? { crypto } : {}) }),
      size,
    );
  }
}

function transfer(ctx: GroupContext): void {
  const size = (ctx.quick ? 16 : 64) * MiB;
  const runs = ctx.quick ? 3 : 5;
  ctx.log(`in-memory transfer: warm-up`);
  warmUp(size);
  const samples: InmemSample[] = [];
  for (let i = 0; i < runs; i++) {
    ctx.log(`in-memory transfer of ${size / MiB} MiB, run ${i + 1}/${runs}`);
    samples.push(measureTransfer(size, i + 1));
  }
  const mib = size / MiB;
  ctx.rec.figure({
    id: 'inmem.goodput',
    name: `in-memory download of ${mib} MiB, both engines on one core (per CPU-second)`,
    unit: 'MiB/s',
    runs: samples.map((s) => mib / s.cpu),
  });
  ctx.rec.figure({
    id: 'inmem.goodput-wall',
    name: `in-memory download of ${mib} MiB, wall clock`,
    unit: 'MiB/s',
    runs: samples.map((s) => mib / s.wall),
  });
  ctx.rec.figure({
    id: 'inmem.ceiling',
    name: 'crypto-only ceiling: seal + open of the same packets, default provider',
    unit: 'MiB/s',
    runs: samples.map((s) => mib / s.ceilingCpu),
    note: `same packet count and mean packet size as the transfer, AES-128-GCM, in batches of ${CEILING_BATCH} packets from a collected heap`,
  });
  ctx.rec.figure({
    id: 'inmem.ratio-whole-ceiling',
    name: 'in-memory goodput / crypto-only ceiling measured in one loop (looser)',
    unit: 'ratio',
    runs: samples.map((s) => s.ceilingWholeCpu / s.cpu),
    note: 'the same packets sealed and opened in one loop: slower per packet as node:crypto garbage piles up',
  });
  ctx.rec.figure({
    id: 'inmem.ratio',
    name: 'in-memory goodput / crypto-only ceiling',
    unit: 'ratio',
    runs: samples.map((s) => s.ceilingCpu / s.cpu),
    target: { op: '>=', value: RATIO_TARGET },
    profile: 'inmem-transfer',
  });
  ctx.rec.figure({
    id: 'inmem.packets-per-second',
    name: 'packets sent by both sides per CPU-second',
    unit: 'packets/s',
    runs: samples.map((s) => s.run.packetsSent / s.cpu),
  });
  ctx.rec.figure({
    id: 'inmem.us-per-packet-per-side',
    name: 'CPU per packet per side, packet protection included (the transfer above)',
    unit: 'µs',
    runs: samples.map((s) => (s.cpu * 1e6) / (2 * s.run.packetsSent)),
  });
  const protocol: ProtocolSample[] = [];
  for (let i = 0; i < runs; i++) {
    ctx.log(`in-memory transfer without packet protection, run ${i + 1}/${runs}`);
    protocol.push(measureProtocol(size, i + 1));
  }
  ctx.rec.figure({
    id: 'inmem.protocol-us-per-packet',
    name: 'protocol logic per packet per side: the same transfer with packet protection taken out (null AEAD and header protection)',
    unit: 'µs',
    runs: protocol.map((s) => s.usPerPacketPerSide),
    target: { op: '<=', value: PROTOCOL_TARGET_US },
    profile: 'inmem-protocol',
    note: 'includes the in-memory network delivering each datagram; see bench/README.md for the trend',
  });
  ctx.rec.figure({
    id: 'inmem.mean-packet-size',
    name: 'mean packet size (data and ACK packets)',
    unit: 'bytes',
    runs: samples.map((s) => s.meanPacketSize),
  });
}

export const inmemGroup: BenchGroup = {
  name: 'inmem',
  summary:
    'in-memory transfer vs the crypto ceiling; congestion-controller grid, fairness, cwnd trace',
  run(ctx) {
    transfer(ctx);
    runControllerGrid(ctx);
    runFairness(ctx);
    runWindowTrace(ctx);
    return Promise.resolve();
  },
};
