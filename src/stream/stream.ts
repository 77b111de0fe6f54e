/**
 * A QUIC stream (RFC 9000 §2-3): the application API (write, end, read, reset, stopSending,
 * setPriority) over a sending part and a receiving part, each with its own state machine
 * (send-side.ts, recv-side.ts). A unidirectional stream has only one of the two.
 *
 * The stream does not know the connection. It reports through a `StreamOwner` (in practice the
 * `StreamMap`): something to send, readable, writable, reset, closed, and the byte counts that
 * connection-level flow control needs. The owner drives the connection side: incoming frames,
 * `pollStreamData` / `copyOut` / `pollControlFrame` while assembling packets, and the
 * acknowledgment or loss of what was sent.
 */
import type {
  MaxStreamDataFrame,
  ResetStreamFrame,
  StopSendingFrame,
  StreamDataBlockedFrame,
  StreamFrame,
} from '../wire/frame-types.js';
import { FrameType } from '../wire/frame-types.js';
import { QuicError, TransportError } from '../wire/errors.js';
import type { StreamControlFrame } from './frame-size.js';
import { RecvSide, type RecvState, type StreamReadResult } from './recv-side.js';
import { SendRange } from './send-buffer.js';
import { SendSide, type SendState } from './send-side.js';
import { isBidirectional, isClientInitiated, isLocallyInitiated } from './stream-id.js';
import type { StreamOwnerOf } from './stream-owner.js';

export type { RecvState, SendState, StreamReadResult };

/** What a stream reports to the map that owns it (stream-owner.ts). */
export type StreamOwner = StreamOwnerOf<Stream>;

/** Extensible priority parameters (RFC 9218 §4). */
export interface StreamPriority {
  /** 0 (most urgent) to 7; default 3 (RFC 9218 §4.1). */
  urgency: number;
  /** Data may be interleaved with other incremental streams of the same urgency (§4.2). */
  incremental: boolean;
}

/** Limits a new stream starts with; the `StreamMap` derives them from transport parameters. */
export interface StreamLimits {
  /** The peer's initial stream data limit for this stream (our initial send credit). */
  sendCredit: number;
  /** Most bytes buffered (written, not yet acknowledged) before `write()` accepts less. */
  sendBufferLimit: number;
  /** Our initial stream data limit for this stream (the initial receive window). */
  recvWindow: number;
  /** Upper bound of the receive window under auto-tuning. */
  maxRecvWindow: number;
}

/** A STREAM frame to send, filled by `pollStreamData()`; the data is taken with `copyOut()`. */
export class StreamChunk extends SendRange {
  stream: Stream | null = null;
  streamId = 0;
}

export const DEFAULT_URGENCY = 3;

export class Stream {
  readonly id: number;
  readonly bidirectional: boolean;
  readonly locallyInitiated: boolean;
  private readonly sendSide: SendSide | null;
  private readonly recvSide: RecvSide | null;
  private priorityUrgency = DEFAULT_URGENCY;
  private priorityIncremental = false;
  private closed = false;

  /** @internal Streams are made by the connection's stream map (`Connection.openStream`). */
  constructor(
    id: number,
    isClient: boolean,
    private readonly owner: StreamOwner,
    limits: StreamLimits,
  ) {
    this.id = id;
    this.bidirectional = isBidirectional(id);
    this.locallyInitiated = isLocallyInitiated(id, isClient);
    // RFC 9000 §2.1: a unidirectional stream only sends from its initiator.
    this.sendSide =
      this.bidirectional || this.locallyInitiated
        ? new SendSide(this, owner, limits.sendCredit, limits.sendBufferLimit)
        : null;
    this.recvSide =
      this.bidirectional || !this.locallyInitiated
        ? new RecvSide(this, owner, limits.recvWindow, limits.maxRecvWindow)
        : null;
  }

  // ---- identity and state -----------------------------------------------------------------

  get clientInitiated(): boolean {
    return isClientInitiated(this.id);
  }

  /** This endpoint can send on the stream (bidirectional, or our own unidirectional stream). */
  get canSend(): boolean {
    return this.sendSide !== null;
  }

