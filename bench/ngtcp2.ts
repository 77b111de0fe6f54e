/**
 * ngtcp2's example programs from Debian (packages ngtcp2-server and ngtcp2-client: gtlsserver and
 * gtlsclient, HTTP/3 over QUIC v1 with GnuTLS) as the reference for the loopback figures. The
 * server generates a response of N bytes for the path "/N" (up to --max-dyn-length); the client
 * downloads and discards it. CPU time comes from /proc (server) and bash's `times` (client), so
 * this part runs on Linux only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import dgram from 'node:dgram';

export interface Ngtcp2Programs {
  server: string;
  client: string;
}

function findProgram(name: string): string | null {
  const dirs = [...(process.env['PATH'] ?? '').split(path.delimiter), '/usr/sbin', '/usr/bin'];
  for (const d of dirs) {
    if (d === '') continue;
    const p = path.join(d, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return null;
}

/** gtlsserver and gtlsclient when both are installed, with bash for timing; null otherwise. */
export function findNgtcp2(): Ngtcp2Programs | null {
  const server = findProgram('gtlsserver');
  const client = findProgram('gtlsclient');
  if (server === null || client === null || findProgram('bash') === null) return null;
  try {
    accessSync('/proc/self/stat', constants.R_OK);
  } catch {
    return null;
  }
  return { server, client };
}

const CLOCK_TICKS = 100;

/** CPU seconds (user + system) of a running process, from /proc/<pid>/stat. */
export function procCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** A free UDP port on 127.0.0.1 (bound and released: the program binds it right after). */
export async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => resolve());
  });
  const port = s.address().port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

export interface Ngtcp2Server {
  port: number;
  process: ChildProcess;
  cpuSeconds(): number;
  stop(): Promise<void>;
}

/** Starts gtlsserver on 127.0.0.1 with the PEM files written into `dir`. */
export async function startNgtcp2Server(
  programs: Ngtcp2Programs,
  dir: string,
  certPem: string,
  keyPem: string,
  maxBytes: number,
): Promise<Ngtcp2Server> {
  const keyFile = path.join(dir, 'ngtcp2-key.pem');
  const certFile = path.join(dir, 'ngtcp2-cert.pem');
  writeFileSync(keyFile, keyPem);
  writeFileSync(certFile, certPem);
  const port = await freeUdpPort();
  const child = spawn(
    programs.server,
    ['-q', `--max-dyn-length=${maxBytes}`, '-d', dir, '127.0.0.1', String(port), keyFile, certFile],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  // gtlsserver says nothing when it is ready: give it a moment, then check it is still running.
  await new Promise((resolve) => setTimeout(resolve, 500));
  if (child.exitCode !== null || child.pid === undefined) {
    throw new Error(`gtlsserver exited at start: ${stderr.trim().split('\n').pop() ?? ''}`);
  }
  const pid = child.pid;
  return {
    port,
    process: child,
    cpuSeconds: () => procCpuSeconds(pid),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export interface Ngtcp2Download {
  wallMs: number;
  clientCpuSeconds: number;
}

/** Parses the second line of bash's `times` ("0m1.234s 0m0.056s": children user and system). */
function parseTimes(out: string): number {
  const lines = out.trim().split('\n');
  const last = lines[lines.length - 1] ?? '';
  const parts = [...last.matchAll(/(\d+)m([\d.]+)s/g)];
  if (parts.length < 2) throw new Error(`cannot read the client's CPU time from '${last}'`);
  return parts.slice(0, 2).reduce((s, m) => s + Number(m[1]) * 60 + Number(m[2]), 0);
}

/**
 * Downloads `bytes` from the server with gtlsclient; wall time from start to exit (process start
 * and handshake included, as in tsquic's figure). With `downloadDir`, the body is saved there
 * (to check its size once).
 */
export function ngtcp2Download(
  programs: Ngtcp2Programs,
  port: number,
  bytes: number,
  downloadDir?: string,
): Promise<Ngtcp2Download> {
  const url = `https://127.0.0.1:${port}/${bytes}`;
  const args = [
    '-q',
    '--no-quic-dump',
    '--no-http-dump',
    '--exit-on-all-streams-close',
    ...(downloadDir !== undefined ? [`--download=${downloadDir}`] : []),
    '127.0.0.1',
    String(port),
    url,
  ];
  const quoted = [programs.client, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  // bash runs the client, then `times` prints the CPU time of its finished children.
  const script = `${quoted} >/dev/null 2>&1; code=$?; times; exit $code`;
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn('bash', ['-c', script], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      const wallMs = performance.now() - t0;
      if (code !== 0) return reject(new Error(`gtlsclient exited with code ${String(code)}`));
      try {
        resolve({ wallMs, clientCpuSeconds: parseTimes(out) });
      } catch (e) {
        reject(e as Error);
      }
    });
  });
}
