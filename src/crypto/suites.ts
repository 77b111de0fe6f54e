/**
 * The TLS 1.3 cipher suites QUIC can use (RFC 9001 §5.3) with everything packet protection needs
 * to know about them, including the AEAD usage limits of RFC 9001 §6.6.
 */
import type { AeadAlg, HashAlg, HpAlg } from './provider.js';

/** TLS 1.3 cipher suites usable with QUIC (RFC 9001 §5.3); the TLS core re-exports this. */
export type CipherSuiteName =
  'TLS_AES_128_GCM_SHA256' | 'TLS_AES_256_GCM_SHA384' | 'TLS_CHACHA20_POLY1305_SHA256';

export interface CipherSuite {
  readonly name: CipherSuiteName;
  /** The TLS CipherSuite code point (RFC 8446 §B.4). */
  readonly code: number;
  readonly aead: AeadAlg;
  /** Header protection uses the AEAD's block or stream cipher (RFC 9001 §5.4.3, §5.4.4). */
  readonly hp: HpAlg;
  readonly hash: HashAlg;
  /** AEAD key length, also the header-protection key length (RFC 9001 §5.1). */
  readonly keyLength: number;
  /** AEAD nonce length (RFC 8446 §5.3: at least 8, 12 for all these AEADs). */
  readonly ivLength: number;
  readonly hashLength: number;
  readonly tagLength: number;
  /**
   * Packets that may be encrypted with one key before a key update is required
   * (RFC 9001 §6.6). Infinity where the limit exceeds the 2^62 packet-number space.
   */
  readonly confidentialityLimit: number;
  /** Packets failing authentication, across all keys, before the connection must close (RFC 9001 §6.6). */
  readonly integrityLimit: number;
}

export const TLS_AES_128_GCM_SHA256: CipherSuite = {
  name: 'TLS_AES_128_GCM_SHA256',
  code: 0x1301,
  aead: 'aes-128-gcm',
  hp: 'aes-128-ecb',
  hash: 'sha256',
  keyLength: 16,
  ivLength: 12,
  hashLength: 32,
  tagLength: 16,
  confidentialityLimit: 2 ** 23,
  integrityLimit: 2 ** 52,
};

export const TLS_AES_256_GCM_SHA384: CipherSuite = {
  name: 'TLS_AES_256_GCM_SHA384',
  code: 0x1302,
  aead: 'aes-256-gcm',
  hp: 'aes-256-ecb',
  hash: 'sha384',
  keyLength: 32,
  ivLength: 12,
  hashLength: 48,
  tagLength: 16,
  confidentialityLimit: 2 ** 23,
  integrityLimit: 2 ** 52,
};

export const TLS_CHACHA20_POLY1305_SHA256: CipherSuite = {
  name: 'TLS_CHACHA20_POLY1305_SHA256',
  code: 0x1303,
  aead: 'chacha20-poly1305',
  hp: 'chacha20',
  hash: 'sha256',
  keyLength: 32,
  ivLength: 12,
  hashLength: 32,
  tagLength: 16,
  // RFC 9001 §6.6: "greater than the number of possible packets (2^62) and so can be disregarded".
  confidentialityLimit: Number.POSITIVE_INFINITY,
  integrityLimit: 2 ** 36,
};

/** All suites, in the order a client offers them by default. */
export const CIPHER_SUITES: readonly CipherSuite[] = [
  TLS_AES_128_GCM_SHA256,
  TLS_AES_256_GCM_SHA384,
  TLS_CHACHA20_POLY1305_SHA256,
];

export function cipherSuiteByName(name: CipherSuiteName): CipherSuite {
  const suite = CIPHER_SUITES.find((s) => s.name === name);
  if (suite === undefined) throw new RangeError(`unknown cipher suite ${String(name)}`);
  return suite;
}

/** The suite with TLS code point `code`, or undefined when QUIC cannot use it. */
export function cipherSuiteByCode(code: number): CipherSuite | undefined {
  return CIPHER_SUITES.find((s) => s.code === code);
}
