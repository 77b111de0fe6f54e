/**
 * The implementations the local runner pairs, each an endpoint command that follows the Interop
 * Runner's contract (ROLE, TESTCASE, REQUESTS, WWW, DOWNLOADS, CERTS, SSLKEYLOGFILE, QLOGDIR;
 * exit 127 for an unsupported case), with HOST and PORT for running outside Docker:
 * tsquic through interop/run_endpoint.sh, ngtcp2's Debian examples through
 * interop/ngtcp2-endpoint.sh, aioquic through interop/aioquic-endpoint.py.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type Alpn = 'h3' | 'hq-interop';

export interface PeerSpec {
  name: string;
  /** The endpoint command. */
  command: string[];
  /** Extra environment. */
  env: Record<string, string>;
  /** Protocols it speaks (ngtcp2's examples: h3 only). */
  alpns: readonly Alpn[];
  /** Why it cannot run here, or null. */
  missing: string | null;
}

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** The repository root, from interop/runner (sources) or dist/interop/runner (compiled). */
export const REPO = HERE.includes(`${path.sep}dist${path.sep}`)
  ? path.resolve(HERE, '../../..')
  : path.resolve(HERE, '../..');
const RUNNING_TS = import.meta.url.endsWith('.ts');

function which(name: string, usual: string[]): string | null {
  for (const p of usual) if (existsSync(p)) return p;
  for (const dir of (process.env['PATH'] ?? '').split(path.delimiter)) {
    if (dir !== '' && existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  return null;
}

/** The `tsquic` command line: the compiled CLI, or the sources through tsx. */
function tsquicCommand(): string {
  const cli = RUNNING_TS
    ? `--import tsx ${path.join(REPO, 'src/cli/main.ts')}`
    : path.join(REPO, 'dist/src/cli/main.js');
  return `${process.execPath} ${cli}`;
}

function aioquicPython(): string | null {
  const fromEnv = process.env['AIOQUIC_PYTHON'];
  if (fromEnv !== undefined && fromEnv !== '' && existsSync(fromEnv)) return fromEnv;
  const local = path.join(REPO, '.peers/aioquic/bin/python');
  return existsSync(local) ? local : null;
}

export function peers(): PeerSpec[] {
  const gtlsServer = which('gtlsserver', ['/usr/sbin/gtlsserver']);
  const gtlsClient = which('gtlsclient', ['/usr/bin/gtlsclient']);
  const python = aioquicPython();
  return [
    {
      name: 'tsquic',
      command: ['bash', path.join(REPO, 'interop/run_endpoint.sh')],
      env: { TSQUIC: tsquicCommand(), SETUP: '/nonexistent' },
      alpns: ['hq-interop', 'h3'],
      missing: null,
    },
    {
      name: 'ngtcp2',
      command: ['bash', path.join(REPO, 'interop/ngtcp2-endpoint.sh')],
      env: { GTLS_SERVER: gtlsServer ?? 'gtlsserver', GTLS_CLIENT: gtlsClient ?? 'gtlsclient' },
      alpns: ['h3'],
      missing:
        gtlsServer === null || gtlsClient === null
          ? 'gtlsserver/gtlsclient not installed (apt-get install ngtcp2-server ngtcp2-client)'
          : null,
    },
    {
      name: 'aioquic',
      command: [python ?? 'python3', path.join(REPO, 'interop/aioquic-endpoint.py')],
      env: {},
      alpns: ['hq-interop', 'h3'],
      missing:
        python === null
          ? 'no aioquic venv (AIOQUIC_PYTHON, or .peers/aioquic from ../shared/peers/aioquic/build.sh)'
          : null,
    },
  ];
}
