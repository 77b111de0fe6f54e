/**
 * The shapes a dissection returns (dissect.ts), apart from the dissector, so the formatter
 * (dissect-format.ts) and the dissector need not import each other.
 */
import type { Frame } from '../wire/frame-types.js';
import type { TlsMessageSummary } from './dissect-tls.js';

/** Packet types as the dissector names them; `unknown` is a long header of another version. */
export type DissectedPacketType =
  'initial' | '0rtt' | 'handshake' | 'retry' | '1rtt' | 'version_negotiation' | 'unknown';

export type Sender = 'client' | 'server';

/** One packet of a datagram. Absent fields are not on the wire or could not be read. */
export interface DissectedPacket {
  type: DissectedPacketType;
  /** Where the packet starts in its datagram, and its size in bytes. */
  offset: number;
  size: number;
  /** Which endpoint sent it, when the keys that opened it tell (Initial keys do). */
  sender?: Sender;
  /** Absent for 1-RTT packets, which carry none; 0 for Version Negotiation. */
  version?: number;
  /** Hex. Absent for a 1-RTT packet whose DCID length is unknown. */
  dcid?: string;
  /** Hex; long headers only. */
  scid?: string;
  /** Hex; Initial and Retry packets. */
  token?: string;
  /** The Length field of Initial, 0-RTT and Handshake packets (RFC 9000 §17.2). */
  length?: number;
  /** The full packet number, once header protection is removed. */
  packetNumber?: number;
  packetNumberLength?: number;
  /** 1-RTT: the Key Phase bit (protected) and the Spin bit (not protected), RFC 9000 §17.3.1. */
  keyPhase?: 0 | 1;
  spin?: boolean;
  /** The decrypted frames, in order; views into the dissector's copy of the datagram. */
  frames?: Frame[];
  /** Handshake messages this packet completed in its CRYPTO stream. */
  tls?: TlsMessageSummary[];
  /** Version Negotiation: the versions offered. */
  versions?: number[];
  /** Retry: the integrity tag (hex) and whether it verifies against the Original DCID. */
  integrityTag?: string;
  integrity?: 'valid' | 'invalid' | 'unchecked';
  /**
   * Why the packet could not be decoded or is not valid: "no keys for handshake packets",
   * "authentication failed", a malformed frame, a frame not allowed in this packet type, ...
   */
  error?: string;
}

export interface DissectedDatagram {
  size: number;
  packets: DissectedPacket[];
  /** Zero bytes after the last packet: padding some stacks add, not a packet (RFC 9000 §12.2). */
  trailingZeros?: number;
}
