/**
 * `tsquic get URL...`: fetches URLs over QUIC. URLs of one origin share one connection and run
 * concurrently. The ALPN picks the protocol client (GET_PROTOCOLS): HTTP/3 (h3, the default) or
 * hq-interop.
 *
 * Exit 0 only when every response arrived complete; otherwise one line per failure on stderr
 * (certificate error, timeout, refused, reset stream, protocol error with its code) and exit 1,
 * and the file of a body that ended short is removed. A GET or HEAD the server did not process
 * (RFC 9114 §5.2 GOAWAY, §4.1.1 H3_REQUEST_REJECTED) is sent once more on a new connection.
 * Usage mistakes (flags, unreadable files, bad PEM, unknown hosts) exit 2.
 */
import { existsSync, statSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import path from 'node:path';
import type { Writable } from 'node:stream';
import type { KeyExchangeGroup } from '../crypto/provider.js';
import { connect, type ConnectOptions } from '../node/client.js';
import type { QuicConnection } from '../node/connection.js';
import { QuicNodeError, QuicStreamError } from '../node/errors.js';
import type { CipherSuiteName } from '../tls/types.js';
import type { SocketAddress } from '../util/address.js';
import {
  type CliIo,
  type Command,
  type ParsedArgs,
  UsageError,
  flagOption,
  stringOption,
} from './args.js';
import {
  closeH3,
  describeH3Error,
  H3_ALPN,
  h3Get,
  h3NotProcessed,
  startH3,
} from './h3-handlers.js';
import { hqGet } from './hq-client.js';
import { SessionFile, type SavedServer } from './session-file.js';
import { GetReport } from './get-report.js';
import { Bodies, finishedOnce, type Output } from './get-bodies.js';
import { statsLine } from './get-stats.js';
import {
  connectTarget,
  isPlainGet,
  parseConnectTo,
  parseRequestShape,
  REQUEST_OPTIONS,
  showOptions,
  type ConnectTo,
  type GetHooks,
  type RequestShape,
  type ShowOptions,
} from './get-request.js';
import { HQ_ALPN, describeHqError } from './hq-protocol.js';
import {
  KeyLogFile,
  parseAlpnList,
  parseCipher,
  parseCongestionControl,
  parseGroup,
  parseQuicVersions,
  parseSeconds,
  qlogDirectoryOption,
  parseIdleTimeout,
  parseKeyUpdateAfter,
  parseQlogFormat,
  SHARED_OPTIONS,
  parsePmtudOptions,
  readCertificateFile,
} from './serve-get-options.js';

/** A protocol `tsquic get` speaks: how one request runs on a connection. */
export interface GetProtocol {
  readonly alpn: string;
  /**
   * Requests `path` as `shape` says and writes the body to `sink`; resolves to the body length.
   */
  fetch(
    conn: QuicConnection,
    path: string,
    sink: Writable,
    shape: RequestShape,
    hooks: GetHooks,
  ): Promise<number>;
  /** A stream error code in words, for the failure line. */
  describeError(code: number): string;
  /**
   * Whether a failed request was not processed by the server, so that it may be sent again on
   * a new connection (HTTP/3: rejected, or above the server's GOAWAY, RFC 9114 §5.2).
   */
  notProcessed?(error: unknown): boolean;
  /** Ends the protocol on the connection before it closes (HTTP/3: GOAWAY, H3_NO_ERROR). */
  close?(conn: QuicConnection): Promise<void>;
  /**
   * Starts the protocol on a new connection, with the server's settings remembered for 0-RTT
   * (HTTP/3 SETTINGS, RFC 9114 §7.2.4.2); `remember` hears this connection's.
   */
  start?(
    conn: QuicConnection,
    remembered: ReadonlyMap<number, number> | undefined,
    remember: (settings: ReadonlyMap<number, number>) => void,
  ): void;
}

/** The protocol clients by ALPN. */
export const GET_PROTOCOLS: ReadonlyMap<string, GetProtocol> = new Map<string, GetProtocol>([
  [
    H3_ALPN,
    {
      alpn: H3_ALPN,
      fetch: h3Get,
      describeError: describeH3Error,
      notProcessed: h3NotProcessed,
      close: closeH3,
      start: startH3,
    },
  ],
  [
    HQ_ALPN,
    {
      alpn: HQ_ALPN,
      fetch: (conn, path, sink, _shape, hooks) => hqGet(conn, path, sink, hooks),
      describeError: describeHqError,
    },
  ],
]);

/** The ALPN used without --alpn. */
export const DEFAULT_GET_ALPN = H3_ALPN;

const DEFAULT_TIMEOUT_MS = 30_000;
/** Methods that may go in 0-RTT: safe ones, as 0-RTT can be replayed (RFC 9110 §9.2.1). */
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);
/**
 * Methods whose requests the server did not process are sent once more on a new connection
 * (RFC 9114 §5.2). Which ones is the client's choice: these two only read.
 */
