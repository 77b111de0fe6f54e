/**
 * HTTP/3 events for qlog (draft-ietf-quic-qlog-h3-events-13): the `http3:` event data of what
 * the session sends and receives. The session reports them through H3Transport.qlog, which the
 * adapter connects to the connection's qlog sink; without one nothing is built.
 */
import { isReservedCodePoint } from '../errors.js';
import { H3SettingId, H3StreamType } from '../frames.js';
import type { FieldLine } from '../qpack/field-section.js';

type Json = Record<string, unknown>;

/** Receives an event's name and data (H3Transport.qlog). */
export type H3QlogSink = (name: string, data: Json) => void;

/** h3-events §7.4: the setting names of the HTTP/3 Settings registry. */
const SETTING_NAMES = new Map<number, string>([
  [H3SettingId.QPACK_MAX_TABLE_CAPACITY, 'settings_qpack_max_table_capacity'],
  [H3SettingId.MAX_FIELD_SECTION_SIZE, 'settings_max_field_section_size'],
  [H3SettingId.QPACK_BLOCKED_STREAMS, 'settings_qpack_blocked_streams'],
  [0x08, 'settings_enable_connect_protocol'],
  [0x33, 'settings_h3_datagram'],
]);

/** A SETTINGS frame as HTTP3SettingsFrame (h3-events §7.4). */
export function settingsFrame(settings: ReadonlyMap<number, number>): Json {
  return {
    frame_type: 'settings',
    settings: [...settings].map(([id, value]) => {
      const name = SETTING_NAMES.get(id);
      if (name !== undefined) return { name, value };
      return isReservedCodePoint(id)
        ? { name: 'reserved', value }
        : { name: 'unknown', name_bytes: id, value };
    }),
  };
}

/** SETTINGS as h3-events §5.1 parameters_set, sent ('local') or received ('remote'). */
export function settingsParameters(
  settings: ReadonlyMap<number, number>,
  initiator: 'local' | 'remote',
): Json {
  // RFC 9114 §7.2.4.1, RFC 9204 §5: an absent setting has its default.
  return {
    initiator,
    max_field_section_size: settings.get(H3SettingId.MAX_FIELD_SECTION_SIZE) ?? 2 ** 62 - 1,
    max_table_capacity: settings.get(H3SettingId.QPACK_MAX_TABLE_CAPACITY) ?? 0,
    blocked_streams_count: settings.get(H3SettingId.QPACK_BLOCKED_STREAMS) ?? 0,
  };
}

/** A header section as HTTP3HeadersFrame (h3-events §7.2). */
export function headersFrame(fields: readonly FieldLine[]): Json {
  return { frame_type: 'headers', headers: fields.map((f) => ({ name: f.name, value: f.value })) };
}

/** A unidirectional stream type as h3-events §5.3 stream_type_set data. */
export function streamTypeSet(streamId: number, type: number, initiator: 'local' | 'remote'): Json {
  switch (type) {
    case H3StreamType.CONTROL:
      return { initiator, stream_id: streamId, stream_type: 'control' };
    case H3StreamType.PUSH:
      return { initiator, stream_id: streamId, stream_type: 'push' };
    case H3StreamType.QPACK_ENCODER:
      return { initiator, stream_id: streamId, stream_type: 'qpack_encode' };
    case H3StreamType.QPACK_DECODER:
      return { initiator, stream_id: streamId, stream_type: 'qpack_decode' };
  }
  return isReservedCodePoint(type)
    ? { initiator, stream_id: streamId, stream_type: 'reserved' }
    : { initiator, stream_id: streamId, stream_type: 'unknown', stream_type_bytes: type };
}
