/**
 * PEM (RFC 7468): decoding and encoding, loading certificate chains, and loading private keys
 * in the three forms OpenSSL and GnuTLS write: PKCS#8 "PRIVATE KEY", SEC1 "EC PRIVATE KEY"
 * (RFC 5915) and PKCS#1 "RSA PRIVATE KEY" (RFC 8017 App. A.1.2), the last two converted to
 * PKCS#8. PEM is local configuration, so problems throw TypeError with a clear message.
 */
import type { CryptoProvider, SigningKey } from '../../crypto/provider.js';
import { encodePkcs8, parseEcPrivateKey } from '../../crypto/key-der.js';
import { parseRsaPrivateKey } from '../../crypto/rsa.js';
import { parseCertificate } from './certificate.js';

export interface PemBlock {
  readonly label: string;
  readonly der: Uint8Array;
}

const BLOCK =
  /-----BEGIN ([\x21-\x2c\x2e-\x7e](?:[ -]?[\x21-\x2c\x2e-\x7e])*)?-----([\s\S]*?)-----END ([^-\r\n]*)-----/g;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function base64Decode(b64: string, label: string): Uint8Array {
  if (!BASE64.test(b64)) throw new TypeError(`PEM block "${label}" has invalid base64 content`);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function base64Encode(der: Uint8Array): string {
  let bin = '';
  for (const b of der) bin += String.fromCharCode(b);
  return btoa(bin);
}

/**
 * Every PEM block in `text`, in order. Text outside blocks is ignored (RFC 7468 §2). Throws
 * TypeError for a block whose END label differs, whose base64 is invalid, or that carries
 * RFC 1421 headers (legacy encrypted keys).
 */
export function pemDecode(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const m of text.matchAll(BLOCK)) {
    const label = m[1] ?? '';
    if (m[3] !== label) throw new TypeError(`PEM block "${label}" ends with "END ${m[3]}"`);
    const body = m[2]!;
    if (body.includes(':')) {
      throw new TypeError(
        `PEM block "${label}" has headers (an encrypted key?); tsquic reads only unencrypted PEM`,
      );
    }
    blocks.push({ label, der: base64Decode(body.replace(/\s+/g, ''), label) });
  }
  if (blocks.length === 0 && text.includes('-----BEGIN')) {
    throw new TypeError('malformed PEM: a BEGIN line without a matching END line');
  }
  return blocks;
}

/** One PEM block with 64-character lines (RFC 7468 §2). */
export function pemEncode(label: string, der: Uint8Array): string {
  const b64 = base64Encode(der);
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}${lines.length ? '\n' : ''}-----END ${label}-----\n`;
}

/** The DER certificates of every "CERTIFICATE" block, in order (leaf first, by convention). */
export function loadCertificateChainPem(text: string): Uint8Array[] {
  const certs = pemDecode(text).filter((b) => b.label === 'CERTIFICATE');
  if (certs.length === 0) throw new TypeError('no "CERTIFICATE" PEM block found');
  return certs.map((b, i) => {
    try {
      parseCertificate(b.der);
    } catch (e) {
      throw new TypeError(`PEM certificate ${i + 1} is not valid: ${(e as Error).message}`);
    }
    return b.der;
  });
}

/** SEC1 ECPrivateKey (with its named curve) to PKCS#8. */
export function sec1ToPkcs8(sec1: Uint8Array): Uint8Array {
  let ec;
  try {
    ec = parseEcPrivateKey(sec1);
  } catch (e) {
    throw new TypeError(`malformed EC PRIVATE KEY: ${(e as Error).message}`);
  }
  if (ec.curveOid === null) throw new TypeError('EC PRIVATE KEY does not name its curve');
  if (ec.curve === null)
    throw new TypeError(`EC PRIVATE KEY uses an unsupported curve (${ec.curveOid})`);
  // The ECPrivateKey goes in unchanged; its curve parameters agree with the AlgorithmIdentifier.
  return encodePkcs8(ec.curve, sec1);
}

/** PKCS#1 RSAPrivateKey to PKCS#8. */
export function pkcs1ToPkcs8(pkcs1: Uint8Array): Uint8Array {
  try {
    parseRsaPrivateKey(pkcs1);
  } catch (e) {
    throw new TypeError(`malformed RSA PRIVATE KEY: ${(e as Error).message}`);
  }
  return encodePkcs8('rsa', pkcs1);
}

const KEY_LABELS = ['PRIVATE KEY', 'EC PRIVATE KEY', 'RSA PRIVATE KEY', 'ENCRYPTED PRIVATE KEY'];

/** The PKCS#8 DER of the first private key block in `text`. */
export function privateKeyPemToPkcs8(text: string): Uint8Array {
  const block = pemDecode(text).find((b) => KEY_LABELS.includes(b.label));
  if (block === undefined) {
    throw new TypeError(
      'no private key PEM block found (PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY)',
    );
  }
  switch (block.label) {
    case 'EC PRIVATE KEY':
      return sec1ToPkcs8(block.der);
    case 'RSA PRIVATE KEY':
      return pkcs1ToPkcs8(block.der);
    case 'ENCRYPTED PRIVATE KEY':
      throw new TypeError('encrypted private keys are not supported; decrypt the key first');
    default:
      return block.der;
  }
}

/** Loads the first private key in `text` as a SigningKey. */
export function loadPrivateKeyPem(
  provider: Pick<CryptoProvider, 'importSigningKey'>,
  text: string,
): SigningKey {
  return provider.importSigningKey(privateKeyPemToPkcs8(text));
}
