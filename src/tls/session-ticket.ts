/**
 * The client's stored session: what a NewSessionTicket (RFC 8446 §4.6.1) plus the connection it
 * arrived on give the client to resume later. It travels through the application as opaque
 * bytes (onSessionTicket → TlsClientConfig.sessionTicket), with a slot for the application's own
 * data: QUIC keeps the server's transport parameters there for 0-RTT (RFC 9000 §7.4.1).
 */
import { Reader, Writer } from '../util/cursor.js';
import { fromUtf8, utf8 } from '../util/bytes.js';
import { DecodeError } from '../util/errors.js';
import { cipherSuiteByCode, cipherSuiteByName } from '../crypto/suites.js';
import type { CipherSuiteName } from './types.js';

const FORMAT_VERSION = 1;

export interface SessionTicket {
  readonly cipherSuite: CipherSuiteName;
  /** The resumption PSK derived from this ticket's nonce (RFC 8446 §4.6.1). */
  readonly psk: Uint8Array;
  /** The server's opaque ticket: the PSK identity to offer. */
  readonly ticket: Uint8Array;
  readonly ageAdd: number;
  /** Seconds the server allows the ticket to be used. */
  readonly lifetime: number;
  /** When the ticket arrived, ms since the epoch (the client's clock). */
  readonly receivedAt: number;
  /** 0xffffffff when the server allows 0-RTT (RFC 9001 §4.6.1), else 0. */
  readonly maxEarlyData: number;
  /** The protocol negotiated on the original connection (0-RTT must use the same, RFC 8446 §4.2.10). */
  readonly alpn: string;
  /** The name the original connection was made to; the ticket is only offered to it. */
  readonly serverName: string | null;
  /** Application data attached with sessionTicketWithAppData (empty by default). */
  readonly appData: Uint8Array;
}

export function encodeSessionTicket(t: SessionTicket): Uint8Array {
  const w = Writer.growable(128 + t.ticket.length + t.appData.length);
  w.u8(FORMAT_VERSION).u16(cipherSuiteByName(t.cipherSuite).code);
  w.uint(t.receivedAt, 6).u32(t.lifetime).u32(t.ageAdd).u32(t.maxEarlyData);
  w.vec(1, t.psk)
    .vec(2, t.ticket)
    .vec(1, utf8(t.alpn))
    .vec(2, utf8(t.serverName ?? ''));
  w.vec(2, t.appData);
  return w.finish();
}

/** Reads stored ticket bytes; throws a TypeError when they are not a tsquic session ticket. */
export function decodeSessionTicket(bytes: Uint8Array): SessionTicket {
  try {
    const r = new Reader(bytes);
    if (r.u8() !== FORMAT_VERSION) throw new DecodeError('unknown format version');
    const suite = cipherSuiteByCode(r.u16());
    if (suite === undefined) throw new DecodeError('unknown cipher suite');
    const receivedAt = r.uint(6);
    const lifetime = r.u32();
    const ageAdd = r.u32();
    const maxEarlyData = r.u32();
    const psk = r.copy(r.u8());
    const ticket = r.copy(r.u16());
    const alpn = fromUtf8(r.vec(1));
    const name = fromUtf8(r.vec(2));
    const appData = r.copy(r.u16());
    if (r.remaining !== 0) throw new DecodeError('trailing bytes');
    if (psk.length !== suite.hashLength) throw new DecodeError('PSK length does not fit the suite');
    return {
      cipherSuite: suite.name,
      psk,
      ticket,
      ageAdd,
      lifetime,
      receivedAt,
      maxEarlyData,
      alpn,
      serverName: name === '' ? null : name,
      appData,
    };
  } catch (e) {
    if (e instanceof DecodeError) throw new TypeError(`not a session ticket: ${e.message}`);
    throw e;
  }
}

/** A copy of the stored ticket with `appData` in its application slot. */
export function sessionTicketWithAppData(bytes: Uint8Array, appData: Uint8Array): Uint8Array {
  return encodeSessionTicket({ ...decodeSessionTicket(bytes), appData });
}

/** True while the ticket's lifetime has not run out at `now` (ms since the epoch). */
export function sessionTicketValid(t: SessionTicket, now: number): boolean {
  const age = now - t.receivedAt;
  return age >= 0 && age < t.lifetime * 1000;
}
