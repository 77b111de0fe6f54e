/**
 * The handshake transcript (RFC 8446 §4.4.1). The provider hashes in one shot, so the transcript
 * keeps the messages themselves (a few kilobytes) and hashes on demand; this also lets the
 * client keep its ClientHello before the ServerHello fixes the hash function. Once the handshake
 * is over the session releases it: nothing in QUIC hashes the transcript afterwards.
 */
import type { CryptoProvider, HashAlg } from '../crypto/provider.js';
import { Writer } from '../util/cursor.js';
import { HandshakeType } from './constants.js';

export class Transcript {
  /** The messages so far; null once released. */
  private w: Writer | null = Writer.growable(2048);

  constructor(private readonly provider: CryptoProvider) {}

  /** Whether `release` dropped the messages. */
  get released(): boolean {
    return this.w === null;
  }

  /** Appends a whole handshake message (header included). */
  add(message: Uint8Array): void {
    this.writer().bytes(message);
  }

  /** Transcript-Hash of everything added so far. */
  hash(alg: HashAlg): Uint8Array {
    return this.provider.hash(alg, this.writer().view());
  }

  /** Transcript-Hash of everything added so far followed by `extra` (not added). */
  hashWith(alg: HashAlg, extra: Uint8Array): Uint8Array {
    const w = this.writer();
    const mark = w.pos;
    w.bytes(extra);
    const h = this.provider.hash(alg, w.view());
    w.pos = mark;
    return h;
  }

  /**
   * After a HelloRetryRequest, ClientHello1 is replaced by the synthetic message
   * `message_hash(254) || 00 00 Hash.length || Hash(ClientHello1)` (RFC 8446 §4.4.1).
   * The transcript must hold exactly ClientHello1 when this is called.
   */
  replaceWithMessageHash(alg: HashAlg): void {
    const h = this.hash(alg);
    const w = this.writer();
    w.reset();
    w.u8(HandshakeType.message_hash).u24(h.length).bytes(h);
  }

  /** Drops the messages; any later use is a TypeError. */
  release(): void {
    this.w = null;
  }

  private writer(): Writer {
    if (this.w === null) throw new TypeError('the handshake transcript was released');
    return this.w;
  }
}
