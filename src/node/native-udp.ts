/**
 * The native backend's UDP socket (native/tsquic_udp.c, Linux): the same DatagramSocket as
 * udp.ts, with batches per system call each way and ECN.
 *
 * Send: datagrams given to `send`/`sendBatch` wait until `flushSends()` (the endpoint calls it once
 * after each engine flush), then leave in one sendmmsg; a batch (N datagrams of one size to one
 * destination, the last may be shorter: the GSO shape) is one message the kernel splits
 * (UDP_SEGMENT). When the kernel buffer is full (EAGAIN) the rest waits, bounded like udp.ts's
 * queue, for the socket to become writable. Other send errors (EMSGSIZE, ECONNREFUSED) reach
 * the error handler, as node:dgram's send callback reports them, and the rest goes on.
 *
 * Receive: one call per recvmmsg with up to 16 messages; a GRO message (many datagrams of one
 * size from one sender) is cut into views of the receive buffer, no copy. The buffer is reused
 * after the handler returns, which the engine allows (Engine.handleDatagram copies what it
 * keeps). Each message's ECN codepoint (IP_RECVTOS / IPV6_RECVTCLASS) goes with it.
 */
import { createRequire } from 'node:module';
import { nativeAddonPath } from '../crypto/native-provider.js';
import { sameAddress, type SocketAddress } from '../util/address.js';
import { QuicNodeError } from './errors.js';
import {
  DEFAULT_MAX_QUEUED_SENDS,
  DEFAULT_SOCKET_BUFFER,
  familyOf,
  type DatagramSocket,
  type UdpHandlers,
  type UdpSocketOptions,
} from './udp.js';

/** An opaque handle to a socket of the addon. */
type UdpHandle = { readonly __nativeUdp: unique symbol };

/** The socket functions of native/tsquic_udp.c. */
export interface NativeUdpAddon {
  readonly udpRecvMessages: number;
  readonly udpRecvSlot: number;
  udpOpen(
    family: 4 | 6,
    host: string,
    port: number,
    recvBufferSize: number,
    sendBufferSize: number,
    ipv6Only: boolean,
    recvBuffer: Uint8Array,
    recvMeta: Int32Array,
    state: Int32Array,
    onRecv: (count: number, hosts: (string | undefined)[] | undefined) => void,
    onWritable: () => void,
    onError: (errno: number) => void,
    fd?: number,
  ): [UdpHandle, string, number, boolean, boolean];
  udpReusePortGroup(
    family: 4 | 6,
    host: string,
    port: number,
    count: number,
    recvBufferSize: number,
    sendBufferSize: number,
    ipv6Only: boolean,
  ): [number[], string, number];
  udpSteer(fd: number, program: Uint8Array): void;
  udpGroupClose(fd: number): void;
  udpSend(
    h: UdpHandle,
    bufs: Uint8Array[],
    meta: Int32Array,
    hosts: string[],
    count: number,
  ): number;
  udpWantWritable(h: UdpHandle): void;
  udpConnect(h: UdpHandle, host: string, port: number): void;
  udpDisconnect(h: UdpHandle): void;
  udpRef(h: UdpHandle, ref: boolean): void;
  udpClose(h: UdpHandle): void;
  udpErrorName(errno: number): string;
}

/** Fields per message of the receive meta (native/tsquic_udp.c RECV_FIELDS). */
const RECV_FIELDS = 6;
/** Fields per message of the send meta (SEND_FIELDS). */
const SEND_FIELDS = 3;
/** Messages per udpSend call (a flush larger than this makes several calls). */
const SEND_CHUNK = 256;
const EAGAIN = 11;
const ENOBUFS = 105;

let addon: NativeUdpAddon | null | undefined;

/** The addon's socket functions, or null when the addon is not built or not loadable. */
export function nativeUdpAddon(): NativeUdpAddon | null {
  if (addon !== undefined) return addon;
  addon = null;
  const file = nativeAddonPath();
  if (process.platform !== 'linux' || file === null) return null;
  try {
    const a = createRequire(import.meta.url)(file) as Partial<NativeUdpAddon>;
    if (typeof a.udpOpen === 'function') addon = a as NativeUdpAddon;
  } catch {
    // Not loadable: the backend module reports why; dgram runs.
  }
  return addon;
}

