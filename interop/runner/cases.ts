/**
 * The QUIC Interop Runner's test cases (quic-interop-runner, testcases_quic.py) as this local
 * runner plays them: the TESTCASE each endpoint is given, the files, the network the relay
 * simulates instead of ns-3, and the checks the runner makes on its pcaps, made here on the
 * relay's trace (trace.ts). Where the local network differs from the runner's, the spec says so.
 */
import { QUIC_V1, QUIC_V2 } from '../../src/wire/version.js';
import type { AmplificationCount, RelayLinkConditions } from '../../src/testing/index.js';
import type { Trace } from './trace.js';

export type Role = 'client' | 'server';

const KB = 1024;
const MB = 1024 * 1024;

/** What a check sees of a finished run. */
export interface CheckInput {
  trace: Trace;
  amplification: AmplificationCount[];
  alpn: 'h3' | 'hq-interop';
  /** How many files were requested (multiconnect: one connection each). */
  files: number;
}

/** Something the relay does while the transfer runs, once the server has sent `atBytes`. */
export interface RelayAction {
  atBytes: number;
  action: 'blackhole' | 'rebindPort' | 'rebindAddress';
  /** Blackhole length, ms. */
  ms?: number;
}

export interface CaseSpec {
  /** The runner's name (the matrix row). */
  name: string;
  abbreviation: string;
  /** The TESTCASE value each endpoint is given (the runner's testname()). */
  testcase(role: Role): string;
  /** File sizes to serve; `quick` runs scale the big ones down. */
  files(quick: boolean): number[];
  /** File names of this length (zerortt: long names, so requests are large). */
  nameLength?: number;
  /** The relay's conditions per direction. */
  toServer?: RelayLinkConditions;
  toClient?: RelayLinkConditions;
  actions?: RelayAction[];
  /** Serve over IPv6 (::1). */
  ipv6?: boolean;
  /** A certificate chain of this many certificates (amplificationlimit: 9). */
  chainLength?: number;
  /** Why the case cannot run on one machine, when it cannot. */
  notLocal?: string;
  /** The relay reads and forwards the IP ECN field (native sockets; relay-socket.ts). */
  ecn?: boolean;
  timeoutMs: number;
  /** null when it passed, else why not. */
  check(input: CheckInput): string | null;
}

// ---------------------------------------------------------------------------------------------
// Checks shared by the cases (testcase.py)

function oneHandshakeV1(t: Trace, expected = 1): string | null {
  const n = t.handshakes();
  if (n !== expected) return `expected ${expected} handshake(s), got ${n}`;
  const versions = [...t.serverVersions()];
  if (versions.length !== 1 || versions[0] !== QUIC_V1) {
    return `expected only QUIC v1, got ${versions.map((v) => `0x${v.toString(16)}`).join(', ')}`;
  }
  return null;
}

function noRetry(t: Trace): string | null {
  return t.of('retry', 'server').length > 0 ? 'a Retry was sent' : null;
}

function needKeys(t: Trace): string | null {
  return t.hasKeys() ? null : 'no key log (SSLKEYLOGFILE) to check with';
}

const all =
  (...checks: ((i: CheckInput) => string | null)[]) =>
  (i: CheckInput): string | null => {
    for (const c of checks) {
      const r = c(i);
      if (r !== null) return r;
    }
    return null;
  };

/** Retry: one Retry with a token, and a later client Initial carrying it (TestCaseRetry). */
function retryUsed({ trace }: CheckInput): string | null {
  const tokens = new Set(trace.of('retry', 'server').map((p) => p.token));
  if (tokens.size === 0) return 'no Retry packet';
  if (tokens.has('')) return 'a Retry without a token';
  const used = trace.of('initial', 'client').some((p) => tokens.has(p.token));
  return used ? null : 'no client Initial carries the Retry token';
}

/** Client Initials that carry a ClientHello (also retransmitted ones, from CRYPTO offset 0). */
function clientHellos(trace: Trace): number {
  let n = 0;
  for (const { packet, record } of trace.open()) {
    if (record.direction !== 'toServer' || packet.type !== 'initial') continue;
    if (packet.frames?.some((f) => f.kind === 'crypto' && f.offset === 0) === true) n++;
  }
  return n;
}

