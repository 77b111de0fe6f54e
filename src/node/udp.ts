/**
 * One UDP socket (node:dgram) for an endpoint: bound with large kernel buffers, sending without
 * per-datagram closures, and a bound on sends queued behind a full kernel buffer.
 *
 * Node 20's dgram makes one syscall per datagram and libuv reads at most 32 datagrams per
 * wake-up; the default receive buffer holds about 92 datagrams of 1200 bytes, so a burst from a
 * fast peer overflows it. 4 MiB each way is asked for (the kernel caps it at rmem_max/wmem_max).
 *
 * `socket.send` is asynchronous: when the kernel buffer is full, libuv queues the datagram. The
 * queue is bounded: past `maxQueuedSends` a datagram is dropped, as a full NIC queue would drop
 * it, and QUIC loss recovery (RFC 9002) slows the sender down.
 */
import dgram from 'node:dgram';
import { sameAddress, type SocketAddress } from '../util/address.js';
import { QuicNodeError } from './errors.js';

export const DEFAULT_SOCKET_BUFFER = 4 * 1024 * 1024;
export const DEFAULT_MAX_QUEUED_SENDS = 4096;

export interface UdpSocketOptions {
  /** Kernel receive buffer to ask for, bytes. Default 4 MiB. */
  recvBufferSize?: number;
  /** Kernel send buffer to ask for, bytes. Default 4 MiB. */
  sendBufferSize?: number;
  /** Sends waiting for the kernel before new ones are dropped. Default 4096. */
  maxQueuedSends?: number;
  /** For an IPv6 socket bound to `::`, refuse IPv4-mapped traffic. Default false (dual stack). */
  ipv6Only?: boolean;
}

export interface UdpHandlers {
  /** A datagram arrived, with its IP ECN codepoint when the socket reads it (native-udp.ts). */
  message(data: Uint8Array, remote: SocketAddress, socket: DatagramSocket, ecn?: number): void;
  error(err: Error & { code?: string }, socket: DatagramSocket): void;
  /**
   * The socket held sends (holdsSends) and has just completed the last of them, after the flush
   * that handed them over: a socket that sends asynchronously (node:dgram) says so here.
   */
  sendsDone?(socket: DatagramSocket): void;
  /**
   * The datagrams read at once (one recvmmsg, one batch from the router thread) have all been
   * handed to `message`: a socket that reads in bursts says so here. `last`: no other burst
   * follows in this wake-up (the recvmmsg was not full).
   */
  burstEnd?(socket: DatagramSocket, last: boolean): void;
}

/**
 * What an endpoint needs of a socket: a node:dgram socket (UdpSocket), or the message port of a
 * worker thread whose datagrams a router thread receives and sends (worker-socket.ts).
 */
export interface DatagramSocket {
  readonly local: SocketAddress;
  /** Datagrams dropped on send because the socket's queue was full. */
  readonly dropped: number;
  send(data: Uint8Array, remote: SocketAddress): boolean;
  /**
   * Queues `data`, datagrams of `segmentSize` bytes (the last may be shorter) for `remote`
   * marked with the ECN codepoint `ecn`, until flushSends(); sockets without it take single sends.
   */
  sendBatch?(data: Uint8Array, segmentSize: number, remote: SocketAddress, ecn?: number): boolean;
  /** Sends what sendBatch queued (the endpoint calls it after each engine flush). */
  flushSends?(): void;
  /**
   * Whether the socket still references bytes it was given to send (queued, or handed to the
   * OS asynchronously). When no socket does, the endpoint lets the engine write that memory
   * again (Engine.releaseTransmits). Required: a socket that could not say would leave the
   * engine allocating as many bytes as it sends (a worker's sockets did, issue 14).
   */
  holdsSends(): boolean;
  /** Talks only to `remote` from now on (a client's socket: ICMP errors reach it). */
  connect(remote: SocketAddress): Promise<void>;
  ref(): void;
  unref(): void;
  close(): void;
}

/** Binds a socket at host:port that reports to `handlers` (UdpSocket.bind is one). */
export type SocketBinder = (
  host: string,
  port: number,
  opts: UdpSocketOptions,
  handlers: UdpHandlers,
) => Promise<DatagramSocket>;

/** The address family a host literal belongs to. */
export function familyOf(address: string): 4 | 6 {
  return address.includes(':') ? 6 : 4;
}

