/**
 * How the stream layer's events reach the connection: re-emitted as connection events, and
 * pending frames wake the connection. One small object per connection, its methods on the
 * prototype rather than a closure per event.
 */
import type { StreamMapEvents } from '../stream/stream-map.js';
import type { Stream } from '../stream/stream.js';
import type { ConnectionEvents } from './events.js';

/** The connection as the stream events see it. */
export interface StreamEventTarget {
  emit<K extends keyof ConnectionEvents>(event: K, ...args: Parameters<ConnectionEvents[K]>): void;
  /** New work for the sender. */
  wake(): void;
}

export class ConnectionStreamEvents implements StreamMapEvents {
  constructor(private readonly conn: StreamEventTarget) {}

  onStreamOpened(s: Stream): void {
    this.conn.emit('stream', s);
  }

  onStreamReadable(s: Stream): void {
    this.conn.emit('readable', s);
  }

  onStreamWritable(s: Stream): void {
    this.conn.emit('writable', s);
  }

  onStreamReset(s: Stream, code: number): void {
    this.conn.emit('streamReset', s, code);
  }

  onStreamStopSending(s: Stream, code: number): void {
    this.conn.emit('stopSending', s, code);
  }

  onStreamClosed(s: Stream): void {
    this.conn.emit('streamClosed', s);
  }

  onStreamAcked(s: Stream): void {
    this.conn.emit('streamAcked', s);
  }

  onStreamsAvailable(bidi: boolean): void {
    this.conn.emit('streamsAvailable', bidi);
  }

  onSendPending(): void {
    this.conn.wake();
  }
}
