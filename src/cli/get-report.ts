/**
 * What `tsquic get` shows besides the bodies, as curl does: with -v the handshake (QUIC version,
 * ALPN, cipher suite, group, Retry, resumption, 0-RTT, path changes) as "* " lines and the
 * header sections as "> " / "< " lines on stderr; with -i the response's status line and header
 * fields in the output, before the body; the progress meter.
 */
import type { Writable } from 'node:stream';
import type { ConnectionStatsSnapshot } from '../conn/stats.js';
import type { SocketAddress } from '../util/address.js';
import { QUIC_V1, QUIC_V2 } from '../wire/version.js';
import type { TextSink } from './args.js';
import type { GetHooks, RequestShape, ShowOptions } from './get-request.js';
import { ProgressMeter } from './progress-meter.js';

export class GetReport {
  private readonly meter: ProgressMeter | null;

  /** `clock` tells the time in ms (performance.now in the command). */
  constructor(
    private readonly show: ShowOptions,
    private readonly stderr: TextSink,
    private readonly clock: () => number,
  ) {
    this.meter = show.meter ? new ProgressMeter(stderr, clock()) : null;
  }

  /**
   * The hooks of one exchange: -v lines for the request now and the response later, the -i
   * header block written to `sink` ahead of the body, the meter's counts.
   */
  exchange(target: string, shape: RequestShape, protocol: string, sink: Writable): GetHooks {
    if (this.show.verbose) {
      this.verbose(`> ${shape.method} ${target} ${protocol === 'h3' ? 'HTTP/3' : `(${protocol})`}`);
      if (shape.authority !== null) this.verbose(`> :authority: ${shape.authority}`);
      for (const [name, value] of shape.headers) this.verbose(`> ${name}: ${value}`);
      if (shape.body !== null) this.verbose(`> (body of ${shape.body.length} bytes)`);
    }
    return {
      onHead: (status, headers) => {
        if (this.show.verbose) {
          this.verbose(`< HTTP/3 ${status}`);
          for (const [name, value] of headers) this.verbose(`< ${name}: ${value}`);
        }
        if (this.show.includeHeaders) sink.write(headerBlock(status, headers));
        const length = headers.find(([name]) => name === 'content-length')?.[1];
        // RFC 9110 §9.3.2: a HEAD response's content-length is not a body that will come.
        const announced =
          shape.method === 'HEAD' ? 0 : length === undefined ? null : Number(length);
        this.meter?.expect(announced);
      },
      onData: (bytes) => this.meter?.add(bytes, this.clock()),
    };
  }

  /** -v: where the connection goes. */
  connecting(origin: string, address: string, port: number): void {
    if (this.show.verbose) this.verbose(`connecting to ${origin} at ${address} port ${port}`);
  }

  /** -v: the handshake's outcome (RFC 9000 §7). */
  handshake(origin: string, stats: ConnectionStatsSnapshot): void {
    if (!this.show.verbose) return;
    this.verbose(
      `${origin}: handshake done in ${Math.round(stats.handshakeMs)} ms: QUIC ${versionName(stats.version)}, ` +
        `ALPN ${stats.alpn ?? '(none)'}, ${stats.cipher ?? '(no cipher)'}, group ${stats.group ?? '(none: resumed)'}, ` +
        `${stats.retry ? 'after a Retry' : 'no Retry'}, ${stats.resumed ? 'session resumed' : 'new session'}`,
    );
  }

  /** -v: requests the server did not process go again on a new connection (RFC 9114 §5.2). */
  retrying(origin: string, requests: number): void {
    if (!this.show.verbose) return;
    const what = requests === 1 ? '1 request' : `${requests} requests`;
    this.verbose(
      `${origin}: ${what} not processed by the server (GOAWAY or rejected): sent again on a new connection`,
    );
  }

  /** -v: the connection moved to a new path (RFC 9000 §9). */
  pathChanged(origin: string, remote: SocketAddress, local: SocketAddress): void {
    if (this.show.verbose) {
      this.verbose(`${origin}: path changed: from ${address(local)} to ${address(remote)}`);
    }
  }

  /** -v: what became of 0-RTT (RFC 9001 §4.6). */
  earlyData(origin: string, attempted: boolean, stats: ConnectionStatsSnapshot): void {
    if (!this.show.verbose || !attempted) return;
    this.verbose(
      `${origin}: 0-RTT ${stats.earlyDataAccepted ? 'request data sent and accepted' : 'request data not accepted (it went in 1-RTT)'}`,
    );
  }

  /** A failure line (unless -s without -S). */
  failure(line: string): void {
    if (this.show.errors) this.stderr.write(`tsquic: ${line}\n`);
  }

  /** Ends the meter's line. */
  finish(): void {
    this.meter?.finish(this.clock());
  }

  private verbose(line: string): void {
    this.stderr.write(line.startsWith('<') || line.startsWith('>') ? `${line}\n` : `* ${line}\n`);
  }
}

/** The -i block: status line and header fields, CRLF-terminated, then an empty line (as curl). */
export function headerBlock(status: number, headers: readonly [string, string][]): string {
  return [`HTTP/3 ${status}`, ...headers.map(([n, v]) => `${n}: ${v}`), '', ''].join('\r\n');
}

function versionName(version: number): string {
  if (version === QUIC_V1) return 'v1';
  if (version === QUIC_V2) return 'v2';
  return `0x${version.toString(16).padStart(8, '0')}`;
}

function address(a: SocketAddress): string {
  return a.address.includes(':') ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}
