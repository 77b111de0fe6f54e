/**
 * Option values `tsquic serve` and `tsquic get` share: congestion controller, QUIC version,
 * cipher suite, group, ALPN lists, PEM files, the key log file and the qlog directory. Every
 * mistake is a UsageError naming the option (one line, exit code 2).
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { congestionControlFactory, type CongestionControlChoice } from '../cc/choice.js';
import { congestionControllerNames } from '../cc/registry.js';
import type { CryptoProvider, KeyExchangeGroup, SigningKey } from '../crypto/provider.js';
import type { QlogSink } from '../conn/qlog.js';
import type { QlogFormat } from '../conn/qlog-writer.js';
import { certificateChainFrom, signingKeyFrom } from '../node/credentials.js';
import { qlogToDirectory } from '../node/qlog.js';
import type { CipherSuiteName } from '../tls/types.js';
import { QUIC_V1, QUIC_V2 } from '../wire/version.js';
import { UsageError, parseIntegerOption, readUserFile, type OptionSpecs } from './args.js';

/**
 * `--cc NAME[:KEY=VALUE,...]`: a controller and its options, e.g. `cubic:beta=0.8,c=0.6` or
 * `bbr:probeRttIntervalMs=2000`. Values are numbers, `true` or `false`; the controller checks
 * them (an unknown option or a value out of range is a UsageError naming it).
 */
export function parseCongestionControl(text: string): CongestionControlChoice {
  const colon = text.indexOf(':');
  const name = colon < 0 ? text : text.slice(0, colon);
  const names = congestionControllerNames();
  if (!names.includes(name)) {
    throw new UsageError(`--cc must be one of ${names.join(', ')}, got '${name}'`);
  }
  if (colon < 0) return name;
  const options: Record<string, number | boolean> = {};
  for (const pair of text.slice(colon + 1).split(',')) {
    const eq = pair.indexOf('=');
    const key = eq < 0 ? '' : pair.slice(0, eq).trim();
    const value = eq < 0 ? '' : pair.slice(eq + 1).trim();
    if (key === '' || value === '') {
      throw new UsageError(`--cc options are KEY=VALUE separated by commas, got '${pair}'`);
    }
    const parsed = value === 'true' ? true : value === 'false' ? false : Number(value);
    if (typeof parsed === 'number' && !Number.isFinite(parsed)) {
      throw new UsageError(`--cc option ${key} must be a number, true or false, got '${value}'`);
    }
    options[key] = parsed;
  }
  const choice = { name, options };
  try {
    congestionControlFactory(choice);
  } catch (e) {
    throw new UsageError(`--cc: ${(e as Error).message}`);
  }
  return choice;
}

/** `--idle-timeout SECONDS` as the idle timeout we advertise, ms (RFC 9000 §10.1; 0 disables). */
export function parseIdleTimeout(text: string): number {
  return parseIntegerOption(text, 'idle-timeout', 0, 3600) * 1000;
}

/** The option entries serve and get share (parsed by the functions of this module). */
export const SHARED_OPTIONS: OptionSpecs = {
  cc: {
    type: 'string',
    valueName: 'NAME[:K=V,...]',
    description:
      'congestion control: newreno, cubic or bbr, with options (e.g. cubic:beta=0.8, bbr:startupPacingGain=2.5)',
  },
  keylog: {
    type: 'string',
    valueName: 'FILE',
    description: 'append TLS secrets (SSLKEYLOGFILE format)',
  },
  'qlog-dir': {
    type: 'string',
    valueName: 'DIR',
    description: 'write a qlog file per connection (default: $QLOGDIR)',
  },
  'qlog-format': {
    type: 'string',
    valueName: 'FORMAT',
    description: 'qlog as the IETF drafts define it (ietf, default) or as qvis loads it (qvis)',
  },
  'idle-timeout': {
    type: 'string',
    valueName: 'SECONDS',
    description: 'idle timeout to advertise (default 30; 0: none)',
  },
  'max-udp-payload': {
    type: 'string',
    valueName: 'BYTES',
    description: 'largest UDP payload to accept and to search for with PMTUD (default 1452)',
  },
  'no-pmtud': {
    type: 'boolean',
    description: 'no path MTU discovery: every datagram stays at 1200 bytes',
  },
  'key-update-after': {
    type: 'string',
    valueName: 'BYTES',
    description:
      'update the 1-RTT keys once BYTES have been exchanged (interop keyupdate: 1048576)',
  },
};

/**
 * `--max-udp-payload BYTES` and `--no-pmtud` as connection options: the largest UDP payload we
 * accept and the ceiling of path MTU discovery (RFC 9000 §14.3, §18.2), and discovery off.
 */
export function parsePmtudOptions(
  maxText: string | undefined,
  noPmtud: boolean,
): { maxUdpPayload?: number; pmtud?: { enabled: boolean } } {
  return {
    ...(maxText !== undefined
      ? { maxUdpPayload: parseIntegerOption(maxText, 'max-udp-payload', 1200, 65527) }
      : {}),
    ...(noPmtud ? { pmtud: { enabled: false } } : {}),
  };
}

/** `--key-update-after BYTES`: the connection option keyUpdateAfterBytes (RFC 9001 §6). */
export function parseKeyUpdateAfter(text: string): number {
  return parseIntegerOption(text, 'key-update-after', 1, Number.MAX_SAFE_INTEGER);
}

