/**
 * A QUIC stream as a Node `stream.Duplex` (and so an async iterable of Buffers), with
 * backpressure both ways:
 * - writing: `_write` hands the chunk to the core stream, whose `write()` accepts what fits in
 *   its send buffer; the rest waits for the connection's `writable` event before the callback
 *   runs, so the Duplex buffers at most its highWaterMark beyond the core's send buffer.
 * - reading: data is taken from the core only while `push()` wants more. Reading is what returns
 *   flow-control credit to the peer (RFC 9000 §4.1), so a slow consumer slows the sender.
 *
 * A unidirectional stream is a Duplex with only its readable or only its writable side.
 */
import { Duplex, type DuplexOptions } from 'node:stream';
import type { Stream, StreamPriority } from '../stream/stream.js';
import { QuicNodeError, QuicStreamError } from './errors.js';
import type { FlushReader } from './endpoint.js';

/**
 * The application error code a destroyed stream resets with (RFC 9000 §19.4): the error's own
 * numeric `code` when it has one (an integer from 0 to 2^53-1), 0 without an error or when the peer's reset
 * or STOP_SENDING ended it (QuicStreamError), else 0x1.
 */
function resetCode(err: Error | null): number {
  if (err === null || err instanceof QuicStreamError) return 0;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'number' && Number.isSafeInteger(code) && code >= 0) return code;
  return 0x1;
}

/** Largest chunk taken from the core per read. */
const READ_CHUNK = 64 * 1024;
const EMPTY_BUFFER = Buffer.alloc(0);

export interface QuicStreamOptions {
  /** Duplex buffer sizes, bytes. Default 64 KiB. */
  highWaterMark?: number;
}

/** The connection side a stream reports to. */
export interface StreamHost {
  /** The stream is done with: forget it. */
  release(stream: QuicStream): void;
  /**
   * The stream has data to read: call its `readBeforeFlush()` soon, in this turn.
   * @internal
   */
  readSoon(reader: FlushReader): void;
  /** Whether the connection can still carry the stream's frames. */
  readonly usable: boolean;
}

/**
 * The events of a QuicStream: the Duplex ones, and 'stopSending' (code): the peer asked us to
 * stop sending (RFC 9000 §3.5) and the stream was reset on its own. As for Node's own streams,
 * other event names are accepted.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- the catch-all overload of Duplex */
