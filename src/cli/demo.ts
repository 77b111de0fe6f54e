/**
 * `tsquic demo` (what `npm start` runs): a server and a client of this stack on loopback in one
 * process, no certificate or configuration needed. It writes a file of seeded pseudo-random
 * bytes to a temporary directory, serves it over hq-interop, fetches it, compares every byte,
 * prints the handshake time and the throughput, and cleans up. Exit 1 on any mismatch.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { defaultProvider } from '../crypto/default-provider.js';
import { connect } from '../node/client.js';
import { QuicNodeError } from '../node/errors.js';
import { createServer } from '../node/server.js';
import type { QuicStream } from '../node/stream.js';
import { createSelfSignedCertificate } from '../tls/x509/index.js';
import { SeededRandom } from '../util/random.js';
import {
  type CliIo,
  type Command,
  type ParsedArgs,
  parseIntegerOption,
  stringOption,
} from './args.js';
import { hqGet } from './hq-client.js';
import { HQ_ALPN } from './hq-protocol.js';
import { HqFileServer } from './hq-server.js';

const FILE_NAME = 'demo.bin';

/** `size` bytes from a seeded PRNG: the same file on every run. */
export function seededBytes(size: number, seed: number): Uint8Array {
  const rng = new SeededRandom(seed);
  const out = new Uint8Array(size);
  const words = new Uint32Array(out.buffer, 0, size >>> 2);
  for (let i = 0; i < words.length; i++) words[i] = rng.nextU32();
  for (let i = words.length * 4; i < size; i++) out[i] = rng.nextU32() & 0xff;
  return out;
}

/** A sink that checks what it receives against `expected`, byte for byte, without storing it. */
class CompareSink extends Writable {
  received = 0;
  /** Offset of the first differing byte, or -1. */
  mismatchAt = -1;

  constructor(private readonly expected: Uint8Array) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, cb: () => void): void {
    if (this.mismatchAt < 0) {
      const want = this.expected.subarray(this.received, this.received + chunk.length);
      if (want.length !== chunk.length || Buffer.compare(chunk, want) !== 0) {
        let i = 0;
        while (i < want.length && chunk[i] === want[i]) i++;
        this.mismatchAt = this.received + i;
      }
    }
    this.received += chunk.length;
    cb();
  }
}

async function run(args: ParsedArgs, io: CliIo): Promise<number> {
  const mib = parseIntegerOption(stringOption(args, 'size') ?? '32', 'size', 1, 4096);
  const size = mib * 1024 * 1024;
  const dir = await mkdtemp(path.join(tmpdir(), 'tsquic-demo-'));
  const made = createSelfSignedCertificate(defaultProvider, { names: ['localhost', '127.0.0.1'] });
  const ca = made.cert;
  const server = createServer({ alpn: [HQ_ALPN], certificate: made });
  try {
    const data = seededBytes(size, 0x7eed);
    await writeFile(path.join(dir, FILE_NAME), data);
    const files = await HqFileServer.open(dir);
    server.on('connection', (conn) => {
      conn.on('stream', (s: QuicStream) => files.handleStream(s));
    });
    const addr = await server.listen(0, '127.0.0.1');
    io.stdout.write(`server: 127.0.0.1:${addr.port}, serving ${mib} MiB of seeded random bytes\n`);

    const conn = connect(
      { host: '127.0.0.1', port: addr.port },
      { alpn: [HQ_ALPN], ca, serverName: 'localhost' },
    );
    await conn.ready;
    const hs = conn.getStats();
    io.stdout.write(
      `handshake: ${hs.handshakeMs.toFixed(1)} ms (${hs.cipher}, ${hs.group}, ALPN ${hs.alpn})\n`,
    );
    const sink = new CompareSink(data);
    const start = performance.now();
    await hqGet(conn, `/${FILE_NAME}`, sink);
    const seconds = (performance.now() - start) / 1000;
    const stats = conn.getStats();
    await conn.close();

    const rate = sink.received / seconds;
    io.stdout.write(
      `transfer: ${sink.received} bytes in ${seconds.toFixed(2)} s = ` +
        `${(rate / 1024 / 1024).toFixed(1)} MiB/s (${((rate * 8) / 1e6).toFixed(0)} Mbit/s), ` +
        `${stats.packetsLost} packets lost, srtt ${stats.srttMs.toFixed(2)} ms\n`,
    );
    if (sink.received !== size || sink.mismatchAt >= 0) {
      const where =
        sink.mismatchAt >= 0
          ? `first difference at byte ${sink.mismatchAt}`
          : `got ${sink.received} of ${size} bytes`;
      io.stderr.write(`tsquic: demo failed: the fetched file differs (${where})\n`);
      return 1;
    }
    io.stdout.write('verified: the fetched file is identical, byte for byte\n');
    return 0;
  } catch (e) {
    if (!(e instanceof QuicNodeError)) throw e;
    io.stderr.write(`tsquic: demo failed: ${e.message}\n`);
    return 1;
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'serve and fetch a file over QUIC on loopback, verify it and show the speed',
  usage: '[options]',
  description: [
    'Starts a tsquic server and client in this process on 127.0.0.1 (self-signed certificate in',
    'memory), fetches a file of seeded pseudo-random bytes over hq-interop, compares it byte',
    'for byte and prints the handshake time and the throughput. Exit 1 on a mismatch.',
  ].join('\n'),
  options: {
    size: { type: 'string', valueName: 'MIB', description: 'file size in MiB (default 32)' },
  },
  run,
};
