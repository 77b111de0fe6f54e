/**
 * QUIC variable-length integers, RFC 9000 §16.
 *
 * Policy for values above Number.MAX_SAFE_INTEGER: the wire allows up to 2^62-1 but a JS number
 * is exact only to 2^53-1. Decoding saturates such values to VARINT_SATURATED (2^53, exactly
 * representable and larger than every exact value), so limits advertised as "effectively
 * unlimited" (e.g. max_data = 2^62-1) still work and any semantic check against a real offset or
 * count treats them as over the limit. Callers that need the exact value use the bigint reader.
 */

/** Largest value a QUIC varint can carry (RFC 9000 §16). */
export const MAX_VARINT = 2n ** 62n - 1n;
/** What a decoded varint above Number.MAX_SAFE_INTEGER becomes: 2^53. */
export const VARINT_SATURATED = 2 ** 53;

/** Encoded length of `v` in bytes: 1, 2, 4 or 8 (RFC 9000 §16, Table 4). */
export function varintLength(v: number): 1 | 2 | 4 | 8 {
  if (v < 0x40) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x40000000) return 4;
  return 8;
}

/** Encoded length implied by the two high bits of the first byte. */
export function varintLengthFromFirstByte(b: number): 1 | 2 | 4 | 8 {
  return (1 << (b >> 6)) as 1 | 2 | 4 | 8;
}