const RETRIED_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD']);
/** How long --migrate waits for the new path to be validated. */
const PATH_VALIDATION_WAIT_MS = 3_000;

interface Request {
  url: string;
  /** Path and query, as sent. */
  target: string;
  /** Output file, or null for stdout. */
  file: string | null;
}

interface Origin {
  key: string;
  host: string;
  /** Where the connection goes (the URL's host and port unless --connect-to says otherwise). */
  address: string;
  port: number;
  requests: Request[];
}

interface GetSettings {
  protocol: GetProtocol;
  options: Omit<ConnectOptions, 'alpn'>;
  /** Tickets and NEW_TOKEN tokens per server, from and to `--session FILE`. */
  session: SessionFile | null;
  earlyData: boolean;
  keyUpdate: boolean;
  migrate: boolean;
  /** Multipath: the local address of a second path, opened after the handshake. */
  pathFrom: string | null;
  stats: boolean;
  timeoutMs: number;
  /** The method, header fields and body every request sends. */
  shape: RequestShape;
  show: ShowOptions;
}

function parseUrl(text: string, outputDir: string | null): { url: URL; request: Request } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`not a URL: '${text}'`);
  }
  if (url.protocol !== 'https:') {
    throw new UsageError(`only https:// URLs are supported, got '${text}'`);
  }
  if (url.hostname === '') throw new UsageError(`no host in '${text}'`);
  const target = (url.pathname === '' ? '/' : url.pathname) + url.search;
  let file: string | null = null;
  if (outputDir !== null) {
    const last = url.pathname.split('/').pop() ?? '';
    let name: string;
    try {
      name = decodeURIComponent(last);
    } catch {
      name = last;
    }
    if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
      name = 'index.html';
    }
    file = path.join(outputDir, name);
  }
  return { url, request: { url: url.href, target, file } };
}

async function resolveAddress(host: string): Promise<string> {
  const bare = host.startsWith('[') ? host.slice(1, -1) : host;
  if (isIP(bare) !== 0) return bare;
  try {
    const all = await lookup(bare, { all: true });
    const first = all.find((a) => a.family === 4) ?? all[0];
    if (first !== undefined) return first.address;
  } catch {
    // Reported below.
  }
  throw new UsageError(`unknown host '${bare}'`);
}

async function groupByOrigin(
  urls: readonly string[],
  outputDir: string | null,
  connectTo: readonly ConnectTo[],
): Promise<Origin[]> {
  const origins = new Map<string, Origin>();
  // Two URLs saved under one name would overwrite each other (…/?a=1 and …/?a=2 are both
  // index.html): refused up front, naming both.
  const savedAs = new Map<string, string>();
  for (const text of urls) {
    const { url, request } = parseUrl(text, outputDir);
    if (request.file !== null) {
      const earlier = savedAs.get(request.file);
      if (earlier !== undefined) {
        throw new UsageError(
          `${earlier} and ${request.url} would both be saved as ${request.file}; fetch them separately`,
        );
      }
      savedAs.set(request.file, request.url);
    }
    const port = url.port === '' ? 443 : Number(url.port);
    const key = `${url.hostname}:${port}`;
    let origin = origins.get(key);
    if (origin === undefined) {
      const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
      const to = connectTarget(connectTo, host, port);
      origin = { key, host, address: await resolveAddress(to.host), port: to.port, requests: [] };
      origins.set(key, origin);
    }
    origin.requests.push(request);
  }
  return [...origins.values()];
}

