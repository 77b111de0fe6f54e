/**
 * Stream ID arithmetic, RFC 9000 §2.1. Bit 0x01 is the initiator (0 client, 1 server), bit 0x02
 * the direction (0 bidirectional, 1 unidirectional). IDs go up to 2^62-1, beyond the 32 bits that
 * JS bitwise operators handle, so everything here uses `%` and division.
 */

/**
 * Largest value of a MAX_STREAMS frame or max_streams transport parameter: a higher count would
 * allow stream IDs that cannot be encoded (RFC 9000 §4.6, §19.11).
 */
export const MAX_STREAMS_LIMIT = 2 ** 60;

/** True for client-initiated streams (even IDs). */
export function isClientInitiated(id: number): boolean {
  return id % 2 === 0;
}

/** True for bidirectional streams (bit 0x02 clear). */
export function isBidirectional(id: number): boolean {
  return id % 4 < 2;
}

/** True if the endpoint (client or server, per `isClient`) initiated stream `id`. */
export function isLocallyInitiated(id: number, isClient: boolean): boolean {
  return isClientInitiated(id) === isClient;
}

/** Position of the stream among the streams of its type: 0 for the first, 1 for the next, ... */
export function streamIndex(id: number): number {
  return Math.floor(id / 4);
}

/** The ID of the `index`-th stream of a type (RFC 9000 §2.1, Table 1). */
export function streamIdOf(index: number, bidi: boolean, clientInitiated: boolean): number {
  return index * 4 + (clientInitiated ? 0 : 1) + (bidi ? 0 : 2);
}
