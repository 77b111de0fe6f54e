/**
 * qlog's serialisation of QUIC frames and transport parameters (draft-ietf-quic-qlog-quic-events-13
 * QuicFrame, parameters_set, $TransportError), for the qlog writer (qlog-writer.ts): a decoded
 * frame, a sent-packet record's frame descriptors, a transport error code.
 */
import { toHex } from '../util/bytes.js';
import { TransportError } from '../wire/errors.js';
import type { Frame } from '../wire/frame-types.js';
import type { TransportParameters } from '../wire/transport-params.js';
import type { SentFrame } from './sent-frames.js';

/** A qlog JSON object. */
export type Json = Record<string, unknown>;

/** Names of transport error codes as qlog spells them (lowercase, RFC 9000 §20.1). */
const ERROR_NAMES = new Map<number, string>(
  Object.entries(TransportError)
    .filter(([name]) => name !== 'CRYPTO_ERROR_BASE')
    .map(([name, code]) => [code, name.toLowerCase()]),
);

/** A transport error code as qlog's `$TransportError` / `CryptoError`, with the raw code if unknown. */
export function transportError(code: number): Json {
  if (code >= 0x100 && code <= 0x1ff) return { error: `crypto_error_0x${code.toString(16)}` };
  const name = ERROR_NAMES.get(code);
  return name !== undefined ? { error: name } : { error: 'unknown', error_code: code };
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: false });

/** A decoded frame as a qlog QuicFrame. `ackDelayExponent` scales ACK Delay (RFC 9000 §19.3). */
export function frameToQlog(f: Frame, ackDelayExponent: number): Json {
  switch (f.kind) {
    case 'padding':
      return { frame_type: 'padding', raw: { length: f.length, payload_length: f.length } };
    case 'ping':
    case 'handshake_done':
    case 'immediate_ack':
      return { frame_type: f.kind };
    case 'ack_frequency':
      return {
        frame_type: 'ack_frequency',
        sequence_number: f.sequenceNumber,
        ack_eliciting_threshold: f.ackElicitingThreshold,
        requested_max_ack_delay: f.requestedMaxAckDelay / 1000,
        reordering_threshold: f.reorderingThreshold,
      };
    case 'ack':
    case 'path_ack': {
      const out: Json = { frame_type: f.kind };
      if (f.kind === 'path_ack') out['path_id'] = f.pathId;
      out['ack_delay'] = (f.ackDelay * 2 ** ackDelayExponent) / 1000;
      out['acked_ranges'] = f.ranges.map((r) =>
        r.smallest === r.largest ? [r.smallest] : [r.smallest, r.largest],
      );
      if (f.ecn) Object.assign(out, { ect0: f.ecn.ect0, ect1: f.ecn.ect1, ce: f.ecn.ce });
      return out;
    }
    // RFC 10069 §4 frames, as extension frames through the $QuicFrame type socket (quic-events
    // §8.12): the RFC's field names in snake case.
    case 'path_abandon':
      return { frame_type: f.kind, path_id: f.pathId, error_code: f.errorCode };
    case 'path_status_backup':
    case 'path_status_available':
      return {
        frame_type: f.kind,
        path_id: f.pathId,
        path_status_sequence_number: f.sequenceNumber,
      };
    case 'path_new_connection_id':
      // The stateless reset token is left out, as for new_connection_id.
      return {
        frame_type: f.kind,
        path_id: f.pathId,
        sequence_number: f.sequenceNumber,
        retire_prior_to: f.retirePriorTo,
        connection_id_length: f.connectionId.length,
        connection_id: toHex(f.connectionId),
      };
    case 'path_retire_connection_id':
      return { frame_type: f.kind, path_id: f.pathId, sequence_number: f.sequenceNumber };
    case 'max_path_id':
    case 'paths_blocked':
      return { frame_type: f.kind, maximum_path_id: f.maximum };
    case 'path_cids_blocked':
      return {
        frame_type: f.kind,
        path_id: f.pathId,
        next_sequence_number: f.nextSequenceNumber,
      };
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
      // The descriptor keeps only the Largest Acknowledged, not the ranges.
      return { frame_type: 'ack' };
    case 'stream_control':
    case 'control':
    case 'once':
      return frameToQlog(f.frame, 3);
    case 'none':
      return null;
  }
}

export function sentFramesToQlog(frames: readonly SentFrame[]): Json[] {
  const out: Json[] = [];
  for (const f of frames) {
    const j = sentFrameToQlog(f);
    if (j !== null) out.push(j);
  }
  return out;
}

/**
 * Transport parameters as qlog's parameters_set fields (quic-events §4.11). Stateless reset
 * tokens (and so the preferred address, which carries one) are left out: whoever holds one can
 * reset the connection.
 */
export function transportParametersToQlog(p: TransportParameters): Json {
  const out: Json = {
    max_idle_timeout: p.maxIdleTimeout,
    max_udp_payload_size: p.maxUdpPayloadSize,
    ack_delay_exponent: p.ackDelayExponent,
    max_ack_delay: p.maxAckDelay,
    active_connection_id_limit: p.activeConnectionIdLimit,
    initial_max_data: p.initialMaxData,
    initial_max_stream_data_bidi_local: p.initialMaxStreamDataBidiLocal,
    initial_max_stream_data_bidi_remote: p.initialMaxStreamDataBidiRemote,
    initial_max_stream_data_uni: p.initialMaxStreamDataUni,
    initial_max_streams_bidi: p.initialMaxStreamsBidi,
    initial_max_streams_uni: p.initialMaxStreamsUni,
    disable_active_migration: p.disableActiveMigration,
  };
  if (p.originalDestinationConnectionId !== undefined) {
    out['original_destination_connection_id'] = toHex(p.originalDestinationConnectionId);
  }
  if (p.initialSourceConnectionId !== undefined) {
    out['initial_source_connection_id'] = toHex(p.initialSourceConnectionId);
  }
  if (p.retrySourceConnectionId !== undefined) {
    out['retry_source_connection_id'] = toHex(p.retrySourceConnectionId);
  }
  if (p.maxDatagramFrameSize > 0) out['max_datagram_frame_size'] = p.maxDatagramFrameSize;
  if (p.greaseQuicBit) out['grease_quic_bit'] = true;
  // RFC 10069 §2.1, as an extension field ($$quic-parametersset-extension).
  if (p.initialMaxPathId !== undefined) out['initial_max_path_id'] = p.initialMaxPathId;
  return out;
}
