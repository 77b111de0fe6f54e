/**
 * The server name and ALPN list read from the start of a ClientHello (RFC 8446 §4.1.2), so that
 * a server can decide on a new client before it keeps any state for it. Cheap and tolerant: it
 * reads what `prefix` holds - the CRYPTO data of the client's first Initial packet, which may end
 * inside the ClientHello when the ClientHello spans several packets (a post-quantum key share) -
 * and never throws. The TLS core parses the full ClientHello again and checks it properly.
 */
import { HandshakeType, ExtensionType as X } from './constants.js';
import { decodeAlpn, decodeServerName } from './extension-codecs.js';

export interface ClientHelloPeek {
  /** The SNI host name (lowercased), or null: absent or, when `complete` is false, not yet read. */
  readonly serverName: string | null;
  /** The ALPN list, or null: absent or, when `complete` is false, not yet read. */
  readonly alpn: readonly string[] | null;
  /**
   * The quic_transport_parameters extension's bytes (RFC 9001 §8.2), or null: absent or, when
   * `complete` is false, not yet read. Undecoded: the connection checks them.
   */
  readonly transportParameters: Uint8Array | null;
  /** The prefix held every extension: null fields are really absent. */
  readonly complete: boolean;
}

/** Reads `prefix`; null when it does not start like a ClientHello. */
export function peekClientHello(prefix: Uint8Array): ClientHelloPeek | null {
  const n = prefix.length;
  if (n < 4 || prefix[0] !== HandshakeType.client_hello) return null;
  const length = (prefix[1]! << 16) | (prefix[2]! << 8) | prefix[3]!;
  const end = Math.min(n, 4 + length);
  // legacy_version (2), random (32), then the session id, suites and compression vectors.
  let p = 4 + 2 + 32;
  const skip = (lengthBytes: 1 | 2): boolean => {
    if (p + lengthBytes > end) return false;
    const len = lengthBytes === 1 ? prefix[p]! : (prefix[p]! << 8) | prefix[p + 1]!;
    p += lengthBytes + len;
    return p <= end;
  };
  if (!skip(1) || !skip(2) || !skip(1) || p + 2 > end) {
    return { serverName: null, alpn: null, transportParameters: null, complete: false };
  }
  const extensionsEnd = p + 2 + ((prefix[p]! << 8) | prefix[p + 1]!);
  p += 2;
  let serverName: string | null = null;
  let alpn: string[] | null = null;
  let transportParameters: Uint8Array | null = null;
  try {
    while (p + 4 <= Math.min(end, extensionsEnd)) {
      const type = (prefix[p]! << 8) | prefix[p + 1]!;
      const len = (prefix[p + 2]! << 8) | prefix[p + 3]!;
      if (p + 4 + len > end) break;
      const data = prefix.subarray(p + 4, p + 4 + len);
      if (type === X.server_name) serverName = decodeServerName(data);
      else if (type === X.application_layer_protocol_negotiation) alpn = decodeAlpn(data);
      else if (type === X.quic_transport_parameters) transportParameters = new Uint8Array(data);
      p += 4 + len;
    }
  } catch {
    // Malformed: the handshake will fail with the proper alert; nothing to tell here.
    return null;
  }
  return {
    serverName,
    alpn,
    transportParameters,
    complete: p === extensionsEnd && extensionsEnd <= end,
  };
}
