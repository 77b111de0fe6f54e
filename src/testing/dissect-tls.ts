/**
 * The TLS side of the packet dissector: reassembly of the handshake bytes carried in CRYPTO
 * frames (RFC 9001 §4.1.3) and readable summaries of the handshake messages found there —
 * ClientHello and ServerHello in full (RFC 8446 §4.1.2, §4.1.3), EncryptedExtensions with the
 * server's transport parameters (RFC 9001 §8.2), and the type and size of everything else.
 *
 * Summaries are plain JSON values: names for code points, lowercase hex for byte strings.
 */
import { Reader } from '../util/cursor.js';
import { concatBytes, toHex } from '../util/bytes.js';
import { VARINT_SATURATED } from '../util/varint.js';
import {
  TransportParameterId,
  decodeTransportParameters,
  type TransportParameterSender,
  type TransportParameters,
} from '../wire/transport-params.js';
import { ExtensionType, HandshakeType, SCHEME_CODES } from '../tls/constants.js';
import type { Extension } from '../tls/extensions.js';
import { findExtension } from '../tls/extensions.js';
import {
  decodeAlpn,
  decodeKeyShareClient,
  decodeKeyShareServer,
  decodeOfferedPsks,
  decodePskModes,
  decodeServerName,
  decodeSupportedVersionsClient,
  decodeU16,
  decodeU16List,
} from '../tls/extension-codecs.js';
import { decodeClientHello, decodeServerHello } from '../tls/messages.js';
import { decodeEncryptedExtensions } from '../tls/messages-auth.js';

/** A value that JSON.stringify reproduces exactly. */
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/**
 * One handshake message. `messageType` is the RFC 8446 §4 name (`client_hello`,
 * `server_hello`, `hello_retry_request`, `encrypted_extensions`, `certificate`, ...); the other
 * keys depend on it (see summarizeHandshakeMessage). `errors` lists what could not be decoded.
 */
export interface TlsMessageSummary extends JsonObject {
  messageType: string;
  /** Length of the message body (without the 4-byte header). */
  length: number;
}

// Handshake bytes kept per stream at most: a dissector must not grow without bound on garbage.
const MAX_BUFFERED = 256 * 1024;

/**
 * Reassembles one CRYPTO stream (one encryption level, one direction) from frames that may
 * arrive out of order or overlap (RFC 9000 §19.6), and cuts complete handshake messages off
 * its front.
 */
export class HandshakeReassembler {
  private chunks: { offset: number; data: Uint8Array }[] = [];
  private buffered = 0;
  /** Stream offset of the first byte not yet returned as part of a message. */
  private next = 0;

  add(offset: number, data: Uint8Array): void {
    if (offset + data.length <= this.next || data.length === 0) return;
    if (this.buffered + data.length > MAX_BUFFERED) return;
    this.chunks.push({ offset, data: data.slice() });
    this.buffered += data.length;
  }

  /** The complete messages (4-byte header included) now contiguous from the front, in order. */
  takeMessages(): Uint8Array[] {
    const parts: Uint8Array[] = [];
    let end = this.next;
    for (let grew = true; grew;) {
      grew = false;
      for (const c of this.chunks) {
        if (c.offset <= end && c.offset + c.data.length > end) {
          parts.push(c.data.subarray(end - c.offset));
          end = c.offset + c.data.length;
          grew = true;
        }
      }
    }
    const bytes = concatBytes(...parts);
    const messages: Uint8Array[] = [];
    let p = 0;
    // RFC 8446 §4: msg_type (1) and a 24-bit length.
    while (bytes.length - p >= 4) {
      const len = (bytes[p + 1]! << 16) | (bytes[p + 2]! << 8) | bytes[p + 3]!;
      if (bytes.length - p < 4 + len) break;
      messages.push(bytes.slice(p, p + 4 + len));
      p += 4 + len;
    }
    if (p > 0) {
      this.next += p;
      this.chunks = this.chunks.filter((c) => c.offset + c.data.length > this.next);
      this.buffered = this.chunks.reduce((n, c) => n + c.data.length, 0);
    }
    return messages;
  }
}

