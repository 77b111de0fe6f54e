/**
 * Bytes waiting to be accepted by one QUIC stream. The transport takes what its buffer and flow
 * control allow (H3Stream.write returns the count); the rest waits here until handleWritable.
 * Frames are queued whole and in order, so HTTP/3 framing is never interleaved.
 */
import type { H3Stream } from './transport.js';
import { copyBytes } from '../../util/bytes.js';

const EMPTY = new Uint8Array(0);

export class SendQueue {
  private readonly chunks: Uint8Array[] = [];
  private finQueued = false;
  private finSent = false;
  /** Guards against a transport that reports writability from inside write(). */
  private flushing = false;
  /** Bytes queued and not yet accepted by the transport. */
  queued = 0;

  /** `stream` may be attached later (a critical stream not opened yet). */
  constructor(private stream: H3Stream | null = null) {}

  /** The QUIC stream's ID once attached, else null. */
  get streamId(): number | null {
    return this.stream?.id ?? null;
  }

  attach(stream: H3Stream): void {
    this.stream = stream;
    this.flush();
  }

  /** Whether everything including the FIN has been accepted by the transport. */
  get finished(): boolean {
    return this.finSent;
  }

  /**
   * Queues bytes (and the FIN after them when `fin`) and writes what the transport accepts.
   * `borrowed` chunks belong to the caller: any part not accepted at once is copied.
   */
  push(chunk: Uint8Array, fin = false, borrowed = false): void {
    if (this.finQueued) throw new RangeError('stream already ended');
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.queued += chunk.length;
    }
    this.finQueued = fin;
    this.flush();
    if (borrowed) {
      for (let i = 0; i < this.chunks.length; i++) {
        if (this.chunks[i]!.buffer === chunk.buffer) this.chunks[i] = copyBytes(this.chunks[i]!);
      }
    }
  }

  /** Writes queued bytes until the transport stops accepting them. */
  flush(): void {
    const stream = this.stream;
    if (stream === null || this.finSent || this.flushing) return;
    this.flushing = true;
    try {
      this.writeQueued(stream);
    } finally {
      this.flushing = false;
    }
  }

  private writeQueued(stream: H3Stream): void {
    while (this.chunks.length > 0) {
      const chunk = this.chunks[0]!;
      const fin = this.finQueued && this.chunks.length === 1;
      const n = stream.write(chunk, fin);
      this.queued -= n;
      if (n < chunk.length) {
        this.chunks[0] = chunk.subarray(n);
        return;
      }
      this.chunks.shift();
      if (fin) {
        this.finSent = true;
        return;
      }
    }
    if (this.finQueued) {
      stream.write(EMPTY, true);
      this.finSent = true;
    }
  }

  /**
   * Abruptly ends the stream (RESET_STREAM with `code`) unless everything was already sent, and
   * drops the queue.
   */
  reset(code: number): void {
    if (this.stream !== null && !this.finSent) this.stream.reset(code);
    this.discard();
  }

  /** Drops everything queued; nothing more is sent. */
  discard(): void {
    this.chunks.length = 0;
    this.queued = 0;
    this.finQueued = true;
    this.finSent = true;
  }
}
