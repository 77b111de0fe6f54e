/**
 * Handshake message framing (RFC 8446 §4) and the Hello messages: ClientHello (§4.1.2),
 * ServerHello and HelloRetryRequest (§4.1.3, §4.1.4). Decoders take the message body (after
 * the 4-byte header); encoders return the whole message, header included, which is what goes
 * into the transcript and into CRYPTO frames.
 */
import { Reader, Writer } from '../util/cursor.js';
import { bytesEqual } from '../util/bytes.js';
import { alert } from './alert.js';
import { ExtensionType, HRR_RANDOM, HandshakeType } from './constants.js';
import { expectEnd } from './extension-codecs.js';
import { type Extension, readExtensions, writeExtensions } from './extensions.js';

/** Builds `type(1) || length(3) || body` where `body` writes the message body. */
export function encodeHandshake(
  type: number,
  body: (w: Writer) => void,
  sizeHint = 256,
): Uint8Array {
  const w = Writer.growable(sizeHint);
  w.u8(type);
  w.lengthPrefixed(3, () => body(w));
  return w.finish();
}

// --- ClientHello -------------------------------------------------------------------------------

export interface ClientHello {
  /** Always 0x0303 in TLS 1.3 (§4.1.2); the real versions are in supported_versions. */
  readonly legacyVersion: number;
  readonly random: Uint8Array;
  /** Empty in QUIC (RFC 9001 §8.4). */
  readonly legacySessionId: Uint8Array;
  readonly cipherSuites: readonly number[];
  readonly legacyCompressionMethods: Uint8Array;
  readonly extensions: readonly Extension[];
}

export function decodeClientHello(body: Uint8Array): ClientHello {
  const r = new Reader(body);
  const legacyVersion = r.u16();
  const random = r.bytes(32);
  const legacySessionId = r.vec(1);
  if (legacySessionId.length > 32) throw alert('decode_error', 'ClientHello: session id > 32');
  const suites = r.vec(2);
  if (suites.length < 2 || suites.length % 2 !== 0) {
    throw alert('decode_error', 'ClientHello: bad cipher_suites length');
  }
  const cipherSuites: number[] = [];
  for (let i = 0; i < suites.length; i += 2) cipherSuites.push((suites[i]! << 8) | suites[i + 1]!);
  const legacyCompressionMethods = r.vec(1);
  if (legacyCompressionMethods.length === 0) {
    throw alert('decode_error', 'ClientHello: no compression methods');
  }
  // A ClientHello of TLS 1.2 or older may end here; it then lacks supported_versions and is
  // refused with protocol_version by the server, not as malformed.
  const extensions = r.remaining === 0 ? [] : readExtensions(r, 'CH');
  expectEnd(r, 'ClientHello');
  // §4.2.11: pre_shared_key MUST be the last extension in the ClientHello.
  const psk = extensions.findIndex((e) => e.type === ExtensionType.pre_shared_key);
  if (psk !== -1 && psk !== extensions.length - 1) {
    throw alert('illegal_parameter', 'pre_shared_key is not the last extension');
  }
  return {
    legacyVersion,
    random,
    legacySessionId,
    cipherSuites,
    legacyCompressionMethods,
    extensions,
  };
}

export function encodeClientHello(ch: ClientHello): Uint8Array {
  return encodeHandshake(HandshakeType.client_hello, (w) => {
    w.u16(ch.legacyVersion).bytes(ch.random).vec(1, ch.legacySessionId);
    w.lengthPrefixed(2, () => {
      for (const s of ch.cipherSuites) w.u16(s);
    });
    w.vec(1, ch.legacyCompressionMethods);
    writeExtensions(w, ch.extensions);
  });
}

/**
 * Writes PSK binders into an encoded ClientHello whose pre_shared_key extension (the last one)
 * was encoded with zeroed binders of the same lengths (§4.2.11.2).
 */
export function fillBinders(message: Uint8Array, binders: readonly Uint8Array[]): void {
  let n = 2;
  for (const b of binders) n += 1 + b.length;
  let at = message.length - n + 2;
  for (const b of binders) {
    if (message[at] !== b.length) throw new RangeError('binder length mismatch');
    message.set(b, at + 1);
    at += 1 + b.length;
  }
}

// --- ServerHello / HelloRetryRequest -----------------------------------------------------------

export interface ServerHello {
  readonly legacyVersion: number;
  readonly random: Uint8Array;
  readonly legacySessionIdEcho: Uint8Array;
  readonly cipherSuite: number;
  readonly legacyCompressionMethod: number;
  readonly extensions: readonly Extension[];
  /** True when `random` is the HelloRetryRequest value (§4.1.3). */
  readonly isHelloRetryRequest: boolean;
}

export function decodeServerHello(body: Uint8Array): ServerHello {
  const r = new Reader(body);
  const legacyVersion = r.u16();
  const random = r.bytes(32);
  const legacySessionIdEcho = r.vec(1);
  if (legacySessionIdEcho.length > 32) throw alert('decode_error', 'ServerHello: session id > 32');
  const cipherSuite = r.u16();
  const legacyCompressionMethod = r.u8();
  const isHelloRetryRequest = bytesEqual(random, HRR_RANDOM);
  // A TLS 1.2 ServerHello may have no extensions at all: let the version check refuse it.
  const extensions = r.remaining === 0 ? [] : readExtensions(r, isHelloRetryRequest ? 'HRR' : 'SH');
  expectEnd(r, 'ServerHello');
  return {
    legacyVersion,
    random,
    legacySessionIdEcho,
    cipherSuite,
    legacyCompressionMethod,
    extensions,
    isHelloRetryRequest,
  };
}

export function encodeServerHello(sh: Omit<ServerHello, 'isHelloRetryRequest'>): Uint8Array {
  return encodeHandshake(HandshakeType.server_hello, (w) => {
    w.u16(sh.legacyVersion).bytes(sh.random).vec(1, sh.legacySessionIdEcho);
    w.u16(sh.cipherSuite).u8(sh.legacyCompressionMethod);
    writeExtensions(w, sh.extensions);
  });
}
