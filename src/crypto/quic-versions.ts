/**
 * The version-specific constants of QUIC packet protection: the Initial salt, the labels of the
 * packet-protection keys and the Retry integrity key. QUIC v1 (RFC 9001) and QUIC v2 (RFC 9369)
 * differ only in these values.
 */
import { fromHex } from '../util/bytes.js';

/** QUIC version 1 (RFC 9000 §15). */
export const QUIC_V1 = 0x00000001;
/** QUIC version 2 (RFC 9369 §3.1). */
export const QUIC_V2 = 0x6b3343cf;

export interface VersionCryptoParams {
  readonly version: number;
  /** Salt of HKDF-Extract for the Initial secret (RFC 9001 §5.2, RFC 9369 §3.3.1). */
  readonly initialSalt: Uint8Array;
  /** HKDF-Expand-Label labels for the packet key, IV, header-protection key and key update. */
  readonly keyLabel: string;
  readonly ivLabel: string;
  readonly hpLabel: string;
  readonly kuLabel: string;
  /** AES-128-GCM key and nonce of the Retry integrity tag (RFC 9001 §5.8, RFC 9369 §3.3.3). */
  readonly retryKey: Uint8Array;
  readonly retryNonce: Uint8Array;
}

const V1: VersionCryptoParams = {
  version: QUIC_V1,
  // RFC 9001 §5.2
  initialSalt: fromHex('38762cf7f55934b34d179ae6a4c80cadccbb7f0a'),
  // RFC 9001 §5.1, §6.1
  keyLabel: 'quic key',
  ivLabel: 'quic iv',
  hpLabel: 'quic hp',
  kuLabel: 'quic ku',
  // RFC 9001 §5.8
  retryKey: fromHex('be0c690b9f66575a1d766b54e368c84e'),
  retryNonce: fromHex('461599d35d632bf2239825bb'),
};

const V2: VersionCryptoParams = {
  version: QUIC_V2,
  // RFC 9369 §3.3.1
  initialSalt: fromHex('0dede3def700a6db819381be6e269dcbf9bd2ed9'),
  // RFC 9369 §3.3.2
  keyLabel: 'quicv2 key',
  ivLabel: 'quicv2 iv',
  hpLabel: 'quicv2 hp',
  kuLabel: 'quicv2 ku',
  // RFC 9369 §3.3.3
  retryKey: fromHex('8fb4b01b56ac48e260fbcbcead7ccc92'),
  retryNonce: fromHex('d86969bc2d7c6d9990efb04a'),
};

/** True for the versions whose packet protection tsquic implements. */
export function isCryptoSupportedVersion(version: number): boolean {
  return version === QUIC_V1 || version === QUIC_V2;
}

/**
 * The constants of `version`. Throws a RangeError for any other version: the caller must have
 * checked the version (Version Negotiation happens before any key is derived).
 */
export function versionCryptoParams(version: number): VersionCryptoParams {
  if (version === QUIC_V1) return V1;
  if (version === QUIC_V2) return V2;
  throw new RangeError(`no packet protection defined for QUIC version 0x${version.toString(16)}`);
}
