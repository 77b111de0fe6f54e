/**
 * The extension list of TLS handshake messages (RFC 8446 §4.2): reading with the duplicate and
 * "which message may carry which extension" rules, writing, and lookup by type. The bodies of
 * individual extensions are in extension-codecs.ts.
 */
import type { Reader, Writer } from '../util/cursor.js';
import { alert } from './alert.js';
import { ExtensionType as X } from './constants.js';

/** One extension as it appears on the wire; `data` is the extension_data body. */
export interface Extension {
  readonly type: number;
  readonly data: Uint8Array;
}

/** The messages that carry extensions, named as in the RFC 8446 §4.2 table. */
export type ExtensionContext = 'CH' | 'SH' | 'HRR' | 'EE' | 'CR' | 'CT' | 'NST';

/**
 * Where each extension tsquic recognizes may appear (RFC 8446 §4.2; RFC 9001 §8.2 for
 * quic_transport_parameters). Extensions absent from this table are unknown and ignored where
 * the RFC says to ignore them.
 */
const ALLOWED: ReadonlyMap<number, readonly ExtensionContext[]> = new Map<
  number,
  ExtensionContext[]
>([
  [X.server_name, ['CH', 'EE']],
  [X.max_fragment_length, ['CH', 'EE']],
  [X.status_request, ['CH', 'CR', 'CT']],
  [X.supported_groups, ['CH', 'EE']],
  [X.signature_algorithms, ['CH', 'CR']],
  [X.use_srtp, ['CH', 'EE']],
  [X.heartbeat, ['CH', 'EE']],
  [X.application_layer_protocol_negotiation, ['CH', 'EE']],
  [X.signed_certificate_timestamp, ['CH', 'CR', 'CT']],
  [X.client_certificate_type, ['CH', 'EE']],
  [X.server_certificate_type, ['CH', 'EE']],
  [X.padding, ['CH']],
  [X.key_share, ['CH', 'SH', 'HRR']],
  [X.pre_shared_key, ['CH', 'SH']],
  [X.psk_key_exchange_modes, ['CH']],
  [X.early_data, ['CH', 'EE', 'NST']],
  [X.cookie, ['CH', 'HRR']],
  [X.supported_versions, ['CH', 'SH', 'HRR']],
  [X.certificate_authorities, ['CH', 'CR']],
  [X.oid_filters, ['CR']],
  [X.post_handshake_auth, ['CH']],
  [X.signature_algorithms_cert, ['CH', 'CR']],
  [X.quic_transport_parameters, ['CH', 'EE']],
]);

/**
 * Reads an `Extension extensions<0..2^16-1>` vector (the caller checks any minimum length).
 * A type seen twice is illegal_parameter (§4.2: "There MUST NOT be more than one extension of
 * the same type"), and so is a recognized extension in a message it is not specified for.
 */
export function readExtensions(r: Reader, context: ExtensionContext): Extension[] {
  const list = r.sub(r.u16());
  const out: Extension[] = [];
  const seen = new Set<number>();
  while (list.remaining > 0) {
    const type = list.u16();
    const data = list.vec(2);
    if (seen.has(type)) throw alert('illegal_parameter', `duplicate extension ${type}`);
    seen.add(type);
    const allowed = ALLOWED.get(type);
    if (allowed !== undefined && !allowed.includes(context)) {
      throw alert('illegal_parameter', `extension ${type} is not allowed in ${context}`);
    }
    out.push({ type, data });
  }
  return out;
}

export function writeExtensions(w: Writer, extensions: readonly Extension[]): void {
  w.lengthPrefixed(2, () => {
    for (const e of extensions) w.u16(e.type).vec(2, e.data);
  });
}

export function findExtension(
  extensions: readonly Extension[],
  type: number,
): Uint8Array | undefined {
  for (const e of extensions) if (e.type === type) return e.data;
  return undefined;
}

/**
 * Checks a peer's response extensions against what we sent (§4.2): anything not requested is
 * unsupported_extension. `offered` lists the types this endpoint sent in the request; `always`
 * lists types the peer may send unsolicited (the cookie of a HelloRetryRequest).
 */
export function checkSolicited(
  extensions: readonly Extension[],
  offered: ReadonlySet<number>,
  where: string,
  always: readonly number[] = [],
): void {
  for (const e of extensions) {
    if (!offered.has(e.type) && !always.includes(e.type)) {
      throw alert('unsupported_extension', `unsolicited extension ${e.type} in ${where}`);
    }
  }
}
