/**
 * `tsquic serve --https PORT`: the same files over TCP and TLS (node:http2 with HTTP/1.1
 * fallback, the QUIC server's certificate), each response advertising the QUIC endpoint with
 * Alt-Svc (RFC 7838; RFC 9114 §3.1.1), which is how browsers find HTTP/3: they load the page
 * over TCP first and switch to h3 for the next requests.
 */
import { createSecureServer, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import type { Socket } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { formatAddress, type SocketAddress } from '../util/address.js';
import { fileResponse } from './file-response.js';
import type { HqFileServer } from './hq-server.js';

/** How long browsers may remember the alternative (RFC 7838 §3 "ma"), seconds. */
const ALT_SVC_MAX_AGE = 86_400;

export interface HttpsListenerOptions {
  host: string;
  port: number;
  /** The certificate chain and private key, PEM. */
  pem: { cert: string; key: string };
  files: HqFileServer;
  /** The UDP port of the HTTP/3 endpoint to advertise, or null for none (h3 not served). */
  h3Port: number | null;
  /** Hears a request that failed after its response started (one line on stderr). */
  onError?: (message: string) => void;
}

export interface HttpsListener {
  readonly address: SocketAddress;
  /** Stops listening and ends every open connection. */
  close(): Promise<void>;
}

/** `h3=":PORT"; ma=SECONDS`: the same host, HTTP/3 on UDP port PORT (RFC 7838 §3). */
export function altSvcValue(h3Port: number): string {
  return `h3=":${h3Port}"; ma=${ALT_SVC_MAX_AGE}`;
}

/** Starts the listener; rejects when the port cannot be bound. */
export async function startHttpsListener(o: HttpsListenerOptions): Promise<HttpsListener> {
  const altSvc = o.h3Port === null ? null : altSvcValue(o.h3Port);
  const server = createSecureServer({ cert: o.pem.cert, key: o.pem.key, allowHTTP1: true });
  // Browsers keep idle connections open: close() ends them rather than wait for them.
  const sockets = new Set<Socket>();
  server.on('secureConnection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('request', (req: Http2ServerRequest, res: Http2ServerResponse) => {
    answer(o.files, altSvc, req, res).catch((e: unknown) => {
      o.onError?.(`https ${req.method} ${req.url}: ${(e as Error).message}`);
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address();
  const address =
    bound !== null && typeof bound === 'object'
      ? { address: bound.address, port: bound.port }
      : { address: o.host, port: o.port };
  return {
    address,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}

async function answer(
  files: HqFileServer,
  altSvc: string | null,
  req: Http2ServerRequest,
  res: Http2ServerResponse,
): Promise<void> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  const a = await fileResponse(files, req.method, req.url, headers);
  try {
    res.writeHead(a.status, { ...a.headers, ...(altSvc === null ? {} : { 'alt-svc': altSvc }) });
    if (a.body === null) {
      if (a.text === null) res.end();
      else res.end(a.text);
      return;
    }
    const { handle, start, length } = a.body;
    if (length === 0) {
      res.end();
      return;
    }
    await pipeline(
      handle.createReadStream({ start, end: start + length - 1, autoClose: false }),
      res,
    );
  } finally {
    await a.handle?.close();
  }
}

/** "https on ADDRESS" for the listening line. */
export function describeListener(l: HttpsListener, h3Port: number | null): string {
  return `https (TCP) on ${formatAddress(l.address)}${h3Port === null ? '' : `, advertising HTTP/3 on UDP port ${h3Port}`}\n`;
}
