/**
 * What each TLS SignatureScheme (RFC 8446 §4.2.3) means: the key type it needs, its hash and,
 * for RSA, its padding. Both signing implementations and the certificate code read this table.
 */
import type { KeyType, SignatureScheme } from './provider.js';

export type SchemeHash = 'sha1' | 'sha256' | 'sha384' | 'sha512';

export interface SchemeParams {
  readonly keyType: KeyType;
  /** The message digest; for Ed25519 (which hashes internally) 'sha512' is informative only. */
  readonly hash: SchemeHash;
  readonly hashLen: number;
  readonly padding: 'pss' | 'pkcs1' | 'none';
}

const HASH_LEN: Record<SchemeHash, number> = { sha1: 20, sha256: 32, sha384: 48, sha512: 64 };

function p(keyType: KeyType, hash: SchemeHash, padding: SchemeParams['padding']): SchemeParams {
  return { keyType, hash, hashLen: HASH_LEN[hash], padding };
}

const SCHEMES: Record<SignatureScheme, SchemeParams> = {
  ecdsa_secp256r1_sha256: p('ec-p256', 'sha256', 'none'),
  ecdsa_secp384r1_sha384: p('ec-p384', 'sha384', 'none'),
  ed25519: p('ed25519', 'sha512', 'none'),
  rsa_pss_rsae_sha256: p('rsa', 'sha256', 'pss'),
  rsa_pss_rsae_sha384: p('rsa', 'sha384', 'pss'),
  rsa_pss_rsae_sha512: p('rsa', 'sha512', 'pss'),
  rsa_pkcs1_sha256: p('rsa', 'sha256', 'pkcs1'),
  rsa_pkcs1_sha384: p('rsa', 'sha384', 'pkcs1'),
  rsa_pkcs1_sha512: p('rsa', 'sha512', 'pkcs1'),
  // ecdsa_sha1 names no curve; P-256 is where it was used. It is never accepted anyway.
  ecdsa_sha1: p('ec-p256', 'sha1', 'none'),
  rsa_pkcs1_sha1: p('rsa', 'sha1', 'pkcs1'),
};

/** The parameters of `scheme`; throws TypeError for a name that is not a SignatureScheme. */
export function schemeParams(scheme: SignatureScheme): SchemeParams {
  const params = SCHEMES[scheme];
  if (params === undefined) throw new TypeError(`unknown signature scheme: ${String(scheme)}`);
  return params;
}
