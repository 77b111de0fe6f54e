/**
 * Server ticket keys. Tickets are stateless (RFC 8446 §4.6.1 leaves the format to the server):
 * the resumption state is sealed with AES-256-GCM under a key that rotates every `rotationMs`;
 * the previous key still opens tickets for one more period. Share one TicketKeys between all
 * connections of a server.
 *
 * Ticket layout: key_id(16) || nonce(12) || AEAD(state) with key_id as associated data. Nonces
 * are random: a key seals far fewer than the 2^32 messages random GCM nonces allow.
 */
import type { Aead, CryptoProvider } from '../crypto/provider.js';
import { bytesEqual } from '../util/bytes.js';

const KEY_ID_LENGTH = 16;
const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;

interface TicketKey {
  readonly id: Uint8Array;
  readonly aead: Aead;
  readonly createdAt: number;
}

export interface TicketKeysOptions {
  /** How long a key seals new tickets, ms (default 12 hours). Tickets stay valid one period longer. */
  readonly rotationMs?: number;
}

export class TicketKeys {
  readonly rotationMs: number;
  private current: TicketKey | null = null;
  private previous: TicketKey | null = null;

  constructor(
    private readonly provider: CryptoProvider,
    opts: TicketKeysOptions = {},
  ) {
    const rotationMs = opts.rotationMs ?? 12 * 3600_000;
    if (!(rotationMs > 0)) throw new RangeError('rotationMs must be positive');
    this.rotationMs = rotationMs;
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
}
