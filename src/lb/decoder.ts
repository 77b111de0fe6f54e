/**
 * The load balancer's side of QUIC-LB (draft-ietf-quic-load-balancers-21 §4, §5.5): find the
 * Destination CID of a datagram, pick the configuration by its config rotation bits and recover
 * the server ID. What to do with an unroutable datagram (§4.2 fallback: 4-tuple hashing, tables)
 * is the load balancer's policy and stays with the caller.
 */
import { defaultProvider } from '../crypto/default-provider.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { QuicLbCipher } from './cid-cipher.js';
import type { QuicLbConfig } from './config.js';

export interface QuicLbRoute {
  /** The config rotation codepoint of the CID. */
  configId: number;
  /** The server ID (a copy). */
  serverId: Uint8Array;
}

export class QuicLbDecoder {
  /** By config rotation codepoint (0..6). */
  private readonly ciphers: (QuicLbCipher | undefined)[] = [];

  /** At most one configuration per config rotation codepoint (§3.1). */
  constructor(configs: readonly QuicLbConfig[], provider: CryptoProvider = defaultProvider) {
    for (const c of configs) {
      if (this.ciphers[c.configId] !== undefined)
        throw new RangeError(`two QUIC-LB configurations use configId ${c.configId}`);
      this.ciphers[c.configId] = new QuicLbCipher(c, provider);
    }
  }

  /** The server a connection ID routes to, or null when it is unroutable (§4.1). */
  decode(cid: Uint8Array): QuicLbRoute | null {
    if (cid.length === 0) return null;
    const configId = cid[0]! >>> 5;
    const serverId = this.ciphers[configId]?.decode(cid) ?? null;
    return serverId === null ? null : { configId, serverId };
  }

  /**
   * The server a UDP datagram's first packet routes to, by its Destination CID: from the long
   * header's length field, or for a short header the length of the configuration its first
   * octet names (§4.1; RFC 8999 §5.3). Null when unroutable, including client-chosen Initial
   * DCIDs, which the caller routes by its fallback algorithm (§4.3).
   */
  route(datagram: Uint8Array): QuicLbRoute | null {
    const length = this.dcidLength(datagram);
    if (length < 0) return null;
    const start = dcidStart(datagram);
    return this.decode(datagram.subarray(start, start + length));
  }

  /**
   * @internal
   * route() for a router's per-datagram decision, allocating nothing: the config rotation
   * codepoint, with the server ID written to `serverId` (room for MAX_SERVER_ID_LENGTH octets);
   * -1 when unroutable.
   */
  routeInto(datagram: Uint8Array, serverId: Uint8Array): number {
    const length = this.dcidLength(datagram);
    if (length <= 0) return -1;
    const start = dcidStart(datagram);
    const configId = datagram[start]! >>> 5;
    const cipher = this.ciphers[configId];
    return cipher !== undefined && cipher.decodeInto(datagram, start, length, serverId)
      ? configId
      : -1;
  }

  /**
   * The length of the datagram's Destination CID: from the long header's length field, or for a
   * short header the length of the configuration its first octet names (§4.1; RFC 8999 §5.3);
   * -1 when the datagram is too short or names no configuration.
   */
  private dcidLength(datagram: Uint8Array): number {
    if (datagram.length < 2) return -1;
    if ((datagram[0]! & 0x80) !== 0) {
      // RFC 8999 §5.1: flags(1) version(4) dcid_len(1) dcid.
      if (datagram.length < LONG_DCID_START) return -1;
      const length = datagram[LONG_DCID_START - 1]!;
      return datagram.length < LONG_DCID_START + length ? -1 : length;
    }
    const cipher = this.ciphers[datagram[SHORT_DCID_START]! >>> 5];
    if (cipher === undefined || datagram.length < SHORT_DCID_START + cipher.cidLength) return -1;
    return cipher.cidLength;
  }
}

/** RFC 8999 §5.1: the long header's Destination CID follows its length octet. */
const LONG_DCID_START = 6;
/** RFC 8999 §5.2: the short header's Destination CID follows the first octet. */
const SHORT_DCID_START = 1;

function dcidStart(datagram: Uint8Array): number {
  return (datagram[0]! & 0x80) !== 0 ? LONG_DCID_START : SHORT_DCID_START;
}
