/** A UDP endpoint address. `address` is an IPv4 or IPv6 literal. */
export interface SocketAddress {
  address: string;
  port: number;
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
