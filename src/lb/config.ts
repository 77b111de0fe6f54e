/**
 * A QUIC-LB configuration (draft-ietf-quic-load-balancers-21 §5): what a configuration agent
 * hands to the servers and load balancers of a pool. One configuration per config rotation
 * codepoint; the same object drives the servers' CID generators and the load balancer's decoder.
 */

/** The config rotation codepoint of unroutable CIDs (§3.2): a server with no configuration. */
export const UNROUTABLE_CONFIG_ID = 0b111;

export interface QuicLbConfig {
  /** The config rotation codepoint, 0..6: the first three bits of every CID (§3.1). */
  readonly configId: number;
  /** Length of the server ID in octets, at least 1 (§5.1). */
  readonly serverIdLength: number;
  /** Length of the nonce in octets, at least 4; server ID and nonce sum to at most 19 (§5.3). */
  readonly nonceLength: number;
  /**
   * 16-byte AES-128 key: the server ID and nonce are encrypted (single pass when they sum to 16
   * octets, four-pass otherwise, §5.4). Without a key, CIDs carry the server ID in the clear and
   * any observer can tell which server holds a connection.
   */
  readonly key?: Uint8Array;
  /**
   * Whether the first octet's low five bits carry the CID length after that octet (§3.3).
   * Default true; when false they are random.
   */
  readonly encodeLength?: boolean;
}

/** The longest server ID a configuration can have: 19 octets less the shortest nonce (§5.3). */
export const MAX_SERVER_ID_LENGTH = 15;

/** Throws a RangeError naming the first field out of the draft's limits. */
export function checkQuicLbConfig(c: QuicLbConfig): void {
  if (!Number.isInteger(c.configId) || c.configId < 0 || c.configId >= UNROUTABLE_CONFIG_ID)
    throw new RangeError('QUIC-LB configId must be within 0..6 (7 marks unroutable CIDs)');
  if (!Number.isInteger(c.serverIdLength) || c.serverIdLength < 1)
    throw new RangeError('QUIC-LB serverIdLength must be at least 1 octet');
  if (!Number.isInteger(c.nonceLength) || c.nonceLength < 4)
    throw new RangeError('QUIC-LB nonceLength must be at least 4 octets');
  if (c.serverIdLength + c.nonceLength > 19)
    throw new RangeError('QUIC-LB serverIdLength + nonceLength must be at most 19 octets');
  if (c.key !== undefined && c.key.length !== 16)
    throw new RangeError('QUIC-LB key must be 16 bytes (AES-128)');
}

/** The length of this configuration's CIDs: first octet, server ID and nonce. */
export function quicLbCidLength(c: QuicLbConfig): number {
  return 1 + c.serverIdLength + c.nonceLength;
}
