/**
 * qlog files (draft-ietf-quic-qlog-main-schema, -quic-events) in the JSON-SEQ serialization
 * (RFC 7464: each record starts with 0x1E and ends with a newline): one file per connection,
 * named after the original destination connection ID, as qvis and other tools read them.
 *
 * The sink buffers records and writes them in large blocks (a transfer produces one record per
 * packet); the file is complete once the connection closes.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { Connection, CloseInfo } from '../conn/connection.js';
import type { QlogSink } from '../conn/qlog.js';
import type { SentFrame } from '../conn/sent-frames.js';
import { pnSpaceName, type PnSpace } from '../ack/pn-space.js';
import { toHex } from '../util/bytes.js';
import { Reader } from '../util/cursor.js';
import { decodeFrame } from '../wire/frame-decode.js';
import type { Frame } from '../wire/frame-types.js';
import { packetTypeName, type PacketType } from '../wire/version.js';

const RECORD_SEPARATOR = '\x1e';
const FLUSH_AT = 256 * 1024;

type Json = Record<string, unknown>;

/** A qlog factory for EngineConfig.qlog / ServerOptions.qlog: one file per connection in `dir`. */
export function qlogToDirectory(
  dir: string,
): (traceId: string, role: 'client' | 'server') => QlogSink {
  return (traceId, role) =>
    new QlogFileSink(path.join(dir, `${traceId}_${role}.sqlog`), traceId, role);
}

export class QlogFileSink implements QlogSink {
  private fd: number | null;
  private buffered: string[] = [];
  private bufferedLength = 0;
  private referenceUs = -1;

  constructor(file: string, traceId: string, role: 'client' | 'server') {
    this.fd = openSync(file, 'w');
    this.record({
      qlog_version: '0.4',
      qlog_format: 'JSON-SEQ',
      title: `tsquic ${role} ${traceId}`,
      trace: {
        vantage_point: { type: role },
        common_fields: {
          ODCID: traceId,
          time_format: 'relative',
          reference_time: Date.now(),
        },
      },
    });
  }

  connectionStarted(conn: Connection, now: number): void {
    this.event(now, 'quic:connection_started', {
      src_ip: conn.localAddress.address,
      src_port: conn.localAddress.port,
      dst_ip: conn.remoteAddress.address,
      dst_port: conn.remoteAddress.port,
      version: conn.version.toString(16),
    });
  }

  connectionClosed(_conn: Connection, info: CloseInfo, now: number): void {
    this.event(now, 'quic:connection_closed', {
      owner: info.source === 'peer' ? 'remote' : 'local',
      ...(info.application
        ? { application_code: info.errorCode }
        : { connection_code: info.errorCode }),
      reason: info.reason,
      trigger: info.source,
    });
  }

  packetSent(
    _conn: Connection,
    type: PacketType,
    pn: number,
    size: number,
    frames: readonly SentFrame[],
    now: number,
  ): void {
    const list: Json[] = [];
    for (const f of frames) {
      const j = sentFrameJson(f);
      if (j !== null) list.push(j);
    }
    this.event(now, 'quic:packet_sent', {
      header: { packet_type: packetTypeName(type), packet_number: pn },
      raw: { length: size },
      frames: list,
    });
  }

  packetReceived(
    _conn: Connection,
    type: PacketType,
    pn: number,
    size: number,
    datagram: Uint8Array,
    payloadStart: number,
    payloadLength: number,
    now: number,
  ): void {
    const frames: Json[] = [];
    const r = new Reader(datagram, payloadStart, payloadStart + payloadLength);
    try {
      while (r.pos < r.end) frames.push(frameJson(decodeFrame(r)));
    } catch {
      // The connection reports malformed frames itself; the log keeps what decoded.
    }
    this.event(now, 'quic:packet_received', {
      header: { packet_type: packetTypeName(type), packet_number: pn },
      raw: { length: size },
      frames,
    });
  }

  packetDropped(_conn: Connection, reason: string, size: number, now: number): void {
    this.event(now, 'quic:packet_dropped', { raw: { length: size }, trigger: reason });
  }

  metrics(conn: Connection, now: number): void {
    const s = conn.getStats();
    this.event(now, 'recovery:metrics_updated', {
      smoothed_rtt: s.srttMs,
      min_rtt: s.minRttMs,
      latest_rtt: s.latestRttMs,
      rtt_variance: s.rttVarMs,
      congestion_window: s.cwnd,
      bytes_in_flight: s.bytesInFlight,
    });
  }

  keyUpdated(_conn: Connection, trigger: 'local_update' | 'remote_update', now: number): void {
    this.event(now, 'security:key_updated', { key_type: '1rtt', trigger });
  }

  keyDiscarded(_conn: Connection, space: PnSpace, now: number): void {
    this.event(now, 'security:key_discarded', { key_type: pnSpaceName(space) });
  }

  retryReceived(_conn: Connection, now: number): void {
    this.event(now, 'quic:packet_received', { header: { packet_type: 'retry' } });
  }

  closeSent(_conn: Connection, now: number): void {
    this.event(now, 'quic:connection_close_sent', {});
  }

  close(): void {
    this.flush();
    if (this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
    }
  }

  private event(now: number, name: string, data: Json): void {
    if (this.referenceUs < 0) this.referenceUs = now;
    this.record({ time: (now - this.referenceUs) / 1000, name, data });
  }

  private record(value: Json): void {
    if (this.fd === null) return;
    const line = RECORD_SEPARATOR + JSON.stringify(value) + '\n';
    this.buffered.push(line);
    this.bufferedLength += line.length;
    if (this.bufferedLength >= FLUSH_AT) this.flush();
  }

  private flush(): void {
    if (this.fd === null || this.buffered.length === 0) return;
    writeSync(this.fd, this.buffered.join(''));
    this.buffered = [];
    this.bufferedLength = 0;
  }
}

function sentFrameJson(f: SentFrame): Json | null {
  switch (f.k) {
    case 'stream':
      return {
        frame_type: 'stream',
        stream_id: f.streamId,
        offset: f.offset,
        length: f.length,
        fin: f.fin,
      };
    case 'crypto':
      return { frame_type: 'crypto', offset: f.offset, length: f.length };
    case 'ack':
      return { frame_type: 'ack', largest_acknowledged: f.largest };
    case 'stream_control':
    case 'control':
      return frameJson(f.frame as Frame);
    default:
      return null;
  }
}

/** A decoded frame in qlog's shape: frame_type and its fields in snake_case. */
function frameJson(f: Frame): Json {
  const out: Json = { frame_type: f.kind };
  for (const [key, value] of Object.entries(f)) {
    if (key === 'kind') continue;
    const name = key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    if (value instanceof Uint8Array) {
      // Payloads by length; identifiers and tokens in hex.
      if (key === 'data' && f.kind !== 'path_challenge' && f.kind !== 'path_response') {
        out['length'] = value.length;
      } else if (key === 'reason') {
        out['reason'] = Buffer.from(value).toString('utf8');
      } else {
        out[name] = toHex(value);
      }
    } else if (key === 'ranges' && Array.isArray(value)) {
      out['acked_ranges'] = (value as { smallest: number; largest: number }[]).map((r) => [
        r.smallest,
        r.largest,
      ]);
    } else {
      out[name] = value;
    }
  }
  return out;
}
