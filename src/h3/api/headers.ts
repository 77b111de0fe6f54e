/**
 * Header fields between the application and HTTP/3 field sections. Outgoing names are
 * lowercased (RFC 9114 §4.2: uppercase names make a message malformed); pseudo-header fields
 * are built by the API from its own arguments and refused from callers. Incoming sections are
 * offered both as a plain object (repeated fields joined, as node:http does) and as the raw
 * list of lines in their order.
 */
import type { FieldLine } from '../qpack/field-section.js';

/** Header fields as given by the application. */
export type H3HeadersInit =
  | Readonly<Record<string, string | number | readonly string[] | undefined>>
  | Iterable<readonly [string, string]>;

/** Received header fields by lowercase name; repeated fields are joined (see fieldsToHeaders). */
export type H3Headers = Record<string, string>;

/** Received header fields as [name, value] pairs, in order, repeats kept. */
export type H3RawHeaders = [string, string][];

/**
 * Appends the field lines of `headers` to `out`. Throws TypeError for a pseudo-header name or
 * a value that is not a string or number.
 */
export function appendHeaders(headers: H3HeadersInit | undefined, out: FieldLine[]): void {
  if (headers === undefined) return;
  if (isIterable(headers)) {
    for (const [name, value] of headers) out.push(line(name, value));
    return;
  }
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value === undefined) continue;
    if (typeof value === 'object') {
      for (const v of value) out.push(line(name, v));
    } else {
      out.push(line(name, value));
    }
  }
}

/** Whether `headers` sets a field (case-insensitive name). */
export function hasHeader(headers: H3HeadersInit | undefined, name: string): boolean {
  if (headers === undefined) return false;
  if (isIterable(headers)) {
    for (const [n] of headers) if (n.toLowerCase() === name) return true;
    return false;
  }
  for (const n of Object.keys(headers)) {
    if (n.toLowerCase() === name && headers[n] !== undefined) return true;
  }
  return false;
}

/**
 * The regular fields of a received section as an object with null prototype. Repeated fields
 * are joined with ", " (RFC 9110 §5.3), cookie lines with "; " (RFC 9114 §4.2.1).
 */
export function fieldsToHeaders(fields: readonly FieldLine[]): H3Headers {
  const out = Object.create(null) as H3Headers;
  for (const { name, value } of fields) {
    if (name.charCodeAt(0) === 0x3a) continue;
    const prev = out[name];
    out[name] = prev === undefined ? value : prev + (name === 'cookie' ? '; ' : ', ') + value;
  }
  return out;
}

/** The regular fields of a received section as [name, value] pairs. */
export function fieldsToRaw(fields: readonly FieldLine[]): H3RawHeaders {
  const out: H3RawHeaders = [];
  for (const { name, value } of fields) {
    if (name.charCodeAt(0) !== 0x3a) out.push([name, value]);
  }
  return out;
}

function isIterable(h: H3HeadersInit): h is Iterable<readonly [string, string]> {
  return typeof (h as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function';
}

function line(name: string, value: unknown): FieldLine {
  if (typeof name !== 'string' || name.length === 0) {
    throw new TypeError(`invalid header name ${JSON.stringify(name)}`);
  }
  if (name.charCodeAt(0) === 0x3a) {
    throw new TypeError(`pseudo-header ${name} cannot be set as a header`);
  }
  if (typeof value !== 'string' && typeof value !== 'number') {
    throw new TypeError(`header ${name}: value must be a string or a number`);
  }
  return { name: name.toLowerCase(), value: String(value) };
}
