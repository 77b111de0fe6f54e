/**
 * A compact validator for the qlog tsquic writes: the JSON-SEQ file layout (RFC 7464), the
 * header of the form (main-schema-14 §5 or qvis's draft-02 loader) and, for every event, its
 * data against the CDDL of quic-events-13 and h3-events-13, for the events and frames tsquic
 * emits. Maps are closed: a field the draft does not define is an error (the drafts' extension
 * sockets are empty), except where the draft allows unspecified fields
 * (recovery_metrics_updated, http3 parameters_set). An event name the validator does not know is
 * an error too, so a new event needs its definition here.
 */
import { qlogEventName, type QlogFormat } from '../../src/conn/qlog-writer.js';

type Json = Record<string, unknown>;
type Check = (v: unknown, at: string, errors: string[]) => void;

const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const uint: Check = (v, at, errors) => {
  if (!(typeof v === 'number' && Number.isInteger(v) && v >= 0)) errors.push(`${at}: not a uint`);
};
const float: Check = (v, at, errors) => {
  if (!(typeof v === 'number' && Number.isFinite(v))) errors.push(`${at}: not a number`);
};
const text: Check = (v, at, errors) => {
  if (typeof v !== 'string') errors.push(`${at}: not text`);
};
const bool: Check = (v, at, errors) => {
  if (typeof v !== 'boolean') errors.push(`${at}: not a bool`);
};
const hex: Check = (v, at, errors) => {
  if (!(typeof v === 'string' && /^([0-9a-f]{2})*$/.test(v))) errors.push(`${at}: not hex`);
};
const oneOf =
  (...values: (string | number)[]): Check =>
  (v, at, errors) => {
    if (!values.includes(v as string))
      errors.push(`${at}: ${JSON.stringify(v)} not one of ${values.join('|')}`);
  };
const either =
  (...checks: Check[]): Check =>
  (v, at, errors) => {
    for (const c of checks) {
      const e: string[] = [];
      c(v, at, e);
      if (e.length === 0) return;
    }
    errors.push(`${at}: ${JSON.stringify(v)} matches no alternative`);
  };
const arrayOf =
  (item: Check, min = 0, max = Infinity): Check =>
  (v, at, errors) => {
    if (!Array.isArray(v) || v.length < min || v.length > max) {
      errors.push(`${at}: not an array of ${min}..${max}`);
      return;
    }
    v.forEach((x, i) => item(x, `${at}[${i}]`, errors));
  };
/** A map: `required` and `optional` fields; `open` admits fields not listed. */
const map =
  (required: Record<string, Check>, optional: Record<string, Check> = {}, open = false): Check =>
  (v, at, errors) => {
    if (!isObject(v)) {
      errors.push(`${at}: not a map`);
      return;
    }
    for (const [k, c] of Object.entries(required)) {
      if (!(k in v)) errors.push(`${at}.${k}: missing`);
      else c(v[k], `${at}.${k}`, errors);
    }
    for (const [k, x] of Object.entries(v)) {
      if (k in required) continue;
      const c = optional[k];
      if (c !== undefined) c(x, `${at}.${k}`, errors);
      else if (!open) errors.push(`${at}.${k}: not defined by the schema`);
    }
  };

// --- quic-events-13 §8 data types ---------------------------------------------------------------