export class UdpSocket implements DatagramSocket {
  readonly socket: dgram.Socket;
  readonly family: 4 | 6;
  /** The bound local address (as the engine sees it: host literal and port). */
  local: SocketAddress = { address: '', port: 0 };
  /** Datagrams dropped because the send queue was full. */
  dropped = 0;
  /** Sends handed to dgram whose completion has not been reported yet. */
  private pending = 0;
  private readonly maxPending: number;
  /**
   * The one peer of a connected socket (a client's), or null. It stays connected: on Linux,
   * disconnecting a socket bound to port 0 releases its port, and the next send would pick a new
   * one (a spurious NAT rebinding for the server).
   */
  private connectedTo: SocketAddress | null = null;
  private closed = false;
  private readonly onSent = (err: Error | null): void => {
    this.pending--;
    // A connected socket reports ICMP port unreachable on whichever call comes next: a receive
    // (an 'error' event) or, when a flight is several datagrams (a post-quantum ClientHello),
    // the next send, whose error only reaches this callback.
    if (err) this.handlers.error(err, this);
    if (this.pending > 0) return;
    // The error handler may have closed this socket already (close() with nothing pending).
    if (this.closed) this.release();
    // dgram sends on the next tick at the earliest, so the endpoint's flush always ends with
    // sends pending: this is where the engine hears that their memory is free again.
    else this.handlers.sendsDone?.(this);
  };
  /** Whether the dgram socket itself was closed (once: a second close throws). */
  private released = false;

  private constructor(
    family: 4 | 6,
    opts: UdpSocketOptions,
    private readonly handlers: UdpHandlers,
  ) {
    this.family = family;
    this.maxPending = opts.maxQueuedSends ?? DEFAULT_MAX_QUEUED_SENDS;
    this.socket = dgram.createSocket({
      type: family === 6 ? 'udp6' : 'udp4',
      recvBufferSize: opts.recvBufferSize ?? DEFAULT_SOCKET_BUFFER,
      sendBufferSize: opts.sendBufferSize ?? DEFAULT_SOCKET_BUFFER,
      ...(family === 6 && opts.ipv6Only === true ? { ipv6Only: true } : {}),
    });
    // The sender of the previous datagram: a burst from one peer shares one address object
    // (the engine only compares addresses by value and never changes them).
    let lastRemote: SocketAddress = { address: '', port: 0 };
    this.socket.on('message', (msg, rinfo) => {
      // A plain Uint8Array view of the Buffer: the core copies with slice(), which on a Buffer
      // returns a view of the same bytes (and packets are decrypted in place).
      const data = new Uint8Array(msg.buffer, msg.byteOffset, msg.length);
      if (rinfo.port !== lastRemote.port || rinfo.address !== lastRemote.address) {
        lastRemote = { address: rinfo.address, port: rinfo.port };
      }
      handlers.message(data, lastRemote, this);
    });
    this.socket.on('error', (err) => handlers.error(err, this));
  }

  /** Creates a socket bound to `host:port` (port 0: any free port). */
  static bind(
    host: string,
    port: number,
    opts: UdpSocketOptions,
    handlers: UdpHandlers,
  ): Promise<UdpSocket> {
    const s = new UdpSocket(familyOf(host), opts, handlers);
    return new Promise((resolve, reject) => {
      const onError = (err: Error & { code?: string }): void => {
        s.closed = true;
        s.socket.close();
        const why = err.code === 'EADDRINUSE' ? 'address in use' : err.message;
        reject(
          new QuicNodeError('ERR_QUIC_SOCKET', `cannot bind UDP ${host}:${port}: ${why}`, {
            cause: err,
          }),
        );
      };
      s.socket.once('error', onError);
      s.socket.bind(port, host, () => {
        s.socket.off('error', onError);
        const a = s.socket.address();
        s.local = { address: a.address, port: a.port };
        resolve(s);
      });
    });
  }

  /** dgram references a datagram until its send completes (onSent). */
  holdsSends(): boolean {
    return this.pending > 0;
  }

  /** Sends one datagram; false when it was dropped (queue full or socket closed). */
  send(data: Uint8Array, remote: SocketAddress): boolean {
    if (this.closed || this.pending >= this.maxPending) {
      this.dropped++;
      return false;
    }
    this.pending++;
    if (this.connectedTo !== null && !sameAddress(this.connectedTo, remote)) {
      // A connected socket only talks to (and hears from) its peer: a probe towards a server's
      // preferred address (RFC 9000 §9.6) needs it unconnected. The connection was only for
      // hearing ICMP port unreachable during the handshake, which is over by then.
      this.socket.disconnect();
      this.connectedTo = null;
    }
    if (this.connectedTo !== null) {
      this.socket.send(data, this.onSent);
    } else {
      this.socket.send(data, remote.port, remote.address, this.onSent);
    }
    return true;
  }

  /**
   * Connects the socket to one peer, so the kernel reports ICMP port unreachable as
   * ECONNREFUSED (an unconnected UDP socket never hears about it).
   */
  connect(remote: SocketAddress): Promise<void> {
    return new Promise((resolve) => {
      this.socket.connect(remote.port, remote.address, () => {
        this.connectedTo = remote;
        resolve();
      });
    });
  }

  ref(): void {
    if (!this.closed) this.socket.ref();
  }

  unref(): void {
    if (!this.closed) this.socket.unref();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Closes the socket: nothing more is sent or received, but sends already handed to dgram (a
   * CONNECTION_CLOSE flushed just before) still leave; dgram resolves their destination on the
   * next tick, so the socket itself closes when the last one completes. Idempotent.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.pending === 0) this.release();
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    this.socket.close();
  }
}
