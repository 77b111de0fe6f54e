/**
 * Message bodies of the public HTTP/3 API. A received body is an async iterable of chunks that
 * are handed on as they arrive, never gathered whole unless asked (bytes(), text()); past a
 * high-water mark the request stream stops reading from QUIC, so a slow consumer holds the
 * sender back with flow control instead of growing a buffer. Bodies to send are byte arrays,
 * strings (UTF-8) or async iterables of either.
 */
import { concatBytes, fromUtf8, utf8 } from '../../util/bytes.js';

/** A body to send. */
export type H3BodyInit = Uint8Array | string | AsyncIterable<Uint8Array | string>;

/** Default bytes a received body buffers before reading pauses. */
export const DEFAULT_BODY_HIGH_WATER_MARK = 256 * 1024;

/** Default bytes all received bodies of one connection buffer together before reading pauses. */
export const DEFAULT_MAX_BUFFERED_BODY_BYTES = 1024 * 1024;

/**
 * The bytes all received bodies of one connection hold, against a cap (docs/ARCHITECTURE.md §7.8: a buffer
 * a peer can grow turns into flow control). At the cap every body stops reading from QUIC, so
 * the rest stays under the QUIC stream and connection windows and the peer is held back; below
 * it they read again. A body whose consumer waits on it with nothing buffered reads anyway: its
 * bytes go straight to the consumer, so one body being read always makes progress while others
 * sit unread.
 */
export class BodyBudget {
  /** Bytes buffered by the bodies now. */
  used = 0;
  private readonly bodies = new Set<H3Body>();
  private updating = false;

  constructor(readonly cap: number) {}

  get full(): boolean {
    return this.used >= this.cap;
  }

  /** @internal */
  add(body: H3Body): void {
    this.bodies.add(body);
  }

  /** @internal */
  remove(body: H3Body): void {
    this.bodies.delete(body);
  }

  /** @internal `n` bytes were buffered (n > 0) or handed on or dropped (n < 0). */
  change(n: number): void {
    const wasFull = this.full;
    this.used += n;
    if (this.full !== wasFull) this.updateAll();
  }

  private updateAll(): void {
    if (this.updating) return; // a resume delivering chunks: the loop running sees them
    this.updating = true;
    try {
      for (const b of [...this.bodies]) b.updateFlow();
    } finally {
      this.updating = false;
    }
  }
}

/** What a received body controls on its request stream. */
export interface BodySource {
  /** Stop reading from QUIC (data stays under flow control). */
  pause(): void;
  /** Read again. May deliver chunks synchronously. */
  resume(): void;
  /** The consumer gave up on the rest of the body. */
  cancel(): void;
}

interface Waiter {
  resolve(result: IteratorResult<Uint8Array>): void;
  reject(error: Error): void;
}

const DONE: IteratorResult<Uint8Array> = { value: undefined, done: true };

/**
 * A received body: iterate it once with `for await`, or take it whole with bytes() / text().
 * Breaking out of the loop early cancels the rest (see BodySource.cancel).
 */
export class H3Body implements AsyncIterable<Uint8Array> {
  private readonly chunks: Uint8Array[] = [];
  private buffered = 0;
  private paused = false;
  private ended = false;
  private error: Error | null = null;
  private waiter: Waiter | null = null;
  private used = false;

  /** @internal Created by the client and server for each message. */
  constructor(
    private readonly source: BodySource,
    private readonly highWaterMark: number = DEFAULT_BODY_HIGH_WATER_MARK,
    private readonly budget: BodyBudget | null = null,
  ) {
    budget?.add(this);
  }

  /** Whether the body has been (or is being) consumed. */
  get bodyUsed(): boolean {
    return this.used;
  }

  /** Whether the whole body was received (the iteration may still hold chunks). */
  get complete(): boolean {
    return this.ended;
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    if (this.used) throw new TypeError('the body can be read only once');
    this.used = true;
    return {
      next: () => this.next(),
      return: () => {
        this.cancel();
        return Promise.resolve(DONE);
      },
    };
  }

  /** The whole body in one array. */
  async bytes(): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    for await (const chunk of this) parts.push(chunk);
    return parts.length === 1 ? parts[0]! : concatBytes(...parts);
  }

  /** The whole body decoded as UTF-8. */
  async text(): Promise<string> {
    return fromUtf8(await this.bytes());
  }

  /** Discards the rest of the body (unless it is complete) and ends any iteration. */
  cancel(): void {
    this.used = true;
    this.chunks.length = 0;
    this.release(this.buffered);
    this.budget?.remove(this);
    if (this.ended || this.error !== null) return;
    this.ended = true;
    this.settle();
    this.source.cancel();
  }

  // For the client and server.

  /** @internal A chunk arrived. */
  push(chunk: Uint8Array): void {
    if (this.ended || this.error !== null) return;
    const w = this.waiter;
    if (w !== null) {
      this.waiter = null;
      w.resolve({ value: chunk, done: false });
      return;
    }
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.budget !== null) this.budget.change(chunk.length);
    this.updateFlow();
  }

  /** @internal Pauses or resumes reading from QUIC for this body's and the budget's limits. */
  updateFlow(): void {
    const waitedOn = this.waiter !== null;
    const pause =
      !this.ended &&
      this.error === null &&
      (this.buffered >= this.highWaterMark ||
        (this.budget !== null && this.budget.full && !waitedOn));
    if (pause === this.paused) return;
    this.paused = pause;
    if (pause) this.source.pause();
    else this.source.resume();
  }

  /** @internal The body is complete. */
  end(): void {
    if (this.ended || this.error !== null) return;
    this.ended = true;
    this.budget?.remove(this);
    if (this.chunks.length === 0) this.settle();
  }

  /** @internal The exchange failed: the iteration rejects once the buffered chunks are read. */
  fail(error: Error): void {
    if (this.ended || this.error !== null) return;
    this.error = error;
    this.budget?.remove(this);
    if (this.chunks.length === 0) this.settle();
  }

  private next(): Promise<IteratorResult<Uint8Array>> {
    const chunk = this.chunks.shift();
    if (chunk !== undefined) {
      this.release(chunk.length);
      this.updateFlow();
      return Promise.resolve({ value: chunk, done: false });
    }
    if (this.error !== null) return Promise.reject(this.error);
    if (this.ended) return Promise.resolve(DONE);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      // Waited on with nothing buffered: read even when the budget is full (see BodyBudget).
      this.updateFlow();
    });
  }

  /** `n` buffered bytes were handed on or dropped. */
  private release(n: number): void {
    if (n === 0) return;
    this.buffered -= n;
    this.budget?.change(-n);
  }

  /** Ends a pending next() with the end or the error. */
  private settle(): void {
    const w = this.waiter;
    if (w === null) return;
    this.waiter = null;
    if (this.error !== null) w.reject(this.error);
    else w.resolve(DONE);
  }
}

/** A body chunk as bytes (strings are UTF-8). */
export function bodyBytes(chunk: Uint8Array | string): Uint8Array {
  if (typeof chunk === 'string') return utf8(chunk);
  if (chunk instanceof Uint8Array) return chunk;
  throw new TypeError('body chunks must be Uint8Array or string');
}
