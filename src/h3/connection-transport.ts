/**
 * HTTP/3 over a tsquic Connection: the adapter between the QUIC core (Connection, Stream) and
 * the sans-IO HTTP/3 session, which sees only H3Transport / H3Stream (session/transport.ts).
 *
 * - Connection events become the session's handle* calls. They are delivered at once when the
 *   event comes from the network (inside a receive or timer call of the engine), and queued
 *   when it arises inside one of the session's own calls into an H3Stream or H3Transport
 *   method: the queue is drained after the event being delivered, or in a microtask when the
 *   call came from the application, so the session is never re-entered (transport.ts).
 * - A graceful close (H3_NO_ERROR) waits until the request streams' last bytes are
 *   acknowledged: CONNECTION_CLOSE ends every stream at once (RFC 9000 §10.2), so closing
 *   right after the last response was queued would truncate it (RFC 9114 §5.2). It also waits
 *   for what was written on our unidirectional streams, the GOAWAY on the control stream above
 *   all: a closing connection sends nothing but CONNECTION_CLOSE (RFC 9000 §10.2.1), and the
 *   peer must learn which requests were processed (RFC 9114 §5.2). Those streams never end,
 *   so they report their acknowledgments (Stream.reportAcks).
 * - Locally opened unidirectional streams (control, QPACK) are sent before request streams.
 * - Streams are forgotten when QUIC reports them closed, so a long-lived connection keeps no
 *   per-request state.
 * - The session hears the close when the connection starts closing or draining, not after the
 *   closing period: requests in progress fail at once with the close's code.
 * - With a host that says when a burst of received packets ends (`readSoon`, the Node adapter),
 *   'readable' events wait for that end and go out once per stream: a burst is one read and one
 *   body chunk, not one per packet. Any other event of the connection delivers them first, so
 *   the session sees the events in the order they happened.
 */
import type { CloseInfo, Connection, ConnectionEvents } from '../conn/connection.js';
import type { Stream } from '../stream/stream.js';
import { H3ErrorCode } from './errors.js';
import type { H3BurstReader } from './api/host.js';
import type { H3QlogSink } from './session/qlog.js';
import type { H3ReadResult, H3Stream, H3Transport } from './session/transport.js';

/** The adapter-facing calls of a session (H3Session implements them). */
export interface H3SessionHandlers {
  handleStream(stream: H3Stream): void;
  handleReadable(streamId: number): void;
  handleWritable(streamId: number): void;
  handleReset(streamId: number, code: number): void;
  handleStopSending(streamId: number, code: number): void;
  handleStreamCredit(): void;
  handleClose(code: number, reason: string): void;
}

type EventKind = 'stream' | 'readable' | 'writable' | 'reset' | 'stopSending' | 'credit' | 'close';

/** A Connection event waiting for delivery to the session (queued only when it cannot go now). */
interface Pending {
  kind: EventKind;
  id: number;
  code: number;
  stream: ConnectionStream | null;
  reason: string;
}

/** One QUIC stream seen through H3Stream. */
export class ConnectionStream implements H3Stream {
  readonly id: number;

  constructor(
    private readonly transport: ConnectionTransport,
    /** The QUIC stream. */
    readonly core: Stream,
  ) {
    this.id = core.id;
  }

  read(max: number): H3ReadResult | null {
    const core = this.core;
    if (!core.canReceive) return null;
    this.transport.enter();
    try {
      return core.read(max);
    } finally {
      this.transport.leave();
    }
  }

  write(data: Uint8Array, fin: boolean): number {
    const core = this.core;
    // Reset on its own after STOP_SENDING (RFC 9000 §3.5), or already ended: nothing more is
    // taken; the session hears about the STOP_SENDING through handleStopSending.
    if (!core.writable) return 0;
    this.transport.enter();
    try {
      return core.write(data, fin);
    } finally {
      this.transport.leave();
    }
  }

  reset(code: number): void {
    if (!this.core.canSend) return;
    this.transport.enter();
    try {
      this.core.reset(code);
    } finally {
      this.transport.leave();
    }
  }

  stopSending(code: number): void {
    if (!this.core.canReceive) return;
    this.transport.enter();
    try {
      this.core.stopSending(code);
    } finally {
      this.transport.leave();
    }
  }
}

export class ConnectionTransport implements H3Transport {
  readonly isServer: boolean;
  /** The QUIC connection carried. */
  readonly connection: Connection;
  /** Why the connection closed, once QUIC reported it. */
  closeInfo: CloseInfo | null = null;
  /** Called after the session heard that stream credit grew (queued requests retry then). */
  onStreamCredit: (() => void) | null = null;
  /** The connection's qlog, for the session's `http3:` events; undefined when not logging. */
  readonly qlog: H3QlogSink | undefined;

  private session: H3SessionHandlers | null = null;
  private readonly streams = new Map<number, ConnectionStream>();
  private readonly pending: Pending[] = [];
  /** Depth of H3Stream / H3Transport calls in progress. */
  private depth = 0;
  private draining = false;
  private drainScheduled = false;
  /** The session asked to close: with H3_NO_ERROR it waits for acknowledgments. */
  private closeRequest: { code: number; reason: string } | null = null;
  private closeSent = false;
  private readonly detachers: (() => void)[] = [];

