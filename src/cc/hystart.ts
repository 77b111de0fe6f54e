/**
 * HyStart++ (RFC 9406): leaves the initial slow start on a sustained RTT increase instead of
 * waiting for loss, through a Conservative Slow Start (CSS) phase that tolerates jitter.
 *
 * Rounds are delimited by send time rather than by sequence number: a round ends when a packet
 * sent after the round began is acknowledged (RFC 9406 §4.2, windowEnd = SND.NXT). The growth
 * limit L is infinite because tsquic paces its sending (RFC 9406 §4.2: "A paced TCP
 * implementation SHOULD use L = infinity").
 */
import type { RttSnapshot } from './types.js';

// RFC 9406 §4.3, times in microseconds.
export const HYSTART_MIN_RTT_THRESH = 4_000;
export const HYSTART_MAX_RTT_THRESH = 16_000;
export const HYSTART_MIN_RTT_DIVISOR = 8;
export const HYSTART_N_RTT_SAMPLE = 8;
export const HYSTART_CSS_GROWTH_DIVISOR = 4;
export const HYSTART_CSS_ROUNDS = 5;

/** What slow start should do with the bytes of the ACK just processed. */
export const SlowStartPhase = {
  /** Standard slow start: grow by the bytes acknowledged. */
  Standard: 0,
  /** Conservative Slow Start: grow by a quarter of them (RFC 9406 §4.2). */
  Conservative: 1,
  /** CSS ran its rounds: set ssthresh to the window and enter congestion avoidance. */
  Exit: 2,
} as const;

export type SlowStartPhase = (typeof SlowStartPhase)[keyof typeof SlowStartPhase];

export class HyStartPlusPlus {
  private lastSentTime = -Infinity;
  /** Send time that closes the current round: an ACK of a later packet starts a new round. */
  private windowEnd = -Infinity;
  private lastRoundMinRtt = Infinity;
  private currentRoundMinRtt = Infinity;
  private rttSampleCount = 0;
  private seenSamples = 0;
  private cssBaselineMinRtt = Infinity;
  private cssRounds = 0;
  private conservative = false;

  /** True while in Conservative Slow Start. */
  get inConservativeSlowStart(): boolean {
    return this.conservative;
  }

  onPacketSent(now: number): void {
    this.lastSentTime = now;
  }

  /**
   * One ACK during slow start. `largestSentTime` is the latest send time among the in-flight
   * packets it newly acknowledged.
   */
  onAck(largestSentTime: number, rtt: RttSnapshot): SlowStartPhase {
    if (largestSentTime > this.windowEnd) {
      // RFC 9406 §4.2: at the start of each round.
      this.windowEnd = this.lastSentTime;
      this.lastRoundMinRtt = this.currentRoundMinRtt;
      this.currentRoundMinRtt = Infinity;
      this.rttSampleCount = 0;
      if (this.conservative && ++this.cssRounds >= HYSTART_CSS_ROUNDS) {
        this.conservative = false;
        return SlowStartPhase.Exit;
      }
    }
    // RFC 9406 §4.2 grows the window first, then looks at the RTT: this ACK grows in the phase
    // it arrived in.
    const phase = this.conservative ? SlowStartPhase.Conservative : SlowStartPhase.Standard;
    if (rtt.sampleCount !== this.seenSamples) {
      this.seenSamples = rtt.sampleCount;
      this.currentRoundMinRtt = Math.min(this.currentRoundMinRtt, rtt.latest);
      this.rttSampleCount++;
    }
    const enoughSamples = this.rttSampleCount >= HYSTART_N_RTT_SAMPLE;
    if (!this.conservative) {
      if (
        enoughSamples &&
        this.currentRoundMinRtt !== Infinity &&
        this.lastRoundMinRtt !== Infinity
      ) {
        const threshold = Math.max(
          HYSTART_MIN_RTT_THRESH,
          Math.min(this.lastRoundMinRtt / HYSTART_MIN_RTT_DIVISOR, HYSTART_MAX_RTT_THRESH),
        );
        if (this.currentRoundMinRtt >= this.lastRoundMinRtt + threshold) {
          this.cssBaselineMinRtt = this.currentRoundMinRtt;
          this.conservative = true;
          this.cssRounds = 0;
        }
      }
    } else if (enoughSamples && this.currentRoundMinRtt < this.cssBaselineMinRtt) {
      // The RTT increase was spurious: back to standard slow start (RFC 9406 §4.2).
      this.cssBaselineMinRtt = Infinity;
      this.conservative = false;
    }
    return phase;
  }
}