function outputDirectory(dir: string | undefined): string | null {
  if (dir === undefined) return null;
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new UsageError(`--output ${dir}: no such directory`);
  }
  if (!isDir) throw new UsageError(`--output ${dir}: not a directory`);
  return dir;
}

function readSession(file: string | undefined): SessionFile | null {
  if (file === undefined) return null;
  try {
    return SessionFile.read(file, existsSync(file));
  } catch (e) {
    throw new UsageError(`--session ${file}: ${(e as Error).message}`);
  }
}

async function settings(
  args: ParsedArgs,
  io: CliIo,
  keyLog: KeyLogFile | null,
  toFiles: boolean,
): Promise<GetSettings> {
  const alpnText = stringOption(args, 'alpn');
  const alpn =
    alpnText === undefined
      ? DEFAULT_GET_ALPN
      : parseAlpnList(alpnText, [...GET_PROTOCOLS.keys()])[0]!;
  const protocol = GET_PROTOCOLS.get(alpn)!;
  const shape = await parseRequestShape(args, io);
  if (protocol.alpn === HQ_ALPN && !isPlainGet(shape)) {
    throw new UsageError(
      'hq-interop (HTTP/0.9) sends only GET without header fields or body: use --alpn h3',
    );
  }
  const show = showOptions(args, io, toFiles);
  if (show.includeHeaders && protocol.alpn === HQ_ALPN) {
    throw new UsageError('hq-interop (HTTP/0.9) responses have no header fields: use --alpn h3');
  }
  const caFile = stringOption(args, 'ca');
  const insecure = flagOption(args, 'insecure');
  if (caFile !== undefined && insecure)
    throw new UsageError('--ca and --insecure exclude each other');
  const options: Omit<ConnectOptions, 'alpn'> = {};
  if (caFile !== undefined) options.ca = await readCertificateFile(caFile, 'ca');
  if (insecure) options.insecure = true;
  const cipher = stringOption(args, 'cipher');
  if (cipher !== undefined) options.cipherSuites = [parseCipher(cipher)] as CipherSuiteName[];
  const group = stringOption(args, 'group');
  if (group !== undefined) options.groups = [parseGroup(group)] as KeyExchangeGroup[];
  const version = stringOption(args, 'quic-version');
  // The first flight is v1 when listed, and a server may switch it to v2 (RFC 9368 §2.5).
  if (version !== undefined) options.versions = parseQuicVersions(version);
  const cc = stringOption(args, 'cc');
  if (cc !== undefined) options.congestionControl = parseCongestionControl(cc);
  const qlog = qlogDirectoryOption(
    stringOption(args, 'qlog-dir'),
    parseQlogFormat(stringOption(args, 'qlog-format')),
  );
  if (qlog !== undefined) options.qlog = qlog;
  const idleTimeout = stringOption(args, 'idle-timeout');
  if (idleTimeout !== undefined) options.idleTimeout = parseIdleTimeout(idleTimeout);
  Object.assign(
    options,
    parsePmtudOptions(stringOption(args, 'max-udp-payload'), flagOption(args, 'no-pmtud')),
  );
  const keyUpdateAfter = stringOption(args, 'key-update-after');
  if (keyUpdateAfter !== undefined) {
    options.keyUpdateAfterBytes = parseKeyUpdateAfter(keyUpdateAfter);
  }
  if (keyLog !== null) options.keyLog = keyLog.log;
  const pathFrom = stringOption(args, 'path-from') ?? null;
  if (pathFrom !== null && !flagOption(args, 'multipath')) {
    throw new UsageError('--path-from needs --multipath');
  }
  if (flagOption(args, 'multipath')) options.multipath = true;

  const sessionFile = stringOption(args, 'session');
  const earlyData = flagOption(args, 'early-data');
  if (earlyData && sessionFile === undefined) {
    throw new UsageError('--early-data needs --session FILE (0-RTT resumes a saved session)');
  }
  const session = readSession(sessionFile);
  if (earlyData) options.earlyData = true;
  const timeout = stringOption(args, 'timeout');
  const maxTime = stringOption(args, 'max-time');
  if (timeout !== undefined && maxTime !== undefined) {
    throw new UsageError('--timeout and --max-time are the same limit: give one');
  }
  return {
    protocol,
    options,
    session,
    earlyData,
    keyUpdate: flagOption(args, 'key-update'),
    migrate: flagOption(args, 'migrate'),
    pathFrom,
    stats: flagOption(args, 'stats'),
    timeoutMs:
      maxTime !== undefined
        ? parseSeconds(maxTime, 'max-time')
        : timeout !== undefined
          ? parseSeconds(timeout, 'timeout')
          : DEFAULT_TIMEOUT_MS,
    shape,
    show,
  };
}