const initiator = oneOf('local', 'remote');
const quicVersion: Check = (v, at, errors) => {
  if (!(typeof v === 'string' && /^[0-9a-f]{8}$/.test(v))) errors.push(`${at}: not a QuicVersion`);
};
const rawInfo = map({}, { length: uint, payload_length: uint, data: hex });
const tuple = map(
  {},
  { ip_v4: text, port_v4: uint, ip_v6: text, port_v6: uint, connection_ids: arrayOf(hex, 1) },
);
const packetType = oneOf(
  'initial',
  'handshake',
  '0RTT',
  '1RTT',
  'retry',
  'version_negotiation',
  'stateless_reset',
  'unknown',
);
const token = map(
  {},
  { type: oneOf('retry', 'resumption'), details: map({}, {}, true), raw: rawInfo },
);
const packetHeader = map(
  { packet_type: packetType },
  {
    packet_type_bytes: uint,
    spin_bit: bool,
    key_phase: uint,
    key_phase_bit: bool,
    packet_number_length: uint,
    packet_number: uint,
    token,
    length: uint,
    version: quicVersion,
    scil: uint,
    dcil: uint,
    scid: hex,
    dcid: hex,
  },
);
const transportError = oneOf(
  'no_error',
  'internal_error',
  'connection_refused',
  'flow_control_error',
  'stream_limit_error',
  'stream_state_error',
  'final_size_error',
  'frame_encoding_error',
  'transport_parameter_error',
  'connection_id_limit_error',
  'protocol_violation',
  'invalid_token',
  'application_error',
  'crypto_buffer_exceeded',
  'key_update_error',
  'aead_limit_reached',
  'no_viable_path',
  'unknown',
);
const cryptoError: Check = (v, at, errors) => {
  if (!(typeof v === 'string' && /^crypto_error_0x1[0-9a-f]{2}$/.test(v))) {
    errors.push(`${at}: not a CryptoError`);
  }
};
const streamType = oneOf('unidirectional', 'bidirectional');
const keyType = oneOf(
  ...['initial', 'handshake', '0rtt', '1rtt'].flatMap((l) => [
    `server_${l}_secret`,
    `client_${l}_secret`,
  ]),
);
const keyTrigger = oneOf('tls', 'remote_update', 'local_update');

