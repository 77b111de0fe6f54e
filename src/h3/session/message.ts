/**
 * HTTP message checks for HTTP/3 (RFC 9114 §4.1.2, §4.2, §4.3): pseudo-header fields, field
 * name and value syntax, connection-specific fields and Content-Length. A violation on receipt
 * makes the message malformed: a stream error of type H3_MESSAGE_ERROR (RFC 9114 §4.1.2).
 */
import { H3ProtocolError, H3ErrorCode } from '../errors.js';
import type { FieldLine } from '../qpack/field-section.js';

/** The control data and framing facts of a request header section. */
export interface RequestHead {
  readonly method: string;
  /** Absent only for CONNECT (RFC 9114 §4.4). */
  readonly scheme: string | undefined;
  readonly authority: string | undefined;
  /** Absent only for CONNECT. */
  readonly path: string | undefined;
  /** Content-Length, or -1 when absent. */
  readonly contentLength: number;
}

/** The control data and framing facts of a response header section. */
export interface ResponseHead {
  readonly status: number;
  /** Content-Length, or -1 when absent. */
  readonly contentLength: number;
}

function malformed(message: string): never {
  throw new H3ProtocolError(H3ErrorCode.H3_MESSAGE_ERROR, message, 'stream');
}

// tchar of RFC 9110 §5.6.2 without uppercase letters (RFC 9114 §4.2: names are lowercase).
const NAME_CHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz")
  NAME_CHAR[c.charCodeAt(0)] = 1;

/** RFC 9114 §4.2: fields that are connection-specific in HTTP/1.1 make a message malformed. */
const CONNECTION_SPECIFIC = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
]);

function checkName(name: string, from: number): void {
  if (name.length <= from) malformed('empty field name');
  for (let i = from; i < name.length; i++) {
    if (NAME_CHAR[name.charCodeAt(i)] !== 1) {
      malformed(`invalid character in field name ${JSON.stringify(name)}`);
    }
  }
}

/**
 * RFC 9110 §5.5: CR, LF and NUL are never allowed in a field value. Values are octet strings
 * (latin1.ts), so a character above 0xff can only come from a local caller.
 */
function checkValue(name: string, value: string): void {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x00 || c === 0x0a || c === 0x0d || c > 0xff) {
      malformed(`invalid character in the value of ${name}`);
    }
  }
}

/**
 * Checks a regular (non-pseudo) field line and folds Content-Length into `contentLength`
 * (-1 when none seen yet); returns the updated value.
 */
function checkRegularField(line: FieldLine, isRequest: boolean, contentLength: number): number {
  const { name, value } = line;
  checkName(name, 0);
  checkValue(name, value);
  if (CONNECTION_SPECIFIC.has(name)) malformed(`connection-specific field ${name}`);
  // RFC 9114 §4.2: TE may appear in requests, with no value other than "trailers".
  if (name === 'te' && (!isRequest || value !== 'trailers')) malformed('TE other than "trailers"');
  if (name === 'content-length') {
    // RFC 9110 §8.6: digits only; repeated fields must agree.
    if (!/^[0-9]{1,15}$/.test(value)) malformed(`invalid content-length ${JSON.stringify(value)}`);
    const n = Number(value);
    if (contentLength >= 0 && contentLength !== n) malformed('conflicting content-length values');
    return n;
  }
  return contentLength;
}

/**
 * Validates a request header section (RFC 9114 §4.3.1) and extracts its control data. Throws
 * H3ProtocolError H3_MESSAGE_ERROR (stream) when malformed.
 */
