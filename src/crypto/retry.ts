/**
 * The Retry Integrity Tag (RFC 9001 §5.8, RFC 9369 §3.3.3): AES-128-GCM with a fixed,
 * version-specific key and nonce over the Retry Pseudo-Packet, with an empty plaintext.
 *
 *     Retry Pseudo-Packet {
 *       ODCID Length (8),
 *       Original Destination Connection ID (0..160),
 *       <the Retry packet without its 16-byte tag>
 *     }
 */
import { constantTimeEqual } from '../util/bytes.js';
import type { Aead, CryptoProvider } from './provider.js';
import { isCryptoSupportedVersion, versionCryptoParams } from './quic-versions.js';

export const RETRY_TAG_LENGTH = 16;

const EMPTY = new Uint8Array(0);

// A server under attack sends many Retries: keep one AEAD per provider and version.
const aeadCache = new WeakMap<CryptoProvider, Map<number, Aead>>();

function retryAead(provider: CryptoProvider, version: number): Aead {
  let perVersion = aeadCache.get(provider);
  if (perVersion === undefined) {
    perVersion = new Map();
    aeadCache.set(provider, perVersion);
  }
  let aead = perVersion.get(version);
  if (aead === undefined) {
    aead = provider.createAead('aes-128-gcm', versionCryptoParams(version).retryKey);
    perVersion.set(version, aead);
  }
  return aead;
}

function computeTag(
  provider: CryptoProvider,
  version: number,
  originalDcid: Uint8Array,
  retryWithoutTag: Uint8Array,
  tag: Uint8Array,
): void {
  if (originalDcid.length > 255) throw new RangeError('connection ID longer than 255 bytes');
  const pseudo = new Uint8Array(1 + originalDcid.length + retryWithoutTag.length);
  pseudo[0] = originalDcid.length;
  pseudo.set(originalDcid, 1);
  pseudo.set(retryWithoutTag, 1 + originalDcid.length);
  const nonce = versionCryptoParams(version).retryNonce;
  retryAead(provider, version).seal(nonce, pseudo, EMPTY, tag, 0);
}

/**
 * The 16-byte tag for a Retry packet sent in response to a packet whose Destination Connection
 * ID was `originalDcid`. `retryWithoutTag` is the Retry packet up to (not including) the tag.
 */
export function retryIntegrityTag(
  provider: CryptoProvider,
  version: number,
  originalDcid: Uint8Array,
  retryWithoutTag: Uint8Array,
): Uint8Array {
  const tag = new Uint8Array(RETRY_TAG_LENGTH);
  computeTag(provider, version, originalDcid, retryWithoutTag, tag);
  return tag;
}

/**
 * Checks the tag at the end of `retryPacket` (RFC 9001 §5.8: a client MUST discard a Retry whose
 * tag does not verify). Constant-time comparison. False — never an exception — for a packet
 * shorter than a tag, an over-long connection ID or a version without a Retry key.
 */
export function verifyRetryIntegrity(
  provider: CryptoProvider,
  version: number,
  originalDcid: Uint8Array,
  retryPacket: Uint8Array,
): boolean {
  const body = retryPacket.length - RETRY_TAG_LENGTH;
  if (body < 0 || originalDcid.length > 255 || !isCryptoSupportedVersion(version)) return false;
  const expected = new Uint8Array(RETRY_TAG_LENGTH);
  computeTag(provider, version, originalDcid, retryPacket.subarray(0, body), expected);
  return constantTimeEqual(expected, retryPacket.subarray(body));
}
