/**
 * Key material shared by the servers of a pool (or kept across restarts), so that whichever
 * server receives a packet can act on what another issued: session tickets (resumption and
 * 0-RTT, RFC 8446 §4.6.1), Retry and NEW_TOKEN tokens (RFC 9000 §8.1), stateless reset tokens
 * (RFC 9000 §10.3.2), and optionally the pool's QUIC-LB configuration
 * (draft-ietf-quic-load-balancers-21 §5.2).
 *
 * The file format (JSON, byte strings in standard base64, RFC 4648 §4):
 *
 *   {
 *     "format": "tsquic-keys",
 *     "version": 1,
 *     "ticketSecret": "<32 bytes>",         each period's ticket key is derived from it
 *     "ticketRotationSeconds": 43200,       how long one ticket key seals new tickets
 *     "tokenKey": "<16 bytes>",             seals Retry and NEW_TOKEN tokens (AES-128-GCM)
 *     "statelessResetKey": "<32 bytes>",    HMAC key of stateless reset tokens
 *     "quicLb": {                           optional: the pool's QUIC-LB configuration
 *       "configId": 0, "serverIdLength": 2, "nonceLength": 6, "key": "<16 bytes>"
 *     }
 *   }
 *
 * Keep the file as secret as a private key: it opens every ticket and token of the pool.
 */
import type { CryptoProvider } from '../crypto/provider.js';
import { defaultProvider } from '../crypto/default-provider.js';
import { TicketKeys, TICKET_SECRET_LENGTH } from '../tls/ticket-keys.js';
import { checkQuicLbConfig, type QuicLbConfig } from '../lb/config.js';

export const KEY_FILE_FORMAT = 'tsquic-keys';
export const KEY_FILE_VERSION = 1;
const TOKEN_KEY_LENGTH = 16;
const RESET_KEY_LENGTH = 32;

export interface KeyMaterial {
  /** 32 bytes; the ticket key of each rotation period is derived from it. */
  readonly ticketSecret: Uint8Array;
  /** How long one ticket key seals new tickets, seconds (tickets stay valid one period more). */
  readonly ticketRotationSeconds: number;
  /** 16 bytes sealing Retry and NEW_TOKEN tokens. */
  readonly tokenKey: Uint8Array;
  /** 32 bytes keying stateless reset tokens. */
  readonly statelessResetKey: Uint8Array;
  /** The pool's QUIC-LB configuration, if the pool routes by CID. */
  readonly quicLb?: QuicLbConfig;
}

/** Fresh key material (12-hour ticket rotation unless given). */
export function generateKeyMaterial(
  opts: { ticketRotationSeconds?: number; quicLb?: QuicLbConfig } = {},
  provider: CryptoProvider = defaultProvider,
): KeyMaterial {
  const km: KeyMaterial = {
    ticketSecret: provider.random(TICKET_SECRET_LENGTH),
    ticketRotationSeconds: opts.ticketRotationSeconds ?? 12 * 3600,
    tokenKey: provider.random(TOKEN_KEY_LENGTH),
    statelessResetKey: provider.random(RESET_KEY_LENGTH),
    ...(opts.quicLb ? { quicLb: opts.quicLb } : {}),
  };
  checkKeyMaterial(km);
  return km;
}

/** The session ticket keys of this material (the same keys on every server holding it). */
export function ticketKeysFrom(km: KeyMaterial, provider: CryptoProvider): TicketKeys {
  return new TicketKeys(provider, {
    secret: km.ticketSecret,
    rotationMs: km.ticketRotationSeconds * 1000,
  });
}

/** The key file's text. */
export function encodeKeyMaterial(km: KeyMaterial): string {
  checkKeyMaterial(km);
  const lb = km.quicLb;
  const file = {
    format: KEY_FILE_FORMAT,
    version: KEY_FILE_VERSION,
    ticketSecret: toBase64(km.ticketSecret),
    ticketRotationSeconds: km.ticketRotationSeconds,
    tokenKey: toBase64(km.tokenKey),
    statelessResetKey: toBase64(km.statelessResetKey),
    ...(lb
      ? {
          quicLb: {
            configId: lb.configId,
            serverIdLength: lb.serverIdLength,
            nonceLength: lb.nonceLength,
            ...(lb.key ? { key: toBase64(lb.key) } : {}),
            ...(lb.encodeLength === false ? { encodeLength: false } : {}),
          },
        }
      : {}),
  };
  return JSON.stringify(file, null, 2) + '\n';
}

