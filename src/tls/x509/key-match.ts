/**
 * Whether a private key belongs to a certificate. A server given a certificate and a key that do
 * not match would fail every handshake with decrypt_error (the client cannot verify its
 * CertificateVerify, RFC 8446 §4.4.3), far from the cause: configuration checks it up front.
 */
import type {
  CryptoProvider,
  KeyType,
  SignatureScheme,
  SigningKey,
} from '../../crypto/provider.js';
import { bytesEqual } from '../../util/bytes.js';
import { parseCertificate } from './certificate.js';

/** A scheme each key type can sign with, for the proof below. */
const PROBE_SCHEME: Record<KeyType, SignatureScheme> = {
  'ec-p256': 'ecdsa_secp256r1_sha256',
  'ec-p384': 'ecdsa_secp384r1_sha384',
  ed25519: 'ed25519',
  rsa: 'rsa_pss_rsae_sha256',
};

/**
 * True when `key` is the private key of the certificate `der` (DER). Equal SubjectPublicKeyInfo
 * bytes settle it; otherwise (the same key may be encoded differently) a signature made with the
 * key must verify under the certificate's public key.
 */
export function keyMatchesCertificate(
  provider: Pick<CryptoProvider, 'random' | 'verify'>,
  der: Uint8Array,
  key: SigningKey,
): boolean {
  const leaf = parseCertificate(der);
  if (bytesEqual(leaf.spki, key.spki)) return true;
  const scheme = PROBE_SCHEME[key.type];
  const probe = provider.random(32);
  // verify() is false for a public key of another type or curve than the private key.
  return provider.verify(scheme, leaf.spki, probe, key.sign(scheme, probe));
}
