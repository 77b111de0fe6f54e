/**
 * The HTTP/3 connection logic shared by client and server (RFC 9114 §3.2, §5, §6.2, §7): the
 * control streams and SETTINGS in both directions, the QPACK encoder and decoder streams
 * (RFC 9204 §4.2), routing of stream events to request streams, GOAWAY, and connection errors.
 *
 * The session is sans-IO: it talks to QUIC only through H3Transport / H3Stream
 * (transport.ts), and the adapter drives it by calling the handle* methods. Every protocol
 * violation by the peer closes the connection with its RFC error code (or resets one stream);
 * nothing thrown by peer input escapes the handle* methods.
 */
import { H3ProtocolError, H3ErrorCode, reservedCodePoint } from '../errors.js';
import {
  encodeFrame,
  encodeRawFrame,
  encodeStreamType,
  type FrameEvent,
  FrameParser,
  H3FrameType,
  H3SettingId,
  H3StreamType,
  PartialVarint,
} from '../frames.js';
import { QpackDecoder } from '../qpack/decoder.js';
import { QpackEncoder } from '../qpack/encoder.js';
import type { FieldLine } from '../qpack/field-section.js';
import {
  advertisedSettings,
  DEFAULT_MAX_FIELD_SECTION_SIZE,
  DEFAULT_QPACK_BLOCKED_STREAMS,
  DEFAULT_QPACK_MAX_TABLE_CAPACITY,
} from './advertised-settings.js';
import { fieldSectionSize } from './message.js';
import type { H3RequestStream } from './request-stream.js';
import { headersFrame, settingsFrame, settingsParameters, streamTypeSet } from './qlog.js';
import { checkRememberedSettings, keepsRememberedEncoder } from './remembered-settings.js';
import { SendQueue } from './send-queue.js';
import { type H3Stream, type H3Transport, isUnidirectional } from './transport.js';

export interface H3SessionOptions {
  /**
   * SETTINGS_QPACK_MAX_TABLE_CAPACITY advertised: the dynamic table the peer's encoder may use
   * for what it sends here (RFC 9204 §5). Default 4096.
   */
  qpackMaxTableCapacity?: number;
  /** SETTINGS_QPACK_BLOCKED_STREAMS advertised (RFC 9204 §5). Default 16. */
  qpackBlockedStreams?: number;
  /**
   * SETTINGS_MAX_FIELD_SECTION_SIZE advertised and enforced on received header and trailer
   * sections (RFC 9114 §4.2.2). Default 65536.
   */
  maxFieldSectionSize?: number;
  /** Largest dynamic table this endpoint's encoder uses, whatever the peer allows. Default 4096. */
  qpackEncoderMaxTableCapacity?: number;
  /** Huffman-code literals when shorter. Default true. */
  huffman?: boolean;
  /**
   * Exercise the peer's handling of unknown values (RFC 9114 §6.2.3, §7.2.4.1, §7.2.8): a
   * reserved setting, a reserved frame on the control stream and one reserved stream.
   * Default true.
   */
  grease?: boolean;
  /** Randomness for the grease choices, in [0, 1). Default Math.random. */
  random?: () => number;
  /**
   * Client resuming with 0-RTT: the server's SETTINGS remembered from the connection that gave
   * the session ticket (RFC 9114 §7.2.4.2). They apply until the server's SETTINGS arrive, which
   * are checked against them (remembered-settings.ts).
   */
  rememberedSettings?: ReadonlyMap<number, number>;
}

/** Where the two QPACK dynamic tables of a connection stand (RFC 9204 §2.1.4, §4.4). */
export interface QpackStats {
  /** Inserts this endpoint's encoder made into the table the peer decodes. */
  readonly encoderInsertCount: number;
  /** Of those, how many the peer's decoder acknowledged (the Known Received Count). */
  readonly encoderAcknowledgedCount: number;
  /** Capacity of the encoder's table (0 until the first insert needs one). */
  readonly encoderCapacity: number;
  /** Inserts the peer's encoder made into the table this endpoint decodes. */
  readonly decoderInsertCount: number;
  /** Of those, how many this endpoint's decoder acknowledged to the peer. */
  readonly decoderAcknowledgedCount: number;
  /** Capacity the peer's encoder set for the table this endpoint decodes. */
  readonly decoderCapacity: number;
  /** Request streams waiting for inserts before a field section can be decoded. */
  readonly blockedStreams: number;
}

