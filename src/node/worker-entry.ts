/**
 * The body of one worker thread of a multi-worker server (workers.ts): an ordinary tsquic/node
 * server whose socket is its own of the steered group (steered-socket.ts) or the port to the
 * router thread (worker-socket.ts), with its own QUIC-LB server ID so that every connection ID
 * it issues routes back to it. The application's module configures it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { SocketAddress } from '../util/address.js';
import { createServer, type ServerOptions } from './server.js';
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
          ? new PortSocket(port, local, handlers)
          : new SteeredSocket(
              port,
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
  const server = createServer({ ...mod.serverOptions?.(init.moduleData), ...options });
  if (typeof mod.default !== 'function') {
    throw new TypeError(`${init.module} has no default export (server, data) => void`);
  }
  await mod.default(server, init.moduleData);
  let accepted = 0;
  server.on('connection', () => accepted++);
  await server.listen(local.port, local.address);

  const report = (r: WorkerReport): void => port.postMessage(r);
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
    } else if (m.type === 'close' || m.type === 'drain') {
      if (m.type === 'drain' && socket instanceof SteeredSocket) socket.drain();
      const done = m.type === 'close' ? server.close(m.code, m.reason) : server.drain(m.timeoutMs);
      void done.then(() => {
        report({ type: 'closed' });
        port.close();
      });
    }
  });
  report({ type: 'ready' });
}

main().catch((e: unknown) => {
  parentPort?.postMessage({ type: 'failed', message: e instanceof Error ? e.message : String(e) });
});
