/**
 * All streams of one connection (RFC 9000 §2-4): stream IDs and stream limits, implicit opening
 * of peer streams, routing of stream frames with the stream-state errors of RFC 9000 §19,
 * connection-level flow control (MAX_DATA, DATA_BLOCKED), stream-count flow control
 * (MAX_STREAMS, STREAMS_BLOCKED), and the choice of what to send next (control frames first,
 * then STREAM data in priority order, see scheduler.ts).
 *
 * The connection feeds it frames and asks it for frames; it reports back through
 * `StreamMapEvents`. Peer protocol violations throw QuicError with the RFC error code.
 */
import type {
  DataBlockedFrame,
  MaxDataFrame,
  MaxStreamDataFrame,
  MaxStreamsFrame,
  ResetStreamFrame,
  StopSendingFrame,
  StreamDataBlockedFrame,
  StreamFrame,
  StreamsBlockedFrame,
} from '../wire/frame-types.js';
import { FrameType } from '../wire/frame-types.js';
import { QuicError, TransportError } from '../wire/errors.js';
import { RecvWindow, SendCredit } from './flow-control.js';
import { controlFrameLength, type StreamControlFrame } from './frame-size.js';
import { StreamScheduler } from './scheduler.js';
import {
  MAX_STREAMS_LIMIT,
  isBidirectional,
  isLocallyInitiated,
  streamIdOf,
  streamIndex,
} from './stream-id.js';
import { Stream, type StreamChunk, type StreamLimits, type StreamOwner } from './stream.js';

/**
 * The stream-related transport parameters (RFC 9000 §18.2), named as in the transport
 * parameter codec so either side's parameters can be passed as they are.
 */
export interface StreamTransportParams {
  initialMaxData: number;
  initialMaxStreamDataBidiLocal: number;
  initialMaxStreamDataBidiRemote: number;
  initialMaxStreamDataUni: number;
  initialMaxStreamsBidi: number;
  initialMaxStreamsUni: number;
}

export interface StreamMapConfig {
  /** This endpoint is the client (RFC 9000 §2.1: client streams have even IDs). */
  isClient: boolean;
  /** Our transport parameters: the limits we give the peer. */
  local: StreamTransportParams;
  /*
   * The sizes below have no defaults here: the connection options (src/conn/options.ts,
   * `streamSendBuffer`, `maxStreamWindow`, `maxConnectionWindow`) are their one source.
   */
  /** Per-stream send buffer: bytes written and not yet acknowledged. */
  sendBufferLimit: number;
  /** Auto-tuning cap of a stream's receive window. */
  maxStreamWindow: number;
  /** Auto-tuning cap of the connection's receive window. */
  maxConnectionWindow: number;
}

/** The connection window is kept at least this many times the largest stream window. */
const CONNECTION_WINDOW_RATIO = 1.5;

/** What the map reports to the connection. Called synchronously. */
export interface StreamMapEvents {
  /** The peer opened a stream (explicitly, or implicitly by using a higher ID, RFC 9000 §3.2). */
  onStreamOpened(stream: Stream): void;
  onStreamReadable(stream: Stream): void;
  onStreamWritable(stream: Stream): void;
  onStreamReset(stream: Stream, errorCode: number): void;
  onStreamStopSending(stream: Stream, errorCode: number): void;
  /** The stream is finished and forgotten; its ID is never reused. */
  onStreamClosed(stream: Stream): void;
  /** Everything written on a stream that reports acks is acknowledged (Stream.reportAcks). */
  onStreamAcked(stream: Stream): void;
  /** `open(bidi)` returned null before and the peer has now raised the limit. */
  onStreamsAvailable(bidi: boolean): void;
  /** Frames are waiting to be sent: the connection should assemble a packet. */
  onSendPending(): void;
}

/** Our own streams of one type, limited by the peer's MAX_STREAMS. */
class LocalStreams {
  /** Index of the next stream to open. */
  next = 0;
  /** The peer's limit (count of streams). */
  limit = 0;
  /** Limit at which STREAMS_BLOCKED was last queued. */
  blockedAt = -1;
  blockedPending = false;
  /** open() failed since the limit last rose. */
  openFailed = false;
}

