/**
 * A qlog writer (draft-ietf-quic-qlog-main-schema, draft-ietf-quic-qlog-quic-events) for one
 * connection, in the JSON Text Sequences serialization (RFC 7464: every record starts with the
 * Record Separator 0x1E and ends with a newline). The first record is the header, with the
 * `qlog_version` / `qlog_format: "JSON-SEQ"` pair that qvis keys on and the `file_schema` /
 * `serialization_format` of the current draft; every later record is one event.
 *
 * The writer does no I/O and reads no clock: it hands text to a caller-supplied function (the
 * Node adapter writes files), and event times are the connection's `now`, in milliseconds since
 * the trace started (its first event). Events: quic:connection_started, quic:connection_closed,
 * quic:connection_state_updated, quic:packet_sent (frames described from the sent-frame
 * descriptors), quic:packet_received (frames decoded from the payload), quic:packet_dropped,
 * quic:packet_lost, quic:key_updated, quic:key_discarded, quic:migration_state_updated, and the
 * recovery events recovery:metrics_updated (only the metrics that changed) and
 * recovery:congestion_state_updated under the names qvis's congestion graph reads.
 */
import { PnSpace } from '../ack/pn-space.js';
import type { SentPacket } from '../ack/sent.js';
import { toHex } from '../util/bytes.js';
import type { SocketAddress } from '../util/address.js';
import { Reader } from '../util/cursor.js';
import { TransportError } from '../wire/errors.js';
import type { Frame } from '../wire/frame-types.js';
import { decodeFrame } from '../wire/frames.js';
import { PacketType, packetTypeName } from '../wire/version.js';
import type { CloseInfo } from './state.js';
import type { QlogSink, QlogSubject } from './qlog.js';
import type { SentFrame } from './sent-frames.js';

type Json = Record<string, unknown>;

const RECORD_SEPARATOR = '\x1e';

export interface QlogWriterOptions {
  /** Receives the JSON-SEQ text, whole records at a time. */
  write: (chunk: string) => void;
  /** Our side of the connection (the trace's vantage point). */
  role: 'client' | 'server';
  /** The original Destination Connection ID in hex: the trace's ODCID and group_id. */
  traceId: string;
  /** Trace title; default "tsquic <role> <traceId>". */
  title?: string;
  /**
   * The wall-clock time the trace starts, RFC 3339 (e.g. `new Date().toISOString()`), recorded
   * as the reference time's `wall_clock_time`. The core has no clock: the caller supplies it.
   */
  wallClockTime?: string;
  /**
   * Hand records to `write` in chunks of at least this many characters (and at close); 0 writes
   * each record at once. Default 0.
   */
  bufferChars?: number;
  /** Called once after the last record is written (e.g. to close a file). */
  onClose?: () => void;
}

/** Names of transport error codes as qlog spells them (lowercase, RFC 9000 §20.1). */
const ERROR_NAMES = new Map<number, string>(
  Object.entries(TransportError)
    .filter(([name]) => name !== 'CRYPTO_ERROR_BASE')
    .map(([name, code]) => [code, name.toLowerCase()]),
);

/** A transport error code as qlog's `$TransportError` / `CryptoError`, with the raw code if unknown. */
function transportError(code: number): Json {
  if (code >= 0x100 && code <= 0x1ff) return { error: `crypto_error_0x${code.toString(16)}` };
  const name = ERROR_NAMES.get(code);
  return name !== undefined ? { error: name } : { error: 'unknown', error_code: code };
}

function endpoint(a: SocketAddress): Json {
  return a.address.includes(':')
    ? { ip_v6: a.address, port_v6: a.port }
    : { ip_v4: a.address, port_v4: a.port };
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: false });

