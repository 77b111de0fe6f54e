/**
 * An in-memory QUIC stand-in for the HTTP/3 session tests: two endpoints exchanging stream data
 * through a FIFO of deliveries that the test runs explicitly (no timers, deterministic). It
 * models what the session relies on: stream IDs, per-stream flow control (write() accepts only
 * the credit left; reading returns credit), stream limits, RESET_STREAM, STOP_SENDING, FIN and
 * connection close. Deliveries of chosen streams can be held back and released later to
 * reorder streams relative to each other.
 *
 * An endpoint without a session is "raw": the test drives it by hand and inspects what it got.
 */
import type { H3Stream, H3Transport, H3ReadResult } from '../../src/h3/session/transport.js';

/** The adapter-facing side of a session (H3Session's handle* methods). */
export interface SessionLike {
  handleStream(stream: H3Stream): void;
  handleReadable(streamId: number): void;
  handleWritable(streamId: number): void;
  handleReset(streamId: number, code: number): void;
  handleStopSending(streamId: number, code: number): void;
  handleStreamCredit(): void;
  handleClose(code: number, reason: string): void;
}

export interface EndpointOptions {
  /** Receive window per stream, in bytes. Default 1 MiB. */
  streamWindow?: number;
  /** Bidirectional streams the peer may open. Default 100. */
  maxBidiStreams?: number;
  /** Unidirectional streams the peer may open. Default 100. */
  maxUniStreams?: number;
}

type Delivery = { streamId: number; from: FakeEndpoint; run: () => void };

export class FakeNetwork {
  readonly client: FakeEndpoint;
  readonly server: FakeEndpoint;
  private queue: Delivery[] = [];
  private held: Delivery[] = [];
  private holding: ((streamId: number, from: FakeEndpoint) => boolean) | null = null;
  /** Deliveries run so far. */
  steps = 0;

  constructor(clientOptions: EndpointOptions = {}, serverOptions: EndpointOptions = {}) {
    this.client = new FakeEndpoint(this, false, clientOptions);
    this.server = new FakeEndpoint(this, true, serverOptions);
    this.client.peer = this.server;
    this.server.peer = this.client;
  }

  /** Holds back deliveries matching `filter` until release(). */
  hold(filter: (streamId: number, from: FakeEndpoint) => boolean): void {
    this.holding = filter;
  }

  /** Releases held deliveries (in their order) and stops holding. */
  release(): void {
    this.holding = null;
    this.queue.push(...this.held);
    this.held = [];
  }

  /** @internal */
  schedule(from: FakeEndpoint, streamId: number, run: () => void): void {
    const d = { streamId, from, run };
    if (this.holding?.(streamId, from)) this.held.push(d);
    else this.queue.push(d);
  }

  /** Runs deliveries until none is left. */
  run(limit = 1_000_000): void {
    while (this.queue.length > 0) {
      if (++this.steps > limit) throw new Error('fake network did not settle');
      this.queue.shift()!.run();
    }
  }
}

export class FakeEndpoint implements H3Transport {
  peer!: FakeEndpoint;
  session: SessionLike | null = null;
  readonly streams = new Map<number, FakeStream>();
  /** Streams opened by the peer, in order (raw endpoints read these). */
  readonly accepted: FakeStream[] = [];
  /** How the connection was closed, by this side (local) or the peer (remote). */
  closed: { code: number; reason: string; local: boolean } | null = null;
  readonly window: number;
  /** What a client transport reports of 0-RTT (H3Transport.earlyDataAccepted). */
  earlyDataAccepted = false;
  maxBidi: number;
  maxUni: number;
  private nextBidi: number;
  private nextUni: number;

  constructor(
    private readonly net: FakeNetwork,
    readonly isServer: boolean,
    options: EndpointOptions,
  ) {
    this.window = options.streamWindow ?? 1 << 20;
    this.maxBidi = options.maxBidiStreams ?? 100;
    this.maxUni = options.maxUniStreams ?? 100;
    this.nextBidi = isServer ? 1 : 0;
    this.nextUni = isServer ? 3 : 2;
  }

  openStream(bidirectional: boolean): FakeStream | null {
    if (this.closed !== null) return null;
    // The peer's limits bound what this side opens.
    const opened = bidirectional ? this.nextBidi >> 2 : this.nextUni >> 2;
    if (opened >= (bidirectional ? this.peer.maxBidi : this.peer.maxUni)) return null;
    const id = bidirectional ? this.nextBidi : this.nextUni;
    if (bidirectional) this.nextBidi += 4;
    else this.nextUni += 4;
    const s = new FakeStream(this, id);
    this.streams.set(id, s);
    return s;
  }

  close(code: number, reason: string): void {
    if (this.closed !== null) return;
    this.closed = { code, reason, local: true };
    const peer = this.peer;
    this.net.schedule(this, -1, () => {
      if (peer.closed !== null) return;
      peer.closed = { code, reason, local: false };
      peer.session?.handleClose(code, reason);
    });
  }