const FRAMES: Record<string, Check> = {
  padding: map({ frame_type: text }, { raw: rawInfo }),
  ping: map({ frame_type: text }, { raw: rawInfo }),
  ack: map(
    { frame_type: text },
    {
      ack_delay: float,
      acked_ranges: arrayOf(arrayOf(uint, 1, 2), 1),
      ect1: uint,
      ect0: uint,
      ce: uint,
      raw: rawInfo,
    },
  ),
  reset_stream: map(
    { frame_type: text, stream_id: uint, error: text, final_size: uint },
    { error_code: uint, raw: rawInfo },
  ),
  stop_sending: map(
    { frame_type: text, stream_id: uint, error: text },
    { error_code: uint, raw: rawInfo },
  ),
  crypto: map({ frame_type: text, offset: uint, raw: rawInfo }),
  new_token: map({ frame_type: text, token }, { raw: rawInfo }),
  stream: map({ frame_type: text, stream_id: uint }, { offset: uint, fin: bool, raw: rawInfo }),
  max_data: map({ frame_type: text, maximum: uint }, { raw: rawInfo }),
  max_stream_data: map({ frame_type: text, stream_id: uint, maximum: uint }, { raw: rawInfo }),
  max_streams: map({ frame_type: text, stream_type: streamType, maximum: uint }, { raw: rawInfo }),
  data_blocked: map({ frame_type: text, limit: uint }, { raw: rawInfo }),
  stream_data_blocked: map({ frame_type: text, stream_id: uint, limit: uint }, { raw: rawInfo }),
  streams_blocked: map(
    { frame_type: text, stream_type: streamType, limit: uint },
    { raw: rawInfo },
  ),
  new_connection_id: map(
    { frame_type: text, sequence_number: uint, retire_prior_to: uint, connection_id: hex },
    { connection_id_length: uint, stateless_reset_token: hex, raw: rawInfo },
  ),
  retire_connection_id: map({ frame_type: text, sequence_number: uint }, { raw: rawInfo }),
  path_challenge: map({ frame_type: text }, { data: hex, raw: rawInfo }),
  path_response: map({ frame_type: text }, { data: hex, raw: rawInfo }),
  connection_close: map(
    { frame_type: text },
    {
      error_space: oneOf('transport', 'application'),
      error: either(transportError, cryptoError, text),
      error_code: uint,
      reason: text,
      reason_bytes: hex,
      trigger_frame_type: either(uint, text),
      raw: rawInfo,
    },
  ),
  handshake_done: map({ frame_type: text }, { raw: rawInfo }),
  datagram: map({ frame_type: text }, { raw: rawInfo }),
  unknown: map({ frame_type: text, frame_type_bytes: uint }, { raw: rawInfo }),
  // Extension frames through the $QuicFrame type socket (quic-events §8.12): ACK frequency's
  // (draft-ietf-quic-ack-frequency §4, §5), with its field names in snake case.
  ack_frequency: map(
    {
      frame_type: text,
      sequence_number: uint,
      ack_eliciting_threshold: uint,
      requested_max_ack_delay: float,
      reordering_threshold: uint,
    },
    { raw: rawInfo },
  ),
  immediate_ack: map({ frame_type: text }, { raw: rawInfo }),
  // Multipath (RFC 10069 §4), the same way: the RFC's field names in snake case.
  path_ack: map(
    { frame_type: text, path_id: uint },
    {
      ack_delay: float,
      acked_ranges: arrayOf(arrayOf(uint, 1, 2), 1),
      ect1: uint,
      ect0: uint,
      ce: uint,
      raw: rawInfo,
    },
  ),
  path_abandon: map({ frame_type: text, path_id: uint, error_code: uint }, { raw: rawInfo }),
  path_status_backup: map(
    { frame_type: text, path_id: uint, path_status_sequence_number: uint },
    { raw: rawInfo },
  ),
  path_status_available: map(
    { frame_type: text, path_id: uint, path_status_sequence_number: uint },
    { raw: rawInfo },
  ),
  path_new_connection_id: map(
    {
      frame_type: text,
      path_id: uint,
      sequence_number: uint,
      retire_prior_to: uint,
      connection_id: hex,
    },
    { connection_id_length: uint, stateless_reset_token: hex, raw: rawInfo },
  ),
  path_retire_connection_id: map(
    { frame_type: text, path_id: uint, sequence_number: uint },
    { raw: rawInfo },
  ),
  max_path_id: map({ frame_type: text, maximum_path_id: uint }, { raw: rawInfo }),
  paths_blocked: map({ frame_type: text, maximum_path_id: uint }, { raw: rawInfo }),
  path_cids_blocked: map(
    { frame_type: text, path_id: uint, next_sequence_number: uint },
    { raw: rawInfo },
  ),
};

const quicFrame: Check = (v, at, errors) => {
  const type = isObject(v) ? v['frame_type'] : undefined;
  const c = typeof type === 'string' ? FRAMES[type] : undefined;
  if (c === undefined) errors.push(`${at}: unknown frame_type ${JSON.stringify(type)}`);
  else c(v, at, errors);
};

/** Validates one QuicFrame (as packet_sent / packet_received list them); returns the errors. */
export function validateQuicFrame(v: unknown): string[] {
  const errors: string[] = [];
  quicFrame(v, 'frame', errors);
  return errors;
}

const connectionState = oneOf(
  'attempted',
  'handshake_started',
  'handshake_complete',
  'peer_validated',
  'early_write',
  'handshake_confirmed',
  'closing',
  'draining',
  'closed',
);
const streamState = oneOf(
  'idle',
  'open',
  'closed',
  'half_closed_local',
  'half_closed_remote',
  'ready',
  'send',
  'data_sent',
  'reset_sent',
  'reset_received',
  'receive',
  'size_known',
  'data_read',
  'reset_read',
  'data_received',
  'destroyed',
);
const alpnIdentifier = map({}, { byte_value: hex, string_value: text });

// --- h3-events-13 -------------------------------------------------------------------------------

