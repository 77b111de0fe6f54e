/**
 * The sockets of the UDP relay (relay.ts): node:dgram, which neither reads nor sets the IP ECN
 * field, or a socket that does both, bound by the function the relay is given (the native
 * backend's NativeUdpSocket.bind from tsquic/node: src/testing does not import src/node), so
 * that the relay forwards marks as a router would and records them (the Interop Runner's ecn
 * case looks for them in its pcaps).
 */
import { createSocket } from 'node:dgram';
import type { SocketAddress } from '../util/address.js';

/** A datagram arrived with its ECN codepoint (0 Not-ECT, 1 ECT(1), 2 ECT(0), 3 CE; RFC 3168). */
export type RelayReceive = (data: Buffer, from: SocketAddress, ecn: number) => void;

export interface RelaySocket {
  readonly local: SocketAddress;
  /** Sends at once, marked with `ecn` where the socket can mark. */
  send(data: Uint8Array, to: SocketAddress, ecn: number): void;
  close(): void;
}

/**
 * Binds a UDP socket that reports each datagram's ECN codepoint and sends with one: the shape
 * of tsquic/node's NativeUdpSocket.bind.
 */
export type EcnSocketBinder = (
  host: string,
  port: number,
  options: Record<string, never>,
  handlers: {
    message(data: Uint8Array, remote: SocketAddress, socket: unknown, ecn?: number): void;
    error(err: Error): void;
  },
) => Promise<{
  readonly local: SocketAddress;
  send(data: Uint8Array, remote: SocketAddress, ecn?: number): boolean;
  flushSends?(): void;
  close(): void;
}>;

/** Binds a relay socket: with `ecn`, through it; else node:dgram. */
export async function bindRelaySocket(
  address: string,
  port: number,
  ecn: EcnSocketBinder | undefined,
  receive: RelayReceive,
): Promise<RelaySocket> {
  return ecn === undefined
    ? bindDgram(address, port, receive)
    : bindEcn(ecn, address, port, receive);
}
async function bindDgram(
  address: string,
  port: number,
  receive: RelayReceive,
): Promise<RelaySocket> {
  const socket = createSocket({ type: address.includes(':') ? 'udp6' : 'udp4' });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, address, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  socket.on('message', (msg, rinfo) =>
    receive(msg, { address: rinfo.address, port: rinfo.port }, 0),
  );
  socket.on('error', () => {}); // ICMP errors from an endpoint that went away: nothing to do
  const a = socket.address();
  return {
    local: { address: a.address, port: a.port },
    send: (data, to) => socket.send(data, to.port, to.address),
    close: () => {
      try {
        socket.close();
      } catch {
        // already closed
      }
    },
  };
}

async function bindEcn(
  bind: EcnSocketBinder,
  address: string,
  port: number,
  receive: RelayReceive,
): Promise<RelaySocket> {
  const socket = await bind(
    address,
    port,
    {},
    {
      // A receive buffer may be reused after the handler returns: the relay keeps a copy.
      message: (data, from, _socket, ecn) => receive(Buffer.from(data), { ...from }, ecn ?? 0),
      error: () => {},
    },
  );
  let closed = false;
  return {
    local: socket.local,
    send: (data, to, ecn) => {
      if (closed) return;
      socket.send(data, to, ecn);
      socket.flushSends?.();
    },
    close: () => {
      if (closed) return;
      closed = true;
      socket.close();
    },
  };
}
