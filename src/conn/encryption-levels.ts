/**
 * The encryption levels of a connection and their packet keys (RFC 9001 §4): Initial, 0-RTT,
 * Handshake and 1-RTT, each installed as TLS releases its secrets and discarded when RFC 9001
 * §4.9 says so. The 1-RTT keys are staged until both directions exist, then owned by KeyPhases
 * (key updates, RFC 9001 §6). Packets that arrive before their keys wait here (RFC 9001 §4.1.4:
 * a few, bounded) and are handed back, after the packet that brought the keys, by `takeReplay`.
 *
 * The connection's components reach keys only through this object: which keys seal a packet of
 * a space, which open a packet of a level, and the few events that change them.
 */
import { PnSpace } from '../ack/pn-space.js';
import type { InitialProtectors } from '../crypto/initial.js';
import type { PacketProtector } from '../crypto/packet-protection.js';
import { Level } from '../tls/types.js';
import type { SocketAddress } from '../util/address.js';
import { KeyPhases } from './key-phase.js';

/** Packets kept while waiting for their keys (RFC 9001 §4.1.4 allows buffering a few). */
export const MAX_UNDECRYPTABLE = 16;

/** A packet that arrived before its keys (replayed when they come). */
export interface BufferedPacket {
  data: Uint8Array;
  remote: SocketAddress;
  local: SocketAddress;
  /** The ECN codepoint of the datagram it came in (RFC 9000 §13.4.1). */
  ecn: number;
}

/** What installing a key changed. */
export interface KeysInstalled {
  /** New read keys: packets buffered for lack of keys are replayed (after the current packet). */
  readonly readable: boolean;
  /** Both Handshake keys are in (RFC 9002 §6.2.1: the PTO may now arm for Handshake). */
  readonly handshakeReady: boolean;
}

const NOTHING: KeysInstalled = { readable: false, handshakeReady: false };
const READABLE: KeysInstalled = { readable: true, handshakeReady: false };
const HANDSHAKE_READY: KeysInstalled = { readable: false, handshakeReady: true };
const READABLE_HANDSHAKE_READY: KeysInstalled = { readable: true, handshakeReady: true };

export class EncryptionLevels {
  private initialRead: PacketProtector | null = null;
  private initialWrite: PacketProtector | null = null;
  private handshakeRead: PacketProtector | null = null;
  private handshakeWrite: PacketProtector | null = null;
  private earlyRead: PacketProtector | null = null;
  private earlyWrite: PacketProtector | null = null;
  /** 1-RTT keys as TLS releases them; `oneRtt` takes them over once both exist. */
  private appRead: PacketProtector | null = null;
  /** The server may send 0.5-RTT with this key before the client's Finished (RFC 9001 §5.7). */
  private appWrite: PacketProtector | null = null;
  private phases: KeyPhases | null = null;
  /** A key update asked by the application, started when RFC 9001 §6.1 allows. */
  private updateRequested = false;
  /** First 1-RTT packet number we sent (handshake confirmation by ACK, RFC 9001 §4.1.2). */
  private firstOneRttPn = -1;
  private buffered: BufferedPacket[] = [];
  private replayDue = false;

  constructor(private readonly isClient: boolean) {}

  /** 1-RTT keys with key updates; null until both directions are known. */
  get oneRtt(): KeyPhases | null {
    return this.phases;
  }

  /** Whether 1-RTT keys wait for their other direction (the staging holds them). */
  get staged(): boolean {
    return this.appRead !== null || this.appWrite !== null;
  }

  /** Key updates done, by either side. */
  get keyUpdates(): number {
    return this.phases?.updates ?? 0;
  }

  /** The read keys of the Initial, 0-RTT or Handshake level (1-RTT: `oneRtt`). */
  reader(level: Level): PacketProtector | null {
    switch (level) {
      case Level.Initial:
        return this.initialRead;
      case Level.EarlyData:
        return this.earlyRead;
      case Level.Handshake:
        return this.handshakeRead;
      default:
        return this.phases?.read ?? null;
    }
  }

  /**
   * The keys that seal a packet of `space`: in the Application space 1-RTT, else a server's
   * 0.5-RTT key (RFC 9001 §5.7), else a client's 0-RTT key.
   */
  sealer(space: PnSpace): PacketProtector | null {
    if (space === PnSpace.Initial) return this.initialWrite;
    if (space === PnSpace.Handshake) return this.handshakeWrite;
    if (this.phases) return this.phases.write;
    return this.isClient ? this.earlyWrite : this.appWrite;
  }

  /** Initial keys from the client's DCID (RFC 9001 §5.2); again after a Retry or a new version. */
  installInitial(keys: InitialProtectors): void {
    this.initialRead = this.isClient ? keys.server : keys.client;
    this.initialWrite = this.isClient ? keys.client : keys.server;
  }

