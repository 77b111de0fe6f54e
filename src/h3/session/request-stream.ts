/**
 * One HTTP/3 request stream (RFC 9114 §4.1, §6.1): the frames of the incoming message are read
 * and checked in order (HEADERS, DATA..., optional trailing HEADERS), the outgoing message is
 * framed and queued. Bodies stream in both directions: received DATA is handed on as it is
 * read, and the reader stops pulling from QUIC while paused or blocked on QPACK, so unread data
 * stays under QUIC flow control.
 *
 * The client and server specializations (client.ts, server.ts) add what differs: which header
 * section is expected, and the public calls to start the exchange.
 */
import { H3ProtocolError, H3ErrorCode } from '../errors.js';
import {
  encodeDataFrameHeader,
  encodeFrame,
  type FrameEvent,
  FrameParser,
  H3FrameType,
} from '../frames.js';
import type { FieldLine } from '../qpack/field-section.js';
import { checkOutgoing, checkTrailers } from './message.js';
import { SendQueue } from './send-queue.js';
import type { H3Stream } from './transport.js';

/** Bytes asked of the transport per read. */
const READ_CHUNK = 65536;
/** write() returns false once this much is queued and not yet taken by the transport. */
const HIGH_WATER_MARK = 65536;
const EMPTY = new Uint8Array(0);

/** What a request stream needs from its session. */
export interface StreamHost {
  readonly isServer: boolean;
  /** Largest field section this endpoint accepts (its SETTINGS_MAX_FIELD_SECTION_SIZE). */
  readonly maxFieldSectionSize: number;
  /** QPACK-encodes a section to send on a stream (encoder-stream data is queued first). */
  encodeSection(streamId: number, fields: readonly FieldLine[]): Uint8Array;
  /** QPACK-decodes a received section; null when blocked on inserts not yet received. */
  decodeSection(streamId: number, section: Uint8Array): FieldLine[] | null;
  /** Decodes the section that was blocked on this stream, once it is unblocked. */
  decodeUnblockedSection(streamId: number): FieldLine[];
  /** The stream's field sections will not all be decoded (RFC 9204 §2.2.2.2). */
  cancelDecoding(streamId: number): void;
  /** Both directions of the stream are finished; the session forgets it. */
  streamClosed(stream: H3RequestStream): void;
  /** A connection error: the session closes the connection. */
  connectionError(error: H3ProtocolError): void;
}

/** Receive side: which part of the incoming message comes next. */
type RecvState = 'headers' | 'body' | 'trailers' | 'done' | 'aborted';
/** Send side: 'idle' until the header section is sent. */
type SendState = 'idle' | 'open' | 'ended' | 'aborted';

export abstract class H3RequestStream {
  /** QUIC stream ID. */
  readonly id: number;

  /** Receives each piece of the incoming body as it arrives; without a handler it is dropped. */
  onData: ((data: Uint8Array) => void) | null = null;
  /** Receives the incoming trailer section. */
  onTrailers: ((fields: FieldLine[]) => void) | null = null;
  /** The incoming message is complete. */
  onEnd: (() => void) | null = null;
  /**
   * The exchange failed: a stream error detected here, a reset by the peer (error.remote), or
   * the connection closing. Nothing more is delivered afterwards.
   */
  onError: ((error: H3ProtocolError) => void) | null = null;
  /** The transport took the queued outgoing bytes after write() returned false. */
  onDrain: (() => void) | null = null;
  /**
   * The peer asked this endpoint to stop sending (STOP_SENDING): the outgoing message was
   * reset, the incoming one continues (RFC 9114 §4.1: e.g. a complete response before the whole
   * request body was read).
   */
  onStopSending: ((code: number) => void) | null = null;

  protected recv: RecvState = 'headers';
  protected send: SendState = 'idle';
  /** Declared Content-Length of the incoming message, -1 if none. */
  protected expectedLength = -1;
  /** The incoming message cannot have content (HEAD response, 204, 304). */
  protected noContent = false;

  private readonly parser: FrameParser;
  private readonly out: SendQueue;
  private received = 0;
  private finReceived = false;
  private paused = false;
  private qpackBlocked = false;
  private pumping = false;
  private needDrain = false;
  private outgoingLength = -1;
  private sent = 0;
  private closed = false;

