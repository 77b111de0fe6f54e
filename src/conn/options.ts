/**
 * Per-connection options with their documented defaults. Times are in milliseconds in the
 * user-facing options (like transport parameters) and microseconds inside the core.
 */
import type { CryptoProvider, KeyExchangeGroup } from '../crypto/provider.js';
import type { CipherSuiteName } from '../tls/types.js';
import type { PmtudConfig } from '../path/pmtud.js';
import { congestionControlFactory, type CongestionControlChoice } from '../cc/choice.js';
import type { CongestionControllerFactory } from '../cc/types.js';

export interface ConnectionOptions {
  /** ALPN protocols to offer (client) or accept (server), in preference order. Required. */
  alpn: string[];
  /**
   * Client: the QUIC version of the first flight — 1 (0x00000001) or 2 (0x6b3343cf). Default
   * v1 when `versions` lists it (every server parses it, and a server may switch it to v2:
   * RFC 9368 §2.5), else the first of `versions`.
   */
  version?: number;
  /**
   * Client: the versions it accepts, in descending preference; offered in version_information
   * so that a server may switch to one (compatible negotiation), and tried after a Version
   * Negotiation packet (RFC 9368 §2). Default: `version` first, then the other ones we speak.
   */
  versions?: readonly number[];
  /**
   * This connection's congestion controller: a registered name ('newreno' | 'cubic' | 'bbr' |
   * a registered one), a name with the controller's options (`{ name: 'cubic', options: { beta:
   * 0.8 } }`, see CubicOptions and BbrOptions), or a factory. Checked when the connection is
   * made. Default 'cubic'.
   */
  congestionControl?: CongestionControlChoice;
  /** Idle timeout we advertise, ms (RFC 9000 §10.1). Default 30 000. 0 disables it. */
  idleTimeout?: number;
  /** Send PING to keep the connection alive at this interval (ms); 0 = off. Default 0. */
  keepAlive?: number;
  /** Connection-level receive window we start with, bytes. Default 1 MiB. */
  initialMaxData?: number;
  /** Stream-level receive window we start with, bytes. Default 256 KiB. */
  initialMaxStreamData?: number;
  /** How far the receive windows may grow by auto-tuning, bytes. Default 16 MiB (connection) / 8 MiB (stream). */
  maxConnectionWindow?: number;
  maxStreamWindow?: number;
  /** Peer-initiated streams we allow at once. Default 100 bidirectional, 100 unidirectional. */
  maxStreamsBidi?: number;
  maxStreamsUni?: number;
  /** Bytes a stream's send buffer may hold before write() accepts less. Default 1 MiB. */
  streamSendBuffer?: number;
  /** Our max_ack_delay, ms (RFC 9000 §18.2). Default 25. */
  maxAckDelay?: number;
  /** Our ack_delay_exponent (RFC 9000 §18.2). Default 3. */
  ackDelayExponent?: number;
  /** Largest DATAGRAM frame we accept (RFC 9221 §3); 0 disables DATAGRAM. Default 0. */
  maxDatagramFrameSize?: number;
  /** Initial RTT estimate before a sample, ms (RFC 9002 §6.2.2). Default 333. */
  initialRtt?: number;
  /**
   * Largest UDP payload we accept (our max_udp_payload_size) and send, bytes. Default 1452 (fits
   * 1500-byte Ethernet with IPv6). Datagrams start at `pmtud.base` and grow to what path MTU
   * discovery confirms.
   */
  maxUdpPayload?: number;
  /**
   * Path MTU discovery (DPLPMTUD, RFC 8899, RFC 9000 §14.3), per path: datagrams start at
   * `base` (default 1200) and probes search up to `max` (default `maxUdpPayload`, and never
   * above the peer's max_udp_payload_size). `enabled: false` keeps every datagram at `base`.
   * Default enabled.
   */
  pmtud?: { enabled?: boolean; base?: number; max?: number };
  /** Disable active migration (RFC 9000 §18.2). Default false. */
  disableActiveMigration?: boolean;
  /** TLS cipher suites, in preference order. Default all three, AES-128-GCM first. */
  cipherSuites?: CipherSuiteName[];
  /** Key exchange groups, in preference order. Default X25519MLKEM768, x25519, secp256r1, secp384r1. */
  groups?: KeyExchangeGroup[];
  /** Key log lines in SSLKEYLOGFILE format. */
  keyLog?: (line: string) => void;
  /** Crypto provider; default: the fastest per primitive on this runtime. */
  crypto?: CryptoProvider;
  /**
   * Initiate a key update after this many packets sealed with one key (RFC 9001 §6.6 limits).
   * Default: the AEAD confidentiality limit halved.
   */
  keyUpdateInterval?: number;
  /**
   * Initiate the connection's first key update once this many bytes (UDP payload, both
   * directions) have been exchanged, as the QUIC Interop Runner's keyupdate case does after
   * about 1 MiB (RFC 9001 §6). Default 0: none.
   */
  keyUpdateAfterBytes?: number;
  /**
   * Advertise grease_quic_bit and, when the peer advertises it too, send packets with an
   * unpredictable QUIC bit (RFC 9287). Default true.
   */
  greaseQuicBit?: boolean;
  /**
   * The host's socket sets the ECN codepoint of what it sends (and reports the one received):
   * mark packets ECT(0), validate the peer's counts, react to CE (RFC 9000 §13.4, RFC 9002 §7.1).
   * Node's dgram sockets cannot; the native backend's can. Default false.
   */
  ecn?: boolean;
  /**
   * ACK frequency (draft-ietf-quic-ack-frequency-12): advertise min_ack_delay, honour the peer's
   * ACK_FREQUENCY and IMMEDIATE_ACK, and ask a peer that supports it for fewer ACKs as the
   * window grows. Default true.
   */
  ackFrequency?: boolean;
  /**
   * Multipath QUIC (RFC 10069): advertise initial_max_path_id and, when the peer does too, let
   * the client open more paths (`Connection.openPath`) that carry packets side by side. Off by
   * default; a peer without it gets plain RFC 9000.
   */
  multipath?: MultipathOptions | boolean;
  /**
   * Randomness for choices that need no secrecy (which packets clear the QUIC bit), uniform in
   * [0, 1). Default: bytes from the crypto provider. Tests pass a seeded source.
   */
  random?: () => number;
}

