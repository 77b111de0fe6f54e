/**
 * TLS handshake benchmark: complete TLS 1.3 handshakes per second between an in-memory client
 * and server (both sides in this process, no QUIC packets), per server key type, with the
 * default provider. Each handshake is a full one (x25519, TLS_AES_128_GCM_SHA256, the client
 * verifying a CA-signed leaf and the CertificateVerify), plus one resumed (PSK) figure.
 *
 *     npx tsx bench/tls.ts [--duration ms] [--runs n] [--json]
 *     npx tsx bench/tls.ts --key-exchange      (X25519MLKEM768 against x25519, shares vs HRR)
 *
 * Single-threaded: one core. Each figure is the median of `runs` runs of `duration` ms of CPU
 * time (default 5 x 300 ms).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { defaultProvider, type CryptoProvider, type KeyType } from '../src/crypto/index.js';
import {
  createTlsClient,
  createTlsServer,
  Level,
  TicketKeys,
  type CertifiedKey,
  type KeyExchangeGroup,
  type TlsCallbacks,
  type TlsClientConfig,
  type TlsServerConfig,
  type TlsSession,
} from '../src/tls/index.js';
import { createSelfSignedCertificate } from '../src/tls/x509/index.js';
import { summarize, type Summary } from './lib/stats.js';

export interface HandshakeBenchOptions {
  /** CPU time of one timed run in milliseconds (default 300). */
  durationMs?: number;
  /** Timed runs per figure; the median is reported (default 5). */
  runs?: number;
  /** Server key types to measure (default all four). */
  keyTypes?: readonly KeyType[];
  /** Key-exchange group (default x25519). */
  group?: KeyExchangeGroup;
  provider?: CryptoProvider;
  /** Also measure PSK resumption (default true). */
  resumption?: boolean;
}

export interface HandshakeRate {
  /** Server key type, or "resumed" for a PSK handshake with an ec-p256 server. */
  keyType: KeyType | 'resumed';
  group: KeyExchangeGroup;
  handshakesPerSec: Summary;
}

export interface HandshakeBenchResult {
  node: string;
  provider: string;
  rates: HandshakeRate[];
}

const NOW = Date.UTC(2025, 0, 15);
const TP = new Uint8Array(64);

interface Setup {
  client: TlsClientConfig;
  server: TlsServerConfig;
}

/** Group settings of one side (the `groups` and, for the client, `keyShareGroups` options). */
interface GroupChoice {
  groups?: KeyExchangeGroup[];
  keyShareGroups?: KeyExchangeGroup[];
}

function makeSetup(
  provider: CryptoProvider,
  keyType: KeyType,
  group: KeyExchangeGroup,
  groupsOf: { client?: GroupChoice; server?: GroupChoice } = {},
): Setup {
  const ca = createSelfSignedCertificate(provider, {
    names: [],
    commonName: 'bench CA',
    keyType,
    isCA: true,
    notBefore: NOW - 86400_000,
    notAfter: NOW + 86400_000 * 365,
  });
  const leaf = createSelfSignedCertificate(provider, {
    names: ['bench.example'],
    keyType,
    issuer: { cert: ca.certificate, key: ca.key },
    notBefore: NOW - 86400_000,
    notAfter: NOW + 86400_000 * 90,
  });
  const certificate: CertifiedKey = { chain: [leaf.certificate], key: leaf.key };
  const common = {
    provider,
    alpnProtocols: ['h3'],
    transportParameters: TP,
    groups: [group],
    cipherSuites: ['TLS_AES_128_GCM_SHA256' as const],
    currentTime: () => NOW,
  };
  return {
    client: {
      ...common,
      ...groupsOf.client,
      serverName: 'bench.example',
      trustAnchors: [ca.certificate],
    },
    server: { ...common, ...groupsOf.server, certificate },
  };
}

/** What one handshake looked like: the client's first flight and its Initial-level flights. */
interface HandshakeShape {
  ticket: Uint8Array | null;
  /** Bytes of the first ClientHello. */
  clientHelloBytes: number;
  /** ClientHellos sent: 2 after a HelloRetryRequest (one more round trip). */
  clientHellos: number;
  group: KeyExchangeGroup | null;
}

