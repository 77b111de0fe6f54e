/**
 * `tsquic serve`: serves the files of a directory over QUIC. The negotiated ALPN picks the
 * protocol handler (SERVE_PROTOCOLS): HTTP/3 (h3) or hq-interop (HTTP/0.9).
 *
 * Without --cert/--key an in-memory self-signed ECDSA P-256 certificate for localhost, 127.0.0.1
 * and ::1 is made and its SHA-256 fingerprint printed. Prints `listening on HOST:PORT` once
 * bound. SIGINT or SIGTERM drains (stop-signals.ts): new clients are refused, live connections
 * finish within --drain-timeout, exit 0; a second signal exits 1 at once.
 */
import { availableParallelism } from 'node:os';
import { isIP } from 'node:net';
import type { QlogFormat } from '../conn/qlog-writer.js';
import { defaultProvider } from '../crypto/default-provider.js';
import { createServer, type QuicServer } from '../node/server.js';
import { createWorkerServer, type WorkerServerConfig } from '../node/workers.js';
import type { QuicConnection } from '../node/connection.js';
import type { QuicStream } from '../node/stream.js';
import type { AdmissionOptions } from '../engine/admission.js';
import {
  certificateFingerprint,
  createSelfSignedCertificate,
  pemEncode,
} from '../tls/x509/index.js';
import type { CertifiedKey } from '../tls/types.js';
import { keyMatchesCertificate } from '../tls/x509/key-match.js';
import { formatAddress, type SocketAddress } from '../util/address.js';
import {
  type CliIo,
  type Command,
  type ParsedArgs,
  UsageError,
  flagOption,
  parseHex,
  parseIntegerOption,
  readUserFile,
  stringOption,
} from './args.js';
import { decodeKeyMaterial, type KeyMaterial } from '../engine/key-material.js';
import type { QuicLbServerConfig } from '../lb/generator.js';
import type { H3ServerOptions } from '../h3/api/server.js';
import { h3TicketApplication } from '../h3/ticket-settings.js';
import { H3_ALPN, h3FileHandler, serveH3Connection } from './h3-handlers.js';
import { HQ_ALPN } from './hq-protocol.js';
import { HqFileServer } from './hq-server.js';
import { exitAtOnce, watchStopSignals, type StopSignals } from './stop-signals.js';
import { describeListener, startHttpsListener, type HttpsListener } from './https-listener.js';
import {
  KeyLogFile,
  parseAlpnList,
  parseCongestionControl,
  parseQuicVersions,
  parseSeconds,
  qlogDirectory,
  qlogDirectoryOption,
  parseQlogFormat,
  parseIdleTimeout,
  parseKeyUpdateAfter,
  SHARED_OPTIONS,
  parsePmtudOptions,
  readCertificateFile,
  readKeyFile,
} from './serve-get-options.js';

/** A protocol `tsquic serve` speaks, chosen by the connection's ALPN. */
export interface ServeProtocol {
  readonly alpn: string;
  /** A stream the client opened on a connection that negotiated this protocol. */
  handleStream?(stream: QuicStream, conn: QuicConnection): void;
  /**
   * Takes the whole connection instead, at its first stream (HTTP/3 drives the core streams).
   * Returns the protocol's session, which the server ends gracefully when it drains.
   */
  handleConnection?(conn: QuicConnection): ServedConnection;
}

/** A protocol session that owns its connection. */
export interface ServedConnection {
  /**
   * Ends the protocol gracefully: no new requests, those in progress finish, then the
   * connection closes (HTTP/3: GOAWAY, then H3_NO_ERROR, RFC 9114 §5.2).
   */
  close(): Promise<void>;
}

/** Builds the protocols for a document root. */
export async function serveProtocols(
  root: string,
  h3Options: H3ServerOptions,
): Promise<Map<string, ServeProtocol>> {
  let files: HqFileServer;
  try {
    files = await HqFileServer.open(root);
  } catch (e) {
    throw new UsageError(`--root ${root}: ${(e as Error).message}`);
  }
  const h3Handler = h3FileHandler(files);
  return new Map<string, ServeProtocol>([
    [
      H3_ALPN,
      {
        alpn: H3_ALPN,
        handleConnection: (conn) => serveH3Connection(conn, h3Handler, h3Options),
      },
    ],
    [HQ_ALPN, { alpn: HQ_ALPN, handleStream: (stream) => files.handleStream(stream) }],
  ]);
}

