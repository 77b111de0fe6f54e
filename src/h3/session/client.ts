/**
 * The HTTP/3 client (RFC 9114): sends requests on client-initiated bidirectional streams and
 * receives their responses, interim ones included.
 */
import { H3ProtocolError, H3ErrorCode } from '../errors.js';
import type { FieldLine } from '../qpack/field-section.js';
import { checkOutgoing, parseRequestHead, parseResponseHead } from './message.js';
import { H3RequestStream, type StreamHost } from './request-stream.js';
import { H3Session, type H3SessionOptions } from './session.js';
import type { H3Stream, H3Transport } from './transport.js';

export interface H3RequestOptions {
  /** The request has no body: end the stream with the header section. Default false. */
  endStream?: boolean;
}

/** A request sent by the client and the response to it. */
export class H3ClientRequest extends H3RequestStream {
  /** Status of the final response, 0 until it arrives. */
  status = 0;
  /** Header section of the final response, null until it arrives. */
  responseHeaders: FieldLine[] | null = null;

  /** An interim (1xx) response arrived (RFC 9114 §4.1). */
  onInformational: ((fields: FieldLine[], status: number) => void) | null = null;
  /** The final response's header section arrived; its body follows through onData. */
  onResponse: ((fields: FieldLine[], status: number) => void) | null = null;

  private readonly isHead: boolean;

  /** @internal Created by H3ClientSession.request(), which has validated `fields`. */
  constructor(
    host: StreamHost,
    stream: H3Stream,
    fields: readonly FieldLine[],
    method: string,
    contentLength: number,
    end: boolean,
  ) {
    super(host, stream);
    this.isHead = method === 'HEAD';
    this.sendHeaderSection(fields, contentLength, end);
  }

  protected headerSectionReceived(fields: FieldLine[]): void {
    const head = parseResponseHead(fields);
    if (head.status < 200) {
      this.onInformational?.(fields, head.status);
      return;
    }
    this.status = head.status;
    this.responseHeaders = fields;
    this.expectedLength = head.contentLength;
    // RFC 9110 §6.4.1: responses to HEAD, and 204 and 304 responses, have no content.
    this.noContent = this.isHead || head.status === 204 || head.status === 304;
    this.recv = 'body';
    this.onResponse?.(fields, head.status);
  }
}

export class H3ClientSession extends H3Session<H3ClientRequest> {
  constructor(transport: H3Transport, options: H3SessionOptions = {}) {
    if (transport.isServer) throw new TypeError('H3ClientSession needs a client-side transport');
    super(transport, options);
  }

  /**
   * Sends a request: `fields` is its header section, pseudo-header fields first (RFC 9114
   * §4.3.1). Returns null when no request can be sent now: the connection is closed or shutting
   * down, the server sent GOAWAY (see goawayReceived), or the server's stream limit is reached
   * (retry after the adapter reports stream credit). Throws TypeError for a malformed request.
   */
  request(fields: readonly FieldLine[], options: H3RequestOptions = {}): H3ClientRequest | null {
    const head = checkOutgoing(() => parseRequestHead(fields));
    this.checkPeerFieldSectionLimit(fields);
    // RFC 9114 §5.2: no new requests after GOAWAY.
    if (this.closed || this.shuttingDown || this.goawayReceived !== null) return null;
    const stream = this.transport.openStream(true);
    if (stream === null) return null;
    const request = new H3ClientRequest(
      this,
      stream,
      fields,
      head.method,
      head.contentLength,
      options.endStream ?? false,
    );
    this.requests.set(stream.id, request);
    return request;
  }

  /**
   * Sends GOAWAY with a push ID (RFC 9114 §5.2). This client never allows pushes, so the
   * default 0 is exact.
   */
  sendGoaway(pushId = 0): void {
    this.writeGoaway(pushId);
  }

  protected defaultGoawayId(): number {
    return 0;
  }

  protected acceptRequestStream(stream: H3Stream): void {
    // RFC 9114 §6.1: servers do not open bidirectional streams.
    throw new H3ProtocolError(
      H3ErrorCode.H3_STREAM_CREATION_ERROR,
      `server-initiated bidirectional stream ${stream.id}`,
    );
  }

  protected peerGoaway(id: number): void {
    // RFC 9114 §7.2.6: a server's GOAWAY carries a client-initiated bidirectional stream ID.
    if (id % 4 !== 0)
      throw new H3ProtocolError(H3ErrorCode.H3_ID_ERROR, `GOAWAY with stream ID ${id}`);
    this.recordPeerGoaway(id);
    // RFC 9114 §5.2: requests at or above the identifier were not processed and can be
    // retried elsewhere; cancel them here to release their streams.
    for (const request of [...this.requests.values()]) {
      if (request.id >= id) {
        request.abandon(
          H3ErrorCode.H3_REQUEST_CANCELLED,
          new H3ProtocolError(
            H3ErrorCode.H3_REQUEST_REJECTED,
            'not processed: the server sent GOAWAY',
            'stream',
            true,
          ),
        );
      }
    }
    this.onGoaway?.(id);
  }
}