  /**
   * `clock`: the host's monotonic clock (µs), which the HTTP/3 server dates requests by for its
   * header timeout; the connection itself keeps no clock (time is an argument of its calls).
   */
  /** Streams that became readable during the burst being received (with `readSoon`). */
  private readonly readableIds = new Set<number>();
  private readonly burstReader: H3BurstReader = { readBeforeFlush: () => this.readBurst() };

  constructor(
    connection: Connection,
    private readonly clock?: () => number,
    /** The host's end-of-burst call (H3HostConnection.readSoon); without it, reads per event. */
    private readonly readSoon?: (reader: H3BurstReader) => void,
  ) {
    this.connection = connection;
    this.isServer = !connection.isClient;
    // RFC 9114 §8.1: HTTP/3's clean close is H3_NO_ERROR, also when the host closes the
    // connection on its own (a draining server at its limit, RFC 9114 §5.2), not 0.
    connection.gracefulCloseCode = H3ErrorCode.H3_NO_ERROR;
    this.qlog = connection.applicationQlog();
    this.listen();
    // Streams the peer opened before HTTP/3 was attached are handed over first.
    for (const core of connection.listStreams()) {
      if (core.locallyInitiated) continue;
      const stream = this.track(core);
      this.pending.push({ kind: 'stream', id: core.id, code: 0, stream, reason: '' });
      const code = core.peerResetCode;
      if (code !== null)
        this.pending.push({ kind: 'reset', id: core.id, code, stream, reason: '' });
    }
    if (isGone(connection)) this.closeRequest = { code: 0, reason: '' };
  }

  /**
   * Starts delivering events to `session` (the events queued since construction first). A
   * connection already closing is reported to it at once.
   */
  attach(session: H3SessionHandlers): void {
    if (this.session !== null) throw new TypeError('an HTTP/3 session is already attached');
    this.session = session;
    const c = this.connection;
    if (isGone(c)) {
      const info = c.closeInfo;
      const code = info?.errorCode ?? 0;
      this.pending.push({ kind: 'close', id: -1, code, stream: null, reason: info?.reason ?? '' });
      this.closeSent = true;
    }
    this.drain();
  }

  /** The host's time (µs), when it gave a clock (H3Transport.now). */
  get earlyDataAccepted(): boolean {
    return this.connection.earlyDataState === 'accepted';
  }

  get now(): number | undefined {
    return this.clock?.();
  }

  /** Streams tracked (open QUIC streams the session uses). */
  get streamCount(): number {
    return this.streams.size;
  }

  // H3Transport

  openStream(bidirectional: boolean): H3Stream | null {
    if (this.closeRequest !== null || isGone(this.connection)) return null;
    this.enter();
    try {
      const core = this.connection.openStream(bidirectional);
      if (core === null) return null;
      // The unidirectional streams carry what the request streams depend on: SETTINGS and
      // QPACK instructions. An insert queued behind a response body (lower stream IDs go
      // first at equal urgency) would leave that response's headers blocked until the body
      // had been sent (RFC 9204 §2.1.2), so they go ahead of every request stream.
      if (!bidirectional) {
        core.setPriority({ urgency: 0 });
        core.reportAcks();
      }
      return this.track(core);
    } finally {
      this.leave();
    }
  }

  close(code: number, reason: string): void {
    if (this.closeRequest !== null) return;
    this.closeRequest = { code, reason };
    this.maybeClose();
  }

  // Re-entrancy guard, for ConnectionStream.

  /** @internal */
  enter(): void {
    this.depth++;
  }

  /** @internal */
  leave(): void {
    this.depth--;
  }

  // Internals.

  private track(core: Stream): ConnectionStream {
    const stream = new ConnectionStream(this, core);
    this.streams.set(core.id, stream);
    return stream;
  }

  private listen(): void {
    const c = this.connection;
    const on = <K extends keyof ConnectionEvents>(event: K, fn: ConnectionEvents[K]): void => {
      c.on(event, fn);
      this.detachers.push(() => c.off(event, fn));
    };
    on('stream', (core) => {
      // Already handed over by the constructor (attached from inside this very event).
      if (this.streams.has(core.id)) return;
      if (this.closeRequest !== null) {
        this.reject(core);
        return;
      }
      this.event('stream', core.id, 0, this.track(core));
    });
    on('readable', (core) => this.onReadable(core.id));
    on('writable', (core) => this.event('writable', core.id));
    on('streamReset', (core, code) => {
      this.readBurst();
      this.event('reset', core.id, code);
    });
    on('stopSending', (core, code) => {
      this.readBurst();
      this.event('stopSending', core.id, code);
    });
    on('streamsAvailable', () => this.event('credit', -1));
    on('streamClosed', (core) => {
      this.streams.delete(core.id);
      this.maybeClose();
    });
    on('streamAcked', () => this.maybeClose());
    // RFC 9000 §10.2: once closing or draining, no stream moves again, so the session ends
    // then rather than after the closing period. A host may also drop the connection without
    // waiting it out (a client closing its socket, §10.2), and then 'close' never comes.
    on('closing', (info) => this.connectionEnded(info));
    on('close', (info) => this.connectionEnded(info));
  }

