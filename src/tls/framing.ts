/**
 * Reassembly of handshake messages from the in-order CRYPTO stream of one encryption level
 * (RFC 9001 §4.1.3: "TLS is responsible for buffering handshake bytes that have arrived in
 * order"). A message may arrive split at any byte, or several may arrive in one chunk. The
 * buffer is bounded: a message whose header announces more than `maxMessageSize` is refused
 * before its body is buffered.
 */
import { alert } from './alert.js';

const EMPTY = new Uint8Array(0);

export interface HandshakeMessage {
  readonly type: number;
  /** The body, a view into `raw`. */
  readonly body: Uint8Array;
  /** The whole message with its 4-byte header (what the transcript hashes); owned. */
  readonly raw: Uint8Array;
}

export class HandshakeReassembler {
  /** Holds only a partial message: dropped whenever every byte was returned. */
  private buf = EMPTY;
  private start = 0;
  private end = 0;

  constructor(private readonly maxMessageSize: number) {}

  /** Bytes received and not yet returned as a message. */
  get buffered(): number {
    return this.end - this.start;
  }

  /** Appends `data` (copied: the caller may reuse its buffer). */
  push(data: Uint8Array): void {
    if (data.length === 0) return;
    const need = this.end - this.start + data.length;
    if (this.end + data.length > this.buf.length) {
      if (need <= this.buf.length) {
        this.buf.copyWithin(0, this.start, this.end);
      } else {
        const nb = new Uint8Array(Math.max(need, this.buf.length * 2, 256));
        nb.set(this.buf.subarray(this.start, this.end));
        this.buf = nb;
      }
      this.end -= this.start;
      this.start = 0;
    }
    this.buf.set(data, this.end);
    this.end += data.length;
  }

  /**
   * The next complete message, or null when more bytes are needed. Throws a TlsAlert when a
   * header announces a message larger than the bound.
   */
  next(): HandshakeMessage | null {
    const avail = this.end - this.start;
    if (avail < 4) return null;
    const b = this.buf;
    const s = this.start;
    const length = (b[s + 1]! << 16) | (b[s + 2]! << 8) | b[s + 3]!;
    if (length > this.maxMessageSize) {
      throw alert('illegal_parameter', `handshake message of ${length} bytes exceeds the limit`);
    }
    if (avail < 4 + length) return null;
    const raw = b.slice(s, s + 4 + length);
    this.start += 4 + length;
    if (this.start === this.end) {
      // Messages are few and far between once a flight is read (a session ticket after the
      // handshake): keep no buffer while none is partial.
      this.buf = EMPTY;
      this.start = this.end = 0;
    }
    return { type: raw[0]!, body: raw.subarray(4), raw };
  }
}