/** One line for a failed request or connection. */
function failureMessage(e: unknown, protocol: GetProtocol): string {
  if (e instanceof QuicStreamError && e.code === 'ERR_QUIC_STREAM_RESET') {
    return `stream reset by the server with code ${protocol.describeError(e.errorCode)}`;
  }
  if (e instanceof Error) return e.message.replace(/\s*\n\s*/g, ' ');
  return String(e);
}

/**
 * One attempt at a request on `conn`: 'done', or 'retry' when `mayRetry` and the server did not
 * process it (RFC 9114 §5.2) before any of a response arrived, for a method retried
 * (RETRIED_METHODS); rejects with any other failure.
 */
async function attempt(
  conn: QuicConnection,
  request: Request,
  out: Output,
  s: GetSettings,
  report: GetReport,
  mayRetry: boolean,
): Promise<'done' | 'retry'> {
  // The URL's authority, also when --connect-to sends the connection elsewhere (RFC 9110 §7.2).
  const shape = { ...s.shape, authority: s.shape.authority ?? new URL(request.url).host };
  const hooks = report.exchange(request.target, shape, s.protocol.alpn, out.sink);
  let responded = false;
  const heard: GetHooks = {
    ...hooks,
    onHead: (status, headers) => {
      responded = true;
      hooks.onHead?.(status, headers);
    },
  };
  try {
    await s.protocol.fetch(conn, request.target, out.sink, shape, heard);
    return 'done';
  } catch (e) {
    const again =
      mayRetry &&
      !responded &&
      RETRIED_METHODS.has(shape.method) &&
      s.protocol.notProcessed?.(e) === true;
    if (again) return 'retry';
    throw e;
  }
}

/**
 * A requested key update starts once a packet under the current keys is acknowledged (RFC 9001
 * §6.1); a short exchange can end before that. Keep the connection busy a little while.
 */
async function keyUpdateDone(conn: QuicConnection): Promise<void> {
  for (let i = 0; i < 40 && conn.usable && conn.getStats().keyUpdates === 0; i++) {
    conn.ping();
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Resolves true once the connection moved to a new path (the server answered the path challenge,
 * RFC 9000 §8.2), false when it closed or did not move within the validation time.
 */
function pathChanged(conn: QuicConnection): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (moved: boolean): void => {
      clearTimeout(timer);
      conn.off('pathChange', onChange);
      conn.off('close', onClose);
      resolve(moved);
    };
    const onChange = (): void => done(true);
    const onClose = (): void => done(false);
    const timer = setTimeout(() => done(false), PATH_VALIDATION_WAIT_MS);
    conn.on('pathChange', onChange);
    conn.on('close', onClose);
  });
}

/** What became of one origin: failure lines, and the --stats lines when asked. */
interface OriginOutcome {
  failures: string[];
  /** One per connection the origin used. */
  stats: string[];
}

/**
 * Runs one origin's requests on one connection; those the server did not process (GOAWAY,
 * H3_REQUEST_REJECTED: RFC 9114 §5.2, §4.1.1) go once more on a new connection, as the RFC
 * allows. Any other failure, or a second refusal, is final.
 */
