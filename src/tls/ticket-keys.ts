/**
 * Server ticket keys. Tickets are stateless (RFC 8446 §4.6.1 leaves the format to the server):
 * the resumption state is sealed with AES-256-GCM under a key that rotates every `rotationMs`;
 * the previous key still opens tickets for one more period. Share one TicketKeys between all
 * connections of a server.
 *
 * Keys are random per TicketKeys by default. With a `secret` shared by several servers (or kept
 * across restarts), each period's key is derived from it instead, periods aligned on the wall
 * clock: every holder of the secret seals and opens with the same keys, and rotation needs no
 * coordination. Whoever holds the secret can open every ticket of its lifetime, so replace it
 * from time to time (forward secrecy of resumption, RFC 8446 §8 and App. E.1).
 *
 * Ticket layout: key_id(16) || nonce(12) || AEAD(state) with key_id as associated data. Nonces
 * are random: a key seals far fewer than the 2^32 messages random GCM nonces allow.
 */
import type { Aead, CryptoProvider } from '../crypto/provider.js';
import { bytesEqual, concatBytes, utf8 } from '../util/bytes.js';

const KEY_ID_LENGTH = 16;
const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;
/** The shared secret's length: an HKDF PRK for SHA-256 (RFC 5869 §2.2). */
export const TICKET_SECRET_LENGTH = 32;

interface TicketKey {
  readonly id: Uint8Array;
  readonly aead: Aead;
  /** Random keys: when it was made. Derived keys: the start of its period. */
  readonly createdAt: number;
}

export interface TicketKeysOptions {
  /** How long a key seals new tickets, ms (default 12 hours). Tickets stay valid one period longer. */
  readonly rotationMs?: number;
  /** 32 bytes shared by servers that accept each other's tickets; default none (random keys). */
  readonly secret?: Uint8Array;
}

export class TicketKeys {
  readonly rotationMs: number;
  private readonly secret: Uint8Array | null;
  private current: TicketKey | null = null;
  private previous: TicketKey | null = null;

  constructor(
    private readonly provider: CryptoProvider,
    opts: TicketKeysOptions = {},
  ) {
    const rotationMs = opts.rotationMs ?? 12 * 3600_000;
    if (!(rotationMs > 0)) throw new RangeError('rotationMs must be positive');
    if (opts.secret !== undefined && opts.secret.length !== TICKET_SECRET_LENGTH)
      throw new RangeError(`the ticket secret must be ${TICKET_SECRET_LENGTH} bytes`);
    this.rotationMs = rotationMs;
    this.secret = opts.secret?.slice() ?? null;
  }

  /** Seals `state` into a ticket with the current key at `now` (ms since the epoch). */
  seal(state: Uint8Array, now: number): Uint8Array {
    const key = this.rotate(now);
    const out = new Uint8Array(KEY_ID_LENGTH + NONCE_LENGTH + state.length + TAG_LENGTH);
    out.set(key.id, 0);
    const nonce = this.provider.random(NONCE_LENGTH);
    out.set(nonce, KEY_ID_LENGTH);
    key.aead.seal(nonce, key.id, state, out, KEY_ID_LENGTH + NONCE_LENGTH);
    return out;
  }

  /** The state sealed in `ticket`, or null when no live key opens it. */
  open(ticket: Uint8Array, now: number): Uint8Array | null {
    if (ticket.length < KEY_ID_LENGTH + NONCE_LENGTH + TAG_LENGTH) return null;
    this.rotate(now);
    const id = ticket.subarray(0, KEY_ID_LENGTH);
    const key = [this.current, this.previous].find((k) => k !== null && bytesEqual(k.id, id));
    if (key === undefined || key === null) return null;
    const nonce = ticket.subarray(KEY_ID_LENGTH, KEY_ID_LENGTH + NONCE_LENGTH);
    const sealed = ticket.subarray(KEY_ID_LENGTH + NONCE_LENGTH);
    const out = new Uint8Array(sealed.length);
    const n = key.aead.open(nonce, id, sealed, out, 0);
    return n < 0 ? null : out.subarray(0, n);
  }

  private rotate(now: number): TicketKey {
    return this.secret === null ? this.rotateRandom(now) : this.rotateDerived(now);
  }

  private rotateRandom(now: number): TicketKey {
    const cur = this.current;
    if (cur !== null && now - cur.createdAt < this.rotationMs && now >= cur.createdAt) return cur;
    // The retiring key keeps opening tickets for one period; an older one is dropped.
    this.previous = cur !== null && now - cur.createdAt < 2 * this.rotationMs ? cur : null;
    const key: TicketKey = {
      id: this.provider.random(KEY_ID_LENGTH),
      aead: this.provider.createAead('aes-256-gcm', this.provider.random(32)),
      createdAt: now,
    };
    this.current = key;
    return key;
  }

  /** The keys of the period holding `now` and of the one before, derived from the secret. */
  private rotateDerived(now: number): TicketKey {
    const start = Math.floor(now / this.rotationMs) * this.rotationMs;
    const cur = this.current;
    if (cur !== null && cur.createdAt === start) return cur;
    const prevStart = start - this.rotationMs;
    this.previous =
      cur !== null && cur.createdAt === prevStart ? cur : this.derive(prevStart / this.rotationMs);
    this.current = this.derive(start / this.rotationMs);
    return this.current;
  }

  /** HKDF-Expand(secret, label || period) for the key and its id (RFC 5869 §2.3). */
  private derive(period: number): TicketKey {
    const p = new Uint8Array(8);
    new DataView(p.buffer).setBigUint64(0, BigInt(period));
    const expand = (label: string, n: number): Uint8Array =>
      this.provider.hkdfExpand('sha256', this.secret!, concatBytes(utf8(label), p), n);
    return {
      id: expand('tsquic ticket key id', KEY_ID_LENGTH),
      aead: this.provider.createAead('aes-256-gcm', expand('tsquic ticket key', 32)),
      createdAt: period * this.rotationMs,
    };
  }
}