const httpField = map({}, { name: text, name_bytes: hex, value: text, value_bytes: hex });
const H3_FRAMES: Record<string, Check> = {
  data: map({ frame_type: text }, { raw: rawInfo }),
  headers: map({ frame_type: text, headers: arrayOf(httpField) }, { raw: rawInfo }),
  cancel_push: map({ frame_type: text, push_id: uint }, { raw: rawInfo }),
  settings: map(
    { frame_type: text, settings: arrayOf(map({ name: text, value: uint })) },
    { raw: rawInfo },
  ),
  push_promise: map(
    { frame_type: text, push_id: uint, headers: arrayOf(httpField) },
    { raw: rawInfo },
  ),
  goaway: map({ frame_type: text, id: uint }, { raw: rawInfo }),
  max_push_id: map({ frame_type: text, push_id: uint }, { raw: rawInfo }),
  reserved: map({ frame_type: text }, { length: uint, raw: rawInfo }),
  unknown: map({ frame_type: text, frame_type_bytes: uint }, { raw: rawInfo }),
};
const h3Frame: Check = (v, at, errors) => {
  const type = isObject(v) ? v['frame_type'] : undefined;
  const c = typeof type === 'string' ? H3_FRAMES[type] : undefined;
  if (c === undefined) errors.push(`${at}: unknown HTTP/3 frame_type ${JSON.stringify(type)}`);
  else c(v, at, errors);
};

// --- events -------------------------------------------------------------------------------------

const packetEvent = {
  frames: arrayOf(quicFrame),
  raw: rawInfo,
  datagram_id: uint,
  stateless_reset_token: hex,
  supported_versions: arrayOf(quicVersion, 1),
};
const datagramsEvent = map(
  {},
  { count: uint, raw: arrayOf(rawInfo, 1), ecn: arrayOf(text, 1), datagram_ids: arrayOf(uint, 1) },
);
const h3FrameEvent = map({ stream_id: uint, frame: h3Frame });

