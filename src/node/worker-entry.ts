/**
 * The body of one worker thread of a multi-worker server (workers.ts): an ordinary tsquic/node
 * server whose socket is its own of the steered group (steered-socket.ts) or the port to the
 * router thread (worker-socket.ts), with its own QUIC-LB server ID so that every connection ID
 * it issues routes back to it. The application's module configures it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { SocketAddress } from '../util/address.js';
import type { QuicConnection } from './connection.js';
import { createServer, type QuicServer, type ServerOptions } from './server.js';
import { SteeredSocket } from './steered-socket.js';
import { PortSocket } from './worker-socket.js';
import type { WorkerInit, WorkerReport, RouterCommand } from './workers.js';

async function main(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('worker-entry runs in a worker thread');
  const init = workerData as WorkerInit;
  const local: SocketAddress = init.local;
  const steered = init.steered;
  let socket: SteeredSocket | PortSocket | null = null;
  const options: ServerOptions = {
    ...init.server,
    quicLb: init.quicLb,
    keys: init.keys,
    bindSocket: (_host, _port, opts, handlers) => {
      socket =
        steered === undefined
          ? new PortSocket(port, init.rings, local, handlers)
          : new SteeredSocket(
              port,
              init.rings,
              steered.fd,
              local.address,
              opts,
              handlers,
              { configId: init.quicLb.configId, serverId: init.index },
              steered.routes,
            );
      return Promise.resolve(socket);
    },
    ...(steered !== undefined ? { bindSocketKind: 'native' as const } : {}),
  };
  const mod = (await import(init.module)) as {
    default?: (server: unknown, data: unknown) => void | Promise<void>;
    /** Options that are functions (key log, qlog, hooks): made here, they cannot cross threads. */
    serverOptions?: (data: unknown) => Partial<ServerOptions>;
  };
  const own = mod.serverOptions?.(init.moduleData) ?? {};
  const server = createServer({ ...own, ...options });
  if (typeof mod.default !== 'function') {
    throw new TypeError(`${init.module} has no default export (server, data) => void`);
  }
  await mod.default(server, init.moduleData);
  let accepted = 0;
  server.on('connection', () => accepted++);
  await server.listen(local.port, local.address);

  const report = (r: WorkerReport): void => port.postMessage(r);
  let closed = false;
  port.on('message', (m: RouterCommand) => {
    if (m.type === 'stats') {
      const elu = performance.eventLoopUtilization();
      const s = socket instanceof SteeredSocket ? socket : null;
      report({
        type: 'stats',
        id: m.id,
        stats: {
          worker: init.index,
          connections: server.connections.size,
          accepted,
          busyMs: elu.active,
          datagramsIn: s?.received ?? 0,
          datagramsOut: s?.sent ?? 0,
          forwarded: s?.forwarded ?? 0,
          hashedIn: s?.unrouted ?? 0,
        },
      });
    } else if (m.type === 'refuse') {
      // While the whole server drains this worker refuses new clients (RFC 9000 §10.2) but
      // stays, answering them, until the main thread closes it: every worker refuses until the
      // last connection of any has ended. Its protocols end their connections gracefully.
      server.stopAccepting();
      void connectionsEnded(server).then(() => report({ type: 'drained' }));
    } else if (m.type === 'close' || m.type === 'drain') {
      if (m.type === 'drain' && socket instanceof SteeredSocket) socket.drain();
      // A drain may be cut short by a close (the server's drain limit): whichever ends the
      // server first reports it.
      const done = m.type === 'close' ? server.close(m.code, m.reason) : server.drain(m.timeoutMs);
      void done.then(() => {
        if (closed) return;
        closed = true;
        report({ type: 'closed' });
        port.close();
      });
    }
  });
  report({ type: 'ready' });
}

/** Resolves once `server` holds no connection (it takes no new ones: they are refused). */
function connectionsEnded(server: QuicServer): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (server.connections.size > 0) return;
      server.off('connection', watch);
      resolve();
    };
    // The server forgets a connection as it closes, before this listener runs.
    const watch = (c: QuicConnection): void => void c.once('close', check);
    for (const c of server.connections) watch(c);
    // One whose handshake began before refusing did is announced later.
    server.on('connection', watch);
    check();
  });
}

main().catch((e: unknown) => {
  parentPort?.postMessage({ type: 'failed', message: e instanceof Error ? e.message : String(e) });
});
