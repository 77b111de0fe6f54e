/**
 * A client endpoint: one UDP socket and one engine that many client connections share (quinn's
 * `Endpoint`, the `endpoint` option of Node's own QUIC API).
 *
 *   const endpoint = createClientEndpoint();
 *   const a = connect('https://a.example:4433', { alpn: ['h3'], endpoint });
 *   const b = connect('https://b.example:4433', { alpn: ['h3'], endpoint });
 *   ...
 *   await endpoint.close();
 *
 * Without `endpoint`, connect() gives each connection its own socket and engine, which costs a
 * handful of system calls and objects per connection and a separate send per connection in each
 * turn of the event loop; on one endpoint, everything its connections send in a turn leaves in
 * one batch (sendmmsg) and a burst from several servers is read at once.
 *
 * The socket binds on the first connect(), to the wildcard address of that target's family
 * unless `localAddress` says otherwise; a target of the other family then fails to connect
 * (ERR_QUIC_SOCKET). The socket is not connected to any one server, so an unreachable one is
 * found by the handshake's idle timeout, not by an ICMP error (ERR_QUIC_REFUSED comes only with
 * a socket of one's own). Like a server, an endpoint keeps the process alive until close() or
 * unref().
 */
import { EventEmitter } from 'node:events';
import { isIP } from 'node:net';
import type { QlogSink } from '../conn/qlog.js';
import type { CryptoProvider } from '../crypto/provider.js';
import type { EngineConfig } from '../engine/engine.js';
import type { SocketAddress } from '../util/address.js';
import { addressInfo, emitSafely, type AddressInfo, type QuicConnection } from './connection.js';
import { Endpoint } from './endpoint.js';
import { QuicNodeError } from './errors.js';
import type { UdpSocketOptions } from './udp.js';

export interface ClientEndpointOptions {
  /** Local address to bind. Default: the wildcard of the first target's family. */
  localAddress?: string;
  /** Local UDP port. Default 0: any free port. */
  port?: number;
  /** Crypto provider of every connection; default the fastest per primitive on this runtime. */
  crypto?: CryptoProvider;
  /** A qlog sink per connection (by original DCID in hex). */
  qlog?: (traceId: string, role: 'client' | 'server') => QlogSink | undefined;
  /** Key for the stateless reset tokens of the CIDs its connections issue (32 bytes). */
  statelessResetKey?: Uint8Array;
  /** Kernel buffer sizes and the send queue bound of the UDP socket. */
  socket?: UdpSocketOptions;
}

/** The events of a QuicClientEndpoint. */
export interface QuicClientEndpointEvents {
  /** The socket failed (ERR_QUIC_SOCKET); only emitted while someone listens. */
  error: [err: QuicNodeError];
  /** The socket is released (close()). */
  close: [];
}

export class QuicClientEndpoint extends EventEmitter<QuicClientEndpointEvents> {
  private readonly options: ClientEndpointOptions;
  private binding: Promise<Endpoint> | null = null;
  private endpoint: Endpoint | null = null;
  private readonly live = new Set<QuicConnection>();
  /**
   * Connections that have ended for the application while their core waits out its closing or
   * draining period on this socket (RFC 9000 §10.2): close() ends those periods.
   */
  private readonly closingPeriods = new Set<QuicConnection>();
  private closing: Promise<void> | null = null;
  private refed = true;

