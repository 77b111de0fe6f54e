/**
 * Crypto benchmark: packets per second for QUIC packet protection and unprotection per provider
 * and cipher suite, the AEAD alone per packet (one packet per call and batches of 32), the cost
 * of header protection alone, of each key exchange, and of the hash/HMAC/HKDF primitives. These
 * figures choose the pure provider's primitives (src/crypto/pure-provider.ts) and compare the
 * backends; they are recorded in bench/README.md.
 *
 *     npx tsx bench/crypto.ts [--duration ms] [--runs n] [--json]
 *
 * Single-threaded: one core. Each figure is the median of `runs` runs of `duration` ms of CPU
 * time (default 5 x 150 ms).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  CIPHER_SUITES,
  PacketProtector,
  backend,
  hkdfExpandLabel,
  nobleProvider,
  nodeProvider,
  pureProvider,
  type AeadAlg,
  type CipherSuiteName,
  type CryptoProvider,
  type HpAlg,
  type KeyExchangeGroup,
} from '../src/crypto/index.js';

export interface CryptoBenchOptions {
  /** CPU time of one timed run in milliseconds (default 150). */
  durationMs?: number;
  /** Timed runs per figure; the median is reported (default 5). */
  runs?: number;
  /** Providers to measure (default node, noble, pure, and native when its addon loaded). */
  providers?: readonly CryptoProvider[];
  /** Measure the AEAD alone per packet, single and in batches (default true). */
  aead?: boolean;
  /** Cipher suites to measure (default all three). */
  suites?: readonly CipherSuiteName[];
  /** Whole packet sizes in bytes, header and tag included (default 1200 and 1452). */
  packetSizes?: readonly number[];
  /** Measure key exchanges too (default true; noble's are slow). */
  keyExchange?: boolean;
}

export interface PacketRate {
  provider: string;
  suite: CipherSuiteName;
  /** Whole packet size: 11-byte short header + payload + 16-byte tag. */
  size: number;
  protectPerSec: number;
  /** Includes copying the received packet into the work buffer, as a receive path does. */
  unprotectPerSec: number;
  /** The rate of each timed run (the figures above are their medians). */
  protectRuns: number[];
  unprotectRuns: number[];
}

/** The AEAD alone on whole packets of one buffer, in place: µs of CPU per packet. */
export interface AeadCost {
  provider: string;
  alg: AeadAlg;
  /** Whole packet size (header + payload + tag). */
  size: number;
  /** Packets per call: 1 (seal/open) or the batch size (sealBatch/openBatch). */
  batch: number;
  sealUs: number;
  /** Includes copying the sealed packets into the work buffer first, as a receive path does. */
  openUs: number;
  sealRuns: number[];
  openRuns: number[];
}

export interface HeaderProtectionCost {
  provider: string;
  alg: HpAlg;
  /** Masks per call: 1 (mask) or AEAD_BATCH (maskBatch). */
  batch: number;
  /** One 5-byte mask. */
  nsPerMask: number;
  /** Each timed run's figure. */
  runs: number[];
}

export interface KeyExchangeCost {
  provider: string;
  group: KeyExchangeGroup;
  generateUs: number;
  deriveUs: number;
  /** Each timed run's figures. */
  generateRuns: number[];
  deriveRuns: number[];
}

export interface PrimitiveCost {
  provider: string;
  op: string;
  usPerOp: number;
  /** Each timed run's figure. */
  runs: number[];
}

export interface CryptoBenchResult {
  node: string;
  packets: PacketRate[];
  aead: AeadCost[];
  headerProtection: HeaderProtectionCost[];
  keyExchange: KeyExchangeCost[];
  primitives: PrimitiveCost[];
}

const HEADER_LENGTH = 11; // 0x41, 8-byte DCID, 2-byte packet number
const PN_OFFSET = 9;
const WARMUP_MS = 100;

