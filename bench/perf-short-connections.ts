/**
 * Short connections in one process (issue 13 item 5): the loopback benchmark's exchange (a
 * handshake, one 1 KiB GET, a graceful close) made `count` times one after another, client and
 * server on loopback in this process. Prints the datagrams each side sent and the packets it
 * received per connection (the core's own counters), and this process's CPU per connection:
 * both sides' work without a second process to wake.
 *
 *   npx tsc -p . && node dist/bench/perf-short-connections.js [count] [runs] [group]
 */
import { once } from 'node:events';
import type { KeyExchangeGroup } from '../src/crypto/provider.js';
import { connect, createServer, type QuicConnection } from '../src/node/index.js';
import { makeCredentials } from './loopback.js';
import { serveStream } from './loopback/app.js';
import { ALPN, OP_DOWNLOAD, encodeRequest } from './loopback/protocol.js';

const count = Number(process.argv[2] ?? 500);
const runs = Number(process.argv[3] ?? 3);
const group = (process.argv[4] ?? 'x25519') as KeyExchangeGroup;
const GET_BYTES = 1024;

interface Tally {
  clientSent: number;
  clientReceived: number;
  serverSent: number;
  serverReceived: number;
  serverClosed: number;
}
const tally: Tally = {
  clientSent: 0,
  clientReceived: 0,
  serverSent: 0,
  serverReceived: 0,
  serverClosed: 0,
};

const creds = makeCredentials();
const server = createServer({ alpn: [ALPN], cert: creds.certPem, key: creds.keyPem }, (conn) => {
  conn.on('stream', serveStream);
  conn.on('close', () => tallyConnection(conn, 'server'));
});
const { port } = await server.listen(0, '127.0.0.1');

function tallyConnection(conn: QuicConnection, side: 'client' | 'server'): void {
  const s = conn.core.stats;
  if (side === 'client') {
    tally.clientSent += s.datagramsSent;
    tally.clientReceived += s.packetsReceived;
  } else {
    tally.serverSent += s.datagramsSent;
    tally.serverReceived += s.packetsReceived;
    tally.serverClosed++;
  }
}

async function one(): Promise<void> {
  const conn = connect(
    { host: '127.0.0.1', port },
    { alpn: [ALPN], insecure: true, groups: [group] },
  );
  await conn.ready;
  const s = await conn.openStream();
  let n = 0;
  s.on('data', (c: Buffer) => (n += c.length));
  const end = once(s, 'end');
  s.end(encodeRequest(OP_DOWNLOAD, GET_BYTES));
  await end;
  await conn.close();
  if (n !== GET_BYTES) throw new Error(`received ${n} of ${GET_BYTES} bytes`);
  tallyConnection(conn, 'client');
}

try {
  for (let i = 0; i < count; i++) await one(); // warm-up: V8 optimizes the handshake path
  for (let r = 0; r < runs; r++) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < count; i++) await one();
    const cpu = process.cpuUsage(cpu0);
    const ms = performance.now() - t0;
    console.log(
      `run ${r + 1}: ${((cpu.user + cpu.system) / count).toFixed(0)} µs CPU per connection, both` +
        ` sides; ${((count * 1000) / ms).toFixed(0)} connections/s`,
    );
  }
  // Server connections end after their closing period: wait for the last ones.
  const total = count * (runs + 1);
  for (let i = 0; i < 100 && tally.serverClosed < total; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const per = (x: number, n: number): string => (x / n).toFixed(2);
  console.log(
    `per connection: client sent ${per(tally.clientSent, total)} datagrams, received` +
      ` ${per(tally.clientReceived, total)} packets; server sent` +
      ` ${per(tally.serverSent, tally.serverClosed)} datagrams, received` +
      ` ${per(tally.serverReceived, tally.serverClosed)} packets (${tally.serverClosed} closed)`,
  );
} finally {
  await server.close();
}
