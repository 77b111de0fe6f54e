/**
 * The curl-like request options of `tsquic get`: what is sent (`-X`, `-H`, `-d`/`--data`,
 * `--data-binary`, `-I`), where the connection goes (`--connect-to`), and what is shown (`-i`,
 * `-v`, `-s`, `-S`, the progress meter). Every mistake is a UsageError naming the option.
 */
import { UsageError, flagOption, readUserFile, stringsOption, type CliIo } from './args.js';
import type { ParsedArgs, OptionSpecs } from './args.js';

/** What every request of a `get` run sends. */
export interface RequestShape {
  method: string;
  /** Header fields as given, names lowercased, in order. */
  headers: [name: string, value: string][];
  /** The :authority instead of the URL's host (a `Host` header, as curl uses it). */
  authority: string | null;
  /** The request body, or null. */
  body: Uint8Array | null;
}

/** What a protocol client reports of one exchange as it runs. */
export interface GetHooks {
  /** The final response's status and header fields (HTTP/3 only). */
  onHead?(status: number, headers: readonly [string, string][]): void;
  /** `bytes` more of the body arrived. */
  onData?(bytes: number): void;
}

/** What a `get` run shows besides the bodies. */
export interface ShowOptions {
  /** -i / -I: the response's status line and header fields go out before its body. */
  includeHeaders: boolean;
  /** -v: the handshake and the header sections on stderr. */
  verbose: boolean;
  /** Failure lines on stderr (off with -s unless -S, as curl does). */
  errors: boolean;
  /** The progress meter on stderr. */
  meter: boolean;
}

/** `--connect-to HOST1:PORT1:HOST2:PORT2`: requests to HOST1:PORT1 connect to HOST2:PORT2. */
export interface ConnectTo {
  /** Empty: any host. */
  host: string;
  /** 0: any port. */
  port: number;
  /** Empty: the URL's host. */
  toHost: string;
  /** 0: the URL's port. */
  toPort: number;
}

/** The options of this module, for getCommand.options. */
export const REQUEST_OPTIONS: OptionSpecs = {
  request: {
    type: 'string',
    short: 'X',
    valueName: 'METHOD',
    description: 'request method (default GET; POST with --data)',
  },
  header: {
    type: 'string',
    short: 'H',
    multiple: true,
    valueName: "'NAME: VALUE'",
    description: 'add a header field (repeatable; "Host: NAME" sets the :authority)',
  },
  data: {
    type: 'string',
    short: 'd',
    multiple: true,
    valueName: 'DATA',
    description:
      'send DATA as the body (POST; @FILE reads a file without its line breaks, @- stdin; several are joined with &)',
  },
  'data-binary': {
    type: 'string',
    multiple: true,
    valueName: 'DATA',
    description: 'like --data, but @FILE is sent byte for byte',
  },
  include: {
    type: 'boolean',
    short: 'i',
    description: 'write the response status and header fields before the body',
  },
  head: { type: 'boolean', short: 'I', description: 'send HEAD and show the header fields only' },
  verbose: {
    type: 'boolean',
    short: 'v',
    description:
      'show the handshake (version, ALPN, suite, group, Retry, resumption, 0-RTT, path changes) and the header sections on stderr',
  },
  silent: {
    type: 'boolean',
    short: 's',
    description: 'no progress meter and no failure lines (the exit code still tells)',
  },
  'show-error': { type: 'boolean', short: 'S', description: 'with -s: show failure lines' },
  'connect-to': {
    type: 'string',
    multiple: true,
    valueName: 'H1:P1:H2:P2',
    description:
      "connect to H2:P2 for URLs of H1:P1 (empty parts match any / keep the URL's; repeatable)",
  },
};

/** RFC 9110 §5.6.2 token: field names and methods. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * RFC 9114 §4.2: connection-specific fields make an HTTP/3 message malformed (`te` is allowed
 * with the value "trailers" only).
 */
const CONNECTION_SPECIFIC = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
]);

function parseHeader(text: string): [string, string] {
  const colon = text.indexOf(':');
  if (colon <= 0) throw new UsageError(`--header '${text}': expected 'Name: value'`);
  const name = text.slice(0, colon).trim().toLowerCase();
  const value = text.slice(colon + 1).trim();
  if (!TOKEN.test(name)) throw new UsageError(`--header '${text}': '${name}' is not a field name`);
  if (/[\r\n\0]/.test(value)) {
    throw new UsageError(`--header '${name}': the value has a line break or NUL`);
  }
  if (CONNECTION_SPECIFIC.has(name) || (name === 'te' && value.toLowerCase() !== 'trailers')) {
    throw new UsageError(
      `--header '${name}': connection-specific fields are not allowed in HTTP/3`,
    );
  }
  return [name, value];
}

