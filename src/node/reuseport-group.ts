/**
 * A multi-worker server's SO_REUSEPORT group on the native socket (native/tsquic_udp.c): one
 * UDP socket per worker on one port, the kernel steering each datagram to the socket its
 * steering program (steering-bpf.ts) names. The main thread owns the descriptors (a worker
 * thread adopts one and reads it, NativeUdpSocket.adopt) and keeps the order the kernel numbers
 * them in, which the program's results refer to.
 */
import type { SocketAddress } from '../util/address.js';
import { QuicNodeError } from './errors.js';
import { nativeUdpAddon, type NativeUdpAddon } from './native-udp.js';
import { steeringProgram, type SteeringPlan } from './steering-bpf.js';
import { DEFAULT_SOCKET_BUFFER, familyOf, type UdpSocketOptions } from './udp.js';

export class ReusePortGroup {
  /**
   * The descriptors in the kernel's order (net/core/sock_reuseport.c): a socket that binds
   * joins at the end; one that closes is replaced by the last.
   */
  private readonly order: number[] = [];
  private closed = false;

  private constructor(
    private readonly addon: NativeUdpAddon,
    readonly local: SocketAddress,
    private readonly opts: UdpSocketOptions,
  ) {}

  /** The addon when it can make steered groups (Linux, the native backend built), else null. */
  static addon(): NativeUdpAddon | null {
    const a = nativeUdpAddon();
    return a !== null && typeof a.udpSteer === 'function' ? a : null;
  }

  /** A group of `count` sockets bound to host:port (port 0: any free port). */
  static open(
    host: string,
    port: number,
    count: number,
    opts: UdpSocketOptions,
    a: NativeUdpAddon | null = ReusePortGroup.addon(),
  ): { group: ReusePortGroup; fds: number[] } {
    if (a === null) {
      throw new QuicNodeError('ERR_QUIC_SOCKET', 'the native UDP socket is not available');
    }
    let opened: [number[], string, number];
    try {
      opened = a.udpReusePortGroup(...bindArgs(host, port, count, opts));
    } catch (err) {
      const code = (err as { code?: string }).code;
      const why = code === 'EADDRINUSE' ? 'address in use' : (err as Error).message;
      throw new QuicNodeError('ERR_QUIC_SOCKET', `cannot bind UDP ${host}:${port}: ${why}`, {
        cause: err,
      });
    }
    const [fds, address, boundPort] = opened;
    const group = new ReusePortGroup(a, { address, port: boundPort }, opts);
    group.order.push(...fds);
    return { group, fds };
  }

  /** `count` more sockets join the group (a new generation of workers); their descriptors. */
  add(count: number): number[] {
    const [fds] = this.addon.udpReusePortGroup(
      ...bindArgs(this.local.address, this.local.port, count, this.opts),
    );
    this.order.push(...fds);
    return fds;
  }

  /** The kernel's number of `fd` in the group (what the steering program returns for it). */
  indexOf(fd: number): number {
    return this.order.indexOf(fd);
  }

  /**
   * Attaches the program for `plan`, whose generations name their workers' descriptors; the
   * numbers the kernel gives them now go into the program.
   */
  steer(plan: {
    generations: readonly { configId: number; fds: readonly number[] }[];
    current: readonly number[];
    plaintext: boolean;
  }): void {
    if (this.closed) return;
    const toIndex = (fds: readonly number[]): number[] => fds.map((fd) => this.indexOf(fd));
    const program: SteeringPlan = {
      generations: plan.generations.map((g) => ({
        configId: g.configId,
        sockets: toIndex(g.fds),
      })),
      current: toIndex(plan.current),
      plaintext: plan.plaintext,
    };
    this.addon.udpSteer(this.order[0]!, steeringProgram(program));
  }

  /** `fd` leaves the group (its worker has exited): closed, the last socket takes its number. */
  remove(fd: number): void {
    const i = this.order.indexOf(fd);
    if (i < 0) return;
    this.addon.udpGroupClose(fd);
    const last = this.order.pop()!;
    if (i < this.order.length) this.order[i] = last;
  }

  /** Closes every socket of the group. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const fd of this.order) this.addon.udpGroupClose(fd);
    this.order.length = 0;
  }
}

function bindArgs(
  host: string,
  port: number,
  count: number,
  opts: UdpSocketOptions,
): [4 | 6, string, number, number, number, number, boolean] {
  return [
    familyOf(host),
    host,
    port,
    count,
    opts.recvBufferSize ?? DEFAULT_SOCKET_BUFFER,
    opts.sendBufferSize ?? DEFAULT_SOCKET_BUFFER,
    opts.ipv6Only === true,
  ];
}
