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
    if (datagram.length < 2) return null;
    if ((datagram[0]! & 0x80) !== 0) {
      // RFC 8999 §5.1: flags(1) version(4) dcid_len(1) dcid.
      if (datagram.length < 6) return null;
      const len = datagram[5]!;
      if (datagram.length < 6 + len) return null;
      return this.decode(datagram.subarray(6, 6 + len));
    }
    const cipher = this.ciphers[datagram[1]! >>> 5];
    if (cipher === undefined || datagram.length < 1 + cipher.cidLength) return null;
    return this.decode(datagram.subarray(1, 1 + cipher.cidLength));
  }
}
