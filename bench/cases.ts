/**
 * Single cases the runner starts in a child process to explain a missed target (`main --case
 * NAME`): under `node --cpu-prof`, each CPU case does the work of the figure it explains, and
 * nothing else, for a few seconds; the memory case prints a heap-growth summary (JSON) on stdout.
 */
import { cryptoCeilingSeconds, measureProtocol } from './inmem.js';
import { heapGrowth } from './memory.js';
import { createSimPair, runDownload } from './lib/sim.js';
import { runHandshakeBench } from './tls.js';

const MiB = 1024 * 1024;

export type BenchCase = (quick: boolean, print: (text: string) => void) => void | Promise<void>;

export const CASES: Readonly<Record<string, BenchCase>> = {
  /** The in-memory download of the inmem group, without the crypto-only ceiling. */
  'inmem-transfer': (quick) => {
    const r = runDownload(createSimPair({ conditions: { delay: 1_000 } }), (quick ? 16 : 64) * MiB);
    if (!r.done) throw new Error('the profiled transfer did not complete');
  },
  /** The same download without packet protection: the protocol logic alone. */
  'inmem-protocol': (quick) => {
    measureProtocol((quick ? 16 : 64) * MiB);
  },
  /** ECDSA P-256 TLS handshakes in memory. */
  'tls-handshake': (quick) => {
    runHandshakeBench({
      keyTypes: ['ec-p256'],
      resumption: false,
      durationMs: quick ? 1_500 : 4_000,
      runs: 1,
    });
  },
  /** Packet protection and unprotection, AES-128-GCM, 1200-byte packets, default provider. */
  'crypto-packets': (quick) => {
    cryptoCeilingSeconds(quick ? 100_000 : 300_000, 1200);
  },
  /** Heap growth by constructor for idle connections (both ends), as JSON. */
  'memory-heap': async (quick, print) => {
    print(JSON.stringify(await heapGrowth(quick ? 100 : 300)) + '\n');
  },
};
