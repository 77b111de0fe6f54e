/** Two engines over the in-memory network, for scenario tests. */
import { Engine, type EngineConfig, type ConnectOptions } from '../../src/engine/engine.js';
import { Network, type LinkConditions } from '../../src/testing/network.js';
import { defaultProvider } from '../../src/crypto/default-provider.js';
import { createSelfSignedCertificate } from '../../src/tls/x509/index.js';
import type { Connection } from '../../src/conn/connection.js';
import type { CertifiedKey } from '../../src/tls/types.js';

export const SERVER_ADDR = { address: '10.0.0.1', port: 4433 };
export const CLIENT_ADDR = { address: '10.0.0.2', port: 50000 };

let cached: { cert: CertifiedKey; ca: Uint8Array } | null = null;

/** One self-signed ECDSA P-256 certificate for "localhost" and the test addresses. */
export function testCertificate(): { cert: CertifiedKey; ca: Uint8Array } {
  if (!cached) {
    const c = createSelfSignedCertificate(defaultProvider, {
      names: ['localhost', '10.0.0.1', '127.0.0.1'],
      notBefore: Date.UTC(2020, 0, 1),
      notAfter: Date.UTC(2099, 0, 1),
    });
    cached = { cert: { chain: [c.certificate], key: c.key }, ca: c.certificate };
  }
  return cached;
}

export interface Pair {
  net: Network;
  server: Engine;
  client: Engine;
  conn: Connection;
  serverConn: () => Connection | null;
}

export function makePair(
  opts: {
    seed?: number;
    conditions?: LinkConditions;
    server?: Partial<EngineConfig['server']>;
    serverEngine?: Partial<EngineConfig>;
    client?: Partial<ConnectOptions>;
  } = {},
): Pair {
  const net = new Network({
    seed: opts.seed ?? 1,
    ...(opts.conditions ? { conditions: opts.conditions } : {}),
  });
  const { cert, ca } = testCertificate();
  const server = new Engine({
    ...opts.serverEngine,
    server: { alpn: ['test'], certificate: cert, ...opts.server },
  });
  const client = new Engine();
  net.addEndpoint('server', server, SERVER_ADDR);
  net.addEndpoint('client', client, CLIENT_ADDR);
  const conn = client.connect(
    SERVER_ADDR,
    { alpn: ['test'], serverName: 'localhost', ca: [ca], local: CLIENT_ADDR, ...opts.client },
    net.now,
  );
  let accepted: Connection | null = null;
  return {
    net,
    server,
    client,
    conn,
    serverConn: () => (accepted ??= server.accept()),
  };
}
