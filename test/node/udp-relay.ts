/**
 * A UDP relay on loopback between one client and a server, for tests of what a path does to a
 * real connection: it drops datagrams above an MTU, delays the server's datagrams, or after a
 * number of bytes from the server plays a server that lost its state and answers the client's
 * packets with stateless resets (RFC 9000 §10.3) built from the tokens the test hands it.
 */
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';

export interface RelayOptions {
  /** Datagrams larger than this (UDP payload bytes) are dropped, both ways. */
  mtu?: number;
  /** Extra delay of the server's datagrams, ms. */
  delayMs?: number;
  /**
   * After this many bytes from the server, forward nothing more and answer each client datagram
   * with a stateless reset per token `tokens()` returns.
   */
  resetAfter?: { bytes: number; tokens: () => Uint8Array[] };
}

export class UdpRelay {
  /** Datagrams dropped for their size. */
  tooLarge = 0;
  /** Stateless resets sent. */
  resets = 0;
  private fromServer = 0;
  private closed = false;
  private client: { address: string; port: number } | null = null;

  private constructor(
    private readonly front: dgram.Socket,
    private readonly back: dgram.Socket,
    private readonly serverPort: number,
    private readonly opts: RelayOptions,
  ) {
    front.on('message', (msg, rinfo) => this.fromClient(msg, rinfo));
    back.on('message', (msg) => this.fromServerDatagram(msg));
  }

  /** A relay in front of 127.0.0.1:`serverPort`. */
  static async start(serverPort: number, opts: RelayOptions = {}): Promise<UdpRelay> {
    const bind = async (): Promise<dgram.Socket> => {
      const s = dgram.createSocket('udp4');
      await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
      return s;
    };
    return new UdpRelay(await bind(), await bind(), serverPort, opts);
  }

  /** The port clients send to. */
  get port(): number {
    return this.front.address().port;
  }

  close(): void {
    this.closed = true;
    this.front.close();
    this.back.close();
  }

  private get resetting(): boolean {
    const r = this.opts.resetAfter;
    return r !== undefined && this.fromServer >= r.bytes;
  }

  private fromClient(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    this.client = { address: rinfo.address, port: rinfo.port };
    if (this.resetting) {
      // RFC 9000 §10.3: short-header look, unpredictable bytes, the token last; smaller than
      // the packet it answers.
      if (msg.length < 22) return;
      for (const token of this.opts.resetAfter!.tokens()) {
        const reset = randomBytes(Math.min(msg.length - 1, 43));
        reset[0] = (reset[0]! & 0x3f) | 0x40;
        reset.set(token, reset.length - 16);
        this.front.send(reset, rinfo.port, rinfo.address);
        this.resets++;
      }
      return;
    }
    if (msg.length > (this.opts.mtu ?? Infinity)) {
      this.tooLarge++;
      return;
    }
    this.back.send(msg, this.serverPort, '127.0.0.1');
  }

  private fromServerDatagram(msg: Buffer): void {
    const client = this.client;
    if (client === null || this.resetting) return;
    if (msg.length > (this.opts.mtu ?? Infinity)) {
      this.tooLarge++;
      return;
    }
    this.fromServer += msg.length;
    const send = (): void => {
      if (!this.closed) this.front.send(msg, client.port, client.address);
    };
    if (this.opts.delayMs === undefined) send();
    else setTimeout(send, this.opts.delayMs);
  }
}