/** ALPNs served when --alpn is not given, in preference order. */
export const DEFAULT_SERVE_ALPN = [H3_ALPN, HQ_ALPN];
const SUPPORTED_SERVE_ALPN = [H3_ALPN, HQ_ALPN];

const SELF_SIGNED_NAMES = ['localhost', '127.0.0.1', '::1'];

/** The server's certificate, loaded, and as PEM text for worker threads. */
interface ServeCertificate {
  certificate: CertifiedKey;
  pem: { cert: string; key: string };
}

async function loadCertificate(args: ParsedArgs, io: CliIo): Promise<ServeCertificate> {
  const certFile = stringOption(args, 'cert');
  const keyFile = stringOption(args, 'key');
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new UsageError('--cert and --key go together');
  }
  if (certFile !== undefined && keyFile !== undefined) {
    const chain = await readCertificateFile(certFile, 'cert');
    const key = await readKeyFile(defaultProvider, keyFile, 'key');
    if (!keyMatchesCertificate(defaultProvider, chain[0]!, key)) {
      throw new UsageError(`--key ${keyFile} is not the private key of --cert ${certFile}`);
    }
    const text = async (file: string): Promise<string> =>
      Buffer.from(await readUserFile(file)).toString('latin1');
    return {
      certificate: { chain, key },
      pem: { cert: await text(certFile), key: await text(keyFile) },
    };
  }
  const made = createSelfSignedCertificate(defaultProvider, {
    names: SELF_SIGNED_NAMES,
    keyType: 'ec-p256',
  });
  const fp = certificateFingerprint(defaultProvider, made.cert);
  io.stderr.write(
    `self-signed certificate for ${SELF_SIGNED_NAMES.join(', ')}, SHA-256 fingerprint ${fp}\n`,
  );
  return {
    certificate: made,
    pem: {
      cert: pemEncode('CERTIFICATE', made.cert),
      key: pemEncode('PRIVATE KEY', made.pkcs8),
    },
  };
}

/**
 * Answers each connection of `server` with the protocol its ALPN names. Once the server drains
 * (SIGTERM, or a reload retiring its generation), the sessions that own their connection end
 * gracefully, those started later too, so an idle HTTP/3 client leaves at once instead of at the
 * drain limit.
 */
export function attachProtocols(server: QuicServer, protocols: Map<string, ServeProtocol>): void {
  const sessions = new WeakMap<QuicConnection, ServedConnection>();
  server.on('draining', () => {
    for (const conn of server.connections) void sessions.get(conn)?.close();
  });
  server.on('connection', (conn: QuicConnection) => {
    // The ALPN is known once the ClientHello is processed, before any stream (0-RTT included).
    // Streams are taken from the core: a 'stream' listener would wrap every stream, HTTP/3's too.
    let whole = false;
    conn.core.on('stream', (core) => {
      const protocol = conn.alpn === null ? undefined : protocols.get(conn.alpn);
      if (protocol?.handleConnection !== undefined) {
        if (whole) return;
        whole = true;
        const session = protocol.handleConnection(conn);
        sessions.set(conn, session);
        if (server.refusesClients) void session.close();
        return;
      }
      const stream = conn.streamFor(core);
      if (protocol?.handleStream === undefined) stream.destroy();
      else protocol.handleStream(stream, conn);
    });
  });
}

/** --keys FILE and --server-id HEX: the shared key material and this server's QUIC-LB ID. */
async function loadKeys(
  args: ParsedArgs,
): Promise<{ keys?: KeyMaterial; quicLb?: QuicLbServerConfig }> {
  const file = stringOption(args, 'keys');
  const sid = stringOption(args, 'server-id');
  if (file === undefined) {
    if (sid !== undefined) throw new UsageError('--server-id needs --keys with a quicLb section');
    return {};
  }
  let keys: KeyMaterial;
  try {
    keys = decodeKeyMaterial(new TextDecoder().decode(await readUserFile(file)));
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`--keys ${file}: ${(e as Error).message}`);
  }
  if (sid === undefined) return { keys };
  const lb = keys.quicLb;
  if (lb === undefined) throw new UsageError(`--server-id: ${file} has no quicLb section`);
  const serverId = parseHex(sid, '--server-id');
  if (serverId.length !== lb.serverIdLength)
    throw new UsageError(`--server-id must be ${lb.serverIdLength} bytes for ${file}`);
  return { keys, quicLb: { ...lb, serverId } };
}

