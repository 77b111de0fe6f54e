/**
 * HTTP/0.9 over QUIC, ALPN `hq-interop` (the QUIC interop runner's test protocol): one
 * bidirectional stream per request; the client sends `GET /path\r\n` and ends its side; the
 * response is every byte the server sends until its FIN. There are no headers and no status: a
 * missing file is a RESET_STREAM. The error codes below are this implementation's choice (the
 * protocol defines none).
 */
export const HQ_ALPN = 'hq-interop';

/** RESET_STREAM / STOP_SENDING codes. */
export const HqError = {
  /** The request line was malformed or too long. */
  BAD_REQUEST: 0x1,
  /** No such file under the root, or a path outside it (never told apart, so nothing leaks). */
  NOT_FOUND: 0x2,
  /** Reading the file failed. */
  INTERNAL: 0x3,
} as const;

const NAMES = new Map<number, string>([
  [HqError.BAD_REQUEST, 'bad request'],
  [HqError.NOT_FOUND, 'not found'],
  [HqError.INTERNAL, 'server error'],
]);

/** "0x2 (not found)". */
export function describeHqError(code: number): string {
  const name = NAMES.get(code);
  return `0x${code.toString(16)}${name === undefined ? '' : ` (${name})`}`;
}

/** Longest request line accepted, bytes. */
export const MAX_REQUEST_LINE = 4096;

/** The request bytes for `path` (which starts with "/"). */
export function encodeRequest(path: string): Buffer {
  return Buffer.from(`GET ${path}\r\n`, 'latin1');
}

/**
 * The path of a request line (`GET /path`, with CRLF, LF or nothing after it), or null when
 * malformed. Only the request target is returned, still percent-encoded.
 */
export function parseRequestLine(line: string): string | null {
  const m = /^GET (\/[^\s]*)(?:\r?\n)?$/.exec(line);
  return m === null ? null : m[1]!;
}