// --- names of code points -------------------------------------------------------------------

const hex4 = (v: number): string => `0x${v.toString(16).padStart(4, '0')}`;

/** RFC 8701: GREASE values 0x0a0a, 0x1a1a, ..., 0xfafa in u16 code point spaces. */
const isGrease = (v: number): boolean => (v & 0x0f0f) === 0x0a0a && v >> 8 === (v & 0xff);

function namer(table: Readonly<Record<string, number>>): (code: number) => string {
  const names = new Map<number, string>(Object.entries(table).map(([k, v]) => [v, k]));
  return (code) => names.get(code) ?? (isGrease(code) ? `grease(${hex4(code)})` : hex4(code));
}

/** TLS 1.3 cipher suites (RFC 8446 §B.4). */
const suiteName = namer({
  TLS_AES_128_GCM_SHA256: 0x1301,
  TLS_AES_256_GCM_SHA384: 0x1302,
  TLS_CHACHA20_POLY1305_SHA256: 0x1303,
  TLS_AES_128_CCM_SHA256: 0x1304,
  TLS_AES_128_CCM_8_SHA256: 0x1305,
});

/** NamedGroup (RFC 8446 §4.2.7, RFC 7919, and the IANA hybrid ML-KEM groups). */
const groupName = namer({
  secp256r1: 0x0017,
  secp384r1: 0x0018,
  secp521r1: 0x0019,
  x25519: 0x001d,
  x448: 0x001e,
  ffdhe2048: 0x0100,
  ffdhe3072: 0x0101,
  ffdhe4096: 0x0102,
  ffdhe6144: 0x0103,
  ffdhe8192: 0x0104,
  SecP256r1MLKEM768: 0x11eb,
  X25519MLKEM768: 0x11ec,
  SecP384r1MLKEM1024: 0x11ed,
  X25519Kyber768Draft00: 0x6399,
});

/** SignatureScheme (RFC 8446 §4.2.3): the ones tsquic knows plus the rest of the RFC list. */
const schemeName = namer({
  ...SCHEME_CODES,
  ecdsa_secp521r1_sha512: 0x0603,
  ed448: 0x0808,
  rsa_pss_pss_sha256: 0x0809,
  rsa_pss_pss_sha384: 0x080a,
  rsa_pss_pss_sha512: 0x080b,
});

/** ExtensionType (RFC 8446 §4.2 and the IANA registry entries commonly seen in a ClientHello). */
const extensionName = namer({
  ...ExtensionType,
  ec_point_formats: 11,
  encrypt_then_mac: 22,
  extended_master_secret: 23,
  compress_certificate: 27,
  record_size_limit: 28,
  session_ticket: 35,
  application_settings: 17513,
  encrypted_client_hello: 0xfe0d,
  renegotiation_info: 0xff01,
});

const handshakeTypeName = namer(HandshakeType);

const pskModeName = (m: number): string =>
  m === 0 ? 'psk_ke' : m === 1 ? 'psk_dhe_ke' : `0x${m.toString(16).padStart(2, '0')}`;

function versionName(v: number): string {
  if (v === 0x0304) return 'TLS1.3';
  if (v === 0x0303) return 'TLS1.2';
  return isGrease(v) ? `grease(${hex4(v)})` : hex4(v);
}

// --- transport parameters ---------------------------------------------------------------------

/** RFC 9000 §18.2 names (lowercase), keyed by identifier. */
const PARAM_NAMES = new Map<number, string>(
  Object.entries(TransportParameterId).map(([k, v]) => [v, k.toLowerCase()]),
);

const camel = (snake: string): string =>
  snake.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

const versionHex = (v: number): string => `0x${v.toString(16).padStart(8, '0')}`;

function jsonOf(v: unknown): JsonValue {
  if (v instanceof Uint8Array) return toHex(v);
  if (Array.isArray(v)) return v.map(jsonOf);
  if (v !== null && typeof v === 'object') {
    const o: JsonObject = {};
    for (const [k, x] of Object.entries(v)) o[k] = jsonOf(x);
    return o;
  }
  return v as JsonValue;
}

