/**
 * The loopback benchmark's client: a child process (forked by bench/loopback.ts) that runs one
 * task at a time against a server on 127.0.0.1 through the tsquic Node adapter and reports wall
 * time, bytes, counts and its own CPU time. It exits cleanly on 'stop' (for `--cpu-prof`).
 */
import { once } from 'node:events';
import type { KeyExchangeGroup } from '../../src/crypto/provider.js';
import {
  connect,
  createClientEndpoint,
  type QuicClientEndpoint,
  type QuicConnection,
  type QuicStream,
} from '../../src/node/index.js';
import {
  ALPN,
  OP_DOWNLOAD,
  OP_UPLOAD,
  encodeRequest,
  processCpuSeconds,
  type ClientResult,
  type ClientTask,
} from './protocol.js';

const CHUNK = Buffer.alloc(64 * 1024, 0xa5);
/** A handshake that has not completed after this long counts as failed. */
const HANDSHAKE_TIMEOUT_MS = 5_000;

function open(
  port: number,
  alpn = ALPN,
  groups?: string[],
  endpoint?: QuicClientEndpoint,
): QuicConnection {
  return connect(
    { host: '127.0.0.1', port },
    {
      alpn: [alpn],
      insecure: true,
      ...(groups !== undefined ? { groups: groups as KeyExchangeGroup[] } : {}),
      ...(endpoint !== undefined ? { endpoint } : {}),
    },
  );
}

/** One request for `size` bytes on a new stream of `conn`; rejects when fewer arrive. */
async function get(conn: QuicConnection, size: number): Promise<void> {
  const s = await conn.openStream();
  const received = drain(s);
  s.end(encodeRequest(OP_DOWNLOAD, size));
  const n = await received;
  if (n !== size) throw new Error(`request received ${n} of ${size} bytes`);
}

/** Reads a stream to its end; resolves to the byte count. */
function drain(s: QuicStream): Promise<number> {
  let n = 0;
  s.on('data', (c: Buffer) => (n += c.length));
  return once(s, 'end').then(() => n);
}

/** Writes `size` bytes with backpressure, then FIN. */
async function writeBytes(s: QuicStream, size: number): Promise<void> {
  let left = size;
  while (left > 0) {
    const n = Math.min(left, CHUNK.length);
    left -= n;
    if (!s.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) await once(s, 'drain');
  }
  s.end();
}

interface Outcome {
  bytes: number;
  count: number;
  failures: number;
  /** When the measured work ended (ms, performance.now()), before connections are closed. */
  endMs: number;
}

async function download(port: number, bytes: number, connections: number): Promise<Outcome> {
  const per = Math.floor(bytes / connections);
  let endMs = 0;
  let total = 0;
  const conns: QuicConnection[] = [];
  await Promise.all(
    Array.from({ length: connections }, async () => {
      const conn = open(port);
      conns.push(conn);
      await conn.ready;
      const s = await conn.openStream();
      const received = drain(s);
      s.end(encodeRequest(OP_DOWNLOAD, per));
      const n = await received;
      if (n !== per) throw new Error(`download received ${n} of ${per} bytes`);
      total += n;
      endMs = Math.max(endMs, performance.now());
    }),
  );
  await Promise.all(conns.map((c) => c.close()));
  return { bytes: total, count: connections, failures: 0, endMs };
}

async function upload(port: number, bytes: number): Promise<Outcome> {
  const conn = open(port);
  await conn.ready;
  const s = await conn.openStream();
  const chunks: Buffer[] = [];
  s.on('data', (c: Buffer) => chunks.push(c));
  const ended = once(s, 'end');
  s.write(encodeRequest(OP_UPLOAD, bytes));
  await writeBytes(s, bytes);
  await ended;
  const endMs = performance.now();
  const reply = Buffer.concat(chunks);
  const counted = reply.length === 8 ? Number(reply.readBigUInt64BE(0)) : -1;
  if (counted !== bytes) throw new Error(`the server counted ${counted} of ${bytes} bytes`);
  await conn.close();
  return { bytes, count: 1, failures: 0, endMs };
}

async function handshakes(task: Extract<ClientTask, { type: 'handshakes' }>): Promise<Outcome> {
  const { port, alpn, concurrency, durationMs, getBytes, groups } = task;
  const endpoint = task.sharedEndpoint === true ? createClientEndpoint() : undefined;
  const stopAt = performance.now() + durationMs;
  let count = 0;
  let failures = 0;
  let endMs = 0;
  const slot = async (): Promise<void> => {
    while (performance.now() < stopAt) {
      const conn = open(port, alpn, groups, endpoint);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('handshake timeout')), HANDSHAKE_TIMEOUT_MS);
      });
      try {
        await Promise.race([conn.ready, timeout]);
        if (getBytes !== undefined) {
          await Promise.race([get(conn, getBytes), timeout]);
          await Promise.race([conn.close(), timeout]);
        }
        count++;
        endMs = performance.now();
      } catch {
        failures++;
      } finally {
        clearTimeout(timer);
      }
      conn.destroy();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, slot));
  await endpoint?.close();
  return { bytes: 0, count, failures, endMs };
}

async function requests(
  port: number,
  size: number,
  concurrency: number,
  durationMs: number,
): Promise<Outcome> {
  const conn = open(port);
  await conn.ready;
  const stopAt = performance.now() + durationMs;
  let count = 0;
  let bytes = 0;
  let endMs = 0;
  const slot = async (): Promise<void> => {
    while (performance.now() < stopAt) {
      const s = await conn.openStream();
      const received = drain(s);
      s.end(encodeRequest(OP_DOWNLOAD, size));
      const n = await received;
      if (n !== size) throw new Error(`request received ${n} of ${size} bytes`);
      bytes += n;
      count++;
      endMs = performance.now();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, slot));
  await conn.close();
  return { bytes, count, failures: 0, endMs };
}

async function run(task: Exclude<ClientTask, { type: 'stop' }>): Promise<ClientResult> {
  const cpu0 = processCpuSeconds();
  const t0 = performance.now();
  let o: Outcome;
  switch (task.type) {
    case 'download':
      o = await download(task.port, task.bytes, task.connections);
      break;
    case 'upload':
      o = await upload(task.port, task.bytes);
      break;
    case 'handshakes':
      o = await handshakes(task);
      break;
    case 'requests':
      o = await requests(task.port, task.size, task.concurrency, task.durationMs);
      break;
  }
  return {
    type: 'result',
    wallMs: o.endMs - t0,
    bytes: o.bytes,
    count: o.count,
    failures: o.failures,
    cpuSeconds: processCpuSeconds() - cpu0,
  };
}

process.on('message', (task: ClientTask) => {
  if (task.type === 'stop') {
    process.exit(0);
  }
  run(task).then(
    (r) => process.send?.(r),
    (e: Error) =>
      process.send?.({
        type: 'result',
        wallMs: 0,
        bytes: 0,
        count: 0,
        failures: 0,
        cpuSeconds: 0,
        error: e.message,
      } satisfies ClientResult),
  );
});
