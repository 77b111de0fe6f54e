/**
 * QUIC transport parameters, RFC 9000 §18, with version_information (RFC 9368 §3),
 * max_datagram_frame_size (RFC 9221 §3), grease_quic_bit (RFC 9287 §3), min_ack_delay
 * (draft-ietf-quic-ack-frequency) and initial_max_path_id (RFC 10069 §2.1).
 *
 * Decoding validates what the parameter definitions make invalid on their own and raises
 * QuicError TRANSPORT_PARAMETER_ERROR; checks that need connection state (for example that the
 * CIDs match the ones seen in packets, RFC 9000 §7.3) belong to the connection. Byte values are
 * copied: they outlive the handshake message they came in.
 */
import { Reader, Writer } from '../util/cursor.js';
import { DecodeError } from '../util/errors.js';
import { VARINT_SATURATED, varintLength } from '../util/varint.js';
import { QuicError, TransportError } from './errors.js';

export const TransportParameterId = {
  ORIGINAL_DESTINATION_CONNECTION_ID: 0x00,
  MAX_IDLE_TIMEOUT: 0x01,
  STATELESS_RESET_TOKEN: 0x02,
  MAX_UDP_PAYLOAD_SIZE: 0x03,
  INITIAL_MAX_DATA: 0x04,
  INITIAL_MAX_STREAM_DATA_BIDI_LOCAL: 0x05,
  INITIAL_MAX_STREAM_DATA_BIDI_REMOTE: 0x06,
  INITIAL_MAX_STREAM_DATA_UNI: 0x07,
  INITIAL_MAX_STREAMS_BIDI: 0x08,
  INITIAL_MAX_STREAMS_UNI: 0x09,
  ACK_DELAY_EXPONENT: 0x0a,
  MAX_ACK_DELAY: 0x0b,
  DISABLE_ACTIVE_MIGRATION: 0x0c,
  PREFERRED_ADDRESS: 0x0d,
  ACTIVE_CONNECTION_ID_LIMIT: 0x0e,
  INITIAL_SOURCE_CONNECTION_ID: 0x0f,
  RETRY_SOURCE_CONNECTION_ID: 0x10,
  /** RFC 9368 §3 */
  VERSION_INFORMATION: 0x11,
  /** RFC 9221 §3 */
  MAX_DATAGRAM_FRAME_SIZE: 0x20,
  /** RFC 9287 §3 */
  GREASE_QUIC_BIT: 0x2ab2,
  /** draft-ietf-quic-ack-frequency-12 §3 (provisional codepoint). */
  MIN_ACK_DELAY: 0xff04de1b,
  /** RFC 10069 §2.1 (Multipath QUIC) */
  INITIAL_MAX_PATH_ID: 0x3e,
} as const;

const Id = TransportParameterId;

/** The server's preferred address (RFC 9000 §18.2, §9.6). */
export interface PreferredAddress {
  /** 4 bytes, network order; all zero with port 0 when not offered. */
  ipv4Address: Uint8Array;
  ipv4Port: number;
  /** 16 bytes, network order; all zero with port 0 when not offered. */
  ipv6Address: Uint8Array;
  ipv6Port: number;
  /** 1-20 bytes; sequence number 1. */
  connectionId: Uint8Array;
  /** 16 bytes */
  statelessResetToken: Uint8Array;
}

/** RFC 9368 §3. */
export interface VersionInformation {
  chosenVersion: number;
  /** Descending preference when sent by a client; the fully deployed versions from a server. */
  availableVersions: number[];
}

/**
 * Every transport parameter this stack knows. Optional fields are absent when the parameter is
 * absent; the others hold the RFC default when absent. Times are in milliseconds.
 */
