/**
 * A qlog writer (draft-ietf-quic-qlog-main-schema-14, -quic-events-13, -h3-events-13) for one
 * connection, in the JSON Text Sequences serialization (RFC 7464: every record starts with the
 * Record Separator 0x1E and ends with a newline). The first record is the header, every later
 * record one event.
 *
 * Two forms (QlogFormat):
 * - "ietf" (the default): the drafts as they stand. The header has `file_schema` /
 *   `serialization_format` and the event schemas `quic-13` and `http3-13`; times are ms since
 *   the trace started on a monotonic clock (`relative_to_epoch`, epoch "unknown", the wall clock
 *   of the start in `wall_clock_time`); every event is `quic:` or `http3:`.
 * - "qvis": what the qvis viewer reads today (its draft-02 loader): `qlog_version` "0.3" and
 *   `qlog_format` "JSON-SEQ" in the header, `time_format: "relative"` to a `reference_time` in
 *   ms since the Unix epoch, and the draft-02 category names (`transport:packet_sent`,
 *   `recovery:metrics_updated`, `security:key_updated`, `http:frame_parsed`, ...). The event
 *   data is the same.
 *
 * The writer does no I/O and reads no clock: it hands text to a caller-supplied function (the
 * Node adapter writes files), and event times are the connection's `now`. Events:
 * connection_started, version_information, parameters_set (ours at the start, the peer's and
 * the TLS outcome at handshake completion), alpn_information, connection_state_updated
 * (attempted, handshake_complete, handshake_confirmed, closing / draining, closed),
 * connection_closed, packet_sent (frames from the sent-frame descriptors), packet_received
 * (frames decoded from the payload), packet_dropped, packet_lost, udp_datagrams_sent /
 * _received, stream_state_updated (a stream's first data, FIN and reset in each direction, as
 * the frames show them), key_updated, key_discarded, migration_state_updated, tuple_assigned
 * (multipath paths, with their status as an extension field), mtu_updated,
 * recovery_metrics_updated (only the metrics that changed), congestion_state_updated, and the
 * HTTP/3 events an application layer reports through `applicationEvent`.
 */
import { PnSpace } from '../ack/pn-space.js';
import type { SentPacket } from '../ack/sent.js';
import { toHex } from '../util/bytes.js';
import type { SocketAddress } from '../util/address.js';
import { Reader } from '../util/cursor.js';
import type { Frame } from '../wire/frame-types.js';
import { decodeFrame } from '../wire/frames.js';
import { PacketType, packetTypeName } from '../wire/version.js';
import type { CloseInfo } from './state.js';
import type { QlogPathInfo, QlogSink, QlogSubject } from './qlog.js';
import type { SentFrame } from './sent-frames.js';
import {
  frameToQlog,
  sentFramesToQlog,
  transportError,
  transportParametersToQlog,
  type Json,
} from './qlog-frames.js';

const RECORD_SEPARATOR = '\x1e';

/** The serialization a QlogWriter produces (see the module comment). */
export type QlogFormat = 'ietf' | 'qvis';

/** The event schemas of the drafts this writer follows (main-schema §7: "-NN" until RFC). */
export const QLOG_EVENT_SCHEMAS: readonly string[] = [
  'urn:ietf:params:qlog:events:quic-13',
  'urn:ietf:params:qlog:events:http3-13',
];

/** The qvis form's names (qlog draft-02 categories) of the events this writer emits. */
const QVIS_NAMES: ReadonlyMap<string, string> = new Map([
  ['quic:connection_started', 'connectivity:connection_started'],
  ['quic:connection_closed', 'connectivity:connection_closed'],
  ['quic:connection_state_updated', 'connectivity:connection_state_updated'],
  ['quic:migration_state_updated', 'connectivity:migration_state_updated'],
  ['quic:tuple_assigned', 'connectivity:tuple_assigned'],
  ['quic:mtu_updated', 'connectivity:mtu_updated'],
  ['quic:version_information', 'transport:version_information'],
  ['quic:alpn_information', 'transport:alpn_information'],
  ['quic:parameters_set', 'transport:parameters_set'],
  ['quic:packet_sent', 'transport:packet_sent'],
  ['quic:packet_received', 'transport:packet_received'],
  ['quic:packet_dropped', 'transport:packet_dropped'],
  ['quic:udp_datagrams_sent', 'transport:datagrams_sent'],
  ['quic:udp_datagrams_received', 'transport:datagrams_received'],
  ['quic:stream_state_updated', 'transport:stream_state_updated'],
  ['quic:key_updated', 'security:key_updated'],
  ['quic:key_discarded', 'security:key_retired'],
  ['quic:recovery_metrics_updated', 'recovery:metrics_updated'],
  ['quic:congestion_state_updated', 'recovery:congestion_state_updated'],
  ['quic:ecn_state_updated', 'recovery:ecn_state_updated'],
  ['quic:packet_lost', 'recovery:packet_lost'],
  ['http3:parameters_set', 'http:parameters_set'],
  ['http3:stream_type_set', 'http:stream_type_set'],
  ['http3:frame_created', 'http:frame_created'],
  ['http3:frame_parsed', 'http:frame_parsed'],
]);