/** A peer-initiated unidirectional stream. */
interface IncomingUni {
  readonly stream: H3Stream;
  kind: 'pending' | 'control' | 'encoder' | 'decoder' | 'ignored';
  readonly type: PartialVarint;
  parser: FrameParser | null;
}

/** Bytes asked of the transport per read on unidirectional streams. */
const READ_CHUNK = 16384;

export abstract class H3Session<R extends H3RequestStream = H3RequestStream> {
  readonly isServer: boolean;
  readonly maxFieldSectionSize: number;

  /** The peer's SETTINGS once received. */
  peerSettings: ReadonlyMap<number, number> | null = null;
  /** The last GOAWAY identifier sent, or null. */
  goawaySent: number | null = null;
  /** The last GOAWAY identifier received, or null. */
  goawayReceived: number | null = null;
  /** Why the connection closed, once it has. */
  closeError: H3ProtocolError | null = null;

  /** The peer's SETTINGS arrived (RFC 9114 §7.2.4). */
  onSettings: ((settings: ReadonlyMap<number, number>) => void) | null = null;
  /** The peer sent GOAWAY (RFC 9114 §5.2). */
  onGoaway: ((id: number) => void) | null = null;
  /** The connection closed, locally or by the peer or transport. */
  onClose: ((error: H3ProtocolError) => void) | null = null;

  protected readonly transport: H3Transport;
  protected readonly requests = new Map<number, R>();
  /** Close with H3_NO_ERROR once no request is left (shutdown()). */
  protected shuttingDown = false;

  private readonly encoder: QpackEncoder;
  private readonly decoder: QpackDecoder;
  private readonly random: () => number;
  private readonly grease: boolean;
  private peerMaxFieldSectionSize = Number.POSITIVE_INFINITY;
  /** The remembered SETTINGS in force until the server's arrive (client, 0-RTT). */
  private remembered: ReadonlyMap<number, number> | null = null;

  // Outgoing critical streams (RFC 9114 §6.2.1, RFC 9204 §4.2), queued until opened.
  private readonly control = new SendQueue();
  private readonly encoderStream = new SendQueue();
  /** Our SETTINGS, for qlog's frame_created once the control stream has its ID. */
  private sentSettings: ReadonlyMap<number, number> | null = null;
  private readonly decoderStream = new SendQueue();
  private readonly localUni = new Map<number, SendQueue>();
  private pendingOpen: SendQueue[];
  private greaseStreamPending: boolean;

  private readonly incomingUni = new Map<number, IncomingUni>();
  private peerControlSeen = false;
  private peerEncoderSeen = false;
  private peerDecoderSeen = false;
  private firstControlFrame = true;
  /** The client's MAX_PUSH_ID so far (server side), -1 before any. */
  private maxPushId = -1;

  protected constructor(transport: H3Transport, options: H3SessionOptions = {}) {
    this.transport = transport;
    this.isServer = transport.isServer;
    this.maxFieldSectionSize = options.maxFieldSectionSize ?? DEFAULT_MAX_FIELD_SECTION_SIZE;
    this.random = options.random ?? Math.random;
    this.grease = options.grease ?? true;
    this.decoder = new QpackDecoder({
      maxTableCapacity: options.qpackMaxTableCapacity ?? DEFAULT_QPACK_MAX_TABLE_CAPACITY,
      maxBlockedStreams: options.qpackBlockedStreams ?? DEFAULT_QPACK_BLOCKED_STREAMS,
      maxFieldSectionSize: this.maxFieldSectionSize,
    });
    this.encoder = new QpackEncoder({
      maxTableCapacity: options.qpackEncoderMaxTableCapacity ?? 4096,
      huffman: options.huffman ?? true,
    });
    if (!this.isServer && options.rememberedSettings !== undefined) {
      this.remembered = options.rememberedSettings;
      this.applyLimits(this.remembered);
    }

    // RFC 9114 §6.2.1: SETTINGS first on the control stream, sent without waiting for the peer.
    this.control.push(encodeStreamType(H3StreamType.CONTROL));
    const settings = this.localSettings();
    this.control.push(encodeFrame({ type: 'settings', settings }));
    this.transport.qlog?.('http3:parameters_set', settingsParameters(settings, 'local'));
    this.sentSettings = settings;
    if (this.grease) {
      const payload = new Uint8Array(this.randomInt(8));
      for (let i = 0; i < payload.length; i++) payload[i] = this.randomInt(256);
      this.control.push(encodeRawFrame(reservedCodePoint(this.randomInt(1 << 20)), payload));
    }
    this.encoderStream.push(encodeStreamType(H3StreamType.QPACK_ENCODER));
    this.decoderStream.push(encodeStreamType(H3StreamType.QPACK_DECODER));
    // The critical streams first, then a reserved one if the peer allows it (RFC 9114 §6.2).
    this.pendingOpen = [this.control, this.encoderStream, this.decoderStream];
    this.greaseStreamPending = this.grease;
    this.openLocalStreams();
  }