async function runOrigin(
  origin: Origin,
  s: GetSettings,
  bodies: Bodies,
  io: CliIo,
  report: GetReport,
  register: (conn: QuicConnection) => void,
): Promise<OriginOutcome> {
  const outs = new Map<Request, Output>();
  for (const r of origin.requests) outs.set(r, finishedOnce(bodies.open(r.file)));
  const stats: string[] = [];
  let failures: string[] = [];
  try {
    let pending = origin.requests;
    for (let round = 0; pending.length > 0; round++) {
      if (round > 0) report.retrying(`https://${origin.key}`, pending.length);
      const c = openConnection(origin, s, io, report);
      const conn = c.conn;
      register(conn);
      const result = await runRequests(c, origin, pending, outs, s, report, round === 0);
      failures = failures.concat(result.failures);
      pending = result.retry;
      if (result.failures.length === 0 && s.keyUpdate) await keyUpdateDone(conn);
      if (conn.handshakeComplete) {
        report.earlyData(`https://${origin.key}`, c.earlyData, conn.getStats());
      }
      // Also for a failed transfer: how far the connection got is what the user needs then.
      if (s.stats && conn.handshakeComplete) stats.push(statsLine(conn));
      if (!conn.isClosed) {
        await s.protocol.close?.(conn);
        await conn.close();
      }
    }
  } finally {
    // What has not ended well (a connection that failed before its requests ran) ends here.
    for (const out of outs.values()) await out.finish(false);
  }
  return { failures, stats };
}

/** A connection of `origin`, its protocol started, and what to do once its handshake is done. */
interface OriginConnection {
  readonly conn: QuicConnection;
  /** The requests go as 0-RTT. */
  readonly earlyData: boolean;
  afterHandshake(): Promise<void>;
}

function openConnection(
  origin: Origin,
  s: GetSettings,
  io: CliIo,
  report: GetReport,
): OriginConnection {
  report.connecting(`https://${origin.key}`, origin.address, origin.port);
  const saved = s.session?.get(origin.key) ?? {};
  const conn = connect(
    { host: origin.address, port: origin.port },
    {
      ...s.options,
      alpn: [s.protocol.alpn],
      serverName: origin.host,
      ...(saved.ticket ? { session: saved.ticket } : {}),
      // RFC 9000 §8.1.3: the token of an earlier connection validates our address at once.
      ...(saved.token ? { token: saved.token } : {}),
    },
  );
  // 0-RTT needs a ticket: without one the requests wait for the handshake. Only safe methods
  // go early: 0-RTT data can be replayed (RFC 9001 §9.2, RFC 9110 §9.2.1).
  const earlyData = s.earlyData && saved.ticket !== undefined && SAFE_METHODS.has(s.shape.method);
  conn.on('pathChange', (remote: SocketAddress, local: SocketAddress) =>
    report.pathChanged(`https://${origin.key}`, remote, local),
  );
  const session = s.session;
  if (session !== null) {
    const save = (change: SavedServer): void => {
      try {
        session.update(origin.key, change);
      } catch (e) {
        io.stderr.write(
          `tsquic: cannot save the session to ${session.path}: ${(e as Error).message}\n`,
        );
      }
    };
    conn.on('sessionTicket', (ticket: Buffer) => save({ ticket: new Uint8Array(ticket) }));
    conn.on('newToken', (token: Buffer) => save({ token: new Uint8Array(token) }));
  }
  // RFC 9114 §7.2.4.2: 0-RTT complies with the settings of the ticket's connection; this
  // connection's are remembered with its ticket.
  s.protocol.start?.(conn, earlyData ? saved.settings : undefined, (settings) => {
    if (session === null) return;
    try {
      session.update(origin.key, { settings });
    } catch {
      // Reported with the ticket, saved to the same file.
    }
  });
  const afterHandshake = async (): Promise<void> => {
    await conn.ready;
    report.handshake(`https://${origin.key}`, conn.getStats());
    if (s.keyUpdate) conn.updateKeys();
    if (s.migrate) {
      const moved = pathChanged(conn);
      if (!(await conn.migrate())) {
        io.stderr.write(`tsquic: ${origin.key}: the server allows no migration\n`);
      } else if (!(await moved)) {
        io.stderr.write(`tsquic: ${origin.key}: the new path was not validated\n`);
      }
    }
    if (s.pathFrom !== null) await openSecondPath(conn, origin.key, s.pathFrom, io);
  };
  return { conn, earlyData, afterHandshake };
}

