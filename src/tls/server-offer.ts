/**
 * What a server reads from a ClientHello (RFC 8446 §4.1.2, §4.2; RFC 9001 §8): the extensions
 * it acts on, decoded, after the checks that do not depend on server policy (version,
 * compression, session id, extension consistency).
 */
import { TransportError } from '../wire/errors.js';
import { alert } from './alert.js';
import { ExtensionType as X, TLS13 } from './constants.js';
import {
  type KeyShareEntry,
  type OfferedPsks,
  decodeAlpn,
  decodeCookie,
  decodeEmpty,
  decodeKeyShareClient,
  decodeOfferedPsks,
  decodePskModes,
  decodeServerName,
  decodeSupportedVersionsClient,
  decodeU16List,
} from './extension-codecs.js';
import { findExtension } from './extensions.js';
import { type ClientHello, decodeClientHello } from './messages.js';

export interface ClientOffer {
  readonly hello: ClientHello;
  readonly serverName: string | null;
  /** The client's ALPN list; RFC 9001 §8.1 requires one. */
  readonly alpn: readonly string[];
  readonly transportParameters: Uint8Array;
  /** supported_groups codes, or null when absent. */
  readonly groups: readonly number[] | null;
  readonly keyShares: readonly KeyShareEntry[] | null;
  /** signature_algorithms codes, or null when absent. */
  readonly signatureSchemes: readonly number[] | null;
  readonly psks: OfferedPsks | null;
  readonly pskModes: readonly number[] | null;
  readonly earlyData: boolean;
  readonly cookie: Uint8Array | null;
}

export function parseClientOffer(body: Uint8Array): ClientOffer {
  const hello = decodeClientHello(body);
  const ext = (type: number): Uint8Array | undefined => findExtension(hello.extensions, type);

  // §4.2.1: a ClientHello without supported_versions (or without 0x0304 in it) is TLS 1.2 or
  // older, which tsquic refuses.
  const sv = ext(X.supported_versions);
  if (sv === undefined || !decodeSupportedVersionsClient(sv).includes(TLS13)) {
    throw alert('protocol_version', 'the client does not offer TLS 1.3');
  }
  // §4.1.2: exactly one compression method, null.
  if (hello.legacyCompressionMethods.length !== 1 || hello.legacyCompressionMethods[0] !== 0) {
    throw alert('illegal_parameter', 'ClientHello offers compression');
  }
  // RFC 9001 §8.4: no middlebox compatibility mode in QUIC.
  if (hello.legacySessionId.length !== 0) {
    throw alert(
      'illegal_parameter',
      'non-empty legacy_session_id',
      TransportError.PROTOCOL_VIOLATION,
    );
  }
  // RFC 9001 §8.2.
  const tp = ext(X.quic_transport_parameters);
  if (tp === undefined) {
    throw alert('missing_extension', 'no quic_transport_parameters (RFC 9001 §8.2)');
  }
  const groups = ext(X.supported_groups);
  const keyShare = ext(X.key_share);
  // §9.2: supported_groups and key_share come together.
  if ((groups === undefined) !== (keyShare === undefined)) {
    throw alert('missing_extension', 'supported_groups and key_share must come together');
  }
  const sni = ext(X.server_name);
  const alpn = ext(X.application_layer_protocol_negotiation);
  const sa = ext(X.signature_algorithms);
  const psk = ext(X.pre_shared_key);
  const modes = ext(X.psk_key_exchange_modes);
  const early = ext(X.early_data);
  if (early !== undefined) decodeEmpty(early, 'early_data');
  const cookie = ext(X.cookie);
  // §4.2.9: a PSK without psk_key_exchange_modes must be refused.
  if (psk !== undefined && modes === undefined) {
    throw alert('missing_extension', 'pre_shared_key without psk_key_exchange_modes');
  }
  const psks = psk === undefined ? null : decodeOfferedPsks(psk);
  if (psks !== null && psks.identities.length !== psks.binders.length) {
    throw alert('illegal_parameter', 'PSK identities and binders differ in number');
  }
  return {
    hello,
    serverName: sni === undefined ? null : decodeServerName(sni),
    alpn: alpn === undefined ? [] : decodeAlpn(alpn),
    transportParameters: tp,
    groups: groups === undefined ? null : decodeU16List(groups, 'supported_groups'),
    keyShares: keyShare === undefined ? null : decodeKeyShareClient(keyShare),
    signatureSchemes: sa === undefined ? null : decodeU16List(sa, 'signature_algorithms'),
    psks,
    pskModes: modes === undefined ? null : decodePskModes(modes),
    earlyData: early !== undefined,
    cookie: cookie === undefined ? null : decodeCookie(cookie),
  };
}
