/**
 * The connection-level frames waiting for a 1-RTT packet (RFC 9000 §13.3): control frames
 * (HANDSHAKE_DONE, NEW_TOKEN, NEW_CONNECTION_ID, RETIRE_CONNECTION_ID), DATAGRAMs (RFC 9221) and
 * an owed PING. It owns the queues: frames go in through its methods, packet assembly takes them
 * out (`writeControl`, `writeDatagrams`), and a lost control frame comes back through `onLost`,
 * which decides whether it is still worth sending.
 */
import type { Writer } from '../util/cursor.js';
import { encodeFrame, frameEncodedLength } from '../wire/frame-encode.js';
import type { Frame } from '../wire/frame-types.js';
import type { IssuedCid } from './cids.js';
import { NOTHING, type SentFrameList } from './sent-frames.js';
import { copyBytes } from '../util/bytes.js';

/** DATAGRAMs kept waiting: the oldest goes when more are queued (RFC 9221 §5: unreliable). */
const MAX_DATAGRAMS = 64;

export class ControlFrames {
  private readonly control: Frame[] = [];
  private readonly datagrams: Uint8Array[] = [];
  /** A PING is owed (keep-alive, `ping()`). */
  private ping = false;

  /** Whether anything waits: a control frame, a DATAGRAM or a PING. */
  get hasPending(): boolean {
    return this.ping || this.control.length > 0 || this.datagrams.length > 0;
  }

  /** Whether a PING is owed. */
  get pingPending(): boolean {
    return this.ping;
  }

  /** Owes a PING (RFC 9000 §19.2): keep-alive, `ping()`. */
  requestPing(): void {
    this.ping = true;
  }

  /** The owed PING is being sent. */
  pingSent(): void {
    this.ping = false;
  }

  /** A control frame to send: HANDSHAKE_DONE, NEW_TOKEN, NEW_CONNECTION_ID ... */
  queue(frame: Frame): void {
    this.control.push(frame);
  }

  /** How many frames of this kind wait. */
  queued(kind: Frame['kind']): number {
    let n = 0;
    for (const f of this.control) if (f.kind === kind) n++;
    return n;
  }

  /**
   * NEW_CONNECTION_ID for CIDs issued but not yet announced (RFC 9000 §5.1.1), taken out of
   * `pending`.
   */
  announceCids(pending: IssuedCid[]): void {
    // Called for every datagram built: the common case has nothing pending and allocates nothing.
    if (pending.length === 0) return;
    for (const c of pending.splice(0)) {
      this.control.push({
        kind: 'new_connection_id',
        sequenceNumber: c.sequence,
        retirePriorTo: 0,
        connectionId: c.cid,
        statelessResetToken: c.resetToken,
      });
    }
  }

  /**
   * RETIRE_CONNECTION_ID for the peer's CIDs we stopped using (RFC 9000 §5.1.2), taken out of
   * `sequences`.
   */
  retireCids(sequences: number[]): void {
    if (sequences.length === 0) return;
    for (const seq of sequences.splice(0)) {
      this.control.push({ kind: 'retire_connection_id', sequenceNumber: seq });
    }
  }

  /** Queues a DATAGRAM payload (copied), dropping the oldest beyond the bound. */
  queueDatagram(data: Uint8Array): void {
    if (this.datagrams.length >= MAX_DATAGRAMS) this.datagrams.shift();
    this.datagrams.push(copyBytes(data));
  }

  /**
   * A control frame was lost (RFC 9000 §13.3): sent again, except a NEW_CONNECTION_ID whose CID
   * was retired since (`cids` says which are still in use).
   */
  onLost(frame: Frame, cids: { isActive(sequence: number): boolean }): void {
    switch (frame.kind) {
      case 'new_connection_id':
        if (cids.isActive(frame.sequenceNumber)) this.control.push(frame);
        break;
      case 'handshake_done':
      case 'retire_connection_id':
      case 'new_token':
        this.control.push(frame);
        break;
      default:
        break;
    }
  }

  /**
   * Closing: no control frame, DATAGRAM or PING is sent any more (RFC 9000 §10.2.1: nothing
   * but packets with CONNECTION_CLOSE).
   */
  clear(): void {
    this.control.length = 0;
    this.datagrams.length = 0;
    this.ping = false;
  }

  /** Writes the control frames that fit before `limit`, in order. Returns whether any did. */
  writeControl(w: Writer, limit: number, frames: SentFrameList): boolean {
    const q = this.control;
    let wrote = false;
    while (q.length > 0) {
      const f = q[0]!;
      if (frameEncodedLength(f) > limit - w.pos) break;
      q.shift();
      encodeFrame(w, f);
      frames.push({ k: 'control', frame: f });
      wrote = true;
    }
    return wrote;
  }

  /** Writes the DATAGRAMs that fit before `limit` (not retransmitted: RFC 9221 §5.2). */
  writeDatagrams(
    w: Writer,
    limit: number,
    frames: SentFrameList,
    maxDatagramSize: number,
  ): boolean {
    const q = this.datagrams;
    let wrote = false;
    while (q.length > 0) {
      // Queued when the path carried more (before a PMTU black hole): it can no longer fit any
      // packet of `maxDatagramSize`, and DATAGRAM frames are unreliable (RFC 9221 §5), so it goes.
      if (q[0]!.length + 64 > maxDatagramSize) {
        q.shift();
        continue;
      }
      const frame: Frame = { kind: 'datagram', data: q[0]! };
      if (frameEncodedLength(frame) > limit - w.pos) break;
      q.shift();
      encodeFrame(w, frame);
      frames.push(NOTHING);
      wrote = true;
    }
    return wrote;
  }
}