/**
 * --path-from: a second path from `address` (RFC 10069 §3.1). The server's CIDs for it come
 * right after the handshake is confirmed, so a refusal is retried for a short while; a server
 * without multipath is reported and the transfer goes on one path.
 */
async function openSecondPath(
  conn: QuicConnection,
  key: string,
  address: string,
  io: CliIo,
): Promise<void> {
  for (let i = 0; i < 25; i++) {
    const id = await conn.openPath({ localAddress: address });
    if (id >= 0) return;
    if (!conn.multipathEnabled) {
      io.stderr.write(`tsquic: ${key}: the server did not negotiate multipath: one path\n`);
      return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  io.stderr.write(`tsquic: ${key}: no path ID available for a second path\n`);
}

/**
 * Runs `requests` of an origin on one connection: the failure lines (one for the origin when the
 * connection failed), and the requests to send again on a new one (see attempt()).
 */
async function runRequests(
  c: OriginConnection,
  origin: Origin,
  requests: readonly Request[],
  outs: ReadonlyMap<Request, Output>,
  s: GetSettings,
  report: GetReport,
  mayRetry: boolean,
): Promise<{ failures: string[]; retry: Request[] }> {
  const conn = c.conn;
  const failures: string[] = [];
  const retry: Request[] = [];
  const run = async (request: Request): Promise<'done' | 'retry'> => {
    const out = outs.get(request)!;
    let outcome: 'done' | 'retry' | null = null;
    try {
      outcome = await attempt(conn, request, out, s, report, mayRetry);
      return outcome;
    } finally {
      // A request to send again keeps its output open for the next attempt.
      if (outcome !== 'retry') await out.finish(outcome === 'done');
    }
  };
  try {
    // With 0-RTT the requests leave before the handshake completes (RFC 9001 §4.6.1).
    const setup = c.afterHandshake();
    if (!c.earlyData) await setup;
    const results = await Promise.allSettled(requests.map(run));
    await setup;
    results.forEach((r, i) => {
      const request = requests[i]!;
      if (r.status === 'rejected') {
        failures.push(`${request.url}: ${failureMessage(r.reason, s.protocol)}`);
      } else if (r.value === 'retry') {
        retry.push(request);
      }
    });
  } catch (e) {
    // The connection itself failed: one line for the origin.
    return { failures: [`https://${origin.key}: ${failureMessage(e, s.protocol)}`], retry: [] };
  }
  if (failures.length > 0 && conn.isClosed) {
    // Requests failed because the connection ended: say why once.
    const err = await conn.closed.then(
      () => null,
      (e: unknown) => e,
    );
    if (err !== null) {
      return { failures: [`https://${origin.key}: ${failureMessage(err, s.protocol)}`], retry };
    }
  }
  return { failures, retry };
}

async function run(args: ParsedArgs, io: CliIo): Promise<number> {
  if (args.positionals.length === 0) throw new UsageError('give at least one URL (see --help)');
  const outputDir = outputDirectory(stringOption(args, 'output'));
  const keyLog = KeyLogFile.open(stringOption(args, 'keylog'));
  try {
    const s = await settings(args, io, keyLog, outputDir !== null);
    const origins = await groupByOrigin(args.positionals, outputDir, parseConnectTo(args));
    const report = new GetReport(s.show, io.stderr, () => performance.now());
    const total = origins.reduce((n, o) => n + o.requests.length, 0);
    const bodies = new Bodies(outputDir === null && total === 1);
    const conns: QuicConnection[] = [];
    const timer = setTimeout(() => {
      const err = new QuicNodeError('ERR_QUIC_TIMEOUT', `timed out after ${s.timeoutMs / 1000} s`);
      for (const c of conns) c.destroy(err);
    }, s.timeoutMs);
    // SIGINT / SIGTERM end the connections rather than the process, so that their close is
    // sent and their qlog and key log are complete; a second signal kills as usual.
    let interrupted: NodeJS.Signals | null = null;
    const onSignal = (signal: NodeJS.Signals): void => {
      interrupted = signal;
      const err = new QuicNodeError('ERR_QUIC_ABORTED', `interrupted by ${signal}`);
      for (const c of conns) c.destroy(err);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    let outcomes: OriginOutcome[];
    try {
      outcomes = await Promise.all(
        origins.map((o) => runOrigin(o, s, bodies, io, report, (c) => conns.push(c))),
      );
    } finally {
      report.finish();
      clearTimeout(timer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    const failures = outcomes.flatMap((o) => o.failures);
    for (const f of failures) report.failure(f);
    for (const o of outcomes) for (const line of o.stats) io.stderr.write(line + '\n');
    // The shell's convention: 128 + the signal number (SIGINT 2, SIGTERM 15).
    if (interrupted !== null) return interrupted === 'SIGINT' ? 130 : 143;
    return failures.length === 0 ? 0 : 1;
  } finally {
    keyLog?.close();
  }
}

export const getCommand: Command = {
  name: 'get',
  summary: 'fetch URLs over QUIC (HTTP/3 or hq-interop)',
  usage: '[options] URL...',
  description: [
    'Fetches every https://HOST:PORT/PATH URL; URLs of one origin share one connection and run',
    'concurrently. Bodies go to DIR/<last path segment> with --output, else to stdout. Exit 0',
    'only when every response is complete; otherwise one line per failure on stderr and exit 1',
    '(timeout, idle timeout, reset, stateless reset, connection closed, body shorter than its',
    'content-length, ...). Partial files are removed: a file under DIR is always a whole body;',
    'on stdout the bytes already written stay.',
    'A GET or HEAD the server did not process (its GOAWAY came first, or it answered',
    'H3_REQUEST_REJECTED) is sent once more on a new connection.',
    "Without --ca or --insecure the server certificate is checked against Node's bundled roots",
    'and the certificates of the PEM file NODE_EXTRA_CA_CERTS names.',
    'SSLKEYLOGFILE in the environment works like --keylog.',
  ].join('\n'),
  options: {
    ca: { type: 'string', valueName: 'PEM', description: 'trust only these CA certificates' },
    insecure: { type: 'boolean', description: 'do not check the server certificate' },
    output: { type: 'string', short: 'o', valueName: 'DIR', description: 'write bodies to DIR' },
    alpn: {
      type: 'string',
      valueName: 'ALPN',
      description: `application protocol: ${[...GET_PROTOCOLS.keys()].join(' or ')} (default ${DEFAULT_GET_ALPN})`,
    },
    cipher: {
      type: 'string',
      valueName: 'NAME',
      description: 'offer only aes128, aes256 or chacha20',
    },
    group: {
      type: 'string',
      valueName: 'NAME',
      description:
        'key exchange: x25519mlkem768, x25519, p256 or p384 (default: x25519mlkem768 with an x25519 share)',
    },
    'quic-version': {
      type: 'string',
      valueName: 'LIST',
      description:
        'QUIC versions accepted, in preference order: 1, 2, or a list such as 2,1 (the first flight is v1 when listed; default 1,2)',
    },
    session: {
      type: 'string',
      valueName: 'FILE',
      description:
        'resume with the ticket and skip Retry with the NEW_TOKEN token saved in FILE for the server (if any); save the new ones',
    },
    'early-data': { type: 'boolean', description: 'send the requests as 0-RTT when resuming' },
    'key-update': { type: 'boolean', description: 'update the 1-RTT keys after the handshake' },
    migrate: { type: 'boolean', description: 'move to a new local port after the handshake' },
    multipath: {
      type: 'boolean',
      description: 'offer Multipath QUIC (RFC 10069); plain QUIC with servers without it',
    },
    'path-from': {
      type: 'string',
      valueName: 'ADDR',
      description: 'with --multipath: open a second path from local address ADDR',
    },
    ...SHARED_OPTIONS,
    timeout: {
      type: 'string',
      valueName: 'SECONDS',
      description: 'give up after this long (default 30)',
    },
    'max-time': {
      type: 'string',
      valueName: 'SECONDS',
      description: "curl's name for --timeout: every request not complete by then fails",
    },
    ...REQUEST_OPTIONS,
    stats: {
      type: 'boolean',
      description:
        'print connection statistics as one JSON line on stderr (also after a failure line)',
    },
  },
  maxPositionals: 10_000,
  run,
};