/** CPU time of this process in milliseconds (user + system). */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * One thing to time; `done` receives the median rate in operations per CPU-second and the rate
 * of each run.
 */
interface Case {
  op: () => void;
  done: (perSec: number, runs: number[]) => void;
  batch: number;
  rates: number[];
}

/** Sizes a batch to ~1 ms so the clock is read rarely, then warms up (JIT tiers, caches). */
function warmUp(c: Case): void {
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < c.batch; i++) c.op();
    if (performance.now() - t0 >= 1 || c.batch >= 1 << 20) break;
    c.batch *= 2;
  }
  for (const t0 = performance.now(); performance.now() - t0 < WARMUP_MS;) {
    for (let i = 0; i < c.batch; i++) c.op();
  }
}

/** One timed run of `durationMs` of CPU time. */
function timeRun(c: Case, durationMs: number): void {
  let n = 0;
  const t0 = cpuMs();
  let elapsed = 0;
  do {
    for (let i = 0; i < c.batch; i++) c.op();
    n += c.batch;
    elapsed = cpuMs() - t0;
  } while (elapsed < durationMs);
  c.rates.push((n * 1000) / elapsed);
}

/**
 * Times every case `runs` times, round-robin, and reports each case's median. CPU time rather
 * than wall time: on a shared machine, time spent descheduled is not the code's cost (GC
 * helper threads do count, which errs on the pessimistic side). Round-robin rounds spread any
 * background load evenly over the cases being compared.
 */
function timeAll(cases: Case[], durationMs: number, runs: number): void {
  for (const c of cases) warmUp(c);
  for (let r = 0; r < runs; r++) for (const c of cases) timeRun(c, durationMs);
  for (const c of cases) {
    const sorted = [...c.rates].sort((a, b) => a - b);
    c.done(sorted[Math.floor(sorted.length / 2)]!, c.rates);
  }
}

function filled(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 131 + seed) & 0xff;
  return b;
}

type AddCase = (op: () => void, done: (perSec: number, runs: number[]) => void) => void;

function packetCases(
  add: AddCase,
  provider: CryptoProvider,
  suiteName: CipherSuiteName,
  size: number,
): PacketRate {
  const row: PacketRate = {
    provider: provider.name,
    suite: suiteName,
    size,
    protectPerSec: 0,
    unprotectPerSec: 0,
    protectRuns: [],
    unprotectRuns: [],
  };
  const suite = CIPHER_SUITES.find((s) => s.name === suiteName)!;
  const secret = filled(suite.hashLength, 7);
  const tx = new PacketProtector(provider, suite, secret, 1);
  const rx = new PacketProtector(provider, suite, secret, 1);
  const header = filled(HEADER_LENGTH, 3);
  header[0] = 0x41;
  const payloadEnd = size - 16;

  const buf = filled(size, 1);
  let pn = 0;
  add(
    () => {
      buf.set(header); // header protection changed it; restore like an assembler would write it
      tx.protect(buf, 0, PN_OFFSET, payloadEnd, pn++);
    },
    (r, runs) => {
      row.protectPerSec = r;
      row.protectRuns = runs;
    },
  );

  const wire = filled(size, 1);
  wire.set(header);
  const rxPn = 0x2a2a;
  tx.protect(wire, 0, PN_OFFSET, payloadEnd, rxPn);
  const work = new Uint8Array(size);
  add(
    () => {
      work.set(wire);
      const pnLength = rx.removeHeaderProtection(work, 0, PN_OFFSET, size);
      if (rx.openPayload(work, 0, PN_OFFSET, pnLength, rxPn, size) < 0) {
        throw new Error(`${provider.name} ${suiteName}: benchmark packet failed to open`);
      }
    },
    (r, runs) => {
      row.unprotectPerSec = r;
      row.unprotectRuns = runs;
    },
  );
  return row;
}

/** Batch size of the batch AEAD figures: a GSO send or a recvmmsg read of 32 datagrams. */
export const AEAD_BATCH = 32;