  /** Whether the connection has closed. */
  get closed(): boolean {
    return this.closeError !== null;
  }

  /** The state of both QPACK dynamic tables. */
  get qpackStats(): QpackStats {
    const e = this.encoder;
    const d = this.decoder;
    return {
      encoderInsertCount: e.insertCount,
      encoderAcknowledgedCount: e.knownReceivedCount,
      encoderCapacity: e.capacity,
      decoderInsertCount: d.insertCount,
      decoderAcknowledgedCount: d.acknowledgedInsertCount,
      decoderCapacity: d.capacity,
      blockedStreams: d.blockedStreamCount,
    };
  }

  /** Number of request streams in progress. */
  get activeRequests(): number {
    return this.requests.size;
  }

  // Entry points for the adapter.

  /** The peer opened a stream. */
  handleStream(stream: H3Stream): void {
    if (this.closed) return;
    this.guard(() => {
      if (isUnidirectional(stream.id)) {
        const uni: IncomingUni = {
          stream,
          kind: 'pending',
          type: new PartialVarint(),
          parser: null,
        };
        this.incomingUni.set(stream.id, uni);
        this.readUni(uni);
      } else {
        this.acceptRequestStream(stream);
      }
    });
  }

  /** Data or a FIN can be read from a stream. */
  handleReadable(streamId: number): void {
    if (this.closed) return;
    this.guard(() => {
      const uni = this.incomingUni.get(streamId);
      if (uni !== undefined) this.readUni(uni);
      else this.requests.get(streamId)?.handleReadable();
    });
  }

  /** A stream can take more data. */
  handleWritable(streamId: number): void {
    if (this.closed) return;
    this.guard(() => {
      const queue = this.localUni.get(streamId);
      if (queue !== undefined) queue.flush();
      else this.requests.get(streamId)?.handleWritable();
    });
  }

  /** The peer reset a stream it sends on (RESET_STREAM). */
  handleReset(streamId: number, code: number): void {
    if (this.closed) return;
    this.guard(() => {
      const uni = this.incomingUni.get(streamId);
      if (uni !== undefined) {
        if (uni.kind === 'control' || uni.kind === 'encoder' || uni.kind === 'decoder') {
          throw closedCritical(`peer reset its ${uni.kind} stream`);
        }
        // RFC 9114 §6.2: other unidirectional streams may be reset, even before their type.
        this.incomingUni.delete(streamId);
        return;
      }
      this.requests.get(streamId)?.handlePeerReset(code);
    });
  }

  /** The peer asked this endpoint to stop sending on a stream (STOP_SENDING). */
  handleStopSending(streamId: number, code: number): void {
    if (this.closed) return;
    this.guard(() => {
      const queue = this.localUni.get(streamId);
      if (queue !== undefined) {
        // RFC 9114 §6.2.1, RFC 9204 §4.2: a receiver must not ask to close a critical stream.
        if (
          queue === this.control ||
          queue === this.encoderStream ||
          queue === this.decoderStream
        ) {
          throw closedCritical('peer sent STOP_SENDING on a critical stream');
        }
        queue.reset(code); // the reserved stream
        this.localUni.delete(streamId);
        return;
      }
      this.requests.get(streamId)?.handleStopSending(code);
    });
  }

