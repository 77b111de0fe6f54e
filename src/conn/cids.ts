/**
 * Connection ID management (RFC 9000 §5.1): the CIDs we issue to the peer (NEW_CONNECTION_ID,
 * RETIRE_CONNECTION_ID from the peer) and the CIDs the peer issued to us (which we use as
 * Destination CIDs, retire on retire_prior_to, and switch between on migration).
 */
import { ByteSlab } from '../util/byte-slab.js';
import { QuicError, TransportError } from '../wire/errors.js';
import { sameAddress, type SocketAddress } from '../util/address.js';
import { bytesEqual, constantTimeEqual } from '../util/bytes.js';
import type { NewConnectionIdFrame } from '../wire/frame-types.js';

/** RFC 9000 §10.3: 5 unpredictable bytes (38 bits and the fixed bits) and the 16-byte token. */
export const MIN_STATELESS_RESET = 21;
const RESET_TOKEN_LENGTH = 16;
/** The most CIDs we keep issued to the peer at once (the handshake's included). */
export const MAX_ISSUED_CIDS = 4;

export interface IssuedCid {
  sequence: number;
  cid: Uint8Array;
  resetToken: Uint8Array;
}

export interface PeerCid {
  sequence: number;
  cid: Uint8Array;
  /** Absent for the handshake CID (sequence 0) unless the server sent stateless_reset_token. */
  resetToken?: Uint8Array;
  /**
   * The peer address of the last datagram we sent with this CID as Destination CID, null while
   * it is unused: only then does its reset token count (RFC 9000 §10.3.1).
   */
  sentTo: SocketAddress | null;
}

/** What the CID manager needs from its owner: fresh CIDs and routing updates in the engine. */
export interface CidHost {
  /**
   * A new CID and its stateless reset token (the engine's generator and reset key), kept as
   * given: the host hands out arrays nobody changes.
   */
  newCid(): { cid: Uint8Array; resetToken: Uint8Array };
  onCidRetired(cid: Uint8Array): void;
}

/** The CIDs we issued; the peer uses them as Destination CIDs. */
export class LocalCids {
  private readonly issued: IssuedCid[] = [];
  private nextSequence = 0;
  /** NEW_CONNECTION_ID frames waiting to be sent (re-queued on loss). */
  readonly pending: IssuedCid[] = [];

  constructor(private readonly host: CidHost) {}

  /**
   * Registers a CID the engine already routes and the peer learns outside NEW_CONNECTION_ID:
   * the handshake CID (sequence 0), then the preferred_address CID (sequence 1, §5.1.1).
   */
  addInitial(cid: Uint8Array, resetToken: Uint8Array): void {
    this.issued.push({ sequence: this.nextSequence++, cid, resetToken });
  }

  /** Issues CIDs until the peer holds `limit` of ours (its active_connection_id_limit). */
  topUp(limit: number): void {
    // Cap our own issuing too (RFC 9000 §5.1.1 asks for "a sufficient number"): four cover a
    // migration, a NAT rebinding and a spare, and every CID costs a reset token, a routing
    // entry and a NEW_CONNECTION_ID frame on each connection, however short (seven per side
    // were ~3 % of a short connection's CPU). Retired ones are replaced as they go.
    const target = Math.min(limit, MAX_ISSUED_CIDS);
    while (this.issued.length < target) {
      const fresh = this.host.newCid();
      const entry = {
        sequence: this.nextSequence++,
        cid: fresh.cid,
        resetToken: fresh.resetToken,
      };
      this.issued.push(entry);
      this.pending.push(entry);
    }
  }

  /** Handles RETIRE_CONNECTION_ID (§19.16). `packetDcid` is the DCID of the carrying packet. */
  retire(sequence: number, packetDcid: Uint8Array): void {
    if (sequence >= this.nextSequence) {
      throw new QuicError(
        TransportError.PROTOCOL_VIOLATION,
        `RETIRE_CONNECTION_ID for unissued sequence ${sequence}`,
        0x19,
      );
    }
    const i = this.issued.findIndex((e) => e.sequence === sequence);
    if (i < 0) return; // already retired
    const entry = this.issued[i]!;
    if (bytesEqual(entry.cid, packetDcid)) {
      throw new QuicError(
        TransportError.PROTOCOL_VIOLATION,
        'RETIRE_CONNECTION_ID retires the CID of its own packet',
        0x19,
      );
    }
    this.issued.splice(i, 1);
    const p = this.pending.indexOf(entry);
    if (p >= 0) this.pending.splice(p, 1);
    this.host.onCidRetired(entry.cid);
  }

