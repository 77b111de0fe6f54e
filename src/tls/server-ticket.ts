/**
 * The resumption state a server seals into its tickets (RFC 8446 §4.6.1): everything needed to
 * accept the PSK later without server-side storage.
 */
import { Reader, Writer } from '../util/cursor.js';
import { fromUtf8, utf8 } from '../util/bytes.js';
import { DecodeError } from '../util/errors.js';

const STATE_VERSION = 1;

export interface ServerTicketState {
  /** Cipher suite code of the original connection. */
  readonly suite: number;
  readonly psk: Uint8Array;
  /** When the ticket was issued, ms since the epoch (the server's clock). */
  readonly issuedAt: number;
  readonly ageAdd: number;
  /** Seconds. */
  readonly lifetime: number;
  readonly maxEarlyData: number;
  readonly alpn: string;
  /** SNI of the original connection, '' when none. */
  readonly serverName: string;
  /** The client's leaf certificate when it authenticated, else empty. */
  readonly clientCertificate: Uint8Array;
  /** The server's ticketAppData. */
  readonly appData: Uint8Array;
}

export function encodeServerTicketState(s: ServerTicketState): Uint8Array {
  const w = Writer.growable(128 + s.clientCertificate.length + s.appData.length);
  w.u8(STATE_VERSION).u16(s.suite).vec(1, s.psk).uint(s.issuedAt, 6);
  w.u32(s.ageAdd).u32(s.lifetime).u32(s.maxEarlyData);
  w.vec(1, utf8(s.alpn)).vec(2, utf8(s.serverName)).vec(3, s.clientCertificate).vec(2, s.appData);
  return w.finish();
}

/** The state, or null when the bytes are not a state this server wrote. */
export function decodeServerTicketState(b: Uint8Array): ServerTicketState | null {
  try {
    const r = new Reader(b);
    if (r.u8() !== STATE_VERSION) return null;
    const suite = r.u16();
    const psk = r.copy(r.u8());
    const issuedAt = r.uint(6);
    const ageAdd = r.u32();
    const lifetime = r.u32();
    const maxEarlyData = r.u32();
    const alpn = fromUtf8(r.vec(1));
    const serverName = fromUtf8(r.vec(2));
    const clientCertificate = r.copy(r.u24());
    const appData = r.copy(r.u16());
    if (r.remaining !== 0) return null;
    return {
      suite,
      psk,
      issuedAt,
      ageAdd,
      lifetime,
      maxEarlyData,
      alpn,
      serverName,
      clientCertificate,
      appData,
    };
  } catch (e) {
    if (e instanceof DecodeError) return null;
    throw e;
  }
}