/** `--quic-version`: one version or a comma-separated list in preference order ("v2,v1", "1,2"). */
export function parseQuicVersions(text: string): number[] {
  const versions: number[] = [];
  for (const item of text.split(',')) {
    const name = item.trim().toLowerCase().replace(/^v/, '');
    const version = name === '1' ? QUIC_V1 : name === '2' ? QUIC_V2 : null;
    if (version === null) {
      throw new UsageError(`--quic-version takes 1, 2 or a list such as 2,1; got '${text}'`);
    }
    if (versions.includes(version)) throw new UsageError(`--quic-version lists ${name} twice`);
    versions.push(version);
  }
  return versions;
}

const CIPHERS: Readonly<Record<string, CipherSuiteName>> = {
  aes128: 'TLS_AES_128_GCM_SHA256',
  aes256: 'TLS_AES_256_GCM_SHA384',
  chacha20: 'TLS_CHACHA20_POLY1305_SHA256',
};

export function parseCipher(text: string): CipherSuiteName {
  const suite = CIPHERS[text];
  if (suite === undefined) {
    throw new UsageError(
      `--cipher must be one of ${Object.keys(CIPHERS).join(', ')}, got '${text}'`,
    );
  }
  return suite;
}

const GROUPS: Readonly<Record<string, KeyExchangeGroup>> = {
  x25519: 'x25519',
  p256: 'secp256r1',
  p384: 'secp384r1',
  x25519mlkem768: 'X25519MLKEM768',
};

export function parseGroup(text: string): KeyExchangeGroup {
  const group = GROUPS[text];
  if (group === undefined) {
    throw new UsageError(`--group must be one of ${Object.keys(GROUPS).join(', ')}, got '${text}'`);
  }
  return group;
}

/** A comma-separated ALPN list where every entry is one of `supported`. */
export function parseAlpnList(text: string, supported: readonly string[]): string[] {
  const list = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (list.length === 0) throw new UsageError('--alpn is empty');
  for (const alpn of list) {
    if (!supported.includes(alpn)) {
      throw new UsageError(
        `--alpn '${alpn}' is not supported (supported: ${supported.join(', ')})`,
      );
    }
  }
  return [...new Set(list)];
}

/** A positive number of seconds (decimals allowed) as milliseconds. */
export function parseSeconds(text: string, name: string): number {
  const n = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
  if (!(n > 0 && n <= 86_400)) {
    throw new UsageError(`--${name} must be a number of seconds above 0, got '${text}'`);
  }
  return n * 1000;
}

/** DER certificates of a PEM file. */
export async function readCertificateFile(file: string, option: string): Promise<Uint8Array[]> {
  const bytes = await readUserFile(file);
  try {
    return certificateChainFrom(Buffer.from(bytes).toString('latin1'));
  } catch (e) {
    throw new UsageError(`--${option} ${file}: ${(e as Error).message}`);
  }
}

/** The signing key of a PEM private key file. */
export async function readKeyFile(
  provider: CryptoProvider,
  file: string,
  option: string,
): Promise<SigningKey> {
  const bytes = await readUserFile(file);
  try {
    return signingKeyFrom(provider, Buffer.from(bytes).toString('latin1'));
  } catch (e) {
    throw new UsageError(`--${option} ${file}: ${(e as Error).message}`);
  }
}

/** Appends SSLKEYLOGFILE lines to a file, synchronously (a handful per connection). */
export class KeyLogFile {
  private fd: number | null;

  private constructor(fd: number) {
    this.fd = fd;
  }

  /** Opens `--keylog FILE`, else $SSLKEYLOGFILE, for appending; null when neither is set. */
  static open(option: string | undefined, env = process.env): KeyLogFile | null {
    const file = option ?? env['SSLKEYLOGFILE'];
    if (file === undefined || file === '') return null;
    const what = option !== undefined ? '--keylog' : 'SSLKEYLOGFILE';
    try {
      return new KeyLogFile(openSync(file, 'a'));
    } catch (e) {
      throw new UsageError(`${what} ${file}: ${(e as Error).message}`);
    }
  }

  readonly log = (line: string): void => {
    if (this.fd !== null) writeSync(this.fd, line + '\n');
  };

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/** `--qlog-format`: "ietf" (default) or "qvis". */
export function parseQlogFormat(text: string | undefined): QlogFormat {
  if (text === undefined || text === 'ietf' || text === 'qvis') return text ?? 'ietf';
  throw new UsageError(`--qlog-format must be ietf or qvis, got '${text}'`);
}

/**
 * The directory of `--qlog-dir DIR`, else of $QLOGDIR (qlog main-schema §11.1, read like
 * SSLKEYLOGFILE); undefined when neither is set.
 */
export function qlogDirectory(option: string | undefined, env = process.env): string | undefined {
  if (option !== undefined) return option;
  const dir = env['QLOGDIR'];
  return dir === undefined || dir === '' ? undefined : dir;
}

/** The qlog factory for `--qlog-dir DIR` or $QLOGDIR (created when missing). */
export function qlogDirectoryOption(
  option: string | undefined,
  format: QlogFormat = 'ietf',
  env = process.env,
): ((traceId: string, role: 'client' | 'server') => QlogSink | undefined) | undefined {
  const dir = qlogDirectory(option, env);
  if (dir === undefined) return undefined;
  const what = option !== undefined ? '--qlog-dir' : 'QLOGDIR';
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new UsageError(`${what} ${dir}: ${(e as Error).message}`);
  }
  const open = qlogToDirectory(dir, format);
  return (traceId, role) => {
    try {
      return open(traceId, role);
    } catch {
      // A qlog that cannot be written must not fail the connection.
      return undefined;
    }
  };
}
