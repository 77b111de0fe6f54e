/**
 * Certificates and keys as people hold them: PEM text, PEM or DER bytes, or a list of them. One
 * reading for every layer (the engine's `ca`, tsquic/node's `ca`, `cert` and `key`).
 */
import type { CryptoProvider, SigningKey } from '../../crypto/provider.js';
import { parseCertificate } from './certificate.js';
import { loadCertificateChainPem, loadPrivateKeyPem } from './pem.js';

/** PEM text, PEM or DER bytes, or a list of them. */
export type CredentialInput = string | Uint8Array | readonly (string | Uint8Array)[];

const DER_SEQUENCE = 0x30;

function pieces(input: CredentialInput): (string | Uint8Array)[] {
  return typeof input === 'string' || input instanceof Uint8Array ? [input] : [...input];
}

function isDer(piece: string | Uint8Array): piece is Uint8Array {
  return typeof piece !== 'string' && piece.length > 0 && piece[0] === DER_SEQUENCE;
}

/** PEM bytes as text (PEM is ASCII: one character per byte). */
function asText(piece: string | Uint8Array): string {
  if (typeof piece === 'string') return piece;
  let text = '';
  for (let i = 0; i < piece.length; i += 8192) {
    text += String.fromCharCode(...piece.subarray(i, i + 8192));
  }
  return text;
}

/** The DER certificates of a chain, leaf first. Throws TypeError for bad input. */
export function certificateChainFrom(input: CredentialInput): Uint8Array[] {
  const chain: Uint8Array[] = [];
  for (const piece of pieces(input)) {
    if (isDer(piece)) {
      parseCertificate(piece);
      chain.push(new Uint8Array(piece));
    } else {
      chain.push(...loadCertificateChainPem(asText(piece)));
    }
  }
  if (chain.length === 0) throw new TypeError('no certificate given');
  return chain;
}

/** The signing key of a PEM private key (PKCS#8, SEC1 or PKCS#1) or PKCS#8 DER. */
export function signingKeyFrom(provider: CryptoProvider, input: string | Uint8Array): SigningKey {
  if (isDer(input)) return provider.importSigningKey(new Uint8Array(input));
  return loadPrivateKeyPem(provider, asText(input));
}

/** Trust anchors (DER) from PEM or DER certificates. */
export function trustAnchorsFrom(input: CredentialInput): Uint8Array[] {
  return certificateChainFrom(input);
}