/** One --data/--data-binary value: the text, or the contents of @FILE (@- standard input). */
async function dataValue(text: string, binary: boolean, io: CliIo): Promise<Uint8Array> {
  if (!text.startsWith('@')) return new TextEncoder().encode(text);
  const file = text.slice(1);
  let bytes: Uint8Array;
  if (file === '-') {
    const stdin = await io.readStdin();
    if (stdin === null) throw new UsageError('--data @-: nothing on standard input');
    bytes = stdin;
  } else {
    bytes = await readUserFile(file);
  }
  // curl's --data drops the line breaks of a file; --data-binary keeps every byte.
  return binary ? bytes : bytes.filter((b) => b !== 0x0d && b !== 0x0a);
}

/** The request every URL of the run sends, from -X, -I, -H, --data and --data-binary. */
export async function parseRequestShape(args: ParsedArgs, io: CliIo): Promise<RequestShape> {
  const headers: [string, string][] = [];
  let authority: string | null = null;
  for (const text of stringsOption(args, 'header')) {
    const [name, value] = parseHeader(text);
    if (name === 'host') authority = value;
    else headers.push([name, value]);
  }
  const parts: Uint8Array[] = [];
  for (const t of stringsOption(args, 'data')) parts.push(await dataValue(t, false, io));
  for (const t of stringsOption(args, 'data-binary')) parts.push(await dataValue(t, true, io));
  const body = parts.length === 0 ? null : joinWithAmpersand(parts);
  const explicit = stringsOption(args, 'request');
  let method = explicit[explicit.length - 1];
  if (method !== undefined && !TOKEN.test(method)) {
    throw new UsageError(`--request '${method}' is not a method name`);
  }
  if (flagOption(args, 'head')) {
    if (method !== undefined && method !== 'HEAD') {
      throw new UsageError(`--head and --request ${method} exclude each other`);
    }
    if (body !== null) throw new UsageError('--head sends no body: leave out --data');
    method = 'HEAD';
  }
  method ??= body === null ? 'GET' : 'POST';
  // curl's default for --data: a form (RFC 9110 §8.3: a body should say what it is).
  if (body !== null && !headers.some(([n]) => n === 'content-type')) {
    headers.push(['content-type', 'application/x-www-form-urlencoded']);
  }
  return { method, headers, authority, body };
}

function joinWithAmpersand(parts: readonly Uint8Array[]): Uint8Array {
  const length = parts.reduce((n, p) => n + p.length, parts.length - 1);
  const out = new Uint8Array(length);
  let at = 0;
  parts.forEach((p, i) => {
    if (i > 0) out[at++] = 0x26; // '&'
    out.set(p, at);
    at += p.length;
  });
  return out;
}

/** Whether the shape is a plain GET, the only request hq-interop (HTTP/0.9) can make. */
export function isPlainGet(shape: RequestShape): boolean {
  return (
    shape.method === 'GET' &&
    shape.headers.length === 0 &&
    shape.authority === null &&
    shape.body === null
  );
}

const HOST_PART = String.raw`(\[[^\]]*\]|[^:\[\]]*)`;
const CONNECT_TO = new RegExp(`^${HOST_PART}:(\\d*):${HOST_PART}:(\\d*)$`);

function portPart(text: string, rule: string): number {
  if (text === '') return 0;
  const port = Number(text);
  if (!(port >= 1 && port <= 65535)) {
    throw new UsageError(`--connect-to '${rule}': port ${text} is not from 1 to 65535`);
  }
  return port;
}

function hostPart(text: string): string {
  return text.startsWith('[') ? text.slice(1, -1) : text;
}

/** Every --connect-to rule, in order (the first that matches a URL wins, as in curl). */
export function parseConnectTo(args: ParsedArgs): ConnectTo[] {
  return stringsOption(args, 'connect-to').map((rule) => {
    const m = CONNECT_TO.exec(rule);
    if (m === null)
      throw new UsageError(`--connect-to '${rule}': expected HOST1:PORT1:HOST2:PORT2`);
    return {
      host: hostPart(m[1]!),
      port: portPart(m[2]!, rule),
      toHost: hostPart(m[3]!),
      toPort: portPart(m[4]!, rule),
    };
  });
}

/** Where a request to host:port connects, after the --connect-to rules. */
export function connectTarget(
  rules: readonly ConnectTo[],
  host: string,
  port: number,
): { host: string; port: number } {
  const rule = rules.find(
    (r) =>
      (r.host === '' || r.host.toLowerCase() === host.toLowerCase()) &&
      (r.port === 0 || r.port === port),
  );
  if (rule === undefined) return { host, port };
  return {
    host: rule.toHost === '' ? host : rule.toHost,
    port: rule.toPort === 0 ? port : rule.toPort,
  };
}

/**
 * What is shown: curl's rules. The meter needs a terminal on stderr and bodies that do not go
 * to a terminal (a file under --output, or a redirected stdout); -s turns it off.
 */
export function showOptions(args: ParsedArgs, io: CliIo, toFiles: boolean): ShowOptions {
  const silent = flagOption(args, 'silent');
  const head = flagOption(args, 'head');
  return {
    includeHeaders: head || flagOption(args, 'include'),
    verbose: flagOption(args, 'verbose'),
    errors: !silent || flagOption(args, 'show-error'),
    meter: !silent && io.stderr.isTTY === true && (toFiles || io.stdout.isTTY !== true),
  };
}
