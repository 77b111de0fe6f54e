/**
 * What `tsquic serve` answers to a GET or HEAD of a file, as a browser expects it: validators
 * (ETag, Last-Modified), conditional requests (RFC 9110 §13: If-None-Match, If-Modified-Since,
 * If-Range) and byte ranges (RFC 9110 §14: one range, 206 or 416). Pure functions over the
 * request's header fields and the file's size and modification time.
 */

/** A file's validators (RFC 9110 §8.8). */
export interface FileValidators {
  /** A strong entity tag from size and modification time (µs): changes whenever either does. */
  readonly etag: string;
  /** HTTP-date of the modification time (RFC 9110 §5.6.7). */
  readonly lastModified: string;
  /** The modification time in whole seconds, what If-Modified-Since compares with. */
  readonly modifiedSeconds: number;
}

export function fileValidators(size: number, mtimeMs: number): FileValidators {
  const us = Math.floor(mtimeMs * 1000);
  return {
    etag: `"${size.toString(16)}-${us.toString(16)}"`,
    lastModified: new Date(mtimeMs).toUTCString(),
    modifiedSeconds: Math.floor(mtimeMs / 1000),
  };
}

/** The answer: the whole file, a range of it (inclusive), not modified, or not satisfiable. */
export type FileAnswer =
  | { readonly status: 200 }
  | { readonly status: 206; readonly start: number; readonly end: number }
  | { readonly status: 304 }
  | { readonly status: 416 };

/** `headers`: the request's fields by lowercase name (repeated ones joined with ", "). */
export function fileAnswer(
  headers: Readonly<Record<string, string>>,
  size: number,
  v: FileValidators,
): FileAnswer {
  // RFC 9110 §13.2.2: If-None-Match first; If-Modified-Since only without it.
  const inm = headers['if-none-match'];
  if (inm !== undefined) {
    if (etagListMatches(inm, v.etag, true)) return { status: 304 };
  } else {
    const ims = parseHttpDate(headers['if-modified-since']);
    if (ims !== null && v.modifiedSeconds <= ims) return { status: 304 };
  }
  const range = headers['range'];
  if (range === undefined) return { status: 200 };
  // RFC 9110 §13.1.5: a Range under an If-Range that no longer matches gets the whole file.
  const ifRange = headers['if-range'];
  if (ifRange !== undefined && !ifRangeMatches(ifRange, v)) return { status: 200 };
  return rangeAnswer(range, size);
}

/**
 * RFC 9110 §14.1.2: one `bytes=` range (first-last, first-, or -suffix). A list of several is
 * answered with the whole file (a server may ignore Range, §14.2); a syntactically valid range
 * that does not overlap the file is 416 (§15.5.17).
 */
function rangeAnswer(range: string, size: number): FileAnswer {
  const m = /^bytes=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(range.trim());
  if (m === null) return { status: 200 };
  const [, first, last] = m as unknown as [string, string, string];
  if (first === '' && last === '') return { status: 200 };
  if (first === '') {
    // A suffix: the last N bytes.
    const n = Number(last);
    if (n === 0 || size === 0) return { status: 416 };
    return { status: 206, start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== '' && Number(last) < start) return { status: 200 }; // invalid: ignored
  if (start >= size) return { status: 416 };
  return { status: 206, start, end };
}

/** RFC 9110 §13.1.2: a `*` or a list of entity tags; weak comparison for If-None-Match. */
function etagListMatches(list: string, etag: string, weak: boolean): boolean {
  if (list.trim() === '*') return true;
  const bare = (t: string): string => (weak ? t.replace(/^W\//, '') : t);
  return list
    .split(',')
    .map((t) => t.trim())
    .some((t) => bare(t) === etag);
}

/** RFC 9110 §13.1.5: a strong entity tag, or the exact Last-Modified date. */
function ifRangeMatches(value: string, v: FileValidators): boolean {
  const t = value.trim();
  if (t.startsWith('"')) return t === v.etag;
  if (t.startsWith('W/')) return false; // weak tags never match for ranges
  return parseHttpDate(t) === v.modifiedSeconds;
}

/** An HTTP-date in seconds since the epoch, or null (RFC 9110 §5.6.7). */
function parseHttpDate(text: string | undefined): number | null {
  if (text === undefined) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : Math.floor(ms / 1000);
}