  /** The sequence number the next CID we issue gets (RFC 10069 §4.7: PATH_CIDS_BLOCKED). */
  get nextSequenceNumber(): number {
    return this.nextSequence;
  }

  /** Whether a lost NEW_CONNECTION_ID is still worth resending. */
  isActive(sequence: number): boolean {
    return this.issued.some((e) => e.sequence === sequence);
  }

  get(sequence: number): IssuedCid | undefined {
    return this.issued.find((e) => e.sequence === sequence);
  }

  all(): readonly IssuedCid[] {
    return this.issued;
  }
}

/** The CIDs the peer issued to us. */
export class PeerCids {
  private readonly cids: PeerCid[] = [];
  private readonly bytes = new ByteSlab();
  /** Sequence numbers we must retire with RETIRE_CONNECTION_ID. */
  readonly toRetire: number[] = [];
  private retirePriorTo = 0;
  private currentSeq = 0;
  /** Retired sequence numbers whose RETIRE_CONNECTION_ID is not acknowledged yet (§5.1.2). */
  private unackedRetirements = 0;

  constructor(
    initial: Uint8Array,
    /** Our active_connection_id_limit (§18.2). */
    private readonly limit: number,
    /**
     * A path's first CID when it is not sequence 0 of the handshake: the first
     * PATH_NEW_CONNECTION_ID of a path (RFC 10069 §4.4), which may not be its sequence 0.
     */
    first?: { sequence: number; resetToken: Uint8Array },
  ) {
    const sequence = first?.sequence ?? 0;
    this.cids.push({
      sequence,
      cid: initial,
      sentTo: null,
      ...(first ? { resetToken: first.resetToken } : {}),
    });
    this.currentSeq = sequence;
  }

  /** CIDs held, the one in use included. */
  get size(): number {
    return this.cids.length;
  }

  /** The Destination CID in use. */
  get current(): PeerCid {
    return this.cids.find((c) => c.sequence === this.currentSeq) ?? this.cids[0]!;
  }

  /** Replaces the handshake CID (the server's SCID, or the Retry's SCID, §7.2). */
  replaceInitial(cid: Uint8Array): void {
    const first = this.cids.find((c) => c.sequence === 0);
    if (first) {
      first.cid = this.bytes.copy(cid);
      first.sentTo = null; // another CID: unused until we send with it
    }
  }

  /** The server's stateless_reset_token transport parameter belongs to CID sequence 0. */
  setInitialResetToken(token: Uint8Array): void {
    const first = this.cids.find((c) => c.sequence === 0);
    if (first) first.resetToken = token;
  }

  /** Handles NEW_CONNECTION_ID (§19.15). */
  add(frame: NewConnectionIdFrame): void {
    const existing = this.cids.find((c) => c.sequence === frame.sequenceNumber);
    if (existing) {
      if (!bytesEqual(existing.cid, frame.connectionId)) {
        throw new QuicError(
          TransportError.PROTOCOL_VIOLATION,
          'NEW_CONNECTION_ID reuses a sequence number for another CID',
          0x18,
        );
      }
      return;
    }
    if (this.cids.some((c) => bytesEqual(c.cid, frame.connectionId))) {
      throw new QuicError(
        TransportError.PROTOCOL_VIOLATION,
        'NEW_CONNECTION_ID repeats a CID under another sequence number',
        0x18,
      );
    }
    if (frame.sequenceNumber < this.retirePriorTo) {
      // Already retired by an earlier retire_prior_to: retire it at once (§19.15).
      this.retire(frame.sequenceNumber);
      this.checkRetirements();
      return;
    }
    this.cids.push({
      sequence: frame.sequenceNumber,
      cid: this.bytes.copy(frame.connectionId),
      resetToken: this.bytes.copy(frame.statelessResetToken),
      sentTo: null,
    });
    if (frame.retirePriorTo > this.retirePriorTo) {
      this.retirePriorTo = frame.retirePriorTo;
      for (let i = this.cids.length - 1; i >= 0; i--) {
        const c = this.cids[i]!;
        if (c.sequence < this.retirePriorTo) {
          this.cids.splice(i, 1);
          this.retire(c.sequence);
        }
      }
      if (this.currentSeq < this.retirePriorTo) this.currentSeq = this.lowestSequence();
      this.checkRetirements();
    }
    if (this.cids.length > this.limit) {
      throw new QuicError(
        TransportError.CONNECTION_ID_LIMIT_ERROR,
        `peer issued more than ${this.limit} connection IDs`,
        0x18,
      );
    }
  }