/**
 * Seal and open of AEAD_BATCH packets of `size` bytes lying back to back in one buffer, either
 * one call per packet or one batch call for all of them. The single case walks the same
 * packets one at a time, so both touch the same memory.
 */
function aeadCases(
  add: AddCase,
  provider: CryptoProvider,
  alg: AeadAlg,
  size: number,
  batch: number,
): AeadCost {
  const row: AeadCost = {
    provider: provider.name,
    alg,
    size,
    batch,
    sealUs: 0,
    openUs: 0,
    sealRuns: [],
    openRuns: [],
  };
  const aead = provider.createAead(alg, filled(alg === 'aes-128-gcm' ? 16 : 32, 11));
  const n = AEAD_BATCH;
  const sealOffsets = new Uint32Array(3 * n);
  const openOffsets = new Uint32Array(3 * n);
  for (let i = 0; i < n; i++) {
    sealOffsets[3 * i] = openOffsets[3 * i] = i * size;
    sealOffsets[3 * i + 1] = openOffsets[3 * i + 1] = i * size + HEADER_LENGTH;
    sealOffsets[3 * i + 2] = (i + 1) * size - 16;
    openOffsets[3 * i + 2] = (i + 1) * size;
  }
  const nonces = filled(12 * n, 13);
  const buf = filled(n * size, 1);
  const results = new Int32Array(n);
  // Per-packet views for the single calls, made once (a real caller has them at hand).
  const views = Array.from({ length: n }, (_, i) => ({
    nonce: nonces.subarray(12 * i, 12 * i + 12),
    aad: buf.subarray(i * size, i * size + HEADER_LENGTH),
    plain: buf.subarray(i * size + HEADER_LENGTH, (i + 1) * size - 16),
    sealed: buf.subarray(i * size + HEADER_LENGTH, (i + 1) * size),
    payload: i * size + HEADER_LENGTH,
  }));
  const seal =
    batch === 1
      ? () => {
          for (const v of views) aead.seal(v.nonce, v.aad, v.plain, buf, v.payload);
        }
      : () => aead.sealBatch(buf, sealOffsets, nonces, n);
  add(seal, (r, runs) => {
    row.sealUs = 1e6 / (r * n);
    row.sealRuns = runs.map((x) => 1e6 / (x * n));
  });

  const wire = filled(n * size, 1);
  aead.sealBatch(wire, sealOffsets, nonces, n);
  const open =
    batch === 1
      ? () => {
          buf.set(wire);
          for (const v of views) {
            if (aead.open(v.nonce, v.aad, v.sealed, buf, v.payload) < 0) {
              throw new Error(`${provider.name} ${alg}: benchmark packet failed to open`);
            }
          }
        }
      : () => {
          buf.set(wire);
          if (aead.openBatch(buf, openOffsets, nonces, n, results) !== 0) {
            throw new Error(`${provider.name} ${alg}: benchmark batch failed to open`);
          }
        };
  add(open, (r, runs) => {
    row.openUs = 1e6 / (r * n);
    row.openRuns = runs.map((x) => 1e6 / (x * n));
  });
  return row;
}

function hpCase(
  add: AddCase,
  provider: CryptoProvider,
  alg: HpAlg,
  batch: number,
): HeaderProtectionCost {
  const row: HeaderProtectionCost = { provider: provider.name, alg, batch, nsPerMask: 0, runs: [] };
  const hp = provider.createHeaderProtection(alg, filled(alg === 'aes-128-ecb' ? 16 : 32, 9));
  const packet = filled(64, 5);
  const mask = new Uint8Array(5);
  const masks = new Uint8Array(5 * batch);
  const offsets = new Uint32Array(batch).map((_, i) => (i & 15) + 8);
  let i = 0;
  add(
    batch === 1
      ? () => {
          const o = (i++ & 15) + 8;
          hp.mask(packet.subarray(o, o + 16), mask);
        }
      : () => hp.maskBatch(packet, offsets, batch, masks),
    (r, runs) => {
      row.nsPerMask = 1e9 / (r * batch);
      row.runs = runs.map((x) => 1e9 / (x * batch));
    },
  );
  return row;
}

