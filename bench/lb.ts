/**
 * QUIC-LB micro-benchmark: what routing one datagram by its CID costs a load balancer
 * (QuicLbDecoder.route: the server ID out of a short header's DCID), and what issuing one CID
 * costs a server (QuicLbCidGenerator.next), per CPU-second, for each CID construction of
 * draft-ietf-quic-load-balancers-21 §5.4 and per crypto provider.
 */
import { defaultProvider, nobleProvider } from '../src/crypto/index.js';
import type { CryptoProvider } from '../src/crypto/provider.js';
import type { QuicLbConfig } from '../src/lb/config.js';
import { QuicLbDecoder } from '../src/lb/decoder.js';
import { QuicLbCidGenerator } from '../src/lb/generator.js';
import { timeRates, type RateCase } from './lib/timing.js';
import { summarize, type Summary } from './lib/stats.js';

export interface LbBenchOptions {
  /** CPU time of one timed run, ms (default 150). */
  durationMs?: number;
  /** Timed runs (default 5). */
  runs?: number;
  providers?: readonly CryptoProvider[];
}

export interface LbRate {
  /** "route, four-pass 2+6, default provider", ... */
  operation: string;
  perSec: Summary;
}

const KEY = new Uint8Array(16).fill(0x5a);

/** The constructions: no key, single pass (16 octets), four-pass decoded in three passes or four. */
const CONFIGS: readonly { name: string; config: QuicLbConfig }[] = [
  { name: 'plaintext 2+6', config: { configId: 0, serverIdLength: 2, nonceLength: 6 } },
  {
    name: 'single-pass 8+8',
    config: { configId: 1, serverIdLength: 8, nonceLength: 8, key: KEY },
  },
  { name: 'four-pass 2+6', config: { configId: 2, serverIdLength: 2, nonceLength: 6, key: KEY } },
  {
    name: 'four-pass 10+5',
    config: { configId: 3, serverIdLength: 10, nonceLength: 5, key: KEY },
  },
];

export function runLbBench(opts: LbBenchOptions = {}): LbRate[] {
  const named: { operation: string; c: RateCase }[] = [];
  for (const provider of opts.providers ?? [defaultProvider, nobleProvider]) {
    for (const { name, config } of CONFIGS) {
      const serverId = new Uint8Array(config.serverIdLength).fill(3);
      const gen = new QuicLbCidGenerator({ ...config, serverId }, provider);
      const decoder = new QuicLbDecoder([config], provider);
      // A 1-RTT datagram's first bytes: the short header's first octet, then the DCID.
      const datagram = new Uint8Array(64);
      datagram[0] = 0x40;
      datagram.set(gen.next(), 1);
      named.push({
        operation: `route by CID, ${name}, ${provider.name} provider`,
        c: {
          op: () => {
            if (decoder.route(datagram)?.serverId[0] !== 3) throw new Error('misrouted');
          },
          rates: [],
        },
      });
      named.push({
        operation: `issue a CID, ${name}, ${provider.name} provider`,
        c: { op: () => void gen.next(), rates: [] },
      });
    }
  }
  timeRates(
    named.map((x) => x.c),
    opts.durationMs ?? 150,
    opts.runs ?? 5,
  );
  return named.map((x) => ({ operation: x.operation, perSec: summarize(x.c.rates) }));
}
