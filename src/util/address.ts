/** A UDP endpoint address. `address` is an IPv4 or IPv6 literal. */
export interface SocketAddress {
  address: string;
  port: number;
}

/**
 * A datagram to send: what the engine's `pollTransmit` and callback-mode `sendto` hand out, and
 * what the in-memory network carries. The one definition for the whole package.
 */
export interface Transmit {
  data: Uint8Array;
  remote: SocketAddress;
  /**
   * The local address to send from. The engine always sets it (it changes when a client
   * migrates, RFC 9000 §9.2); other endpoints of the in-memory network may leave it out to
   * send from their primary address.
   */
  local?: SocketAddress;
  /**
   * The IP ECN codepoint to send it with (RFC 3168: 0 Not-ECT, 1 ECT(1), 2 ECT(0), 3 CE). A
   * socket that cannot set it sends Not-ECT. The engine sets it; absent means 0.
   */
  ecn?: number;
}

export function addressKey(a: SocketAddress): string {
  return `${a.address}|${a.port}`;
}

export function sameAddress(a: SocketAddress, b: SocketAddress): boolean {
  return a.port === b.port && a.address === b.address;
}

export function formatAddress(a: SocketAddress): string {
  return a.address.includes(':') ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}
