/**
 * Handshake CPU in memory (issue 13 item 5): one server engine and one client engine over the
 * in-memory network, connections made one after another (handshake to confirmation, then a
 * close), CPU µs per handshake of both sides together, for the default (hybrid ML-KEM) key
 * exchange and for x25519 alone. No sockets, no waits: what is left is the handshake's own
 * work (key exchange, signatures, key schedule, certificates, packets).
 *
 *   npx tsc -p . && node dist/bench/perf-handshake.js [handshakes] [runs]
 *   node --cpu-prof dist/bench/perf-handshake.js 300 1
 */
import type { KeyExchangeGroup } from '../src/crypto/provider.js';
import { createEnginePair } from '../src/testing/index.js';
import { benchCertificate } from './lib/sim.js';
import { cpuSeconds } from './lib/timing.js';

const count = Number(process.argv[2] ?? 200);
const runs = Number(process.argv[3] ?? 3);
const kinds: readonly { label: string; groups?: KeyExchangeGroup[] }[] = [
  { label: 'hybrid' },
  { label: 'x25519', groups: ['x25519'] },
];

const pair = createEnginePair({
  alpn: ['bench'],
  serverName: 'bench.example',
  certificate: benchCertificate(),
  conditions: { delay: 1000 },
  connections: 0,
});

/** `n` handshakes one after another; CPU seconds. */
function handshakes(n: number, groups: KeyExchangeGroup[] | undefined): number {
  const c0 = cpuSeconds();
  for (let i = 0; i < n; i++) {
    const c = pair.connect(groups !== undefined ? { groups } : {});
    const ok = pair.runUntil(() => {
      pair.acceptAll();
      return c.handshakeConfirmed && pair.accepted.length > 0;
    }, 5_000_000);
    if (!ok) throw new Error('handshake did not complete');
    c.close();
    pair.accepted.length = 0;
    pair.conns.length = 0;
    pair.runFor(50_000);
  }
  return cpuSeconds() - c0;
}

for (const k of kinds) handshakes(Math.min(50, count), k.groups); // warm-up
for (let r = 0; r < runs; r++) {
  for (const k of kinds) {
    const s = handshakes(count, k.groups);
    console.log(
      `${k.label.padEnd(6)} run ${r + 1}: ${((s * 1e6) / count).toFixed(0)} µs CPU per handshake` +
        ` (both sides, ${count} handshakes)`,
    );
  }
}