/** An event name in `format` (the writer's own names are the ietf ones). */
export function qlogEventName(name: string, format: QlogFormat): string {
  return format === 'qvis' ? (QVIS_NAMES.get(name) ?? name) : name;
}

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
  /** The serialization: "ietf" (default) or "qvis" (see the module comment). */
  format?: QlogFormat;
}

function endpoint(a: SocketAddress): Json {
  return a.address.includes(':')
    ? { ip_v6: a.address, port_v6: a.port }
    : { ip_v4: a.address, port_v4: a.port };
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
  private ecnState = '';
  private readonly reader = new Reader(new Uint8Array(0));
  private readonly format: QlogFormat;
  /** Streams whose first data / end was logged, per direction (stream_state_updated). */
  private readonly streamsOpened = { sending: new Set<number>(), receiving: new Set<number>() };
  private readonly streamsEnded = { sending: new Set<number>(), receiving: new Set<number>() };

  constructor(options: QlogWriterOptions) {
    if (typeof options.write !== 'function') {
      throw new TypeError('QlogWriter: options.write must be a function');
    }
    this.write = options.write;
    this.role = options.role;
    this.bufferChars = options.bufferChars ?? 0;
    this.onClose = options.onClose;
    this.format = options.format ?? 'ietf';
    const title = options.title ?? `tsquic ${options.role} ${options.traceId}`;
    const vantagePoint = { name: 'tsquic', type: options.role };
    if (this.format === 'qvis') {
      // qvis adds reference_time (ms since the Unix epoch) to every relative time.
      const wallClock =
        options.wallClockTime === undefined ? NaN : Date.parse(options.wallClockTime);
      this.record({
        qlog_version: '0.3',
        qlog_format: 'JSON-SEQ',
        title,
        trace: {
          title,
          vantage_point: vantagePoint,
          common_fields: {
            ODCID: options.traceId,
            group_id: options.traceId,
            time_format: 'relative',
            reference_time: Number.isFinite(wallClock) ? wallClock : 0,
          },
        },
      });
      return;
    }
    const referenceTime: Json = { clock_type: 'monotonic', epoch: 'unknown' };
    if (options.wallClockTime !== undefined)
      referenceTime['wall_clock_time'] = options.wallClockTime;
    this.record({
      file_schema: 'urn:ietf:params:qlog:file:sequential',
      serialization_format: 'application/qlog+json-seq',
      title,
      trace: {
        title,
        vantage_point: vantagePoint,
        common_fields: {
          ODCID: options.traceId,
          group_id: options.traceId,
          time_format: 'relative_to_epoch',
          reference_time: referenceTime,
        },
        event_schemas: QLOG_EVENT_SCHEMAS,
      },
    });
  }

  /** connection_started, our version and transport parameters, and the `attempted` state. */
  connectionStarted(conn: QlogSubject, now: number): void {
    this.event(now, 'quic:connection_started', {
      local: endpoint(conn.localAddress),
      remote: endpoint(conn.remoteAddress),
    });
    // quic-events §4.9: the client logs the versions it offers, the server those it accepts.
    // The versions of our version_information (RFC 9368 §3), greased one included.
    const offered = conn.localParams.versionInformation?.availableVersions ?? [conn.version];
    this.event(now, 'quic:version_information', {
      [conn.isClient ? 'client_versions' : 'server_versions']: offered.map(quicVersion),
      chosen_version: quicVersion(conn.version),
    });
    this.event(now, 'quic:parameters_set', {
      initiator: 'local',
      ...transportParametersToQlog(conn.localParams),
    });
    this.stateUpdated(now, 'attempted');
  }

  /** The handshake completed: the peer's parameters, the ALPN and the TLS outcome. */
  handshakeCompleted(conn: QlogSubject, now: number): void {
    if (conn.peerParams !== null) {
      this.event(now, 'quic:parameters_set', {
        initiator: 'remote',
        ...transportParametersToQlog(conn.peerParams),
      });
    }
    const alpn = conn.tls.alpn;
    if (alpn !== null) {
      this.event(now, 'quic:alpn_information', { chosen_alpn: { string_value: alpn } });
    }
    // quic-events §4.11: early_data_enabled, the TLS early_data extension accepted.
    const tls: Json = { early_data_enabled: conn.earlyDataState === 'accepted' };
    if (conn.tls.cipherSuite !== null) tls['tls_cipher'] = conn.tls.cipherSuite;
    this.event(now, 'quic:parameters_set', tls);
    this.stateUpdated(now, 'handshake_complete');
  }

  handshakeConfirmed(_conn: QlogSubject, now: number): void {
    this.stateUpdated(now, 'handshake_confirmed');
  }

  datagramSent(_conn: QlogSubject, size: number, now: number): void {
    this.event(now, 'quic:udp_datagrams_sent', { count: 1, raw: [{ length: size }] });
  }

  datagramReceived(_conn: QlogSubject, size: number, now: number): void {
    this.event(now, 'quic:udp_datagrams_received', { count: 1, raw: [{ length: size }] });
  }

  /**
   * An event of a protocol above QUIC (the HTTP/3 layer's `http3:` events), at the time of the
   * connection's latest event: application code runs inside or right after one.
   */
  applicationEvent(name: string, data: Record<string, unknown>): void {
    this.event(this.lastNow, name, data);
  }

  /**
   * The first call (CONNECTION_CLOSE sent or received, idle timeout, stateless reset) is the
   * connection_closed event; with it, and with any later call, the state the connection is in
   * (closing, draining or closed) is logged as a state update.
   */
  connectionClosed(conn: QlogSubject, info: CloseInfo, now: number): void {
    if (!this.closedLogged) {
      this.closedLogged = true;
      const data: Json = { initiator: closeInitiator(info) };
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
    for (const f of frames) {
      if (f.k === 'stream') this.streamData('sending', f.streamId, f.fin, now);
      else if (f.k === 'stream_control' && f.frame.kind === 'reset_stream') {
        this.streamReset('sending', f.frame.streamId, now);
      }
    }
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
    const decoded: Frame[] = [];
    const r = this.reader.reset(datagram, payloadStart, payloadStart + payloadLength);
    try {
      while (r.remaining > 0) {
        const f = decodeFrame(r);
        decoded.push(f);
        frames.push(frameToQlog(f, exponent));
      }
    } catch {
      // The receive pipeline already accepted these frames; a failure here would be a codec
      // bug, and the trace keeps what decoded rather than losing the event.
    }
    this.event(now, 'quic:packet_received', {
      header: { packet_type: packetTypeName(type), packet_number: pn },
      raw: { length: size, payload_length: payloadLength },
      frames,
    });
    for (const f of decoded) {
      if (f.kind === 'stream') this.streamData('receiving', f.streamId, f.fin, now);
      else if (f.kind === 'reset_stream') this.streamReset('receiving', f.streamId, now);
    }
  }

  /**
   * quic-events §5.15: a stream side is `open` with its first data and `data_sent` /
   * `size_known` with its FIN, logged once each (retransmissions repeat the frames, not the
   * state changes).
   */
  private streamData(side: 'sending' | 'receiving', id: number, fin: boolean, now: number): void {
    if (!this.streamsOpened[side].has(id)) {
      this.streamsOpened[side].add(id);
      this.event(now, 'quic:stream_state_updated', {
        stream_id: id,
        stream_type: (id & 2) !== 0 ? 'unidirectional' : 'bidirectional',
        new: 'open',
        stream_side: side,
      });
    }
    if (fin && !this.streamsEnded[side].has(id)) {
      this.streamsEnded[side].add(id);
      this.event(now, 'quic:stream_state_updated', {
        stream_id: id,
        old: 'open',
        new: side === 'sending' ? 'data_sent' : 'size_known',
        stream_side: side,
      });
    }
  }

  private streamReset(side: 'sending' | 'receiving', id: number, now: number): void {
    if (this.streamsEnded[side].has(id) && side === 'receiving') return;
    this.streamsEnded[side].add(id);
    this.event(now, 'quic:stream_state_updated', {
      stream_id: id,
      new: side === 'sending' ? 'reset_sent' : 'reset_received',
      stream_side: side,
      trigger: side === 'sending' ? 'local' : 'remote',
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

  /**
   * recovery_metrics_updated with the values that changed; congestion_state_updated and
   * ecn_state_updated on a change.
   */
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
      // Bytes are uint64 in qlog; a controller may keep fractions (CUBIC's β = 0.7).
      congestion_window: Math.floor(sc.cwnd),
      bytes_in_flight: sc.bytesInFlight,
      ssthresh: Math.floor(sc.cc.ssthresh),
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
    if (any) this.event(now, 'quic:recovery_metrics_updated', changed);
    const state = sc.cc.state;
    if (state !== this.congestionState) {
      const data: Json = { new: state };
      if (this.congestionState !== '') data['old'] = this.congestionState;
      this.congestionState = state;
      this.event(now, 'quic:congestion_state_updated', data);
    }
    // quic:ecn_state_updated (RFC 9000 Appendix A.4 states); nothing while ECN is off.
    for (const ecn of sc.ecn.takeChanges()) {
      const data: Json = { new: ecn };
      if (this.ecnState !== '') data['old'] = this.ecnState;
      this.ecnState = ecn;
      this.event(now, 'quic:ecn_state_updated', data);
    }
  }

  keyUpdated(conn: QlogSubject, trigger: 'local_update' | 'remote_update', now: number): void {
    // A local update changes our sending keys first, a remote one the peer's.
    const side = (trigger === 'local_update') === (this.role === 'client') ? 'client' : 'server';
    this.event(now, 'quic:key_updated', {
      key_type: `${side}_1rtt_secret`,
      key_phase: conn.keys.keyUpdates,
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

  mtuUpdated(_conn: QlogSubject, old: number, size: number, done: boolean, now: number): void {
    this.event(now, 'quic:mtu_updated', { old, new: size, done });
  }

  pathChanged(conn: QlogSubject, now: number): void {
    this.event(now, 'quic:migration_state_updated', {
      new: 'migration_complete',
      tuple_local: endpoint(conn.localAddress),
      tuple_remote: endpoint(conn.remoteAddress),
    });
  }

  /**
   * quic-events §4.7 tuple_assigned: the path ID is the TupleID; its RFC 10069 status and ID go
   * in extension fields (`$$quic-tupleassigned-extension`), so a status change re-assigns the
   * tuple with new metadata, as §4.7 allows.
   */
  pathUpdated(_conn: QlogSubject, path: QlogPathInfo, now: number): void {
    const remote = endpoint(path.remote);
    if (path.dcid !== undefined) remote['connection_ids'] = [toHex(path.dcid)];
    this.event(now, 'quic:tuple_assigned', {
      tuple_id: String(path.pathId),
      tuple_remote: remote,
      tuple_local: endpoint(path.local),
      path_id: path.pathId,
      path_status: path.status,
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
    this.record({ time: (now - this.start) / 1000, name: qlogEventName(name, this.format), data });
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

  /** Writes the buffered records now (QlogSink.flush). */
  flush(): void {
    if (this.buffered.length === 0) return;
    const text = this.buffered.join('');
    this.buffered = [];
    this.bufferedChars = 0;
    this.write(text);
  }
}

/** A QUIC version as qlog's QuicVersion: 8 hex digits. */
function quicVersion(version: number): string {
  return version.toString(16).padStart(8, '0');
}

/** qlog's connection_closed trigger for how the connection ended. */
/**
 * Which side closed (qlog quic-events connection_closed): an idle timeout, and a server dropping
 * a connection whose unvalidated client went silent (`Connection.abandon`), are the local
 * endpoint silently discarding the connection; a CONNECTION_CLOSE received, a stateless reset
 * and a Version Negotiation packet come from the peer.
 */
function closeInitiator(info: CloseInfo): 'local' | 'remote' {
  switch (info.source) {
    case 'local':
    case 'idle_timeout':
      return 'local';
    case 'peer':
    case 'stateless_reset':
    case 'version_negotiation':
      return 'remote';
  }
}

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
  options: { bufferChars?: number; wallClock?: () => string; format?: QlogFormat } = {},
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
      ...(options.format !== undefined ? { format: options.format } : {}),
    });
  };
}