/**
 * The transport parameters a peer actually sent, in the order sent, under their RFC names.
 * Values come from decodeTransportParameters (which validates them); integers above 2^53-1
 * appear as exact decimal strings; byte strings as hex; unknown and reserved parameters
 * (RFC 9000 §18.1) under `unknown` as `{ id, value }`.
 */
export function summarizeTransportParameters(
  bytes: Uint8Array,
  sender: TransportParameterSender,
): JsonObject {
  let decoded: TransportParameters;
  try {
    decoded = decodeTransportParameters(bytes, sender);
  } catch (e) {
    return { error: (e as Error).message };
  }
  // decodeTransportParameters accepted the bytes, so this walk over the same TLVs cannot fail.
  const out: JsonObject = {};
  const unknown: JsonObject[] = [];
  const r = new Reader(bytes);
  while (r.remaining > 0) {
    const id = r.varintBig();
    const value = r.sub(r.varint());
    const name = id <= 0xffffn ? PARAM_NAMES.get(Number(id)) : undefined;
    if (name === undefined) {
      unknown.push({ id: `0x${id.toString(16)}`, value: toHex(value.rest()) });
      continue;
    }
    const field = (decoded as unknown as Record<string, unknown>)[camel(name)];
    if (field === VARINT_SATURATED) {
      out[name] = value.varintBig().toString();
    } else if (name === 'version_information') {
      const vi = decoded.versionInformation!;
      out[name] = {
        chosenVersion: versionHex(vi.chosenVersion),
        availableVersions: vi.availableVersions.map(versionHex),
      };
    } else {
      out[name] = jsonOf(field);
    }
  }
  if (unknown.length > 0) out['unknown'] = unknown;
  return out;
}

// --- handshake messages ----------------------------------------------------------------------

/**
 * Decodes what it can: each step that throws (a TlsAlert for malformed input) adds its message
 * to `errors` and the rest of the summary still comes out.
 */
class SummaryBuilder {
  readonly out: TlsMessageSummary;
  private readonly errors: string[] = [];

  constructor(messageType: string, length: number) {
    this.out = { messageType, length };
  }

  set(key: string, compute: () => JsonValue | undefined): void {
    try {
      const v = compute();
      if (v !== undefined) this.out[key] = v;
    } catch (e) {
      this.errors.push(`${key}: ${(e as Error).message}`);
    }
  }

  finish(): TlsMessageSummary {
    if (this.errors.length > 0) this.out['errors'] = this.errors;
    return this.out;
  }
}

type ExtensionLookup = (type: number) => Uint8Array | undefined;

const lookup =
  (extensions: readonly Extension[]): ExtensionLookup =>
  (type) =>
    findExtension(extensions, type);

/** Extensions a ClientHello and EncryptedExtensions share: SNI, ALPN, supported groups. */
function sharedExtensionFields(b: SummaryBuilder, ext: ExtensionLookup): void {
  const X = ExtensionType;
  b.set('sni', () => {
    const d = ext(X.server_name);
    // A server acknowledges SNI with an empty extension (RFC 6066 §3).
    if (d === undefined || d.length === 0) return undefined;
    return decodeServerName(d);
  });
  b.set('alpn', () => {
    const d = ext(X.application_layer_protocol_negotiation);
    return d && decodeAlpn(d);
  });
  b.set('supportedGroups', () => {
    const d = ext(X.supported_groups);
    return d && decodeU16List(d, 'supported_groups').map(groupName);
  });
}

/** The extension names, then the transport parameters (the longest part) last. */
function closingFields(
  b: SummaryBuilder,
  extensions: readonly Extension[],
  sender: TransportParameterSender,
): void {
  b.set('earlyData', () =>
    findExtension(extensions, ExtensionType.early_data) === undefined ? undefined : true,
  );
  b.set('extensions', () => extensions.map((e) => extensionName(e.type)));
  b.set('transportParameters', () => {
    const d = findExtension(extensions, ExtensionType.quic_transport_parameters);
    return d && summarizeTransportParameters(d, sender);
  });
}

