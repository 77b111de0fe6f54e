/**
 * Checks and defaults for the options both sides share (types.ts). Misuse by the caller throws a
 * TypeError or RangeError here, when the session is created, never during the handshake.
 */
import type { KeyExchangeGroup } from '../crypto/provider.js';
import { type CipherSuite, CIPHER_SUITES, cipherSuiteByName } from '../crypto/suites.js';
import { utf8 } from '../util/bytes.js';
import { GROUP_CODES } from './constants.js';
import type { CipherSuiteName } from './types.js';

/**
 * Preference order when none is configured: the hybrid post-quantum group first, as browsers and
 * current stacks do (draft-ietf-tls-ecdhe-mlkem), a server thus choosing it whenever offered.
 */
export const DEFAULT_GROUPS: readonly KeyExchangeGroup[] = [
  'X25519MLKEM768',
  'x25519',
  'secp256r1',
  'secp384r1',
];

/**
 * The groups a client sends key shares for when not told (RFC 8446 §4.2.8): its first group and,
 * when that is X25519MLKEM768, x25519 as well. The second share costs 36 bytes in a ClientHello
 * that spans two Initial packets anyway and one X25519 key generation (about 0.03 ms, bench/tls),
 * while a server without ML-KEM would otherwise answer with a HelloRetryRequest: a round trip.
 */
export function defaultKeyShareGroups(groups: readonly KeyExchangeGroup[]): KeyExchangeGroup[] {
  const first = groups[0]!;
  return first === 'X25519MLKEM768' && groups.includes('x25519') ? [first, 'x25519'] : [first];
}

export function resolveSuites(names: readonly CipherSuiteName[] | undefined): CipherSuite[] {
  if (names === undefined) return [...CIPHER_SUITES];
  if (names.length === 0) throw new RangeError('cipherSuites must not be empty');
  return names.map((n) => cipherSuiteByName(n));
}

export function resolveGroups(groups: readonly KeyExchangeGroup[] | undefined): KeyExchangeGroup[] {
  if (groups === undefined) return [...DEFAULT_GROUPS];
  if (groups.length === 0) throw new RangeError('groups must not be empty');
  for (const g of groups) {
    if (GROUP_CODES[g] === undefined) throw new RangeError(`unknown group ${String(g)}`);
  }
  return [...new Set(groups)];
}

/** ALPN protocol names are 1..255 bytes (RFC 7301 §3.1). */
export function checkAlpnList(protocols: readonly string[], what: string): void {
  for (const p of protocols) {
    const n = utf8(p).length;
    if (n < 1 || n > 255) throw new RangeError(`${what}: protocol name of ${n} bytes`);
  }
}

/** True for an IPv4 or IPv6 literal (optionally bracketed), which SNI must not carry (RFC 6066 §3). */
export function isIpLiteral(name: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || name.includes(':');
}
