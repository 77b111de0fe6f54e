/**
 * Packet number truncation and recovery, RFC 9000 §17.1 with the algorithms of Appendix A.2 and
 * A.3.
 *
 * Packet numbers are `number`s. The connection never sends or accepts packet numbers at or above
 * 2^53 (it closes long before), so the number versions are exact on every value they will see;
 * decodePacketNumberBig covers the whole 62-bit space for tools and cross-checks.
 */
import type { Writer } from '../util/cursor.js';

/** Largest packet number, RFC 9000 §12.3. */
export const MAX_PACKET_NUMBER = 2 ** 62 - 1;

/**
 * Bytes (1-4) needed to send `pn` so that the peer recovers it: at least one bit more than
 * log2 of the number of unacknowledged packet numbers including this one (RFC 9000 §17.1,
 * Appendix A.2). `largestAcked` is -1 when nothing in this space has been acknowledged, in which
 * case the full range from 0 must be covered.
 */
export function packetNumberLength(pn: number, largestAcked: number): 1 | 2 | 3 | 4 {
  const numUnacked = largestAcked < 0 ? pn + 1 : pn - largestAcked;
  if (!(numUnacked > 0)) {
    throw new RangeError(`packet number ${pn} is not above largest acked ${largestAcked}`);
  }
  // n bytes cover 2^(8n) values, which must be at least 2 * numUnacked.
  if (numUnacked <= 0x80) return 1;
  if (numUnacked <= 0x8000) return 2;
  if (numUnacked <= 0x800000) return 3;
  if (numUnacked <= 0x80000000) return 4;
  throw new RangeError(`${numUnacked} unacknowledged packet numbers cannot be encoded`);
}

/** Writes the `length` least significant bytes of `pn` (RFC 9000 §17.1). */
export function encodePacketNumber(w: Writer, pn: number, length: 1 | 2 | 3 | 4): void {
  // Bit operations reduce an integer modulo 2^32 first, which keeps exactly the low bytes.
  if (length === 1) w.u8(pn & 0xff);
  else if (length === 2) w.u16(pn & 0xffff);
  else if (length === 3) w.u24(pn & 0xffffff);
  else w.u32(pn >>> 0);
}

/**
 * Recovers the full packet number from its `pnNbits` least significant bits (8, 16, 24 or 32),
 * choosing the value closest to largestPn + 1 (RFC 9000 Appendix A.3). `largestPn` is -1 before
 * any packet in the space has been processed. Exact for every largestPn below 2^53 - 2^32.
 *
 * Called for every packet received: integer operations only (no floating-point `%`, no `**`).
 * `expected % win` is taken from the low 32 bits of `expected` (`>>> 0` reduces an integer
 * below 2^53 modulo 2^32 exactly, and win divides 2^32).
 */
export function decodePacketNumber(
  largestPn: number,
  truncatedPn: number,
  pnNbits: number,
): number {
  const expected = largestPn + 1;
  const low = expected >>> 0;
  let win: number;
  let rem: number;
  if (pnNbits === 32) {
    win = 0x100000000;
    rem = low;
  } else {
    win = 1 << pnNbits;
    rem = low & (win - 1);
  }
  const hwin = win / 2;
  const candidate = expected - rem + truncatedPn;
  // The RFC's guard against passing 2^62 - 1 (candidate < 2^62 - win) always holds in this
  // domain; decodePacketNumberBig keeps it.
  if (candidate <= expected - hwin) return candidate + win;
  if (candidate > expected + hwin && candidate >= win) return candidate - win;
  return candidate;
}

/** Appendix A.3 over the full 62-bit packet number space, exactly. */
export function decodePacketNumberBig(
  largestPn: bigint,
  truncatedPn: number,
  pnNbits: number,
): bigint {
  const expected = largestPn + 1n;
  const win = 1n << BigInt(pnNbits);
  const hwin = win / 2n;
  const mask = win - 1n;
  const candidate = (expected & ~mask) | BigInt(truncatedPn);
  if (candidate <= expected - hwin && candidate < (1n << 62n) - win) return candidate + win;
  if (candidate > expected + hwin && candidate >= win) return candidate - win;
  return candidate;
}