function offeredSuites(trace: Trace): Set<string> {
  const suites = new Set<string>();
  for (const { packet, record } of trace.open()) {
    if (record.direction !== 'toServer') continue;
    for (const m of packet.tls ?? []) {
      if (m.messageType === 'client_hello' && Array.isArray(m['cipherSuites'])) {
        for (const s of m['cipherSuites']) suites.add(String(s));
      }
    }
  }
  return suites;
}

/** Resumption: the second handshake carries no Certificate (TestCaseResumption). */
function resumed({ trace }: CheckInput): string | null {
  const byFlow = new Map<number, boolean>();
  for (const { packet, record } of trace.open()) {
    if (record.direction !== 'toClient' || packet.type !== 'handshake') continue;
    const cert = packet.tls?.some((m) => m.messageType === 'certificate') === true;
    byFlow.set(record.flow, (byFlow.get(record.flow) ?? false) || cert);
  }
  const flows = [...byFlow.values()];
  if (flows.length < 2) return `server Handshake packets seen on ${flows.length} connection(s)`;
  if (flows[0] !== true) return 'no Certificate in the first handshake (keys missing?)';
  if (flows[flows.length - 1] === true) return 'the server sent a Certificate when resuming';
  return null;
}

/** 0-RTT: the client sent 0-RTT payload, and little in 1-RTT (TestCaseZeroRTT). */
function zeroRttUsed(names: number, nameLength: number) {
  return ({ trace }: CheckInput): string | null => {
    const zero = trace.of('0rtt', 'client').reduce((s, p) => s + p.size, 0);
    const one = trace.of('1rtt', 'client').reduce((s, p) => s + p.size, 0);
    if (zero === 0) return 'the client sent no 0-RTT data';
    if (one > 0.5 * nameLength * names) return `the client sent ${one} bytes in 1-RTT packets`;
    return null;
  };
}

/** Key update: both sides sent 1-RTT packets with Key Phase 1 (TestCaseKeyUpdate). */
function keyPhaseChanged({ trace }: CheckInput): string | null {
  const seen = { toServer: 0, toClient: 0 };
  for (const { packet, record } of trace.open()) {
    if (packet.type === '1rtt' && packet.keyPhase === 1) seen[record.direction]++;
  }
  if (seen.toServer === 0 || seen.toClient === 0) {
    return `key phase 1 packets: client ${seen.toServer}, server ${seen.toClient}`;
  }
  return null;
}

/** Multiplexing: the server's initial_max_streams_bidi is at most 1000. */
function streamLimit({ trace }: CheckInput): string | null {
  for (const { packet, record } of trace.open()) {
    if (record.direction !== 'toClient') continue;
    for (const m of packet.tls ?? []) {
      const tp = m['transportParameters'];
      if (m.messageType !== 'encrypted_extensions' || tp === null || typeof tp !== 'object') {
        continue;
      }
      const limit = Number((tp as Record<string, unknown>)['initial_max_streams_bidi'] ?? 0);
      return limit > 1000 ? `the server allows ${limit} bidirectional streams` : null;
    }
  }
  return 'the server transport parameters were not found';
}

/**
 * Amplification (TestCaseAmplificationLimit): the server sent at least 7500 bytes of Handshake
 * CRYPTO (the long chain was used), and never more than 3x (4x with the runner's tolerance)
 * what it had received before the client's address was validated.
 */
function amplification({ trace, amplification }: CheckInput): string | null {
  let crypto = 0;
  for (const { packet, record } of trace.open()) {
    if (record.direction !== 'toClient' || packet.type !== 'handshake') continue;
    for (const f of packet.frames ?? []) {
      if (f.kind === 'crypto') crypto = Math.max(crypto, f.offset + f.data.length);
    }
  }
  if (crypto < 7500) return `the server sent only ${crypto} bytes of Handshake CRYPTO data`;
  const worst = Math.max(...amplification.map((a) => a.maxRatio));
  if (worst >= 4) return `the server sent ${worst.toFixed(2)}x what it received before validation`;
  return null;
}

/**
 * Rebinding (TestCasePortRebinding): the server saw more than one path, its first packet on
 * each new path carries a PATH_CHALLENGE, and the client answered every challenge.
 */