  /** The peer raised its stream limits: critical streams not opened yet are retried. */
  handleStreamCredit(): void {
    if (this.closed) return;
    this.openLocalStreams();
  }

  /**
   * The QUIC connection closed (by the peer, an idle timeout or a transport error). `code` is
   * the application or transport error code it closed with.
   */
  handleClose(code: number, reason: string): void {
    this.terminate(
      new H3ProtocolError(code, reason || 'connection closed', 'connection', true),
      false,
    );
  }

  // Application calls.

  /** Closes the connection now with an HTTP/3 error code (RFC 9114 §5.3). */
  close(code: number = H3ErrorCode.H3_NO_ERROR, reason = ''): void {
    this.terminate(new H3ProtocolError(code, reason || 'closed locally'), true);
  }

  /**
   * Graceful shutdown (RFC 9114 §5.2): sends GOAWAY, lets the requests in progress finish, then
   * closes with H3_NO_ERROR.
   */
  shutdown(): void {
    if (this.closed) return;
    this.shuttingDown = true;
    const id = this.defaultGoawayId();
    if (this.goawaySent === null || id < this.goawaySent) this.sendGoaway(id);
    if (this.requests.size === 0) this.close(H3ErrorCode.H3_NO_ERROR, 'shutdown');
  }

  /**
   * Sends GOAWAY (RFC 9114 §5.2, §7.2.6). The identifier defaults to what this endpoint has
   * accepted so far; it may never grow between GOAWAY frames (RangeError).
   */
  abstract sendGoaway(id?: number): void;

  // StreamHost, for request streams (internal: stripped from the .d.ts, so the class does not
  // declare `implements StreamHost`; the request streams' constructors check it structurally).

  /** @internal */
  encodeSection(streamId: number, fields: readonly FieldLine[]): Uint8Array {
    this.checkPeerFieldSectionLimit(fields);
    // RFC 9204 §2.1.3: no new instructions while the encoder stream is backed up.
    const section = this.encoder.encode(streamId, fields, this.encoderStream.queued === 0);
    const instructions = this.encoder.takeEncoderStreamData();
    if (instructions !== null) this.encoderStream.push(instructions);
    this.transport.qlog?.('http3:frame_created', {
      stream_id: streamId,
      frame: headersFrame(fields),
    });
    return section;
  }

  /** @internal */
  decodeSection(streamId: number, section: Uint8Array): FieldLine[] | null {
    const fields = this.decoder.decode(streamId, section);
    this.flushDecoderStream();
    if (fields !== null) this.logParsedHeaders(streamId, fields);
    return fields;
  }

  /** @internal */
  decodeUnblockedSection(streamId: number): FieldLine[] {
    const fields = this.decoder.decodeUnblocked(streamId);
    this.flushDecoderStream();
    this.logParsedHeaders(streamId, fields);
    return fields;
  }

  private logParsedHeaders(streamId: number, fields: readonly FieldLine[]): void {
    this.transport.qlog?.('http3:frame_parsed', {
      stream_id: streamId,
      frame: headersFrame(fields),
    });
  }

  /** @internal */
  cancelDecoding(streamId: number): void {
    this.decoder.cancelStream(streamId);
    this.flushDecoderStream();
  }

  /** @internal */
  streamClosed(stream: H3RequestStream): void {
    this.requests.delete(stream.id);
    if (this.shuttingDown && this.requests.size === 0 && !this.closed) {
      this.close(H3ErrorCode.H3_NO_ERROR, 'shutdown complete');
    }
  }

  /** @internal */
  connectionError(error: H3ProtocolError): void {
    // A stream-scoped code raised on a stream the connection depends on ends the connection.
    this.terminate(
      error.scope === 'connection' ? error : new H3ProtocolError(error.code, error.reason),
      true,
    );
  }

  // For the client and server specializations.

  /**
   * RFC 9114 §4.2.2: a section above the peer's SETTINGS_MAX_FIELD_SECTION_SIZE would likely be
   * refused, so sending one is refused here (RangeError).
   */
  protected checkPeerFieldSectionLimit(fields: readonly FieldLine[]): void {
    const size = fieldSectionSize(fields);
    if (size > this.peerMaxFieldSectionSize) {
      throw new RangeError(
        `field section of ${size} bytes exceeds the peer's limit ${this.peerMaxFieldSectionSize}`,
      );
    }
  }