/** Event data definitions by the ietf name. */
export const EVENTS: Readonly<Record<string, Check>> = {
  'quic:connection_started': map({ local: tuple, remote: tuple }),
  'quic:version_information': map(
    {},
    {
      server_versions: arrayOf(quicVersion, 1),
      client_versions: arrayOf(quicVersion, 1),
      chosen_version: quicVersion,
    },
  ),
  'quic:alpn_information': map(
    {},
    {
      server_alpns: arrayOf(alpnIdentifier),
      client_alpns: arrayOf(alpnIdentifier),
      chosen_alpn: alpnIdentifier,
    },
  ),
  'quic:parameters_set': map(
    {},
    {
      initiator,
      resumption_allowed: bool,
      early_data_enabled: bool,
      tls_cipher: text,
      original_destination_connection_id: hex,
      initial_source_connection_id: hex,
      retry_source_connection_id: hex,
      stateless_reset_token: hex,
      disable_active_migration: bool,
      max_idle_timeout: uint,
      max_udp_payload_size: uint,
      ack_delay_exponent: uint,
      max_ack_delay: uint,
      active_connection_id_limit: uint,
      initial_max_data: uint,
      initial_max_stream_data_bidi_local: uint,
      initial_max_stream_data_bidi_remote: uint,
      initial_max_stream_data_uni: uint,
      initial_max_streams_bidi: uint,
      initial_max_streams_uni: uint,
      max_datagram_frame_size: uint,
      grease_quic_bit: bool,
      reset_stream_at: bool,
      // RFC 10069 §2.1 through $$quic-parametersset-extension.
      initial_max_path_id: uint,
    },
  ),
  'quic:connection_state_updated': map({ new: connectionState }, { old: connectionState }),
  'quic:connection_closed': map(
    {},
    {
      initiator,
      connection_error: either(transportError, cryptoError),
      application_error: text,
      error_code: uint,
      internal_code: uint,
      reason: text,
      trigger: oneOf(
        'idle_timeout',
        'application',
        'error',
        'version_mismatch',
        'stateless_reset',
        'aborted',
        'unspecified',
      ),
    },
  ),
  'quic:packet_sent': map(
    { header: packetHeader },
    {
      ...packetEvent,
      is_mtu_probe_packet: bool,
      trigger: oneOf(
        'retransmit_reordered',
        'retransmit_timeout',
        'pto_probe',
        'retransmit_crypto',
        'cc_bandwidth_probe',
      ),
    },
  ),
  'quic:packet_received': map(
    { header: packetHeader },
    { ...packetEvent, trigger: oneOf('keys_available') },
  ),
  'quic:packet_dropped': map(
    {},
    {
      header: packetHeader,
      raw: rawInfo,
      datagram_id: uint,
      details: map({}, {}, true),
      trigger: oneOf(
        'internal_error',
        'rejected',
        'unsupported',
        'invalid',
        'duplicate',
        'connection_unknown',
        'decryption_failure',
        'key_unavailable',
        'general',
      ),
    },
  ),
  'quic:packet_lost': map(
    {},
    {
      header: packetHeader,
      frames: arrayOf(quicFrame),
      is_mtu_probe_packet: bool,
      trigger: oneOf('reordering_threshold', 'time_threshold', 'pto_expired'),
    },
  ),
  'quic:udp_datagrams_sent': datagramsEvent,
  'quic:udp_datagrams_received': datagramsEvent,
  'quic:stream_state_updated': map(
    { stream_id: uint, new: streamState, stream_side: oneOf('sending', 'receiving') },
    { stream_type: streamType, old: streamState, trigger: oneOf('local', 'remote') },
  ),
  'quic:key_updated': map(
    { key_type: keyType },
    { old: hex, new: hex, key_phase: uint, trigger: keyTrigger },
  ),
  'quic:key_discarded': map(
    { key_type: keyType },
    { key: hex, key_phase: uint, trigger: keyTrigger },
  ),
  'quic:migration_state_updated': map(
    {
      new: oneOf(
        'probing_started',
        'probing_abandoned',
        'probing_successful',
        'migration_started',
        'migration_abandoned',
        'migration_complete',
      ),
    },
    { old: text, tuple_id: text, tuple_remote: tuple, tuple_local: tuple },
  ),
  // quic-events §4.7 tuple_assigned; path_id and path_status are tsquic's multipath
  // extension fields (RFC 10069 §3) through $$quic-tupleassigned-extension.
  'quic:tuple_assigned': map(
    { tuple_id: text },
    {
      tuple_remote: tuple,
      tuple_local: tuple,
      path_id: uint,
      path_status: oneOf('validating', 'available', 'backup', 'abandoned'),
    },
  ),
  // quic-events, connectivity events: mtu_updated (QUICMTUUpdated).
  'quic:mtu_updated': map({ new: uint }, { old: uint, done: bool }),
  // quic-events §7.2: "can contain any number of unspecified fields".
  'quic:recovery_metrics_updated': map(
    {},
    {
      min_rtt: float,
      smoothed_rtt: float,
      latest_rtt: float,
      rtt_variance: float,
      pto_count: uint,
      congestion_window: uint,
      bytes_in_flight: uint,
      ssthresh: uint,
      packets_in_flight: uint,
      pacing_rate: uint,
    },
    true,
  ),
  'quic:congestion_state_updated': map({ new: text }, { old: text, trigger: text }),
  // quic-events §7.12 ECNState.
  'quic:ecn_state_updated': map(
    { new: oneOf('testing', 'unknown', 'failed', 'capable') },
    { old: oneOf('testing', 'unknown', 'failed', 'capable') },
  ),
  // h3-events §5.1: "can contain any number of unspecified fields" (reserved settings).
  'http3:parameters_set': map(
    {},
    {
      initiator,
      max_field_section_size: uint,
      max_table_capacity: uint,
      blocked_streams_count: uint,
      extended_connect: uint,
      h3_datagram: uint,
      waits_for_settings: bool,
    },
    true,
  ),
  'http3:stream_type_set': map(
    {
      stream_id: uint,
      stream_type: oneOf(
        'request',
        'control',
        'push',
        'reserved',
        'unknown',
        'qpack_encode',
        'qpack_decode',
      ),
    },
    { initiator, stream_type_bytes: uint, associated_push_id: uint },
  ),
  'http3:frame_created': h3FrameEvent,
  'http3:frame_parsed': h3FrameEvent,
};

