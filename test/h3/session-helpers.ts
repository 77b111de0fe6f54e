/** Client/server session pairs over the fake transport, and response collectors. */
import { H3ClientSession, type H3ClientRequest } from '../../src/h3/session/client.js';
import type { H3ProtocolError } from '../../src/h3/errors.js';
import type { FieldLine } from '../../src/h3/qpack/field-section.js';
import { H3ServerSession } from '../../src/h3/session/server.js';
import type { H3SessionOptions } from '../../src/h3/session/session.js';
import { concatBytes } from '../../src/util/bytes.js';
import { type EndpointOptions, FakeNetwork } from './fake-transport.js';
import { seededRandom } from './helpers.js';

export interface PairOptions {
  client?: H3SessionOptions;
  server?: H3SessionOptions;
  clientNet?: EndpointOptions;
  serverNet?: EndpointOptions;
  /** Run the network until the SETTINGS exchange is over. Default true. */
  settle?: boolean;
}

export function sessionPair(options: PairOptions = {}) {
  const net = new FakeNetwork(options.clientNet, options.serverNet);
  const server = new H3ServerSession(net.server, { random: seededRandom(2), ...options.server });
  net.server.session = server;
  const client = new H3ClientSession(net.client, { random: seededRandom(1), ...options.client });
  net.client.session = client;
  if (options.settle ?? true) net.run();
  return { net, client, server };
}

/** A client whose server side is a raw endpoint driven by the test. */
export function clientWithRawServer(options: H3SessionOptions = {}) {
  const net = new FakeNetwork();
  const client = new H3ClientSession(net.client, { grease: false, ...options });
  net.client.session = client;
  return { net, client, raw: net.server };
}

/** A server whose client side is a raw endpoint driven by the test. */
export function serverWithRawClient(options: H3SessionOptions = {}) {
  const net = new FakeNetwork();
  const server = new H3ServerSession(net.server, { grease: false, ...options });
  net.server.session = server;
  return { net, server, raw: net.client };
}

export interface Collected {
  status: number;
  informational: number[];
  headers: FieldLine[];
  body: Uint8Array[];
  trailers: FieldLine[] | null;
  ended: boolean;
  error: H3ProtocolError | null;
  text(): string;
}

export function collectResponse(request: H3ClientRequest): Collected {
  const c: Collected = {
    status: 0,
    informational: [],
    headers: [],
    body: [],
    trailers: null,
    ended: false,
    error: null,
    text: () => new TextDecoder().decode(concatBytes(...c.body)),
  };
  request.onInformational = (_f, status) => c.informational.push(status);
  request.onResponse = (fields, status) => {
    c.status = status;
    c.headers = fields;
  };
  request.onData = (d) => c.body.push(d.slice());
  request.onTrailers = (f) => (c.trailers = f);
  request.onEnd = () => (c.ended = true);
  request.onError = (e) => (c.error = e);
  return c;
}

export const f = (name: string, value: string): FieldLine => ({ name, value });

export function get(path: string, extra: FieldLine[] = []): FieldLine[] {
  return [
    f(':method', 'GET'),
    f(':scheme', 'https'),
    f(':authority', 'example.com'),
    f(':path', path),
    ...extra,
  ];
}

export function post(path: string, extra: FieldLine[] = []): FieldLine[] {
  return [
    f(':method', 'POST'),
    f(':scheme', 'https'),
    f(':authority', 'example.com'),
    f(':path', path),
    ...extra,
  ];
}

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