// Only overloads of methods Duplex implements: nothing is declared that does not exist.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface QuicStream {
  on(event: 'stopSending', listener: (code: number) => void): this;
  on(event: 'close', listener: () => void): this;
  on(event: 'data', listener: (chunk: Buffer) => void): this;
  on(event: 'drain', listener: () => void): this;
  on(event: 'end', listener: () => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: 'finish', listener: () => void): this;
  on(event: 'readable', listener: () => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  once(event: 'stopSending', listener: (code: number) => void): this;
  once(event: 'close', listener: () => void): this;
  once(event: 'data', listener: (chunk: Buffer) => void): this;
  once(event: 'drain', listener: () => void): this;
  once(event: 'end', listener: () => void): this;
  once(event: 'error', listener: (err: Error) => void): this;
  once(event: 'finish', listener: () => void): this;
  once(event: 'readable', listener: () => void): this;
  once(event: string | symbol, listener: (...args: any[]) => void): this;
  addListener(event: 'stopSending', listener: (code: number) => void): this;
  addListener(event: 'close', listener: () => void): this;
  addListener(event: 'data', listener: (chunk: Buffer) => void): this;
  addListener(event: 'drain', listener: () => void): this;
  addListener(event: 'end', listener: () => void): this;
  addListener(event: 'error', listener: (err: Error) => void): this;
  addListener(event: 'finish', listener: () => void): this;
  addListener(event: 'readable', listener: () => void): this;
  addListener(event: string | symbol, listener: (...args: any[]) => void): this;
  prependListener(event: 'stopSending', listener: (code: number) => void): this;
  prependListener(event: 'close', listener: () => void): this;
  prependListener(event: 'data', listener: (chunk: Buffer) => void): this;
  prependListener(event: 'drain', listener: () => void): this;
  prependListener(event: 'end', listener: () => void): this;
  prependListener(event: 'error', listener: (err: Error) => void): this;
  prependListener(event: 'finish', listener: () => void): this;
  prependListener(event: 'readable', listener: () => void): this;
  prependListener(event: string | symbol, listener: (...args: any[]) => void): this;
  prependOnceListener(event: 'stopSending', listener: (code: number) => void): this;
  prependOnceListener(event: 'close', listener: () => void): this;
  prependOnceListener(event: 'data', listener: (chunk: Buffer) => void): this;
  prependOnceListener(event: 'drain', listener: () => void): this;
  prependOnceListener(event: 'end', listener: () => void): this;
  prependOnceListener(event: 'error', listener: (err: Error) => void): this;
  prependOnceListener(event: 'finish', listener: () => void): this;
  prependOnceListener(event: 'readable', listener: () => void): this;
  prependOnceListener(event: string | symbol, listener: (...args: any[]) => void): this;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class QuicStream extends Duplex {
  /** The stream ID (RFC 9000 §2.1). */
  readonly id: number;
  /** The core stream, for what the Duplex does not expose. */
  readonly core: Stream;
  private readonly host: StreamHost;
  /** The rest of a chunk the core did not take yet, and the callback to run when it has. */
  private pendingWrite: { data: Uint8Array; cb: (err?: Error | null) => void } | null = null;
  private wantsData = false;
  /** reset() abandoned sending: later writes are discarded. */
  private sendAbandoned = false;
  private pulling = false;
  /** onReadable asked the host for a read that has not run yet. */
  private readQueued = false;
  private ended = false;

  constructor(core: Stream, host: StreamHost, opts: QuicStreamOptions = {}) {
    // Node's Duplex takes `readable: false` / `writable: false` for one-sided streams (the
    // typings omit them): a unidirectional stream has only one side.
    const sides = { readable: core.canReceive, writable: core.canSend };
    super({
      ...sides,
      allowHalfOpen: true,
      highWaterMark: opts.highWaterMark ?? 64 * 1024,
      // Reads return Buffers; writes accept Buffers, Uint8Arrays and strings.
      decodeStrings: true,
    } as DuplexOptions);
    this.id = core.id;
    this.core = core;
    this.host = host;
  }

  /** Whether the stream was opened by the peer. */
  get remote(): boolean {
    return !this.core.locallyInitiated;
  }

  get bidirectional(): boolean {
    return this.core.bidirectional;
  }

  /** Bytes the core has acknowledged of what was written (RFC 9000 §3.1 "Data Recvd" when all). */
  get bytesAcked(): number {
    return this.core.bytesAcked;
  }

  /** Sets the scheduling priority (RFC 9218 §4). */
  setPriority(priority: Partial<StreamPriority>): void {
    this.core.setPriority(priority);
  }

  /**
   * Abandons sending with RESET_STREAM (RFC 9000 §19.4) and ends the writable side: buffered
   * and later writes are discarded. The readable side stays open.
   */
  reset(errorCode: number): void {
    if (!this.core.canSend) throw new TypeError(`stream ${this.id} has no sending part`);
    if (this.host.usable) this.core.reset(errorCode);
    this.sendAbandoned = true;
    const p = this.pendingWrite;
    this.pendingWrite = null;
    p?.cb();
    if (!this.writableEnded) this.end();
  }

  /** Stops reading with STOP_SENDING (RFC 9000 §19.5); unread and later data is discarded. */
  stopSending(errorCode: number): void {
    if (!this.core.canReceive) throw new TypeError(`stream ${this.id} has no receiving part`);
    if (this.host.usable) this.core.stopSending(errorCode);
    if (!this.ended) {
      this.ended = true;
      this.push(null);
    }
  }

  /**
   * Whether everything written was acknowledged (with the FIN once the writable side ended), or
   * sending was abandoned: what a graceful connection close waits for.
   */
  get sendDone(): boolean {
    const s = this.core.sendState;
    if (s === null || s === 'data_recvd' || s === 'reset_sent' || s === 'reset_recvd') return true;
    if (this.writableEnded || s === 'data_sent') return false;
    return (
      this.pendingWrite === null &&
      this.writableLength === 0 &&
      this.core.bytesAcked === this.core.bytesWritten
    );
  }

  // ---- Duplex implementation --------------------------------------------------------------

  override _write(
    chunk: Buffer,
    _encoding: BufferEncoding,
    cb: (err?: Error | null) => void,
  ): void {
    this.writeSome(chunk, cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    try {
      if (this.core.writable) this.core.end();
      cb();
    } catch (e) {
      cb(this.usageError(e));
    }
  }

  override _read(): void {
    this.wantsData = true;
    this.pull();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    // An abandoned stream tells the peer (RFC 9000 §3.5): reset what we send, stop what we read.
    if (this.host.usable) {
      const code = resetCode(err);
      try {
        if (this.core.canSend && this.core.writable) this.core.reset(code);
        if (this.core.canReceive && !this.ended && this.core.recvState === 'recv') {
          this.core.stopSending(code);
        }
      } catch {
        // The stream or connection closed meanwhile: nothing left to tell.
      }
    }
    if (this.pendingWrite !== null) {
      this.failPendingWrite(
        err ?? new QuicNodeError('ERR_QUIC_CLOSED', `stream ${this.id} destroyed`),
      );
    }
    this.host.release(this);
    cb(err);
  }

  // ---- events from the connection -----------------------------------------------------------

  /**
   * The core has data (or the end) to read. Read once the burst of packets that brought it is
   * processed (endpoint.ts readSoon), not per packet: one Buffer and one 'data' event per burst.
   */
  onReadable(): void {
    if (!this.wantsData || this.readQueued) return;
    this.readQueued = true;
    this.host.readSoon(this);
  }

  /** The read asked for by onReadable. */
  readBeforeFlush(): void {
    this.readQueued = false;
    if (this.wantsData) this.pull();
  }

  /** The core's send buffer has room again. */
  onWritable(): void {
    const p = this.pendingWrite;
    if (p === null) return;
    this.pendingWrite = null;
    this.writeSome(p.data, p.cb);
  }

  /** The peer reset its sending part: reading fails with the code. */
  onPeerReset(errorCode: number): void {
    this.fail(
      new QuicStreamError(
        'ERR_QUIC_STREAM_RESET',
        `stream ${this.id} was reset by the peer (code 0x${errorCode.toString(16)})`,
        errorCode,
        this.id,
      ),
    );
  }

  /**
   * The peer asked us to stop sending (RFC 9000 §3.5); the core already answered with
   * RESET_STREAM. The writable side is over: a pending write fails (when someone listens for
   * errors), later writes are discarded, and 'stopSending' (code) is emitted.
   */
  onPeerStopSending(errorCode: number): void {
    this.sendAbandoned = true;
    const p = this.pendingWrite;
    this.pendingWrite = null;
    if (p !== null) {
      const err = new QuicStreamError(
        'ERR_QUIC_STREAM_STOPPED',
        `the peer stopped reading stream ${this.id} (code 0x${errorCode.toString(16)})`,
        errorCode,
        this.id,
      );
      p.cb(this.listenerCount('error') > 0 ? err : null);
    }
    this.emit('stopSending', errorCode);
  }

  /** Both sides of the core stream are terminal. */
  onClosed(): void {
    // Deliver what is left; the Duplex closes itself once both sides ended (autoDestroy).
    if (this.wantsData) this.pull();
  }

  /** The connection closed under the stream. */
  onConnectionClosed(err: Error | null): void {
    if (this.destroyed) return;
    // What the last burst brought, before the close, is delivered first.
    if (this.readQueued) this.readBeforeFlush();
    const readDone = !this.core.canReceive || this.ended;
    const writeDone = !this.core.canSend || this.writableFinished;
    if (err === null && readDone && writeDone) return;
    this.fail(
      err ??
        new QuicNodeError('ERR_QUIC_CLOSED', `connection closed before stream ${this.id} ended`),
    );
  }

  /**
   * Destroys the stream with `err` when someone listens for errors (an 'error' listener, a
   * pipeline, an async iterator); otherwise it just closes: an error no one handles would
   * crash the process, and the peer must not be able to do that. The connection's `closed`
   * promise still tells what happened.
   */
  private fail(err: Error): void {
    if (this.listenerCount('error') > 0) this.destroy(err);
    else this.destroy();
  }

  // ---- internals ------------------------------------------------------------------------

  private writeSome(data: Uint8Array, cb: (err?: Error | null) => void): void {
    if (this.sendAbandoned) {
      cb();
      return;
    }
    let n: number;
    try {
      n = this.core.write(data, false);
    } catch (e) {
      cb(this.usageError(e));
      return;
    }
    if (n === data.length) cb();
    else this.pendingWrite = { data: data.subarray(n), cb };
  }

  private failPendingWrite(err: Error): void {
    const p = this.pendingWrite;
    if (p === null) return;
    this.pendingWrite = null;
    p.cb(err);
  }

  private pull(): void {
    if (this.pulling || this.ended || !this.core.canReceive) return;
    this.pulling = true;
    try {
      const core = this.core;
      while (this.wantsData) {
        const n = Math.min(READ_CHUNK, core.readableLength);
        // Unzeroed: readInto overwrites all of it (a zeroed copy cost a fill per read). With
        // nothing readable the call still moves a finished stream to "Data Read".
        const buf = n > 0 ? Buffer.allocUnsafe(n) : EMPTY_BUFFER;
        const got = core.readInto(buf);
        if (got > 0) this.wantsData = this.push(got === n ? buf : buf.subarray(0, got));
        if (core.readFinished) {
          this.ended = true;
          this.push(null);
          break;
        }
        if (got === 0) break;
      }
    } finally {
      this.pulling = false;
    }
  }

  private usageError(e: unknown): Error {
    if (e instanceof Error) {
      if ((e as { code?: unknown }).code !== undefined) return e;
      return new QuicNodeError('ERR_QUIC_CLOSED', e.message, { cause: e });
    }
    return new QuicNodeError('ERR_QUIC_CLOSED', String(e));
  }
}