  /** This endpoint can receive on the stream (bidirectional, or the peer's unidirectional). */
  get canReceive(): boolean {
    return this.recvSide !== null;
  }

  /** State of the sending part (RFC 9000 §3.1), null without one. */
  get sendState(): SendState | null {
    return this.sendSide === null ? null : this.sendSide.state;
  }

  /** State of the receiving part (RFC 9000 §3.2), null without one. */
  get recvState(): RecvState | null {
    return this.recvSide === null ? null : this.recvSide.state;
  }

  /** @internal The scheduler's bookkeeping (see Schedulable): -1 while not scheduled. */
  schedulerSlot = -1;

  /** Both parts are terminal; the owner has been told. */
  get isClosed(): boolean {
    return this.closed;
  }

  get urgency(): number {
    return this.priorityUrgency;
  }

  get incremental(): boolean {
    return this.priorityIncremental;
  }

  /** Error code of the peer's RESET_STREAM, or null. */
  get peerResetCode(): number | null {
    return this.recvSide === null ? null : this.recvSide.resetErrorCode;
  }

  /** Error code of the peer's STOP_SENDING, or null. */
  get peerStopSendingCode(): number | null {
    return this.sendSide === null ? null : this.sendSide.stopSendingCode;
  }

  /** Error code of the RESET_STREAM this endpoint sent, or null. */
  get resetCode(): number | null {
    return this.sendSide === null ? null : this.sendSide.resetErrorCode;
  }

  /** Error code of the STOP_SENDING this endpoint sent, or null. */
  get stopSendingCode(): number | null {
    return this.recvSide === null ? null : this.recvSide.stopSendingCode;
  }

  // ---- counters ----------------------------------------------------------------------------

  /** Bytes the application wrote. */
  get bytesWritten(): number {
    return this.sendSide === null ? 0 : this.sendSide.buffer.written;
  }

  /** Highest offset sent. */
  get bytesSent(): number {
    return this.sendSide === null ? 0 : this.sendSide.buffer.sentOffset;
  }

  /** Bytes acknowledged in order from the start. */
  get bytesAcked(): number {
    return this.sendSide === null ? 0 : this.sendSide.buffer.ackedOffset;
  }

  /** Highest offset received. */
  get bytesReceived(): number {
    return this.recvSide === null ? 0 : this.recvSide.buffer.highest;
  }

  /** Bytes read by the application (or skipped after stopSending). */
  get bytesRead(): number {
    return this.recvSide === null ? 0 : this.recvSide.buffer.readOffset;
  }

  /** The peer's current stream data limit for our sending. */
  get sendLimit(): number {
    return this.sendSide === null ? 0 : this.sendSide.credit.limit;
  }

  /** The stream data limit we advertised for the peer's sending. */
  get recvLimit(): number {
    return this.recvSide === null ? 0 : this.recvSide.window.limit;
  }

  /** Current receive window size (grows under auto-tuning). */
  get recvWindow(): number {
    return this.recvSide === null ? 0 : this.recvSide.window.window;
  }

  // ---- application API ---------------------------------------------------------------------

  /** `write()` can accept bytes: a sending part that is neither ended nor reset. */
  get writable(): boolean {
    return this.sendSide !== null && this.sendSide.writable;
  }

  /** Bytes `write()` would accept now (room in the send buffer). */
  get writableLength(): number {
    return this.sendSide === null ? 0 : this.sendSide.writableLength;
  }

  /** Contiguous bytes ready to read. */
  get readableLength(): number {
    return this.recvSide === null ? 0 : this.recvSide.readableLength;
  }

  /**
   * Queues bytes to send (copied: the caller may reuse `data`). Returns how many were accepted,
   * bounded by the send buffer limit; 0 when full, and the owner hears `onStreamWritable` once
   * there is room. `fin` ends the stream only if every byte was accepted.
   * Throws a TypeError without a sending part, after `end()`, or after the sending part was reset.
   */
  write(data: Uint8Array, fin = false): number {
    const send = this.requireSend('write');
    if (!send.writable) {
      throw new TypeError(
        send.state === 'reset_sent' || send.state === 'reset_recvd'
          ? `stream ${this.id}: write after the stream was reset`
          : `stream ${this.id}: write after end`,
      );
    }
    const n = send.write(data);
    if (fin && n === data.length) send.end();
    return n;
  }

