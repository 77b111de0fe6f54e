/**
 * Bodies of the extensions tsquic speaks (RFC 8446 §4.2, RFC 6066 §3, RFC 7301 §3.1,
 * RFC 9001 §8.2). Decoders take the extension_data bytes and insist that every length is
 * consistent and fully consumed: anything else is decode_error (RFC 8446 §6.2).
 */
import { Reader, Writer } from '../util/cursor.js';
import { fromUtf8, utf8 } from '../util/bytes.js';
import { alert } from './alert.js';

/** Throws decode_error unless `r` is fully consumed. */
export function expectEnd(r: Reader, what: string): void {
  if (r.remaining !== 0) throw alert('decode_error', `${what}: ${r.remaining} trailing bytes`);
}

/** A `T list<min..max>` vector with a `lenBytes` length prefix whose size must be in range. */
function vector(r: Reader, lenBytes: 1 | 2, min: number, what: string): Reader {
  const n = lenBytes === 1 ? r.u8() : r.u16();
  if (n < min) throw alert('decode_error', `${what}: vector shorter than ${min}`);
  return r.sub(n);
}

function build(body: (w: Writer) => void): Uint8Array {
  const w = Writer.growable(64);
  body(w);
  return w.finish();
}

// --- server_name (RFC 6066 §3) ----------------------------------------------------------------

/** The host_name entry of a ClientHello server_name list, or null when there is none. */
export function decodeServerName(data: Uint8Array): string | null {
  const r = new Reader(data);
  const list = vector(r, 2, 1, 'server_name');
  expectEnd(r, 'server_name');
  let host: string | null = null;
  while (list.remaining > 0) {
    const type = list.u8();
    const name = list.vec(2);
    if (name.length === 0) throw alert('decode_error', 'server_name: empty name');
    if (type !== 0) continue;
    // RFC 6066 §3: one name per type, ASCII host names.
    if (host !== null) throw alert('illegal_parameter', 'server_name: two host_name entries');
    for (const c of name) {
      if (c < 0x21 || c > 0x7e) throw alert('illegal_parameter', 'server_name: not ASCII');
    }
    host = fromUtf8(name).toLowerCase();
  }
  return host;
}

export function encodeServerName(host: string): Uint8Array {
  return build((w) => w.lengthPrefixed(2, () => w.u8(0).vec(2, utf8(host))));
}

// --- u16 lists: supported_groups, signature_algorithms(_cert) (RFC 8446 §4.2.3, §4.2.7) -------

export function decodeU16List(data: Uint8Array, what: string): number[] {
  const r = new Reader(data);
  const list = vector(r, 2, 2, what);
  expectEnd(r, what);
  if (list.remaining % 2 !== 0) throw alert('decode_error', `${what}: odd length`);
  const out: number[] = [];
  while (list.remaining > 0) out.push(list.u16());
  return out;
}

export function encodeU16List(values: readonly number[]): Uint8Array {
  return build((w) =>
    w.lengthPrefixed(2, () => {
      for (const v of values) w.u16(v);
    }),
  );
}

// --- application_layer_protocol_negotiation (RFC 7301 §3.1) -----------------------------------

export function decodeAlpn(data: Uint8Array): string[] {
  const r = new Reader(data);
  const list = vector(r, 2, 2, 'alpn');
  expectEnd(r, 'alpn');
  const out: string[] = [];
  while (list.remaining > 0) {
    const name = list.vec(1);
    // RFC 7301 §3.1: "Empty strings MUST NOT be included".
    if (name.length === 0) throw alert('decode_error', 'alpn: empty protocol name');
    out.push(fromUtf8(name));
  }
  return out;
}

export function encodeAlpn(protocols: readonly string[]): Uint8Array {
  return build((w) =>
    w.lengthPrefixed(2, () => {
      for (const p of protocols) w.vec(1, utf8(p));
    }),
  );
}

// --- supported_versions (RFC 8446 §4.2.1) ------------------------------------------------------

export function decodeSupportedVersionsClient(data: Uint8Array): number[] {
  const r = new Reader(data);
  const list = vector(r, 1, 2, 'supported_versions');
  expectEnd(r, 'supported_versions');
  if (list.remaining % 2 !== 0) throw alert('decode_error', 'supported_versions: odd length');
  const out: number[] = [];
  while (list.remaining > 0) out.push(list.u16());
  return out;
}

export function encodeSupportedVersionsClient(versions: readonly number[]): Uint8Array {
  return build((w) =>
    w.lengthPrefixed(1, () => {
      for (const v of versions) w.u16(v);
    }),
  );
}

/** A single u16: selected_version, selected_group (HRR) and selected_identity share the shape. */
export function decodeU16(data: Uint8Array, what: string): number {
  const r = new Reader(data);
  const v = r.u16();
  expectEnd(r, what);
  return v;
}

export function encodeU16(v: number): Uint8Array {
  return Uint8Array.of(v >>> 8, v & 0xff);
}

// --- key_share (RFC 8446 §4.2.8) --------------------------------------------------------------

export interface KeyShareEntry {
  readonly group: number;
  readonly keyExchange: Uint8Array;
}

