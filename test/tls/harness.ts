/**
 * Test harness for the TLS core: certificates made once per file, and an in-memory pair that
 * drives a client and a server session by handing each one's handshake bytes to the other.
 */
import { defaultProvider } from '../../src/crypto/index.js';
import type { KeyType } from '../../src/crypto/provider.js';
import { createTlsClient } from '../../src/tls/client.js';
import { createTlsServer } from '../../src/tls/server.js';
import {
  type CertifiedKey,
  type CipherSuiteName,
  Level,
  type TlsCallbacks,
  type TlsClientConfig,
  type TlsServerConfig,
  type TlsSession,
} from '../../src/tls/types.js';
import { createSelfSignedCertificate } from '../../src/tls/x509/index.js';
import { utf8 } from '../../src/util/bytes.js';

export const provider = defaultProvider;
/** A fixed clock: certificates below are valid around it. */
export const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);
const DAY = 86400_000;

export interface TestPki {
  readonly caCert: Uint8Array;
  readonly server: CertifiedKey;
  readonly client: CertifiedKey;
}

/** A CA of `keyType` and leaves signed by it: server for "example.com"/127.0.0.1, and a client. */
export function makePki(
  keyType: KeyType,
  opts: { notAfter?: number; names?: string[] } = {},
): TestPki {
  const ca = createSelfSignedCertificate(provider, {
    names: [],
    commonName: `Test CA ${keyType}`,
    keyType,
    isCA: true,
    notBefore: NOW - 30 * DAY,
    notAfter: NOW + 365 * DAY,
  });
  const issuer = { cert: ca.certificate, key: ca.key };
  const server = createSelfSignedCertificate(provider, {
    names: opts.names ?? ['example.com', '127.0.0.1'],
    keyType,
    issuer,
    notBefore: NOW - DAY,
    notAfter: opts.notAfter ?? NOW + 90 * DAY,
  });
  const client = createSelfSignedCertificate(provider, {
    names: ['client.example'],
    keyType,
    issuer,
    notBefore: NOW - DAY,
    notAfter: NOW + 90 * DAY,
  });
  return {
    caCert: ca.certificate,
    server: { chain: [server.certificate, ca.certificate], key: server.key },
    client: { chain: [client.certificate], key: client.key },
  };
}

export const CLIENT_TP = utf8('client transport parameters');
export const SERVER_TP = utf8('server transport parameters');

/** Everything one side emitted. */
export class Side {
  session!: TlsSession;
  readonly data: { level: Level; data: Uint8Array }[] = [];
  readonly secrets = new Map<string, { suite: CipherSuiteName; secret: Uint8Array }>();
  readonly events: string[] = [];
  peerTransportParameters: Uint8Array | null = null;
  completed = false;
  alert: { alert: number; reason: string; transportError?: number } | null = null;
  readonly tickets: Uint8Array[] = [];
  readonly keyLog: string[] = [];
  /** Bytes to deliver to the peer: set by the pair. */
  outbox: { level: Level; data: Uint8Array }[] = [];

  callbacks(): TlsCallbacks {
    return {
      onHandshakeData: (level, data) => {
        if (this.alert !== null) throw new Error('output after an alert');
        this.data.push({ level, data });
        this.outbox.push({ level, data });
        this.events.push(`data:${level}`);
      },
      onSecret: (level, direction, suite, secret) => {
        if (this.alert !== null) throw new Error('output after an alert');
        this.secrets.set(`${level}/${direction}`, { suite, secret });
        this.events.push(`secret:${level}/${direction}`);
      },
      onPeerTransportParameters: (tp) => {
        this.peerTransportParameters = tp;
        this.events.push('tp');
      },
      onHandshakeComplete: () => {
        this.completed = true;
        this.events.push('complete');
      },
      onAlert: (alert, reason, transportError) => {
        if (this.alert !== null) throw new Error('second alert');
        this.alert =
          transportError === undefined ? { alert, reason } : { alert, reason, transportError };
        this.events.push(`alert:${alert}`);
      },
      onSessionTicket: (ticket) => {
        this.tickets.push(ticket);
        this.events.push('ticket');
      },
    };
  }

  secret(level: Level, direction: 'read' | 'write'): Uint8Array | undefined {
    return this.secrets.get(`${level}/${direction}`)?.secret;
  }
}

/** Changes or drops (null) a chunk in flight. */
export type Tamper = (
  from: 'client' | 'server',
  level: Level,
  data: Uint8Array,
) => Uint8Array | null | { level: Level; data: Uint8Array };

