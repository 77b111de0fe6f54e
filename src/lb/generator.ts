/**
 * A server's QUIC-LB connection IDs (draft-ietf-quic-load-balancers-21 §5.4): its server ID and
 * a fresh nonce under one configuration. With a key, nonces count up from a random start, so no
 * nonce repeats until the counter comes back round (§9.4 "Connection ID Entropy"); once it has,
 * the server has exhausted the configuration and issues unroutable CIDs (config rotation 0b111,
 * §3.2) rather than reuse a nonce. Without a key, nonces are random: a counter would link the
 * CIDs of a connection in the clear.
 */
import { defaultProvider } from '../crypto/default-provider.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { QuicLbCipher } from './cid-cipher.js';
import { UNROUTABLE_CONFIG_ID, type QuicLbConfig } from './config.js';

export interface QuicLbServerConfig extends QuicLbConfig {
  /** This server's ID, `serverIdLength` bytes, as the load balancer maps it to the server. */
  readonly serverId: Uint8Array;
}

export class QuicLbCidGenerator {
  readonly cidLength: number;
  private readonly cipher: QuicLbCipher;
  private readonly serverId: Uint8Array;
  private readonly counter: Uint8Array | null;
  private readonly counterStart: Uint8Array | null;
  private exhausted = false;

  constructor(
    config: QuicLbServerConfig,
    private readonly provider: CryptoProvider = defaultProvider,
  ) {
    this.cipher = new QuicLbCipher(config, provider);
    if (config.serverId.length !== config.serverIdLength)
      throw new RangeError(`QUIC-LB serverId must be ${config.serverIdLength} bytes`);
    this.serverId = config.serverId.slice();
    this.cidLength = this.cipher.cidLength;
    this.counter = config.key ? provider.random(config.nonceLength) : null;
    this.counterStart = this.counter?.slice() ?? null;
  }

  /** Whether the nonces ran out and the CIDs issued now are unroutable (§3.2). */
  get isExhausted(): boolean {
    return this.exhausted;
  }

  /** A new connection ID. */
  next(): Uint8Array {
    if (this.exhausted) return this.unroutable();
    // §3.3: without length self-encoding the low five bits are random.
    const low = this.cipher.config.encodeLength === false ? this.provider.random(1)[0]! & 0x1f : 0;
    if (this.counter === null) {
      const nonce = this.provider.random(this.cipher.config.nonceLength);
      return this.cipher.encode(this.serverId, nonce, low);
    }
    const cid = this.cipher.encode(this.serverId, this.counter, low);
    this.increment();
    return cid;
  }

  private increment(): void {
    const n = this.counter!;
    for (let i = n.length - 1; i >= 0; i--) {
      n[i] = (n[i]! + 1) & 0xff;
      if (n[i] !== 0) break;
    }
    if (n.every((b, i) => b === this.counterStart![i])) this.exhausted = true;
  }

  /** §3.2: 0b111, the length self-encoded, the rest random. */
  private unroutable(): Uint8Array {
    const cid = this.provider.random(this.cidLength);
    cid[0] = (UNROUTABLE_CONFIG_ID << 5) | (this.cidLength - 1);
    return cid;
  }
}