export interface TransportParameters {
  /** Server only. */
  originalDestinationConnectionId?: Uint8Array;
  /** Milliseconds; 0 disables the idle timeout. */
  maxIdleTimeout: number;
  /** Server only; 16 bytes. */
  statelessResetToken?: Uint8Array;
  /** At least 1200; default 65527. */
  maxUdpPayloadSize: number;
  initialMaxData: number;
  initialMaxStreamDataBidiLocal: number;
  initialMaxStreamDataBidiRemote: number;
  initialMaxStreamDataUni: number;
  /** At most 2^60. */
  initialMaxStreamsBidi: number;
  /** At most 2^60. */
  initialMaxStreamsUni: number;
  /** At most 20; default 3. */
  ackDelayExponent: number;
  /** Milliseconds, below 2^14; default 25. */
  maxAckDelay: number;
  disableActiveMigration: boolean;
  /** Server only. */
  preferredAddress?: PreferredAddress;
  /** At least 2; default 2. */
  activeConnectionIdLimit: number;
  /** Always sent in practice (RFC 9000 §7.3); may be empty for a zero-length CID. */
  initialSourceConnectionId?: Uint8Array;
  /** Server only, after a Retry. */
  retrySourceConnectionId?: Uint8Array;
  versionInformation?: VersionInformation;
  /** 0 (the default) means DATAGRAM frames are not supported (RFC 9221 §3). */
  maxDatagramFrameSize: number;
  /** RFC 9287: the sender accepts packets with the QUIC bit set to 0. */
  greaseQuicBit: boolean;
  /**
   * draft-ietf-quic-ack-frequency-12 §3: the sender accepts ACK_FREQUENCY and IMMEDIATE_ACK and
   * delays ACKs by no less than this, microseconds. Absent: the extension is not supported.
   */
  minAckDelay?: number;
  /**
   * RFC 10069 §2.1: the sender supports multipath and accepts path IDs up to this (at most
   * 2^32-1). Absent: multipath is not supported. Never remembered for 0-RTT (see
   * paramsToRemember).
   */
  initialMaxPathId?: number;
}

export type TransportParameterSender = 'client' | 'server';

/** The values a peer is assumed to have sent when a parameter is absent (RFC 9000 §18.2). */
export function defaultTransportParameters(): TransportParameters {
  return {
    maxIdleTimeout: 0,
    maxUdpPayloadSize: 65527,
    initialMaxData: 0,
    initialMaxStreamDataBidiLocal: 0,
    initialMaxStreamDataBidiRemote: 0,
    initialMaxStreamDataUni: 0,
    initialMaxStreamsBidi: 0,
    initialMaxStreamsUni: 0,
    ackDelayExponent: 3,
    maxAckDelay: 25,
    disableActiveMigration: false,
    activeConnectionIdLimit: 2,
    maxDatagramFrameSize: 0,
    greaseQuicBit: false,
  };
}

const MIN_UDP_PAYLOAD_SIZE = 1200;
const MAX_ACK_DELAY_EXPONENT = 20;
const MAX_ACK_DELAY_LIMIT = 2 ** 14;
const MIN_ACTIVE_CID_LIMIT = 2;
const MAX_STREAMS_LIMIT = 2n ** 60n;
const MAX_CID = 20;
const TOKEN_LENGTH = 16;
/** RFC 10069 §2.1: path IDs are 32 bits of the AEAD nonce (§2.4). */
const MAX_PATH_ID = 0xffffffff;

export interface TransportParameterEncodeOptions {
  /**
   * Adds the reserved parameter 31 * n + 27 with `value`, which the peer must ignore (RFC 9000
   * §18.1). The caller picks `n` and `value` at random.
   */
  grease?: { n: number; value: Uint8Array };
}

/**
 * Encodes the parameters `sender` sends, in identifier order, leaving out those equal to their
 * default. Invalid values, and server-only parameters given for a client, throw (API misuse).
 */
