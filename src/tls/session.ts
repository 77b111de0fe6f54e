/**
 * What the client and server state machines share: the input pipeline (per-level reassembly,
 * re-entrant and deferred input, the level check), the one place where failures become alerts,
 * the output helpers (handshake bytes, secrets, key log), waiting for asynchronous application
 * callbacks, and the negotiated properties.
 */
import { nobleMlKem768, respondToKeyShare } from '../crypto/hybrid-mlkem.js';
import type { CryptoProvider, KeyExchangeGroup, KeyShare } from '../crypto/provider.js';
import type { CipherSuite } from '../crypto/suites.js';
import { defaultProvider } from '../crypto/default-provider.js';
import { constantTimeEqual, toHex } from '../util/bytes.js';
import { DecodeError } from '../util/errors.js';
import { TransportError } from '../wire/errors.js';
import { Alert, TlsAlert, alert, alertName } from './alert.js';
import { HandshakeReassembler, type HandshakeMessage } from './framing.js';
import type { KeySchedule } from './key-schedule.js';
import { Transcript } from './transcript.js';
import { decodeCertificateVerify, decodeFinished } from './messages-auth.js';
import type { LeafKey } from './peer-auth.js';
import { verifyCertificateVerify } from './signatures.js';
import {
  type CipherSuiteName,
  Level,
  type TlsCallbacks,
  type TlsCommonConfig,
  type TlsSession,
} from './types.js';

const DEFAULT_MAX_MESSAGE = 65536;

/** SSLKEYLOGFILE labels (NSS key log format) per level and sender. */
const KEYLOG_LABEL = {
  [Level.EarlyData]: { client: 'CLIENT_EARLY_TRAFFIC_SECRET', server: '' },
  [Level.Handshake]: {
    client: 'CLIENT_HANDSHAKE_TRAFFIC_SECRET',
    server: 'SERVER_HANDSHAKE_TRAFFIC_SECRET',
  },
  [Level.Application]: { client: 'CLIENT_TRAFFIC_SECRET_0', server: 'SERVER_TRAFFIC_SECRET_0' },
} as const;

/** Stands in for byte strings a session does not (or no longer) hold: shared, never written. */
export const NO_BYTES = new Uint8Array(0);

/** A value or a promise of it, as application callbacks may return. */
type MaybePromise<T> = T | Promise<T>;

const isPromise = <T>(v: MaybePromise<T>): v is Promise<T> =>
  typeof (v as { then?: unknown } | null)?.then === 'function';

export abstract class HandshakeSession implements TlsSession {
  abstract readonly role: 'client' | 'server';

  alpn: string | null = null;
  cipherSuite: CipherSuiteName | null = null;
  group: KeyExchangeGroup | null = null;
  peerCertificates: readonly Uint8Array[] = [];
  serverName: string | null = null;
  earlyDataAccepted = false;
  resumed = false;
  handshakeComplete = false;
  failed = false;

  protected readonly provider: CryptoProvider;
  protected readonly transcript: Transcript;
  protected readonly now: () => number;
  protected suite: CipherSuite | null = null;
  protected schedule: KeySchedule | null = null;
  protected exporterSecret: Uint8Array | null = null;
  /** The ClientHello random, the key of every key log line (none after the handshake). */
  protected clientRandom: Uint8Array = NO_BYTES;

  private readonly randomSource: ((n: number) => Uint8Array) | undefined;
  private readonly keyShareSource: ((group: KeyExchangeGroup) => KeyShare) | undefined;
  private readonly maxMessageSize: number;
  /**
   * Reassembly per level, made when the level's first bytes arrive and dropped once the state
   * machine has moved past the level: nothing may arrive there any more (RFC 9001 §4.1.3).
   */
  private readonly readers: (HandshakeReassembler | null)[] = [null, null, null, null];
  /** Input not yet given to a reassembler: arrived re-entrantly or while a callback is pending. */
  private readonly queue: { level: Level; data: Uint8Array }[] = [];
  private queuedBytes = 0;
  /** The level whose reassembler may hold complete messages not yet handled. */
  private activeLevel: Level | null = null;
  private draining = false;
  private pending = false;
  private readonly keyLog: ((line: string) => void) | undefined;

  constructor(
    config: TlsCommonConfig,
    protected readonly callbacks: TlsCallbacks,
  ) {
    this.provider = config.provider ?? defaultProvider;
    this.transcript = new Transcript(this.provider);
    this.now = config.currentTime ?? Date.now;
    this.randomSource = config.random;
    this.keyShareSource = config.generateKeyShare;
    this.maxMessageSize = config.maxMessageSize ?? DEFAULT_MAX_MESSAGE;
    if (!(this.maxMessageSize >= 1024)) {
      throw new RangeError('maxMessageSize must be at least 1024');
    }
    this.keyLog = config.keyLog;
    if (config.transportParameters === undefined) {
      throw new TypeError('transportParameters is required (RFC 9001 §8.2)');
    }
  }

