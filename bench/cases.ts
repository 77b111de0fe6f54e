/**
 * Single cases the runner starts in a child process under `node --cpu-prof` to explain a missed
 * target (`main --case NAME`): each does the work of the figure it explains, and nothing else, for
 * a few seconds.
 */
import { cryptoCeilingSeconds } from './inmem.js';
import { createSimPair, runDownload } from './lib/sim.js';
import { runHandshakeBench } from './tls.js';

const MiB = 1024 * 1024;

export const CASES: Readonly<Record<string, (quick: boolean) => void>> = {
  /** The in-memory download of the inmem group, without the crypto-only ceiling. */
  'inmem-transfer': (quick) => {
    const r = runDownload(createSimPair({ conditions: { delay: 1_000 } }), (quick ? 16 : 64) * MiB);
    if (!r.done) throw new Error('the profiled transfer did not complete');
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
};