export function encodeTransportParameters(
  p: TransportParameters,
  sender: TransportParameterSender,
  options: TransportParameterEncodeOptions = {},
): Uint8Array {
  checkForSending(p, sender);
  const d = defaultTransportParameters();
  const w = Writer.growable(128);
  const bytesParam = (id: number, v: Uint8Array | undefined): void => {
    if (v !== undefined) w.varint(id).varintVec(v);
  };
  const intParam = (id: number, v: number, dflt: number): void => {
    if (v !== dflt) w.varint(id).varint(varintLength(v)).varint(v);
  };
  const flagParam = (id: number, v: boolean): void => {
    if (v) w.varint(id).varint(0);
  };

  bytesParam(Id.ORIGINAL_DESTINATION_CONNECTION_ID, p.originalDestinationConnectionId);
  intParam(Id.MAX_IDLE_TIMEOUT, p.maxIdleTimeout, d.maxIdleTimeout);
  bytesParam(Id.STATELESS_RESET_TOKEN, p.statelessResetToken);
  intParam(Id.MAX_UDP_PAYLOAD_SIZE, p.maxUdpPayloadSize, d.maxUdpPayloadSize);
  intParam(Id.INITIAL_MAX_DATA, p.initialMaxData, d.initialMaxData);
  intParam(
    Id.INITIAL_MAX_STREAM_DATA_BIDI_LOCAL,
    p.initialMaxStreamDataBidiLocal,
    d.initialMaxStreamDataBidiLocal,
  );
  intParam(
    Id.INITIAL_MAX_STREAM_DATA_BIDI_REMOTE,
    p.initialMaxStreamDataBidiRemote,
    d.initialMaxStreamDataBidiRemote,
  );
  intParam(Id.INITIAL_MAX_STREAM_DATA_UNI, p.initialMaxStreamDataUni, d.initialMaxStreamDataUni);
  intParam(Id.INITIAL_MAX_STREAMS_BIDI, p.initialMaxStreamsBidi, d.initialMaxStreamsBidi);
  intParam(Id.INITIAL_MAX_STREAMS_UNI, p.initialMaxStreamsUni, d.initialMaxStreamsUni);
  intParam(Id.ACK_DELAY_EXPONENT, p.ackDelayExponent, d.ackDelayExponent);
  intParam(Id.MAX_ACK_DELAY, p.maxAckDelay, d.maxAckDelay);
  flagParam(Id.DISABLE_ACTIVE_MIGRATION, p.disableActiveMigration);
  if (p.preferredAddress) {
    const a = p.preferredAddress;
    const len = 4 + 2 + 16 + 2 + 1 + a.connectionId.length + TOKEN_LENGTH;
    w.varint(Id.PREFERRED_ADDRESS).varint(len);
    w.bytes(a.ipv4Address).u16(a.ipv4Port).bytes(a.ipv6Address).u16(a.ipv6Port);
    w.vec(1, a.connectionId).bytes(a.statelessResetToken);
  }
  intParam(Id.ACTIVE_CONNECTION_ID_LIMIT, p.activeConnectionIdLimit, d.activeConnectionIdLimit);
  bytesParam(Id.INITIAL_SOURCE_CONNECTION_ID, p.initialSourceConnectionId);
  bytesParam(Id.RETRY_SOURCE_CONNECTION_ID, p.retrySourceConnectionId);
  if (p.versionInformation) {
    const vi = p.versionInformation;
    w.varint(Id.VERSION_INFORMATION).varint(4 + 4 * vi.availableVersions.length);
    w.u32(vi.chosenVersion);
    for (const v of vi.availableVersions) w.u32(v);
  }
  intParam(Id.MAX_DATAGRAM_FRAME_SIZE, p.maxDatagramFrameSize, d.maxDatagramFrameSize);
  flagParam(Id.GREASE_QUIC_BIT, p.greaseQuicBit);
  if (p.initialMaxPathId !== undefined) {
    w.varint(Id.INITIAL_MAX_PATH_ID).varint(varintLength(p.initialMaxPathId));
    w.varint(p.initialMaxPathId);
  }
  if (p.minAckDelay !== undefined) {
    w.varint(Id.MIN_ACK_DELAY).varint(varintLength(p.minAckDelay)).varint(p.minAckDelay);
  }
  if (options.grease) {
    const { n, value } = options.grease;
    const id = 31 * n + 27;
    if (!Number.isSafeInteger(n) || n < 0 || !Number.isSafeInteger(id)) {
      throw new RangeError(`grease parameter index out of range: ${n}`);
    }
    w.varint(id).varintVec(value);
  }
  return w.finish();
}