/** Multipath options of a connection (RFC 10069). */
export interface MultipathOptions {
  /** The largest path ID we accept (initial_max_path_id, RFC 10069 §2.1). Default 4. */
  maxPathId?: number;
  /**
   * The packet scheduler that picks a path for each packet (src/path/schedulers: 'minrtt',
   * 'ecf', 'roundrobin', 'backup', 'reinject', or one registered). Default 'minrtt'.
   */
  scheduler?: string;
}

/** Options with every default filled in, in core units (µs for times). */
export interface ResolvedOptions {
  alpn: string[];
  version: number;
  /** Makes the controller of each path. */
  congestionControl: CongestionControllerFactory;
  idleTimeoutMs: number;
  keepAliveUs: number;
  initialMaxData: number;
  initialMaxStreamData: number;
  maxConnectionWindow: number;
  maxStreamWindow: number;
  maxStreamsBidi: number;
  maxStreamsUni: number;
  streamSendBuffer: number;
  maxAckDelayMs: number;
  ackDelayExponent: number;
  maxDatagramFrameSize: number;
  initialRttUs: number;
  maxUdpPayload: number;
  pmtud: PmtudConfig;
  disableActiveMigration: boolean;
  keyUpdateInterval: number;
  keyUpdateAfterBytes: number;
  greaseQuicBit: boolean;
  ecn: boolean;
  ackFrequency: boolean;
  /** Multipath options, null when off. */
  multipath: Required<MultipathOptions> | null;
  random: (() => number) | null;
}