/** How long live connections may go on after SIGINT/SIGTERM (--drain-timeout). */
const DEFAULT_DRAIN_MS = 10_000;

/** SIGINT / SIGTERM: the first drains, a second one exits with 1 at once. */
function untilSignal(io: CliIo): StopSignals {
  return watchStopSignals((signal) => {
    io.stderr.write(`tsquic: ${signal} again: stopping without waiting for connections\n`);
    exitAtOnce(1);
  });
}

/** Waits for a stop signal, then says what a drain will do. */
async function drainRequested(io: CliIo, signals: StopSignals, drainMs: number): Promise<void> {
  const signal = await signals.first;
  io.stderr.write(
    `tsquic: ${signal}: draining (new clients refused, live connections finish, at most ` +
      `${drainMs / 1000} s; a second signal stops at once)\n`,
  );
}

/** The flood-defence flags (AdmissionOptions). */
function admissionOptions(args: ParsedArgs): AdmissionOptions {
  const max = stringOption(args, 'max-unvalidated');
  const rate = stringOption(args, 'max-new-per-second');
  return {
    ...(max !== undefined
      ? { maxUnvalidated: parseIntegerOption(max, 'max-unvalidated', 0, 1_000_000) }
      : {}),
    ...(rate !== undefined
      ? { maxNewPerSecond: parseIntegerOption(rate, 'max-new-per-second', 0, 1_000_000) }
      : {}),
    ...(flagOption(args, 'no-auto-retry') ? { autoRetry: false } : {}),
  };
}