/** The peer's streams of one type, limited by our MAX_STREAMS. */
class PeerStreams {
  /** Index of the lowest stream not opened yet. */
  next = 0;
  /** Peer streams closed so far: each frees room for a new one. */
  closed = 0;
  pending = false;
  constructor(
    /** Concurrent streams we allow: the initial limit. */
    readonly concurrency: number,
    /** Highest limit advertised (count of streams). */
    public limit: number,
  ) {}

  /** The limit to advertise now: keeps `concurrency` streams open (RFC 9000 §4.6). */
  get target(): number {
    return Math.min(this.concurrency + this.closed, MAX_STREAMS_LIMIT);
  }

  /**
   * Whether to send MAX_STREAMS now: the limit can rise and the peer has at most half of its
   * allowance left to open. A frame for every closed stream made a short connection's last
   * request cost the peer one more datagram to receive and acknowledge; waiting for half keeps
   * a peer opening streams one after another from ever meeting the limit.
   */
  get raiseDue(): boolean {
    return (
      !this.pending && this.target > this.limit && (this.limit - this.next) * 2 <= this.concurrency
    );
  }
}

const NO_PEER_PARAMS: StreamTransportParams = {
  initialMaxData: 0,
  initialMaxStreamDataBidiLocal: 0,
  initialMaxStreamDataBidiRemote: 0,
  initialMaxStreamDataUni: 0,
  initialMaxStreamsBidi: 0,
  initialMaxStreamsUni: 0,
};

export class StreamMap implements StreamOwner {
  private readonly streams = new Map<number, Stream>();
  private readonly isClient: boolean;
  private readonly local: StreamTransportParams;
  private peer: StreamTransportParams = NO_PEER_PARAMS;
  private readonly sendBufferLimit: number;
  private readonly maxStreamWindow: number;
  private readonly localBidi = new LocalStreams();
  private readonly localUni = new LocalStreams();
  private readonly peerBidi: PeerStreams;
  private readonly peerUni: PeerStreams;
  /** Connection send credit: the peer's MAX_DATA (RFC 9000 §4.1). */
  readonly sendCredit = new SendCredit(0);
  /** Connection receive window: our MAX_DATA (RFC 9000 §4.1). */
  readonly recvWindow: RecvWindow;
  private dataBlockedPending = false;
  private readonly scheduler = new StreamScheduler<Stream>();
  /** Streams with control frames to send, in the order they asked. */
  private readonly controlQueue = new Set<Stream>();

  constructor(
    config: StreamMapConfig,
    private readonly events: StreamMapEvents,
  ) {
    this.isClient = config.isClient;
    this.local = config.local;
    checkMaxStreams(config.local.initialMaxStreamsBidi, 'local initial_max_streams_bidi');
    checkMaxStreams(config.local.initialMaxStreamsUni, 'local initial_max_streams_uni');
    this.sendBufferLimit = config.sendBufferLimit;
    this.maxStreamWindow = config.maxStreamWindow;
    this.recvWindow = new RecvWindow(
      config.local.initialMaxData,
      config.maxConnectionWindow,
      FrameType.STREAM,
    );
    this.peerBidi = new PeerStreams(
      config.local.initialMaxStreamsBidi,
      config.local.initialMaxStreamsBidi,
    );
    this.peerUni = new PeerStreams(
      config.local.initialMaxStreamsUni,
      config.local.initialMaxStreamsUni,
    );
  }

  // ---- streams -------------------------------------------------------------------------------

  /** Open streams (not yet closed). */
  get size(): number {
    return this.streams.size;
  }

  get(id: number): Stream | undefined {
    return this.streams.get(id);
  }

  [Symbol.iterator](): IterableIterator<Stream> {
    return this.streams.values();
  }

