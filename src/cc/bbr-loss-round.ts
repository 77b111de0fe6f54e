/**
 * BBRv3's loss rounds and latest delivery signals (draft-ietf-ccwg-bbr §4.5.10): whether the
 * current round trip saw loss (or CE marks counted as loss), how much and in how many events,
 * and the highest delivery rate and delivered volume of the round, bw_latest and
 * inflight_latest. A loss round ends when a packet sent after it began is acknowledged.
 * src/cc/bbr.ts reads them to lower its short-term model once per round and to leave Startup
 * on high loss.
 */
import type { RateSample } from './types.js';

export class BbrLossRound {
  /** C.delivered when the current loss round began. */
  private roundDelivered = 0;
  private roundStart = false;
  private lossInRound = false;
  private lossBytes = 0;
  private lossEvents = 0;
  private deliveredAtRoundStart = 0;
  private bwLatestValue = 0;
  private inflightLatestValue = 0;

  /** A loss round began with the ACK being processed (BBR.loss_round_start). */
  get started(): boolean {
    return this.roundStart;
  }

  /** The round saw loss (BBR.loss_in_round). */
  get hadLoss(): boolean {
    return this.lossInRound;
  }

  /** Bytes lost, and loss events, in the round. */
  get lostBytes(): number {
    return this.lossBytes;
  }

  get lostEvents(): number {
    return this.lossEvents;
  }

  /** BBR.bw_latest (bytes per second) and BBR.inflight_latest (bytes). */
  get bwLatest(): number {
    return this.bwLatestValue;
  }

  get inflightLatest(): number {
    return this.inflightLatestValue;
  }

  /** Bytes delivered since the round began, `delivered` being C.delivered now. */
  deliveredSinceStart(delivered: number): number {
    return delivered - this.deliveredAtRoundStart;
  }

  /**
   * Counts a loss of `bytes`; `delivered` is C.delivered. True for the round's first loss, when
   * the round restarts at `delivered` (the caller saves its state for an undo, §4.5.10.4).
   */
  noteLoss(bytes: number, delivered: number): boolean {
    const first = !this.lossInRound;
    if (first) this.roundDelivered = delivered;
    this.lossInRound = true;
    this.lossBytes += bytes;
    this.lossEvents++;
    return first;
  }

  /** UpdateLatestDeliverySignals, for the sample `rs` of an ACK (`delivered`: C.delivered). */
  updateLatest(rs: RateSample, delivered: number): void {
    this.roundStart = false;
    this.bwLatestValue = Math.max(this.bwLatestValue, rs.deliveryRate);
    this.inflightLatestValue = Math.max(this.inflightLatestValue, rs.delivered);
    if (rs.priorDelivered >= this.roundDelivered) {
      this.roundDelivered = delivered;
      this.roundStart = true;
    }
  }

  /** AdvanceLatestDeliverySignals: at a round's start the signals begin again from `rs`. */
  advanceLatest(rs: RateSample, delivered: number): void {
    if (this.roundStart) {
      this.bwLatestValue = rs.deliveryRate;
      this.inflightLatestValue = rs.delivered;
      this.lossBytes = 0;
      this.lossEvents = 0;
      this.deliveredAtRoundStart = delivered;
    }
  }

  /** The round's loss has been acted on (or undone): it no longer counts. */
  clearLoss(): void {
    this.lossInRound = false;
  }

  /** ResetCongestionSignals. */
  reset(): void {
    this.lossInRound = false;
    this.bwLatestValue = 0;
    this.inflightLatestValue = 0;
  }
}