  /** `n` random bytes (the configured source, else the provider's). */
  protected random(n: number): Uint8Array {
    return this.randomSource === undefined ? this.provider.random(n) : this.randomSource(n);
  }

  /** A fresh key share for `group` (the configured generator, else the provider's). */
  protected newKeyShare(group: KeyExchangeGroup): KeyShare {
    return this.keyShareSource === undefined
      ? this.provider.generateKeyShare(group)
      : this.keyShareSource(group);
  }

  /**
   * The server's key exchange for the client's share of `group`: our share and the shared
   * secret, or null when the client's share is invalid (the configured generator, else the
   * provider's).
   */
  protected respondToKeyShare(
    group: KeyExchangeGroup,
    peerPublicKey: Uint8Array,
  ): { publicKey: Uint8Array; secret: Uint8Array } | null {
    const source = this.keyShareSource;
    if (source === undefined) return this.provider.respondToKeyShare(group, peerPublicKey);
    // An injected generator (reproducible tests) replaces the provider's shares; the ML-KEM
    // encapsulation is then noble's, which gives the same bytes as every backend's.
    return respondToKeyShare(source, nobleMlKem768, (n) => this.random(n), group, peerPublicKey);
  }

  /**
   * Called once the handshake is complete and its last message handled: drops what only the
   * handshake needed - the transcript, the key schedule's intermediate secrets, the ClientHello
   * random - keeping the exporter secret (RFC 8446 §7.5) and what the subclass keeps for session
   * tickets. QUIC has no post-handshake authentication or TLS KeyUpdate (RFC 9001 §4.4, §6), so
   * nothing later hashes the transcript. Subclasses release their own handshake state too.
   */
  protected releaseHandshakeState(): void {
    this.transcript.release();
    this.schedule?.forgetSecrets();
    this.clientRandom = NO_BYTES;
  }

  /**
   * Whether the handshake-only state is gone (diagnostics and tests): the transcript, the key
   * schedule's intermediate secrets, the ClientHello random and the reassembly of every level
   * but the one still expected.
   */
  get handshakeStateReleased(): boolean {
    const expected = this.expectedLevel();
    return (
      this.transcript.released &&
      this.schedule?.holdsSecrets !== true &&
      this.clientRandom.length === 0 &&
      this.readers.every((r, level) => r === null || level === expected)
    );
  }

  /**
   * Checks the peer's CertificateVerify against its leaf key and the transcript so far
   * (RFC 8446 §4.4.3), then adds the message to the transcript.
   */
  protected checkPeerCertificateVerify(
    msg: HandshakeMessage,
    leaf: LeafKey,
    peer: 'client' | 'server',
  ): void {
    const cv = decodeCertificateVerify(msg.body);
    verifyCertificateVerify(this.provider, cv, leaf, peer, this.transcript.hash(this.suite!.hash));
    this.transcript.add(msg.raw);
  }

  /**
   * Checks the peer's Finished with the finished key of `handshakeSecret` (RFC 8446 §4.4.4),
   * then adds it to the transcript. A mismatch is decrypt_error.
   */
  protected checkPeerFinished(
    msg: HandshakeMessage,
    handshakeSecret: Uint8Array,
    peer: 'client' | 'server',
  ): void {
    const suite = this.suite!;
    const verifyData = decodeFinished(msg.body, suite.hashLength);
    const expected = this.schedule!.verifyData(handshakeSecret, this.transcript.hash(suite.hash));
    if (!constantTimeEqual(verifyData, expected)) {
      throw alert('decrypt_error', `${peer} Finished does not verify`);
    }
    this.transcript.add(msg.raw);
  }

  abstract start(): void;

  /** The level at which the next handshake message must arrive; null when none may. */
  protected abstract expectedLevel(): Level | null;

  /** Handles one complete message received at `level` (the level already matched). */
  protected abstract handleMessage(level: Level, msg: HandshakeMessage): void;

  receive(level: Level, data: Uint8Array): void {
    if (level !== 0 && level !== 1 && level !== 2 && level !== 3) {
      throw new RangeError(`invalid encryption level ${String(level)}`);
    }
    if (this.failed) return;
    this.queue.push({ level, data: data.slice() });
    this.queuedBytes += data.length;
    // While an application callback is pending, input piles up here: bound it.
    if (this.pending && this.queuedBytes > this.maxMessageSize + 4) {
      this.fail(
        alert(
          'internal_error',
          'too much handshake data buffered',
          TransportError.CRYPTO_BUFFER_EXCEEDED,
        ),
      );
      return;
    }
    this.drain();
  }

  exportKeyingMaterial(label: string, context: Uint8Array, length: number): Uint8Array {
    if (this.exporterSecret === null || this.schedule === null) {
      throw new TypeError('exportKeyingMaterial: the exporter secret is not available yet');
    }
    return this.schedule.exporter(this.exporterSecret, label, context, length);
  }

