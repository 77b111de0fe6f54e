/**
 * TLS 1.3 code points (RFC 8446 §4, §B.3) and the tables that map them to the names the rest of
 * tsquic uses (CipherSuiteName, KeyExchangeGroup, SignatureScheme).
 */
import type { KeyExchangeGroup, SignatureScheme } from '../crypto/provider.js';

/** HandshakeType (RFC 8446 §4). */
export const HandshakeType = {
  client_hello: 1,
  server_hello: 2,
  new_session_ticket: 4,
  end_of_early_data: 5,
  encrypted_extensions: 8,
  certificate: 11,
  certificate_request: 13,
  certificate_verify: 15,
  finished: 20,
  key_update: 24,
  /** The synthetic message that replaces ClientHello1 in the transcript (RFC 8446 §4.4.1). */
  message_hash: 254,
} as const;

/** ExtensionType (RFC 8446 §4.2; quic_transport_parameters from RFC 9001 §8.2). */
export const ExtensionType = {
  server_name: 0,
  max_fragment_length: 1,
  status_request: 5,
  supported_groups: 10,
  signature_algorithms: 13,
  use_srtp: 14,
  heartbeat: 15,
  application_layer_protocol_negotiation: 16,
  signed_certificate_timestamp: 18,
  client_certificate_type: 19,
  server_certificate_type: 20,
  padding: 21,
  pre_shared_key: 41,
  early_data: 42,
  supported_versions: 43,
  cookie: 44,
  psk_key_exchange_modes: 45,
  certificate_authorities: 47,
  oid_filters: 48,
  post_handshake_auth: 49,
  signature_algorithms_cert: 50,
  key_share: 51,
  quic_transport_parameters: 0x39,
} as const;

export const TLS13 = 0x0304;
export const TLS12 = 0x0303;

/** PskKeyExchangeMode (RFC 8446 §4.2.9). */
export const PskMode = { psk_ke: 0, psk_dhe_ke: 1 } as const;

/** HelloRetryRequest is a ServerHello with this random: SHA-256("HelloRetryRequest") (§4.1.3). */
export const HRR_RANDOM = Uint8Array.of(
  0xcf,
  0x21,
  0xad,
  0x74,
  0xe5,
  0x9a,
  0x61,
  0x11,
  0xbe,
  0x1d,
  0x8c,
  0x02,
  0x1e,
  0x65,
  0xb8,
  0x91,
  0xc2,
  0xa2,
  0x11,
  0x16,
  0x7a,
  0xbb,
  0x8c,
  0x5e,
  0x07,
  0x9e,
  0x09,
  0xe2,
  0xc8,
  0xa8,
  0x33,
  0x9c,
);

/** NamedGroup code points (RFC 8446 §4.2.7) of the groups tsquic implements. */
export const GROUP_CODES: Readonly<Record<KeyExchangeGroup, number>> = {
  secp256r1: 0x0017,
  secp384r1: 0x0018,
  x25519: 0x001d,
  X25519MLKEM768: 0x11ec, // draft-ietf-tls-ecdhe-mlkem §6
};
const groupByCode = new Map<number, KeyExchangeGroup>(
  Object.entries(GROUP_CODES).map(([k, v]) => [v, k as KeyExchangeGroup]),
);
/** The group for a code point, or undefined for groups tsquic does not implement (and GREASE). */
export const groupFromCode = (code: number): KeyExchangeGroup | undefined => groupByCode.get(code);

/** SignatureScheme code points (RFC 8446 §4.2.3). */
export const SCHEME_CODES: Readonly<Record<SignatureScheme, number>> = {
  rsa_pkcs1_sha256: 0x0401,
  rsa_pkcs1_sha384: 0x0501,
  rsa_pkcs1_sha512: 0x0601,
  ecdsa_secp256r1_sha256: 0x0403,
  ecdsa_secp384r1_sha384: 0x0503,
  rsa_pss_rsae_sha256: 0x0804,
  rsa_pss_rsae_sha384: 0x0805,
  rsa_pss_rsae_sha512: 0x0806,
  ed25519: 0x0807,
  rsa_pkcs1_sha1: 0x0201,
  ecdsa_sha1: 0x0203,
};
const schemeByCode = new Map<number, SignatureScheme>(
  Object.entries(SCHEME_CODES).map(([k, v]) => [v, k as SignatureScheme]),
);
export const schemeFromCode = (code: number): SignatureScheme | undefined => schemeByCode.get(code);
