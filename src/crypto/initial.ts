/**
 * Initial packet protection (RFC 9001 §5.2, RFC 9369 §3.3.1): keys derived from the client's
 * first Destination Connection ID with a version-specific salt, always with
 * TLS_AES_128_GCM_SHA256.
 */
import { hkdfExpandLabel } from './hkdf.js';
import { PacketProtector } from './packet-protection.js';
import type { CryptoProvider } from './provider.js';
import { versionCryptoParams } from './quic-versions.js';
import { TLS_AES_128_GCM_SHA256 } from './suites.js';

const EMPTY = new Uint8Array(0);

export interface InitialSecrets {
  /** client_initial_secret: protects what the client sends. */
  readonly client: Uint8Array;
  /** server_initial_secret: protects what the server sends. */
  readonly server: Uint8Array;
}

/**
 * RFC 9001 §5.2:
 *     initial_secret = HKDF-Extract(initial_salt, client_dst_connection_id)
 *     client_initial_secret = HKDF-Expand-Label(initial_secret, "client in", "", Hash.length)
 *     server_initial_secret = HKDF-Expand-Label(initial_secret, "server in", "", Hash.length)
 * The labels are the same for QUIC v2; only the salt differs (RFC 9369 §3.3.1).
 */
export function deriveInitialSecrets(
  provider: CryptoProvider,
  version: number,
  clientDcid: Uint8Array,
): InitialSecrets {
  const { hash, hashLength } = TLS_AES_128_GCM_SHA256;
  const initial = provider.hkdfExtract(hash, versionCryptoParams(version).initialSalt, clientDcid);
  return {
    client: hkdfExpandLabel(provider, hash, initial, 'client in', EMPTY, hashLength),
    server: hkdfExpandLabel(provider, hash, initial, 'server in', EMPTY, hashLength),
  };
}

export interface InitialProtectors {
  /** Seals the client's Initial packets (client side) / opens them (server side). */
  readonly client: PacketProtector;
  /** Seals the server's Initial packets (server side) / opens them (client side). */
  readonly server: PacketProtector;
}

/** Protectors for both directions of the Initial space. */
export function createInitialProtectors(
  provider: CryptoProvider,
  version: number,
  clientDcid: Uint8Array,
): InitialProtectors {
  const secrets = deriveInitialSecrets(provider, version, clientDcid);
  return {
    client: new PacketProtector(provider, TLS_AES_128_GCM_SHA256, secrets.client, version),
    server: new PacketProtector(provider, TLS_AES_128_GCM_SHA256, secrets.server, version),
  };
}