  /**
   * The peer's transport parameters (or, for 0-RTT, the remembered ones; RFC 9000 §7.4.1 only
   * lets the real ones be larger). Limits only grow; existing streams get the new credit.
   * Throws QuicError TRANSPORT_PARAMETER_ERROR for a stream count above 2^60 (RFC 9000 §4.6).
   */
  setPeerTransportParams(params: StreamTransportParams): void {
    if (params.initialMaxStreamsBidi > MAX_STREAMS_LIMIT) {
      throw new QuicError(
        TransportError.TRANSPORT_PARAMETER_ERROR,
        'initial_max_streams_bidi above 2^60',
      );
    }
    if (params.initialMaxStreamsUni > MAX_STREAMS_LIMIT) {
      throw new QuicError(
        TransportError.TRANSPORT_PARAMETER_ERROR,
        'initial_max_streams_uni above 2^60',
      );
    }
    this.peer = params;
    this.sendCredit.raise(params.initialMaxData);
    this.raiseLocalLimit(true, params.initialMaxStreamsBidi);
    this.raiseLocalLimit(false, params.initialMaxStreamsUni);
    for (const s of this.streams.values()) {
      if (!s.canSend) continue;
      s.onMaxStreamData({
        kind: 'max_stream_data',
        streamId: s.id,
        maximum: this.initialSendCredit(s.id),
      });
    }
    this.events.onSendPending();
  }

  /**
   * Opens a stream of our own (RFC 9000 §2.1: the next ID of its type). Returns null when the
   * peer's MAX_STREAMS limit is reached; STREAMS_BLOCKED is then queued (once per limit) and
   * `onStreamsAvailable` follows when the limit rises.
   */
  open(bidi: boolean): Stream | null {
    const t = bidi ? this.localBidi : this.localUni;
    if (t.next >= t.limit) {
      t.openFailed = true;
      if (t.blockedAt !== t.limit) {
        t.blockedAt = t.limit;
        t.blockedPending = true;
        this.events.onSendPending();
      }
      return null;
    }
    const id = streamIdOf(t.next, bidi, this.isClient);
    t.next++;
    return this.create(id);
  }

  /** How many more streams of a type `open()` can create now. */
  openableStreams(bidi: boolean): number {
    const t = bidi ? this.localBidi : this.localUni;
    return t.limit - t.next;
  }

  // ---- incoming frames -------------------------------------------------------------------------

  /** STREAM (RFC 9000 §19.8). Ignored for a closed stream. */
  onStreamFrame(frame: StreamFrame): void {
    this.receivingStream(frame.streamId, FrameType.STREAM, 'STREAM')?.onStreamFrame(frame);
  }

  /** RESET_STREAM (RFC 9000 §19.4). Ignored for a closed stream. */
  onResetStream(frame: ResetStreamFrame): void {
    this.receivingStream(frame.streamId, FrameType.RESET_STREAM, 'RESET_STREAM')?.onResetStream(
      frame,
    );
  }

  /** STREAM_DATA_BLOCKED (RFC 9000 §19.13): opens the stream, otherwise informational. */
  onStreamDataBlocked(frame: StreamDataBlockedFrame): void {
    this.receivingStream(
      frame.streamId,
      FrameType.STREAM_DATA_BLOCKED,
      'STREAM_DATA_BLOCKED',
    )?.onStreamDataBlocked(frame);
  }

  /** STOP_SENDING (RFC 9000 §19.5). Ignored for a closed stream. */
  onStopSending(frame: StopSendingFrame): void {
    this.sendingStream(frame.streamId, FrameType.STOP_SENDING, 'STOP_SENDING')?.onStopSending(
      frame,
    );
  }

  /** MAX_STREAM_DATA (RFC 9000 §19.10). Ignored for a closed stream. */
  onMaxStreamData(frame: MaxStreamDataFrame): void {
    this.sendingStream(
      frame.streamId,
      FrameType.MAX_STREAM_DATA,
      'MAX_STREAM_DATA',
    )?.onMaxStreamData(frame);
  }

  /** MAX_DATA (RFC 9000 §19.9): only increases count. */
  onMaxData(frame: MaxDataFrame): void {
    if (this.sendCredit.raise(frame.maximum) && this.scheduler.size > 0) {
      this.events.onSendPending();
    }
  }

