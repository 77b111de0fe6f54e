/**
 * `tsquic keys`: writes a key file (src/engine/key-material.ts) that the servers of a pool share
 * with `tsquic serve --keys FILE`, so that tickets, tokens and stateless resets from one are
 * honoured by all, and by a restarted server. `--quic-lb` adds the pool's QUIC-LB configuration
 * (draft-ietf-quic-load-balancers-21, a fresh AES key); each server then takes `--server-id`.
 */
import { writeFile } from 'node:fs/promises';
import { encodeKeyMaterial, generateKeyMaterial } from '../engine/key-material.js';
import { defaultProvider } from '../crypto/default-provider.js';
import type { QuicLbConfig } from '../lb/config.js';
import {
  type CliIo,
  type Command,
  type ParsedArgs,
  UsageError,
  parseIntegerOption,
  stringOption,
} from './args.js';

/** CONFIG:SERVER_ID_LENGTH:NONCE_LENGTH, e.g. 0:2:6. */
function parseQuicLb(text: string): QuicLbConfig {
  const m = /^(\d+):(\d+):(\d+)$/.exec(text);
  if (m === null)
    throw new UsageError(`--quic-lb must be CONFIG:SERVER_ID_LENGTH:NONCE_LENGTH, got '${text}'`);
  const config: QuicLbConfig = {
    configId: parseIntegerOption(m[1]!, 'quic-lb config', 0, 6),
    serverIdLength: parseIntegerOption(m[2]!, 'quic-lb server ID length', 1, 15),
    nonceLength: parseIntegerOption(m[3]!, 'quic-lb nonce length', 4, 18),
    key: defaultProvider.random(16),
  };
  if (config.serverIdLength + config.nonceLength > 19)
    throw new UsageError('--quic-lb: server ID and nonce lengths must sum to 19 or less');
  return config;
}

async function run(args: ParsedArgs, io: CliIo): Promise<number> {
  const out = stringOption(args, 'out');
  if (out === undefined) throw new UsageError('--out FILE is required');
  const rotation = stringOption(args, 'ticket-rotation');
  const lb = stringOption(args, 'quic-lb');
  const km = generateKeyMaterial({
    ...(rotation !== undefined
      ? { ticketRotationSeconds: parseIntegerOption(rotation, 'ticket-rotation', 1, 2 ** 31) }
      : {}),
    ...(lb !== undefined ? { quicLb: parseQuicLb(lb) } : {}),
  });
  try {
    // Secret: readable by its owner only; an existing file is not overwritten.
    await writeFile(out, encodeKeyMaterial(km), { mode: 0o600, flag: 'wx' });
  } catch (e) {
    const code = (e as { code?: string }).code;
    io.stderr.write(
      `tsquic: cannot write ${out}: ${code === 'EEXIST' ? 'file exists' : (e as Error).message}\n`,
    );
    return 1;
  }
  io.stdout.write(`wrote ${out}\n`);
  return 0;
}

export const keysCommand: Command = {
  name: 'keys',
  summary: 'write a key file for servers that share tickets, tokens and stateless resets',
  usage: '--out FILE [options]',
  description: [
    'Writes fresh key material as JSON (mode 0600; an existing file is kept): the session ticket',
    'secret, the Retry/NEW_TOKEN token key and the stateless reset key. Give the same file to',
    'every `tsquic serve --keys FILE` of a pool, and keep it across restarts: resumption, 0-RTT,',
    'Retry, NEW_TOKEN and stateless reset then work whichever server gets the packet. With',
    "--quic-lb the file also holds the pool's QUIC-LB configuration; start each server with its",
    'own --server-id.',
  ].join('\n'),
  options: {
    out: { type: 'string', valueName: 'FILE', description: 'the key file to create' },
    'ticket-rotation': {
      type: 'string',
      valueName: 'SECONDS',
      description: 'how long one ticket key issues tickets (default 43200)',
    },
    'quic-lb': {
      type: 'string',
      valueName: 'C:S:N',
      description: 'QUIC-LB config id (0-6), server ID and nonce lengths in octets, e.g. 0:2:6',
    },
  },
  run,
};
