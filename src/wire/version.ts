/**
 * QUIC version numbers and the version-specific long-header packet type codes.
 * RFC 9000 §15 (versions), §17.2 (long header types), RFC 9369 §3.2 (QUIC v2 type codes).
 */

/** QUIC version 1, RFC 9000. */
export const QUIC_V1 = 0x00000001;
/** QUIC version 2, RFC 9369 §3.1. */
export const QUIC_V2 = 0x6b3343cf;
/** The version field of a Version Negotiation packet (RFC 9000 §17.2.1). */
export const VERSION_NEGOTIATION = 0x00000000;

/** Versions this stack speaks, in order of preference. */
export const SUPPORTED_VERSIONS: readonly number[] = [QUIC_V1, QUIC_V2];

export function isSupportedVersion(version: number): boolean {
  return version === QUIC_V1 || version === QUIC_V2;
}

/**
 * Versions of the form 0x?a?a?a?a are reserved to exercise version negotiation and are never
 * selected (RFC 9000 §15).
 */
export function isReservedVersion(version: number): boolean {
  return (version & 0x0f0f0f0f) === 0x0a0a0a0a;
}

/**
 * A reserved (grease) version built from 32 random bits: the high nibble of every byte comes from
 * `random`, the low nibble is 0xa (RFC 9000 §15).
 */
export function greaseVersion(random: number): number {
  return ((random & 0xf0f0f0f0) | 0x0a0a0a0a) >>> 0;
}

/**
 * Packet types, independent of how a version encodes them on the wire. The long-header codes
 * differ between v1 and v2; use longTypeBits / packetTypeFromBits to convert.
 */
export const PacketType = {
  Initial: 0,
  ZeroRtt: 1,
  Handshake: 2,
  Retry: 3,
  OneRtt: 4,
  VersionNegotiation: 5,
} as const;
export type PacketType = (typeof PacketType)[keyof typeof PacketType];

/** A packet type carried in a long header with a Long Packet Type field. */
export type LongPacketType =
  | typeof PacketType.Initial
  | typeof PacketType.ZeroRtt
  | typeof PacketType.Handshake
  | typeof PacketType.Retry;

const TYPE_NAMES = ['initial', '0RTT', 'handshake', 'retry', '1RTT', 'version_negotiation'];

/** The qlog name of a packet type (draft-ietf-quic-qlog-quic-events, PacketType). */
export function packetTypeName(type: PacketType): string {
  return TYPE_NAMES[type]!;
}

/**
 * The two Long Packet Type bits (before shifting into 0x30) for `type` in `version`.
 * v1: Initial 0, 0-RTT 1, Handshake 2, Retry 3 (RFC 9000 §17.2, Table 5).
 * v2: Initial 1, 0-RTT 2, Handshake 3, Retry 0 (RFC 9369 §3.2).
 */
export function longTypeBits(version: number, type: PacketType): number {
  if (type > PacketType.Retry) throw new RangeError(`packet type ${type} has no long header code`);
  if (version === QUIC_V1) return type;
  if (version === QUIC_V2) return (type + 1) & 3;
  throw new RangeError(`unsupported version 0x${version.toString(16)}`);
}

/** Inverse of longTypeBits: the packet type for the two Long Packet Type bits of `version`. */
export function packetTypeFromBits(version: number, bits: number): LongPacketType {
  if (version === QUIC_V1) return (bits & 3) as LongPacketType;
  if (version === QUIC_V2) return ((bits + 3) & 3) as LongPacketType;
  throw new RangeError(`unsupported version 0x${version.toString(16)}`);
}
