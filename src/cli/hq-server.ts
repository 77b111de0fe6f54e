/**
 * The hq-interop file server: answers `GET /path` with the bytes of the file at `path` under a
 * root directory. Nothing outside the root is ever served: the request target is
 * percent-decoded, `..` segments, NUL bytes and paths ending in `/` or `/.` are refused,
 * symbolic links are resolved (realpath) and the result must still lie under the root's real
 * path; on Linux the opened
 * descriptor is checked again through /proc, so a link swapped in after the check is caught.
 * A missing or refused file gets RESET_STREAM with the same code (NOT_FOUND), so a client cannot
 * tell "outside the root" from "absent".
 */
import { open, readlink, realpath, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { QuicConnection } from '../node/connection.js';
import type { QuicStream } from '../node/stream.js';
import { HqError, MAX_REQUEST_LINE, parseRequestLine } from './hq-protocol.js';

export class HqFileServer {
  /** Requests answered (file sent) and refused (reset), for logs and tests. */
  served = 0;
  refused = 0;

  private constructor(
    /** The real path of the root directory. */
    readonly root: string,
  ) {}

  /** A server for the files under `root` (which must be a directory). */
  static async open(root: string): Promise<HqFileServer> {
    const real = await realpath(root);
    if (!(await stat(real)).isDirectory()) throw new Error(`${root} is not a directory`);
    return new HqFileServer(real);
  }

  /** Serves every stream the client opens on `conn`. */
  handleConnection(conn: QuicConnection): void {
    conn.on('stream', (stream: QuicStream) => this.handleStream(stream));
  }

  /**
   * The real path of the regular file a request target names, or null when it does not exist,
   * is not a regular file, or lies outside the root.
   */
  async resolve(target: string): Promise<string | null> {
    const raw = target.split(/[?#]/, 1)[0]!;
    let decoded: string;
    try {
      decoded = decodeURIComponent(raw);
    } catch {
      return null;
    }
    if (!decoded.startsWith('/') || decoded.includes('\0') || decoded.includes('\\')) return null;
    const all = decoded.split('/');
    // A path ending in "/" names a directory, never a file, and "x/." is "x/" (RFC 3986
    // §5.2.4): "/small.txt/" and "/small.txt/." are refused even though the file exists.
    const last = all[all.length - 1];
    if (last === '' || last === '.') return null;
    const segments = all.filter((s) => s !== '' && s !== '.');
    if (segments.some((s) => s === '..')) return null;
    let real: string;
    try {
      real = await realpath(path.join(this.root, ...segments));
      if (!this.contains(real) || !(await stat(real)).isFile()) return null;
    } catch {
      return null;
    }
    return real;
  }

  private contains(p: string): boolean {
    return p.startsWith(this.root.endsWith(path.sep) ? this.root : this.root + path.sep);
  }

  /** Answers one request stream. */
  handleStream(stream: QuicStream): void {
    let line = '';
    let answered = false;
    const answer = (): void => {
      if (answered) return;
      answered = true;
      // Whatever follows the request line is ignored.
      stream.off('data', onData);
      stream.resume();
      void this.respond(stream, line);
    };
    const onData = (chunk: Buffer): void => {
      line += chunk.toString('latin1');
      const nl = line.indexOf('\n');
      if (nl >= 0) {
        line = line.slice(0, nl + 1);
        answer();
      } else if (line.length > MAX_REQUEST_LINE) {
        answered = true;
        this.refuse(stream, HqError.BAD_REQUEST);
      }
    };
    stream.on('data', onData);
    stream.on('end', answer);
    // A peer reset or a closing connection: nothing to answer.
    stream.on('error', () => {
      answered = true;
    });
  }

  private async respond(stream: QuicStream, line: string): Promise<void> {
    const target = parseRequestLine(line);
    if (target === null) {
      this.refuse(stream, HqError.BAD_REQUEST);
      return;
    }
    const file = await this.resolve(target);
    if (file === null) {
      this.refuse(stream, HqError.NOT_FOUND);
      return;
    }
    const handle = await this.open(file);
    if (handle === null) {
      this.refuse(stream, HqError.NOT_FOUND);
      return;
    }
    if (stream.destroyed) {
      await handle.close();
      return;
    }
    this.served++;
    const source = handle.createReadStream({ highWaterMark: 64 * 1024 });
    source.on('error', () => {
      if (!stream.destroyed && stream.writable) stream.reset(HqError.INTERNAL);
    });
    stream.on('error', () => source.destroy());
    stream.on('close', () => source.destroy());
    source.pipe(stream);
  }

  /**
   * Opens a file `resolve` returned and checks, on Linux, where the descriptor really points: a
   * link swapped in after the path check is refused. Null when it cannot be served.
   */
  async open(file: string): Promise<FileHandle | null> {
    let handle: FileHandle;
    try {
      handle = await open(file, 'r');
    } catch {
      return null;
    }
    let target: string | null = null;
    try {
      target = await readlink(`/proc/self/fd/${handle.fd}`);
    } catch {
      // No /proc: the realpath check of resolve() stands.
    }
    if (target !== null && !this.contains(target)) {
      await handle.close();
      return null;
    }
    return handle;
  }

  private refuse(stream: QuicStream, code: number): void {
    this.refused++;
    if (stream.destroyed || !stream.writable) return;
    stream.reset(code);
    // Nothing more to read either: the request was all we wanted.
    if (stream.readable) stream.resume();
  }
}