async function run(args: ParsedArgs, io: CliIo): Promise<number> {
  const host = stringOption(args, 'host') ?? '127.0.0.1';
  const port = parseIntegerOption(stringOption(args, 'port') ?? '4433', 'port', 0, 65535);
  const alpnText = stringOption(args, 'alpn');
  const alpn =
    alpnText === undefined ? DEFAULT_SERVE_ALPN : parseAlpnList(alpnText, SUPPORTED_SERVE_ALPN);
  const ccText = stringOption(args, 'cc');
  const congestionControl = ccText === undefined ? undefined : parseCongestionControl(ccText);
  const versionText = stringOption(args, 'quic-version');
  const versions = versionText === undefined ? undefined : parseQuicVersions(versionText);
  const idleText = stringOption(args, 'idle-timeout');
  const idleTimeout = idleText === undefined ? undefined : parseIdleTimeout(idleText);
  const pmtud = parsePmtudOptions(
    stringOption(args, 'max-udp-payload'),
    flagOption(args, 'no-pmtud'),
  );
  const qlogFormat = parseQlogFormat(stringOption(args, 'qlog-format'));
  const keyUpdateText = stringOption(args, 'key-update-after');
  const keyUpdateAfterBytes =
    keyUpdateText === undefined ? undefined : parseKeyUpdateAfter(keyUpdateText);
  const admission = admissionOptions(args);
  const headerTimeout = stringOption(args, 'header-timeout');
  const h3Options: H3ServerOptions = {
    ...(headerTimeout !== undefined
      ? { requestHeaderTimeout: parseSeconds(headerTimeout, 'header-timeout') }
      : {}),
  };
  const drainText = stringOption(args, 'drain-timeout');
  const drainMs =
    drainText === undefined ? DEFAULT_DRAIN_MS : parseSeconds(drainText, 'drain-timeout');
  const workersText = stringOption(args, 'workers');
  const preferredText = stringOption(args, 'preferred-address');
  const preferredAddress =
    preferredText === undefined ? undefined : parsePreferredAddress(preferredText);
  // Every core by default (issue 14); a server with its own QUIC-LB server ID, or with a
  // preferred address (served by one engine on a second socket), is one engine.
  const workers =
    workersText !== undefined
      ? parseIntegerOption(workersText, 'workers', 1, 255)
      : stringOption(args, 'server-id') !== undefined || preferredAddress !== undefined
        ? 1
        : Math.min(255, availableParallelism());
  if (preferredAddress !== undefined && workers > 1) {
    throw new UsageError('--preferred-address and --workers do not go together');
  }
  const root = stringOption(args, 'root') ?? process.cwd();
  const protocols = await serveProtocols(root, h3Options);
  const httpsText = stringOption(args, 'https');
  const httpsPort =
    httpsText === undefined ? null : parseIntegerOption(httpsText, 'https', 0, 65535);
  const { certificate, pem } = await loadCertificate(args, io);
  // --https: the same files over TCP, advertising the QUIC port (bound first) with Alt-Svc.
  const startHttps = async (quic: SocketAddress): Promise<HttpsListener | null> => {
    if (httpsPort === null) return null;
    const h3Port = alpn.includes(H3_ALPN) ? quic.port : null;
    const listener = await startHttpsListener({
      host,
      port: httpsPort,
      pem,
      files: await HqFileServer.open(root),
      h3Port,
      onError: (message) => io.stderr.write(`tsquic: ${message}\n`),
    });
    io.stdout.write(describeListener(listener, h3Port));
    return listener;
  };
  if (workers > 1) {
    // A --qlog-dir that cannot be made is a usage error here, before any worker starts.
    qlogDirectoryOption(stringOption(args, 'qlog-dir'));
    const shared = await loadKeys(args);
    if (shared.quicLb !== undefined) {
      throw new UsageError('--server-id and --workers do not go together: each worker has its own');
    }
    const serverConfig = (certificatePem: { cert: string; key: string }): WorkerServerConfig => ({
      alpn,
      cert: certificatePem.cert,
      key: certificatePem.key,
      retry: flagOption(args, 'retry'),
      admission,
      earlyData: !flagOption(args, 'no-early-data'),
      ...(congestionControl !== undefined ? { congestionControl } : {}),
      ...(versions !== undefined ? { versions } : {}),
      ...(idleTimeout !== undefined ? { idleTimeout } : {}),
      ...pmtud,
      ...(keyUpdateAfterBytes !== undefined ? { keyUpdateAfterBytes } : {}),
      ...(flagOption(args, 'multipath') ? { multipath: true } : {}),
    });
    return runWorkers(
      io,
      { host, port, workers, drainMs, ...(shared.keys ? { keys: shared.keys } : {}) },
      startHttps,
      serverConfig(pem),
      workerData(
        root,
        h3Options,
        qlogDirectory(stringOption(args, 'qlog-dir')),
        qlogFormat,
        // As in one engine (KeyLogFile.open): --keylog, else SSLKEYLOGFILE.
        stringOption(args, 'keylog') ?? (process.env['SSLKEYLOGFILE'] || undefined),
      ),
      // SIGHUP: the certificate files again (a renewed certificate), for the next generation.
      async () =>
        serverConfig(
          stringOption(args, 'cert') === undefined ? pem : (await loadCertificate(args, io)).pem,
        ),
    );
  }
  const qlog = qlogDirectoryOption(stringOption(args, 'qlog-dir'), qlogFormat);
  const shared = await loadKeys(args);
  const keyLog = KeyLogFile.open(stringOption(args, 'keylog'));

  const server = createServer({
    alpn,
    certificate,
    retry: flagOption(args, 'retry'),
    admission,
    ...shared,
    // Session tickets allow 0-RTT (replays refused by the server's single-use store; a replayed
    // GET of a static file would be harmless anyway, RFC 9001 §9.2) unless switched off.
    earlyData: !flagOption(args, 'no-early-data'),
    // Tickets remember the HTTP/3 SETTINGS: 0-RTT only while they still hold (RFC 9114 §7.2.4.2).
    ticketApplication: h3TicketApplication(h3Options),
    ...(congestionControl !== undefined ? { congestionControl } : {}),
    ...(versions !== undefined ? { versions } : {}),
    ...(keyLog !== null ? { keyLog: keyLog.log } : {}),
    ...(qlog !== undefined ? { qlog } : {}),
    ...(idleTimeout !== undefined ? { idleTimeout } : {}),
    ...pmtud,
    ...(keyUpdateAfterBytes !== undefined ? { keyUpdateAfterBytes } : {}),
    ...(flagOption(args, 'multipath') ? { multipath: true } : {}),
    ...(preferredAddress !== undefined ? { preferredAddress } : {}),
  });
  attachProtocols(server, protocols);

  const signal = untilSignal(io);
  try {
    let bound;
    let https: HttpsListener | null;
    try {
      bound = await server.listen(port, host);
      io.stdout.write(`listening on ${formatAddress(bound)}\n`);
      https = await startHttps(bound);
    } catch (e) {
      io.stderr.write(`tsquic: ${(e as Error).message}\n`);
      await server.close(undefined, 'server shutting down');
      return 1;
    }
    await drainRequested(io, signal, drainMs);
    await Promise.all([https?.close(), server.drain(drainMs, undefined, 'server shutting down')]);
    return 0;
  } finally {
    signal.dispose();
    keyLog?.close();
  }
}

