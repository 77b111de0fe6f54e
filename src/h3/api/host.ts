/**
 * What the HTTP/3 API runs on: a core Connection, or a host's connection that holds one, such as
 * tsquic/node's QuicConnection. The host is described by its shape, so src/h3 stays independent
 * of the Node adapter (and of Node): a client connection of the adapter exists before its core
 * connection does (the host name resolves and the socket binds first), so HTTP/3 waits for the
 * core itself; and the host lends its clock and a timer for HTTP/3's own deadlines.
 */
import { Connection } from '../../conn/connection.js';

/** A host's clock and timer (tsquic/node: the adapter's monotonic clock and node:timers). */
export interface H3HostTimers {
  /** The host's monotonic clock, µs (the clock of its `handleTimeout(now)` calls). */
  now(): number;
  /**
   * Calls `tick` every `ms` milliseconds until the returned function is called. The timer must
   * not keep the process alive by itself.
   */
  repeat(ms: number, tick: () => void): () => void;
}

/** Something that reads once the host says so (the end of a burst of received packets). */
export interface H3BurstReader {
  readBeforeFlush(): void;
}

/** A host's connection: the core connection once it exists, and the host's timers. */
export interface H3HostConnection {
  /** The core connection, or null while the host still sets it up. */
  readonly coreIfStarted: Connection | null;
  /** Resolves with the core connection once it exists; rejects when setting it up failed. */
  whenStarted(): Promise<Connection>;
  readonly timers: H3HostTimers;
  /**
   * Optional: calls `reader.readBeforeFlush()` once the burst of packets being received is
   * processed, before the host sends again. HTTP/3 then reads what a burst brought to its
   * streams at once (one body chunk per burst) instead of once per packet.
   */
  readSoon?(reader: H3BurstReader): void;
}

/** A core Connection, or a host's connection (tsquic/node's QuicConnection). */
export type H3ConnectionInput = Connection | H3HostConnection;

/** The host of `conn`, or null for a core Connection. */
export function hostOf(conn: H3ConnectionInput): H3HostConnection | null {
  if (conn instanceof Connection) return null;
  if (typeof (conn as Partial<H3HostConnection>).whenStarted !== 'function') {
    throw new TypeError('expected a tsquic Connection or a tsquic/node QuicConnection');
  }
  return conn;
}
