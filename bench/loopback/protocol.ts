/**
 * The loopback benchmark's application protocol and the messages between the orchestrator
 * (bench/loopback.ts) and its two child processes (server-process.ts, client-process.ts).
 *
 * On each bidirectional stream the client sends a 9-byte request header, an optional body and
 * FIN: op 'D' asks for `size` bytes back; op 'U' announces a body of `size` bytes, answered with
 * the 8-byte count of body bytes received. The server answers after the client's FIN.
 */
import { fileURLToPath } from 'node:url';
import type { WorkerServerStats } from '../../src/node/workers.js';

export const OP_DOWNLOAD = 0x44; // 'D'
export const OP_UPLOAD = 0x55; // 'U'
export const HEADER_LENGTH = 9;
export const ALPN = 'tsquic-bench';

export function encodeRequest(op: number, size: number): Buffer {
  const b = Buffer.alloc(HEADER_LENGTH);
  b[0] = op;
  b.writeBigUInt64BE(BigInt(size), 1);
  return b;
}

export function decodeSize(b: Buffer, offset: number): number {
  return Number(b.readBigUInt64BE(offset));
}

/** Orchestrator -> server. */
export type ServerCommand =
  /** `workers`: a multi-worker server with that many worker threads; else one server. */
  | { type: 'start'; certPem: string; keyPem: string; workers?: number }
  | { type: 'cpu' }
  /** A multi-worker server's getStats() (per-worker busy time, datagrams routed). */
  | { type: 'stats' }
  | { type: 'stop' };

/** Server -> orchestrator. */
export type ServerReply =
  | { type: 'listening'; port: number }
  | { type: 'cpu'; seconds: number }
  | { type: 'stats'; stats: WorkerServerStats | null }
  | { type: 'error'; message: string };

/** Orchestrator -> client: one measurement. */
export type ClientTask =
  /** `connections` connections in parallel, each downloading `bytes / connections`. */
  | { type: 'download'; port: number; bytes: number; connections: number }
  | { type: 'upload'; port: number; bytes: number }
  /**
   * Handshakes for `durationMs`, `concurrency` at a time: connect, wait for the handshake,
   * close at once. `alpn` lets the same client load another server (h3 for ngtcp2's).
   */
  | {
      type: 'handshakes';
      port: number;
      alpn: string;
      concurrency: number;
      durationMs: number;
      /**
       * With a size: after the handshake, one request for that many bytes on a stream (the
       * server's 'D' op), then a graceful close, instead of closing at once.
       */
      getBytes?: number;
      /** Key exchange groups of the client (default the library's: hybrid ML-KEM first). */
      groups?: string[];
      /** All connections on one client endpoint (createClientEndpoint), not a socket each. */
      sharedEndpoint?: boolean;
    }
  /** Requests of `size` response bytes on one connection for `durationMs`, `concurrency` at a time. */
  | { type: 'requests'; port: number; size: number; concurrency: number; durationMs: number }
  | { type: 'stop' };

export interface ClientResult {
  type: 'result';
  /** Wall time of the task, from the first connect to the last byte or handshake. */
  wallMs: number;
  /** Payload bytes moved (downloads, uploads). */
  bytes: number;
  /** Completed handshakes or requests. */
  count: number;
  /** Failed attempts (handshakes that did not complete). */
  failures: number;
  /** CPU time of the client process during the task. */
  cpuSeconds: number;
  /** What went wrong, when the task failed as a whole. */
  error?: string;
}

/** A sibling module of the caller in the same tree (TypeScript sources or the compiled dist). */
export function siblingModule(base: string, name: string): string {
  return fileURLToPath(new URL(`${name}${base.endsWith('.ts') ? '.ts' : '.js'}`, base));
}

/** CPU time of this process, seconds. */
export function processCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