/** What the router hands every worker of `serve --workers N` (serve-worker.ts). */
/**
 * `--preferred-address ADDR:PORT[,ADDR:PORT]`: at most one IPv4 and one IPv6 address
 * (preferred_address has a slot for each, RFC 9000 §18.2); IPv6 in brackets.
 */
export function parsePreferredAddress(text: string): {
  ipv4?: SocketAddress;
  ipv6?: SocketAddress;
} {
  const out: { ipv4?: SocketAddress; ipv6?: SocketAddress } = {};
  for (const part of text.split(',')) {
    const m = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):(\d+)$/.exec(part.trim());
    const address = m?.[1] ?? m?.[2];
    const family = address === undefined ? 0 : isIP(address);
    const port = m === null ? NaN : Number(m[3]);
    if (family === 0 || !(port >= 1 && port <= 65535)) {
      throw new UsageError(
        `--preferred-address: '${part}' is not ADDR:PORT (an IP address; IPv6 in brackets)`,
      );
    }
    const slot = family === 4 ? 'ipv4' : 'ipv6';
    if (out[slot] !== undefined) {
      throw new UsageError(`--preferred-address: more than one IPv${family} address`);
    }
    out[slot] = { address: address!, port };
  }
  return out;
}

export interface ServeWorkerData {
  root: string;
  h3: H3ServerOptions;
  qlogDir?: string;
  qlogFormat?: QlogFormat;
  keylog?: string;
}

function workerData(
  root: string,
  h3: H3ServerOptions,
  qlogDir: string | undefined,
  qlogFormat: QlogFormat,
  keylog?: string,
): ServeWorkerData {
  return {
    root,
    h3,
    ...(qlogDir !== undefined ? { qlogDir, qlogFormat } : {}),
    ...(keylog !== undefined ? { keylog } : {}),
  };
}

