/**
 * The response `tsquic serve` gives to a request for a file, whatever carries it (HTTP/3, or
 * HTTP/2 and HTTP/1.1 on the --https listener): GET and HEAD of the files under the root, through
 * HqFileServer's safe path resolution (percent-decoded, `..` and NUL refused, symbolic links kept
 * under the root); a missing or refused file is a 404 either way. A path ending in "/" is its
 * directory's index.html. Found files get a content-type by extension (mime.ts), a
 * content-length, ETag and Last-Modified; conditional requests 304 and single byte ranges
 * 206 / 416 (file-answer.ts). Other methods get 405.
 */
import type { FileHandle } from 'node:fs/promises';
import { fileAnswer, fileValidators } from './file-answer.js';
import type { HqFileServer } from './hq-server.js';
import { contentTypeFor } from './mime.js';

export interface FileResponse {
  status: number;
  headers: Record<string, string | number>;
  /** A short text body (404), or null. */
  text: string | null;
  /**
   * The bytes of the file to send (none for HEAD, 304 and 416): `length` from `start`. The
   * caller closes `handle` once the response is over.
   */
  body: { handle: FileHandle; start: number; length: number } | null;
  /** The open file, to close when the response is over; null when none was opened. */
  handle: FileHandle | null;
}

function plain(status: number, headers: Record<string, string>, text: string | null): FileResponse {
  return { status, headers, text, body: null, handle: null };
}

/** What to answer to `method target` with the request's header fields (lowercase names). */
export async function fileResponse(
  files: HqFileServer,
  method: string,
  target: string,
  requestHeaders: Readonly<Record<string, string>>,
): Promise<FileResponse> {
  if (method !== 'GET' && method !== 'HEAD') return plain(405, { allow: 'GET, HEAD' }, null);
  // A path naming a directory ("/", "/docs/") is its index.html, as browsers expect.
  const pathPart = target.split(/[?#]/, 1)[0]!;
  const file = await files.resolve(pathPart.endsWith('/') ? `${pathPart}index.html` : target);
  const handle = file === null ? null : await files.open(file);
  if (file === null || handle === null) {
    return plain(404, { 'content-type': 'text/plain' }, 'not found\n');
  }
  let size: number;
  let mtimeMs: number;
  try {
    ({ size, mtimeMs } = await handle.stat());
  } catch (e) {
    await handle.close();
    throw e;
  }
  const v = fileValidators(size, mtimeMs);
  const validators = { etag: v.etag, 'last-modified': v.lastModified };
  const answer = fileAnswer(requestHeaders, size, v);
  switch (answer.status) {
    case 304: // RFC 9110 §15.4.5: the validators, no content
      return { ...plain(304, validators, null), handle };
    case 416: // RFC 9110 §15.5.17: the current length in Content-Range
      return { ...plain(416, { 'content-range': `bytes */${size}` }, null), handle };
  }
  const start = answer.status === 206 ? answer.start : 0;
  const length = answer.status === 206 ? answer.end - start + 1 : size;
  return {
    status: answer.status,
    headers: {
      'content-type': contentTypeFor(file),
      'content-length': length,
      'accept-ranges': 'bytes',
      ...validators,
      ...(answer.status === 206 ? { 'content-range': `bytes ${start}-${answer.end}/${size}` } : {}),
    },
    text: null,
    // RFC 9110 §9.3.2: HEAD gets the same header fields and no content.
    body: method === 'HEAD' ? null : { handle, start, length },
    handle,
  };
}
