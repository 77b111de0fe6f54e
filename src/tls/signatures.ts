/**
 * CertificateVerify (RFC 8446 §4.4.3): which SignatureSchemes tsquic offers and accepts, how a
 * signer picks one for its key from the peer's list, the signed content, and verification.
 */
import type { CryptoProvider, KeyType, SignatureScheme, SigningKey } from '../crypto/provider.js';
import { schemeParams } from '../crypto/signature-schemes.js';
import { alert } from './alert.js';
import { SCHEME_CODES, schemeFromCode } from './constants.js';
import type { CertificateVerify } from './messages-auth.js';

/** Schemes usable in CertificateVerify, in the order tsquic prefers them. */
export const HANDSHAKE_SCHEMES: readonly SignatureScheme[] = [
  'ecdsa_secp256r1_sha256',
  'ecdsa_secp384r1_sha384',
  'ed25519',
  'rsa_pss_rsae_sha256',
  'rsa_pss_rsae_sha384',
  'rsa_pss_rsae_sha512',
];

/**
 * The signature_algorithms list tsquic sends. The PKCS#1 v1.5 entries are there for the
 * signatures inside certificates only; §4.2.3 forbids them in CertificateVerify.
 */
export const OFFERED_SCHEME_CODES: readonly number[] = [
  ...HANDSHAKE_SCHEMES,
  'rsa_pkcs1_sha256',
  'rsa_pkcs1_sha384',
  'rsa_pkcs1_sha512',
].map((s) => SCHEME_CODES[s as SignatureScheme]);

/** The handshake schemes a key of this type can produce, in preference order. */
function schemesForKey(type: KeyType): SignatureScheme[] {
  return HANDSHAKE_SCHEMES.filter((s) => schemeParams(s).keyType === type);
}

/**
 * The scheme to sign with: the first of the peer's signature_algorithms (its preference order)
 * that fits the key and is allowed in CertificateVerify; null when none does.
 */
export function chooseScheme(
  key: SigningKey,
  peerSchemes: readonly number[],
): SignatureScheme | null {
  const usable = schemesForKey(key.type);
  for (const code of peerSchemes) {
    const s = schemeFromCode(code);
    if (s !== undefined && usable.includes(s)) return s;
  }
  return null;
}

const PAD = new Uint8Array(64).fill(0x20);
const CONTEXT = {
  server: new TextEncoder().encode('TLS 1.3, server CertificateVerify'),
  client: new TextEncoder().encode('TLS 1.3, client CertificateVerify'),
};

/** 64 spaces || context string || 0x00 || Transcript-Hash (§4.4.3). */
export function certificateVerifyContent(
  sender: 'server' | 'client',
  transcriptHash: Uint8Array,
): Uint8Array {
  const ctx = CONTEXT[sender];
  const out = new Uint8Array(64 + ctx.length + 1 + transcriptHash.length);
  out.set(PAD, 0);
  out.set(ctx, 64);
  out.set(transcriptHash, 64 + ctx.length + 1);
  return out;
}

export function signCertificateVerify(
  key: SigningKey,
  scheme: SignatureScheme,
  sender: 'server' | 'client',
  transcriptHash: Uint8Array,
): CertificateVerify {
  const signature = key.sign(scheme, certificateVerifyContent(sender, transcriptHash));
  return { scheme: SCHEME_CODES[scheme], signature };
}

/**
 * Checks a peer's CertificateVerify: the scheme must be one we offered for handshake
 * signatures and fit the certificate's key (illegal_parameter otherwise, §4.4.3), and the
 * signature must verify (decrypt_error otherwise, §4.4.3).
 */
export function verifyCertificateVerify(
  provider: CryptoProvider,
  cv: CertificateVerify,
  leaf: { readonly spki: Uint8Array; readonly keyType: KeyType | null },
  sender: 'server' | 'client',
  transcriptHash: Uint8Array,
): void {
  const scheme = schemeFromCode(cv.scheme);
  if (scheme === undefined || !HANDSHAKE_SCHEMES.includes(scheme)) {
    throw alert(
      'illegal_parameter',
      `CertificateVerify scheme 0x${cv.scheme.toString(16)} not offered`,
    );
  }
  if (leaf.keyType === null || schemeParams(scheme).keyType !== leaf.keyType) {
    throw alert('illegal_parameter', `CertificateVerify scheme ${scheme} does not fit the key`);
  }
  const content = certificateVerifyContent(sender, transcriptHash);
  if (!provider.verify(scheme, leaf.spki, content, cv.signature)) {
    throw alert('decrypt_error', 'CertificateVerify signature does not verify');
  }
}
