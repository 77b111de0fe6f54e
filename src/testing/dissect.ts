/**
 * A QUIC packet dissector for tools and tests: splits a datagram into its packets (RFC 9000
 * §12.2), reads their headers (§17), removes packet protection where it has the keys (RFC 9001
 * §5), decodes the frames (§19) and summarizes the TLS handshake messages carried in CRYPTO
 * frames.
 *
 * Initial keys need no secret: they come from the Destination Connection ID of the client's
 * first Initial (RFC 9001 §5.2). A client Initial is opened with keys from its own DCID, and that
 * DCID is remembered for the server's Initials that follow (and for verifying a Retry); a
 * server's Initial seen alone needs that DCID in `options.dcid`. Handshake, 0-RTT and 1-RTT
 * packets need traffic secrets (`options.keys`, or an SSLKEYLOGFILE through `parseKeyLog`).
 *
 * A `Dissector` keeps what it learns across datagrams of one connection: that DCID, the largest
 * packet number per space and direction (to expand truncated packet numbers, RFC 9000 §A.3) and
 * the CRYPTO streams (a handshake message may span several datagrams). `dissectDatagram` is the
 * one-shot form.
 *
 * The dissector reports, never throws, on bad input: a packet it cannot decode comes back with
 * an `error` saying why. It works on copies, so the caller's buffer is left untouched.
 */
import { Reader } from '../util/cursor.js';
import { bytesEqual, fromHex, toHex } from '../util/bytes.js';
import { QuicError } from '../wire/errors.js';
import type { Frame } from '../wire/frame-types.js';
import { decodeFrame, frameTypeOf } from '../wire/frames.js';
import { frameAllowedIn } from '../wire/frame-rules.js';
import {
  type HeaderDropReason,
  type LongHeader,
  type RetryHeader,
  MAX_CID_LENGTH,
  decodeVersionNegotiation,
  isHeaderDrop,
  parseInvariantHeader,
  parseLongHeader,
  parseShortHeader,
} from '../wire/header.js';
import { decodePacketNumber } from '../wire/packet-number.js';
import {
  PacketType,
  QUIC_V1,
  VERSION_NEGOTIATION,
  isSupportedVersion,
  packetTypeFromBits,
} from '../wire/version.js';
import type { CipherSuiteName, CryptoProvider, InitialProtectors } from '../crypto/index.js';
import {
  CIPHER_SUITES,
  PacketProtector,
  cipherSuiteByName,
  createInitialProtectors,
  defaultProvider,
  verifyRetryIntegrity,
} from '../crypto/index.js';
import { HandshakeReassembler, summarizeHandshakeMessage } from './dissect-tls.js';

export type { JsonObject, JsonValue, TlsMessageSummary } from './dissect-tls.js';
export { summarizeHandshakeMessage, summarizeTransportParameters } from './dissect-tls.js';
export {
  dissectionToJson,
  formatDissection,
  type DissectionJson,
  type PacketJson,
} from './dissect-format.js';

export type {
  DissectedDatagram,
  DissectedPacket,
  DissectedPacketType,
  Sender,
} from './dissect-types.js';
import type {
  DissectedDatagram,
  DissectedPacket,
  DissectedPacketType,
  Sender,
} from './dissect-types.js';

/** The encryption levels whose keys come from the TLS handshake (RFC 9001 §4.1.4). */
export type KeyLevel = 'handshake' | '0rtt' | '1rtt';

/**
 * Keys for one encryption level and direction: a ready PacketProtector, or a traffic secret
 * (RFC 9001 §5.1). Without `suite`, a 48-byte secret means TLS_AES_256_GCM_SHA384 and a 32-byte
 * one is tried with TLS_AES_128_GCM_SHA256 and TLS_CHACHA20_POLY1305_SHA256. Several keys for
 * the same level are tried in turn (keys of several connections may be given). 1-RTT keys are
 * also tried one key update ahead (RFC 9001 §6).
 */
export type PacketKey =
  | { level: KeyLevel; sender: Sender; protector: PacketProtector }
  | { level: KeyLevel; sender: Sender; secret: Uint8Array; suite?: CipherSuiteName };