  /** DATA_BLOCKED (RFC 9000 §19.12): informational; our MAX_DATA never waits for it (§4.2). */
  onDataBlocked(_frame: DataBlockedFrame): void {}

  /**
   * MAX_STREAMS (RFC 9000 §19.11): only increases count; above 2^60 is FRAME_ENCODING_ERROR.
   */
  onMaxStreams(frame: MaxStreamsFrame): void {
    const type = frame.bidi ? FrameType.MAX_STREAMS_BIDI : FrameType.MAX_STREAMS_UNI;
    if (frame.maximum > MAX_STREAMS_LIMIT) {
      throw new QuicError(TransportError.FRAME_ENCODING_ERROR, 'MAX_STREAMS above 2^60', type);
    }
    this.raiseLocalLimit(frame.bidi, frame.maximum);
  }

  /** STREAMS_BLOCKED (RFC 9000 §19.14): informational; above 2^60 is FRAME_ENCODING_ERROR. */
  onStreamsBlocked(frame: StreamsBlockedFrame): void {
    if (frame.limit > MAX_STREAMS_LIMIT) {
      throw new QuicError(
        TransportError.FRAME_ENCODING_ERROR,
        'STREAMS_BLOCKED above 2^60',
        frame.bidi ? FrameType.STREAMS_BLOCKED_BIDI : FrameType.STREAMS_BLOCKED_UNI,
      );
    }
  }

  // ---- sending ---------------------------------------------------------------------------------

  /**
   * Something waits to be sent: a control frame, or STREAM data that flow control allows. (A
   * queued frame can still turn out to be obsolete when polled.)
   */
  get hasPendingSend(): boolean {
    return (
      this.controlQueue.size > 0 ||
      this.recvWindow.updatePending ||
      this.dataBlockedPending ||
      this.peerBidi.pending ||
      this.peerUni.pending ||
      this.localBidi.blockedPending ||
      this.localUni.blockedPending ||
      (this.scheduler.size > 0 &&
        (this.sendCredit.available > 0 || this.scheduler.pick(acceptWithoutCredit) !== null))
    );
  }

  /**
   * Bytes of new STREAM data waiting to be sent: never sent, within the streams' credit and the
   * connection's (RFC 9000 §4.1). Retransmissions aside. O(streams with data to send).
   */
  get unsentBytes(): number {
    const available = this.sendCredit.available;
    if (available === 0 || this.scheduler.size === 0) return 0;
    return Math.min(available, this.scheduler.sum(unsentOf));
  }

  /**
   * The next control frame that fits in `maxBytes`, or null: connection-level ones (MAX_DATA,
   * MAX_STREAMS, DATA_BLOCKED, STREAMS_BLOCKED) first, then per-stream ones. `now` and `rtt`
   * (microseconds) drive receive-window auto-tuning. The connection keeps the returned object
   * in its sent-packet record and hands it back to `onControlFrameAcked` / `onControlFrameLost`.
   */
  pollControlFrame(maxBytes: number, now: number, rtt: number): StreamControlFrame | null {
    const conn = this.pollConnectionFrame(maxBytes, now, rtt);
    if (conn !== null || this.controlQueue.size === 0) return conn;
    for (const s of this.controlQueue) {
      const frame = s.pollControlFrame(maxBytes, now, rtt);
      if (!s.hasPendingControl) this.controlQueue.delete(s);
      if (frame !== null) {
        if (frame.kind === 'max_stream_data') {
          this.recvWindow.ensureWindow(Math.ceil(s.recvWindow * CONNECTION_WINDOW_RATIO));
        }
        return frame;
      }
      if (s.hasPendingControl) return null; // did not fit
    }
    return null;
  }