/** A decoded frame as a qlog QuicFrame. `ackDelayExponent` scales ACK Delay (RFC 9000 §19.3). */
export function frameToQlog(f: Frame, ackDelayExponent: number): Json {
  switch (f.kind) {
    case 'padding':
      return { frame_type: 'padding', raw: { length: f.length, payload_length: f.length } };
    case 'ping':
    case 'handshake_done':
      return { frame_type: f.kind };
    case 'ack': {
      const out: Json = {
        frame_type: 'ack',
        ack_delay: (f.ackDelay * 2 ** ackDelayExponent) / 1000,
        acked_ranges: f.ranges.map((r) =>
          r.smallest === r.largest ? [r.smallest] : [r.smallest, r.largest],
        ),
      };
      if (f.ecn) Object.assign(out, { ect0: f.ecn.ect0, ect1: f.ecn.ect1, ce: f.ecn.ce });
      return out;
    }
    case 'reset_stream':
      return {
        frame_type: 'reset_stream',
        stream_id: f.streamId,
        error: 'unknown',
        error_code: f.errorCode,
        final_size: f.finalSize,
      };
    case 'stop_sending':
      return {
        frame_type: 'stop_sending',
        stream_id: f.streamId,
        error: 'unknown',
        error_code: f.errorCode,
      };
    case 'crypto':
      return { frame_type: 'crypto', offset: f.offset, raw: { length: f.data.length } };
    case 'new_token':
      return { frame_type: 'new_token', token: { raw: { length: f.token.length } } };
    case 'stream':
      return {
        frame_type: 'stream',
        stream_id: f.streamId,
        offset: f.offset,
        fin: f.fin,
        raw: { length: f.data.length },
      };
    case 'max_data':
      return { frame_type: 'max_data', maximum: f.maximum };
    case 'max_stream_data':
      return { frame_type: 'max_stream_data', stream_id: f.streamId, maximum: f.maximum };
    case 'max_streams':
      return {
        frame_type: 'max_streams',
        stream_type: f.bidi ? 'bidirectional' : 'unidirectional',
        maximum: f.maximum,
      };
    case 'data_blocked':
      return { frame_type: 'data_blocked', limit: f.limit };
    case 'stream_data_blocked':
      return { frame_type: 'stream_data_blocked', stream_id: f.streamId, limit: f.limit };
    case 'streams_blocked':
      return {
        frame_type: 'streams_blocked',
        stream_type: f.bidi ? 'bidirectional' : 'unidirectional',
        limit: f.limit,
      };
    case 'new_connection_id':
      // The stateless reset token is left out: whoever holds it can reset the connection.
      return {
        frame_type: 'new_connection_id',
        sequence_number: f.sequenceNumber,
        retire_prior_to: f.retirePriorTo,
        connection_id_length: f.connectionId.length,
        connection_id: toHex(f.connectionId),
      };
    case 'retire_connection_id':
      return { frame_type: 'retire_connection_id', sequence_number: f.sequenceNumber };
    case 'path_challenge':
    case 'path_response':
      return { frame_type: f.kind, data: toHex(f.data) };
    case 'connection_close': {
      const out: Json = f.application
        ? {
            frame_type: 'connection_close',
            error_space: 'application',
            error: 'unknown',
            error_code: f.errorCode,
          }
        : {
            frame_type: 'connection_close',
            error_space: 'transport',
            ...transportError(f.errorCode),
            trigger_frame_type: f.frameType,
          };
      out['reason'] = utf8Decoder.decode(f.reason);
      return out;
    }
    case 'datagram':
      return { frame_type: 'datagram', raw: { length: f.data.length } };
  }
}

/**
 * A sent-frame descriptor (what a sent-packet record keeps, sent-frames.ts) as a qlog QuicFrame;
 * null for frames the descriptor does not describe (PING, PADDING, DATAGRAM).
 */
export function sentFrameToQlog(f: SentFrame): Json | null {
  switch (f.k) {
    case 'stream':
      return {
        frame_type: 'stream',
        stream_id: f.streamId,
        offset: f.offset,
        fin: f.fin,
        raw: { length: f.length },
      };
    case 'crypto':
      return { frame_type: 'crypto', offset: f.offset, raw: { length: f.length } };
    case 'ack':
      // The descriptor keeps only the Largest Acknowledged (qlog extension field).
      return { frame_type: 'ack', largest_acknowledged: f.largest };
    case 'stream_control':
    case 'control':
    case 'once':
      return frameToQlog(f.frame, 3);
    case 'none':
      return null;
  }
}