export interface DissectOptions {
  /** Crypto provider for key derivation and decryption. Default `defaultProvider`. */
  provider?: CryptoProvider;
  /**
   * The Destination Connection ID of the client's first Initial: Initial keys for both
   * directions (RFC 9001 §5.2) and the Original DCID a Retry's integrity tag covers (§5.8).
   * Needed for a server's Initials unless the client's Initial was dissected first.
   */
  dcid?: Uint8Array;
  /**
   * DCID length of short-header packets (it is not on the wire, RFC 9000 §17.3.1). When absent:
   * the DCID length of a long-header packet coalesced before it, else every length from 0 to 20
   * is tried against the 1-RTT keys.
   */
  shortDcidLength?: number;
  /** Handshake, 0-RTT and 1-RTT keys. */
  keys?: readonly PacketKey[];
  /**
   * QUIC version used to derive 1-RTT keys from secrets before any long header was seen (key
   * labels differ in QUIC v2, RFC 9369 §3.3.2). Default: the version of the last long-header
   * packet, else QUIC v1.
   */
  version?: number;
}

const TYPE_NAMES: Readonly<Record<PacketType, DissectedPacketType>> = {
  [PacketType.Initial]: 'initial',
  [PacketType.ZeroRtt]: '0rtt',
  [PacketType.Handshake]: 'handshake',
  [PacketType.Retry]: 'retry',
  [PacketType.OneRtt]: '1rtt',
  [PacketType.VersionNegotiation]: 'version_negotiation',
};

const LEVEL_LABELS: Readonly<Record<KeyLevel, string>> = {
  handshake: 'handshake',
  '0rtt': '0-RTT',
  '1rtt': '1-RTT',
};

const DROP_MESSAGES: Readonly<Record<HeaderDropReason, string>> = {
  truncated: 'truncated header',
  wrong_header_form: 'wrong header form',
  fixed_bit_zero: 'fixed bit is 0',
  unsupported_version: 'unsupported version',
  cid_too_long: 'connection ID longer than 20 bytes (RFC 9000 §17.2)',
  length_exceeds_datagram: 'Length field runs past the end of the datagram',
  empty_retry_token: 'Retry packet without a token (RFC 9000 §17.2.5.2)',
  not_version_negotiation: 'not a Version Negotiation packet',
  bad_version_list: 'version list is not a whole number of 4-byte versions',
};

/** The packet number space of a packet type (RFC 9000 §12.3): 0-RTT and 1-RTT share one. */
function pnSpace(type: PacketType): string {
  return type === PacketType.Initial
    ? 'initial'
    : type === PacketType.Handshake
      ? 'handshake'
      : 'application';
}

const versionHex = (v: number): string => `0x${v.toString(16).padStart(8, '0')}`;

interface Candidate {
  sender: Sender;
  protector: PacketProtector;
  /** Initial keys from the packet's own DCID: on success that DCID becomes the remembered one. */
  learnsDcid?: boolean;
}

interface Opened {
  candidate: Candidate;
  pn: number;
  pnLength: number;
  payloadStart: number;
  payloadEnd: number;
}

/** Protectors for the configured keys, derived per QUIC version on first use. */
class KeyRing {
  private readonly derived = new Map<PacketKey, Map<number, PacketProtector[]>>();

  constructor(
    private readonly provider: CryptoProvider,
    private readonly keys: readonly PacketKey[],
  ) {
    for (const k of keys) {
      if ('protector' in k) continue;
      const n = k.secret.length;
      if (k.suite !== undefined && cipherSuiteByName(k.suite).hashLength !== n) {
        throw new RangeError(
          `${k.suite} needs a ${cipherSuiteByName(k.suite).hashLength}-byte secret`,
        );
      }
      if (k.suite === undefined && n !== 32 && n !== 48) {
        throw new RangeError(`a ${n}-byte traffic secret matches no QUIC cipher suite`);
      }
    }
  }

  candidates(level: KeyLevel, version: number): Candidate[] {
    const out: Candidate[] = [];
    for (const k of this.keys) {
      if (k.level !== level) continue;
      for (const protector of this.protectors(k, version)) {
        out.push({ sender: k.sender, protector });
      }
    }
    return out;
  }

