/**
 * Certificates and keys given the Node way (PEM strings or Buffers, or DER Buffers), and the
 * default trust store: Node's bundled Mozilla roots (`tls.rootCertificates`) as DER.
 */
import { rootCertificates } from 'node:tls';
import type { CryptoProvider, SigningKey } from '../crypto/provider.js';
import {
  loadCertificateChainPem,
  loadPrivateKeyPem,
  parseCertificate,
  pemDecode,
} from '../tls/x509/index.js';

/** PEM text, PEM or DER bytes, or a list of them. */
export type CredentialInput = string | Uint8Array | readonly (string | Uint8Array)[];

const DER_SEQUENCE = 0x30;

function pieces(input: CredentialInput): (string | Uint8Array)[] {
  return typeof input === 'string' || input instanceof Uint8Array ? [input] : [...input];
}

function isDer(piece: string | Uint8Array): piece is Uint8Array {
  return typeof piece !== 'string' && piece.length > 0 && piece[0] === DER_SEQUENCE;
}

function asText(piece: string | Uint8Array): string {
  return typeof piece === 'string' ? piece : Buffer.from(piece).toString('latin1');
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

let systemRoots: readonly Uint8Array[] | null = null;

/**
 * Node's bundled root certificates as DER, parsed once. Roots the certificate parser cannot read
 * are left out: one odd root must not make every verification fail.
 */
export function defaultTrustAnchors(): readonly Uint8Array[] {
  if (systemRoots === null) {
    const roots: Uint8Array[] = [];
    for (const pem of rootCertificates) {
      try {
        for (const block of pemDecode(pem)) {
          parseCertificate(block.der);
          roots.push(block.der);
        }
      } catch {
        // Unreadable root: skipped.
      }
    }
    systemRoots = roots;
  }
  return systemRoots;
}