  /** Lets the peer open `n` more streams of a kind and tells the peer's session. */
  grantStreams(bidirectional: boolean, n: number): void {
    if (bidirectional) this.maxBidi += n;
    else this.maxUni += n;
    const peer = this.peer;
    this.net.schedule(this, -1, () => peer.session?.handleStreamCredit());
  }

  /** @internal Peer side of a stream, created on first delivery. */
  remote(id: number): FakeStream {
    let s = this.streams.get(id);
    if (s === undefined) {
      s = new FakeStream(this, id);
      this.streams.set(id, s);
      this.accepted.push(s);
      this.session?.handleStream(s);
    }
    return s;
  }

  /** @internal */
  get network(): FakeNetwork {
    return this.net;
  }
}

export class FakeStream implements H3Stream {
  // Receive side.
  private readonly chunks: Uint8Array[] = [];
  private finReceived = false;
  private finRead = false;
  /** RESET_STREAM code received, or null. */
  resetReceived: number | null = null;
  /** STOP_SENDING code received, or null. */
  stopSendingReceived: number | null = null;
  /** Everything read so far (raw endpoints inspect it). */
  readBytes = 0;

  // Send side.
  private credit: number;
  finSent = false;
  /** RESET_STREAM code sent, or null. */
  resetSent: number | null = null;
  /** STOP_SENDING code sent, or null. */
  stopSendingSent: number | null = null;

  constructor(
    private readonly endpoint: FakeEndpoint,
    readonly id: number,
  ) {
    this.credit = endpoint.peer?.window ?? 0;
  }

  private get net(): FakeNetwork {
    return this.endpoint.network;
  }

  read(max: number): H3ReadResult | null {
    if (this.resetReceived !== null || this.finRead || this.endpoint.closed !== null) return null;
    if (this.chunks.length === 0) {
      if (!this.finReceived) return null;
      this.finRead = true;
      return { data: new Uint8Array(0), fin: true };
    }
    let data = this.chunks[0]!;
    if (data.length > max) {
      this.chunks[0] = data.subarray(max);
      data = data.subarray(0, max);
    } else {
      this.chunks.shift();
    }
    this.readBytes += data.length;
    const fin = this.chunks.length === 0 && this.finReceived;
    if (fin) this.finRead = true;
    // Reading returns flow-control credit to the sender (MAX_STREAM_DATA).
    const n = data.length;
    const sender = this.endpoint.peer;
    this.net.schedule(this.endpoint, this.id, () => {
      const s = sender.streams.get(this.id);
      if (s === undefined || sender.closed !== null) return;
      s.credit += n;
      sender.session?.handleWritable(this.id);
    });
    return { data, fin };
  }

  /** All data received and not read yet, as one array (raw endpoints). */
  readAll(): { data: Uint8Array; fin: boolean } {
    const parts: Uint8Array[] = [];
    let fin = false;
    for (let r = this.read(1 << 30); r !== null; r = this.read(1 << 30)) {
      parts.push(r.data);
      fin ||= r.fin;
    }
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return { data: out, fin };
  }

  write(data: Uint8Array, fin: boolean): number {
    if (this.finSent || this.resetSent !== null)
      throw new Error(`write on finished stream ${this.id}`);
    if (this.endpoint.closed !== null) return 0;
    if (!this.writable) throw new Error(`write on receive-only stream ${this.id}`);
    const n = Math.min(data.length, this.credit);
    this.credit -= n;
    const copy = data.slice(0, n);
    const end = fin && n === data.length;
    if (end) this.finSent = true;
    if (n === 0 && !end) return 0;
    const peer = this.endpoint.peer;
    this.net.schedule(this.endpoint, this.id, () => {
      if (peer.closed !== null) return;
      const s = peer.remote(this.id);
      if (s.resetReceived !== null || s.stopSendingSent !== null) return;
      if (copy.length > 0) s.chunks.push(copy);
      if (end) s.finReceived = true;
      peer.session?.handleReadable(this.id);
    });
    return n;
  }

  reset(code: number): void {
    if (this.resetSent !== null || this.finSent) return;
    this.resetSent = code;
    const peer = this.endpoint.peer;
    this.net.schedule(this.endpoint, this.id, () => {
      if (peer.closed !== null) return;
      const s = peer.remote(this.id);
      if (s.finReceived && s.chunks.length === 0) return; // everything was delivered already
      s.resetReceived = code;
      s.chunks.length = 0;
      peer.session?.handleReset(this.id, code);
    });
  }

  stopSending(code: number): void {
    if (this.stopSendingSent !== null) return;
    this.stopSendingSent = code;
    this.chunks.length = 0;
    const peer = this.endpoint.peer;
    this.net.schedule(this.endpoint, this.id, () => {
      if (peer.closed !== null) return;
      const s = peer.streams.get(this.id);
      if (s === undefined) return;
      s.stopSendingReceived = code;
      peer.session?.handleStopSending(this.id, code);
    });
  }

  /** Whether this side may send: bidirectional, or unidirectional and opened here. */
  private get writable(): boolean {
    const localInitiated = (this.id & 1) === (this.endpoint.isServer ? 1 : 0);
    return (this.id & 2) === 0 || localInitiated;
  }
}