  /** Ends the sending part: a FIN follows the written data (RFC 9000 §3.1). Idempotent. */
  end(): void {
    this.requireSend('end').end();
  }

  /**
   * Reads up to `max` contiguous bytes. Returns a copy the caller owns and `fin: true` with the
   * last bytes (or alone, with empty data); null when nothing is ready, after the end was read,
   * and after a reset or stopSending(). Throws a TypeError without a receiving part.
   */
  read(max = Number.MAX_SAFE_INTEGER): StreamReadResult | null {
    const recv = this.requireRecv('read');
    if (!(max > 0)) throw new RangeError(`stream ${this.id}: read size must be positive`);
    const result = recv.read(max);
    this.checkClosed();
    return result;
  }

  /**
   * Reads into the caller's buffer: copies up to `dest.length - offset` contiguous bytes to
   * `dest[offset..]` and returns how many (0 when nothing is ready). No allocation, for
   * applications that move bulk data through buffers of their own. The end of the stream shows
   * as `readFinished` turning true (in the call that reads the last byte, or a later one that
   * returns 0). Throws a TypeError without a receiving part.
   */
  readInto(dest: Uint8Array, offset = 0): number {
    const recv = this.requireRecv('readInto');
    if (!(offset >= 0 && offset <= dest.length)) {
      throw new RangeError(`stream ${this.id}: readInto offset ${offset} is outside the buffer`);
    }
    const n = recv.readInto(dest, offset, dest.length - offset);
    this.checkClosed();
    return n;
  }

  /** All data and the FIN were read (RFC 9000 §3.2 "Data Read"). */
  get readFinished(): boolean {
    return this.recvSide?.state === 'data_read';
  }

  /**
   * Abandons sending (RFC 9000 §3.1, §19.4): RESET_STREAM with `errorCode` and the final size is
   * queued, unsent data dropped. Does nothing once the sending part is reset or all data was
   * acknowledged. Throws a TypeError without a sending part, RangeError for a bad code.
   */
  reset(errorCode: number): void {
    checkErrorCode(errorCode);
    this.requireSend('reset').reset(errorCode);
  }

  /**
   * Stops reading (RFC 9000 §3.5, §19.5): STOP_SENDING with `errorCode` is queued if the peer may
   * still send; buffered and later data is discarded. Throws a TypeError without a receiving
   * part, RangeError for a bad code.
   */
  stopSending(errorCode: number): void {
    checkErrorCode(errorCode);
    this.requireRecv('stopSending').stopSending(errorCode);
    this.checkClosed();
  }

  /** Sets the scheduling priority (RFC 9218 §4); omitted fields keep their value. */
  setPriority(priority: Partial<StreamPriority>): void {
    const urgency = priority.urgency ?? this.priorityUrgency;
    const incremental = priority.incremental ?? this.priorityIncremental;
    if (!Number.isInteger(urgency) || urgency < 0 || urgency > 7) {
      throw new RangeError(`urgency must be an integer from 0 to 7, got ${urgency}`);
    }
    if (urgency === this.priorityUrgency && incremental === this.priorityIncremental) return;
    this.priorityUrgency = urgency;
    this.priorityIncremental = incremental;
    this.owner.onStreamPriorityChanged(this);
  }

  // ---- incoming frames (called by the owner after the stream-ID checks) ----------------------

  /** @internal STREAM frame (RFC 9000 §19.8). STREAM_STATE_ERROR on a send-only stream. */
  onStreamFrame(frame: StreamFrame): void {
    this.recvPartFor(FrameType.STREAM, 'STREAM').onData(frame.offset, frame.data, frame.fin);
    this.checkClosed();
  }

