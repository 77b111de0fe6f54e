/**
 * Per packet-number-space state (RFC 9000 §12.3): received packets and the ACK decision, the
 * next packet number, the CRYPTO streams of the space's encryption level, and its keys. The
 * Application space's 1-RTT keys live in KeyPhases (key updates), its 0-RTT keys beside them.
 */
import { PnSpace } from '../ack/pn-space.js';
import { ReceivedPacketTracker } from '../ack/received.js';
import type { PacketProtector } from '../crypto/packet-protection.js';
import { SendBuffer } from '../stream/send-buffer.js';
import { RecvBuffer } from '../stream/recv-buffer.js';
import { QuicError, TransportError } from '../wire/errors.js';
import { FrameType } from '../wire/frame-types.js';

/** CRYPTO data buffered beyond what TLS consumed (RFC 9000 §7.5: at least 4096 bytes). */
export const MAX_CRYPTO_BUFFER = 64 * 1024;

export class SpaceState {
  readonly tracker: ReceivedPacketTracker;
  nextPn = 0;
  readonly cryptoSend = new SendBuffer();
  readonly cryptoRecv = new RecvBuffer();
  read: PacketProtector | null = null;
  write: PacketProtector | null = null;
  discarded = false;
  /** Ack-eliciting probe packets owed to a PTO (RFC 9002 §6.2.4). */
  probes = 0;

  constructor(
    readonly space: PnSpace,
    maxAckDelayUs: number,
  ) {
    this.tracker = new ReceivedPacketTracker({
      immediate: space !== PnSpace.Application,
      maxAckDelay: space === PnSpace.Application ? maxAckDelayUs : 0,
    });
  }

  /**
   * Takes a CRYPTO frame; returns the contiguous bytes now ready for TLS (a copy) or null.
   * Data far beyond what TLS consumed is CRYPTO_BUFFER_EXCEEDED (RFC 9000 §7.5).
   */
  onCryptoFrame(offset: number, data: Uint8Array): Uint8Array | null {
    const limit = this.cryptoRecv.readOffset + MAX_CRYPTO_BUFFER;
    if (offset + data.length > limit) {
      throw new QuicError(
        TransportError.CRYPTO_BUFFER_EXCEEDED,
        `CRYPTO data up to ${offset + data.length} exceeds the buffer`,
        FrameType.CRYPTO,
      );
    }
    this.cryptoRecv.insert(offset, data, false, limit);
    return this.cryptoRecv.read();
  }

  /** Whether CRYPTO data waits to be sent (new or lost). */
  get hasCryptoToSend(): boolean {
    return this.cryptoSend.nextOffset(Infinity) >= 0;
  }

  discard(): void {
    this.discarded = true;
    this.read = null;
    this.write = null;
    this.probes = 0;
    this.cryptoSend.discard();
    this.cryptoRecv.discard();
  }
}