function checkForSending(p: TransportParameters, sender: TransportParameterSender): void {
  if (sender === 'client') {
    // RFC 9000 §18.2: server-only parameters.
    if (
      p.originalDestinationConnectionId !== undefined ||
      p.statelessResetToken !== undefined ||
      p.preferredAddress !== undefined ||
      p.retrySourceConnectionId !== undefined
    ) {
      throw new TypeError('a client cannot send server-only transport parameters');
    }
  }
  const bad = (what: string): never => {
    throw new RangeError(`invalid transport parameter: ${what}`);
  };
  if (p.maxUdpPayloadSize < MIN_UDP_PAYLOAD_SIZE) bad('max_udp_payload_size below 1200');
  if (p.ackDelayExponent > MAX_ACK_DELAY_EXPONENT) bad('ack_delay_exponent above 20');
  if (p.maxAckDelay >= MAX_ACK_DELAY_LIMIT) bad('max_ack_delay of 2^14 or more');
  if (p.minAckDelay !== undefined && !(p.minAckDelay <= p.maxAckDelay * 1000)) {
    bad('min_ack_delay above max_ack_delay');
  }
  if (p.activeConnectionIdLimit < MIN_ACTIVE_CID_LIMIT) bad('active_connection_id_limit below 2');
  const maxPathId = p.initialMaxPathId;
  if (maxPathId !== undefined) {
    if (!(Number.isInteger(maxPathId) && maxPathId >= 0 && maxPathId <= MAX_PATH_ID)) {
      bad('initial_max_path_id above 2^32-1');
    }
    // RFC 10069 §2.1: advertising multipath needs a non-zero-length source connection ID.
    if (p.initialSourceConnectionId?.length === 0) {
      bad('initial_max_path_id with a zero-length connection ID');
    }
  }
  for (const cid of [
    p.originalDestinationConnectionId,
    p.initialSourceConnectionId,
    p.retrySourceConnectionId,
  ]) {
    if (cid !== undefined && cid.length > MAX_CID) bad('connection ID longer than 20 bytes');
  }
  if (p.statelessResetToken !== undefined && p.statelessResetToken.length !== TOKEN_LENGTH) {
    bad('stateless_reset_token must be 16 bytes');
  }
  const a = p.preferredAddress;
  if (a !== undefined) {
    if (a.ipv4Address.length !== 4 || a.ipv6Address.length !== 16) bad('preferred_address IP');
    if (a.connectionId.length < 1 || a.connectionId.length > MAX_CID) {
      bad('preferred_address connection ID must be 1-20 bytes');
    }
    if (a.statelessResetToken.length !== TOKEN_LENGTH) bad('preferred_address reset token');
  }
  const vi = p.versionInformation;
  if (vi !== undefined && (vi.chosenVersion === 0 || vi.availableVersions.includes(0))) {
    bad('version_information with version 0');
  }
  if (vi !== undefined && sender === 'client' && !vi.availableVersions.includes(vi.chosenVersion)) {
    bad('a client lists its chosen version among the available versions (RFC 9368 §3)');
  }
}

function paramError(what: string): QuicError {
  return new QuicError(TransportError.TRANSPORT_PARAMETER_ERROR, `transport parameter ${what}`);
}

/** An integer parameter: exactly one varint filling the value (RFC 9000 §18.2). */
function readInteger(v: Reader, name: string): number {
  const n = v.varint();
  if (v.remaining !== 0) throw paramError(`${name}: trailing bytes`);
  return n;
}

function readStreamLimit(v: Reader, name: string): number {
  const n = v.varintBig();
  if (v.remaining !== 0) throw paramError(`${name}: trailing bytes`);
  if (n > MAX_STREAMS_LIMIT) throw paramError(`${name} exceeds 2^60`);
  return n > BigInt(Number.MAX_SAFE_INTEGER) ? VARINT_SATURATED : Number(n);
}

function readConnectionId(v: Reader, name: string): Uint8Array {
  if (v.remaining > MAX_CID) throw paramError(`${name} longer than 20 bytes`);
  return v.copy(v.remaining);
}

function readEmpty(v: Reader, name: string): true {
  if (v.remaining !== 0) throw paramError(`${name} must be empty`);
  return true;
}

function readPreferredAddress(v: Reader): PreferredAddress {
  const ipv4Address = v.copy(4);
  const ipv4Port = v.u16();
  const ipv6Address = v.copy(16);
  const ipv6Port = v.u16();
  const cidLength = v.u8();
  // RFC 9000 §18.2: a zero-length connection ID here is a TRANSPORT_PARAMETER_ERROR.
  if (cidLength < 1 || cidLength > MAX_CID) {
    throw paramError(`preferred_address connection ID length ${cidLength}`);
  }
  const connectionId = v.copy(cidLength);
  const statelessResetToken = v.copy(TOKEN_LENGTH);
  if (v.remaining !== 0) throw paramError('preferred_address: trailing bytes');
  return { ipv4Address, ipv4Port, ipv6Address, ipv6Port, connectionId, statelessResetToken };
}