function pathValidated(addresses: boolean) {
  return ({ trace }: CheckInput): string | null => {
    const paths: string[] = [];
    const challenges = new Set<string>();
    const responses = new Set<string>();
    let current = '';
    for (const { packet, record } of trace.open()) {
      const path = `${record.upstream.address}:${record.upstream.port}`;
      if (record.direction === 'toServer') {
        for (const f of packet.frames ?? []) {
          if (f.kind === 'path_response') responses.add(Buffer.from(f.data).toString('hex'));
        }
        continue;
      }
      const challenge = packet.frames?.find((f) => f.kind === 'path_challenge');
      if (challenge !== undefined && challenge.kind === 'path_challenge') {
        challenges.add(Buffer.from(challenge.data).toString('hex'));
      }
      if (path === current) continue;
      if (current !== '' && !paths.includes(path) && packet.type === '1rtt') {
        if (packet.frames === undefined) {
          return `the first server packet on ${path} could not be opened: ${packet.error ?? '?'}`;
        }
        if (challenge === undefined) {
          const kinds = packet.frames.map((f) => f.kind).join(', ');
          return `the first server packet on ${path} has no PATH_CHALLENGE (${kinds})`;
        }
      }
      if (!paths.includes(path)) paths.push(path);
      current = path;
    }
    if (paths.length < 2) return 'the server saw a single path';
    if (addresses && new Set(paths.map((p) => p.split(':')[0])).size < 2) {
      return 'the server saw a single client address';
    }
    const unanswered = [...challenges].filter((c) => !responses.has(c));
    return unanswered.length > 0
      ? `PATH_CHALLENGE without PATH_RESPONSE: ${unanswered.length}`
      : null;
  };
}

/** v2 (TestCaseV2): client Initials in v1, server Initials and all Handshake packets in v2. */
function versionTwo({ trace }: CheckInput): string | null {
  const versions = (kind: 'initial' | 'handshake', from: 'client' | 'server') =>
    new Set(trace.of(kind, from).map((p) => p.version));
  if (!versions('initial', 'client').has(QUIC_V1)) return 'no client Initial in QUIC v1';
  if (!versions('initial', 'server').has(QUIC_V2)) return 'no server Initial in QUIC v2';
  for (const from of ['client', 'server'] as const) {
    const v = [...versions('handshake', from)];
    if (v.length !== 1 || v[0] !== QUIC_V2) return `${from} Handshake packets not all in QUIC v2`;
  }
  return null;
}

/**
 * ECN (TestCaseECN): each side's QUIC datagrams marked ECT(0) or ECT(1) and none CE (the
 * runner's "consistently marked" is no CE and at least one ECT), and each side sent ACK frames
 * with ECN counts (RFC 9000 §19.3.2), read from the packets opened with the key logs.
 */
function ecnMarked({ trace }: CheckInput): string | null {
  const problems: string[] = [];
  for (const [direction, who] of [
    ['toServer', 'client'],
    ['toClient', 'server'],
  ] as const) {
    const marks = [0, 0, 0, 0];
    for (const p of trace.packets) if (p.record.direction === direction) marks[p.record.ecn]!++;
    const ect = marks[1]! + marks[2]!;
    if (ect === 0) problems.push(`the ${who} marked no packet ECT(0) or ECT(1)`);
    else if (marks[3]! > 0) problems.push(`${marks[3]} ${who} packets arrived marked CE`);
    const ackEcn = trace
      .open()
      .some(
        ({ packet, record }) =>
          record.direction === direction &&
          packet.frames?.some((f) => f.kind === 'ack' && f.ecn !== undefined) === true,
      );
    if (!ackEcn) problems.push(`the ${who} sent no ACK frame with ECN counts`);
  }
  return problems.length === 0 ? null : problems.join('; ');
}

const same = (name: string) => (): string => name;

// ---------------------------------------------------------------------------------------------
// The cases, in the runner's order

const transfer = (i: CheckInput): string | null => oneHandshakeV1(i.trace);
// The runner's drop-rate model drops in bursts of up to 3; the relay drops independently.
const heavyLoss: RelayLinkConditions = { dropRate: 0.3 };
const lightLoss: RelayLinkConditions = { dropRate: 0.02 };