export interface Pair {
  readonly client: Side;
  readonly server: Side;
  /** Delivers queued bytes both ways until nothing moves (waits for async callbacks). */
  run(): Promise<void>;
}

/** Option overrides; `undefined` removes a default. */
export type Overrides<T> = { [K in keyof T]?: T[K] | undefined };

function withOverrides<T extends object>(base: T, extra: Overrides<T>): T {
  const out: Record<string, unknown> = { ...base, ...extra };
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out as T;
}

export function clientConfig(
  pki: TestPki,
  extra: Overrides<TlsClientConfig> = {},
): TlsClientConfig {
  return withOverrides<TlsClientConfig>(
    {
      provider,
      alpnProtocols: ['h3'],
      transportParameters: CLIENT_TP,
      serverName: 'example.com',
      trustAnchors: [pki.caCert],
      currentTime: () => NOW,
    },
    extra,
  );
}

export function serverConfig(
  pki: TestPki,
  extra: Overrides<TlsServerConfig> = {},
): TlsServerConfig {
  return withOverrides<TlsServerConfig>(
    {
      provider,
      alpnProtocols: ['h3'],
      transportParameters: SERVER_TP,
      certificate: pki.server,
      currentTime: () => NOW,
    },
    extra,
  );
}

/** Creates both sessions and starts the client (its ClientHello waits in the outbox). */
export function pair(cc: TlsClientConfig, sc: TlsServerConfig, tamper?: Tamper): Pair {
  const client = new Side();
  const server = new Side();
  client.session = createTlsClient(cc, client.callbacks());
  server.session = createTlsServer(sc, server.callbacks());
  const deliver = (from: Side, to: Side, name: 'client' | 'server'): boolean => {
    if (from.outbox.length === 0) return false;
    const items = from.outbox;
    from.outbox = [];
    for (const item of items) {
      let level = item.level;
      let data: Uint8Array | null = item.data;
      if (tamper !== undefined) {
        const t = tamper(name, level, data);
        if (t !== null && !(t instanceof Uint8Array)) {
          level = t.level;
          data = t.data;
        } else {
          data = t;
        }
      }
      if (data !== null) to.session.receive(level, data);
    }
    return true;
  };
  const run = async (): Promise<void> => {
    for (let idle = 0; idle < 5;) {
      const moved = deliver(client, server, 'client') || deliver(server, client, 'server');
      if (moved) {
        idle = 0;
        continue;
      }
      idle++;
      await new Promise((r) => setImmediate(r));
    }
  };
  client.session.start();
  server.session.start();
  return { client, server, run };
}

/** Runs a full handshake and returns the pair. */
export async function handshake(
  cc: TlsClientConfig,
  sc: TlsServerConfig,
  tamper?: Tamper,
): Promise<Pair> {
  const p = pair(cc, sc, tamper);
  await p.run();
  return p;
}

export { Level };

/** Splits a chunk of handshake bytes into whole messages (header included). */
export function splitMessages(data: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < data.length;) {
    const len = (data[at + 1]! << 16) | (data[at + 2]! << 8) | data[at + 3]!;
    out.push(data.slice(at, at + 4 + len));
    at += 4 + len;
  }
  return out;
}

/** A message of `type` with this body. */
export function frame(type: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + body.length);
  out[0] = type;
  out[1] = body.length >>> 16;
  out[2] = (body.length >>> 8) & 0xff;
  out[3] = body.length & 0xff;
  out.set(body, 4);
  return out;
}

/**
 * A tamper function that rewrites the message of `type` sent by `from` (`edit` gets and returns
 * the whole message; null drops it), leaving the rest of its chunk in place.
 */
export function editMessage(
  from: 'client' | 'server',
  type: number,
  edit: (message: Uint8Array) => Uint8Array | null,
): Tamper {
  let done = false;
  return (who, _level, data) => {
    if (who !== from || done) return data;
    const msgs = splitMessages(data);
    if (!msgs.some((m) => m[0] === type)) return data;
    done = true;
    const parts = msgs.map((m) => (m[0] === type ? edit(m) : m)).filter((m) => m !== null);
    const total = parts.reduce((a, m) => a + m.length, 0);
    const out = new Uint8Array(total);
    let o = 0;
    for (const m of parts) {
      out.set(m, o);
      o += m.length;
    }
    return out;
  };
}
