/**
 * What a stream reports to its owner (the stream map): generic over the stream type so that the
 * stream's two halves (send-side.ts, recv-side.ts) report without importing stream.ts, which
 * imports them.
 */
/** What a stream reports to whoever owns it. Called synchronously, after the state changed. */
/** What the halves of a stream know of it. */
export interface StreamRef {
  readonly id: number;
}

export interface StreamOwnerOf<S = StreamRef> {
  /** The stream may have new data or control frames to send. */
  onStreamSendable(stream: S): void;
  /** `read()` went from returning null to returning data or the end of the stream. */
  onStreamReadable(stream: S): void;
  /** A `write()` that was cut short can now accept bytes again. */
  onStreamWritable(stream: S): void;
  /** The peer reset the receiving part (RESET_STREAM); buffered data was dropped. */
  onStreamReset(stream: S, errorCode: number): void;
  /** The peer asked us to stop sending (STOP_SENDING); the stream answered with RESET_STREAM. */
  onStreamStopSending(stream: S, errorCode: number): void;
  /** Both parts reached a terminal state; the stream will never change again. */
  onStreamClosed(stream: S): void;
  /**
   * Every byte written so far is acknowledged while the sending part stays open, on a stream
   * that asked for it (`Stream.reportAcks()`).
   */
  onStreamAcked(stream: S): void;
  /** `setPriority()` changed the urgency or the incremental flag. */
  onStreamPriorityChanged(stream: S): void;
  /**
   * The highest received offset grew by `bytes`. Connection flow control (RFC 9000 §4.1): throws
   * QuicError FLOW_CONTROL_ERROR past the connection limit.
   */
  onStreamDataReceived(stream: S, bytes: number): void;
  /** `bytes` were read by the application or discarded: connection credit to return. */
  onStreamDataConsumed(stream: S, bytes: number): void;
}
