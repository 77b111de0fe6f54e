/** Shared helpers for the stream tests: a recording owner and frame pumps. */
import {
  Stream,
  StreamChunk,
  type StreamLimits,
  type StreamOwner,
} from '../../src/stream/stream.js';
import type { StreamControlFrame } from '../../src/stream/frame-size.js';
import { QuicError } from '../../src/wire/errors.js';

export class RecordingOwner implements StreamOwner {
  readonly events: string[] = [];
  sendable = 0;
  received = 0;
  consumed = 0;
  /** Connection limit enforced by onStreamDataReceived. */
  connLimit = Number.MAX_SAFE_INTEGER;
  /** Called inside onStreamReset, to observe the state at signal time. */
  onReset: ((s: Stream) => void) | null = null;

  onStreamSendable(): void {
    this.sendable++;
  }
  onStreamReadable(s: Stream): void {
    this.events.push(`readable ${s.id}`);
  }
  onStreamWritable(s: Stream): void {
    this.events.push(`writable ${s.id}`);
  }
  onStreamReset(s: Stream, code: number): void {
    this.onReset?.(s);
    this.events.push(`reset ${s.id} ${code}`);
  }
  onStreamStopSending(s: Stream, code: number): void {
    this.events.push(`stop ${s.id} ${code}`);
  }
  onStreamClosed(s: Stream): void {
    this.events.push(`closed ${s.id}`);
  }
  onStreamAcked(s: Stream): void {
    this.events.push(`acked ${s.id}`);
  }
  onStreamPriorityChanged(s: Stream): void {
    this.events.push(`priority ${s.id}`);
  }
  onStreamDataReceived(_s: Stream, n: number): void {
    if (this.received + n > this.connLimit) throw new QuicError(3, 'connection limit');
    this.received += n;
  }
  onStreamDataConsumed(_s: Stream, n: number): void {
    this.consumed += n;
  }
  take(): string[] {
    return this.events.splice(0);
  }
}

export const LIMITS: StreamLimits = {
  sendCredit: 1 << 20,
  sendBufferLimit: 1 << 20,
  recvWindow: 1 << 20,
  maxRecvWindow: 1 << 22,
};

export interface SentChunk {
  offset: number;
  length: number;
  fin: boolean;
  data: Uint8Array;
}

/** Polls every STREAM frame the stream will produce now. */
export function drainData(
  s: Stream,
  maxFrameBytes = 1200,
  connAvailable = Number.MAX_SAFE_INTEGER,
): SentChunk[] {
  const out: SentChunk[] = [];
  const chunk = new StreamChunk();
  while (s.pollStreamData(maxFrameBytes, connAvailable, chunk)) {
    const data = new Uint8Array(chunk.length);
    s.copyOut(chunk.offset, chunk.length, data, 0);
    out.push({ offset: chunk.offset, length: chunk.length, fin: chunk.fin, data });
    connAvailable -= chunk.newBytes;
  }
  return out;
}

/** Polls every control frame the stream will produce now. */
export function drainControl(s: Stream, now = 0, rtt = 0): StreamControlFrame[] {
  const out: StreamControlFrame[] = [];
  for (
    let f = s.pollControlFrame(1000, now, rtt);
    f !== null;
    f = s.pollControlFrame(1000, now, rtt)
  ) {
    out.push(f);
  }
  return out;
}

export function quicError(code: number): (e: unknown) => boolean {
  return (e) => e instanceof QuicError && e.code === code;
}

export function bytes(n: number, seed = 1): Uint8Array {
  return new Uint8Array(n).map((_, i) => (i * 31 + seed) & 0xff);
}
