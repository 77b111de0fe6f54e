/**
 * Per packet-number-space state (RFC 9000 §12.3): received packets and the ACK decision, the
 * next packet number and the CRYPTO streams of the space's encryption level. Its keys live in
 * EncryptionLevels (encryption-levels.ts).
 *
 * Memory: the CRYPTO buffers are made when the first byte goes through them (the Application
 * space of most connections carries no CRYPTO data, or only a session ticket), and discarding
 * the space (RFC 9001 §4.9, RFC 9002 §6.4) releases its tracker and buffers (the connection
 * drops its keys at the same time). What still
 * reaches a discarded space - the rest of the packet whose processing discarded it - lands in
 * detached, empty objects that nothing keeps.
 */
import { PnSpace } from '../ack/pn-space.js';
import { ReceivedPacketTracker } from '../ack/received.js';
import { SendBuffer } from '../stream/send-buffer.js';
import { RecvBuffer } from '../stream/recv-buffer.js';
import { QuicError, TransportError } from '../wire/errors.js';
import { FrameType } from '../wire/frame-types.js';

/** CRYPTO data buffered beyond what TLS consumed (RFC 9000 §7.5: at least 4096 bytes). */
export const MAX_CRYPTO_BUFFER = 64 * 1024;

export class SpaceState {
  nextPn = 0;
  discarded = false;
  /** Ack-eliciting probe packets owed to a PTO (RFC 9002 §6.2.4). */
  probes = 0;
  private trackerState: ReceivedPacketTracker | null;
  private sendState: SendBuffer | null = null;
  private recvState: RecvBuffer | null = null;

  constructor(
    readonly space: PnSpace,
    private readonly maxAckDelayUs: number,
  ) {
    this.trackerState = this.newTracker();
  }

  /** Received packet numbers and the ACK decision of this space. */
  get tracker(): ReceivedPacketTracker {
    return this.trackerState ?? this.newTracker();
  }

  /** Our CRYPTO data of this level: what TLS wrote, until the peer acknowledges it. */
  get cryptoSend(): SendBuffer {
    if (this.sendState !== null) return this.sendState;
    const buf = new SendBuffer();
    if (this.discarded) buf.discard();
    else this.sendState = buf;
    return buf;
  }

  /** The peer's CRYPTO data of this level, reassembled for TLS. */
  get cryptoRecv(): RecvBuffer {
    if (this.recvState !== null) return this.recvState;
    const buf = new RecvBuffer();
    if (this.discarded) buf.discard();
    else this.recvState = buf;
    return buf;
  }

  /**
   * Takes a CRYPTO frame; returns the contiguous bytes now ready for TLS (a copy) or null.
   * Data far beyond what TLS consumed is CRYPTO_BUFFER_EXCEEDED (RFC 9000 §7.5). A discarded
   * space takes nothing: TLS has moved past its level.
   */
  onCryptoFrame(offset: number, data: Uint8Array): Uint8Array | null {
    if (this.discarded) return null;
    const recv = this.cryptoRecv;
    const limit = recv.readOffset + MAX_CRYPTO_BUFFER;
    if (offset + data.length > limit) {
      throw new QuicError(
        TransportError.CRYPTO_BUFFER_EXCEEDED,
        `CRYPTO data up to ${offset + data.length} exceeds the buffer`,
        FrameType.CRYPTO,
      );
    }
    return recv.insertAndRead(offset, data, limit);
  }

  /** Whether CRYPTO data waits to be sent (new or lost). */
  get hasCryptoToSend(): boolean {
    return this.sendState !== null && this.sendState.nextOffset(Infinity) >= 0;
  }

  /**
   * Drops all state of the space (RFC 9001 §4.9.1, §4.9.2; RFC 9002 §6.4): packets
   * of this space are no longer processed or sent, so nothing here is needed again.
   */
  discard(): void {
    this.discarded = true;
    this.probes = 0;
    this.trackerState = null;
    this.sendState = null;
    this.recvState = null;
  }

  /** Whether the space still holds a tracker or CRYPTO buffers (tests check the release). */
  get holdsState(): boolean {
    return this.trackerState !== null || this.sendState !== null || this.recvState !== null;
  }

  private newTracker(): ReceivedPacketTracker {
    const app = this.space === PnSpace.Application;
    return new ReceivedPacketTracker({
      immediate: !app,
      maxAckDelay: app ? this.maxAckDelayUs : 0,
    });
  }
}