  /** The GOAWAY identifier covering everything accepted so far. */
  protected abstract defaultGoawayId(): number;

  /** A peer-initiated bidirectional stream opened. */
  protected abstract acceptRequestStream(stream: H3Stream): void;

  /** Checks and applies a GOAWAY from the peer (the identifier's meaning depends on the role). */
  protected abstract peerGoaway(id: number): void;

  /** Writes a GOAWAY frame and records its identifier; enforces that it never grows. */
  protected writeGoaway(id: number): void {
    if (this.closed) return;
    if (this.goawaySent !== null && id > this.goawaySent) {
      throw new RangeError(`GOAWAY identifier ${id} above the previous ${this.goawaySent}`);
    }
    this.goawaySent = id;
    this.control.push(encodeFrame({ type: 'goaway', id }));
    const streamId = this.control.streamId;
    if (streamId !== null) {
      this.transport.qlog?.('http3:frame_created', {
        stream_id: streamId,
        frame: { frame_type: 'goaway', id },
      });
    }
  }

  /** RFC 9114 §5.2: a GOAWAY identifier may not grow (H3_ID_ERROR); records it. */
  protected recordPeerGoaway(id: number): void {
    if (this.goawayReceived !== null && id > this.goawayReceived) {
      throw new H3ProtocolError(
        H3ErrorCode.H3_ID_ERROR,
        `GOAWAY ${id} above the previous ${this.goawayReceived}`,
      );
    }
    this.goawayReceived = id;
  }

