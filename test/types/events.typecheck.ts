/**
 * Type-level checks of the public events, compiled by `npm run build` (and so by `npm test`) and
 * never run: every `@ts-expect-error` line must fail to compile, or the build fails with "Unused
 * '@ts-expect-error' directive"; every other line must compile. The runtime side (events.once on
 * the core Emitter) is in test/util/emitter.test.ts.
 */
import { on, once } from 'node:events';
import type { Connection } from '../../src/conn/connection.js';
import type { H3ServerResponse } from '../../src/h3/api/server.js';
import { h3Client, h3Server } from '../../src/h3/index.js';
import type {
  ConnectOptions as NodeConnectOptions,
  QuicConnection,
  QuicServer,
  QuicStream,
  WorkerServer,
} from '../../src/node/index.js';
import type {
  ConnectOptions as DeprecatedCoreConnectOptions,
  EngineConnectOptions,
} from '../../src/index.js';

export async function typecheckEvents(
  conn: QuicConnection,
  server: QuicServer,
  workers: WorkerServer,
  stream: QuicStream,
  res: H3ServerResponse,
  core: Connection,
): Promise<void> {
  conn.on('stream', (s: QuicStream) => s.end());
  conn.on('close', (info, error) => void [info.errorCode, error?.code]);
  conn.on('datagram', (data: Buffer) => data.length);
  // @ts-expect-error a misspelt event name
  conn.on('strem', () => {});
  // @ts-expect-error the listener of 'stream' gets a QuicStream, not a number
  conn.on('stream', (n: number) => n);
  const [s] = await once(conn, 'stream');
  void s;

  server.on('connection', (c: QuicConnection) => c.alpn);
  // @ts-expect-error QuicServer has no 'session' event
  server.on('session', () => {});
  workers.on('reload', (configId: number) => configId);
  // @ts-expect-error the 'reload' listener gets a number
  workers.on('reload', (id: string) => id);

  // A Duplex accepts any event name (Node's catch-all overload); the known ones are typed.
  stream.on('stopSending', (code) => code.toString(16));
  stream.on('error', (err) => err.message);

  // The h3 server response and the core connection work with events.once / events.on.
  await once(res, 'drain');
  res.on('error', (e) => e.code);
  // @ts-expect-error H3ServerResponse has no 'finish' event
  res.on('finish', () => {});
  await once(core, 'handshakeDone');
  for await (const [t] of on(core, 'sessionTicket')) void t;
  // @ts-expect-error the core connection's event is 'handshakeDone'
  core.on('handshake', () => {});
}

// One name per shape: the engine's connect options and tsquic/node's (test/node/vocabulary.test.ts).
export function typecheckConnectOptions(): void {
  const core: EngineConnectOptions = { alpn: ['h3'], ca: [new Uint8Array(0)] };
  const old: DeprecatedCoreConnectOptions = core; // the deprecated alias is the same shape
  const node: NodeConnectOptions = { alpn: ['h3'], ca: 'PEM', rejectUnauthorized: false };
  // @ts-expect-error rejectUnauthorized is tsquic/node's, not the engine's
  const wrong: EngineConnectOptions = { alpn: ['h3'], rejectUnauthorized: false };
  void [old, node, wrong];
}

// HTTP/3 takes a tsquic/node connection as connect() and the server's 'connection' give it, or
// a core one (test/node/h3-node.test.ts runs both).
export function typecheckH3OnConnections(
  conn: QuicConnection,
  core: Connection,
  server: QuicServer,
): void {
  void h3Client(conn).request({ path: '/' });
  void h3Client(core);
  server.on('connection', (c) => void h3Server(c, (_req, res) => res.end('ok')));
  // @ts-expect-error a QuicStream is no connection
  h3Client(null as unknown as QuicStream);
}
