/**
 * `tsquic serve --workers N`: what runs in each worker thread (src/node/workers.ts). The router
 * thread owns the socket; each worker serves the same root with the same protocols, and writes
 * its own qlog files and key log lines (appended to one file).
 */
import { appendFileSync } from 'node:fs';
import type { QuicServer, ServerOptions } from '../node/server.js';
import { qlogToDirectory } from '../node/qlog.js';
import { attachProtocols, serveProtocols, type ServeWorkerData } from './serve.js';

/** Server options that are functions, made in the worker (they cannot cross threads). */
export function serverOptions(data: ServeWorkerData): Partial<ServerOptions> {
  const keylog = data.keylog;
  return {
    ...(data.qlogDir !== undefined
      ? { qlog: qlogToDirectory(data.qlogDir, data.qlogFormat ?? 'ietf') }
      : {}),
    ...(keylog !== undefined
      ? { keyLog: (line: string) => appendFileSync(keylog, line + '\n') }
      : {}),
  };
}

export default async function setup(server: QuicServer, data: ServeWorkerData): Promise<void> {
  attachProtocols(server, await serveProtocols(data.root, data.h3));
}
