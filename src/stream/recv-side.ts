/**
 * The receiving part of a stream: the state machine of RFC 9000 §3.2, reassembly, the stream
 * flow-control window and the control frames the receiver emits (STOP_SENDING,
 * MAX_STREAM_DATA). Used through `Stream`; it reports to the stream's owner directly.
 */
import type { MaxStreamDataFrame, StopSendingFrame } from '../wire/frame-types.js';
import { FrameType } from '../wire/frame-types.js';
import { RecvWindow } from './flow-control.js';
import { controlFrameLength } from './frame-size.js';
import { RecvBuffer } from './recv-buffer.js';
import type { StreamOwnerOf, StreamRef } from './stream-owner.js';

/** Receiving-part states, RFC 9000 §3.2 Figure 3. */
export type RecvState =
  'recv' | 'size_known' | 'data_recvd' | 'reset_recvd' | 'data_read' | 'reset_read';

/** What `Stream.read()` returns: bytes the caller now owns, and whether the stream ended. */
export interface StreamReadResult {
  data: Uint8Array;
  /** All data has been read: the FIN was reached. */
  fin: boolean;
}

const EMPTY = new Uint8Array(0);

export class RecvSide {
  private current: RecvState = 'recv';
  readonly buffer = new RecvBuffer();
  readonly window: RecvWindow;
  /** The application called stopSending(): incoming data is dropped on arrival. */
  private stopped = false;
  private stopCode = -1;
  private stopPending = false;
  private peerResetCode = -1;

  constructor(
    /** The stream this half belongs to, as its owner knows it. */
    private readonly stream: StreamRef,
    private readonly owner: StreamOwnerOf,
    initialWindow: number,
    maxWindow: number,
  ) {
    this.window = new RecvWindow(initialWindow, maxWindow, FrameType.STREAM);
  }

  get state(): RecvState {
    return this.current;
  }

  /** Terminal state reached (RFC 9000 §3.2: "Data Read" or "Reset Read"). */
  get terminal(): boolean {
    return this.current === 'data_read' || this.current === 'reset_read';
  }

  /** Error code of the peer's RESET_STREAM, or null. */
  get resetErrorCode(): number | null {
    return this.peerResetCode < 0 ? null : this.peerResetCode;
  }

  /** Error code of the STOP_SENDING we asked for, or null. */
  get stopSendingCode(): number | null {
    return this.stopCode < 0 ? null : this.stopCode;
  }

  /** Contiguous bytes ready for `read()`. */
  get readableLength(): number {
    return this.stopped || this.terminal ? 0 : this.buffer.readableLength;
  }

  /** `read()` would return something: data, or the end of the stream. */
  get readable(): boolean {
    if (this.stopped) return false;
    if (this.current === 'recv' || this.current === 'size_known') {
      return this.buffer.readableLength > 0;
    }
    return this.current === 'data_recvd';
  }

  /**
   * Reads up to `max` bytes of contiguous data (a copy the caller owns). Returns null when
   * nothing is ready, after a reset or stopSending(), and after the end was read. The result
   * with `fin: true` moves the stream to "Data Read".
   */
  read(max: number): StreamReadResult | null {
    if (!this.readable) return null;
    const data = this.buffer.read(max);
    const fin = this.afterRead(data?.length ?? 0);
    if (data === null && !fin) return null;
    return { data: data ?? EMPTY, fin };
  }

  /**
   * Copies up to `max` bytes of contiguous data into `dest` at `offset`; returns how many. Once
   * the last byte is read and the FIN known, the stream moves to "Data Read" (`terminal`).
   */
  readInto(dest: Uint8Array, offset: number, max: number): number {
    if (!this.readable) return 0;
    const n = this.buffer.readInto(dest, offset, max);
    this.afterRead(n);
    return n;
  }

  /** STREAM frame data (RFC 9000 §19.8), after the stream-type checks of the owner. */
  onData(offset: number, data: Uint8Array, fin: boolean): void {
    const wasReadable = this.readable;
    const grown = this.buffer.insert(offset, data, fin, this.window.limit);
    if (grown > 0) {
      this.window.onReceived(grown);
      this.owner.onStreamDataReceived(this.stream, grown);
    }
    if (this.current === 'recv' && this.buffer.finalSize >= 0) {
      // "Size Known": no more MAX_STREAM_DATA (RFC 9000 §3.2).
      this.current = 'size_known';
      this.window.cancelUpdate();
    }
    if (this.current === 'size_known' && this.buffer.allReceived) this.current = 'data_recvd';
    if (this.stopped) this.dropReadable();
    else if (!wasReadable && this.readable) this.owner.onStreamReadable(this.stream);
  }

