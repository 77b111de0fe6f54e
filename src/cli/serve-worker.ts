/**
 * `tsquic serve --workers N`: what runs in each worker thread (src/node/workers.ts). The router
 * thread owns the socket; each worker serves the same root with the same protocols, and writes
 * its own qlog files and key log lines (appended to one file).
 */
import { appendFileSync } from 'node:fs';
import { h3TicketApplication } from '../h3/ticket-settings.js';
import type { QuicServer, ServerOptions } from '../node/server.js';
import { attachProtocols, serveProtocols, type ServeWorkerData } from './serve.js';
import { qlogDirectoryOption } from './serve-get-options.js';

/** Server options that are functions, made in the worker (they cannot cross threads). */
export function serverOptions(data: ServeWorkerData): Partial<ServerOptions> {
  const keylog = data.keylog;
  // As with one engine: the directory is made if missing, and a file that cannot be opened
  // leaves its connection without a qlog rather than failing it. The router resolved
  // --qlog-dir and QLOGDIR already: no environment here.
  const qlog = qlogDirectoryOption(data.qlogDir, data.qlogFormat ?? 'ietf', {});
  return {
    // As with one engine: tickets remember the HTTP/3 SETTINGS (RFC 9114 §7.2.4.2).
    ticketApplication: h3TicketApplication(data.h3),
    ...(qlog !== undefined ? { qlog } : {}),
    ...(keylog !== undefined
      ? { keyLog: (line: string) => appendFileSync(keylog, line + '\n') }
      : {}),
  };
}

export default async function setup(server: QuicServer, data: ServeWorkerData): Promise<void> {
  attachProtocols(server, await serveProtocols(data.root, data.h3));
}
