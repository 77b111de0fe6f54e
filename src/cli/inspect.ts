/**
 * `tsquic inspect`: decodes QUIC datagrams given as hex (arguments), in a file (hex text or raw
 * binary) or on standard input, and prints their packets, frames and TLS handshake summaries as
 * text or JSON. Exit code 1 when a packet could not be decoded (its reason is printed), 0
 * otherwise.
 */
import { fromUtf8 } from '../util/bytes.js';
import {
  Dissector,
  dissectionToJson,
  formatDissection,
  parseKeyLog,
  type DissectOptions,
  type DissectedDatagram,
} from '../testing/dissect.js';
import {
  type CliIo,
  type Command,
  type ParsedArgs,
  UsageError,
  flagOption,
  parseHex,
  parseIntegerOption,
  readUserFile,
  stringOption,
} from './args.js';

/** Tab, newline, carriage return, form feed and printable ASCII. */
function isText(bytes: Uint8Array): boolean {
  for (const b of bytes) {
    if (!((b >= 0x20 && b <= 0x7e) || b === 0x09 || b === 0x0a || b === 0x0c || b === 0x0d)) {
      return false;
    }
  }
  return true;
}

/**
 * The datagrams in file or stdin contents. Input that is all printable ASCII is hex text, with
 * datagrams separated by blank lines (a hex dump wrapped over several lines is one datagram);
 * anything else is one raw binary datagram. Encrypted QUIC packets are practically never all
 * printable: the chance for a 20-byte packet is about 1 in 10^9.
 */
export function datagramsFromInput(bytes: Uint8Array, source: string): Uint8Array[] {
  if (bytes.length === 0) throw new UsageError(`${source} is empty`);
  if (!isText(bytes)) return [bytes];
  const blocks = fromUtf8(bytes)
    .split(/\r?\n[ \t]*\r?\n/)
    .filter((b) => b.trim() !== '');
  if (blocks.length === 0) throw new UsageError(`${source} is empty`);
  return blocks.map((b, i) =>
    parseHex(b, blocks.length === 1 ? source : `datagram ${i + 1} of ${source}`),
  );
}

async function readDatagrams(args: ParsedArgs, io: CliIo): Promise<Uint8Array[]> {
  const file = stringOption(args, 'file');
  if (file !== undefined && args.positionals.length > 0) {
    throw new UsageError('give datagrams as HEX arguments or with --file, not both');
  }
  if (file !== undefined) return datagramsFromInput(await readUserFile(file), file);
  if (args.positionals.length > 0) {
    const n = args.positionals.length;
    return args.positionals.map((hex, i) =>
      parseHex(hex, n === 1 ? 'HEX' : `HEX argument ${i + 1}`),
    );
  }
  const stdin = await io.readStdin();
  if (stdin === null) {
    throw new UsageError('no datagram: give HEX, --file FILE, or pipe data to standard input');
  }
  return datagramsFromInput(stdin, 'standard input');
}

async function dissectOptions(args: ParsedArgs): Promise<DissectOptions> {
  const options: DissectOptions = {};
  const dcid = stringOption(args, 'dcid');
  if (dcid !== undefined) {
    const bytes = parseHex(dcid, '--dcid');
    if (bytes.length > 20) throw new UsageError('--dcid: a connection ID is at most 20 bytes');
    options.dcid = bytes;
  }
  const dcidLength = stringOption(args, 'short-dcid-length');
  if (dcidLength !== undefined) {
    options.shortDcidLength = parseIntegerOption(dcidLength, 'short-dcid-length', 0, 20);
  }
  const keylog = stringOption(args, 'keylog');
  if (keylog !== undefined) {
    try {
      options.keys = parseKeyLog(fromUtf8(await readUserFile(keylog)));
    } catch (e) {
      if (e instanceof TypeError) throw new UsageError(`${keylog}: ${e.message}`);
      throw e;
    }
  }
  return options;
}

async function runInspect(args: ParsedArgs, io: CliIo): Promise<number> {
  const options = await dissectOptions(args);
  const datagrams = await readDatagrams(args, io);
  // One dissector for all datagrams: a client Initial teaches it the keys of the server's.
  const dissector = new Dissector(options);
  const results: DissectedDatagram[] = datagrams.map((d) => dissector.dissect(d));
  if (flagOption(args, 'json')) {
    io.stdout.write(`${JSON.stringify(dissectionToJson(results), null, 2)}\n`);
  } else {
    io.stdout.write(formatDissection(results));
  }
  const failed = results.some((r) => r.packets.some((p) => p.error !== undefined));
  return failed ? 1 : 0;
}

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'decode QUIC datagrams: headers, frames, TLS handshake summaries',
  usage: '[options] [HEX...]',
  description: [
    'Decodes QUIC datagrams: the packets coalesced in each, their headers, the frames inside',
    'once packet protection is removed, and the TLS handshake messages in CRYPTO frames',
    '(ClientHello and ServerHello: SNI, ALPN, cipher suites, groups, transport parameters).',
    '',
    'Each HEX argument is one datagram; datagrams given together are read in order as one',
    "connection, so a server's Initial after the client's is decrypted too. Without HEX or",
    '--file, standard input is read. File and standard input hold raw binary (one datagram) or',
    'hex text (datagrams separated by blank lines).',
    '',
    "Initial packets need no key: a client's Initial is decrypted with keys from its own DCID;",
    "a server's needs the client's first DCID (--dcid) unless that Initial came first.",
    'Handshake, 0-RTT and 1-RTT packets need --keylog.',
    '',
    'Exit status: 0 when every packet was decoded, 1 when one could not be (the reason is',
    'printed with it), 2 for a usage error.',
  ].join('\n'),
  options: {
    file: {
      type: 'string',
      short: 'f',
      valueName: 'FILE',
      description: 'read datagrams from FILE (raw binary, or hex text)',
    },
    dcid: {
      type: 'string',
      valueName: 'HEX',
      description: "DCID of the client's first Initial: decrypts server Initials, checks Retry",
    },
    keylog: {
      type: 'string',
      valueName: 'FILE',
      description: 'SSLKEYLOGFILE with the handshake, 0-RTT and 1-RTT traffic secrets',
    },
    'short-dcid-length': {
      type: 'string',
      valueName: 'N',
      description: 'DCID length of 1-RTT packets (default: from a coalesced long header)',
    },
    json: { type: 'boolean', description: 'print JSON instead of text' },
  },
  maxPositionals: Number.POSITIVE_INFINITY,
  run: runInspect,
};