  /**
   * RESET_STREAM (RFC 9000 §19.4). The final size is checked in every state. From "Recv" or
   * "Size Known" the unread data is dropped, its credit returned, and the owner told; the
   * signal counts as delivered, so the state moves on to "Reset Read". In "Data Recvd" the
   * reset is suppressed: all data is there to read (RFC 9000 §3.2).
   */
  onReset(errorCode: number, finalSize: number): void {
    const grown = this.buffer.setResetFinalSize(finalSize, this.window.limit);
    if (grown > 0) {
      this.window.onReceived(grown);
      this.owner.onStreamDataReceived(this.stream, grown);
    }
    if (this.current !== 'recv' && this.current !== 'size_known') return;
    this.current = 'reset_recvd';
    this.peerResetCode = errorCode;
    this.stopPending = false;
    this.window.cancelUpdate();
    this.buffer.discard();
    // RFC 9000 §4.5: the final size is what the stream used of connection credit; bytes never
    // read are released as consumed.
    const unread = finalSize - this.buffer.readOffset;
    if (unread > 0) {
      this.window.onConsumed(unread);
      this.window.cancelUpdate();
      this.owner.onStreamDataConsumed(this.stream, unread);
    }
    this.owner.onStreamReset(this.stream, errorCode);
    this.current = 'reset_read';
  }

  /**
   * The application stops reading (RFC 9000 §3.5): STOP_SENDING is queued while the peer may
   * still be sending ("Recv", "Size Known"); buffered and later data is dropped but still counts
   * toward flow control, and its credit is returned. Returns false if already stopped or done.
   */
  stopSending(errorCode: number): boolean {
    if (this.stopped || this.terminal || this.current === 'reset_recvd') return false;
    this.stopped = true;
    this.stopCode = errorCode;
    if (this.current === 'recv' || this.current === 'size_known') {
      this.stopPending = true;
      this.owner.onStreamSendable(this.stream);
    }
    this.buffer.discard();
    this.dropReadable();
    return true;
  }

  get hasPendingControl(): boolean {
    return this.stopPending || (this.window.updatePending && this.current === 'recv');
  }

  /** The next pending STOP_SENDING or MAX_STREAM_DATA if it fits in `maxBytes`. */
  pollControl(
    maxBytes: number,
    now: number,
    rtt: number,
  ): StopSendingFrame | MaxStreamDataFrame | null {
    if (this.stopPending) {
      const frame: StopSendingFrame = {
        kind: 'stop_sending',
        streamId: this.stream.id,
        errorCode: this.stopCode,
      };
      if (controlFrameLength(frame) > maxBytes) return null;
      this.stopPending = false;
      return frame;
    }
    if (this.window.updatePending && this.current === 'recv') {
      // Sized with an upper bound of the new limit (the window at most doubles).
      const frame: MaxStreamDataFrame = {
        kind: 'max_stream_data',
        streamId: this.stream.id,
        maximum: this.window.limit + this.window.window * 2,
      };
      if (controlFrameLength(frame) > maxBytes) return null;
      frame.maximum = this.window.takeUpdate(now, rtt);
      return frame;
    }
    return null;
  }

  /** STOP_SENDING lost: resent while the peer may still send (RFC 9000 §13.3). */
  onStopSendingLost(): void {
    if (this.stopPending || (this.current !== 'recv' && this.current !== 'size_known')) return;
    this.stopPending = true;
    this.owner.onStreamSendable(this.stream);
  }

  /** MAX_STREAM_DATA lost: resent with the current value if it was the latest (RFC 9000 §13.3). */
  onMaxStreamDataLost(maximum: number): void {
    if (this.current !== 'recv' || !this.window.onUpdateLost(maximum)) return;
    this.owner.onStreamSendable(this.stream);
  }

  /** `n` bytes left the buffer: credit returned; true when that reached "Data Read". */
  private afterRead(n: number): boolean {
    if (n > 0) this.consumed(n);
    const end = this.current === 'data_recvd' && this.buffer.fullyRead;
    if (end) this.current = 'data_read';
    return end;
  }

  private consumed(n: number): void {
    if (this.window.onConsumed(n)) {
      if (this.current === 'recv') this.owner.onStreamSendable(this.stream);
      else this.window.cancelUpdate();
    }
    this.owner.onStreamDataConsumed(this.stream, n);
  }

  /** After stopSending(): skips whatever became contiguous, as if read. */
  private dropReadable(): void {
    this.afterRead(this.buffer.skip());
  }
}
