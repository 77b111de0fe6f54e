/**
 * Quick loopback measurement for the data-path performance pass: a tsquic server and client in
 * two processes (bench/loopback/server-process and client-process, the same children the
 * loopback group uses), `runs` downloads of `MiB` on one connection, wall-clock MiB/s and the
 * CPU seconds of each process.
 *
 *   npx tsc -p . && node dist/bench/perf-loopback.js [MiB] [runs] [--prof DIR]
 *
 * `--prof DIR` runs both children under `--cpu-prof` and writes their profiles to DIR/server
 * and DIR/client.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { defaultProvider } from '../src/crypto/index.js';
import { createSelfSignedCertificate, pemEncode } from '../src/tls/x509/index.js';
import { siblingModule, type ClientResult } from './loopback/protocol.js';

const MiB = 1024 * 1024;
const args = process.argv.slice(2);
const profIndex = args.indexOf('--prof');
const profDir = profIndex >= 0 ? args[profIndex + 1] : undefined;
const plain = args.filter((a, i) => !a.startsWith('--') && (profIndex < 0 || i !== profIndex + 1));
const bytes = Number(plain[0] ?? 100) * MiB;
const runs = Number(plain[1] ?? 3);

function child(name: string): ChildProcess {
  const extra: string[] = [];
  if (profDir !== undefined) {
    const dir = path.join(profDir, name);
    mkdirSync(dir, { recursive: true });
    extra.push('--cpu-prof', '--cpu-prof-dir', dir);
  }
  return fork(siblingModule(import.meta.url, `loopback/${name}-process`), [], {
    execArgv: [...process.execArgv, ...extra],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

function reply<T extends { type: string }>(p: ChildProcess, msg: object, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const on = (m: T): void => {
      if (m.type === type) {
        p.off('message', on);
        resolve(m);
      } else if (m.type === 'error') {
        p.off('message', on);
        reject(new Error(JSON.stringify(m)));
      }
    };
    p.on('message', on);
    p.send(msg);
  });
}

const c = createSelfSignedCertificate(defaultProvider, {
  names: ['localhost', '127.0.0.1'],
  notBefore: Date.UTC(2020, 0, 1),
  notAfter: Date.UTC(2099, 0, 1),
});
const server = child('server');
const client = child('client');
const { port } = await reply<{ type: string; port: number }>(
  server,
  {
    type: 'start',
    certPem: pemEncode('CERTIFICATE', c.certificate),
    keyPem: pemEncode('PRIVATE KEY', c.pkcs8),
  },
  'listening',
);
const rates: number[] = [];
for (let i = 0; i < runs; i++) {
  const s0 = (await reply<{ type: string; seconds: number }>(server, { type: 'cpu' }, 'cpu'))
    .seconds;
  const r = await reply<ClientResult>(
    client,
    { type: 'download', port, bytes, connections: 1 },
    'result',
  );
  const s1 = (await reply<{ type: string; seconds: number }>(server, { type: 'cpu' }, 'cpu'))
    .seconds;
  if (r.error !== undefined) throw new Error(r.error);
  const rate = r.bytes / MiB / (r.wallMs / 1000);
  rates.push(rate);
  console.log(
    `run ${i + 1}: ${rate.toFixed(1)} MiB/s, server cpu ${(s1 - s0).toFixed(2)} s,` +
      ` client cpu ${r.cpuSeconds.toFixed(2)} s, wall ${(r.wallMs / 1000).toFixed(2)} s`,
  );
}
rates.sort((a, b) => a - b);
console.log(`median ${rates[rates.length >> 1]!.toFixed(1)} MiB/s`);
for (const p of [client, server]) p.send({ type: 'stop' });