/** One in-memory handshake; returns the ticket the client received, if any. */
function handshakeOnce(setup: Setup): Uint8Array | null {
  return handshakeShape(setup).ticket;
}

function handshakeShape(setup: Setup): HandshakeShape {
  type Chunk = { level: Level; data: Uint8Array };
  const toServer: Chunk[] = [];
  const toClient: Chunk[] = [];
  let ticket: Uint8Array | null = null;
  let failure: string | null = null;
  const callbacks = (out: Chunk[]): TlsCallbacks => ({
    onHandshakeData: (level, data) => out.push({ level, data }),
    onSecret: () => {},
    onPeerTransportParameters: () => {},
    onHandshakeComplete: () => {},
    onAlert: (_alert, reason) => (failure = reason),
    onSessionTicket: (t) => (ticket = t),
  });
  const client = createTlsClient(setup.client, callbacks(toServer));
  const server = createTlsServer(setup.server, callbacks(toClient));
  client.start();
  const pump = (from: Chunk[], to: TlsSession): boolean => {
    if (from.length === 0) return false;
    for (const c of from.splice(0)) to.receive(c.level, c.data);
    return true;
  };
  const clientHelloBytes = toServer.reduce((n, c) => n + c.data.length, 0);
  let clientHellos = 0;
  for (;;) {
    if (toServer.some((c) => c.level === Level.Initial)) clientHellos++;
    if (!(pump(toServer, server) || pump(toClient, client))) break;
  }
  if (failure !== null || !client.handshakeComplete || !server.handshakeComplete) {
    throw new Error(`benchmark handshake failed: ${String(failure)}`);
  }
  return { ticket, clientHelloBytes, clientHellos, group: client.group };
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Handshakes per CPU-second of one timed run of `durationMs`. */
function timedRun(setup: Setup, durationMs: number): number {
  const start = cpuMs();
  let n = 0;
  let elapsed = 0;
  // The clock is read every 8 handshakes: process.cpuUsage() itself costs a few µs.
  do {
    for (let i = 0; i < 8; i++) handshakeOnce(setup);
    n += 8;
    elapsed = cpuMs() - start;
  } while (elapsed < durationMs);
  return (n * 1000) / elapsed;
}

/**
 * Times every case `runs` times, round-robin (case 1, case 2, ..., case 1, ...), after a warm-up,
 * so that a change in machine load shifts all cases alike.
 */
function measureAll(setups: Setup[], durationMs: number, runs: number): Summary[] {
  for (const s of setups) for (let i = 0; i < 20; i++) handshakeOnce(s);
  const rates: number[][] = setups.map(() => []);
  for (let r = 0; r < runs; r++) {
    setups.forEach((s, i) => rates[i]!.push(timedRun(s, durationMs)));
  }
  return rates.map(summarize);
}

export function runHandshakeBench(opts: HandshakeBenchOptions = {}): HandshakeBenchResult {
  const provider = opts.provider ?? defaultProvider;
  const durationMs = opts.durationMs ?? 300;
  const runs = opts.runs ?? 5;
  const group = opts.group ?? 'x25519';
  const keyTypes = opts.keyTypes ?? (['ec-p256', 'ec-p384', 'ed25519', 'rsa'] as const);
  const cases: { keyType: KeyType | 'resumed'; setup: Setup }[] = keyTypes.map((keyType) => ({
    keyType,
    setup: makeSetup(provider, keyType, group),
  }));
  if (opts.resumption ?? true) {
    const base = makeSetup(provider, 'ec-p256', group);
    const server = { ...base.server, ticketKeys: new TicketKeys(provider) };
    const ticket = handshakeOnce({ client: base.client, server });
    if (ticket === null) throw new Error('no session ticket');
    cases.push({
      keyType: 'resumed',
      setup: { client: { ...base.client, sessionTicket: ticket }, server },
    });
  }
  const summaries = measureAll(
    cases.map((c) => c.setup),
    durationMs,
    runs,
  );
  return {
    node: process.version,
    provider: provider.name,
    rates: cases.map((c, i) => ({ keyType: c.keyType, group, handshakesPerSec: summaries[i]! })),
  };
}

export interface KeyExchangeCase {
  /** What is measured. */
  label: string;
  group: KeyExchangeGroup | null;
  clientHelloBytes: number;
  /** 2 when the server answered with a HelloRetryRequest: one more round trip. */
  clientHellos: number;
  handshakesPerSec: Summary;
}

/**
 * Handshake cost of the hybrid post-quantum group X25519MLKEM768 against x25519 (ec-p256
 * server), and of the two ways to reach a server without ML-KEM: a second x25519 share in the
 * first ClientHello (our default) or a HelloRetryRequest.
 */
export function runKeyExchangeBench(
  opts: Pick<HandshakeBenchOptions, 'durationMs' | 'runs' | 'provider'> = {},
): KeyExchangeCase[] {
  const provider = opts.provider ?? defaultProvider;
  const hybrid: KeyExchangeGroup[] = ['X25519MLKEM768', 'x25519'];
  const classic: KeyExchangeGroup[] = ['x25519'];
  const cases: { label: string; client: GroupChoice; server: GroupChoice }[] = [
    { label: 'x25519 only', client: { groups: classic }, server: { groups: hybrid } },
    {
      label: 'X25519MLKEM768 (+ x25519 share)',
      client: { groups: hybrid },
      server: { groups: hybrid },
    },
    {
      label: 'X25519MLKEM768 share only',
      client: { groups: hybrid, keyShareGroups: ['X25519MLKEM768'] },
      server: { groups: hybrid },
    },
    {
      label: 'no ML-KEM server, both shares',
      client: { groups: hybrid },
      server: { groups: classic },
    },
    {
      label: 'no ML-KEM server, HRR',
      client: { groups: hybrid, keyShareGroups: ['X25519MLKEM768'] },
      server: { groups: classic },
    },
  ];
  const setups = cases.map((c) =>
    makeSetup(provider, 'ec-p256', 'x25519', { client: c.client, server: c.server }),
  );
  const summaries = measureAll(setups, opts.durationMs ?? 300, opts.runs ?? 5);
  return cases.map((c, i) => {
    const shape = handshakeShape(setups[i]!);
    return {
      label: c.label,
      group: shape.group,
      clientHelloBytes: shape.clientHelloBytes,
      clientHellos: shape.clientHellos,
      handshakesPerSec: summaries[i]!,
    };
  });
}

export function formatKeyExchangeBench(rows: KeyExchangeCase[]): string {
  return [
    '| case | group | ClientHello bytes | ClientHellos | handshakes/s | spread |',
    '|------|-------|------------------:|-------------:|-------------:|-------:|',
    ...rows.map((r) => {
      const s = r.handshakesPerSec;
      return `| ${r.label} | ${r.group ?? '-'} | ${r.clientHelloBytes} | ${r.clientHellos} | ${Math.round(s.median).toLocaleString('en-US')} | ±${Math.round(s.spread)} |`;
    }),
  ].join('\n');
}

/** The result as a Markdown table (the format of bench/README.md). */
export function formatHandshakeBench(r: HandshakeBenchResult): string {
  const rows = r.rates.map((x) => {
    const s = x.handshakesPerSec;
    const rate = Math.round(s.median).toLocaleString('en-US');
    const spread = `±${Math.round(s.spread)}`;
    return `| ${x.keyType.padEnd(10)} | ${x.group.padEnd(9)} | ${rate.padStart(12)} | ${spread.padStart(6)} |`;
  });
  return [
    `Node ${r.node}, provider ${r.provider}, one core, both sides in one process (rates per CPU-second).`,
    '',
    '| server key | group     | handshakes/s | spread |',
    '|------------|-----------|-------------:|-------:|',
    ...rows,
  ].join('\n');
}

const isMain =
  process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string' },
      runs: { type: 'string' },
      json: { type: 'boolean' },
      'key-exchange': { type: 'boolean' },
    },
  });
  const timing = {
    ...(values.duration !== undefined ? { durationMs: Number(values.duration) } : {}),
    ...(values.runs !== undefined ? { runs: Number(values.runs) } : {}),
  };
  if (values['key-exchange'] === true) {
    const rows = runKeyExchangeBench(timing);
    console.log(
      values.json === true ? JSON.stringify(rows, null, 2) : formatKeyExchangeBench(rows),
    );
  } else {
    const result = runHandshakeBench(timing);
    console.log(
      values.json === true ? JSON.stringify(result, null, 2) : formatHandshakeBench(result),
    );
  }
}