function readVersionInformation(v: Reader, sender: TransportParameterSender): VersionInformation {
  // RFC 9368 §4: too short, a length not divisible by four, or a version 0 is a parsing failure.
  if (v.remaining < 4 || v.remaining % 4 !== 0) throw paramError('version_information length');
  const chosenVersion = v.u32();
  const availableVersions: number[] = [];
  while (v.remaining > 0) availableVersions.push(v.u32());
  if (chosenVersion === 0 || availableVersions.includes(0)) {
    throw paramError('version_information with version 0');
  }
  if (sender === 'client' && !availableVersions.includes(chosenVersion)) {
    throw paramError('version_information: chosen version not among available versions');
  }
  return { chosenVersion, availableVersions };
}

const SERVER_ONLY = new Set<number>([
  Id.ORIGINAL_DESTINATION_CONNECTION_ID,
  Id.STATELESS_RESET_TOKEN,
  Id.PREFERRED_ADDRESS,
  Id.RETRY_SOURCE_CONNECTION_ID,
]);

/**
 * Decodes the transport parameters sent by `sender` (the peer). Unknown and reserved parameters
 * are skipped (RFC 9000 §7.4.2); anything malformed raises QuicError TRANSPORT_PARAMETER_ERROR.
 */
export function decodeTransportParameters(
  bytes: Uint8Array,
  sender: TransportParameterSender,
): TransportParameters {
  const p = defaultTransportParameters();
  // Identifiers above 2^53 saturate, so the exact value (as a bigint) is the duplicate key.
  const seen = new Set<number | bigint>();
  const r = new Reader(bytes);
  try {
    while (r.remaining > 0) {
      const idPos = r.pos;
      const id = r.varint();
      let key: number | bigint = id;
      if (id === VARINT_SATURATED) {
        r.pos = idPos;
        key = r.varintBig();
      }
      // RFC 9000 §7.4: a parameter sent twice SHOULD be a TRANSPORT_PARAMETER_ERROR.
      if (seen.has(key)) throw paramError(`0x${key.toString(16)} sent twice`);
      seen.add(key);
      const v = r.sub(r.varint());
      if (sender === 'client' && SERVER_ONLY.has(id)) {
        throw paramError(`0x${id.toString(16)} is server-only but was sent by a client`);
      }
      decodeOne(p, id, v, sender);
    }
  } catch (e) {
    if (e instanceof DecodeError) throw paramError(`malformed: ${e.message}`);
    throw e;
  }
  // draft-ietf-quic-ack-frequency-12 §3: min_ack_delay (µs) above max_ack_delay (ms) is an error.
  if (p.minAckDelay !== undefined && p.minAckDelay > p.maxAckDelay * 1000) {
    throw paramError('min_ack_delay above max_ack_delay');
  }
  // RFC 10069 §2.1: initial_max_path_id in a packet with a zero-length connection ID is a
  // PROTOCOL_VIOLATION. The peer's Source Connection ID is its initial_source_connection_id;
  // whether our own CID (the packet's Destination) is empty the connection checks
  // (multipathCidViolation).
  if (p.initialMaxPathId !== undefined && p.initialSourceConnectionId?.length === 0) {
    throw new QuicError(
      TransportError.PROTOCOL_VIOLATION,
      'initial_max_path_id with a zero-length connection ID',
    );
  }
  return p;
}

/**
 * RFC 10069 §2.1: a peer that sent initial_max_path_id in a packet whose Destination Connection
 * ID (ours, `localCidLength` bytes) is zero-length violates the protocol. Returns the error to
 * close with, or null.
 */
export function multipathCidViolation(
  peer: TransportParameters,
  localCidLength: number,
): QuicError | null {
  return peer.initialMaxPathId !== undefined && localCidLength === 0
    ? new QuicError(
        TransportError.PROTOCOL_VIOLATION,
        'initial_max_path_id with a zero-length connection ID',
      )
    : null;
}

/**
 * The server's parameters a client keeps with a session ticket for 0-RTT (RFC 9000 §7.4.1):
 * all but initial_max_path_id, which MUST NOT be remembered (RFC 10069 §2.1).
 */
export function paramsToRemember(p: TransportParameters): TransportParameters {
  const kept = { ...p };
  delete kept.initialMaxPathId;
  return kept;
}

