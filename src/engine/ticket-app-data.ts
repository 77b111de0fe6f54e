/**
 * What a server seals into its session tickets besides the TLS state (RFC 8446 §4.6.1), to
 * decide later on resumption and 0-RTT without server-side storage:
 *
 * - its transport parameters: the QUIC version that issued the ticket (a ticket resumes only
 *   that version, RFC 9369 §5) and the limits a client may use in 0-RTT (RFC 9000 §7.4.1);
 * - the application protocol's remembered state (`TicketApplication`, HTTP/3: its SETTINGS,
 *   RFC 9114 §7.2.4.2).
 *
 * A server whose limits are now lower than a ticket promised still resumes the session but
 * refuses its early data: the client sends it again in 1-RTT under the new limits (RFC 9001
 * §4.6.2), where accepting it could let the client exceed them.
 */
import { Reader, Writer } from '../util/cursor.js';
import { DecodeError } from '../util/errors.js';
import { decodeTransportParameters, type TransportParameters } from '../wire/transport-params.js';

const FORMAT_VERSION = 1;

export interface TicketAppData {
  /** The server's transport parameters of the connection that issued the ticket (encoded). */
  readonly transportParams: Uint8Array;
  /** The application's remembered state (`TicketApplication.data`), empty when none. */
  readonly application: Uint8Array;
}

/**
 * The application protocol's part of session tickets (`ServerConfig.ticketApplication`): what
 * it remembers and whether 0-RTT on such a ticket may be accepted now.
 */
export interface TicketApplication {
  /** Sealed into every ticket the server issues (e.g. its HTTP/3 SETTINGS). */
  readonly data: Uint8Array;
  /**
   * Whether 0-RTT may be accepted on a ticket that remembered `remembered` for protocol `alpn`:
   * false when the application's limits are now lower or its values changed (RFC 9114
   * §7.2.4.2). The resumption goes on without early data.
   */
  acceptsEarlyData(remembered: Uint8Array, alpn: string): boolean;
}

export function encodeTicketAppData(d: TicketAppData): Uint8Array {
  const w = Writer.growable(8 + d.transportParams.length + d.application.length);
  w.u8(FORMAT_VERSION).vec(2, d.transportParams).vec(2, d.application);
  return w.finish();
}

/** The data, or null when the bytes are not what encodeTicketAppData wrote. */
export function decodeTicketAppData(b: Uint8Array): TicketAppData | null {
  try {
    const r = new Reader(b);
    if (r.u8() !== FORMAT_VERSION) return null;
    const transportParams = r.copy(r.u16());
    const application = r.copy(r.u16());
    if (r.remaining !== 0) return null;
    return { transportParams, application };
  } catch (e) {
    if (e instanceof DecodeError) return null;
    throw e;
  }
}

/** The server's transport parameters remembered in ticket data, or null when unreadable. */
export function rememberedTransportParams(d: TicketAppData): TransportParameters | null {
  try {
    return decodeTransportParameters(d.transportParams, 'server');
  } catch {
    return null;
  }
}

/**
 * The limits a client may rely on in 0-RTT (RFC 9000 §7.4.1; max_datagram_frame_size, RFC 9221
 * §3). A server accepting 0-RTT must offer each at least as high as the ticket remembered.
 */
const ZERO_RTT_LIMITS = [
  ['active_connection_id_limit', 'activeConnectionIdLimit'],
  ['initial_max_data', 'initialMaxData'],
  ['initial_max_stream_data_bidi_local', 'initialMaxStreamDataBidiLocal'],
  ['initial_max_stream_data_bidi_remote', 'initialMaxStreamDataBidiRemote'],
  ['initial_max_stream_data_uni', 'initialMaxStreamDataUni'],
  ['initial_max_streams_bidi', 'initialMaxStreamsBidi'],
  ['initial_max_streams_uni', 'initialMaxStreamsUni'],
  ['max_datagram_frame_size', 'maxDatagramFrameSize'],
] as const satisfies readonly (readonly [string, keyof TransportParameters])[];

/**
 * The first 0-RTT limit `current` sets below `remembered`, as "name remembered → current", or
 * null when every one holds.
 */
export function reducedTransportLimit(
  remembered: TransportParameters,
  current: TransportParameters,
): string | null {
  for (const [name, key] of ZERO_RTT_LIMITS) {
    if (current[key] < remembered[key]) return `${name} ${remembered[key]} → ${current[key]}`;
  }
  return null;
}