function sentFramesToQlog(frames: readonly SentFrame[]): Json[] {
  const out: Json[] = [];
  for (const f of frames) {
    const j = sentFrameToQlog(f);
    if (j !== null) out.push(j);
  }
  return out;
}

/** The qlog packet type of packets in a number space (0-RTT shares the application space). */
function spacePacketType(space: PnSpace): string {
  return space === PnSpace.Initial ? 'initial' : space === PnSpace.Handshake ? 'handshake' : '1RTT';
}

/** The space a lost packet belonged to when the caller does not know: from its CRYPTO/ACK frames. */
function inferSpace(frames: readonly SentFrame[]): PnSpace {
  for (const f of frames) if (f.k === 'crypto' || f.k === 'ack') return f.space;
  return PnSpace.Application;
}

interface MetricsState {
  min_rtt: number;
  smoothed_rtt: number;
  latest_rtt: number;
  rtt_variance: number;
  pto_count: number;
  congestion_window: number;
  bytes_in_flight: number;
  ssthresh: number;
}

export class QlogWriter implements QlogSink {
  private readonly write: (chunk: string) => void;
  private readonly role: 'client' | 'server';
  private readonly bufferChars: number;
  private readonly onClose: (() => void) | undefined;
  private buffered: string[] = [];
  private bufferedChars = 0;
  /** `now` of the first event (µs): event times are relative to it. */
  private start = -1;
  private closedLogged = false;
  /** The last connection state logged, and the time (µs) of the last event. */
  private lastState = '';
  private lastNow = 0;
  private finished = false;
  private readonly lastMetrics: Partial<MetricsState> = {};
  private congestionState = '';
  private readonly reader = new Reader(new Uint8Array(0));

  constructor(options: QlogWriterOptions) {
    if (typeof options.write !== 'function') {
      throw new TypeError('QlogWriter: options.write must be a function');
    }
    this.write = options.write;
    this.role = options.role;
    this.bufferChars = options.bufferChars ?? 0;
    this.onClose = options.onClose;
    const title = options.title ?? `tsquic ${options.role} ${options.traceId}`;
    const referenceTime: Json = { clock_type: 'monotonic', epoch: 'unknown' };
    if (options.wallClockTime !== undefined)
      referenceTime['wall_clock_time'] = options.wallClockTime;
    this.record({
      qlog_version: '0.3',
      qlog_format: 'JSON-SEQ',
      file_schema: 'urn:ietf:params:qlog:file:sequential',
      serialization_format: 'application/qlog+json-seq',
      title,
      trace: {
        title,
        vantage_point: { name: 'tsquic', type: options.role },
        common_fields: {
          ODCID: options.traceId,
          group_id: options.traceId,
          time_format: 'relative_to_epoch',
          reference_time: referenceTime,
        },
        event_schemas: ['urn:ietf:params:qlog:events:quic-13'],
      },
    });
  }

  connectionStarted(conn: QlogSubject, now: number): void {
    this.event(now, 'quic:connection_started', {
      local: endpoint(conn.localAddress),
      remote: endpoint(conn.remoteAddress),
      version: conn.version.toString(16).padStart(8, '0'),
    });
  }

  /**
   * The first call (CONNECTION_CLOSE sent or received, idle timeout, stateless reset) is the
   * connection_closed event; with it, and with any later call, the state the connection is in
   * (closing, draining or closed) is logged as a state update.
   */
  connectionClosed(conn: QlogSubject, info: CloseInfo, now: number): void {
    if (!this.closedLogged) {
      this.closedLogged = true;
      const data: Json = { initiator: info.source === 'local' ? 'local' : 'remote' };
      if (info.application) {
        data['application_error'] = 'unknown';
        data['error_code'] = info.errorCode;
      } else {
        const e = transportError(info.errorCode);
        data['connection_error'] = e['error'];
        if (e['error_code'] !== undefined) data['error_code'] = e['error_code'];
      }
      if (info.reason !== '') data['reason'] = info.reason;
      data['trigger'] = closeTrigger(info);
      this.event(now, 'quic:connection_closed', data);
    }
    this.stateUpdated(now, conn.state);
  }

