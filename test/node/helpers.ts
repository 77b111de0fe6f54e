/** Shared pieces of the Node adapter tests: a test certificate, servers, children, payloads. */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { defaultProvider } from '../../src/crypto/default-provider.js';
import { createSelfSignedCertificate, pemEncode } from '../../src/tls/x509/index.js';
import { SeededRandom } from '../../src/util/random.js';

export interface TestCert {
  certPem: string;
  keyPem: string;
  der: Uint8Array;
}

const certs = new Map<string, TestCert>();

/** A self-signed certificate (cached per name list and validity). */
export function testCert(
  names: string[] = ['localhost', '127.0.0.1', '::1'],
  validity: { notBefore?: number; notAfter?: number } = {},
): TestCert {
  const key = JSON.stringify([names, validity]);
  let c = certs.get(key);
  if (c === undefined) {
    const made = createSelfSignedCertificate(defaultProvider, {
      names,
      notBefore: validity.notBefore ?? Date.UTC(2020, 0, 1),
      notAfter: validity.notAfter ?? Date.UTC(2099, 0, 1),
    });
    c = {
      certPem: pemEncode('CERTIFICATE', made.certificate),
      keyPem: pemEncode('PRIVATE KEY', made.pkcs8),
      der: made.certificate,
    };
    certs.set(key, c);
  }
  return c;
}

/** `size` seeded pseudo-random bytes. */
export function payload(size: number, seed = 1): Buffer {
  const rng = new SeededRandom(seed);
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = rng.nextU32() & 0xff;
  return out;
}

/** Whether this machine can bind UDP on ::1. */
export async function ipv6Available(): Promise<boolean> {
  const s = dgram.createSocket('udp6');
  return new Promise((resolve) => {
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind(0, '::1', () => {
      s.close();
      resolve(true);
    });
  });
}

/** Whether the tests run from TypeScript sources (mocha + tsx) or from the compiled dist. */
export const RUNNING_TS = import.meta.url.endsWith('.ts');

/**
 * Node arguments to run a module next to the calling test file: `relative` is given without
 * extension and resolved against `base` (the caller's import.meta.url).
 */
export function nodeArgsFor(base: string, relative: string): string[] {
  const file = fileURLToPath(new URL(`${relative}${RUNNING_TS ? '.ts' : '.js'}`, base));
  return RUNNING_TS ? ['--import', 'tsx', file] : [file];
}

/** Children started by a test file, killed in `after`. */
export class Children {
  private readonly list: ChildProcess[] = [];

  spawn(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): ChildProcess {
    const child = spawn(args[0]!, args.slice(1), {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(opts.env ? { env: opts.env } : {}),
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
    });
    this.list.push(child);
    return child;
  }

  killAll(): void {
    for (const c of this.list) {
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    }
    this.list.length = 0;
  }
}

export interface ExitResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Collects a child's output until it exits; kills it after `limitMs` (a safety bound). */
export function waitExit(
  child: ChildProcess,
  limitMs = 20_000,
): Promise<ExitResult & { killed: boolean }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('latin1').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve) => {
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, limitMs);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, killed });
    });
  });
}