  /**
   * Fills `out` with the next STREAM frame that fits in `maxFrameBytes` (header included, see
   * frame-size.ts), chosen by priority. Returns false when nothing can be sent. The connection
   * then writes the frame header and copies the data with
   * `out.stream.copyOut(out.offset, out.length, packet, position)`, and later reports the
   * frame with `onStreamDataAcked` / `onStreamDataLost`.
   */
  pollStreamData(maxFrameBytes: number, out: StreamChunk): boolean {
    while (this.scheduler.size > 0) {
      const available = this.sendCredit.available;
      const s = this.scheduler.pick(available > 0 ? acceptAny : acceptWithoutCredit);
      if (s === null) return false;
      if (s.pollStreamData(maxFrameBytes, available, out)) {
        this.sendCredit.consume(out.newBytes);
        this.scheduler.sent(s);
        if (!s.hasDataToSend) this.scheduler.remove(s);
        if (s.hasPendingControl) this.controlQueue.add(s);
        if (out.newBytes > 0) this.checkConnectionBlocked();
        return true;
      }
      if (s.hasDataToSend) return false; // did not fit
      this.scheduler.remove(s);
    }
    return false;
  }

  /** A STREAM frame was acknowledged. Frames of closed streams are ignored. */
  onStreamDataAcked(streamId: number, offset: number, length: number, fin: boolean): void {
    this.streams.get(streamId)?.onStreamDataAcked(offset, length, fin);
  }

  /** A STREAM frame was declared lost: its data is queued again (unless the stream was reset). */
  onStreamDataLost(streamId: number, offset: number, length: number, fin: boolean): void {
    this.streams.get(streamId)?.onStreamDataLost(offset, length, fin);
  }

  /** A control frame from `pollControlFrame` was acknowledged. */
  onControlFrameAcked(frame: StreamControlFrame): void {
    if (frame.kind === 'reset_stream') this.streams.get(frame.streamId)?.onControlFrameAcked(frame);
  }

  /**
   * A control frame from `pollControlFrame` was declared lost: it is queued again, with current
   * values, only if still relevant (RFC 9000 §13.3).
   */
  onControlFrameLost(frame: StreamControlFrame): void {
    switch (frame.kind) {
      case 'max_data':
        if (this.recvWindow.onUpdateLost(frame.maximum)) this.events.onSendPending();
        return;
      case 'data_blocked':
        if (this.sendCredit.stillBlockedAt(frame.limit) && !this.dataBlockedPending) {
          this.dataBlockedPending = true;
          this.events.onSendPending();
        }
        return;
      case 'max_streams': {
        const t = frame.bidi ? this.peerBidi : this.peerUni;
        if (frame.maximum === t.limit && !t.pending) {
          t.pending = true;
          this.events.onSendPending();
        }
        return;
      }
      case 'streams_blocked': {
        const t = frame.bidi ? this.localBidi : this.localUni;
        if (frame.limit === t.limit && t.next >= t.limit && !t.blockedPending) {
          t.blockedPending = true;
          this.events.onSendPending();
        }
        return;
      }
      default:
        this.streams.get(frame.streamId)?.onControlFrameLost(frame);
    }
  }

  // ---- StreamOwner ---------------------------------------------------------------------------

  onStreamSendable(s: Stream): void {
    if (s.isClosed) return;
    if (s.hasDataToSend) this.scheduler.add(s);
    else this.scheduler.remove(s);
    if (s.hasPendingControl) this.controlQueue.add(s);
    this.checkConnectionBlocked();
    this.events.onSendPending();
  }

  onStreamReadable(s: Stream): void {
    this.events.onStreamReadable(s);
  }

  onStreamWritable(s: Stream): void {
    this.events.onStreamWritable(s);
  }

  onStreamReset(s: Stream, errorCode: number): void {
    this.events.onStreamReset(s, errorCode);
  }

  onStreamStopSending(s: Stream, errorCode: number): void {
    this.events.onStreamStopSending(s, errorCode);
  }

  onStreamAcked(s: Stream): void {
    this.events.onStreamAcked(s);
  }

  onStreamPriorityChanged(s: Stream): void {
    this.scheduler.update(s);
  }

  onStreamDataReceived(_s: Stream, bytes: number): void {
    this.recvWindow.onReceived(bytes);
  }

  onStreamDataConsumed(_s: Stream, bytes: number): void {
    if (this.recvWindow.onConsumed(bytes)) this.events.onSendPending();
  }