/**
 * The receive buffer (1 MiB: 16 GRO slots of 64 KiB) and its meta, one per thread, shared by
 * every socket of the thread. A socket's onRecv consumes the bytes before it returns (the engine
 * copies what it keeps), and the event loop runs one socket's read at a time, so sharing is safe;
 * a buffer per socket cost a client 1 MiB of zeroed memory, and the garbage collections it
 * triggered, per connection.
 */
let recvShared: { buffer: Uint8Array; meta: Int32Array } | null = null;

function recvArea(a: NativeUdpAddon): { buffer: Uint8Array; meta: Int32Array } {
  recvShared ??= {
    buffer: new Uint8Array(a.udpRecvMessages * a.udpRecvSlot),
    meta: new Int32Array(a.udpRecvMessages * RECV_FIELDS),
  };
  return recvShared;
}

/**
 * The arrays a flush hands to udpSend, one set per thread like the receive area (per socket they
 * cost every client connection a 3 KiB allocation). flushSends fills them just before each
 * udpSend call, so a flush of another socket that an error handler runs in between changes
 * nothing for it; the entries are cleared when it returns, not to pin the sent buffers.
 */
let sendShared: { bufs: Uint8Array[]; hosts: string[]; meta: Int32Array } | null = null;

function sendArea(): { bufs: Uint8Array[]; hosts: string[]; meta: Int32Array } {
  sendShared ??= { bufs: [], hosts: [], meta: new Int32Array(SEND_CHUNK * SEND_FIELDS) };
  return sendShared;
}

/** One message waiting in the send queue. */
interface PendingSend {
  data: Uint8Array;
  segmentSize: number;
  remote: SocketAddress;
  ecn: number;
}

export class NativeUdpSocket implements DatagramSocket {
  readonly family: 4 | 6;
  local: SocketAddress = { address: '', port: 0 };
  dropped = 0;
  /** The kernel splits batches (UDP_SEGMENT) / coalesces received datagrams (UDP_GRO). */
  gso = false;
  gro = false;
  /** Datagrams sent and received. */
  datagramsSent = 0;
  datagramsReceived = 0;
  /** Messages received: fewer than datagrams when GRO coalesced some. */
  messagesReceived = 0;
  /** Messages sent (a GSO batch is one) and system calls made for them (udpSend calls). */
  messagesSent = 0;
  sendCalls = 0;
  private readonly handle: UdpHandle;
  private readonly addon: NativeUdpAddon;
  private readonly recvBuffer: Uint8Array;
  private readonly recvMeta: Int32Array;
  private readonly state = new Int32Array(2);
  /** Messages waiting for flushSends() or for the socket to become writable. */
  private queue: PendingSend[] = [];
  /** Datagrams in `queue` (the bound of maxQueuedSends counts datagrams, as udp.ts does). */
  private queuedDatagrams = 0;
  private waitingWritable = false;
  private readonly maxQueued: number;
  private connectedTo: SocketAddress | null = null;
  private closed = false;
  private lastRemote: SocketAddress = { address: '', port: 0 };

  private constructor(
    a: NativeUdpAddon,
    host: string,
    port: number,
    opts: UdpSocketOptions,
    private readonly handlers: UdpHandlers,
    fd?: number,
  ) {
    this.addon = a;
    this.family = familyOf(host);
    this.maxQueued = opts.maxQueuedSends ?? DEFAULT_MAX_QUEUED_SENDS;
    const shared = recvArea(a);
    this.recvBuffer = shared.buffer;
    this.recvMeta = shared.meta;
    const [handle, address, boundPort, gso, gro] = a.udpOpen(
      this.family,
      host,
      port,
      opts.recvBufferSize ?? DEFAULT_SOCKET_BUFFER,
      opts.sendBufferSize ?? DEFAULT_SOCKET_BUFFER,
      opts.ipv6Only === true,
      this.recvBuffer,
      this.recvMeta,
      this.state,
      this.onRecv,
      this.onWritable,
      this.onError,
      fd,
    );
    this.handle = handle;
    this.local = { address, port: boundPort };
    this.gso = gso;
    this.gro = gro;
  }

