/**
 * The `--session FILE` of `tsquic get`: per server (origin "host:port"), the latest session
 * ticket (resumption and 0-RTT, RFC 8446 §4.6.1) and the latest NEW_TOKEN token (address
 * validation without a Retry round trip, RFC 9000 §8.1.3) and the server's HTTP/3 SETTINGS of
 * that connection (what 0-RTT starts from, RFC 9114 §7.2.4.2). JSON, rewritten whole on every
 * change. A file from before tokens were kept holds a bare ticket: it is read as the ticket of
 * every server, as it was used then.
 */
import { readFileSync, writeFileSync } from 'node:fs';

export interface SavedServer {
  ticket?: Uint8Array;
  token?: Uint8Array;
  /** The server's HTTP/3 SETTINGS, remembered for 0-RTT (RFC 9114 §7.2.4.2). */
  settings?: ReadonlyMap<number, number>;
}

const FORMAT = 'tsquic-session';

export class SessionFile {
  private readonly servers = new Map<string, SavedServer>();
  /** A bare ticket from an older file, for any server without its own. */
  private legacyTicket: Uint8Array | null = null;

  private constructor(readonly path: string) {}

  /** Reads `path` (absent: empty). Throws an Error with the reason when it cannot be used. */
  static read(path: string, exists: boolean): SessionFile {
    const f = new SessionFile(path);
    if (!exists) return f;
    const bytes = new Uint8Array(readFileSync(path));
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      // Not JSON: a bare ticket.
    }
    if (parsed === null || typeof parsed !== 'object' || !(FORMAT in parsed)) {
      f.legacyTicket = bytes;
      return f;
    }
    const servers = (parsed as { servers?: unknown }).servers;
    if (servers === null || typeof servers !== 'object') throw new Error('no "servers" object');
    for (const [key, value] of Object.entries(servers as Record<string, unknown>)) {
      const v = value as { ticket?: unknown; token?: unknown; settings?: unknown };
      const entry: SavedServer = {};
      if (typeof v.ticket === 'string') entry.ticket = fromBase64(v.ticket);
      if (typeof v.token === 'string') entry.token = fromBase64(v.token);
      if (v.settings !== undefined) entry.settings = readSettings(key, v.settings);
      f.servers.set(key, entry);
    }
    return f;
  }

  /** What is saved for `server` ("host:port"). */
  get(server: string): SavedServer {
    const entry = this.servers.get(server) ?? {};
    if (entry.ticket === undefined && this.legacyTicket !== null) {
      return { ...entry, ticket: this.legacyTicket };
    }
    return entry;
  }

  /** Saves a new ticket or token for `server` and rewrites the file (throws on I/O errors). */
  update(server: string, change: SavedServer): void {
    this.servers.set(server, { ...this.servers.get(server), ...change });
    const servers: Record<
      string,
      { ticket?: string; token?: string; settings?: Record<string, number> }
    > = {};
    for (const [key, v] of this.servers) {
      servers[key] = {
        ...(v.ticket ? { ticket: toBase64(v.ticket) } : {}),
        ...(v.token ? { token: toBase64(v.token) } : {}),
        ...(v.settings ? { settings: Object.fromEntries(v.settings) } : {}),
      };
    }
    writeFileSync(this.path, `${JSON.stringify({ [FORMAT]: 1, servers }, null, 2)}\n`);
  }
}

/**
 * `{"1": 4096, ...}`: setting identifiers and values, varints (RFC 9114 §7.2.4). Values past 2^53
 * are the nearest double, as the frame decoder gives them (2^62 - 1, "no limit", is 2^62).
 */
function readSettings(server: string, json: unknown): Map<number, number> {
  if (json === null || typeof json !== 'object') {
    throw new Error(`${server}: "settings" is not an object`);
  }
  const settings = new Map<number, number>();
  for (const [id, value] of Object.entries(json as Record<string, unknown>)) {
    const n = /^\d{1,15}$/.test(id) ? Number(id) : NaN;
    if (
      !Number.isSafeInteger(n) ||
      typeof value !== 'number' ||
      !Number.isInteger(value) ||
      value < 0 ||
      value > 2 ** 62
    ) {
      throw new Error(`${server}: setting ${id} = ${String(value)} is not a varint value`);
    }
    settings.set(n, value);
  }
  return settings;
}

const toBase64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
const fromBase64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));
