/**
 * Which UDP socket an endpoint uses: the native backend's (native-udp.ts: sendmmsg/GSO,
 * recvmmsg/GRO, ECN) when the engine's crypto provider is the native one and the addon has the
 * socket, else node:dgram (udp.ts). TSQUIC_SOCKET=dgram|native forces one (native without the
 * addon is an error, never a silent fallback); the choice is reported by getStats().socket.
 */
import { NativeUdpSocket, nativeUdpAddon } from './native-udp.js';
import { UdpSocket, type SocketBinder } from './udp.js';

/** The socket an endpoint runs on (`custom`: a binder given by the caller, e.g. a worker's). */
export type SocketKind = 'native' | 'dgram' | 'custom';

/**
 * The socket for an engine whose provider is `providerName`, as TSQUIC_SOCKET (`requested`)
 * allows. Throws for an unknown value, or for `native` when the addon's socket is missing.
 */
export function chooseSocket(
  providerName: string,
  requested: string | undefined = process.env['TSQUIC_SOCKET'],
): { kind: 'native' | 'dgram'; bind: SocketBinder } {
  const native = { kind: 'native' as const, bind: NativeUdpSocket.bind };
  const dgram = { kind: 'dgram' as const, bind: UdpSocket.bind };
  switch (requested ?? '') {
    case '':
      return providerName === 'native' && nativeUdpAddon() !== null ? native : dgram;
    case 'dgram':
      return dgram;
    case 'native':
      if (nativeUdpAddon() === null) {
        throw new Error('TSQUIC_SOCKET=native, but the native addon with its socket did not load');
      }
      return native;
    default:
      throw new Error(`TSQUIC_SOCKET must be 'native' or 'dgram', not '${requested!}'`);
  }
}

/** One line for version output: the socket an endpoint on `providerName` gets, or why none. */
export function describeSocket(providerName: string): string {
  try {
    return chooseSocket(providerName).kind === 'native'
      ? 'native (sendmmsg/GSO, recvmmsg/GRO, ECN)'
      : 'node:dgram';
  } catch (e) {
    return (e as Error).message;
  }
}
