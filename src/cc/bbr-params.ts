/**
 * BBRv3's parameters (draft-ietf-ccwg-bbr §2.7, §4.3) and the options of `Bbr`: the constants the
 * state machine and the model of src/cc/bbr.ts run on, and the names `congestionControl: 'bbr'`
 * accepts.
 */
import type { CongestionControllerOptions } from './types.js';

/** BBR's states (§4.3); the ProbeBW sub-states are states of their own, as in the draft. */
export type BbrState =
  | 'startup'
  | 'drain'
  | 'probe_bw_down'
  | 'probe_bw_cruise'
  | 'probe_bw_refill'
  | 'probe_bw_up'
  | 'probe_rtt';

/** §2.7 BBR.StartupPacingGain: 4 ln 2, doubles the sending rate each round. */
export const BBR_STARTUP_PACING_GAIN = 2.77;
/** §2.7 BBR.DrainPacingGain. */
export const BBR_DRAIN_PACING_GAIN = 0.5;
/** §2.7 BBR.DefaultCwndGain. */
export const BBR_DEFAULT_CWND_GAIN = 2;
/** §4.3.3 ProbeBW pacing gains (DOWN, UP) and ProbeBW_UP's cwnd gain. */
export const BBR_PROBE_DOWN_PACING_GAIN = 0.9;
export const BBR_PROBE_UP_PACING_GAIN = 1.25;
export const BBR_PROBE_UP_CWND_GAIN = 2.25;
/** §2.7 BBR.ProbeRTTCwndGain. */
export const BBR_PROBE_RTT_CWND_GAIN = 0.5;
/** §2.7 BBR.LossThresh: the loss rate above which inflight was too high. */
export const BBR_LOSS_THRESH = 0.02;
/** §2.7 BBR.Beta: multiplicative decrease of the short-term model on loss. */
export const BBR_BETA = 0.7;
/** §2.7 BBR.Headroom: share of inflight_longterm left free for other flows. */
export const BBR_HEADROOM = 0.15;
/** §2.7 BBR.MaxBwFilterLen, in ProbeBW cycles. */
export const BBR_MAX_BW_FILTER_LEN = 2;
/** §2.7 BBR.ExtraAckedFilterLen, in rounds. */
export const BBR_EXTRA_ACKED_FILTER_LEN = 10;
/** §2.7 BBR.MinRTTFilterLen: 10 s. */
export const BBR_MIN_RTT_FILTER_LEN = 10_000_000;
/** §2.7 BBR.ProbeRTTInterval: 5 s. */
export const BBR_PROBE_RTT_INTERVAL = 5_000_000;
/** §2.7 BBR.ProbeRTTDuration: 200 ms. */
export const BBR_PROBE_RTT_DURATION = 200_000;
/** §2.7 BBR.PacingMarginPercent. */
export const BBR_PACING_MARGIN_PERCENT = 1;
/** §4.3.1.2: Startup exits on loss after this many lost ranges in a round. */
export const BBR_STARTUP_FULL_LOSS_COUNT = 6;

export interface BbrOptions extends CongestionControllerOptions {
  /** Seed of the generator that randomizes the ProbeBW wait (§4.3.3.5). Default 1. */
  seed?: number;
  /** BBR.StartupPacingGain (§2.7), in (1, 10]. Default 4 ln 2 = 2.77. */
  startupPacingGain?: number;
  /** How long the min RTT estimate holds before ProbeRTT refreshes it, ms (§2.7 ProbeRTTInterval). Default 5,000. */
  probeRttIntervalMs?: number;
  /** How long ProbeRTT holds the reduced window, ms (§2.7 ProbeRTTDuration). Default 200. */
  probeRttDurationMs?: number;
}

export const BBR_OPTIONS = [
  'maxDatagramSize',
  'initialWindow',
  'seed',
  'startupPacingGain',
  'probeRttIntervalMs',
  'probeRttDurationMs',
];
