/**
 * An Initial flood against one server engine, with and without the flood defence (admission
 * control, src/engine/admission.ts): `count` spoofed client Initials (each from a random
 * address with a fresh DCID, each passing trial decryption: src/testing/initial-flood.ts) over
 * `seconds` of virtual time. Reports the server's CPU time for the flood (only its own calls:
 * the Initials are forged outside the measured time), the connections it held at most, its heap
 * (plus external memory) above the idle server at the peak, measured over forced collections,
 * and what it sent to the spoofed addresses.
 *
 *   npm run build && node dist/bench/flood.js [--count 100000] [--seconds 10] [--mode both]
 *
 * `--mode defence` runs the defaults; `none` turns the limits off (as before admission control:
 * every Initial that opens gets a connection, up to maxConnections 10,000); `both` runs both.
 */
import { parseArgs } from 'node:util';
import { Engine, type ServerConfig } from '../src/engine/engine.js';
import { InitialFlood } from '../src/testing/initial-flood.js';
import { benchCertificate } from './lib/sim.js';
import { collectGarbage } from './lib/timing.js';

const SERVER = { address: '10.0.0.1', port: 443 };
/** Initials forged per batch, outside the measured time; memory is sampled between batches. */
const BATCH = 5000;

interface FloodResult {
  mode: string;
  initials: number;
  serverCpuSeconds: number;
  cpuPerInitialUs: number;
  peakConnections: number;
  peakMemoryMiB: number;
  retries: number;
  otherDatagrams: number;
  sentMiB: number;
}

function memory(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1e6;
}

function run(mode: 'defence' | 'none', count: number, seconds: number): FloodResult {
  const { cert } = benchCertificate();
  const server: ServerConfig = { alpn: ['test'], certificate: cert };
  if (mode === 'none') {
    server.admission = {
      maxUnvalidated: Infinity,
      maxNewPerSecond: Infinity,
      unvalidatedTimeout: Infinity,
    };
  }
  const engine = new Engine({ server });
  const flood = new InitialFlood({ target: SERVER, count, duration: seconds * 1e6 });
  const interval = (seconds * 1e6) / count;
  collectGarbage();
  const base = memory();
  let peakMemory = 0;
  let peakConnections = 0;
  let cpu = 0;
  let retries = 0;
  let other = 0;
  let sentBytes = 0;
  for (let i = 0; i < count;) {
    const n = Math.min(BATCH, count - i);
    const batch: { data: Uint8Array; from: { address: string; port: number } }[] = [];
    for (let k = 0; k < n; k++) batch.push({ data: flood.forge(), from: flood.spoofedAddress() });
    const start = process.cpuUsage();
    for (const d of batch) {
      const now = i * interval;
      i++;
      if (engine.nextTimeout() <= now) engine.handleTimeout(now);
      engine.handleDatagram(d.data, SERVER, d.from, now);
      for (let t = engine.pollTransmit(now); t; t = engine.pollTransmit(now)) {
        sentBytes += t.data.length;
        // RFC 9000 §17.2.5: a v1 Retry is long header type 3.
        if ((t.data[0]! & 0xb0) === 0xb0) retries++;
        else other++;
      }
      peakConnections = Math.max(peakConnections, engine.connectionCount);
    }
    cpu += cpuSeconds(start);
    batch.length = 0;
    collectGarbage();
    peakMemory = Math.max(peakMemory, memory() - base);
  }
  return {
    mode,
    initials: count,
    serverCpuSeconds: cpu,
    cpuPerInitialUs: (cpu / count) * 1e6,
    peakConnections,
    peakMemoryMiB: peakMemory / 2 ** 20,
    retries,
    otherDatagrams: other,
    sentMiB: sentBytes / 2 ** 20,
  };
}

function main(): void {
  const { values } = parseArgs({
    options: {
      count: { type: 'string', default: '100000' },
      seconds: { type: 'string', default: '10' },
      mode: { type: 'string', default: 'both' },
    },
  });
  const count = Number(values.count);
  const seconds = Number(values.seconds);
  if (!(count > 0 && seconds > 0)) throw new RangeError('--count and --seconds must be > 0');
  const modes = (['defence', 'none'] as const).filter((m) => [m, 'both'].includes(values.mode!));
  if (modes.length === 0) throw new RangeError('--mode is defence, none or both');
  console.log(`${count} spoofed Initials over ${seconds} s of virtual time, one server engine`);
  console.log(
    'mode     server CPU  per Initial  peak conns  peak heap+ext  Retry sent  other sent  MiB sent',
  );
  for (const mode of modes) {
    const r = run(mode, count, seconds);
    console.log(
      [
        r.mode.padEnd(7),
        `${r.serverCpuSeconds.toFixed(2)} s`.padStart(11),
        `${r.cpuPerInitialUs.toFixed(0)} µs`.padStart(12),
        String(r.peakConnections).padStart(11),
        `${r.peakMemoryMiB.toFixed(1)} MiB`.padStart(14),
        String(r.retries).padStart(11),
        String(r.otherDatagrams).padStart(11),
        r.sentMiB.toFixed(1).padStart(9),
      ].join(' '),
    );
  }
}

main();