  /** Creates a socket bound to `host:port` (port 0: any free port); `a`: the addon (tests). */
  static bind(
    host: string,
    port: number,
    opts: UdpSocketOptions,
    handlers: UdpHandlers,
    a: NativeUdpAddon | null = nativeUdpAddon(),
  ): Promise<NativeUdpSocket> {
    if (a === null) {
      return Promise.reject(
        new QuicNodeError('ERR_QUIC_SOCKET', 'the native UDP socket is not available'),
      );
    }
    try {
      return Promise.resolve(new NativeUdpSocket(a, host, port, opts, handlers));
    } catch (err) {
      const code = (err as { code?: string }).code;
      const why = code === 'EADDRINUSE' ? 'address in use' : (err as Error).message;
      return Promise.reject(
        new QuicNodeError('ERR_QUIC_SOCKET', `cannot bind UDP ${host}:${port}: ${why}`, {
          cause: err,
        }),
      );
    }
  }

  /**
   * A socket of a reuseport group (reuseport-group.ts) that another thread of this process
   * opened, `fd`, bound at `host`: this one reads and sends on it; close() stops reading, the
   * group closes the descriptor.
   */
  static adopt(
    fd: number,
    host: string,
    opts: UdpSocketOptions,
    handlers: UdpHandlers,
    a: NativeUdpAddon | null = nativeUdpAddon(),
  ): NativeUdpSocket {
    if (a === null || typeof a.udpReusePortGroup !== 'function') {
      throw new QuicNodeError('ERR_QUIC_SOCKET', 'the native UDP socket is not available');
    }
    return new NativeUdpSocket(a, host, 0, opts, handlers, fd);
  }

  /** One datagram, sent at the next flushSends(); false when it was dropped. */
  send(data: Uint8Array, remote: SocketAddress, ecn = 0): boolean {
    return this.sendBatch(data, data.length, remote, ecn);
  }

  /**
   * `data` holds datagrams of `segmentSize` bytes (the last may be shorter) for `remote`, sent
   * at the next flushSends() marked with the ECN codepoint `ecn`. The bytes must stay unchanged until
   * they are sent (the engine never writes a datagram it handed out again). False: dropped.
   */
  sendBatch(data: Uint8Array, segmentSize: number, remote: SocketAddress, ecn = 0): boolean {
    const count = Math.max(1, Math.ceil(data.length / segmentSize));
    if (this.closed || this.queuedDatagrams + count > this.maxQueued) {
      this.dropped += count;
      return false;
    }
    if (this.connectedTo !== null && !sameAddress(this.connectedTo, remote)) {
      // A connected socket only talks to its peer: a probe towards a server's preferred address
      // (RFC 9000 §9.6) needs it unconnected (see udp.ts).
      try {
        this.addon.udpDisconnect(this.handle);
      } catch {
        this.dropped += count;
        return false;
      }
      this.connectedTo = null;
    }
    this.queue.push({ data, segmentSize, remote, ecn });
    this.queuedDatagrams += count;
    return true;
  }

  /** Sends copy the bytes into the kernel: only what waits in the queue is still referenced. */
  holdsSends(): boolean {
    return this.queue.length > 0;
  }