export const CASES: readonly CaseSpec[] = [
  {
    name: 'handshake',
    abbreviation: 'H',
    testcase: same('handshake'),
    files: () => [1 * KB],
    timeoutMs: 30_000,
    check: all(
      ({ trace }) => oneHandshakeV1(trace),
      ({ trace }) => noRetry(trace),
    ),
  },
  {
    name: 'transfer',
    abbreviation: 'DC',
    testcase: same('transfer'),
    files: (q) => (q ? [200 * KB, 300 * KB, 500 * KB] : [2 * MB, 3 * MB, 5 * MB]),
    timeoutMs: 60_000,
    check: transfer,
  },
  {
    name: 'longrtt',
    abbreviation: 'LR',
    testcase: same('handshake'),
    files: () => [1 * KB],
    toServer: { delayMs: 750 },
    toClient: { delayMs: 750 },
    timeoutMs: 60_000,
    check: all(
      ({ trace }) => oneHandshakeV1(trace),
      ({ trace }) => needKeys(trace) ?? null,
      ({ trace }) => {
        const n = clientHellos(trace);
        return n < 2 ? `expected at least 2 ClientHellos, got ${n}` : null;
      },
    ),
  },
  {
    name: 'chacha20',
    abbreviation: 'C20',
    testcase: same('chacha20'),
    files: (q) => [q ? 300 * KB : 3 * MB],
    timeoutMs: 60_000,
    check: all(transfer, ({ trace }) => {
      const suites = [...offeredSuites(trace)];
      return suites.length === 1 && suites[0] === 'TLS_CHACHA20_POLY1305_SHA256'
        ? null
        : `the client offered ${suites.join(', ') || 'nothing readable'}`;
    }),
  },
  {
    name: 'multiplexing',
    abbreviation: 'M',
    testcase: same('transfer'),
    files: (q) => Array<number>(q ? 200 : 1999).fill(32),
    timeoutMs: 120_000,
    check: all(transfer, ({ trace }) => needKeys(trace), streamLimit),
  },
  {
    name: 'retry',
    abbreviation: 'S',
    testcase: same('retry'),
    files: () => [10 * KB],
    timeoutMs: 30_000,
    check: all(transfer, retryUsed),
  },
  {
    name: 'resumption',
    abbreviation: 'R',
    testcase: same('resumption'),
    files: () => [5 * KB, 10 * KB],
    timeoutMs: 30_000,
    check: all(
      ({ trace }) => needKeys(trace),
      ({ trace }) => oneHandshakeV1(trace, 2),
      resumed,
    ),
  },
  {
    name: 'zerortt',
    abbreviation: 'Z',
    testcase: same('zerortt'),
    files: () => Array<number>(40).fill(32),
    nameLength: 250,
    timeoutMs: 30_000,
    check: all(({ trace }) => oneHandshakeV1(trace, 2), zeroRttUsed(40, 250)),
  },
  {
    name: 'http3',
    abbreviation: '3',
    testcase: same('http3'),
    files: () => [5 * KB, 10 * KB, 500 * KB],
    timeoutMs: 30_000,
    check: all(transfer, (i) => (i.alpn === 'h3' ? null : 'not HTTP/3')),
  },
  {
    name: 'blackhole',
    abbreviation: 'B',
    testcase: same('transfer'),
    files: (q) => [q ? 2 * MB : 10 * MB],
    // The runner blacks the link out for 2 s every 5 s; a local transfer is faster, so the
    // blackout starts once a quarter of the file has crossed, and again at three quarters.
    actions: [
      { atBytes: 0.25, action: 'blackhole', ms: 2000 },
      { atBytes: 0.75, action: 'blackhole', ms: 2000 },
    ],
    timeoutMs: 90_000,
    check: transfer,
  },
  {
    name: 'keyupdate',
    abbreviation: 'U',
    testcase: (role) => (role === 'client' ? 'keyupdate' : 'transfer'),
    files: (q) => [q ? 1 * MB : 3 * MB],
    timeoutMs: 60_000,
    check: all(({ trace }) => needKeys(trace), transfer, keyPhaseChanged),
  },
  {
    name: 'ecn',
    abbreviation: 'E',
    testcase: same('ecn'),
    files: () => [100 * KB],
    ecn: true,
    timeoutMs: 30_000,
    check: all(
      ({ trace }) => needKeys(trace),
      ({ trace }) => oneHandshakeV1(trace),
      ({ trace }) => noRetry(trace),
      ecnMarked,
    ),
  },
  {
    name: 'amplificationlimit',
    abbreviation: 'A',
    testcase: same('transfer'),
    files: () => [5 * KB],
    chainLength: 9,
    // The runner lets the ClientHello through and drops the client's next six datagrams.
    toServer: { dropList: [2, 3, 4, 5, 6, 7] },
    timeoutMs: 60_000,
    check: all(({ trace }) => needKeys(trace), transfer, amplification),
  },
  {
    name: 'handshakeloss',
    abbreviation: 'L1',
    testcase: same('multiconnect'),
    files: (q) => Array<number>(q ? 10 : 50).fill(1 * KB),
    toServer: heavyLoss,
    toClient: heavyLoss,
    timeoutMs: 300_000,
    check: ({ trace, files }) => oneHandshakeV1(trace, files),
  },
  {
    name: 'transferloss',
    abbreviation: 'L2',
    testcase: same('transfer'),
    files: (q) => [q ? 500 * KB : 2 * MB],
    toServer: lightLoss,
    toClient: lightLoss,
    timeoutMs: 120_000,
    check: transfer,
  },
  {
    name: 'handshakecorruption',
    abbreviation: 'C1',
    testcase: same('multiconnect'),
    files: (q) => Array<number>(q ? 10 : 50).fill(1 * KB),
    toServer: { corruptRate: 0.3 },
    toClient: { corruptRate: 0.3 },
    timeoutMs: 300_000,
    check: ({ trace, files }) => oneHandshakeV1(trace, files),
  },
  {
    name: 'transfercorruption',
    abbreviation: 'C2',
    testcase: same('transfer'),
    files: (q) => [q ? 500 * KB : 2 * MB],
    toServer: { corruptRate: 0.02 },
    toClient: { corruptRate: 0.02 },
    timeoutMs: 120_000,
    check: transfer,
  },
  {
    name: 'ipv6',
    abbreviation: '6',
    testcase: same('transfer'),
    files: () => [5 * KB, 10 * KB],
    ipv6: true,
    timeoutMs: 30_000,
    check: all(transfer, ({ trace }) =>
      trace.records.some((r) => !r.client.address.includes(':')) ? 'IPv4 packets seen' : null,
    ),
  },
  {
    name: 'v2',
    abbreviation: 'V2',
    testcase: same('v2'),
    files: () => [1 * KB],
    timeoutMs: 30_000,
    check: versionTwo,
  },
  {
    name: 'rebind-port',
    abbreviation: 'BP',
    testcase: same('transfer'),
    files: (q) => [q ? 2 * MB : 10 * MB],
    actions: [0.2, 0.4, 0.6].map((atBytes) => ({ atBytes, action: 'rebindPort' as const })),
    timeoutMs: 90_000,
    check: all(({ trace }) => needKeys(trace), transfer, pathValidated(false)),
  },
  {
    name: 'rebind-addr',
    abbreviation: 'BA',
    testcase: same('transfer'),
    files: (q) => [q ? 2 * MB : 10 * MB],
    actions: [0.2, 0.4, 0.6].map((atBytes) => ({ atBytes, action: 'rebindAddress' as const })),
    timeoutMs: 90_000,
    check: all(({ trace }) => needKeys(trace), transfer, pathValidated(true)),
  },
  {
    name: 'connectionmigration',
    abbreviation: 'CM',
    testcase: (role) => (role === 'server' ? 'connectionmigration' : 'transfer'),
    files: () => [2 * MB],
    notLocal:
      "the client migrates to the server's preferred address, which the relay cannot stand in for",
    timeoutMs: 60_000,
    check: () => 'not run',
  },
];

/** Aliases the brief and older runners use for the rebinding cases. */
export const CASE_ALIASES: Readonly<Record<string, string>> = {
  portrebinding: 'rebind-port',
  addressrebinding: 'rebind-addr',
};

export function caseByName(name: string): CaseSpec | undefined {
  const n = CASE_ALIASES[name] ?? name;
  return CASES.find((c) => c.name === n);
}