function readKeyShareEntry(r: Reader): KeyShareEntry {
  const group = r.u16();
  const keyExchange = r.vec(2);
  if (keyExchange.length === 0) throw alert('decode_error', 'key_share: empty key_exchange');
  return { group, keyExchange };
}

export function decodeKeyShareClient(data: Uint8Array): KeyShareEntry[] {
  const r = new Reader(data);
  const list = r.sub(r.u16());
  expectEnd(r, 'key_share');
  const out: KeyShareEntry[] = [];
  while (list.remaining > 0) out.push(readKeyShareEntry(list));
  return out;
}

export function encodeKeyShareClient(entries: readonly KeyShareEntry[]): Uint8Array {
  return build((w) =>
    w.lengthPrefixed(2, () => {
      for (const e of entries) w.u16(e.group).vec(2, e.keyExchange);
    }),
  );
}

export function decodeKeyShareServer(data: Uint8Array): KeyShareEntry {
  const r = new Reader(data);
  const entry = readKeyShareEntry(r);
  expectEnd(r, 'key_share');
  return entry;
}

export function encodeKeyShareServer(entry: KeyShareEntry): Uint8Array {
  return build((w) => w.u16(entry.group).vec(2, entry.keyExchange));
}

// --- pre_shared_key (RFC 8446 §4.2.11) ----------------------------------------------------------

export interface PskIdentity {
  readonly identity: Uint8Array;
  readonly obfuscatedTicketAge: number;
}

export interface OfferedPsks {
  readonly identities: readonly PskIdentity[];
  readonly binders: readonly Uint8Array[];
  /**
   * Size in bytes of the `binders` vector including its length prefix. pre_shared_key is the
   * last extension of a ClientHello, so these are the last bytes of the message: the binders
   * sign the message truncated before them (§4.2.11.2).
   */
  readonly bindersLength: number;
}

export function decodeOfferedPsks(data: Uint8Array): OfferedPsks {
  const r = new Reader(data);
  const ids = vector(r, 2, 7, 'pre_shared_key identities');
  const identities: PskIdentity[] = [];
  while (ids.remaining > 0) {
    const identity = ids.vec(2);
    if (identity.length === 0) throw alert('decode_error', 'pre_shared_key: empty identity');
    identities.push({ identity, obfuscatedTicketAge: ids.u32() });
  }
  const bindersStart = r.pos;
  const list = vector(r, 2, 33, 'pre_shared_key binders');
  expectEnd(r, 'pre_shared_key');
  const binders: Uint8Array[] = [];
  while (list.remaining > 0) {
    const b = list.vec(1);
    if (b.length < 32) throw alert('decode_error', 'pre_shared_key: binder shorter than 32');
    binders.push(b);
  }
  return { identities, binders, bindersLength: r.pos - bindersStart };
}

/**
 * Encodes the client's pre_shared_key with zeroed binders of the given lengths; the binders
 * are filled in afterwards over the encoded ClientHello (see fillBinders in messages.ts).
 */
export function encodeOfferedPsks(
  identities: readonly PskIdentity[],
  binderLengths: readonly number[],
): Uint8Array {
  return build((w) => {
    w.lengthPrefixed(2, () => {
      for (const id of identities) w.vec(2, id.identity).u32(id.obfuscatedTicketAge);
    });
    w.lengthPrefixed(2, () => {
      for (const n of binderLengths) w.u8(n).zeros(n);
    });
  });
}

/** Bytes taken by a binders vector with binders of these lengths (prefix included). */
export function bindersLength(binderLengths: readonly number[]): number {
  let n = 2;
  for (const b of binderLengths) n += 1 + b;
  return n;
}

// --- psk_key_exchange_modes (RFC 8446 §4.2.9) ---------------------------------------------------

export function decodePskModes(data: Uint8Array): number[] {
  const r = new Reader(data);
  const list = vector(r, 1, 1, 'psk_key_exchange_modes');
  expectEnd(r, 'psk_key_exchange_modes');
  return Array.from(list.rest());
}

export function encodePskModes(modes: readonly number[]): Uint8Array {
  return build((w) => w.vec(1, Uint8Array.from(modes)));
}

// --- early_data (RFC 8446 §4.2.10), cookie (§4.2.2) --------------------------------------------

/** early_data in ClientHello and EncryptedExtensions is empty. */
export function decodeEmpty(data: Uint8Array, what: string): void {
  if (data.length !== 0) throw alert('decode_error', `${what}: must be empty`);
}

/** max_early_data_size of a NewSessionTicket early_data extension. */
export function decodeMaxEarlyData(data: Uint8Array): number {
  const r = new Reader(data);
  const v = r.u32();
  expectEnd(r, 'early_data');
  return v;
}

export function encodeMaxEarlyData(v: number): Uint8Array {
  return build((w) => w.u32(v));
}

export function decodeCookie(data: Uint8Array): Uint8Array {
  const r = new Reader(data);
  const c = vector(r, 2, 1, 'cookie');
  expectEnd(r, 'cookie');
  return c.rest();
}

export function encodeCookie(cookie: Uint8Array): Uint8Array {
  return build((w) => w.vec(2, cookie));
}
