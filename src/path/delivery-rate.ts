/**
 * Delivery-rate estimation of one path (draft-cheng-iccrg-delivery-rate-estimation;
 * draft-ietf-ccwg-bbr §4.5.2 "Delivery Rate Samples"). Each in-flight packet takes a snapshot of
 * the path's delivery counters when sent; each ACK turns the snapshot of the newest packet it
 * acknowledges into one rate sample: bytes delivered since that packet was sent, divided by the
 * longer of its send and ACK intervals (so that neither ACK compression nor a send burst
 * inflates the rate).
 *
 * The loss detector drives it: `onPacketSent`, then per ACK `onPacketAcked` for each newly
 * acknowledged in-flight packet (increasing packet number order), `onPacketLost` for the losses
 * the ACK revealed, and `generate`. The sample object is reused.
 */
import type { SentPacket } from '../ack/sent.js';
import type { RateSample } from '../cc/types.js';

class RateSampleImpl implements RateSample {
  deliveryRate = 0;
  interval = 0;
  delivered = 0;
  priorDelivered = 0;
  isAppLimited = false;
  rtt = -1;
  txInFlight = 0;
  lost = 0;
  newlyAcked = 0;
  newlyLost = 0;
  totalDelivered = 0;
  // Working fields of the ACK being processed (InitRateSample / UpdateRateSample).
  hasData = false;
  priorTime = 0;
  sendElapsed = 0;
  ackElapsed = 0;
  newestSent = -Infinity;
  lostBefore = 0;

  reset(): void {
    this.deliveryRate = 0;
    this.interval = 0;
    this.delivered = 0;
    this.priorDelivered = 0;
    this.isAppLimited = false;
    this.rtt = -1;
    this.txInFlight = 0;
    this.lost = 0;
    this.newlyAcked = 0;
    this.newlyLost = 0;
    this.hasData = false;
    this.priorTime = 0;
    this.sendElapsed = 0;
    this.ackElapsed = 0;
    this.newestSent = -Infinity;
    this.lostBefore = 0;
  }
}

export class DeliveryRateSampler {
  /** C.delivered: bytes acknowledged on the path. */
  private deliveredBytes = 0;
  /** C.delivered_time: when `deliveredBytes` last grew. */
  private deliveredTime = 0;
  /** C.first_send_time: send time of the newest acknowledged packet (start of a send interval). */
  private firstSentTime = 0;
  /** C.app_limited: 0, or the delivered count that ends the current application-limited bubble. */
  private appLimitedUntil = 0;
  /** C.lost: bytes declared lost on the path. */
  private lostBytes = 0;
  private readonly sample = new RateSampleImpl();

  /** C.delivered. */
  get delivered(): number {
    return this.deliveredBytes;
  }

  /** C.lost. */
  get lost(): number {
    return this.lostBytes;
  }

  /** True while packets are sent inside an application-limited bubble. */
  get appLimited(): boolean {
    return this.appLimitedUntil !== 0;
  }

  /**
   * §4.5.2.2 OnPacketSent: snapshot the counters into `packet`. `inFlightBefore` is the bytes in
   * flight before it was added: a send into an empty pipe starts a new interval (idle restart).
   */
  onPacketSent(packet: SentPacket, inFlightBefore: number): void {
    const now = packet.timeSent;
    if (inFlightBefore === 0) {
      this.firstSentTime = now;
      this.deliveredTime = now;
    }
    packet.firstSentTime = this.firstSentTime;
    packet.deliveredTime = this.deliveredTime;
    packet.delivered = this.deliveredBytes;
    packet.isAppLimited = this.appLimitedUntil !== 0;
    packet.txInFlight = inFlightBefore + packet.size;
    packet.lostBefore = this.lostBytes;
  }

  /**
   * §4.5.2.4 MarkConnectionAppLimited: the sender ran out of data with room in the window; the
   * bubble lasts until what is now in flight has been delivered.
   */
  markAppLimited(bytesInFlight: number): void {
    this.appLimitedUntil = Math.max(this.deliveredBytes + bytesInFlight, 1);
  }

  /** Starts the sample of a new ACK (§4.5.2.3 InitRateSample). */
  beginAck(): void {
    this.sample.reset();
  }

  /** §4.5.2.3 UpdateRateSample for a newly acknowledged in-flight packet. */
  onPacketAcked(packet: SentPacket, now: number): void {
    const rs = this.sample;
    this.deliveredBytes += packet.size;
    this.deliveredTime = now;
    rs.newlyAcked += packet.size;
    // The newest packet (latest sent; packets come in increasing number order, so ties go to
    // the later one) defines the sample.
    if (!rs.hasData || packet.timeSent >= rs.newestSent) {
      rs.hasData = true;
      rs.newestSent = packet.timeSent;
      rs.priorDelivered = packet.delivered;
      rs.priorTime = packet.deliveredTime;
      rs.isAppLimited = packet.isAppLimited;
      rs.sendElapsed = packet.timeSent - packet.firstSentTime;
      rs.ackElapsed = now - packet.deliveredTime;
      rs.rtt = now - packet.timeSent;
      rs.txInFlight = packet.txInFlight;
      rs.lostBefore = packet.lostBefore;
      this.firstSentTime = packet.timeSent;
    }
  }

  /** An in-flight packet was declared lost. */
  onPacketLost(bytes: number): void {
    this.lostBytes += bytes;
    this.sample.newlyLost += bytes;
  }

  /**
   * §4.5.2.3 GenerateRateSample. Returns the sample, or null when this ACK delivered nothing.
   * An interval shorter than `minRtt` gives no reliable rate: `deliveryRate` 0, `interval` -1.
   */
  generate(minRtt: number): RateSample | null {
    const rs = this.sample;
    // The bubble is gone once everything in flight when it started has been delivered.
    if (this.appLimitedUntil !== 0 && this.deliveredBytes > this.appLimitedUntil) {
      this.appLimitedUntil = 0;
    }
    if (!rs.hasData) return null;
    rs.totalDelivered = this.deliveredBytes;
    rs.delivered = this.deliveredBytes - rs.priorDelivered;
    rs.lost = this.lostBytes - rs.lostBefore;
    rs.interval = Math.max(rs.sendElapsed, rs.ackElapsed);
    if (rs.interval < minRtt) {
      rs.interval = -1;
    } else if (rs.interval > 0) {
      rs.deliveryRate = (rs.delivered * 1_000_000) / rs.interval;
    }
    return rs;
  }

  /** The path's congestion state starts over (RFC 9000 §9.4). */
  reset(): void {
    this.deliveredBytes = 0;
    this.deliveredTime = 0;
    this.firstSentTime = 0;
    this.appLimitedUntil = 0;
    this.lostBytes = 0;
    this.sample.reset();
  }
}
