/**
 * Shared pieces of the interop matrix (matrix-*.test.ts, tsquic-matrix.test.ts): the peers
 * (ngtcp2's gtlsserver and gtlsclient from Debian, `tsquic serve` and `tsquic get` as child
 * processes), a document root with seeded files and a certificate, output capture, the --stats
 * line of `tsquic get`, and qlog traces of our side.
 *
 * Every process goes through a `Processes` set that the suites kill in `after`/`afterEach`;
 * every wait is bounded. The CLI runs from the TypeScript sources under mocha + tsx and from the
 * compiled dist under `npm test` (nodeArgsFor picks main.ts or main.js).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
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
import { tmpdir } from 'node:os';
import path from 'node:path';
import { validateQlog } from '../qlog/validate.js';
import { Children, nodeArgsFor, payload, testCert } from '../node/helpers.js';

/** In CI (CI=true) a missing peer fails the suite; elsewhere the suite is skipped. */
export const CI = process.env['CI'] === 'true';

function findBinary(name: string, usual: string): string | null {
  if (existsSync(usual)) return usual;
  for (const dir of (process.env['PATH'] ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const file = path.join(dir, name);
    if (existsSync(file)) return file;
  }
  return null;
}

/** ngtcp2's example server (ngtcp2 0.12, GnuTLS, nghttp3; QUIC v1, ALPN h3). */
export const GTLS_SERVER = findBinary('gtlsserver', '/usr/sbin/gtlsserver');
/** ngtcp2's example client. */
export const GTLS_CLIENT = findBinary('gtlsclient', '/usr/bin/gtlsclient');

/** The command line that runs `tsquic` (node, then tsx and main.ts or just main.js). */
export const TSQUIC = [process.execPath, ...nodeArgsFor(import.meta.url, '../../src/cli/main')];

/** Fails the suite in CI when a peer is missing; skips it with a message elsewhere. */
export function requirePeers(
  ctx: Mocha.Context,
  peers: { server?: boolean; client?: boolean },
): void {
  const missing: string[] = [];
  if (peers.server === true && GTLS_SERVER === null) missing.push('gtlsserver (ngtcp2-server)');
  if (peers.client === true && GTLS_CLIENT === null) missing.push('gtlsclient (ngtcp2-client)');
  if (missing.length === 0) return;
  const what = `${missing.join(' and ')} not installed`;
  if (CI) throw new Error(`interop peers missing in CI: ${what} (.ci/run installs them)`);
  console.log(`    skipped: ${what}`);
  ctx.skip();
}

// ---------------------------------------------------------------------------------------------
// The document root

/** A 1 KB file. */
export const SMALL = '1k.bin';
/** A 256 KB file: a few hundred packets under the keys being tested. */
export const MEDIUM = '256k.bin';
/** A 10 MB file. */
export const BIG = '10m.bin';
/** Twenty files of different sizes, for concurrent requests. */
export const MANY = Array.from({ length: 20 }, (_, i) => `f${i}.bin`);

/** A temporary directory with a document root, a certificate and its key. */
export interface Site {
  readonly dir: string;
  readonly www: string;
  /** ECDSA P-256 certificate for localhost and 127.0.0.1 (PEM file). */
  readonly certFile: string;
  /** Its PKCS #8 private key (PEM file). */
  readonly keyFile: string;
  /** Every file of the root by name. */
  readonly files: ReadonlyMap<string, Buffer>;
}

/** Creates a site under os.tmpdir(); `big` adds the 10 MB file. */
export function createSite(prefix: string, opts: { big: boolean }): Site {
  const dir = mkdtempSync(path.join(tmpdir(), `tsquic-${prefix}-`));
  const www = path.join(dir, 'www');
  mkdirSync(www);
  const files = new Map<string, Buffer>([
    [SMALL, payload(1024, 1)],
    [MEDIUM, payload(256 * 1024, 2)],
  ]);
  if (opts.big) files.set(BIG, payload(10 * 1024 * 1024, 3));
  MANY.forEach((name, i) => files.set(name, payload(1000 + i * 7919, 100 + i)));
  for (const [name, data] of files) writeFileSync(path.join(www, name), data);
  const cert = testCert(['localhost', '127.0.0.1']);
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  writeFileSync(certFile, cert.certPem);
  writeFileSync(keyFile, cert.keyPem);
  return { dir, www, certFile, keyFile, files };
}

export function removeSite(site: Site | undefined): void {
  if (site !== undefined) rmSync(site.dir, { recursive: true, force: true });
}

/** A fresh empty directory inside the site (downloads, sessions, qlog). */
export function freshDir(site: Site, prefix: string): string {
  return mkdtempSync(path.join(site.dir, `${prefix}-`));
}

/** Every named file in `dir` equals the site's file, byte for byte. */
export function assertDownloaded(
  site: Site,
  dir: string,
  names: readonly string[],
  log = '',
): void {
  for (const name of names) {
    const file = path.join(dir, name);
    assert.ok(existsSync(file), `${name} was not saved\n${tail(log)}`);
    const got = readFileSync(file);
    const want = site.files.get(name)!;
    assert.equal(got.length, want.length, `length of ${name}`);
    assert.ok(got.equals(want), `${name} differs from the served file`);
  }
}

// ---------------------------------------------------------------------------------------------
// Processes

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A child process with its output kept. */
export interface Peer {
  readonly child: ChildProcess;
  readonly exited: Promise<ExitStatus>;
  stdout(): string;
  stderr(): string;
  /** stdout and stderr interleaved as they arrived. */
  output(): string;
}

/** The end of a log, for failure messages. */
export function tail(text: string, chars = 3000): string {
  return text.length <= chars ? text : '…' + text.slice(-chars);
}

/** The processes a suite started; `killAll` in `after`/`afterEach`. */
export class Processes {
  private readonly children = new Children();

  start(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Peer {
    const child = this.children.spawn(args, opts);
    let out = '';
    let err = '';
    let all = '';
    child.stdout!.setEncoding('latin1').on('data', (d: string) => {
      out += d;
      all += d;
    });
    child.stderr!.setEncoding('latin1').on('data', (d: string) => {
      err += d;
      all += d;
    });
    const exited = new Promise<ExitStatus>((resolve) => {
      child.once('error', (e) => {
        all += `spawn error: ${e.message}\n`;
        resolve({ code: null, signal: null });
      });
      child.once('close', (code, signal) => resolve({ code, signal }));
    });
    return { child, exited, stdout: () => out, stderr: () => err, output: () => all };
  }

  killAll(): void {
    this.children.killAll();
  }
}

/** Waits for `peer` to exit; past `limitMs` it is killed and the wait fails with its output. */
export async function finished(peer: Peer, limitMs: number, what: string): Promise<ExitStatus> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), limitMs);
  });
  try {
    const r = await Promise.race([peer.exited, late]);
    if (r === 'late') {
      peer.child.kill('SIGKILL');
      throw new Error(`${what} did not finish within ${limitMs} ms\n${tail(peer.output())}`);
    }
    return r;
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `cond` every 20 ms for up to `limitMs`. */
export async function waitFor(cond: () => boolean, limitMs: number, what: string): Promise<void> {
  const end = Date.now() + limitMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A UDP port free right now on 127.0.0.1. */
export async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** Whether something has the UDP port bound (Linux /proc; true when unknown). */
export function udpPortBound(port: number): boolean {
  let table: string;
  try {
    table = readFileSync('/proc/net/udp', 'utf8');
  } catch {
    return true;
  }
  // "  sl: local_address rem_address ...", addresses as HEXIP:HEXPORT.
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return table
    .split('\n')
    .some((line) => /^\s*\d+:\s+[0-9A-F]+:([0-9A-F]{4})\s/.exec(line)?.[1] === hex);
}

// ---------------------------------------------------------------------------------------------
// ngtcp2

/** GnuTLS priority strings for one cipher suite and one group. */
export const gnutlsCiphers = (suite: string): string =>
  `--ciphers=NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+${suite}`;
export const gnutlsGroups = (group: string): string => `--groups=-GROUP-ALL:+GROUP-${group}`;

/** The TLS 1.3 cipher suites: GnuTLS name, `tsquic get --cipher` name, RFC 8446 name. */
export const CIPHER_SUITES = [
  { gnutls: 'AES-128-GCM', cli: 'aes128', name: 'TLS_AES_128_GCM_SHA256' },
  { gnutls: 'AES-256-GCM', cli: 'aes256', name: 'TLS_AES_256_GCM_SHA384' },
  { gnutls: 'CHACHA20-POLY1305', cli: 'chacha20', name: 'TLS_CHACHA20_POLY1305_SHA256' },
] as const;

/** The key exchange groups: GnuTLS name, `tsquic get --group` name, name in --stats. */
export const GROUPS = [
  { gnutls: 'X25519', cli: 'x25519', name: 'x25519' },
  { gnutls: 'SECP256R1', cli: 'p256', name: 'secp256r1' },
  { gnutls: 'SECP384R1', cli: 'p384', name: 'secp384r1' },
] as const;

/**
 * Starts gtlsserver serving the site on a free port of 127.0.0.1 and waits until it has the port
 * bound. `verbose` keeps its packet log (it logs every packet: only for small transfers).
 */
export async function startGtlsServer(
  procs: Processes,
  site: Site,
  extra: string[],
  opts: { verbose?: boolean } = {},
): Promise<{ peer: Peer; port: number }> {
  const port = await freeUdpPort();
  const peer = procs.start([
    GTLS_SERVER!,
    ...(opts.verbose === true ? ['--no-quic-dump', '--no-http-dump'] : ['-q']),
    ...extra,
    '-d',
    site.www,
    '127.0.0.1',
    String(port),
    site.keyFile,
    site.certFile,
  ]);
  await waitFor(
    () => udpPortBound(port) || peer.child.exitCode !== null,
    5000,
    'gtlsserver binding its port',
  );
  assert.equal(peer.child.exitCode, null, `gtlsserver exited:\n${tail(peer.output())}`);
  return { peer, port };
}

/**
 * Runs gtlsclient against 127.0.0.1:`port` for `names`, saving bodies to a fresh directory;
 * it must exit 0. `verbose` keeps its packet log (the evidence for key updates, migration and
 * 0-RTT); otherwise -q.
 */
export async function runGtlsClient(
  procs: Processes,
  site: Site,
  port: number,
  names: readonly string[],
  extra: string[],
  opts: { verbose?: boolean; limitMs?: number } = {},
): Promise<{ output: string; dir: string }> {
  const dir = freshDir(site, 'gtlsclient');
  const peer = procs.start([
    GTLS_CLIENT!,
    ...(opts.verbose === true ? ['--no-quic-dump', '--no-http-dump'] : ['-q']),
    '--download',
    dir,
    '--exit-on-all-streams-close',
    '--timeout=15s',
    ...extra,
    '127.0.0.1',
    String(port),
    ...names.map((n) => `https://127.0.0.1:${port}/${n}`),
  ]);
  const r = await finished(peer, opts.limitMs ?? 20_000, 'gtlsclient');
  assert.equal(r.code, 0, `gtlsclient exit ${r.code ?? r.signal}:\n${tail(peer.output())}`);
  assertDownloaded(site, dir, names, peer.output());
  return { output: peer.output(), dir };
}

// ---------------------------------------------------------------------------------------------
// tsquic serve and tsquic get

/** Starts `tsquic serve --port 0 ARGS`; resolves once it printed `listening on HOST:PORT`. */
export function startServe(
  procs: Processes,
  args: string[],
): Promise<{ peer: Peer; port: number }> {
  return startListening(procs, [...TSQUIC, 'serve', '--port', '0', ...args], 'tsquic serve');
}

/** Starts a server process; resolves with its port once it printed `listening on HOST:PORT`. */
export async function startListening(
  procs: Processes,
  command: string[],
  what: string,
  limitMs = 30_000,
  env?: NodeJS.ProcessEnv,
): Promise<{ peer: Peer; port: number }> {
  const peer = procs.start(command, env !== undefined ? { env } : {});
  let port = 0;
  await waitFor(
    () => {
      const m = /listening on [^\n]*:(\d+)\n/.exec(peer.stdout());
      if (m !== null) port = Number(m[1]);
      return port !== 0 || peer.child.exitCode !== null;
    },
    limitMs,
    `${what} listening`,
  );
  assert.notEqual(port, 0, `${what} exited:\n${tail(peer.output())}`);
  return { peer, port };
}

/** The --stats line of `tsquic get` (src/cli/get.ts STATS_FIELDS). */
export interface GetStats {
  version: number;
  alpn: string;
  cipher: string;
  group: string;
  retry: boolean;
  resumed: boolean;
  earlyDataAccepted: boolean;
  handshakeMs: number;
  bytesSent: number;
  bytesReceived: number;
  packetsSent: number;
  packetsLost: number;
  srttMs: number;
  keyUpdates: number;
  migrated: boolean;
}

/**
 * Runs `tsquic get --stats ARGS` (one origin: one connection, one stats line); it must exit 0.
 * Returns the stats and stderr.
 */
export async function runGet(
  procs: Processes,
  args: string[],
  limitMs = 30_000,
): Promise<{ stats: GetStats; stderr: string }> {
  const peer = procs.start([...TSQUIC, 'get', '--stats', ...args]);
  const r = await finished(peer, limitMs, 'tsquic get');
  const stderr = peer.stderr();
  assert.equal(r.code, 0, `tsquic get exit ${r.code ?? r.signal}:\n${tail(stderr)}`);
  const lines = stderr.split('\n').filter((l) => l.startsWith('{'));
  assert.equal(lines.length, 1, `one --stats line (one connection) expected:\n${tail(stderr)}`);
  return { stats: JSON.parse(lines[0]!) as GetStats, stderr };
}

/** URLs of `names` at https://localhost:PORT/ (the certificate names localhost). */
export function urls(port: number, names: readonly string[]): string[] {
  return names.map((n) => `https://localhost:${port}/${n}`);
}

// ---------------------------------------------------------------------------------------------
// qlog traces of our side (--qlog-dir: one JSON-SEQ file per connection)

export interface QlogEvent {
  name: string;
  data: Record<string, unknown>;
}

/** The events of a qlog file (ietf form), after checking it against the drafts (validate.ts). */
export function readQlog(file: string): QlogEvent[] {
  const text = readFileSync(file, 'utf8');
  assert.deepEqual(validateQlog(text, 'ietf').slice(0, 10), [], `${file} validates`);
  return text
    .split('\x1e')
    .filter((r) => r.trim() !== '')
    .map((r) => JSON.parse(r) as Partial<QlogEvent>)
    .filter((r): r is QlogEvent => typeof r.name === 'string')
    .map((r) => ({ name: r.name, data: r.data ?? {} }));
}

/** The qlog file names in `dir`. */
export function qlogFiles(dir: string): Set<string> {
  return existsSync(dir) ? new Set(readdirSync(dir)) : new Set();
}

/**
 * The traces of the connections that appeared in `dir` since `known`, once `count` of them exist
 * and each is complete (its connection closed: the writer flushes on close).
 */
export async function newQlogTraces(
  dir: string,
  known: ReadonlySet<string>,
  count: number,
): Promise<QlogEvent[][]> {
  let fresh: string[] = [];
  // Complete: the last record is the closed state, written when the connection is gone.
  const complete = (f: string): boolean => {
    const text = readFileSync(path.join(dir, f), 'utf8');
    const last = text.slice(text.lastIndexOf('\x1e'));
    return last.includes('"quic:connection_state_updated"') && last.includes('"new":"closed"');
  };
  await waitFor(
    () => {
      fresh = [...qlogFiles(dir)].filter((f) => !known.has(f));
      return fresh.length >= count && fresh.every(complete);
    },
    10_000,
    `${count} complete qlog trace(s) in ${dir}`,
  );
  assert.equal(fresh.length, count, `connections traced: ${fresh.join(', ')}`);
  return fresh.map((f) => readQlog(path.join(dir, f)));
}

/**
 * The one connection newly traced in `qlogDir` updated its keys, then saw the peer's packets in
 * the new key phase (RFC 9001 §6.1, §6.2).
 */
export async function assertKeyUpdateTraced(qlogDir: string): Promise<void> {
  const [trace] = await newQlogTraces(qlogDir, new Set(), 1);
  const updates = trace!.filter((e) => e.name === 'quic:key_updated');
  assert.deepEqual(
    updates.slice(0, 2).map((e) => e.data['trigger']),
    ['local_update', 'remote_update'],
    JSON.stringify(updates),
  );
}

/** The frames of the packet events named `event` (quic:packet_sent or quic:packet_received). */
export function framesOf(trace: readonly QlogEvent[], event: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const e of trace) {
    if (e.name !== event) continue;
    const frames = e.data['frames'];
    if (Array.isArray(frames)) out.push(...(frames as Record<string, unknown>[]));
  }
  return out;
}

/** The packet types of the packet events named `event`. */
export function packetTypesOf(trace: readonly QlogEvent[], event: string): string[] {
  return trace
    .filter((e) => e.name === event)
    .map((e) => (e.data['header'] as { packet_type?: string } | undefined)?.packet_type ?? '');
}