  /** The stream is forgotten; a peer stream frees room for another (MAX_STREAMS, §4.6). */
  onStreamClosed(s: Stream): void {
    this.streams.delete(s.id);
    this.scheduler.remove(s);
    this.controlQueue.delete(s);
    if (!s.locallyInitiated) {
      const t = s.bidirectional ? this.peerBidi : this.peerUni;
      t.closed++;
      this.raiseLimitIfDue(t);
    }
    this.events.onStreamClosed(s);
  }

  // ---- internals -------------------------------------------------------------------------------

  private pollConnectionFrame(
    maxBytes: number,
    now: number,
    rtt: number,
  ): StreamControlFrame | null {
    const window = this.recvWindow;
    if (window.updatePending) {
      // Sized with an upper bound of the new limit (the window at most doubles).
      const frame: MaxDataFrame = { kind: 'max_data', maximum: window.limit + window.window * 2 };
      if (controlFrameLength(frame) > maxBytes) return null;
      frame.maximum = window.takeUpdate(now, rtt);
      return frame;
    }
    const maxStreams =
      this.pollMaxStreams(this.peerBidi, true, maxBytes) ??
      this.pollMaxStreams(this.peerUni, false, maxBytes);
    if (maxStreams !== null) return maxStreams;
    if (this.dataBlockedPending) {
      if (!this.sendCredit.blocked) {
        this.dataBlockedPending = false;
      } else {
        const frame: DataBlockedFrame = { kind: 'data_blocked', limit: this.sendCredit.limit };
        if (controlFrameLength(frame) > maxBytes) return null;
        this.dataBlockedPending = false;
        return frame;
      }
    }
    return (
      this.pollStreamsBlocked(this.localBidi, true, maxBytes) ??
      this.pollStreamsBlocked(this.localUni, false, maxBytes)
    );
  }

  private pollMaxStreams(t: PeerStreams, bidi: boolean, maxBytes: number): MaxStreamsFrame | null {
    if (!t.pending) return null;
    const frame: MaxStreamsFrame = { kind: 'max_streams', bidi, maximum: t.target };
    if (controlFrameLength(frame) > maxBytes) return null;
    t.pending = false;
    t.limit = frame.maximum;
    return frame;
  }

  /** STREAMS_BLOCKED while still blocked at the limit (RFC 9000 §19.14). */
  private pollStreamsBlocked(
    t: LocalStreams,
    bidi: boolean,
    maxBytes: number,
  ): StreamsBlockedFrame | null {
    if (!t.blockedPending) return null;
    if (t.next < t.limit) {
      t.blockedPending = false;
      return null;
    }
    const frame: StreamsBlockedFrame = { kind: 'streams_blocked', bidi, limit: t.limit };
    if (controlFrameLength(frame) > maxBytes) return null;
    t.blockedPending = false;
    return frame;
  }

  /**
   * RFC 9000 §4.1: DATA_BLOCKED (once per limit) when connection credit is used up while a
   * stream has new data its own credit would allow.
   */
  private checkConnectionBlocked(): void {
    if (!this.sendCredit.blockedSignalDue || this.scheduler.pick(needsConnectionCredit) === null) {
      return;
    }
    this.sendCredit.shouldSignalBlocked();
    this.dataBlockedPending = true;
    this.events.onSendPending();
  }

  private raiseLocalLimit(bidi: boolean, limit: number): void {
    const t = bidi ? this.localBidi : this.localUni;
    if (limit <= t.limit) return;
    t.limit = limit;
    if (t.openFailed) {
      t.openFailed = false;
      this.events.onStreamsAvailable(bidi);
    }
  }

  /**
   * The stream a frame that needs our receiving part refers to (STREAM, RESET_STREAM,
   * STREAM_DATA_BLOCKED), opening peer streams as needed; null for a closed stream.
   */
  private receivingStream(id: number, frameType: number, name: string): Stream | null {
    if (!isBidirectional(id) && isLocallyInitiated(id, this.isClient)) {
      throw new QuicError(
        TransportError.STREAM_STATE_ERROR,
        `${name} for send-only stream ${id}`,
        frameType,
      );
    }
    return this.streamFor(id, frameType, name);
  }