  /** Sends what is queued, unless the socket waits to become writable. */
  flushSends(): void {
    if (this.closed || this.waitingWritable || this.queue.length === 0) return;
    const q = this.queue;
    const { bufs, hosts, meta } = sendArea();
    let i = 0;
    while (i < q.length) {
      const n = Math.min(SEND_CHUNK, q.length - i);
      bufs.length = n;
      hosts.length = n;
      for (let k = 0; k < n; k++) {
        const p = q[i + k]!;
        bufs[k] = p.data;
        hosts[k] = p.remote.address;
        meta[k * SEND_FIELDS] = p.remote.port;
        meta[k * SEND_FIELDS + 1] = p.segmentSize;
        meta[k * SEND_FIELDS + 2] = p.ecn;
      }
      const sent = this.addon.udpSend(this.handle, bufs, meta, hosts, n);
      this.sendCalls++;
      this.messagesSent += sent;
      for (let k = 0; k < sent; k++) this.countSent(q[i + k]!);
      i += sent;
      if (sent === n) continue;
      // Message i failed after `done` of its datagrams left.
      const p = q[i]!;
      const errno = this.state[0]!;
      const done = this.state[1]!;
      if (done > 0) {
        p.data = p.data.subarray(done * p.segmentSize);
        this.datagramsSent += done;
        this.queuedDatagrams -= done;
      }
      if (errno === EAGAIN || errno === ENOBUFS) {
        // The kernel buffer is full: the rest waits for room (udp.ts: libuv's queue).
        this.waitingWritable = true;
        this.addon.udpWantWritable(this.handle);
        break;
      }
      // This datagram is lost (as a NIC would lose it); the error is reported, the rest goes.
      const skipped = p.data.subarray(Math.min(p.data.length, p.segmentSize));
      this.dropped++;
      this.queuedDatagrams--;
      if (skipped.length > 0) p.data = skipped;
      else i++;
      this.reportError(errno);
      if (this.closed) return;
    }
    this.queue = i === q.length ? [] : q.slice(i);
    if (i === q.length) this.queuedDatagrams = 0;
    bufs.length = 0; // the entries would pin the sent buffers
  }

  private countSent(p: PendingSend): void {
    const n = Math.max(1, Math.ceil(p.data.length / p.segmentSize));
    this.datagramsSent += n;
    this.queuedDatagrams -= n;
  }

  private readonly onWritable = (): void => {
    this.waitingWritable = false;
    this.flushSends();
  };

  private readonly onError = (errno: number): void => {
    this.reportError(errno);
  };

  private reportError(errno: number): void {
    const code = this.addon.udpErrorName(errno);
    const err = Object.assign(new Error(`UDP socket error ${code}`), { code, errno: -errno });
    this.handlers.error(err, this);
  }

  private readonly onRecv = (count: number, hosts: (string | undefined)[] | undefined): void => {
    const meta = this.recvMeta;
    const buf = this.recvBuffer;
    for (let i = 0; i < count && !this.closed; i++) {
      const m = i * RECV_FIELDS;
      const offset = meta[m]!;
      const length = meta[m + 1]!;
      const segment = meta[m + 2]!;
      const ecn = meta[m + 3]!;
      const port = meta[m + 4]!;
      const host = hosts?.[i];
      // The sender of the previous message: a burst from one peer shares one address object.
      if (host !== undefined) this.lastRemote = { address: host, port };
      const remote = this.lastRemote;
      this.messagesReceived++;
      if (segment >= length) {
        this.datagramsReceived++;
        this.handlers.message(buf.subarray(offset, offset + length), remote, this, ecn);
        continue;
      }
      // RFC 9000 §14: each datagram of a GRO message is its own UDP datagram.
      const end = offset + length;
      for (let p = offset; p < end && !this.closed; p += segment) {
        this.datagramsReceived++;
        this.handlers.message(buf.subarray(p, Math.min(p + segment, end)), remote, this, ecn);
      }
    }
    // The addon reads again in this wake-up only after a full recvmmsg.
    if (!this.closed) this.handlers.burstEnd?.(this, count < this.addon.udpRecvMessages);
  };

  /** Talks only to `remote` from now on: ICMP port unreachable comes back as ECONNREFUSED. */
  connect(remote: SocketAddress): Promise<void> {
    try {
      this.addon.udpConnect(this.handle, remote.address, remote.port);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    this.connectedTo = remote;
    return Promise.resolve();
  }

  ref(): void {
    if (!this.closed) this.addon.udpRef(this.handle, true);
  }

  unref(): void {
    if (!this.closed) this.addon.udpRef(this.handle, false);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Sends what is queued (a CONNECTION_CLOSE flushed just before), then closes. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.flushSends();
    this.closed = true;
    this.queue = [];
    this.queuedDatagrams = 0;
    this.addon.udpClose(this.handle);
  }
}