  /** An unused CID for a new path (RFC 9000 §9.5), without switching to it yet. */
  spare(): PeerCid | null {
    return this.cids.find((c) => c.sequence > this.currentSeq) ?? null;
  }

  /** Moves to the CID of `sequence` (a validated new path) and retires the one in use. */
  switchTo(sequence: number): void {
    if (!this.cids.some((c) => c.sequence === sequence)) return;
    const old = this.currentSeq;
    this.currentSeq = sequence;
    const i = this.cids.findIndex((c) => c.sequence === old);
    if (i >= 0) this.cids.splice(i, 1);
    this.retire(old);
  }

  /** A RETIRE_CONNECTION_ID we sent was acknowledged. */
  onRetirementAcked(): void {
    if (this.unackedRetirements > 0) this.unackedRetirements--;
  }

  private retire(sequence: number): void {
    this.toRetire.push(sequence);
    this.unackedRetirements++;
  }

  /**
   * RFC 9000 §5.1.2: we track up to twice our active_connection_id_limit of unacknowledged
   * retirements; a peer that makes us retire more (e.g. rising Retire Prior To while it does not
   * acknowledge) is a CONNECTION_ID_LIMIT_ERROR rather than unbounded state.
   */
  private checkRetirements(): void {
    if (this.unackedRetirements > 2 * this.limit) {
      throw new QuicError(
        TransportError.CONNECTION_ID_LIMIT_ERROR,
        `more than ${2 * this.limit} connection IDs retired and not acknowledged`,
        0x18,
      );
    }
  }

  /** Whether there is a spare CID for a new path. */
  hasSpare(): boolean {
    return this.cids.some((c) => c.sequence !== this.currentSeq);
  }

  /**
   * The reset tokens of the CIDs we hold and have sent with: what the engine indexes to find
   * the connection a datagram may reset. A token of a CID never used must not be checked (RFC
   * 9000 §10.3.1), so indexing it only cost an HMAC; a server that never migrates indexes none.
   * Whether a token counts for a datagram's address is `isStatelessReset`'s decision.
   */
  resetTokens(): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const c of this.cids) if (c.resetToken && c.sentTo !== null) out.push(c.resetToken);
    return out;
  }

  /**
   * Whether `datagram`, received from `remote`, is a stateless reset (RFC 9000 §10.3.1): it is
   * at least 21 bytes long and its last 16 bytes equal the reset token of a CID we hold (retired
   * ones are gone from the list) that we used as Destination CID toward `remote`. Tokens of CIDs
   * we never sent with do not count. Every candidate is compared in constant time, so the
   * timing reveals nothing about the tokens.
   */
  isStatelessReset(datagram: Uint8Array, remote: SocketAddress): boolean {
    if (datagram.length < MIN_STATELESS_RESET) return false;
    const tail = datagram.subarray(datagram.length - RESET_TOKEN_LENGTH);
    let found = false;
    for (const c of this.cids) {
      if (c.resetToken === undefined || c.sentTo === null || !sameAddress(c.sentTo, remote)) {
        continue;
      }
      found = constantTimeEqual(c.resetToken, tail) || found;
    }
    return found;
  }

  private lowestSequence(): number {
    let m = Infinity;
    for (const c of this.cids) m = Math.min(m, c.sequence);
    return m;
  }
}