  constructor(options: ClientEndpointOptions = {}) {
    super();
    const { localAddress, port } = options;
    if (localAddress !== undefined && isIP(localAddress) === 0) {
      throw new TypeError(
        `createClientEndpoint: localAddress must be an IP address, got ${localAddress}`,
      );
    }
    if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
      throw new RangeError(
        `createClientEndpoint: port must be an integer from 0 to 65535, got ${port}`,
      );
    }
    this.options = options;
  }

  /** The socket's local address once bound, else null. */
  get address(): AddressInfo | null {
    const s = this.endpoint?.mainSocket;
    return s ? addressInfo(s.local) : null;
  }

  /** Connections on this endpoint that have not closed yet. */
  get connections(): number {
    return this.live.size;
  }

  /** The crypto provider its connections use, when one was given. @internal */
  get crypto(): CryptoProvider | undefined {
    return this.options.crypto;
  }

  get isClosed(): boolean {
    return this.closing !== null;
  }

  /**
   * The engine and socket for a connection to `remote`, bound on first use. Rejects once the
   * endpoint is closing, and for a target of the other address family than the socket's.
   * @internal
   */
  async endpointFor(remote: SocketAddress): Promise<Endpoint> {
    if (this.closing !== null) {
      throw new QuicNodeError('ERR_QUIC_SOCKET', 'the client endpoint is closed');
    }
    this.binding ??= this.bind(remote);
    const endpoint = await this.binding;
    if (this.closing !== null) {
      throw new QuicNodeError('ERR_QUIC_SOCKET', 'the client endpoint is closed');
    }
    const local = endpoint.mainSocket!.local;
    if (familyOf(local.address) !== familyOf(remote.address)) {
      throw new QuicNodeError(
        'ERR_QUIC_SOCKET',
        `the client endpoint's socket is IPv${familyOf(local.address)}, the server's address ${remote.address} is not`,
      );
    }
    return endpoint;
  }

  /**
   * `conn`, about to start on this endpoint, is tracked until it closes, and its core until its
   * closing period ends. Called in the same turn as the start: a connection closed while the
   * socket bound never emits 'close' again, so it must not be tracked. @internal
   */
  track(conn: QuicConnection): void {
    this.live.add(conn);
    conn.once('close', () => {
      this.live.delete(conn);
      if (conn.state !== 'closing' && conn.state !== 'draining') return;
      this.closingPeriods.add(conn);
      conn.core.once('close', () => this.closingPeriods.delete(conn));
    });
  }

  /**
   * Closes every connection (those established gracefully, as `close()` on each does, the
   * others at once), then releases the socket and emits 'close'. Idempotent.
   */
  close(code?: number, reason = 'endpoint closing'): Promise<void> {
    this.closing ??= (async () => {
      const endpoint = this.binding === null ? null : await this.binding.catch(() => null);
      const all = [...this.live];
      const established = all.filter((c) => c.usable && c.handshakeComplete);
      await Promise.all(established.map((c) => c.close(code, reason)));
      for (const c of [...this.live]) c.destroy();
      // dgram resolves the destination of a send on the next tick: let those closes leave.
      await new Promise((resolve) => setImmediate(resolve));
      // Nothing can reach their closing periods once the socket goes (RFC 9000 §10.2).
      for (const c of [...all, ...this.closingPeriods]) c.endClosingPeriod();
      endpoint?.close();
      this.emit('close');
    })();
    return this.closing;
  }

  /** Lets the process exit while this endpoint's socket and timer are all that is left. */
  unref(): this {
    this.refed = false;
    this.endpoint?.setRef(false);
    return this;
  }

  /** Keeps the process alive while the endpoint is open again (the default). */
  ref(): this {
    this.refed = true;
    this.endpoint?.setRef(true);
    return this;
  }

  private async bind(first: SocketAddress): Promise<Endpoint> {
    const o = this.options;
    const endpoint = new Endpoint(clientEngineConfig(o), o.socket ?? {}, {
      socketError: (err) => {
        if (this.listenerCount('error') === 0) return;
        const error = new QuicNodeError(
          'ERR_QUIC_SOCKET',
          `client endpoint socket: ${err.message}`,
          {
            cause: err,
          },
        );
        emitSafely(this, 'error', error);
      },
    });
    const host = o.localAddress ?? (familyOf(first.address) === 6 ? '::' : '0.0.0.0');
    try {
      await endpoint.addSocket(host, o.port ?? 0);
    } catch (e) {
      endpoint.close();
      throw new QuicNodeError('ERR_QUIC_SOCKET', (e as Error).message, { cause: e });
    }
    if (!this.refed) endpoint.setRef(false);
    this.endpoint = endpoint;
    return endpoint;
  }
}

/** The engine configuration a client's options make: its crypto, qlog and reset key. */
export function clientEngineConfig(
  o: Pick<ClientEndpointOptions, 'crypto' | 'qlog' | 'statelessResetKey'>,
): EngineConfig {
  return {
    ...(o.crypto ? { crypto: o.crypto } : {}),
    ...(o.qlog ? { qlog: o.qlog } : {}),
    ...(o.statelessResetKey ? { statelessResetKey: o.statelessResetKey } : {}),
  };
}

function familyOf(address: string): 4 | 6 {
  return isIP(address) === 6 ? 6 : 4;
}

/** A client endpoint for `connect(target, { endpoint })`; see the module comment. */
export function createClientEndpoint(options: ClientEndpointOptions = {}): QuicClientEndpoint {
  return new QuicClientEndpoint(options);
}