  /**
   * The stream a frame that needs our sending part refers to (STOP_SENDING, MAX_STREAM_DATA),
   * opening peer streams as needed; null for a closed stream.
   */
  private sendingStream(id: number, frameType: number, name: string): Stream | null {
    if (!isBidirectional(id) && !isLocallyInitiated(id, this.isClient)) {
      throw new QuicError(
        TransportError.STREAM_STATE_ERROR,
        `${name} for receive-only stream ${id}`,
        frameType,
      );
    }
    return this.streamFor(id, frameType, name);
  }

  private streamFor(id: number, frameType: number, name: string): Stream | null {
    const existing = this.streams.get(id);
    if (existing !== undefined) return existing;
    const bidi = isBidirectional(id);
    const index = streamIndex(id);
    if (isLocallyInitiated(id, this.isClient)) {
      // RFC 9000 §19.4-19.13: a frame for our own stream that we have not opened.
      if (index >= (bidi ? this.localBidi : this.localUni).next) {
        throw new QuicError(
          TransportError.STREAM_STATE_ERROR,
          `${name} for stream ${id}, not opened yet`,
          frameType,
        );
      }
      return null; // closed and forgotten
    }
    const t = bidi ? this.peerBidi : this.peerUni;
    if (index < t.next) return null; // closed and forgotten
    if (index >= t.limit) {
      // RFC 9000 §4.6
      throw new QuicError(
        TransportError.STREAM_LIMIT_ERROR,
        `${name} for stream ${id} beyond the limit of ${t.limit} streams`,
        frameType,
      );
    }
    // RFC 9000 §3.2: streams of the same type with lower IDs open first, in order.
    let stream: Stream | null = null;
    for (let i = t.next; i <= index; i++) {
      t.next = i + 1;
      stream = this.create(streamIdOf(i, bidi, !this.isClient));
      this.events.onStreamOpened(stream);
    }
    this.raiseLimitIfDue(t);
    return stream;
  }

  private raiseLimitIfDue(t: PeerStreams): void {
    if (!t.raiseDue) return;
    t.pending = true;
    this.events.onSendPending();
  }

  private create(id: number): Stream {
    const limits: StreamLimits = {
      sendCredit: this.initialSendCredit(id),
      sendBufferLimit: this.sendBufferLimit,
      recvWindow: this.initialRecvWindow(id),
      maxRecvWindow: this.maxStreamWindow,
    };
    const stream = new Stream(id, this.isClient, this, limits);
    this.streams.set(id, stream);
    return stream;
  }

  /** The peer's limit for our sending on stream `id` (RFC 9000 §18.2). */
  private initialSendCredit(id: number): number {
    if (!isBidirectional(id)) return this.peer.initialMaxStreamDataUni;
    // The peer's "remote" parameter covers streams we (its remote) opened.
    return isLocallyInitiated(id, this.isClient)
      ? this.peer.initialMaxStreamDataBidiRemote
      : this.peer.initialMaxStreamDataBidiLocal;
  }

  /** Our limit for the peer's sending on stream `id` (RFC 9000 §18.2). */
  private initialRecvWindow(id: number): number {
    if (!isBidirectional(id)) return this.local.initialMaxStreamDataUni;
    return isLocallyInitiated(id, this.isClient)
      ? this.local.initialMaxStreamDataBidiLocal
      : this.local.initialMaxStreamDataBidiRemote;
  }
}

const acceptAny = (_s: Stream): boolean => true;
const acceptWithoutCredit = (s: Stream): boolean => s.canSendWithoutCredit;
const unsentOf = (s: Stream): number => s.unsentBytes;
const needsConnectionCredit = (s: Stream): boolean => s.needsConnectionCredit;

function checkMaxStreams(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > MAX_STREAMS_LIMIT) {
    throw new RangeError(`${name} must be an integer from 0 to 2^60, got ${value}`);
  }
}