function keyExchangeCases(
  add: AddCase,
  provider: CryptoProvider,
  group: KeyExchangeGroup,
): KeyExchangeCost {
  const row: KeyExchangeCost = {
    provider: provider.name,
    group,
    generateUs: 0,
    deriveUs: 0,
    generateRuns: [],
    deriveRuns: [],
  };
  add(
    () => provider.generateKeyShare(group),
    (r, runs) => {
      row.generateUs = 1e6 / r;
      row.generateRuns = runs.map((x) => 1e6 / x);
    },
  );
  const share = provider.generateKeyShare(group);
  const peer = provider.generateKeyShare(group).publicKey;
  add(
    () => {
      if (share.deriveSecret(peer) === null) throw new Error('key exchange failed');
    },
    (r, runs) => {
      row.deriveUs = 1e6 / r;
      row.deriveRuns = runs.map((x) => 1e6 / x);
    },
  );
  return row;
}

function primitiveCases(add: AddCase, p: CryptoProvider): PrimitiveCost[] {
  const data = filled(64, 2);
  const key = filled(32, 4);
  const empty = new Uint8Array(0);
  const ops: [string, () => void][] = [
    ['random 32 B', () => p.random(32)],
    ['sha256 64 B', () => p.hash('sha256', data)],
    ['hmac-sha256 64 B', () => p.hmac('sha256', key, data)],
    ['hkdf-extract sha256', () => p.hkdfExtract('sha256', key, data)],
    ['expand-label 16 B', () => hkdfExpandLabel(p, 'sha256', key, 'quic key', empty, 16)],
    ['packet protector setup', () => new PacketProtector(p, CIPHER_SUITES[0]!, key, 1)],
  ];
  // Signature verification (each handshake verifies CertificateVerify and the chain); signing
  // keys come from the same provider.
  for (const [type, scheme] of [
    ['ec-p256', 'ecdsa_secp256r1_sha256'],
    ['ed25519', 'ed25519'],
  ] as const) {
    const signer = p.generateSigningKey(type);
    const signature = signer.sign(scheme, data);
    ops.push([
      `verify ${scheme}`,
      () => {
        if (!p.verify(scheme, signer.spki, data, signature)) throw new Error('verify failed');
      },
    ]);
  }
  return ops.map(([op, fn]) => {
    const row: PrimitiveCost = { provider: p.name, op, usPerOp: 0, runs: [] };
    add(fn, (r, runs) => {
      row.usPerOp = 1e6 / r;
      row.runs = runs.map((x) => 1e6 / x);
    });
    return row;
  });
}

export function runCryptoBench(opts: CryptoBenchOptions = {}): CryptoBenchResult {
  const durationMs = opts.durationMs ?? 150;
  const runs = opts.runs ?? 5;
  const native = backend.native.loaded ? [backend.native.provider] : [];
  const providers = opts.providers ?? [nodeProvider, nobleProvider, pureProvider, ...native];
  const suites = opts.suites ?? CIPHER_SUITES.map((s) => s.name);
  const sizes = opts.packetSizes ?? [1200, 1452];
  const result: CryptoBenchResult = {
    node: process.version,
    packets: [],
    aead: [],
    headerProtection: [],
    keyExchange: [],
    primitives: [],
  };
  const cases: Case[] = [];
  const add: AddCase = (op, done) => cases.push({ op, done, batch: 1, rates: [] });
  for (const p of providers) {
    for (const suite of suites) {
      for (const size of sizes) result.packets.push(packetCases(add, p, suite, size));
    }
    // The AEAD alone: pure's is node's, so only node, noble and native are distinct.
    if ((opts.aead ?? true) && p !== pureProvider) {
      for (const suite of suites) {
        const alg = CIPHER_SUITES.find((s) => s.name === suite)!.aead;
        for (const batch of [1, AEAD_BATCH]) {
          result.aead.push(aeadCases(add, p, alg, sizes[0]!, batch));
        }
      }
    }
    for (const alg of ['aes-128-ecb', 'aes-256-ecb', 'chacha20'] as const) {
      for (const batch of [1, AEAD_BATCH]) {
        result.headerProtection.push(hpCase(add, p, alg, batch));
      }
    }
    if (opts.keyExchange ?? true) {
      for (const group of ['x25519', 'secp256r1', 'secp384r1'] as const) {
        result.keyExchange.push(keyExchangeCases(add, p, group));
      }
    }
    result.primitives.push(...primitiveCases(add, p));
  }
  timeAll(cases, durationMs, runs);
  return result;
}