export function parseRequestHead(fields: readonly FieldLine[]): RequestHead {
  let method: string | undefined;
  let scheme: string | undefined;
  let authority: string | undefined;
  let path: string | undefined;
  let host: string | undefined;
  let contentLength = -1;
  let regular = false;
  for (const line of fields) {
    const { name, value } = line;
    if (name.charCodeAt(0) === 0x3a) {
      // RFC 9114 §4.3: pseudo-header fields come first, once each, and only defined ones.
      if (regular) malformed(`pseudo-header ${name} after a regular field`);
      checkValue(name, value);
      switch (name) {
        case ':method':
          if (method !== undefined) malformed('duplicate :method');
          method = value;
          break;
        case ':scheme':
          if (scheme !== undefined) malformed('duplicate :scheme');
          scheme = value;
          break;
        case ':authority':
          if (authority !== undefined) malformed('duplicate :authority');
          authority = value;
          break;
        case ':path':
          if (path !== undefined) malformed('duplicate :path');
          path = value;
          break;
        default:
          malformed(`pseudo-header ${name} not allowed in a request`);
      }
      continue;
    }
    regular = true;
    contentLength = checkRegularField(line, true, contentLength);
    if (name === 'host') {
      if (host !== undefined) malformed('duplicate host');
      host = value;
    }
  }
  if (method === undefined || method.length === 0) malformed('missing :method');
  checkName(method.toLowerCase(), 0);
  if (method === 'CONNECT') {
    // RFC 9114 §4.4: :authority only.
    if (scheme !== undefined || path !== undefined) malformed('CONNECT with :scheme or :path');
    if (authority === undefined || authority.length === 0) malformed('CONNECT without :authority');
    return { method, scheme, authority, path, contentLength };
  }
  if (scheme === undefined || scheme.length === 0) malformed('missing :scheme');
  if (path === undefined || path.length === 0) malformed('missing :path');
  if (scheme === 'http' || scheme === 'https') {
    // RFC 9114 §4.3.1: the authority is mandatory for these schemes, in :authority or Host,
    // never empty, and the two agree when both are present.
    if (authority === undefined && host === undefined) malformed('missing :authority and host');
    if (authority !== undefined && authority.length === 0) malformed('empty :authority');
    if (host !== undefined && host.length === 0) malformed('empty host');
    if (authority !== undefined && host !== undefined && authority !== host) {
      malformed(':authority and host differ');
    }
    if (authority !== undefined && authority.includes('@')) malformed('userinfo in :authority');
    if (path.charCodeAt(0) !== 0x2f && !(path === '*' && method === 'OPTIONS')) {
      malformed(`invalid :path ${JSON.stringify(path)}`);
    }
  }
  return { method, scheme, authority, path, contentLength };
}

/**
 * Validates a response header section (RFC 9114 §4.3.2), interim or final. Throws H3ProtocolError
 * H3_MESSAGE_ERROR (stream) when malformed.
 */
export function parseResponseHead(fields: readonly FieldLine[]): ResponseHead {
  let status: string | undefined;
  let contentLength = -1;
  let regular = false;
  for (const line of fields) {
    const { name, value } = line;
    if (name.charCodeAt(0) === 0x3a) {
      if (regular) malformed(`pseudo-header ${name} after a regular field`);
      if (name !== ':status') malformed(`pseudo-header ${name} not allowed in a response`);
      if (status !== undefined) malformed('duplicate :status');
      status = value;
      continue;
    }
    regular = true;
    contentLength = checkRegularField(line, false, contentLength);
  }
  if (status === undefined) malformed('missing :status');
  if (!/^[1-5][0-9][0-9]$/.test(status)) malformed(`invalid :status ${JSON.stringify(status)}`);
  // RFC 9114 §4.5: HTTP/3 has no 101 (Switching Protocols).
  if (status === '101') malformed('101 is not allowed in HTTP/3');
  return { status: Number(status), contentLength };
}

/** Validates a trailer section: no pseudo-header fields (RFC 9114 §4.3). */
export function checkTrailers(fields: readonly FieldLine[], isRequest: boolean): void {
  for (const line of fields) {
    if (line.name.charCodeAt(0) === 0x3a) malformed(`pseudo-header ${line.name} in trailers`);
    checkRegularField(line, isRequest, -1);
  }
}

/**
 * The size a field section counts for SETTINGS_MAX_FIELD_SECTION_SIZE: name + value + 32 per
 * line (RFC 9114 §4.2.2).
 */
export function fieldSectionSize(fields: readonly FieldLine[]): number {
  let size = 0;
  for (const { name, value } of fields) size += name.length + value.length + 32;
  return size;
}

/**
 * Runs a receive-side check on a section this endpoint is about to send, so that it never
 * generates a malformed message: a violation is API misuse and becomes a TypeError.
 */
export function checkOutgoing<T>(check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (e instanceof H3ProtocolError)
      throw new TypeError(`refusing to send a malformed message: ${e.message}`);
    throw e;
  }
}
