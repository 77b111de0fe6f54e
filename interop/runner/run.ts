/**
 * Runs one cell of the matrix: a test case with one implementation as the server and one as
 * the client, through a UdpRelay that plays the case's network. The server and client are the
 * endpoint commands of peers.ts, started with the Interop Runner's environment; afterwards the
 * downloads are compared byte for byte with the served files and the case's checks run on the
 * relay's trace with the endpoints' key logs.
 *
 * Every process is started in its own process group and killed by that group's id when the
 * cell ends; every wait is bounded by the case's timeout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { defaultProvider } from '../../src/crypto/default-provider.js';
import { NativeUdpSocket, nativeUdpAddon } from '../../src/node/native-udp.js';
import { UdpRelay, type RelayRecord } from '../../src/testing/index.js';
import { createSelfSignedCertificate, pemEncode } from '../../src/tls/x509/index.js';
import type { CaseSpec } from './cases.js';
import type { Alpn, PeerSpec } from './peers.js';
import { Trace, wirePackets } from './trace.js';

export type Outcome = 'pass' | 'fail' | 'unsupported' | 'unavailable';

export interface CellResult {
  case: string;
  server: string;
  client: string;
  outcome: Outcome;
  /** Why it failed or was not run. */
  reason: string;
  ms: number;
}

export interface CellOptions {
  /** Scaled-down files. */
  quick: boolean;
  /** Where the cell's directory goes (removed after a pass unless `keep`). */
  workDir: string;
  keep: boolean;
  seed: number;
}

interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function start(peer: PeerSpec, env: Record<string, string>): Running {
  const child = spawn(peer.command[0]!, peer.command.slice(1), {
    env: { ...process.env, ...peer.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, killed as one (tsx and shell scripts have children)
  });
  let out = '';
  const keep = (d: Buffer): void => {
    out += d.toString('latin1');
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => {
    child.once('error', (e) => {
      out += `spawn error: ${e.message}\n`;
      resolve(null);
    });
    child.once('close', (code) => resolve(code));
  });
  return { child, output: () => out, exited };
}

function killGroup(r: Running, signal: NodeJS.Signals): void {
  if (r.child.pid === undefined || r.child.exitCode !== null) return;
  try {
    process.kill(-r.child.pid, signal);
  } catch {
    // already gone
  }
}

async function stop(r: Running): Promise<void> {
  killGroup(r, 'SIGTERM');
  const t = setTimeout(() => killGroup(r, 'SIGKILL'), 2000);
  await r.exited;
  clearTimeout(t);
  // Children the shell left behind share the group.
  if (r.child.pid !== undefined) {
    try {
      process.kill(-r.child.pid, 'SIGKILL');
    } catch {
      // none left
    }
  }
}

/** One-way delay of every link unless the case sets its own (the runner's --delay=15ms). */
const LINK_DELAY_MS = 15;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function freePort(address: string): Promise<number> {
  const s = createSocket(address.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((resolve) => s.bind(0, address, resolve));
  const { port } = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Whether a UDP socket is bound to `port` (Linux /proc). */
function portBound(port: number): boolean {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
    let table = '';
    try {
      table = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    if (
      table.split('\n').some((l) => /^\s*\d+:\s+[0-9A-F]+:([0-9A-F]{4})\s/.exec(l)?.[1] === hex)
    ) {
      return true;
    }
  }
  return false;
}

const lastLines = (text: string, n = 3): string =>
  text.trim().split('\n').slice(-n).join(' | ').slice(0, 400);

function slug(length: number): string {
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  return Array.from(randomBytes(length), (b) => letters[b % 26]).join('');
}

/** cert.pem (leaf first) and priv.key; a chain of `length` certificates under a root. */
function writeCertificates(dir: string, length: number): void {
  const names = ['localhost', '127.0.0.1', '::1'];
  const notBefore = Date.now() - 3600_000;
  const notAfter = Date.now() + 7 * 86_400_000;
  const chain: Uint8Array[] = [];
  let issuer: Parameters<typeof createSelfSignedCertificate>[1]['issuer'];
  // CAs first (RSA-3072 keys: large certificates, as the runner's long chain is meant to be).
  for (let i = 0; i < length - 1; i++) {
    const ca = createSelfSignedCertificate(defaultProvider, {
      names: [],
      commonName: `tsquic interop CA ${i}`,
      keyType: 'rsa',
      rsaBits: 3072,
      isCA: true,
      notBefore,
      notAfter,
      ...(issuer !== undefined ? { issuer } : {}),
    });
    if (i > 0) chain.unshift(ca.certificate);
    issuer = { cert: ca.certificate, key: ca.key };
  }
  const leaf = createSelfSignedCertificate(defaultProvider, {
    names,
    keyType: 'ec-p256',
    notBefore,
    notAfter,
    ...(issuer !== undefined ? { issuer } : {}),
  });
  chain.unshift(leaf.certificate);
  writeFileSync(path.join(dir, 'cert.pem'), chain.map((c) => pemEncode('CERTIFICATE', c)).join(''));
  writeFileSync(path.join(dir, 'priv.key'), pemEncode('PRIVATE KEY', leaf.pkcs8));
}

/** Files missing, extra or different in `downloads`; null when they match. */
function compareFiles(www: string, downloads: string, names: string[]): string | null {
  const got = existsSync(downloads) ? readdirSync(downloads) : [];
  const extra = got.filter((n) => !names.includes(n));
  if (extra.length > 0) return `unexpected files: ${extra.slice(0, 3).join(', ')}`;
  const missing = names.filter((n) => !got.includes(n));
  if (missing.length > 0) return `${missing.length} of ${names.length} files missing`;
  for (const n of names) {
    if (!readFileSync(path.join(www, n)).equals(readFileSync(path.join(downloads, n)))) {
      return `${n} differs from the served file`;
    }
  }
  return null;
}

/** One line per datagram the relay saw: what a pcap would show of it, for failed cells. */
function traceText(records: readonly RelayRecord[]): string {
  return records
    .map((r) => {
      const kinds = wirePackets(r)
        .map((p) => p.kind)
        .join('+');
      const arrow = r.direction === 'toServer' ? '->' : '<-';
      const up = `${r.upstream.address}:${r.upstream.port}`;
      return `${r.time.toFixed(1)} ${arrow} flow ${r.flow} ${up} ${r.data.length} ${kinds} ${r.fate}`;
    })
    .join('\n');
}

export async function runCell(
  spec: CaseSpec,
  server: PeerSpec,
  client: PeerSpec,
  opts: CellOptions,
): Promise<CellResult> {
  const began = Date.now();
  const result = (outcome: Outcome, reason: string): CellResult => ({
    case: spec.name,
    server: server.name,
    client: client.name,
    outcome,
    reason,
    ms: Date.now() - began,
  });
  if (spec.notLocal !== undefined) return result('unavailable', spec.notLocal);
  if (spec.ecn === true && nativeUdpAddon() === null) {
    return result(
      'unavailable',
      'ECN needs the native UDP socket (native/ addon), which did not load',
    );
  }
  for (const p of [server, client]) {
    if (p.missing !== null) return result('unavailable', `${p.name}: ${p.missing}`);
  }
  const alpns = server.alpns.filter((a) => client.alpns.includes(a));
  const alpn: Alpn | undefined =
    spec.name === 'http3' ? 'h3' : alpns.includes('hq-interop') ? 'hq-interop' : alpns[0];
  if (alpn === undefined) return result('unsupported', 'no common ALPN');

  mkdirSync(opts.workDir, { recursive: true });
  const dir = mkdtempSync(path.join(opts.workDir, `${spec.name}-${server.name}-${client.name}-`));
  const www = path.join(dir, 'www');
  const downloads = path.join(dir, 'downloads');
  const certs = path.join(dir, 'certs');
  for (const d of [www, downloads, certs]) mkdirSync(d);
  writeCertificates(certs, spec.chainLength ?? 1);
  const sizes = spec.files(opts.quick);
  const names = sizes.map(() => slug(spec.nameLength ?? 12));
  sizes.forEach((size, i) => writeFileSync(path.join(www, names[i]!), randomBytes(size)));
  const total = sizes.reduce((a, b) => a + b, 0);

  const host = spec.ipv6 === true ? '::1' : '127.0.0.1';
  const port = await freePort(host);
  const keys = { server: path.join(dir, 'server.keys'), client: path.join(dir, 'client.keys') };
  const common = { WWW: www, DOWNLOADS: downloads, CERTS: certs, ALPN: alpn };
  const srv = start(server, {
    ...common,
    ROLE: 'server',
    TESTCASE: spec.testcase('server'),
    HOST: host,
    PORT: String(port),
    SSLKEYLOGFILE: keys.server,
    QLOGDIR: path.join(dir, 'qlog-server'),
  });
  let relay: UdpRelay | undefined;
  let cli: Running | undefined;
  const log = (): string =>
    `--- server ${server.name}\n${srv.output()}\n--- client ${client.name}\n${cli?.output() ?? ''}`;
  let outcome: CellResult | undefined;
  try {
    const ready = Date.now() + 30_000;
    while (!portBound(port) && srv.child.exitCode === null && Date.now() < ready) await sleep(20);
    if (srv.child.exitCode !== null || !portBound(port)) {
      const code = await Promise.race([srv.exited, sleep(1000).then(() => null)]);
      outcome =
        code === 127
          ? result('unsupported', `server: ${lastLines(srv.output(), 1)}`)
          : result('fail', `server did not start (exit ${code}): ${lastLines(srv.output())}`);
      return outcome;
    }
    relay = await UdpRelay.start({
      server: { address: host, port },
      listen: { address: host },
      seed: opts.seed,
      record: true,
      ...(spec.ecn === true ? { ecn: NativeUdpSocket.bind } : {}),
      // The runner's links all have 15 ms of delay each way; besides realism, it keeps packets
      // in flight past the "NAT", without which a rebinding right after the client's last ACK
      // would leave nobody with anything to send.
      toServer: { delayMs: LINK_DELAY_MS, ...spec.toServer },
      toClient: { delayMs: LINK_DELAY_MS, ...spec.toClient },
    });
    const authority =
      spec.ipv6 === true ? `[::1]:${relay.address().port}` : `127.0.0.1:${relay.address().port}`;
    cli = start(client, {
      ...common,
      ROLE: 'client',
      TESTCASE: spec.testcase('client'),
      REQUESTS: names.map((n) => `https://${authority}/${n}`).join(' '),
      SSLKEYLOGFILE: keys.client,
      QLOGDIR: path.join(dir, 'qlog-client'),
    });
    const actions = [...(spec.actions ?? [])];
    let timedOut = false;
    const deadline = Date.now() + spec.timeoutMs;
    while (cli.child.exitCode === null && cli.child.signalCode === null) {
      if (Date.now() > deadline) {
        timedOut = true;
        break;
      }
      const sent = relay.stats().toClient.bytes;
      while (actions.length > 0 && sent >= actions[0]!.atBytes * total) {
        const a = actions.shift()!;
        if (a.action === 'blackhole') relay.blackhole(a.ms ?? 2000);
        else if (a.action === 'rebindPort') await relay.rebindPort();
        else await relay.rebindAddress();
      }
      await sleep(10);
    }
    if (timedOut) {
      await stop(cli);
      return (outcome = result('fail', `client did not finish within ${spec.timeoutMs} ms`));
    }
    const code = await cli.exited;
    if (code === 127)
      return (outcome = result('unsupported', `client: ${lastLines(cli.output(), 1)}`));
    if (code !== 0)
      return (outcome = result('fail', `client exit ${code}: ${lastLines(cli.output())}`));
    const files = compareFiles(www, downloads, names);
    if (files !== null) return (outcome = result('fail', files));
    const keyLogs = [keys.client, keys.server]
      .filter((f) => existsSync(f))
      .map((f) => readFileSync(f, 'utf8'));
    const trace = new Trace(relay.trace, keyLogs);
    const why = spec.check({
      trace,
      amplification: relay.amplification(),
      alpn,
      files: names.length,
    });
    return (outcome = why === null ? result('pass', '') : result('fail', why));
  } finally {
    relay?.close();
    if (cli !== undefined) await stop(cli);
    await stop(srv);
    const failed = outcome === undefined || outcome.outcome === 'fail';
    if (failed) {
      writeFileSync(path.join(dir, 'output.txt'), log());
      if (relay !== undefined) writeFileSync(path.join(dir, 'trace.txt'), traceText(relay.trace));
    }
    if (!opts.keep && !failed) {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