/** A Markdown table; columns listed in `numeric` are right-aligned. */
function table(head: string[], rows: string[][], numeric: number): string {
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const right = (i: number) => i >= head.length - numeric;
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (right(i) ? c.padStart(width[i]!) : c.padEnd(width[i]!))).join(' | ')} |`;
  const rule = `|${width.map((w, i) => '-'.repeat(w + 1) + (right(i) ? ':' : '-')).join('|')}|`;
  return [line(head), rule, ...rows.map(line)].join('\n');
}

const int = (x: number) => Math.round(x).toLocaleString('en-US');
const fixed = (x: number, d: number) => x.toFixed(d);

/** The result as Markdown tables (the format of bench/README.md). */
export function formatCryptoBench(r: CryptoBenchResult): string {
  return [
    `Node ${r.node}, one core, rates per CPU-second.`,
    '',
    'Packets per second (short header, whole packet size incl. 16-byte tag):',
    '',
    table(
      ['provider', 'suite', 'size', 'protect/s', 'unprotect/s'],
      r.packets.map((x) => [
        x.provider,
        x.suite,
        String(x.size),
        int(x.protectPerSec),
        int(x.unprotectPerSec),
      ]),
      3,
    ),
    '',
    `The AEAD alone, in place, µs of CPU per packet (one call per packet, or batches of ${AEAD_BATCH} in one call; open includes copying the packets in):`,
    '',
    table(
      ['provider', 'AEAD', 'size', 'packets/call', 'seal µs', 'open µs'],
      r.aead.map((x) => [
        x.provider,
        x.alg,
        String(x.size),
        String(x.batch),
        fixed(x.sealUs, 3),
        fixed(x.openUs, 3),
      ]),
      4,
    ),
    '',
    'Header protection alone (one 5-byte mask; per call one mask or a batch):',
    '',
    table(
      ['provider', 'alg', 'masks/call', 'ns/mask'],
      r.headerProtection.map((x) => [x.provider, x.alg, String(x.batch), fixed(x.nsPerMask, 0)]),
      2,
    ),
    '',
    ...(r.keyExchange.length === 0
      ? []
      : [
          'Key exchange:',
          '',
          table(
            ['provider', 'group', 'generate µs', 'derive µs'],
            r.keyExchange.map((x) => [
              x.provider,
              x.group,
              fixed(x.generateUs, 1),
              fixed(x.deriveUs, 1),
            ]),
            2,
          ),
          '',
        ]),
    'Primitives:',
    '',
    table(
      ['provider', 'operation', 'µs/op'],
      r.primitives.map((x) => [x.provider, x.op, fixed(x.usPerOp, 2)]),
      1,
    ),
  ].join('\n');
}

const invokedDirectly =
  process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);

if (invokedDirectly) {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string' },
      runs: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const result = runCryptoBench({
    ...(values.duration !== undefined && { durationMs: Number(values.duration) }),
    ...(values.runs !== undefined && { runs: Number(values.runs) }),
  });
  console.log(values.json ? JSON.stringify(result, null, 2) : formatCryptoBench(result));
}
