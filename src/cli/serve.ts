/**
 * `tsquic serve`: serves the files of a directory over QUIC. The negotiated ALPN picks the
 * protocol handler (SERVE_PROTOCOLS): HTTP/3 (h3) or hq-interop (HTTP/0.9).
 *
 * Without --cert/--key an in-memory self-signed ECDSA P-256 certificate for localhost, 127.0.0.1
 * and ::1 is made and its SHA-256 fingerprint printed. Prints `listening on HOST:PORT` once
 * bound; SIGINT or SIGTERM closes the connections and exits with 0.
 */
import { defaultProvider } from '../crypto/default-provider.js';
import { createServer } from '../node/server.js';
import type { QuicConnection } from '../node/connection.js';
import type { QuicStream } from '../node/stream.js';
import { certificateFingerprint, createSelfSignedCertificate } from '../tls/x509/index.js';
import type { CertifiedKey } from '../tls/types.js';
import { formatAddress } from '../util/address.js';
import {
  type CliIo,
  type Command,
  type ParsedArgs,
  UsageError,
  flagOption,
  parseIntegerOption,
  stringOption,
} from './args.js';
import type { H3ServerOptions } from '../h3/api/server.js';
import { H3_ALPN, h3FileHandler, serveH3Connection } from './h3-handlers.js';
import { HQ_ALPN } from './hq-protocol.js';
import { HqFileServer } from './hq-server.js';
import {
  KeyLogFile,
  parseAlpnList,
  parseCongestionControl,
  parseQuicVersion,
  parseSeconds,
  qlogDirectoryOption,
  parseIdleTimeout,
  SHARED_OPTIONS,
  readCertificateFile,
  readKeyFile,
} from './serve-get-options.js';

/** A protocol `tsquic serve` speaks, chosen by the connection's ALPN. */
export interface ServeProtocol {
  readonly alpn: string;
  /** A stream the client opened on a connection that negotiated this protocol. */
  handleStream?(stream: QuicStream, conn: QuicConnection): void;
  /** Takes the whole connection instead, at its first stream (HTTP/3 drives the core streams). */
  handleConnection?(conn: QuicConnection): void;
}

/** Builds the protocols for a document root. */
async function serveProtocols(
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

async function loadCertificate(args: ParsedArgs, io: CliIo): Promise<CertifiedKey> {
  const certFile = stringOption(args, 'cert');
  const keyFile = stringOption(args, 'key');
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new UsageError('--cert and --key go together');
  }
  if (certFile !== undefined && keyFile !== undefined) {
    const chain = await readCertificateFile(certFile, 'cert');
    const key = await readKeyFile(defaultProvider, keyFile, 'key');
    return { chain, key };
  }
  const made = createSelfSignedCertificate(defaultProvider, {
    names: SELF_SIGNED_NAMES,
    keyType: 'ec-p256',
  });
  const fp = certificateFingerprint(defaultProvider, made.certificate);
  io.stderr.write(
    `self-signed certificate for ${SELF_SIGNED_NAMES.join(', ')}, SHA-256 fingerprint ${fp}\n`,
  );
  return { chain: [made.certificate], key: made.key };
}

/** Resolves on the first SIGINT or SIGTERM. */
function untilSignal(): { promise: Promise<string>; dispose(): void } {
  let handler: (signal: string) => void = () => {};
  const promise = new Promise<string>((resolve) => (handler = resolve));
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  return {
    promise,
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
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
  const version = versionText === undefined ? undefined : parseQuicVersion(versionText);
  const idleText = stringOption(args, 'idle-timeout');
  const idleTimeout = idleText === undefined ? undefined : parseIdleTimeout(idleText);
  const headerTimeout = stringOption(args, 'header-timeout');
  const protocols = await serveProtocols(stringOption(args, 'root') ?? process.cwd(), {
    ...(headerTimeout !== undefined
      ? { requestHeaderTimeout: parseSeconds(headerTimeout, 'header-timeout') }
      : {}),
  });
  const certificate = await loadCertificate(args, io);
  const qlog = qlogDirectoryOption(stringOption(args, 'qlog-dir'));
  const keyLog = KeyLogFile.open(stringOption(args, 'keylog'));

  const server = createServer({
    alpn,
    certificate,
    retry: flagOption(args, 'retry'),
    // Session tickets allow 0-RTT: replaying a GET of a static file is harmless (RFC 9001 §9.2).
    earlyData: true,
    ...(congestionControl !== undefined ? { congestionControl } : {}),
    ...(version !== undefined ? { versions: [version] } : {}),
    ...(keyLog !== null ? { keyLog: keyLog.log } : {}),
    ...(qlog !== undefined ? { qlog } : {}),
    ...(idleTimeout !== undefined ? { idleTimeout } : {}),
  });
  server.on('connection', (conn: QuicConnection) => {
    // The ALPN is known once the ClientHello is processed, before any stream (0-RTT included).
    // Streams are taken from the core: a 'stream' listener would wrap every stream, HTTP/3's too.
    let whole = false;
    conn.core.on('stream', (core) => {
      const protocol = conn.alpn === null ? undefined : protocols.get(conn.alpn);
      if (protocol?.handleConnection !== undefined) {
        if (!whole) protocol.handleConnection(conn);
        whole = true;
        return;
      }
      const stream = conn.streamFor(core);
      if (protocol?.handleStream === undefined) stream.destroy();
      else protocol.handleStream(stream, conn);
    });
  });

  const signal = untilSignal();
  try {
    let bound;
    try {
      bound = await server.listen(port, host);
    } catch (e) {
      io.stderr.write(`tsquic: ${(e as Error).message}\n`);
      return 1;
    }
    io.stdout.write(`listening on ${formatAddress(bound)}\n`);
    await signal.promise;
    await server.close(0, 'server shutting down');
    return 0;
  } finally {
    signal.dispose();
    keyLog?.close();
  }
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'serve the files of a directory over QUIC (HTTP/3, hq-interop)',
  usage: '[options]',
  description: [
    'Serves the files under --root over QUIC: HTTP/3 (GET and HEAD, 404 for a missing file) and',
    'hq-interop (HTTP/0.9: "GET /path" on a stream, the file as the answer, a missing file resets',
    'the stream); the client picks by ALPN, h3 first. Nothing outside the root is',
    'served. Without --cert/--key an in-memory self-signed certificate (ECDSA P-256) for',
    'localhost, 127.0.0.1 and ::1 is used and its SHA-256 fingerprint printed. Prints',
    '"listening on HOST:PORT" once ready; SIGINT or SIGTERM stops it. SSLKEYLOGFILE in the',
    'environment works like --keylog.',
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
    'quic-version': {
      type: 'string',
      valueName: 'N',
      description: 'accept only QUIC version 1 or 2 (default both)',
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