/** Parses and checks a key file's text; throws a TypeError or RangeError saying what is wrong. */
export function decodeKeyMaterial(text: string): KeyMaterial {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new TypeError(`key file: not JSON (${(e as Error).message})`);
  }
  const o = record(json, 'key file');
  if (o.format !== KEY_FILE_FORMAT)
    throw new TypeError(`key file: format is not "${KEY_FILE_FORMAT}"`);
  if (o.version !== KEY_FILE_VERSION)
    throw new TypeError(
      `key file: version ${String(o.version)} is not supported (${KEY_FILE_VERSION} is)`,
    );
  known(o, 'key file', [
    'format',
    'version',
    'ticketSecret',
    'ticketRotationSeconds',
    'tokenKey',
    'statelessResetKey',
    'quicLb',
  ]);
  let quicLb: QuicLbConfig | undefined;
  if (o.quicLb !== undefined) {
    const l = record(o.quicLb, 'key file: quicLb');
    known(l, 'key file: quicLb', [
      'configId',
      'serverIdLength',
      'nonceLength',
      'key',
      'encodeLength',
    ]);
    if (l.encodeLength !== undefined && typeof l.encodeLength !== 'boolean')
      throw new TypeError('key file: quicLb.encodeLength must be true or false');
    quicLb = {
      configId: integer(l.configId, 'quicLb.configId'),
      serverIdLength: integer(l.serverIdLength, 'quicLb.serverIdLength'),
      nonceLength: integer(l.nonceLength, 'quicLb.nonceLength'),
      ...(l.key !== undefined ? { key: bytes(l.key, 'quicLb.key', 16) } : {}),
      ...(l.encodeLength === false ? { encodeLength: false } : {}),
    };
  }
  const km: KeyMaterial = {
    ticketSecret: bytes(o.ticketSecret, 'ticketSecret', TICKET_SECRET_LENGTH),
    ticketRotationSeconds: integer(o.ticketRotationSeconds, 'ticketRotationSeconds'),
    tokenKey: bytes(o.tokenKey, 'tokenKey', TOKEN_KEY_LENGTH),
    statelessResetKey: bytes(o.statelessResetKey, 'statelessResetKey', RESET_KEY_LENGTH),
    ...(quicLb ? { quicLb } : {}),
  };
  checkKeyMaterial(km);
  return km;
}

function checkKeyMaterial(km: KeyMaterial): void {
  const len = (b: Uint8Array, n: number, name: string): void => {
    if (b.length !== n) throw new RangeError(`key file: ${name} must be ${n} bytes`);
  };
  len(km.ticketSecret, TICKET_SECRET_LENGTH, 'ticketSecret');
  len(km.tokenKey, TOKEN_KEY_LENGTH, 'tokenKey');
  len(km.statelessResetKey, RESET_KEY_LENGTH, 'statelessResetKey');
  if (!Number.isInteger(km.ticketRotationSeconds) || km.ticketRotationSeconds < 1)
    throw new RangeError('key file: ticketRotationSeconds must be a positive integer');
  if (km.quicLb) checkQuicLbConfig(km.quicLb);
}

function record(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new TypeError(`${what} must be a JSON object`);
  return v as Record<string, unknown>;
}

function known(o: Record<string, unknown>, what: string, fields: string[]): void {
  for (const k of Object.keys(o))
    if (!fields.includes(k)) throw new TypeError(`${what}: unknown field "${k}"`);
}

function integer(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v))
    throw new TypeError(`key file: ${name} must be an integer`);
  return v;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function bytes(v: unknown, name: string, length: number): Uint8Array {
  if (typeof v !== 'string' || !BASE64.test(v))
    throw new TypeError(`key file: ${name} must be a base64 string`);
  const bin = atob(v);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  if (out.length !== length) throw new RangeError(`key file: ${name} must be ${length} bytes`);
  return out;
}

function toBase64(b: Uint8Array): string {
  let bin = '';
  for (const x of b) bin += String.fromCharCode(x);
  return btoa(bin);
}
