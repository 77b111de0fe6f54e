/**
 * A flood of spoofed client Initials for the in-memory network: an endpoint that sends `count`
 * Initials at an even pace, each from a random address and with a fresh random connection ID.
 * Every one is a real client's first Initial (a ClientHello in a CRYPTO frame, padded to 1200
 * bytes) protected with the Initial keys of its own DCID (RFC 9001 §5.2), so it passes a
 * server's trial decryption and looks like a new client; none of the senders ever answers.
 * This is the attack of RFC 9000 §21.1.1 / §8.1 against a server's handshake state.
 */
import { Engine } from '../engine/engine.js';
import { createInitialProtectors } from '../crypto/initial.js';
import { defaultProvider } from '../crypto/default-provider.js';
import type { CryptoProvider } from '../crypto/provider.js';
import type { SocketAddress } from '../util/address.js';
import { SeededRandom } from '../util/random.js';
import { parseLongHeader } from '../wire/header.js';
import { decodePacketNumber } from '../wire/packet-number.js';
import { PacketType } from '../wire/version.js';
import { forgeLongPacket } from './forge.js';
import type { SansIoEndpoint, Transmit } from './network.js';

export interface InitialFloodOptions {
  /** The server attacked. */
  target: SocketAddress;
  /** Initials to send. */
  count: number;
  /** Virtual time (µs) the first one leaves. Default 0. */
  start?: number;
  /** Over how long (µs) they are spread. */
  duration: number;
  /** ALPN offered in the ClientHello. Default ['test']. */
  alpn?: string[];
  /** Seed of the addresses and CIDs. Default 1. */
  seed?: number;
  provider?: CryptoProvider;
}

/**
 * The frames of a real client's first Initial (a ClientHello), decrypted, and its SCID (which
 * the ClientHello names in initial_source_connection_id, RFC 9000 §7.3).
 */
export function clientInitialPayload(
  target: SocketAddress,
  alpn: string[],
  provider: CryptoProvider = defaultProvider,
): { frames: Uint8Array; scid: Uint8Array } {
  const client = new Engine({ crypto: provider });
  // A classic key share keeps the whole ClientHello in this one Initial (a post-quantum one
  // spans two, and half a ClientHello costs the server no handshake work).
  client.connect(target, { alpn, serverName: 'localhost', groups: ['x25519'] }, 0);
  const datagram = client.pollTransmit(0)!.data.slice();
  const h = parseLongHeader(datagram, 0);
  if ('drop' in h || h.type !== PacketType.Initial) throw new Error('no client Initial');
  const keys = createInitialProtectors(provider, h.version, h.dcid).client;
  const pnLength = keys.removeHeaderProtection(datagram, 0, h.pnOffset, h.end);
  const pn = decodePacketNumber(-1, keys.truncatedPn, pnLength * 8);
  const n = keys.openPayload(datagram, 0, h.pnOffset, pnLength, pn, h.end);
  if (pnLength < 0 || n < 0) throw new Error('cannot open the client Initial');
  const start = h.pnOffset + pnLength;
  return { frames: datagram.slice(start, start + n), scid: h.scid.slice() };
}

export class InitialFlood implements SansIoEndpoint {
  private readonly rng: SeededRandom;
  private readonly payload: { frames: Uint8Array; scid: Uint8Array };
  private readonly start: number;
  private readonly interval: number;
  private readonly provider: CryptoProvider;
  /** Initials sent so far. */
  sent = 0;

  constructor(private readonly opts: InitialFloodOptions) {
    this.rng = new SeededRandom(opts.seed ?? 1);
    this.provider = opts.provider ?? defaultProvider;
    this.payload = clientInitialPayload(opts.target, opts.alpn ?? ['test'], this.provider);
    this.start = opts.start ?? 0;
    this.interval = opts.duration / opts.count;
  }

  /**
   * A new spoofed Initial: a fresh DCID, sealed with that DCID's keys. The SCID stays the one the
   * ClientHello names, so the server finds nothing wrong until the client fails to answer.
   */
  forge(): Uint8Array {
    const dcid = this.rng.bytes(8);
    return forgeLongPacket({
      type: 'initial',
      version: 1,
      dcid,
      scid: this.payload.scid,
      packetNumber: 0,
      frames: [],
      rawPayload: this.payload.frames,
      protector: createInitialProtectors(this.provider, 1, dcid).client,
      minSize: 1200,
    });
  }

  /** A random address in 10.128.0.0/9, port 1024..65535: reaches no endpoint of the network. */
  spoofedAddress(): SocketAddress {
    const r = this.rng;
    return {
      address: `10.${128 + r.int(128)}.${r.int(256)}.${1 + r.int(254)}`,
      port: 1024 + r.int(64512),
    };
  }

  handleDatagram(): void {
    // Answers go to the spoofed addresses, never here.
  }

  pollTransmit(now: number): Transmit | null {
    if (this.sent >= this.opts.count || now < this.nextSend()) return null;
    this.sent++;
    return { data: this.forge(), remote: this.opts.target, local: this.spoofedAddress() };
  }

  nextTimeout(): number {
    return this.sent < this.opts.count ? this.nextSend() : Infinity;
  }

  handleTimeout(): void {
    // Sending is driven by pollTransmit.
  }

  private nextSend(): number {
    return this.start + this.sent * this.interval;
  }
}