/** `serve --workers N`: the router in this thread, a server per worker thread (serve-worker.ts). */
async function runWorkers(
  io: CliIo,
  where: { host: string; port: number; workers: number; drainMs: number; keys?: KeyMaterial },
  startHttps: (quic: SocketAddress) => Promise<HttpsListener | null>,
  server: WorkerServerConfig,
  data: ServeWorkerData,
  reloadConfig: () => Promise<WorkerServerConfig>,
): Promise<number> {
  const module = new URL(
    `./serve-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`,
    import.meta.url,
  );
  const router = createWorkerServer({
    workers: where.workers,
    module,
    moduleData: data,
    server,
    ...(where.keys ? { keys: where.keys } : {}),
  });
  const signal = untilSignal(io);
  try {
    let bound;
    let https: HttpsListener | null;
    try {
      bound = await router.listen(where.port, where.host);
      const how =
        router.steering === 'kernel'
          ? 'steered by connection ID in the kernel (SO_REUSEPORT + BPF)'
          : 'routed by connection ID in the main thread';
      io.stderr.write(`${where.workers} worker threads, ${how}\n`);
      io.stdout.write(`listening on ${formatAddress(bound)}\n`);
      https = await startHttps(bound);
    } catch (e) {
      io.stderr.write(`tsquic: ${(e as Error).message}\n`);
      await router.close(undefined, 'server shutting down');
      return 1;
    }
    // SIGHUP reloads without dropping a connection: a new generation of workers with the files
    // read again takes new connections, the old one finishes its own and exits.
    const onHangup = (): void => {
      reloadConfig()
        .then((config) => router.reload({ server: config }))
        .then(
          () => io.stderr.write('reloaded: new connections go to a new generation of workers\n'),
          (e: unknown) => io.stderr.write(`tsquic: reload failed: ${(e as Error).message}\n`),
        );
    };
    process.on('SIGHUP', onHangup);
    try {
      await drainRequested(io, signal, where.drainMs);
    } finally {
      process.off('SIGHUP', onHangup);
    }
    await Promise.all([
      https?.close(),
      router.drain(where.drainMs, undefined, 'server shutting down'),
    ]);
    return 0;
  } finally {
    signal.dispose();
  }
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'serve the files of a directory over QUIC (HTTP/3, hq-interop)',
  usage: '[options]',
  description: [
    'Serves the files under --root over QUIC: HTTP/3 (GET and HEAD, a content-type by file',
    'extension, 404 for a missing file) and',
    'hq-interop (HTTP/0.9: "GET /path" on a stream, the file as the answer, a missing file resets',
    'the stream); the client picks by ALPN, h3 first. Nothing outside the root is',
    'served. Without --cert/--key an in-memory self-signed certificate (ECDSA P-256) for',
    'localhost, 127.0.0.1 and ::1 is used and its SHA-256 fingerprint printed. Prints',
    '"listening on HOST:PORT" once ready. SIGINT or SIGTERM drains it: new clients are refused,',
    'live connections finish (at most --drain-timeout seconds, then they are closed), exit 0; a',
    'second signal exits 1 at once. SSLKEYLOGFILE in the',
    'environment works like --keylog. With --workers N, SIGHUP reloads: the certificate files are',
    'read again and a new generation of workers takes new connections while the old one finishes',
    'its own.',
  ].join('\n'),
  options: {
    host: { type: 'string', valueName: 'ADDR', description: 'address to bind (default 127.0.0.1)' },
    port: { type: 'string', valueName: 'PORT', description: 'UDP port (default 4433; 0: any)' },
    cert: { type: 'string', valueName: 'PEM', description: 'certificate chain file (PEM)' },
    key: { type: 'string', valueName: 'PEM', description: 'private key file (PEM)' },
    root: { type: 'string', valueName: 'DIR', description: 'directory to serve (default: cwd)' },
    alpn: {
      type: 'string',
      valueName: 'LIST',
      description: `protocols to accept, comma-separated (default ${DEFAULT_SERVE_ALPN.join(',')})`,
    },
    retry: { type: 'boolean', description: 'validate client addresses with Retry' },
    https: {
      type: 'string',
      valueName: 'PORT',
      description:
        'also serve the files over TCP (HTTP/2 and HTTP/1.1, same certificate) on PORT, advertising HTTP/3 with Alt-Svc',
    },
    multipath: {
      type: 'boolean',
      description: 'accept Multipath QUIC (RFC 10069): clients may open more paths',
    },
    'preferred-address': {
      type: 'string',
      valueName: 'ADDR:PORT[,ADDR:PORT]',
      description: 'ask clients to move there after the handshake (one IPv4, one IPv6; also bound)',
    },
    'max-unvalidated': {
      type: 'string',
      valueName: 'N',
      description: 'connections kept for unvalidated client addresses; beyond, Retry (default 128)',
    },
    'max-new-per-second': {
      type: 'string',
      valueName: 'N',
      description: 'new connections per second before Retry is demanded (default 1000)',
    },
    'no-auto-retry': {
      type: 'boolean',
      description: 'over those limits drop new clients instead of sending Retry',
    },
    keys: {
      type: 'string',
      valueName: 'FILE',
      description: 'key file shared by a pool and across restarts (see tsquic keys)',
    },
    'server-id': {
      type: 'string',
      valueName: 'HEX',
      description: "this server's QUIC-LB server ID (the key file's quicLb section)",
    },
    'no-early-data': { type: 'boolean', description: 'refuse 0-RTT from resuming clients' },
    workers: {
      type: 'string',
      valueName: 'N',
      description:
        'worker threads, each with its own engine, routed by connection ID (default: one per core; 1 with --server-id)',
    },
    'quic-version': {
      type: 'string',
      valueName: 'LIST',
      description:
        'QUIC versions accepted, in preference order: a client offering a preferred one is switched to it (default 1,2)',
    },
    'drain-timeout': {
      type: 'string',
      valueName: 'SECONDS',
      description:
        'on SIGINT/SIGTERM, how long live connections may go on before they are closed (default 10)',
    },
    'header-timeout': {
      type: 'string',
      valueName: 'SECONDS',
      description: 'HTTP/3: reset requests whose headers take longer than this (default 10)',
    },
    ...SHARED_OPTIONS,
  },
  run,
};