/** The ietf names of the qvis form's names (the writer's table, inverted). */
const FROM_QVIS: ReadonlyMap<string, string> = new Map(
  Object.keys(EVENTS).map((n) => [qlogEventName(n, 'qvis'), n]),
);

const IETF_HEADER = map({
  file_schema: oneOf('urn:ietf:params:qlog:file:sequential'),
  serialization_format: oneOf('application/qlog+json-seq'),
  title: text,
  trace: map(
    {
      vantage_point: map({ type: oneOf('client', 'server') }, { name: text }),
      common_fields: map(
        {
          group_id: text,
          time_format: oneOf('relative_to_epoch'),
          reference_time: map(
            { clock_type: oneOf('monotonic'), epoch: oneOf('unknown') },
            { wall_clock_time: text },
          ),
        },
        {},
        true, // main-schema §6.9: unknown common fields are disregarded
      ),
      event_schemas: arrayOf(
        oneOf('urn:ietf:params:qlog:events:quic-13', 'urn:ietf:params:qlog:events:http3-13'),
        1,
      ),
    },
    { title: text, description: text },
  ),
});

/** What qvis's JSON-SEQ loader requires (FileLoader, TextSequenceJSONToQlog, QlogLoaderV2). */
const QVIS_HEADER = map(
  {
    qlog_version: oneOf('0.3'),
    qlog_format: oneOf('JSON-SEQ'),
    trace: map(
      {
        vantage_point: map({ type: oneOf('client', 'server') }, { name: text }),
        common_fields: map({ time_format: oneOf('relative'), reference_time: float }, {}, true),
      },
      { title: text, description: text },
    ),
  },
  { title: text, description: text },
);

/** Validates a JSON-SEQ qlog file's text in `format`; returns the errors (empty: valid). */
export function validateQlog(file: string, format: QlogFormat): string[] {
  const errors: string[] = [];
  if (!file.startsWith('\x1e')) return ['the file does not start with the Record Separator'];
  const records = file.split('\x1e').slice(1);
  const parsed: unknown[] = [];
  records.forEach((r, i) => {
    if (!r.endsWith('\n')) errors.push(`record ${i}: does not end with a newline`);
    try {
      parsed.push(JSON.parse(r));
    } catch {
      errors.push(`record ${i}: not JSON`);
    }
  });
  if (errors.length > 0) return errors;
  const [header, ...events] = parsed;
  (format === 'ietf' ? IETF_HEADER : QVIS_HEADER)(header, 'header', errors);
  if (format === 'ietf') {
    // main-schema §4: file_schema and serialization_format within the first 256 characters.
    const first = file.slice(0, 256);
    if (!first.includes('"file_schema"') || !first.includes('"serialization_format"')) {
      errors.push('header: file_schema / serialization_format not in the first 256 characters');
    }
  }
  let last = -Infinity;
  events.forEach((e, i) => {
    const at = `event ${i + 1}`;
    if (!isObject(e)) {
      errors.push(`${at}: not a map`);
      return;
    }
    map({ time: float, name: text, data: map({}, {}, true) })(e, at, errors);
    const time = e['time'] as number;
    // main-schema §6.1: events in ascending time order.
    if (time < last) errors.push(`${at}: time ${time} before ${last}`);
    last = time;
    const name = String(e['name']);
    if (format === 'qvis' && name.startsWith('quic:')) errors.push(`${at}: ietf name ${name}`);
    if (format === 'ietf' && !/^(quic|http3):/.test(name)) errors.push(`${at}: name ${name}`);
    const check = EVENTS[format === 'qvis' ? (FROM_QVIS.get(name) ?? name) : name];
    if (check === undefined) errors.push(`${at}: unknown event ${String(e['name'])}`);
    else check(e['data'], `${at} ${String(e['name'])}`, errors);
  });
  return errors;
}