export function resolveOptions(o: ConnectionOptions): ResolvedOptions {
  if (!Array.isArray(o.alpn) || o.alpn.length === 0) {
    throw new TypeError('options.alpn must list at least one application protocol');
  }
  // RFC 9000 §18.2: max_udp_payload_size is 1200..65527.
  const maxUdpPayload = integerOption('maxUdpPayload', o.maxUdpPayload, 1452, 1200, 65527);
  const base = o.pmtud?.base ?? 1200;
  const max = o.pmtud?.max ?? maxUdpPayload;
  if (!Number.isInteger(base) || base < 1200 || base > maxUdpPayload) {
    throw new RangeError('options.pmtud.base must be an integer within 1200..maxUdpPayload');
  }
  if (!Number.isInteger(max) || max < base || max > maxUdpPayload) {
    throw new RangeError('options.pmtud.max must be an integer within pmtud.base..maxUdpPayload');
  }
  return {
    alpn: o.alpn,
    version: o.version ?? 1,
    congestionControl: congestionControlFactory(o.congestionControl),
    idleTimeoutMs: integerOption('idleTimeout', o.idleTimeout, 30_000, 0),
    keepAliveUs: integerOption('keepAlive', o.keepAlive, 0, 0) * 1000,
    initialMaxData: integerOption('initialMaxData', o.initialMaxData, 1 << 20, 0),
    initialMaxStreamData: integerOption(
      'initialMaxStreamData',
      o.initialMaxStreamData,
      256 << 10,
      0,
    ),
    maxConnectionWindow: integerOption('maxConnectionWindow', o.maxConnectionWindow, 16 << 20, 0),
    maxStreamWindow: integerOption('maxStreamWindow', o.maxStreamWindow, 8 << 20, 0),
    maxStreamsBidi: integerOption('maxStreamsBidi', o.maxStreamsBidi, 100, 0),
    maxStreamsUni: integerOption('maxStreamsUni', o.maxStreamsUni, 100, 0),
    streamSendBuffer: integerOption('streamSendBuffer', o.streamSendBuffer, 1 << 20, 1),
    // RFC 9000 §18.2: max_ack_delay below 2^14 ms, ack_delay_exponent at most 20.
    maxAckDelayMs: integerOption('maxAckDelay', o.maxAckDelay, 25, 0, 2 ** 14 - 1),
    ackDelayExponent: integerOption('ackDelayExponent', o.ackDelayExponent, 3, 0, 20),
    maxDatagramFrameSize: integerOption('maxDatagramFrameSize', o.maxDatagramFrameSize, 0, 0),
    // RFC 9002 §6.2.2: the PTO before any sample comes from it; 0 would make it 0 too.
    initialRttUs: integerOption('initialRtt', o.initialRtt, 333, 1) * 1000,
    maxUdpPayload,
    pmtud: { enabled: o.pmtud?.enabled ?? true, base, max },
    disableActiveMigration: o.disableActiveMigration ?? false,
    keyUpdateInterval: integerOption('keyUpdateInterval', o.keyUpdateInterval, 2 ** 22, 1),
    keyUpdateAfterBytes: integerOption('keyUpdateAfterBytes', o.keyUpdateAfterBytes, 0, 0),
    greaseQuicBit: o.greaseQuicBit ?? true,
    ecn: o.ecn ?? false,
    ackFrequency: o.ackFrequency ?? true,
    multipath: resolveMultipath(o.multipath),
    random: o.random ?? null,
  };
}

/**
 * A numeric option, or `fallback` when it is not given: an integer within min..max (byte counts,
 * stream counts and milliseconds go into transport parameters, which are integers, or into
 * arithmetic that expects whole numbers). Without `max`, any safe integer from `min` up.
 */
function integerOption(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min || v > max) {
    const upper = max === Number.MAX_SAFE_INTEGER ? '2^53-1' : String(max);
    throw new RangeError(`options.${name} must be an integer within ${min}..${upper}`);
  }
  return v;
}

function resolveMultipath(
  o: MultipathOptions | boolean | undefined,
): Required<MultipathOptions> | null {
  if (o === undefined || o === false) return null;
  const m = o === true ? {} : o;
  const maxPathId = m.maxPathId ?? 4;
  // RFC 10069 §2.1: path IDs are 32 bits of the nonce.
  if (!Number.isInteger(maxPathId) || maxPathId < 0 || maxPathId > 0xffffffff) {
    throw new RangeError('options.multipath.maxPathId must be an integer within 0..2^32-1');
  }
  return { maxPathId, scheduler: m.scheduler ?? 'minrtt' };
}