  protected constructor(
    protected readonly host: StreamHost,
    protected readonly stream: H3Stream,
  ) {
    this.id = stream.id;
    this.out = new SendQueue(stream);
    this.parser = new FrameParser({
      maxFieldSectionBytes: host.maxFieldSectionSize,
      checkFrameType: (type) => this.checkFrameType(type),
    });
  }

  /** Stops reading the incoming message; the data stays in the QUIC stream's window. */
  pause(): void {
    this.paused = true;
  }

  /** Resumes reading after pause(). */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.pump();
  }

  /**
   * Sends a piece of the outgoing body as a DATA frame. Returns false once the transport has
   * a backlog (wait for onDrain); the data is queued either way. Throws TypeError before the
   * header section or after end(), RangeError beyond the declared Content-Length.
   */
  write(data: Uint8Array): boolean {
    this.checkWritable('write');
    if (this.send === 'aborted') return false;
    if (data.length > 0) {
      if (this.outgoingLength >= 0 && this.sent + data.length > this.outgoingLength) {
        throw new RangeError(`body exceeds the declared content-length ${this.outgoingLength}`);
      }
      this.sent += data.length;
      this.out.push(encodeDataFrameHeader(data.length));
      this.out.push(data, false, true);
    }
    if (this.out.queued < HIGH_WATER_MARK) return true;
    this.needDrain = true;
    return false;
  }

  /** Ends the outgoing message, with a trailer section when given (RFC 9114 §4.1). */
  end(trailers?: readonly FieldLine[]): void {
    this.checkWritable('end');
    if (this.send === 'aborted') return;
    if (trailers !== undefined && trailers.length > 0) {
      checkOutgoing(() => checkTrailers(trailers, !this.host.isServer));
      this.pushHeaders(trailers, true);
    } else {
      this.out.push(EMPTY, true);
    }
    this.send = 'ended';
    this.maybeClosed();
  }

  /**
   * Stops reading the incoming message while the outgoing one goes on (RFC 9114 §4.1: a server
   * that needs no more of the request answers in full and asks the client to stop, with
   * H3_NO_ERROR). Sends STOP_SENDING with `code`; the rest of the message is discarded and
   * nothing more is delivered for it.
   */
  stopReading(code: number = H3ErrorCode.H3_NO_ERROR): void {
    if (this.closed || !this.recvOpen) return;
    this.stream.stopSending(code);
    this.host.cancelDecoding(this.id);
    this.recv = 'aborted';
    this.qpackBlocked = false;
    this.maybeClosed();
  }

  /**
   * Abandons the exchange: resets the outgoing side and stops reading the incoming one with
   * `code` (RFC 9114 §4.1.1). onError is not called for a local abort.
   */
  abort(code: number = H3ErrorCode.H3_REQUEST_CANCELLED): void {
    this.terminate(code);
  }

  // Entry points for the session.

  /** @internal The transport has data or a FIN for this stream. */
  handleReadable(): void {
    this.pump();
  }

  /** @internal The transport can take more bytes. */
  handleWritable(): void {
    this.out.flush();
    if (this.needDrain && this.out.queued < HIGH_WATER_MARK) {
      this.needDrain = false;
      this.onDrain?.();
    }
    this.maybeClosed();
  }

  /** @internal The section blocked on QPACK inserts can now be decoded. */
  handleQpackUnblocked(): void {
    if (!this.qpackBlocked) return;
    this.qpackBlocked = false;
    try {
      this.headerSection(this.host.decodeUnblockedSection(this.id));
    } catch (e) {
      this.fail(e);
      return;
    }
    this.pump();
  }

  /**
   * @internal The peer reset its sending side (RESET_STREAM). Before the message is complete
   * this ends the exchange: the outgoing side is reset too (RFC 9114 §4.1.1). A complete
   * incoming message is kept (RFC 9114 §4.1).
   */
  handlePeerReset(code: number): void {
    if (!this.recvOpen) return;
    this.terminate(
      H3ErrorCode.H3_REQUEST_CANCELLED,
      new H3ProtocolError(code, 'stream reset by peer', 'stream', true),
    );
  }

  /** @internal The peer sent STOP_SENDING: reset the outgoing side, keep reading. */
  handleStopSending(code: number): void {
    if (this.send === 'aborted' || this.out.finished) return;
    this.out.reset(code);
    this.send = 'aborted';
    this.onStopSending?.(code);
    this.maybeClosed();
  }

  /** @internal The session gives up on this exchange: like abort(), and reports `error`. */
  abandon(code: number, error: H3ProtocolError): void {
    this.terminate(code, error);
  }

  /** @internal The connection is gone. */
  handleConnectionClosed(error: H3ProtocolError): void {
    if (this.closed) return;
    this.closed = true;
    this.out.discard();
    const complete = !this.recvOpen && this.send === 'ended';
    this.recv = 'aborted';
    this.send = 'aborted';
    if (!complete) this.onError?.(error);
  }

  // For the client and server specializations.

  /** Handles the first header section, or an interim one: validates and moves `recv` on. */
  protected abstract headerSectionReceived(fields: FieldLine[]): void;

  /**
   * Sends the message's header section (RFC 9114 §4.1); `contentLength` is its declared
   * Content-Length (-1 if none), enforced on write().
   */
  protected sendHeaderSection(
    fields: readonly FieldLine[],
    contentLength: number,
    end: boolean,
  ): void {
    this.pushHeaders(fields, end);
    this.outgoingLength = contentLength;
    this.send = end ? 'ended' : 'open';
    if (end) this.maybeClosed();
  }

  /** Sends an interim (1xx) header section; the final one still follows. */
  protected sendInterimHeaderSection(fields: readonly FieldLine[]): void {
    this.pushHeaders(fields, false);
  }

  /**
   * Where the outgoing message stands: 'pending' before its header section, 'sent' after it,
   * 'aborted' when the stream was reset, the peer sent STOP_SENDING or the connection closed
   * (further sends are then silently dropped).
   */
  protected get outgoingState(): 'pending' | 'sent' | 'aborted' {
    return this.send === 'idle' ? 'pending' : this.send === 'aborted' ? 'aborted' : 'sent';
  }

  /** Turns an error raised while processing into a stream or connection error. */
  protected fail(e: unknown): void {
    if (!(e instanceof H3ProtocolError)) throw e;
    if (e.scope === 'connection') this.host.connectionError(e);
    else this.terminate(e.code, e);
  }

  /**
   * Ends both directions that are still open with `code`; reports `error` to the application
   * when given.
   */
  protected terminate(code: number, error?: H3ProtocolError): void {
    if (this.closed) return;
    this.out.reset(code); // a no-op once everything was sent or the stream was reset
    this.send = 'aborted';
    if (this.recvOpen) {
      // Unless the peer reset it, ask it to stop; either way QPACK references are void.
      if (error === undefined || !error.remote) this.stream.stopSending(code);
      this.host.cancelDecoding(this.id);
    }
    this.recv = 'aborted';
    this.qpackBlocked = false;
    this.closed = true;
    this.host.streamClosed(this);
    if (error !== undefined) this.onError?.(error);
  }

  private pushHeaders(fields: readonly FieldLine[], end: boolean): void {
    const section = this.host.encodeSection(this.id, fields);
    this.out.push(encodeFrame({ type: 'headers', fieldSection: section }), end);
  }

  private checkWritable(what: string): void {
    if (this.send === 'idle') throw new TypeError(`${what}() before the header section was sent`);
    if (this.send === 'ended') throw new TypeError(`${what}() after end()`);
  }

  /** RFC 9114 §7.2: frames allowed on a request stream. */
  private checkFrameType(type: number): void {
    switch (type) {
      case H3FrameType.CANCEL_PUSH:
      case H3FrameType.SETTINGS:
      case H3FrameType.GOAWAY:
      case H3FrameType.MAX_PUSH_ID:
        throw new H3ProtocolError(
          H3ErrorCode.H3_FRAME_UNEXPECTED,
          `frame 0x${type.toString(16)} on a request stream`,
        );
      case H3FrameType.PUSH_PROMISE:
        // A server never receives one; this client never sends MAX_PUSH_ID, so every push ID
        // is above its limit (RFC 9114 §7.2.5).
        if (this.host.isServer)
          throw new H3ProtocolError(H3ErrorCode.H3_FRAME_UNEXPECTED, 'PUSH_PROMISE from a client');
        throw new H3ProtocolError(H3ErrorCode.H3_ID_ERROR, 'PUSH_PROMISE without MAX_PUSH_ID');
    }
  }

  private pump(): void {
    if (this.pumping) return; // re-entered from a callback: the running loop continues
    this.pumping = true;
    try {
      while (!this.closed && !this.paused && !this.qpackBlocked && this.recvOpen) {
        const event = this.parser.next();
        if (event !== null) {
          this.handleEvent(event);
          continue;
        }
        if (this.finReceived) {
          this.endOfMessage();
          break;
        }
        const r = this.stream.read(READ_CHUNK);
        if (r === null) break;
        if (r.fin) this.finReceived = true;
        this.parser.push(r.data);
      }
    } catch (e) {
      this.fail(e);
    } finally {
      this.pumping = false;
    }
  }

  private handleEvent(event: FrameEvent): void {
    if (event.kind === 'unknown') return; // RFC 9114 §9: unknown frame types are ignored
    if (event.kind === 'data') {
      // RFC 9114 §4.1: DATA only between the header section and the trailers.
      if (this.recv !== 'body') {
        throw new H3ProtocolError(
          H3ErrorCode.H3_FRAME_UNEXPECTED,
          this.recv === 'headers' ? 'DATA before HEADERS' : 'DATA after trailers',
        );
      }
      const n = event.data.length;
      if (n === 0) return;
      this.received += n;
      if (this.noContent) malformed('content in a message that cannot have any');
      // RFC 9114 §4.1.2: more content than Content-Length is malformed.
      if (this.expectedLength >= 0 && this.received > this.expectedLength) {
        malformed(`content exceeds content-length ${this.expectedLength}`);
      }
      this.onData?.(event.data);
      return;
    }
    // checkFrameType lets only HEADERS through among the known frames.
    const frame = event.frame;
    if (frame.type !== 'headers') return;
    if (this.recv === 'trailers')
      throw new H3ProtocolError(H3ErrorCode.H3_FRAME_UNEXPECTED, 'HEADERS after trailers');
    const fields = this.host.decodeSection(this.id, frame.fieldSection);
    if (fields === null) {
      this.qpackBlocked = true; // RFC 9204 §2.2.1: wait for the encoder stream
      return;
    }
    this.headerSection(fields);
  }

  private headerSection(fields: FieldLine[]): void {
    if (this.recv === 'headers') {
      this.headerSectionReceived(fields);
      return;
    }
    checkTrailers(fields, this.host.isServer);
    this.recv = 'trailers';
    this.onTrailers?.(fields);
  }

  private endOfMessage(): void {
    this.parser.finish();
    if (this.recv === 'headers') {
      throw new H3ProtocolError(
        H3ErrorCode.H3_REQUEST_INCOMPLETE,
        'stream ended before the header section',
        'stream',
      );
    }
    // RFC 9114 §4.1.2: less content than Content-Length is malformed as well.
    if (this.expectedLength >= 0 && !this.noContent && this.received !== this.expectedLength) {
      malformed(`content of ${this.received} bytes, content-length ${this.expectedLength}`);
    }
    this.recv = 'done';
    this.onEnd?.();
    this.maybeClosed();
  }

  /** The incoming message may still deliver something. */
  private get recvOpen(): boolean {
    return this.recv !== 'done' && this.recv !== 'aborted';
  }

  private maybeClosed(): void {
    if (this.closed || this.recvOpen) return;
    if (this.send === 'aborted' || (this.send === 'ended' && this.out.finished)) {
      this.closed = true;
      this.host.streamClosed(this);
    }
  }
}

function malformed(message: string): never {
  throw new H3ProtocolError(H3ErrorCode.H3_MESSAGE_ERROR, message, 'stream');
}