  packetSent(
    _conn: QlogSubject,
    type: PacketType,
    pn: number,
    size: number,
    frames: readonly SentFrame[],
    now: number,
  ): void {
    this.event(now, 'quic:packet_sent', {
      header: { packet_type: packetTypeName(type), packet_number: pn },
      raw: { length: size },
      frames: sentFramesToQlog(frames),
    });
  }

  packetReceived(
    conn: QlogSubject,
    type: PacketType,
    pn: number,
    size: number,
    datagram: Uint8Array,
    payloadStart: number,
    payloadLength: number,
    now: number,
  ): void {
    // Peer ACK delays in 1-RTT use its ack_delay_exponent; Initial and Handshake use 3.
    const exponent =
      type === PacketType.OneRtt || type === PacketType.ZeroRtt
        ? (conn.peerParams?.ackDelayExponent ?? 3)
        : 3;
    const frames: Json[] = [];
    const r = this.reader.reset(datagram, payloadStart, payloadStart + payloadLength);
    try {
      while (r.remaining > 0) frames.push(frameToQlog(decodeFrame(r), exponent));
    } catch {
      // The receive pipeline already accepted these frames; a failure here would be a codec
      // bug, and the trace keeps what decoded rather than losing the event.
    }
    this.event(now, 'quic:packet_received', {
      header: { packet_type: packetTypeName(type), packet_number: pn },
      raw: { length: size, payload_length: payloadLength },
      frames,
    });
  }

  packetDropped(_conn: QlogSubject, reason: string, size: number, now: number): void {
    this.event(now, 'quic:packet_dropped', { raw: { length: size }, trigger: reason });
  }

  packetsLost(
    _conn: QlogSubject,
    packets: readonly SentPacket<SentFrame>[],
    space: PnSpace | null,
    now: number,
  ): void {
    for (const p of packets) {
      const data: Json = {
        header: {
          packet_type: spacePacketType(space ?? inferSpace(p.frames)),
          packet_number: p.pn,
        },
        frames: sentFramesToQlog(p.frames),
      };
      // A loss timer only fires for the time threshold (RFC 9002 §6.1.2); an ACK can apply
      // either threshold, which loss detection does not report.
      if (space === null) data['trigger'] = 'time_threshold';
      this.event(now, 'quic:packet_lost', data);
    }
  }

  /** recovery:metrics_updated with the values that changed; congestion_state_updated on a change. */
  metrics(conn: QlogSubject, now: number): void {
    const sc = conn.path.sendControl;
    const rtt = sc.rtt;
    const ms = (us: number): number => Math.round(us) / 1000;
    const current: MetricsState = {
      min_rtt: rtt.min === Infinity ? 0 : ms(rtt.min),
      smoothed_rtt: ms(rtt.smoothed),
      latest_rtt: ms(rtt.latest),
      rtt_variance: ms(rtt.variance),
      pto_count: sc.ptoCount,
      congestion_window: sc.cwnd,
      bytes_in_flight: sc.bytesInFlight,
      ssthresh: sc.cc.ssthresh,
    };
    const changed: Json = {};
    let any = false;
    for (const key of Object.keys(current) as (keyof MetricsState)[]) {
      const v = current[key];
      if (this.lastMetrics[key] === v) continue;
      this.lastMetrics[key] = v;
      // ssthresh is infinite until the first congestion event: nothing to log then.
      if (!Number.isFinite(v)) continue;
      changed[key] = v;
      any = true;
    }
    if (any) this.event(now, 'recovery:metrics_updated', changed);
    const state = sc.cc.state;
    if (state !== this.congestionState) {
      const data: Json = { new: state };
      if (this.congestionState !== '') data['old'] = this.congestionState;
      this.congestionState = state;
      this.event(now, 'recovery:congestion_state_updated', data);
    }
  }

