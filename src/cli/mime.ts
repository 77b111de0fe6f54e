/**
 * Content-Type by file extension for `tsquic serve`'s HTTP/3 responses (RFC 9110 §8.3), so a
 * browser shows an HTML page instead of downloading it. hq-interop (HTTP/0.9) has no headers.
 * Text types carry `charset=utf-8`: without it a browser guesses the encoding (WHATWG
 * Encoding §4.2 falls back to windows-1252).
 */
import path from 'node:path';

/** What an unknown or missing extension is served as (RFC 9110 §8.3: "unknown" data). */
export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

const TYPES: ReadonlyMap<string, string> = new Map([
  // Documents and scripts
  ['html', 'text/html; charset=utf-8'],
  ['htm', 'text/html; charset=utf-8'],
  ['css', 'text/css; charset=utf-8'],
  ['js', 'text/javascript; charset=utf-8'], // RFC 9239 §6: text/javascript, not application/
  ['mjs', 'text/javascript; charset=utf-8'],
  ['json', 'application/json'],
  ['map', 'application/json'],
  ['webmanifest', 'application/manifest+json'],
  ['txt', 'text/plain; charset=utf-8'],
  ['md', 'text/markdown; charset=utf-8'],
  ['csv', 'text/csv; charset=utf-8'],
  ['xml', 'application/xml'],
  ['pdf', 'application/pdf'],
  ['wasm', 'application/wasm'],
  // Images
  ['svg', 'image/svg+xml'],
  ['png', 'image/png'],
  ['jpg', 'image/jpeg'],
  ['jpeg', 'image/jpeg'],
  ['gif', 'image/gif'],
  ['webp', 'image/webp'],
  ['avif', 'image/avif'],
  ['ico', 'image/vnd.microsoft.icon'],
  // Media
  ['mp4', 'video/mp4'],
  ['m4v', 'video/mp4'],
  ['webm', 'video/webm'],
  ['ogv', 'video/ogg'],
  ['mp3', 'audio/mpeg'],
  ['m4a', 'audio/mp4'],
  ['ogg', 'audio/ogg'],
  ['oga', 'audio/ogg'],
  ['opus', 'audio/ogg'],
  ['wav', 'audio/wav'],
  ['flac', 'audio/flac'],
  ['m3u8', 'application/vnd.apple.mpegurl'],
  ['mpd', 'application/dash+xml'],
  // Fonts (RFC 8081)
  ['woff', 'font/woff'],
  ['woff2', 'font/woff2'],
  ['ttf', 'font/ttf'],
  ['otf', 'font/otf'],
  // Archives
  ['zip', 'application/zip'],
  ['gz', 'application/gzip'],
  ['tar', 'application/x-tar'],
]);

/** The Content-Type for a file name: by its extension, case-insensitive, else octet-stream. */
export function contentTypeFor(fileName: string): string {
  const ext = path.extname(fileName).slice(1).toLowerCase();
  return TYPES.get(ext) ?? DEFAULT_CONTENT_TYPE;
}
