/**
 * A test load balancer: several engines behind one address of the in-memory network, each
 * datagram handed to the engine a `pick` function chooses (by QUIC-LB server ID, by arrival
 * order, ...). Test code, not product: it stands for the load balancer in front of a pool.
 */
import type { Engine, Transmit } from '../../src/engine/engine.js';
import type { SansIoEndpoint } from '../../src/testing/network.js';
import type { SocketAddress } from '../../src/util/address.js';

export class Router implements SansIoEndpoint {
  /** Datagrams each engine received. */
  readonly received: number[];
  private next = 0;

  constructor(
    readonly engines: Engine[],
    /** The index of the engine that gets `data`, or -1 to drop it. */
    public pick: (data: Uint8Array, remote: SocketAddress) => number,
  ) {
    this.received = engines.map(() => 0);
  }

  handleDatagram(data: Uint8Array, local: SocketAddress, remote: SocketAddress, now: number): void {
    const i = this.pick(data, remote);
    if (i < 0) return;
    this.received[i]!++;
    this.engines[i]!.handleDatagram(data, local, remote, now);
  }

  pollTransmit(now: number): Transmit | null {
    // Round robin over the engines, so that none starves the others.
    for (let k = 0; k < this.engines.length; k++) {
      const i = (this.next + k) % this.engines.length;
      const t = this.engines[i]!.pollTransmit(now);
      if (t) {
        this.next = (i + 1) % this.engines.length;
        return t;
      }
    }
    return null;
  }

  nextTimeout(): number {
    return Math.min(...this.engines.map((e) => e.nextTimeout()));
  }

  handleTimeout(now: number): void {
    for (const e of this.engines) e.handleTimeout(now);
  }
}