  keyUpdated(conn: QlogSubject, trigger: 'local_update' | 'remote_update', now: number): void {
    // A local update changes our sending keys first, a remote one the peer's.
    const side = (trigger === 'local_update') === (this.role === 'client') ? 'client' : 'server';
    this.event(now, 'quic:key_updated', {
      key_type: `${side}_1rtt_secret`,
      key_phase: conn.oneRtt?.updates ?? 0,
      trigger,
    });
  }

  keyDiscarded(_conn: QlogSubject, space: PnSpace, now: number): void {
    const level =
      space === PnSpace.Initial ? 'initial' : space === PnSpace.Handshake ? 'handshake' : '1rtt';
    for (const side of ['client', 'server']) {
      this.event(now, 'quic:key_discarded', {
        key_type: `${side}_${level}_secret`,
        trigger: 'tls',
      });
    }
  }

  retryReceived(_conn: QlogSubject, now: number): void {
    this.event(now, 'quic:packet_received', { header: { packet_type: 'retry' } });
  }

  pathChanged(conn: QlogSubject, now: number): void {
    this.event(now, 'quic:migration_state_updated', {
      new: 'migration_complete',
      tuple_local: endpoint(conn.localAddress),
      tuple_remote: endpoint(conn.remoteAddress),
    });
  }

  /** The connection is gone: logs the closed state if not yet logged, flushes, ends the trace. */
  close(now = this.lastNow): void {
    if (this.finished) return;
    this.stateUpdated(now, 'closed');
    this.flush();
    this.finished = true;
    this.onClose?.();
  }

  private stateUpdated(now: number, state: string): void {
    if (state === this.lastState) return;
    const data: Json = { new: state };
    if (this.lastState !== '') data['old'] = this.lastState;
    this.lastState = state;
    this.event(now, 'quic:connection_state_updated', data);
  }

  private event(now: number, name: string, data: Json): void {
    if (this.start < 0) this.start = now;
    this.lastNow = now;
    this.record({ time: (now - this.start) / 1000, name, data });
  }

  private record(value: Json): void {
    if (this.finished) return;
    const text = RECORD_SEPARATOR + JSON.stringify(value) + '\n';
    if (this.bufferChars <= 0) {
      this.write(text);
      return;
    }
    this.buffered.push(text);
    this.bufferedChars += text.length;
    if (this.bufferedChars >= this.bufferChars) this.flush();
  }

  private flush(): void {
    if (this.buffered.length === 0) return;
    const text = this.buffered.join('');
    this.buffered = [];
    this.bufferedChars = 0;
    this.write(text);
  }
}

/** qlog's connection_closed trigger for how the connection ended. */
function closeTrigger(info: CloseInfo): string {
  switch (info.source) {
    case 'idle_timeout':
      return 'idle_timeout';
    case 'stateless_reset':
      return 'stateless_reset';
    case 'version_negotiation':
      return 'version_mismatch';
    case 'local':
    case 'peer':
      if (info.application) return 'application';
      return info.errorCode === 0 ? 'unspecified' : 'error';
  }
}

/**
 * A qlog factory for `EngineConfig.qlog`: one writer per connection, writing through the function
 * `open` returns for it (null or undefined: no trace for that connection).
 */
export function qlogWriterFactory(
  open: (
    traceId: string,
    role: 'client' | 'server',
  ) => ((chunk: string) => void) | null | undefined,
  options: { bufferChars?: number; wallClock?: () => string } = {},
): (traceId: string, role: 'client' | 'server') => QlogSink | undefined {
  return (traceId, role) => {
    const write = open(traceId, role);
    if (write === null || write === undefined) return undefined;
    return new QlogWriter({
      write,
      role,
      traceId,
      ...(options.bufferChars !== undefined ? { bufferChars: options.bufferChars } : {}),
      ...(options.wallClock !== undefined ? { wallClockTime: options.wallClock() } : {}),
    });
  };
}