  private protectors(k: PacketKey, version: number): PacketProtector[] {
    let perVersion = this.derived.get(k);
    if (perVersion === undefined) {
      perVersion = new Map();
      this.derived.set(k, perVersion);
    }
    const version_ = 'protector' in k ? k.protector.version : version;
    let list = perVersion.get(version_);
    if (list === undefined) {
      if ('protector' in k) {
        list = [k.protector];
      } else {
        const suites =
          k.suite !== undefined
            ? [cipherSuiteByName(k.suite)]
            : CIPHER_SUITES.filter((s) => s.hashLength === k.secret.length);
        list = suites.map((s) => new PacketProtector(this.provider, s, k.secret, version_));
      }
      // RFC 9001 §6: after a key update the peer uses the next generation of 1-RTT keys.
      if (k.level === '1rtt') list = list.concat(list.map((p) => p.nextKeyPhase()));
      perVersion.set(version_, list);
    }
    return list;
  }
}

function isAllZero(buf: Uint8Array, from: number): boolean {
  for (let i = from; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}

/** Dissects the datagrams of one connection in order, carrying state from one to the next. */
export class Dissector {
  private readonly provider: CryptoProvider;
  private readonly shortDcidLength: number | undefined;
  private readonly keyRing: KeyRing;
  /** The client's first DCID, which the Initial keys come from (RFC 9001 §5.2). */
  private initialDcid: Uint8Array | undefined;
  private version: number;
  private readonly initialKeys = new Map<string, InitialProtectors>();
  private readonly largestPn = new Map<string, number>();
  private readonly cryptoStreams = new Map<string, HandshakeReassembler>();
  /** CID lengths seen in long headers: the likely short-header DCID lengths, tried first. */
  private readonly cidLengths = new Set<number>();

  constructor(options: DissectOptions = {}) {
    const { dcid, shortDcidLength } = options;
    if (dcid !== undefined && dcid.length > MAX_CID_LENGTH) {
      throw new RangeError('dcid: a connection ID is at most 20 bytes');
    }
    if (
      shortDcidLength !== undefined &&
      !(
        Number.isInteger(shortDcidLength) &&
        shortDcidLength >= 0 &&
        shortDcidLength <= MAX_CID_LENGTH
      )
    ) {
      throw new RangeError('shortDcidLength must be an integer from 0 to 20');
    }
    this.provider = options.provider ?? defaultProvider;
    this.shortDcidLength = shortDcidLength;
    this.initialDcid = dcid?.slice();
    this.version = options.version ?? QUIC_V1;
    this.keyRing = new KeyRing(this.provider, options.keys ?? []);
  }

  dissect(datagram: Uint8Array): DissectedDatagram {
    // Unprotection works in place: `work` is opened, `orig` restores a packet after a key
    // that did not fit.
    const orig = datagram.slice();
    const work = datagram.slice();
    const packets: DissectedPacket[] = [];
    const result: DissectedDatagram = { size: orig.length, packets };
    let p = 0;
    // RFC 9000 §12.2: coalesced packets share one DCID, so a short header after long ones has
    // the same DCID length.
    let coalescedDcidLength: number | undefined;
    while (p < orig.length) {
      if ((orig[p]! & 0x80) === 0) {
        if (packets.length > 0 && isAllZero(orig, p)) {
          result.trailingZeros = orig.length - p;
        } else {
          packets.push(this.shortPacket(orig, work, p, coalescedDcidLength));
        }
        break;
      }
      const next = this.longPacket(orig, work, p, packets);
      if (next === null) break;
      coalescedDcidLength = orig[p + 5];
      p = next;
    }
    return result;
  }

  /** Dissects the long-header packet at `p`; returns where the next one starts, or null. */
  private longPacket(
    orig: Uint8Array,
    work: Uint8Array,
    p: number,
    packets: DissectedPacket[],
  ): number | null {
    const rest = orig.length - p;
    const inv = parseInvariantHeader(orig, p);
    if (inv === null) {
      packets.push({ type: 'unknown', offset: p, size: rest, error: 'truncated long header' });
      return null;
    }
    const base = {
      offset: p,
      size: rest,
      version: inv.version,
      dcid: toHex(inv.dcid),
      scid: toHex(inv.scid),
    };
    if (inv.version === VERSION_NEGOTIATION) {
      packets.push(this.versionNegotiation(orig.subarray(p), base));
      return null;
    }
    if (!isSupportedVersion(inv.version)) {
      packets.push({
        type: 'unknown',
        ...base,
        error: `unsupported version ${versionHex(inv.version)}`,
      });
      return null;
    }
    // The fixed bit may be greased (RFC 9287): report the packet rather than drop it.
    const h = parseLongHeader(orig, p, true);
    if (isHeaderDrop(h)) {
      const type = TYPE_NAMES[packetTypeFromBits(inv.version, (orig[p]! >> 4) & 3)];
      packets.push({ type, ...base, error: DROP_MESSAGES[h.drop] });
      return null;
    }
    this.cidLengths.add(h.dcid.length).add(h.scid.length);
    if (h.type === PacketType.Retry) {
      packets.push(this.retry(orig, h));
      return null;
    }
    this.version = h.version;
    packets.push(this.protectedLongPacket(orig, work, h));
    return h.end;
  }

  private versionNegotiation(
    packet: Uint8Array,
    base: Pick<DissectedPacket, 'offset' | 'size' | 'version' | 'dcid' | 'scid'>,
  ): DissectedPacket {
    const out: DissectedPacket = { type: 'version_negotiation', ...base };
    const vn = decodeVersionNegotiation(packet);
    if (isHeaderDrop(vn)) out.error = DROP_MESSAGES[vn.drop];
    else out.versions = vn.versions;
    return out;
  }

  /** RFC 9000 §17.2.5, RFC 9001 §5.8. */
  private retry(orig: Uint8Array, h: RetryHeader): DissectedPacket {
    const out: DissectedPacket = {
      type: 'retry',
      offset: h.offset,
      size: h.end - h.offset,
      sender: 'server',
      version: h.version,
      dcid: toHex(h.dcid),
      scid: toHex(h.scid),
      token: toHex(h.token),
      integrityTag: toHex(h.integrityTag),
    };
    const odcid = this.initialDcid;
    if (odcid === undefined) {
      out.integrity = 'unchecked';
    } else if (
      verifyRetryIntegrity(this.provider, h.version, odcid, orig.subarray(h.offset, h.end))
    ) {
      out.integrity = 'valid';
      // RFC 9001 §5.2: after a Retry both sides derive Initial keys from the Retry's SCID, which
      // the client now uses as its DCID.
      this.initialDcid = h.scid.slice();
    } else {
      out.integrity = 'invalid';
      out.error = `Retry integrity tag does not verify with Original DCID ${toHex(odcid)}`;
    }
    return out;
  }

  private protectedLongPacket(orig: Uint8Array, work: Uint8Array, h: LongHeader): DissectedPacket {
    const out: DissectedPacket = {
      type: TYPE_NAMES[h.type],
      offset: h.offset,
      size: h.end - h.offset,
      version: h.version,
      dcid: toHex(h.dcid),
      scid: toHex(h.scid),
    };
    if (h.type === PacketType.Initial) out.token = toHex(h.token);
    out.length = h.length;

    const level: KeyLevel | 'initial' =
      h.type === PacketType.Initial
        ? 'initial'
        : h.type === PacketType.Handshake
          ? 'handshake'
          : '0rtt';
    const candidates =
      level === 'initial' ? this.initialCandidates(h) : this.keyRing.candidates(level, h.version);
    if (level !== 'initial' && candidates.length === 0) {
      out.error = `no keys for ${LEVEL_LABELS[level]} packets`;
      return out;
    }
    const opened = this.open(orig, work, h.offset, h.pnOffset, h.end, candidates, pnSpace(h.type));
    if (opened === null) {
      const onlyOwnDcid = candidates.every((c) => c.learnsDcid === true);
      out.error = onlyOwnDcid
        ? "authentication failed (a server's Initial needs the DCID of the client's first Initial)"
        : 'authentication failed';
      return out;
    }
    if (typeof opened === 'string') {
      out.error = opened;
      return out;
    }
    if (opened.candidate.learnsDcid === true) this.initialDcid = h.dcid.slice();
    this.decodePayload(out, work, h.offset, opened, h.type, level);
    return out;
  }

  private initialCandidates(h: LongHeader): Candidate[] {
    const out: Candidate[] = [];
    const known = this.initialDcid;
    if (known !== undefined) {
      const keys = this.initialProtectors(h.version, known);
      out.push(
        { sender: 'client', protector: keys.client },
        { sender: 'server', protector: keys.server },
      );
    }
    if (known === undefined || !bytesEqual(known, h.dcid)) {
      const own = this.initialProtectors(h.version, h.dcid);
      out.push({ sender: 'client', protector: own.client, learnsDcid: true });
    }
    return out;
  }

  private initialProtectors(version: number, dcid: Uint8Array): InitialProtectors {
    const key = `${version}:${toHex(dcid)}`;
    let keys = this.initialKeys.get(key);
    if (keys === undefined) {
      keys = createInitialProtectors(this.provider, version, dcid);
      this.initialKeys.set(key, keys);
    }
    return keys;
  }

  /**
   * Trial decryption: removes header protection and opens the payload with each candidate in
   * turn (RFC 9001 §5.3, §5.4). Null when none authenticates, a reason string when the packet
   * cannot be unprotected at all.
   */
  private open(
    orig: Uint8Array,
    work: Uint8Array,
    start: number,
    pnOffset: number,
    end: number,
    candidates: readonly Candidate[],
    space: string,
  ): Opened | string | null {
    for (const candidate of candidates) {
      work.set(orig.subarray(start, end), start);
      const { protector } = candidate;
      const pnLength = protector.removeHeaderProtection(work, start, pnOffset, end);
      if (pnLength < 0) return 'packet too short for a header protection sample (RFC 9001 §5.4.2)';
      const key = `${space}/${candidate.sender}`;
      const largest = this.largestPn.get(key) ?? -1;
      const pn = decodePacketNumber(largest, protector.truncatedPn, pnLength * 8);
      const n = protector.openPayload(work, start, pnOffset, pnLength, pn, end);
      if (n >= 0) {
        this.largestPn.set(key, Math.max(largest, pn));
        const payloadStart = pnOffset + pnLength;
        return { candidate, pn, pnLength, payloadStart, payloadEnd: payloadStart + n };
      }
    }
    work.set(orig.subarray(start, end), start);
    return null;
  }

  private shortPacket(
    orig: Uint8Array,
    work: Uint8Array,
    p: number,
    coalescedDcidLength: number | undefined,
  ): DissectedPacket {
    const out: DissectedPacket = { type: '1rtt', offset: p, size: orig.length - p };
    const known = this.shortDcidLength ?? coalescedDcidLength;
    const lengths = known !== undefined ? [known] : this.likelyDcidLengths();
    if (known !== undefined) {
      const h = parseShortHeader(orig, p, known, true);
      if (isHeaderDrop(h)) {
        out.error = DROP_MESSAGES[h.drop];
        return out;
      }
      out.dcid = toHex(h.dcid);
      out.spin = h.spin;
    }
    const candidates = this.keyRing.candidates('1rtt', this.version);
    if (candidates.length === 0) {
      out.error = 'no keys for 1-RTT packets';
      return out;
    }
    let reason: string | null = null;
    for (const len of lengths) {
      const h = parseShortHeader(orig, p, len, true);
      if (isHeaderDrop(h)) continue;
      const opened = this.open(orig, work, p, h.pnOffset, orig.length, candidates, 'application');
      if (typeof opened === 'string') {
        reason = opened;
        continue;
      }
      if (opened === null) continue;
      out.dcid = toHex(h.dcid);
      out.spin = h.spin;
      out.keyPhase = (work[p]! & 0x04) !== 0 ? 1 : 0;
      this.decodePayload(out, work, p, opened, PacketType.OneRtt, '1rtt');
      return out;
    }
    out.error =
      reason !== null && known !== undefined
        ? reason
        : known !== undefined
          ? 'authentication failed'
          : 'authentication failed with every DCID length';
    return out;
  }

  /** Short-header DCID lengths to try: lengths seen in long headers first, then all others. */
  private likelyDcidLengths(): number[] {
    const out = [...this.cidLengths];
    for (let n = 0; n <= MAX_CID_LENGTH; n++) if (!this.cidLengths.has(n)) out.push(n);
    return out;
  }

  private decodePayload(
    out: DissectedPacket,
    work: Uint8Array,
    start: number,
    opened: Opened,
    type: PacketType,
    level: KeyLevel | 'initial',
  ): void {
    const { candidate, payloadStart, payloadEnd } = opened;
    out.sender = candidate.sender;
    out.packetNumber = opened.pn;
    out.packetNumberLength = opened.pnLength;
    const errors: string[] = [];
    // RFC 9000 §17.2, §17.3.1: the Reserved Bits must be 0 once protection is removed.
    const reserved = (work[start]! & 0x80) !== 0 ? 0x0c : 0x18;
    if ((work[start]! & reserved) !== 0)
      errors.push('reserved bits are not 0 (PROTOCOL_VIOLATION)');
    // RFC 9000 §12.4: a packet must contain at least one frame.
    if (payloadStart === payloadEnd) errors.push('packet contains no frames (PROTOCOL_VIOLATION)');

    const frames: Frame[] = [];
    out.frames = frames;
    const r = new Reader(work, payloadStart, payloadEnd);
    let frameStart = payloadStart;
    try {
      for (; r.remaining > 0; frameStart = r.pos) frames.push(decodeFrame(r));
    } catch (e) {
      if (!(e instanceof QuicError)) throw e;
      errors.push(`malformed frame at payload byte ${frameStart - payloadStart}: ${e.message}`);
    }
    const stream = this.cryptoStream(level, candidate.sender);
    for (const f of frames) {
      if (!frameAllowedIn(frameTypeOf(f), type)) {
        errors.push(`${f.kind} frame not allowed in ${TYPE_NAMES[type]} packets (RFC 9000 §12.4)`);
      }
      if (f.kind === 'crypto') stream.add(f.offset, f.data);
    }
    const messages = stream.takeMessages();
    if (messages.length > 0) out.tls = messages.map(summarizeHandshakeMessage);
    if (errors.length > 0) out.error = errors.join('; ');
  }

  private cryptoStream(level: string, sender: Sender): HandshakeReassembler {
    const key = `${level}/${sender}`;
    let s = this.cryptoStreams.get(key);
    if (s === undefined) {
      s = new HandshakeReassembler();
      this.cryptoStreams.set(key, s);
    }
    return s;
  }
}

/** Dissects one datagram on its own (see Dissector for a sequence of datagrams). */
export function dissectDatagram(
  datagram: Uint8Array,
  options: DissectOptions = {},
): DissectedDatagram {
  return new Dissector(options).dissect(datagram);
}

/** NSS key log labels (SSLKEYLOGFILE) of the secrets that protect QUIC packets (RFC 9001 §5.1). */
const KEY_LOG_LABELS: Readonly<Record<string, { level: KeyLevel; sender: Sender }>> = {
  CLIENT_EARLY_TRAFFIC_SECRET: { level: '0rtt', sender: 'client' },
  CLIENT_HANDSHAKE_TRAFFIC_SECRET: { level: 'handshake', sender: 'client' },
  SERVER_HANDSHAKE_TRAFFIC_SECRET: { level: 'handshake', sender: 'server' },
  CLIENT_TRAFFIC_SECRET_0: { level: '1rtt', sender: 'client' },
  SERVER_TRAFFIC_SECRET_0: { level: '1rtt', sender: 'server' },
};

/**
 * Packet keys from an NSS key log ("LABEL <client_random> <secret>" lines, as written by
 * SSLKEYLOGFILE and the TLS core's `keyLog` callback). Comments, blank lines and other labels
 * are skipped; a line that does not have that shape throws a TypeError naming its line number.
 */
export function parseKeyLog(text: string): PacketKey[] {
  const keys: PacketKey[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    const [label, random, secret] = fields;
    if (
      fields.length !== 3 ||
      !/^[0-9a-fA-F]{64}$/.test(random!) ||
      !/^(?:[0-9a-fA-F]{2})+$/.test(secret!)
    ) {
      throw new TypeError(
        `key log line ${i + 1}: expected "LABEL <client_random> <secret>" in hex`,
      );
    }
    const target = KEY_LOG_LABELS[label!];
    if (target === undefined) continue;
    const bytes = fromHex(secret!);
    if (bytes.length !== 32 && bytes.length !== 48) {
      throw new TypeError(
        `key log line ${i + 1}: a ${bytes.length}-byte secret fits no QUIC cipher suite`,
      );
    }
    keys.push({ ...target, secret: bytes });
  }
  return keys;
}