  /**
   * Runs queued input through the state machine until it is consumed, the session fails or an
   * application callback is pending. Re-entrant calls (a callback feeding more input) only queue.
   */
  protected drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      while (!this.failed && !this.pending) {
        if (this.activeLevel !== null) {
          const level = this.activeLevel;
          const reader = this.readers[level]!;
          const msg = reader.next();
          if (msg !== null) {
            this.handleMessage(level, msg);
            continue;
          }
          if (this.expectedLevel() !== level) {
            // RFC 9001 §4.1.3: data left at a level TLS has moved past is a PROTOCOL_VIOLATION.
            if (reader.buffered > 0) {
              throw alert(
                'unexpected_message',
                'partial handshake message left at a previous level',
                TransportError.PROTOCOL_VIOLATION,
              );
            }
            // Input at this level is refused from now on (accept), so its reader can go.
            this.readers[level] = null;
          }
          this.activeLevel = null;
        }
        const item = this.queue.shift();
        if (item === undefined) break;
        this.queuedBytes -= item.data.length;
        this.accept(item.level, item.data);
      }
    } catch (e) {
      this.fail(e);
    } finally {
      this.draining = false;
    }
  }

  private accept(level: Level, data: Uint8Array): void {
    if (level === Level.EarlyData) {
      // RFC 9001 §8.3: CRYPTO frames never travel in 0-RTT packets.
      throw alert(
        'unexpected_message',
        'handshake data in 0-RTT',
        TransportError.PROTOCOL_VIOLATION,
      );
    }
    if (data.length === 0) return;
    if (level !== this.expectedLevel()) {
      throw alert('unexpected_message', `handshake data at the wrong level (${level})`);
    }
    let reader = this.readers[level];
    if (!reader) {
      reader = new HandshakeReassembler(this.maxMessageSize);
      this.readers[level] = reader;
    }
    reader.push(data);
    this.activeLevel = level;
  }

  /**
   * Continues with the result of an application callback that may return a promise. A plain
   * value continues at once; a promise suspends input until it settles.
   */
  protected waitFor<T>(value: MaybePromise<T>, then: (v: T) => void): void {
    if (!isPromise(value)) {
      then(value);
      return;
    }
    this.pending = true;
    value.then(
      (v) => this.resume(() => then(v)),
      (e: unknown) =>
        this.resume(() => {
          throw alert('internal_error', `application callback failed: ${String(e)}`);
        }),
    );
  }

  private resume(step: () => void): void {
    this.pending = false;
    if (this.failed) return;
    try {
      step();
    } catch (e) {
      this.fail(e);
      return;
    }
    this.drain();
  }

  /** Turns any failure into one alert; the first one wins and the session goes quiet. */
  protected fail(e: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.queue.length = 0;
    let tlsAlert: TlsAlert;
    if (e instanceof TlsAlert) tlsAlert = e;
    else if (e instanceof DecodeError) tlsAlert = new TlsAlert(Alert.decode_error, e.message);
    else tlsAlert = new TlsAlert(Alert.internal_error, e instanceof Error ? e.message : String(e));
    const reason = `${alertName(tlsAlert.alert)}: ${tlsAlert.message}`;
    if (tlsAlert.transportError === undefined) this.callbacks.onAlert(tlsAlert.alert, reason);
    else this.callbacks.onAlert(tlsAlert.alert, reason, tlsAlert.transportError);
  }

  // --- output ---------------------------------------------------------------------------------

  private readonly out: Uint8Array[] = [];

  /** Adds a message to the transcript and to the output being collected for one level. */
  protected write(message: Uint8Array): void {
    this.transcript.add(message);
    this.out.push(message);
  }

  /** Sends the collected messages at `level` as one chunk. */
  protected flush(level: Level): void {
    const out = this.out;
    if (out.length === 0) return;
    let data = out[0]!;
    if (out.length > 1) {
      let n = 0;
      for (const m of out) n += m.length;
      data = new Uint8Array(n);
      let o = 0;
      for (const m of out) {
        data.set(m, o);
        o += m.length;
      }
    }
    out.length = 0;
    this.callbacks.onHandshakeData(level, data);
  }

  /** Emits a traffic secret of `sender` (and its key log line). */
  protected emitSecret(
    level: Level,
    sender: 'client' | 'server',
    secret: Uint8Array,
    suite: CipherSuite = this.suite!,
  ): void {
    const direction = sender === this.role ? 'write' : 'read';
    this.logKey(level, sender, secret);
    this.callbacks.onSecret(level, direction, suite.name, secret);
  }

  private logKey(level: Level, sender: 'client' | 'server', secret: Uint8Array): void {
    if (this.keyLog === undefined || level === Level.Initial) return;
    const label = KEYLOG_LABEL[level][sender];
    this.keyLog(`${label} ${toHex(this.clientRandom)} ${toHex(secret)}`);
  }

  protected completeHandshake(): void {
    this.handshakeComplete = true;
    this.callbacks.onHandshakeComplete();
  }

  /** Throws unexpected_message for a message the state machine does not expect. */
  protected unexpected(msg: HandshakeMessage, state: string): never {
    throw alert('unexpected_message', `handshake message ${msg.type} in state ${state}`);
  }
}