  /** @internal RESET_STREAM (RFC 9000 §19.4). STREAM_STATE_ERROR on a send-only stream. */
  onResetStream(frame: ResetStreamFrame): void {
    this.recvPartFor(FrameType.RESET_STREAM, 'RESET_STREAM').onReset(
      frame.errorCode,
      frame.finalSize,
    );
    this.checkClosed();
  }

  /**
   * @internal
   * STREAM_DATA_BLOCKED (RFC 9000 §19.13): informational. STREAM_STATE_ERROR on a send-only stream.
   */
  onStreamDataBlocked(_frame: StreamDataBlockedFrame): void {
    this.recvPartFor(FrameType.STREAM_DATA_BLOCKED, 'STREAM_DATA_BLOCKED');
  }

  /** @internal STOP_SENDING (RFC 9000 §19.5). STREAM_STATE_ERROR on a receive-only stream. */
  onStopSending(frame: StopSendingFrame): void {
    this.sendPartFor(FrameType.STOP_SENDING, 'STOP_SENDING').onStopSending(frame.errorCode);
  }

  /** @internal MAX_STREAM_DATA (RFC 9000 §19.10). STREAM_STATE_ERROR on a receive-only stream. */
  onMaxStreamData(frame: MaxStreamDataFrame): void {
    this.sendPartFor(FrameType.MAX_STREAM_DATA, 'MAX_STREAM_DATA').onMaxStreamData(frame.maximum);
  }

  // ---- sending (called by the owner while assembling packets) -------------------------------

  /**
   * @internal
   * There is STREAM data (or a FIN) to send within the stream's own flow-control credit.
   */
  get hasDataToSend(): boolean {
    return this.sendSide !== null && this.sendSide.hasData;
  }

  /**
   * @internal
   * There is something to send that needs no new connection credit (lost data, a lone FIN).
   */
  get canSendWithoutCredit(): boolean {
    return this.sendSide !== null && this.sendSide.canSendWithoutCredit;
  }

  /**
   * @internal
   * There are unsent bytes within the stream credit: only connection credit holds them back.
   */
  get needsConnectionCredit(): boolean {
    return this.sendSide !== null && this.sendSide.needsConnectionCredit;
  }

  /**
   * @internal
   * Bytes never sent that the stream's own credit lets go (the connection's aside).
   */
  get unsentBytes(): number {
    return this.sendSide === null ? 0 : this.sendSide.unsentWithinCredit;
  }

  /**
   * @internal
   * Fills `out` with the next STREAM frame: lost data first, then new data within the stream
   * credit and `connAvailable` bytes of connection credit; the whole frame (header with Offset
   * and Length fields, see frame-size.ts) fits in `maxFrameBytes`. `out.newBytes` is what the
   * frame takes from connection credit. Returns false if nothing fits.
   */
  pollStreamData(maxFrameBytes: number, connAvailable: number, out: StreamChunk): boolean {
    if (this.sendSide === null || !this.sendSide.pollData(maxFrameBytes, connAvailable, out)) {
      return false;
    }
    out.stream = this;
    out.streamId = this.id;
    return true;
  }

  /** @internal Copies bytes of a range returned by `pollStreamData()` into a packet buffer. */
  copyOut(offset: number, length: number, dest: Uint8Array, destOffset: number): void {
    if (this.sendSide === null) throw new TypeError(`stream ${this.id} has no sending part`);
    this.sendSide.buffer.copyOut(offset, length, dest, destOffset);
  }

  /**
   * Asks for the connection's 'streamAcked' event each time everything written so far is
   * acknowledged while the stream stays open for writing. For a stream that is never ended,
   * such as an HTTP/3 control stream whose GOAWAY must arrive before the connection closes
   * (RFC 9114 §5.2); an ended stream's 'streamClosed' says when all of its data arrived.
   */
  reportAcks(): void {
    if (this.sendSide !== null) this.sendSide.reportsAcks = true;
  }

  /** @internal A STREAM frame sent on this stream was acknowledged. */
  onStreamDataAcked(offset: number, length: number, fin: boolean): void {
    if (this.sendSide === null) return;
    this.sendSide.onDataAcked(offset, length, fin);
    this.checkClosed();
  }