  /** Runs an entry point; an H3ProtocolError escaping it closes the connection. */
  protected guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      if (!(e instanceof H3ProtocolError)) throw e;
      this.connectionError(e);
    }
  }

  private terminate(error: H3ProtocolError, notifyTransport: boolean): void {
    if (this.closed) return;
    this.closeError = error;
    if (notifyTransport) this.transport.close(error.code, error.reason);
    const requests = [...this.requests.values()];
    this.requests.clear();
    for (const request of requests) request.handleConnectionClosed(error);
    this.onClose?.(error);
  }

  private localSettings(): Map<number, number> {
    const settings = advertisedSettings({
      qpackMaxTableCapacity: this.decoder.maxTableCapacity,
      qpackBlockedStreams: this.decoder.maxBlockedStreams,
      maxFieldSectionSize: this.maxFieldSectionSize,
    });
    if (this.grease)
      settings.set(reservedCodePoint(this.randomInt(1 << 20)), this.randomInt(1 << 30));
    return settings;
  }

  private randomInt(n: number): number {
    return Math.floor(this.random() * n);
  }

  private openLocalStreams(): void {
    while (this.pendingOpen.length > 0) {
      const stream = this.transport.openStream(false);
      if (stream === null) return;
      const queue = this.pendingOpen.shift()!;
      this.localUni.set(stream.id, queue);
      queue.attach(stream);
      this.logLocalStream(stream.id, queue);
    }
    if (this.greaseStreamPending) {
      const stream = this.transport.openStream(false);
      if (stream === null) return;
      this.greaseStreamPending = false;
      // RFC 9114 §6.2.3: a reserved type with arbitrary content, then a clean end.
      const queue = new SendQueue(stream);
      this.localUni.set(stream.id, queue);
      queue.push(encodeStreamType(reservedCodePoint(this.randomInt(1 << 20))));
      queue.push(new Uint8Array(this.randomInt(16)), true);
    }
  }

  /** qlog: the type of a critical stream we opened, and our SETTINGS on the control stream. */
  private logLocalStream(id: number, queue: SendQueue): void {
    const log = this.transport.qlog;
    if (log === undefined) return;
    const type =
      queue === this.control
        ? H3StreamType.CONTROL
        : queue === this.encoderStream
          ? H3StreamType.QPACK_ENCODER
          : H3StreamType.QPACK_DECODER;
    log('http3:stream_type_set', streamTypeSet(id, type, 'local'));
    if (queue === this.control && this.sentSettings !== null) {
      log('http3:frame_created', { stream_id: id, frame: settingsFrame(this.sentSettings) });
    }
  }

  private flushDecoderStream(): void {
    const data = this.decoder.takeDecoderStreamData();
    if (data !== null) this.decoderStream.push(data);
  }

  /** Reads a peer unidirectional stream: its type first (RFC 9114 §6.2), then its content. */
  private readUni(uni: IncomingUni): void {
    for (;;) {
      if (uni.kind === 'ignored' || this.closed) return;
      const r = uni.stream.read(READ_CHUNK);
      if (r === null) return;
      let data = r.data;
      if (uni.kind === 'pending') {
        const at = uni.type.feed(data, 0);
        if (!uni.type.complete) {
          // RFC 9114 §6.2: a stream may end before its type; that is no error.
          if (!r.fin) continue;
          this.incomingUni.delete(uni.stream.id);
          return;
        }
        if (!this.assignStreamType(uni, uni.type.take())) return;
        data = data.subarray(at);
      }
      this.uniData(uni, data);
      if (r.fin) throw closedCritical(`peer closed its ${uni.kind} stream`);
    }
  }

  /** Sets the stream's kind from its type; false when the stream is to be ignored. */
  private assignStreamType(uni: IncomingUni, type: number): boolean {
    this.transport.qlog?.('http3:stream_type_set', streamTypeSet(uni.stream.id, type, 'remote'));
    switch (type) {
      case H3StreamType.CONTROL:
        // RFC 9114 §6.2.1: only one control stream per peer.
        if (this.peerControlSeen) throw streamCreationError('second control stream');
        this.peerControlSeen = true;
        uni.kind = 'control';
        uni.parser = new FrameParser({
          maxFieldSectionBytes: 0,
          checkFrameType: (t) => this.checkControlFrame(t),
        });
        return true;
      case H3StreamType.QPACK_ENCODER:
        // RFC 9204 §4.2: at most one of each QPACK stream.
        if (this.peerEncoderSeen) throw streamCreationError('second QPACK encoder stream');
        this.peerEncoderSeen = true;
        uni.kind = 'encoder';
        return true;
      case H3StreamType.QPACK_DECODER:
        if (this.peerDecoderSeen) throw streamCreationError('second QPACK decoder stream');
        this.peerDecoderSeen = true;
        uni.kind = 'decoder';
        return true;
      case H3StreamType.PUSH:
        // RFC 9114 §6.2.2: only servers push, and only up to the client's MAX_PUSH_ID, which
        // this client never sends (RFC 9114 §4.6).
        if (this.isServer) throw streamCreationError('push stream from a client');
        throw new H3ProtocolError(H3ErrorCode.H3_ID_ERROR, 'push stream without MAX_PUSH_ID');
      default:
        // RFC 9114 §6.2, §9: unknown and reserved types are not an error; stop reading them.
        uni.kind = 'ignored';
        this.incomingUni.delete(uni.stream.id);
        uni.stream.stopSending(H3ErrorCode.H3_STREAM_CREATION_ERROR);
        return false;
    }
  }

  private uniData(uni: IncomingUni, data: Uint8Array): void {
    if (data.length === 0) return;
    switch (uni.kind) {
      case 'control': {
        const parser = uni.parser!;
        parser.push(data);
        for (let event = parser.next(); event !== null; event = parser.next()) {
          this.controlEvent(event, uni.stream.id);
          if (this.closed) return;
        }
        return;
      }
      case 'encoder': {
        for (const streamId of this.decoder.handleEncoderStream(data)) {
          this.requests.get(streamId)?.handleQpackUnblocked();
          if (this.closed) return;
        }
        this.flushDecoderStream();
        return;
      }
      case 'decoder':
        this.encoder.handleDecoderStream(data);
        return;
    }
  }

  /** RFC 9114 §6.2.1, §7.2: which frames the peer's control stream may carry. */
  private checkControlFrame(type: number): void {
    if (this.firstControlFrame) {
      this.firstControlFrame = false;
      if (type !== H3FrameType.SETTINGS) {
        throw new H3ProtocolError(
          H3ErrorCode.H3_MISSING_SETTINGS,
          `control stream starts with frame 0x${type.toString(16)}`,
        );
      }
      return;
    }
    switch (type) {
      case H3FrameType.SETTINGS:
        throw new H3ProtocolError(H3ErrorCode.H3_FRAME_UNEXPECTED, 'second SETTINGS frame');
      case H3FrameType.DATA:
      case H3FrameType.HEADERS:
      case H3FrameType.PUSH_PROMISE:
        throw new H3ProtocolError(
          H3ErrorCode.H3_FRAME_UNEXPECTED,
          `frame 0x${type.toString(16)} on the control stream`,
        );
      case H3FrameType.MAX_PUSH_ID:
        // RFC 9114 §7.2.7: only clients send it.
        if (!this.isServer)
          throw new H3ProtocolError(H3ErrorCode.H3_FRAME_UNEXPECTED, 'MAX_PUSH_ID from a server');
    }
  }

  private controlEvent(event: FrameEvent, streamId: number): void {
    if (event.kind !== 'frame') return; // unknown frame types are ignored (RFC 9114 §9)
    const frame = event.frame;
    const log = this.transport.qlog;
    switch (frame.type) {
      case 'settings':
        if (log !== undefined) {
          log('http3:frame_parsed', { stream_id: streamId, frame: settingsFrame(frame.settings) });
          log('http3:parameters_set', settingsParameters(frame.settings, 'remote'));
        }
        this.applyPeerSettings(frame.settings);
        return;
      case 'goaway':
        log?.('http3:frame_parsed', {
          stream_id: streamId,
          frame: { frame_type: 'goaway', id: frame.id },
        });
        this.peerGoaway(frame.id);
        return;
      case 'max_push_id':
        // RFC 9114 §7.2.7: the limit can only grow. This server does not push, so it is only
        // checked.
        this.peerMaxPushId(frame.pushId);
        return;
      case 'cancel_push':
        // RFC 9114 §7.2.3: no push was ever allowed or promised on this connection, so every
        // push ID is out of range.
        throw new H3ProtocolError(
          H3ErrorCode.H3_ID_ERROR,
          `CANCEL_PUSH for push ${frame.pushId} never promised`,
        );
    }
  }

  private peerMaxPushId(pushId: number): void {
    if (pushId < this.maxPushId) {
      throw new H3ProtocolError(
        H3ErrorCode.H3_ID_ERROR,
        `MAX_PUSH_ID reduced from ${this.maxPushId} to ${pushId}`,
      );
    }
    this.maxPushId = pushId;
  }

  private applyPeerSettings(settings: ReadonlyMap<number, number>): void {
    const remembered = this.remembered;
    this.remembered = null;
    this.peerSettings = settings;
    if (remembered !== null) {
      const accepted = this.transport.earlyDataAccepted === true;
      const inserted = this.encoder.insertCount > 0;
      checkRememberedSettings(remembered, settings, accepted, inserted);
      if (keepsRememberedEncoder(remembered, accepted, inserted)) {
        this.peerMaxFieldSectionSize =
          settings.get(H3SettingId.MAX_FIELD_SECTION_SIZE) ?? Number.POSITIVE_INFINITY;
        this.onSettings?.(settings);
        return;
      }
    }
    this.applyLimits(settings);
    this.onSettings?.(settings);
  }

  /** The peer's QPACK limits and field section size, from its SETTINGS or remembered ones. */
  private applyLimits(settings: ReadonlyMap<number, number>): void {
    // RFC 9204 §5: both default to 0, which disables the dynamic table.
    this.encoder.applyPeerSettings(
      settings.get(H3SettingId.QPACK_MAX_TABLE_CAPACITY) ?? 0,
      settings.get(H3SettingId.QPACK_BLOCKED_STREAMS) ?? 0,
    );
    this.peerMaxFieldSectionSize =
      settings.get(H3SettingId.MAX_FIELD_SECTION_SIZE) ?? Number.POSITIVE_INFINITY;
  }
}

function closedCritical(message: string): H3ProtocolError {
  return new H3ProtocolError(H3ErrorCode.H3_CLOSED_CRITICAL_STREAM, message);
}

function streamCreationError(message: string): H3ProtocolError {
  return new H3ProtocolError(H3ErrorCode.H3_STREAM_CREATION_ERROR, message);
}