  /** Installs the packet keys of a TLS secret (RFC 9001 §4.1.4); says what that changed. */
  install(level: Level, direction: 'read' | 'write', keys: PacketProtector): KeysInstalled {
    const read = direction === 'read';
    switch (level) {
      case Level.Initial:
        if (read) this.initialRead = keys;
        else this.initialWrite = keys;
        return read ? this.readable() : NOTHING;
      case Level.EarlyData:
        // A server gets the early read secret only when it accepts the client's early data.
        if (read) this.earlyRead = keys;
        else this.earlyWrite = keys;
        return read ? this.readable() : NOTHING;
      case Level.Handshake: {
        if (read) this.handshakeRead = keys;
        else this.handshakeWrite = keys;
        const ready = this.handshakeRead !== null && this.handshakeWrite !== null;
        if (read) return ready ? this.readable(READABLE_HANDSHAKE_READY) : this.readable();
        return ready ? HANDSHAKE_READY : NOTHING;
      }
      default:
        if (read) this.appRead = keys;
        else this.appWrite = keys;
        if (this.appRead === null || this.appWrite === null || this.phases !== null) {
          return NOTHING;
        }
        this.phases = new KeyPhases(this.appRead, this.appWrite);
        // KeyPhases owns the 1-RTT keys from here: after a key update, the first generation must
        // go when KeyPhases drops it (RFC 9001 §6.5), not stay referenced here.
        this.appRead = null;
        this.appWrite = null;
        // 1-RTT replaces 0-RTT for a client (RFC 9001 §4.9.3).
        if (this.isClient) this.earlyWrite = null;
        return this.readable();
    }
  }

  /** Read keys arrived: what waits for keys is replayed after the current packet. */
  private readable(outcome: KeysInstalled = READABLE): KeysInstalled {
    if (this.buffered.length > 0) this.replayDue = true;
    return outcome;
  }

  /** Drops the keys of Initial or Handshake (RFC 9001 §4.9.1, §4.9.2). */
  discard(space: PnSpace): void {
    if (space === PnSpace.Initial) {
      this.initialRead = null;
      this.initialWrite = null;
    } else if (space === PnSpace.Handshake) {
      this.handshakeRead = null;
      this.handshakeWrite = null;
    }
  }

  /** Server: 1-RTT packets arrive, 0-RTT keys may go (RFC 9001 §4.9.3). */
  discardEarlyRead(): void {
    this.earlyRead = null;
  }

  /**
   * Client: no more 0-RTT (a new attempt after Version Negotiation, or a compatible version
   * switch, in which 0-RTT is never sent: RFC 9369 §4.1); what was sent in it goes in 1-RTT.
   */
  discardEarlyWrite(): void {
    this.earlyWrite = null;
  }

  /** The application asked for a key update (RFC 9001 §6.1). */
  requestUpdate(): void {
    this.updateRequested = true;
  }

  /**
   * Starts a key update when the application asked for one or `due` says so (the seal count or
   * the bytes exchanged), if RFC 9001 §6.1 allows it now. Returns whether it started one.
   */
  maybeInitiateUpdate(due: boolean): boolean {
    const k = this.phases;
    if (k === null || !(due || this.updateRequested) || !k.canInitiate()) return false;
    k.initiate();
    this.updateRequested = false;
    return true;
  }

  /** A 1-RTT packet was sent with packet number `pn`. */
  onOneRttSent(pn: number): void {
    this.phases?.onPacketSent(pn);
    if (this.firstOneRttPn < 0) this.firstOneRttPn = pn;
  }

  /** Whether Application packet `pn` was sent with 1-RTT keys (RFC 9001 §4.1.2 confirmation). */
  sentWithOneRtt(pn: number): boolean {
    return this.firstOneRttPn >= 0 && pn >= this.firstOneRttPn;
  }

  /** An ACK of the Application space acknowledged up to `largestAcked`. */
  onAckReceived(largestAcked: number): void {
    this.phases?.onAckReceived(largestAcked);
  }

  /** When the previous 1-RTT read keys go (RFC 9001 §6.5); Infinity when none are kept. */
  nextTimeout(): number {
    const k = this.phases;
    return k !== null && k.prevRead !== null ? k.prevDiscardAt : Infinity;
  }

  onTimeout(now: number): void {
    this.phases?.discardOld(now);
  }

  // ---- packets waiting for their keys ---------------------------------------------------

  /** Packets waiting for keys. */
  get bufferedCount(): number {
    return this.buffered.length;
  }

  /**
   * Keeps a copy of a packet whose keys have not arrived; beyond MAX_UNDECRYPTABLE packets it is
   * dropped. Returns whether it was kept.
   */
  buffer(data: Uint8Array, local: SocketAddress, remote: SocketAddress, ecn: number): boolean {
    if (this.buffered.length >= MAX_UNDECRYPTABLE) return false;
    this.buffered.push({ data: data.slice(), local, remote, ecn });
    return true;
  }

  /** Whether buffered packets wait to be replayed (keys came for them). */
  get replayPending(): boolean {
    return this.replayDue;
  }

  /**
   * The buffered packets, handed over for processing, when new keys came since the last call;
   * null otherwise. A packet that still has no keys is buffered again by its processing.
   */
  takeReplay(): readonly BufferedPacket[] | null {
    if (!this.replayDue) return null;
    this.replayDue = false;
    const queued = this.buffered;
    this.buffered = [];
    return queued;
  }

  /** Forgets the buffered packets (a client's new attempt after Version Negotiation). */
  clearBuffered(): void {
    this.buffered.length = 0;
    this.replayDue = false;
  }
}