  /** @internal A STREAM frame sent on this stream was declared lost. */
  onStreamDataLost(offset: number, length: number, fin: boolean): void {
    if (this.sendSide !== null) this.sendSide.onDataLost(offset, length, fin);
  }

  /**
   * @internal
   * RESET_STREAM, STREAM_DATA_BLOCKED, STOP_SENDING or MAX_STREAM_DATA waits to be sent.
   */
  get hasPendingControl(): boolean {
    return (
      (this.sendSide !== null && this.sendSide.hasPendingControl) ||
      (this.recvSide !== null && this.recvSide.hasPendingControl)
    );
  }

  /**
   * @internal
   * The next pending control frame of this stream if it fits in `maxBytes` (RESET_STREAM or
   * STREAM_DATA_BLOCKED of the sending part first, then STOP_SENDING, then MAX_STREAM_DATA),
   * else null. `now` and `rtt` (microseconds) drive the receive-window auto-tuning.
   */
  pollControlFrame(maxBytes: number, now: number, rtt: number): StreamControlFrame | null {
    const send = this.sendSide;
    const recv = this.recvSide;
    if (send !== null && send.hasPendingControl) {
      const frame = send.pollControl(maxBytes);
      if (frame !== null || send.hasPendingControl) return frame;
    }
    if (recv !== null && recv.hasPendingControl) return recv.pollControl(maxBytes, now, rtt);
    return null;
  }

  /**
   * @internal
   * A control frame of this stream was acknowledged (only RESET_STREAM changes state).
   */
  onControlFrameAcked(frame: StreamControlFrame): void {
    if (frame.kind === 'reset_stream' && this.sendSide !== null) {
      this.sendSide.onResetAcked();
      this.checkClosed();
    }
  }

  /** @internal A control frame of this stream was declared lost: queued again if still relevant. */
  onControlFrameLost(frame: StreamControlFrame): void {
    switch (frame.kind) {
      case 'reset_stream':
        this.sendSide?.onResetLost();
        break;
      case 'stream_data_blocked':
        this.sendSide?.onBlockedLost(frame.limit);
        break;
      case 'stop_sending':
        this.recvSide?.onStopSendingLost();
        break;
      case 'max_stream_data':
        this.recvSide?.onMaxStreamDataLost(frame.maximum);
        break;
      default:
        break;
    }
  }

  // ---- internals -----------------------------------------------------------------------------

  private requireSend(op: string): SendSide {
    if (this.sendSide === null) {
      throw new TypeError(`stream ${this.id}: ${op} on a receive-only stream`);
    }
    return this.sendSide;
  }

  private requireRecv(op: string): RecvSide {
    if (this.recvSide === null) {
      throw new TypeError(`stream ${this.id}: ${op} on a send-only stream`);
    }
    return this.recvSide;
  }

  /** RFC 9000 §19.4, §19.8, §19.13: these frames on a send-only stream are STREAM_STATE_ERROR. */
  private recvPartFor(frameType: number, name: string): RecvSide {
    if (this.recvSide === null) {
      throw new QuicError(
        TransportError.STREAM_STATE_ERROR,
        `${name} for send-only stream ${this.id}`,
        frameType,
      );
    }
    return this.recvSide;
  }

  /** RFC 9000 §19.5, §19.10: these frames on a receive-only stream are STREAM_STATE_ERROR. */
  private sendPartFor(frameType: number, name: string): SendSide {
    if (this.sendSide === null) {
      throw new QuicError(
        TransportError.STREAM_STATE_ERROR,
        `${name} for receive-only stream ${this.id}`,
        frameType,
      );
    }
    return this.sendSide;
  }

  private checkClosed(): void {
    if (this.closed) return;
    if (this.sendSide !== null && !this.sendSide.terminal) return;
    if (this.recvSide !== null && !this.recvSide.terminal) return;
    this.closed = true;
    this.owner.onStreamClosed(this);
  }
}

function checkErrorCode(code: number): void {
  if (!Number.isSafeInteger(code) || code < 0) {
    throw new RangeError(`error code must be a non-negative integer, got ${code}`);
  }
}
