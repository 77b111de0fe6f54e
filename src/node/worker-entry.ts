/**
 * The body of one worker thread of a multi-worker server (workers.ts): an ordinary tsquic/node
 * server whose socket is the port to the router thread, with its own QUIC-LB server ID so that
 * every connection ID it issues routes back to it. The application's module configures it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { SocketAddress } from '../util/address.js';
import { createServer, type ServerOptions } from './server.js';
import { PortSocket } from './worker-socket.js';
import type { WorkerInit, WorkerReport, RouterCommand } from './workers.js';

async function main(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('worker-entry runs in a worker thread');
  const init = workerData as WorkerInit;
  const local: SocketAddress = init.local;
  const options: ServerOptions = {
    ...init.server,
    quicLb: init.quicLb,
    keys: init.keys,
    bindSocket: (_host, _port, _opts, handlers) =>
      Promise.resolve(new PortSocket(port, local, handlers)),
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
      report({
        type: 'stats',
        id: m.id,
        stats: {
          worker: init.index,
          connections: server.connections.size,
          accepted,
          busyMs: elu.active,
        },
      });
    } else if (m.type === 'close' || m.type === 'drain') {
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
