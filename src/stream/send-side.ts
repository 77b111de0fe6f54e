/**
 * The sending part of a stream: the state machine of RFC 9000 §3.1, the send buffer, stream
 * flow-control credit and the control frames the sender emits (RESET_STREAM,
 * STREAM_DATA_BLOCKED). Used through `Stream`; it reports to the stream's owner directly.
 */
import type { ResetStreamFrame, StreamDataBlockedFrame } from '../wire/frame-types.js';
import { SendCredit } from './flow-control.js';
import { controlFrameLength, maxStreamDataLength } from './frame-size.js';
import { SendBuffer, type SendRange } from './send-buffer.js';
import type { StreamOwnerOf, StreamRef } from './stream-owner.js';

/** Sending-part states, RFC 9000 §3.1 Figure 2. */
export type SendState =
  'ready' | 'send' | 'data_sent' | 'reset_sent' | 'data_recvd' | 'reset_recvd';

export class SendSide {
  private current: SendState = 'ready';
  readonly buffer = new SendBuffer();
  readonly credit: SendCredit;
  /** A write was cut short by the buffer limit: tell the owner once room appears. */
  private writeBlocked = false;
  /** Tell the owner each time everything written so far is acknowledged (onStreamAcked). */
  reportsAcks = false;
  private resetCode = -1;
  private resetFinalSize = 0;
  private resetPending = false;
  private blockedPending = false;
  private peerStopCode = -1;

  constructor(
    /** The stream this half belongs to, as its owner knows it. */
    private readonly stream: StreamRef,
    private readonly owner: StreamOwnerOf,
    initialCredit: number,
    /** Most bytes held (written and not yet acknowledged) before `write()` accepts less. */
    private readonly bufferLimit: number,
  ) {
    this.credit = new SendCredit(initialCredit);
  }

  get state(): SendState {
    return this.current;
  }

  /** The application may still write: not ended, not reset. */
  get writable(): boolean {
    return (this.current === 'ready' || this.current === 'send') && !this.buffer.ended;
  }

  /** Bytes `write()` would accept now. */
  get writableLength(): number {
    if (!this.writable) return 0;
    const room = this.bufferLimit - this.buffer.bufferedBytes;
    return room > 0 ? room : 0;
  }

  /** Terminal state reached (RFC 9000 §3.1: "Data Recvd" or "Reset Recvd"). */
  get terminal(): boolean {
    return this.current === 'data_recvd' || this.current === 'reset_recvd';
  }

  /** Error code of the RESET_STREAM we sent, or null. */
  get resetErrorCode(): number | null {
    return this.resetCode < 0 ? null : this.resetCode;
  }

  /** Error code of the peer's STOP_SENDING, or null. */
  get stopSendingCode(): number | null {
    return this.peerStopCode < 0 ? null : this.peerStopCode;
  }

  /** Copies up to `writableLength` bytes of `data`; returns how many were accepted. */
  write(data: Uint8Array): number {
    const n = Math.min(data.length, this.writableLength);
    if (n < data.length) this.writeBlocked = true;
    if (n > 0) {
      this.buffer.write(n === data.length ? data : data.subarray(0, n));
      this.onNewData();
    }
    return n;
  }

  /** Marks the end of the data: the next frame reaching the final size carries the FIN. */
  end(): void {
    if (!this.writable) return;
    this.buffer.end();
    this.onNewData();
  }

  /**
   * Abandons the data (RFC 9000 §3.1): from "Ready", "Send" or "Data Sent" the stream enters
   * "Reset Sent" and queues RESET_STREAM carrying the final size, the highest offset sent.
   * Returns false (and does nothing) in any other state.
   */
  reset(errorCode: number): boolean {
    const s = this.current;
    if (s !== 'ready' && s !== 'send' && s !== 'data_sent') return false;
    this.current = 'reset_sent';
    this.resetCode = errorCode;
    this.resetFinalSize = this.buffer.sentOffset;
    this.buffer.discard();
    this.resetPending = true;
    this.blockedPending = false;
    this.writeBlocked = false;
    this.owner.onStreamSendable(this.stream);
    return true;
  }

  /**
   * STOP_SENDING from the peer. RFC 9000 §3.5: respond with RESET_STREAM, copying the error
   * code; the owner hears about it only if the stream was still sending.
   */
  onStopSending(errorCode: number): void {
    if (this.peerStopCode < 0) this.peerStopCode = errorCode;
    if (this.reset(errorCode)) this.owner.onStreamStopSending(this.stream, errorCode);
  }

  /** MAX_STREAM_DATA from the peer (RFC 9000 §19.10): more credit, never less. */
  onMaxStreamData(maximum: number): void {
    if (!this.credit.raise(maximum)) return;
    if ((this.current === 'ready' || this.current === 'send') && this.buffer.unsentBytes > 0) {
      this.owner.onStreamSendable(this.stream);
    }
  }

  /** Something to put in a STREAM frame, with the connection's credit aside. */
  get hasData(): boolean {
    return this.sending && this.buffer.nextOffset(this.credit.limit) >= 0;
  }

  /** Something to send that needs no new connection credit (retransmission, lone FIN). */
  get canSendWithoutCredit(): boolean {
    return this.sending && this.buffer.canSendWithoutCredit;
  }