function decodeOne(
  p: TransportParameters,
  id: number,
  v: Reader,
  sender: TransportParameterSender,
): void {
  switch (id) {
    case Id.ORIGINAL_DESTINATION_CONNECTION_ID:
      p.originalDestinationConnectionId = readConnectionId(v, 'original_destination_connection_id');
      return;
    case Id.MAX_IDLE_TIMEOUT:
      p.maxIdleTimeout = readInteger(v, 'max_idle_timeout');
      return;
    case Id.STATELESS_RESET_TOKEN:
      if (v.remaining !== TOKEN_LENGTH) throw paramError('stateless_reset_token must be 16 bytes');
      p.statelessResetToken = v.copy(TOKEN_LENGTH);
      return;
    case Id.MAX_UDP_PAYLOAD_SIZE:
      p.maxUdpPayloadSize = readInteger(v, 'max_udp_payload_size');
      if (p.maxUdpPayloadSize < MIN_UDP_PAYLOAD_SIZE)
        throw paramError('max_udp_payload_size < 1200');
      return;
    case Id.INITIAL_MAX_DATA:
      p.initialMaxData = readInteger(v, 'initial_max_data');
      return;
    case Id.INITIAL_MAX_STREAM_DATA_BIDI_LOCAL:
      p.initialMaxStreamDataBidiLocal = readInteger(v, 'initial_max_stream_data_bidi_local');
      return;
    case Id.INITIAL_MAX_STREAM_DATA_BIDI_REMOTE:
      p.initialMaxStreamDataBidiRemote = readInteger(v, 'initial_max_stream_data_bidi_remote');
      return;
    case Id.INITIAL_MAX_STREAM_DATA_UNI:
      p.initialMaxStreamDataUni = readInteger(v, 'initial_max_stream_data_uni');
      return;
    case Id.INITIAL_MAX_STREAMS_BIDI:
      p.initialMaxStreamsBidi = readStreamLimit(v, 'initial_max_streams_bidi');
      return;
    case Id.INITIAL_MAX_STREAMS_UNI:
      p.initialMaxStreamsUni = readStreamLimit(v, 'initial_max_streams_uni');
      return;
    case Id.ACK_DELAY_EXPONENT:
      p.ackDelayExponent = readInteger(v, 'ack_delay_exponent');
      if (p.ackDelayExponent > MAX_ACK_DELAY_EXPONENT) throw paramError('ack_delay_exponent > 20');
      return;
    case Id.MAX_ACK_DELAY:
      p.maxAckDelay = readInteger(v, 'max_ack_delay');
      if (p.maxAckDelay >= MAX_ACK_DELAY_LIMIT) throw paramError('max_ack_delay >= 2^14');
      return;
    case Id.DISABLE_ACTIVE_MIGRATION:
      p.disableActiveMigration = readEmpty(v, 'disable_active_migration');
      return;
    case Id.PREFERRED_ADDRESS:
      p.preferredAddress = readPreferredAddress(v);
      return;
    case Id.ACTIVE_CONNECTION_ID_LIMIT:
      p.activeConnectionIdLimit = readInteger(v, 'active_connection_id_limit');
      if (p.activeConnectionIdLimit < MIN_ACTIVE_CID_LIMIT) {
        throw paramError('active_connection_id_limit < 2');
      }
      return;
    case Id.INITIAL_SOURCE_CONNECTION_ID:
      p.initialSourceConnectionId = readConnectionId(v, 'initial_source_connection_id');
      return;
    case Id.RETRY_SOURCE_CONNECTION_ID:
      p.retrySourceConnectionId = readConnectionId(v, 'retry_source_connection_id');
      return;
    case Id.VERSION_INFORMATION:
      p.versionInformation = readVersionInformation(v, sender);
      return;
    case Id.MAX_DATAGRAM_FRAME_SIZE:
      p.maxDatagramFrameSize = readInteger(v, 'max_datagram_frame_size');
      return;
    case Id.GREASE_QUIC_BIT:
      // RFC 9287 §3: a non-empty value is a TRANSPORT_PARAMETER_ERROR.
      p.greaseQuicBit = readEmpty(v, 'grease_quic_bit');
      return;
    case Id.MIN_ACK_DELAY:
      p.minAckDelay = readInteger(v, 'min_ack_delay');
      return;
    case Id.INITIAL_MAX_PATH_ID:
      p.initialMaxPathId = readInteger(v, 'initial_max_path_id');
      // RFC 10069 §2.1: above 2^32-1 is a TRANSPORT_PARAMETER_ERROR.
      if (p.initialMaxPathId > MAX_PATH_ID) throw paramError('initial_max_path_id > 2^32-1');
      return;
    default:
      // Unknown, including reserved 31 * N + 27 identifiers: ignored (RFC 9000 §18.1).
      return;
  }
}