  private onReadable(id: number): void {
    const later = this.readSoon;
    if (later === undefined) {
      this.event('readable', id);
      return;
    }
    if (this.readableIds.size === 0) later(this.burstReader);
    this.readableIds.add(id);
  }

  /** The 'readable' events of the burst, once per stream, in the order they came. */
  private readBurst(): void {
    for (const id of this.readableIds) {
      this.readableIds.delete(id);
      this.event('readable', id);
    }
  }

  private connectionEnded(info: CloseInfo): void {
    if (this.closeInfo !== null) return;
    this.readBurst();
    this.closeInfo = info;
    for (const off of this.detachers.splice(0)) off();
    this.streams.clear();
    this.closeSent = true;
    this.event('close', -1, info.errorCode, null, info.reason);
  }

  /**
   * RFC 9114 §5.2: once the session is closing, a request stream the peer opens now is refused
   * without processing (the session no longer answers).
   */
  private reject(core: Stream): void {
    if (!core.bidirectional) {
      core.stopSending(H3ErrorCode.H3_STREAM_CREATION_ERROR);
      return;
    }
    core.reset(H3ErrorCode.H3_REQUEST_REJECTED);
    core.stopSending(H3ErrorCode.H3_REQUEST_REJECTED);
  }

  /**
   * Delivers an event now when nothing is in progress (the common case, without allocation),
   * else queues it.
   */
  private event(
    kind: EventKind,
    id: number,
    code = 0,
    stream: ConnectionStream | null = null,
    reason = '',
  ): void {
    const session = this.session;
    if (session !== null && !this.draining && this.depth === 0 && this.pending.length === 0) {
      this.draining = true;
      try {
        this.dispatch(session, kind, id, code, stream, reason);
        if (this.closeRequest !== null) this.maybeClose();
      } finally {
        this.draining = false;
      }
      this.drain(); // what the delivery queued
      return;
    }
    this.pending.push({ kind, id, code, stream, reason });
    if (session === null) return;
    if (this.draining) return; // the running drain delivers it
    if (this.depth > 0) {
      // Raised inside a call the application made into the session: deliver after it.
      if (!this.drainScheduled) {
        this.drainScheduled = true;
        queueMicrotask(this.scheduledDrain);
      }
      return;
    }
    this.drain();
  }

  private readonly scheduledDrain = (): void => {
    this.drainScheduled = false;
    if (!this.draining && this.depth === 0) this.drain();
  };

  private drain(): void {
    const session = this.session;
    if (session === null || this.draining) return;
    this.draining = true;
    try {
      for (let e = this.pending.shift(); e !== undefined; e = this.pending.shift()) {
        this.dispatch(session, e.kind, e.id, e.code, e.stream, e.reason);
        if (this.closeRequest !== null) this.maybeClose();
      }
    } finally {
      this.draining = false;
    }
  }

  private dispatch(
    session: H3SessionHandlers,
    kind: EventKind,
    id: number,
    code: number,
    stream: ConnectionStream | null,
    reason: string,
  ): void {
    switch (kind) {
      case 'stream':
        session.handleStream(stream!);
        return;
      case 'readable':
        session.handleReadable(id);
        return;
      case 'writable':
        session.handleWritable(id);
        return;
      case 'reset':
        session.handleReset(id, code);
        return;
      case 'stopSending':
        session.handleStopSending(id, code);
        return;
      case 'credit':
        session.handleStreamCredit();
        this.onStreamCredit?.();
        return;
      case 'close':
        session.handleClose(code, reason);
        return;
    }
  }

  /** Sends CONNECTION_CLOSE once requested and, for a graceful close, nothing is in flight. */
  private maybeClose(): void {
    const request = this.closeRequest;
    if (request === null || this.closeSent) return;
    if (request.code === H3ErrorCode.H3_NO_ERROR) {
      for (const s of this.streams.values()) if (awaitsAck(s.core)) return;
    }
    this.closeSent = true;
    if (!isGone(this.connection)) this.connection.close(request.code, request.reason);
  }
}

/** Whether the connection no longer carries frames (closing, draining or closed). */
function isGone(c: Connection): boolean {
  return c.state === 'closing' || c.state === 'draining' || c.state === 'closed';
}

/**
 * Whether a stream's data must be acknowledged before a graceful close: a sending part that has
 * ended, or one of our unidirectional streams (control, QPACK), which never end, with bytes in
 * flight. A request stream's part still open was abandoned by the session and a reset one
 * needs nothing more.
 */
function awaitsAck(s: Stream): boolean {
  const state = s.sendState;
  if (state === 'data_sent') return true;
  if (state !== 'ready' && state !== 'send') return false;
  if (!s.writable) return true;
  return !s.bidirectional && s.locallyInitiated && s.bytesAcked < s.bytesWritten;
}