  /** Unsent bytes within the stream credit, in a state that sends new data. */
  get needsConnectionCredit(): boolean {
    const s = this.current;
    return (
      (s === 'ready' || s === 'send') &&
      this.buffer.unsentBytes > 0 &&
      this.buffer.sentOffset < this.credit.limit
    );
  }

  /** Unsent bytes within the stream credit, in a state that sends new data (else 0). */
  get unsentWithinCredit(): number {
    const s = this.current;
    if (s !== 'ready' && s !== 'send') return 0;
    const buffer = this.buffer;
    const end = Math.min(buffer.written, this.credit.limit);
    return end > buffer.sentOffset ? end - buffer.sentOffset : 0;
  }

  private get sending(): boolean {
    const s = this.current;
    return s === 'ready' || s === 'send' || s === 'data_sent';
  }

  /**
   * Takes the next STREAM frame's range into `out`, fitting the whole frame in `maxFrameBytes`
   * and new bytes in both the stream credit and `connAvailable`. Returns false if nothing fits.
   */
  pollData(maxFrameBytes: number, connAvailable: number, out: SendRange): boolean {
    if (!this.sending) return false;
    const buffer = this.buffer;
    const newLimit = Math.min(this.credit.limit, buffer.sentOffset + connAvailable);
    const offset = buffer.nextOffset(newLimit);
    if (offset < 0) return false;
    const maxLength = maxStreamDataLength(maxFrameBytes, this.stream.id, offset);
    if (maxLength < 0 || !buffer.nextRange(maxLength, newLimit, out)) return false;
    this.credit.consume(out.newBytes);
    // RFC 9000 §3.1: the first STREAM frame moves "Ready" to "Send"; the FIN to "Data Sent".
    if (out.fin) this.current = 'data_sent';
    else if (this.current === 'ready') this.current = 'send';
    this.checkBlocked();
    return true;
  }

  /** A STREAM frame of this stream was acknowledged. */
  onDataAcked(offset: number, length: number, fin: boolean): void {
    if (this.current !== 'send' && this.current !== 'data_sent') return;
    this.buffer.onAcked(offset, length, fin);
    if (this.current === 'data_sent' && this.buffer.allAcked) {
      this.current = 'data_recvd';
      return;
    }
    if (this.writeBlocked && this.writableLength > 0) {
      this.writeBlocked = false;
      this.owner.onStreamWritable(this.stream);
    }
    if (this.reportsAcks && this.buffer.ackedOffset === this.buffer.written) {
      this.owner.onStreamAcked(this.stream);
    }
  }

  /** A STREAM frame of this stream was declared lost: retransmit unless reset (RFC 9000 §13.3). */
  onDataLost(offset: number, length: number, fin: boolean): void {
    if (this.current !== 'send' && this.current !== 'data_sent') return;
    this.buffer.onLost(offset, length, fin);
    this.owner.onStreamSendable(this.stream);
  }

  get hasPendingControl(): boolean {
    return this.resetPending || this.blockedPending;
  }

  /** The next pending RESET_STREAM or STREAM_DATA_BLOCKED if it fits in `maxBytes`. */
  pollControl(maxBytes: number): ResetStreamFrame | StreamDataBlockedFrame | null {
    if (this.resetPending) {
      const frame: ResetStreamFrame = {
        kind: 'reset_stream',
        streamId: this.stream.id,
        errorCode: this.resetCode,
        finalSize: this.resetFinalSize,
      };
      if (controlFrameLength(frame) > maxBytes) return null;
      this.resetPending = false;
      return frame;
    }
    if (this.blockedPending) {
      // RFC 9000 §13.3: the frame carries the limit blocking us at the time it is sent.
      if (!this.blockedNow) {
        this.blockedPending = false;
        return null;
      }
      const frame: StreamDataBlockedFrame = {
        kind: 'stream_data_blocked',
        streamId: this.stream.id,
        limit: this.credit.limit,
      };
      if (controlFrameLength(frame) > maxBytes) return null;
      this.blockedPending = false;
      if (this.current === 'ready') this.current = 'send';
      return frame;
    }
    return null;
  }

  /** RESET_STREAM acknowledged: "Reset Recvd" (RFC 9000 §3.1). */
  onResetAcked(): void {
    if (this.current === 'reset_sent') this.current = 'reset_recvd';
  }

  /** RESET_STREAM lost: resent unchanged until acknowledged (RFC 9000 §13.3). */
  onResetLost(): void {
    if (this.current !== 'reset_sent' || this.resetPending) return;
    this.resetPending = true;
    this.owner.onStreamSendable(this.stream);
  }

  /** STREAM_DATA_BLOCKED lost: resent only while still blocked at that limit (RFC 9000 §13.3). */
  onBlockedLost(limit: number): void {
    if (this.blockedPending || !this.blockedNow || !this.credit.stillBlockedAt(limit)) return;
    this.blockedPending = true;
    this.owner.onStreamSendable(this.stream);
  }

  /** Data waits beyond the stream limit in a state that may send STREAM_DATA_BLOCKED. */
  private get blockedNow(): boolean {
    return (
      (this.current === 'ready' || this.current === 'send') &&
      this.buffer.unsentBytes > 0 &&
      this.buffer.sentOffset >= this.credit.limit
    );
  }

  private checkBlocked(): void {
    if (this.blockedNow && this.credit.shouldSignalBlocked()) this.blockedPending = true;
  }

  private onNewData(): void {
    this.checkBlocked();
    this.owner.onStreamSendable(this.stream);
  }
}
