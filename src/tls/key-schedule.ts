/**
 * The TLS 1.3 key schedule (RFC 8446 §7.1): early, handshake and master secrets and everything
 * derived from them, Finished keys (§4.4.4), PSK binder keys (§4.2.11.2), the resumption PSK
 * (§4.6.1) and the exporter (§7.5). Transcript hashes are passed in; the schedule holds only
 * secrets, and `forgetSecrets` drops them once the handshake has derived what outlives it (the
 * session keeps the exporter and resumption master secrets itself).
 */
import { deriveSecret, hkdfExpandLabel } from '../crypto/hkdf.js';
import type { CryptoProvider, HashAlg } from '../crypto/provider.js';
import { hashLength } from '../crypto/alg-params.js';
import { alert } from './alert.js';

/** Hash of the empty string per hash algorithm (KeySchedule.emptyHash). */
const EMPTY_HASHES = new Map<HashAlg, Uint8Array>();

export class KeySchedule {
  readonly hashLength: number;
  private early: Uint8Array | null;
  handshakeSecret: Uint8Array | null = null;
  masterSecret: Uint8Array | null = null;

  /**
   * Starts the schedule: Early Secret = HKDF-Extract(0, PSK), with a string of Hash.length
   * zero bytes standing in for an absent PSK.
   */
  constructor(
    private readonly provider: CryptoProvider,
    readonly hash: HashAlg,
    psk?: Uint8Array,
  ) {
    this.hashLength = hashLength(hash);
    const zeros = new Uint8Array(this.hashLength);
    this.early = provider.hkdfExtract(hash, zeros, psk ?? zeros);
  }

  /** The Early Secret; an internal_error alert after `forgetSecrets`. */
  get earlySecret(): Uint8Array {
    return this.need(this.early);
  }

  /**
   * Hash of the empty string, the context of every "derived" secret: computed once per process
   * and hash (it is the same whatever the provider), read only.
   */
  get emptyHash(): Uint8Array {
    let h = EMPTY_HASHES.get(this.hash);
    if (h === undefined) {
      h = this.provider.hash(this.hash, new Uint8Array(0));
      EMPTY_HASHES.set(this.hash, h);
    }
    return h;
  }

  /** Whether any of the early, handshake and master secrets is still held. */
  get holdsSecrets(): boolean {
    return this.early !== null || this.handshakeSecret !== null || this.masterSecret !== null;
  }

  /**
   * Drops the early, handshake and master secrets: after the handshake only the exporter
   * (§7.5) and ticket PSKs (§4.6.1) are derived, from secrets the session holds, so the rest
   * need not stay in memory.
   */
  forgetSecrets(): void {
    this.early = null;
    this.handshakeSecret = null;
    this.masterSecret = null;
  }

  deriveSecret(secret: Uint8Array, label: string, transcriptHash: Uint8Array): Uint8Array {
    return deriveSecret(this.provider, this.hash, secret, label, transcriptHash);
  }

  /** binder_key for resumption PSKs: Derive-Secret(Early Secret, "res binder", "") (§7.1). */
  binderKey(): Uint8Array {
    return this.deriveSecret(this.earlySecret, 'res binder', this.emptyHash);
  }

  /** client_early_traffic_secret over Transcript-Hash(ClientHello). */
  clientEarlyTrafficSecret(thClientHello: Uint8Array): Uint8Array {
    return this.deriveSecret(this.earlySecret, 'c e traffic', thClientHello);
  }

  /** Handshake Secret = HKDF-Extract(Derive-Secret(Early Secret, "derived", ""), (EC)DHE). */
  deriveHandshakeSecret(sharedSecret: Uint8Array): Uint8Array {
    const derived = this.deriveSecret(this.earlySecret, 'derived', this.emptyHash);
    this.handshakeSecret = this.provider.hkdfExtract(this.hash, derived, sharedSecret);
    return this.handshakeSecret;
  }

  /** [sender]_handshake_traffic_secret over Transcript-Hash(ClientHello...ServerHello). */
  handshakeTrafficSecret(sender: 'client' | 'server', thServerHello: Uint8Array): Uint8Array {
    const label = sender === 'client' ? 'c hs traffic' : 's hs traffic';
    return this.deriveSecret(this.need(this.handshakeSecret), label, thServerHello);
  }

  /** Master Secret = HKDF-Extract(Derive-Secret(Handshake Secret, "derived", ""), 0). */
  deriveMasterSecret(): Uint8Array {
    const derived = this.deriveSecret(this.need(this.handshakeSecret), 'derived', this.emptyHash);
    this.masterSecret = this.provider.hkdfExtract(
      this.hash,
      derived,
      new Uint8Array(this.hashLength),
    );
    return this.masterSecret;
  }

  /** [sender]_application_traffic_secret_0 over Transcript-Hash(ClientHello...server Finished). */
  applicationTrafficSecret(sender: 'client' | 'server', thServerFinished: Uint8Array): Uint8Array {
    const label = sender === 'client' ? 'c ap traffic' : 's ap traffic';
    return this.deriveSecret(this.need(this.masterSecret), label, thServerFinished);
  }

  /** exporter_master_secret over Transcript-Hash(ClientHello...server Finished). */
  exporterMasterSecret(thServerFinished: Uint8Array): Uint8Array {
    return this.deriveSecret(this.need(this.masterSecret), 'exp master', thServerFinished);
  }

  /** resumption_master_secret over Transcript-Hash(ClientHello...client Finished). */
  resumptionMasterSecret(thClientFinished: Uint8Array): Uint8Array {
    return this.deriveSecret(this.need(this.masterSecret), 'res master', thClientFinished);
  }

  /** finished_key = HKDF-Expand-Label(BaseKey, "finished", "", Hash.length) (§4.4.4). */
  finishedKey(baseKey: Uint8Array): Uint8Array {
    return hkdfExpandLabel(
      this.provider,
      this.hash,
      baseKey,
      'finished',
      new Uint8Array(0),
      this.hashLength,
    );
  }

  /** verify_data = HMAC(finished_key, Transcript-Hash(...)) (§4.4.4); also the PSK binder. */
  verifyData(baseKey: Uint8Array, transcriptHash: Uint8Array): Uint8Array {
    return this.provider.hmac(this.hash, this.finishedKey(baseKey), transcriptHash);
  }

  /** The PSK of one ticket: HKDF-Expand-Label(resumption_master_secret, "resumption", nonce). */
  resumptionPsk(resumptionMasterSecret: Uint8Array, ticketNonce: Uint8Array): Uint8Array {
    return hkdfExpandLabel(
      this.provider,
      this.hash,
      resumptionMasterSecret,
      'resumption',
      ticketNonce,
      this.hashLength,
    );
  }

  /**
   * TLS-Exporter(label, context_value, key_length) (§7.5):
   * HKDF-Expand-Label(Derive-Secret(Secret, label, ""), "exporter", Hash(context_value), key_length).
   */
  exporter(
    exporterMasterSecret: Uint8Array,
    label: string,
    context: Uint8Array,
    length: number,
  ): Uint8Array {
    const secret = this.deriveSecret(exporterMasterSecret, label, this.emptyHash);
    const ctx = this.provider.hash(this.hash, context);
    return hkdfExpandLabel(this.provider, this.hash, secret, 'exporter', ctx, length);
  }

  private need(secret: Uint8Array | null): Uint8Array {
    if (secret === null) throw alert('internal_error', 'key schedule used out of order');
    return secret;
  }
}