function summarizeClientHello(body: Uint8Array): TlsMessageSummary {
  const b = new SummaryBuilder('client_hello', body.length);
  const ch = decodeClientHello(body);
  const ext = lookup(ch.extensions);
  const X = ExtensionType;
  b.set('random', () => toHex(ch.random));
  b.set('sessionId', () => toHex(ch.legacySessionId));
  b.set('cipherSuites', () => ch.cipherSuites.map(suiteName));
  sharedExtensionFields(b, ext);
  b.set('keyShareGroups', () => {
    const d = ext(X.key_share);
    return d && decodeKeyShareClient(d).map((k) => groupName(k.group));
  });
  b.set('signatureAlgorithms', () => {
    const d = ext(X.signature_algorithms);
    return d && decodeU16List(d, 'signature_algorithms').map(schemeName);
  });
  b.set('supportedVersions', () => {
    const d = ext(X.supported_versions);
    return d && decodeSupportedVersionsClient(d).map(versionName);
  });
  b.set('pskKeyExchangeModes', () => {
    const d = ext(X.psk_key_exchange_modes);
    return d && decodePskModes(d).map(pskModeName);
  });
  b.set('pskIdentities', () => {
    const d = ext(X.pre_shared_key);
    return d && decodeOfferedPsks(d).identities.length;
  });
  closingFields(b, ch.extensions, 'client');
  return b.finish();
}

function summarizeServerHello(body: Uint8Array): TlsMessageSummary {
  const sh = decodeServerHello(body);
  // RFC 8446 §4.1.3: a HelloRetryRequest is a ServerHello with a special random.
  const hrr = sh.isHelloRetryRequest;
  const b = new SummaryBuilder(hrr ? 'hello_retry_request' : 'server_hello', body.length);
  const ext = lookup(sh.extensions);
  const X = ExtensionType;
  b.set('random', () => toHex(sh.random));
  b.set('sessionId', () => toHex(sh.legacySessionIdEcho));
  b.set('cipherSuite', () => suiteName(sh.cipherSuite));
  b.set('selectedVersion', () => {
    const d = ext(X.supported_versions);
    return d && versionName(decodeU16(d, 'supported_versions'));
  });
  b.set('keyShareGroup', () => {
    const d = ext(X.key_share);
    if (d === undefined) return undefined;
    // §4.2.8: a HelloRetryRequest names only the selected group.
    return groupName(hrr ? decodeU16(d, 'key_share') : decodeKeyShareServer(d).group);
  });
  b.set('pskSelectedIdentity', () => {
    const d = ext(X.pre_shared_key);
    return d && decodeU16(d, 'pre_shared_key');
  });
  b.set('cookie', () => (ext(X.cookie) === undefined ? undefined : true));
  b.set('extensions', () => sh.extensions.map((e) => extensionName(e.type)));
  return b.finish();
}

function summarizeEncryptedExtensions(body: Uint8Array): TlsMessageSummary {
  const b = new SummaryBuilder('encrypted_extensions', body.length);
  const extensions = decodeEncryptedExtensions(body);
  sharedExtensionFields(b, lookup(extensions));
  closingFields(b, extensions, 'server');
  return b.finish();
}

/**
 * A summary of one complete handshake message (header included). Malformed messages give
 * `{ messageType, length, error }`; this never throws.
 */
export function summarizeHandshakeMessage(message: Uint8Array): TlsMessageSummary {
  const type = message[0]!;
  const body = message.subarray(4);
  try {
    switch (type) {
      case HandshakeType.client_hello:
        return summarizeClientHello(body);
      case HandshakeType.server_hello:
        return summarizeServerHello(body);
      case HandshakeType.encrypted_extensions:
        return summarizeEncryptedExtensions(body);
      default:
        return { messageType: handshakeTypeName(type), length: body.length };
    }
  } catch (e) {
    return {
      messageType: handshakeTypeName(type),
      length: body.length,
      error: (e as Error).message,
    };
  }
}
