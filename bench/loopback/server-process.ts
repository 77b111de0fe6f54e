/**
 * The loopback benchmark's server: a child process (started with fork by bench/loopback.ts)
 * running one tsquic server on 127.0.0.1 through the Node adapter. It answers the requests of
 * protocol.ts, reports its CPU time on request, and exits cleanly on 'stop' (so that a
 * `--cpu-prof` profile gets written).
 */
import {
  createServer,
  createWorkerServer,
  type QuicServer,
  type WorkerServer,
} from '../../src/node/index.js';
import setup from './app.js';
import { ALPN, processCpuSeconds, type ServerCommand, type ServerReply } from './protocol.js';

function reply(m: ServerReply): void {
  process.send?.(m);
}

let server: QuicServer | WorkerServer | null = null;

process.on('message', (m: ServerCommand) => {
  switch (m.type) {
    case 'start': {
      const options = { alpn: [ALPN], cert: m.certPem, key: m.keyPem, maxConnections: 100_000 };
      if (m.workers !== undefined) {
        server = createWorkerServer({
          workers: m.workers,
          module: new URL(
            `./app${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`,
            import.meta.url,
          ),
          server: options,
        });
      } else {
        server = createServer(options);
        setup(server);
      }
      server.listen(0, '127.0.0.1').then(
        (addr) => reply({ type: 'listening', port: addr.port }),
        (e: Error) => reply({ type: 'error', message: e.message }),
      );
      return;
    }
    case 'cpu':
      reply({ type: 'cpu', seconds: processCpuSeconds() });
      return;
    case 'stats':
      if (server !== null && 'getStats' in server) {
        server.getStats().then(
          (stats) => reply({ type: 'stats', stats }),
          (e: Error) => reply({ type: 'error', message: e.message }),
        );
      } else {
        reply({ type: 'stats', stats: null });
      }
      return;
    case 'stop': {
      const done = (): void => process.exit(0);
      if (server === null) done();
      else server.close().then(done, done);
      return;
    }
  }
});
