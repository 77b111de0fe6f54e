/**
 * BBR version 3 (draft-ietf-ccwg-bbr): a model-based controller that paces at its estimate of
 * the bottleneck bandwidth and bounds what is in flight to a multiple of the estimated
 * bandwidth-delay product, instead of reacting to every loss. It is driven by the delivery-rate
 * samples of src/path/delivery-rate.ts (`onRateSample`) and per-packet losses (`onPacketLost`).
 *
 * State machine (§4.3): Startup → Drain → ProbeBW (DOWN → CRUISE → REFILL → UP → DOWN ...), and
 * ProbeRTT from any state when the min RTT estimate has not been refreshed for 5 s. Bandwidth
 * and volume units are bytes per second and bytes; times are microseconds.
 *
 * Differences from the draft's pseudocode, all because QUIC here differs from TCP: the
 * "discontiguous lost ranges" of CheckStartupHighLoss are counted as lost packets; the send
 * quantum is only used for the quantization budget (the pacer's burst is its own); the
 * controller cannot mark the sampler application-limited during ProbeRTT (the max filter
 * ignores the lower rates it samples there anyway).
 */
import {
  checkMaxDatagramSize,
  initialWindowFor,
  MIN_MAX_DATAGRAM_SIZE,
  type AckedPacket,
  type CongestionController,
  type CongestionState,
  type DeliverySnapshot,
  type RateSample,
  type RttSnapshot,
} from './types.js';
import { checkOptionNames, numberOption } from './options.js';
import { ExtraAckedFilter, MaxBwFilter, MinRttFilter } from './bbr-filters.js';
import { BbrLossRound } from './bbr-loss-round.js';
import {
  BBR_BETA,
  BBR_DEFAULT_CWND_GAIN,
  BBR_DRAIN_PACING_GAIN,
  BBR_HEADROOM,
  BBR_LOSS_THRESH,
  BBR_OPTIONS,
  BBR_PACING_MARGIN_PERCENT,
  BBR_PROBE_DOWN_PACING_GAIN,
  BBR_PROBE_RTT_CWND_GAIN,
  BBR_PROBE_RTT_DURATION,
  BBR_PROBE_RTT_INTERVAL,
  BBR_PROBE_UP_CWND_GAIN,
  BBR_PROBE_UP_PACING_GAIN,
  BBR_STARTUP_FULL_LOSS_COUNT,
  BBR_STARTUP_PACING_GAIN,
  type BbrOptions,
  type BbrState,
} from './bbr-params.js';

/** §4.3.3.6 ack_phase: where the ACKs come from relative to bandwidth probing. */
const AckPhase = { Init: 0, ProbeStarting: 1, ProbeFeedback: 2, ProbeStopping: 3, Refilling: 4 };

export class Bbr implements CongestionController {
  readonly name = 'bbr';

  private mds: number;
  private readonly initialWindowOverride: number | undefined;
  private readonly startupPacingGain: number;
  /** ProbeRTTDuration, µs. */
  private readonly probeRttDuration: number;
  private cwnd: number;
  /** C.pacing_rate, bytes per second; 0 until initialized on the first send. */
  private pacing = 0;
  private bbrState: BbrState = 'startup';
  private pacingGain = BBR_STARTUP_PACING_GAIN;
  private cwndGain = BBR_DEFAULT_CWND_GAIN;
  private started = false;
  private rng: number;

  // Connection state the controller tracks from its hooks.
  private inflight = 0;
  private delivered = 0;
  private lostTotal = 0;
  private appLimitedHint = false;
  private cwndLimited = false;
  private recoveryStart = -Infinity;
  private inRecovery = false;

  // Round counting (§4.5.1).
  private nextRoundDelivered = 0;
  private roundStart = false;
  private roundCount = 0;

  // Bandwidth model (§4.5.2.x): a max filter over the last two ProbeBW cycles.
  private readonly maxBw = new MaxBwFilter();
  private bw = 0;
  private bwShortterm = Infinity;

  // Volume model.
  private inflightLongterm = Infinity;
  private inflightShortterm = Infinity;
  private maxInflight = 0;

  // Min RTT (§4.5.3) and ProbeRTT (§4.3.4).
  private readonly minRtt: MinRttFilter;
  private probeRttDoneStamp = 0;
  private probeRttRoundDone = false;
  private idleRestart = false;

  // ACK aggregation (§4.5.5): extra_acked max filter over 10 rounds, by round number.
  private readonly extraAcked = new ExtraAckedFilter();

  // Full pipe detection (§4.3.1).
  private fullBw = 0;
  private fullBwCount = 0;
  private fullBwNow = false;
  private fullBwReached = false;
  private drainStartRound = 0;

  // ProbeBW (§4.3.3).
  private cycleStamp = 0;
  private bwProbeWait = 0;
  private roundsSinceProbeUp = 0;
  private ackPhase = AckPhase.Init;
  private probeUpAckedPerInc = Infinity;
  private bwProbeUpAcked = 0;
  private bwProbeUpRounds = 0;
  private isBwProbeSample = false;
  private prevProbeTooHigh = false;
  private prevProbePrecautionary = false;

  // Loss rounds (§4.5.10) and Startup's high-loss exit.
  private readonly lossRound = new BbrLossRound();

  // Undo (§4.5.10.4).
  private priorCwnd = 0;
  private undoState: BbrState | null = null;
  private undoBwShortterm = 0;
  private undoInflightShortterm = 0;
  private undoInflightLongterm = 0;

  /** The sample of the ACK being processed (§4.5.2 RS). */
  private rs: RateSample | null = null;

  constructor(options: BbrOptions = {}) {
    checkOptionNames('bbr', options, BBR_OPTIONS);
    this.mds = checkMaxDatagramSize(options.maxDatagramSize ?? MIN_MAX_DATAGRAM_SIZE);
    if (options.initialWindow !== undefined) {
      // §2.7 BBR.MinPipeCwnd: 4 packets.
      this.initialWindowOverride = numberOption('bbr', 'initialWindow', options.initialWindow, 0, {
        min: this.minPipeCwnd,
        max: 2 ** 30,
        integer: true,
      });
    }
    this.cwnd = this.initialWindow;
    const seed = numberOption('bbr', 'seed', options.seed, 1, {
      min: Number.MIN_SAFE_INTEGER,
      max: Number.MAX_SAFE_INTEGER,
      integer: true,
    });
    this.rng = seed >>> 0 || 1;
    this.startupPacingGain = numberOption(
      'bbr',
      'startupPacingGain',
      options.startupPacingGain,
      BBR_STARTUP_PACING_GAIN,
      { min: 1, max: 10, exclusiveMin: true },
    );
    this.pacingGain = this.startupPacingGain;
    const ms = { min: 1, max: 3_600_000 };
    const probeRttInterval =
      numberOption(
        'bbr',
        'probeRttIntervalMs',
        options.probeRttIntervalMs,
        BBR_PROBE_RTT_INTERVAL / 1000,
        ms,
      ) * 1000;
    this.minRtt = new MinRttFilter(probeRttInterval);
    this.probeRttDuration =
      numberOption(
        'bbr',
        'probeRttDurationMs',
        options.probeRttDurationMs,
        BBR_PROBE_RTT_DURATION / 1000,
        ms,
      ) * 1000;
  }

  get window(): number {
    return Math.floor(this.cwnd);
  }

  get ssthresh(): number {
    return Infinity;
  }

  get maxDatagramSize(): number {
    return this.mds;
  }

  get state(): CongestionState {
    if (this.inRecovery) return 'recovery';
    if (this.bbrState === 'startup') return 'slow_start';
    return 'congestion_avoidance';
  }

  /** The BBR state machine's state. */
  get mode(): BbrState {
    return this.bbrState;
  }

  /** BBR.max_bw, bytes per second. */
  get maxBandwidth(): number {
    return this.maxBw.value;
  }

  /** BBR.min_rtt, microseconds (Infinity before a sample). */
  get minRttEstimate(): number {
    return this.minRtt.value;
  }

  /** BBR.bdp in bytes at gain 1 (the initial window before a min RTT sample). */
  get bdp(): number {
    return this.bdpMultiple(1);
  }

  /** BBR.inflight_longterm and BBR.inflight_shortterm (Infinity when unset). */
  get inflightBounds(): { longterm: number; shortterm: number } {
    return { longterm: this.inflightLongterm, shortterm: this.inflightShortterm };
  }

  get pacingGainValue(): number {
    return this.pacingGain;
  }

  get fullBandwidthReached(): boolean {
    return this.fullBwReached;
  }

  /** kInitialWindow (RFC 9002 §7.2). */
  get initialWindow(): number {
    return this.initialWindowOverride ?? initialWindowFor(this.mds);
  }

  /** §2.7 BBR.MinPipeCwnd: 4 packets. */
  private get minPipeCwnd(): number {
    return 4 * this.mds;
  }

  pacingRate(rtt: RttSnapshot): number {
    if (this.pacing === 0) this.initPacingRate(rtt);
    return this.pacing;
  }

  onPacketSent(bytes: number, now: number, bytesInFlight: number): void {
    if (!this.started) {
      // §5.1 OnInit, on the first send: stamps need a clock, and the controller gets none earlier.
      this.started = true;
      this.minRtt.start(now);
      this.extraAcked.startInterval(now);
      this.cycleStamp = now;
    }
    // §4.3.5 HandleRestartFromIdle, before the packet counts in flight.
    if (bytesInFlight - bytes === 0 && this.appLimitedHint) {
      this.idleRestart = true;
      this.extraAcked.startInterval(now);
      if (this.inProbeBw()) this.setPacingRateWithGain(1);
      else if (this.bbrState === 'probe_rtt') this.checkProbeRttDone(now);
    }
    this.inflight = bytesInFlight;
    if (bytesInFlight + this.mds > this.cwnd) this.cwndLimited = true;
  }

  onPacketsAcked(
    acked: readonly AckedPacket[],
    _now: number,
    _rtt: RttSnapshot,
    appLimited: boolean,
  ): void {
    this.appLimitedHint = appLimited;
    let largestSent = -Infinity;
    for (let i = 0; i < acked.length; i++) {
      if (acked[i]!.timeSent > largestSent) largestSent = acked[i]!.timeSent;
    }
    // RFC 9002 §7.3.2: recovery ends with a packet sent after it began; §4.6.4.4 restores cwnd.
    if (this.inRecovery && largestSent > this.recoveryStart) {
      this.inRecovery = false;
      this.restoreCwnd();
    }
  }

  /** §4.5.10.2 HandleLostPacket. */
  onPacketLost(packet: DeliverySnapshot, now: number, bytesInFlight: number): void {
    this.inflight = bytesInFlight;
    this.lostTotal += packet.size;
    this.noteLoss(packet.size);
    if (!this.isBwProbeSample) return;
    const lost = this.lostTotal - packet.lostBefore;
    if (this.isInflightTooHigh(lost, packet.txInFlight)) {
      this.handleInflightTooHigh(
        this.inflightAtLoss(packet.size, lost, packet.txInFlight),
        packet.isAppLimited,
        now,
      );
    }
  }

  /**
   * draft-ietf-ccwg-bbr §ECN: this version specifies no ECN response of its own but "MUST treat
   * any CE marks as congestion". So CE-marked packets count as lost full-size packets of this
   * round: they lower the short-term bounds at the round's end (§4.5.10.3) as losses do. The
   * per-packet inflight_too_high check of losses needs each packet's delivery snapshot, which an
   * ECN count does not name, so it is not applied.
   */
  onEcnCongestion(markedPackets: number, _now: number, bytesInFlight: number): void {
    this.inflight = bytesInFlight;
    this.noteLoss(markedPackets * this.mds);
  }

  /** §5.3 UpdateOnACK: update the model and state, then the control parameters. */
  onRateSample(rs: RateSample, now: number, _rtt: RttSnapshot, bytesInFlight: number): void {
    this.rs = rs;
    this.inflight = bytesInFlight;
    this.delivered = rs.totalDelivered;
    // UpdateModelAndState
    this.updateLatestDeliverySignals();
    this.updateCongestionSignals();
    this.updateAckAggregation(now);
    this.checkFullBwReached();
    this.checkStartupDone();
    this.checkDrainDone(now);
    this.updateProbeBwCyclePhase(now);
    this.updateMinRtt(now);
    this.checkProbeRtt(now);
    this.advanceLatestDeliverySignals();
    this.bw = Math.min(this.maxBw.value, this.bwShortterm);
    // UpdateControlParameters
    this.setPacingRateWithGain(this.pacingGain);
    this.setCwnd();
    if (this.roundStart) this.cwndLimited = false;
    this.rs = null;
  }

  onCongestionEvent(sentTime: number, now: number): boolean {
    // §4.6.4.4 OnEnterFastRecovery: BBR keeps its window; it saves state for an undo.
    if (sentTime <= this.recoveryStart) return false;
    this.saveCwnd();
    this.saveStateUponLoss();
    this.recoveryStart = now;
    this.inRecovery = true;
    return true;
  }

  onPersistentCongestion(_now: number): void {
    // §4.6.4.4 OnEnterRTO.
    this.saveCwnd();
    this.saveStateUponLoss();
    this.cwnd = Math.max(this.inflight + this.mds, this.minPipeCwnd);
    this.inRecovery = false;
    this.recoveryStart = -Infinity;
  }

  onSpuriousCongestion(_now: number): void {
    // §4.5.10.4 HandleSpuriousLossDetection.
    this.restoreCwnd();
    this.lossRound.clearLoss();
    this.resetFullBw();
    this.bwShortterm = Math.max(this.bwShortterm, this.undoBwShortterm);
    this.inflightShortterm = Math.max(this.inflightShortterm, this.undoInflightShortterm);
    this.inflightLongterm = Math.max(this.inflightLongterm, this.undoInflightLongterm);
    if (this.undoState === 'startup' && this.bbrState !== 'startup') {
      this.fullBwReached = false;
      if (this.bbrState !== 'probe_rtt') this.enterStartup();
    } else if (this.undoState === 'probe_bw_up' && this.bbrState !== 'probe_bw_up') {
      if (this.bbrState !== 'probe_rtt') this.startProbeBwRefill();
    }
    this.undoState = null;
    this.inRecovery = false;
  }

  setMaxDatagramSize(bytes: number): void {
    const oldInitial = this.initialWindow;
    this.mds = checkMaxDatagramSize(bytes);
    if (!this.started && this.cwnd === oldInitial) this.cwnd = this.initialWindow;
    if (this.cwnd < this.minPipeCwnd) this.cwnd = this.minPipeCwnd;
  }

  // --- State transitions (§4.3) ---

  private enterStartup(): void {
    this.bbrState = 'startup';
    this.pacingGain = this.startupPacingGain;
    this.cwndGain = BBR_DEFAULT_CWND_GAIN;
  }

  private checkStartupDone(): void {
    this.checkStartupHighLoss();
    if (this.bbrState === 'startup' && this.fullBwReached) this.enterDrain();
  }

  /**
   * §4.3.1.2: leave Startup when a whole round saw more than BBR.LossThresh of its data lost in
   * at least BBR_STARTUP_FULL_LOSS_COUNT separate losses; inflight_longterm then starts at the
   * volume that round delivered.
   */
  private checkStartupHighLoss(): void {
    const round = this.lossRound;
    if (this.bbrState !== 'startup' || !round.started || this.fullBwReached) return;
    const lost = round.lostBytes;
    const delivered = round.deliveredSinceStart(this.delivered);
    const highLoss =
      round.lostEvents >= BBR_STARTUP_FULL_LOSS_COUNT &&
      lost > BBR_LOSS_THRESH * (lost + delivered);
    if (highLoss) {
      this.fullBwReached = true;
      this.undoState = 'startup';
      this.inflightLongterm = Math.max(this.bdpMultiple(1), round.inflightLatest);
    }
  }

  private resetFullBw(): void {
    this.fullBw = 0;
    this.fullBwCount = 0;
    this.fullBwNow = false;
  }

  /** §4.3.1.1: three rounds without 25% growth of the delivery rate fill the pipe. */
  private checkFullBwReached(): void {
    const rs = this.rs!;
    if (this.fullBwNow || !this.roundStart || rs.isAppLimited) return;
    if (rs.deliveryRate >= this.fullBw * 1.25) {
      this.resetFullBw();
      this.fullBw = rs.deliveryRate;
      return;
    }
    this.fullBwCount++;
    this.fullBwNow = this.fullBwCount >= 3;
    if (this.fullBwNow) this.fullBwReached = true;
  }

  private enterDrain(): void {
    this.bbrState = 'drain';
    this.pacingGain = BBR_DRAIN_PACING_GAIN;
    this.cwndGain = BBR_DEFAULT_CWND_GAIN;
    this.drainStartRound = this.roundCount;
  }

  /** §4.3.2: the queue is gone when inflight is down to the BDP (or after 3 rounds). */
  private checkDrainDone(now: number): void {
    if (
      this.bbrState === 'drain' &&
      (this.inflight <= this.inflightFor(1) || this.roundCount > this.drainStartRound + 3)
    ) {
      this.enterProbeBw(now);
    }
  }

  private enterProbeBw(now: number): void {
    this.cwndGain = BBR_DEFAULT_CWND_GAIN;
    this.startProbeBwDown(now);
  }

  private startProbeBwDown(now: number): void {
    this.resetCongestionSignals();
    this.probeUpAckedPerInc = Infinity;
    this.pickProbeWait();
    this.cycleStamp = now;
    this.ackPhase = AckPhase.ProbeStopping;
    this.startRound();
    this.bbrState = 'probe_bw_down';
    this.pacingGain = BBR_PROBE_DOWN_PACING_GAIN;
    this.cwndGain = BBR_DEFAULT_CWND_GAIN;
  }

  private startProbeBwCruise(): void {
    this.bbrState = 'probe_bw_cruise';
    this.pacingGain = 1;
    this.cwndGain = BBR_DEFAULT_CWND_GAIN;
  }

  private startProbeBwRefill(): void {
    this.resetShortTermModel();
    this.bwProbeUpRounds = 0;
    this.bwProbeUpAcked = 0;
    this.prevProbePrecautionary = false;
    this.ackPhase = AckPhase.Refilling;
    this.startRound();
    this.bbrState = 'probe_bw_refill';
    this.pacingGain = 1;
    this.cwndGain = BBR_DEFAULT_CWND_GAIN;
  }

  private startProbeBwUp(): void {
    this.ackPhase = AckPhase.ProbeStarting;
    this.startRound();
    this.resetFullBw();
    this.fullBw = this.rs?.deliveryRate ?? 0;
    this.bbrState = 'probe_bw_up';
    this.pacingGain = BBR_PROBE_UP_PACING_GAIN;
    this.cwndGain = BBR_PROBE_UP_CWND_GAIN;
    this.raiseInflightLongtermSlope();
  }

  /** §4.3.3.6 UpdateProbeBWCyclePhase. */
  private updateProbeBwCyclePhase(now: number): void {
    if (!this.fullBwReached) return;
    if (this.adaptLongTermModel(now)) return;
    switch (this.bbrState) {
      case 'probe_bw_down':
        if (this.isTimeToProbeBw(now)) return;
        if (this.isTimeToCruise()) this.startProbeBwCruise();
        return;
      case 'probe_bw_cruise':
        this.isTimeToProbeBw(now);
        return;
      case 'probe_bw_refill':
        // One round of REFILL, then UP.
        if (this.roundStart) {
          this.isBwProbeSample = true;
          this.startProbeBwUp();
        }
        return;
      case 'probe_bw_up':
        if (this.isTimeToGoDown()) {
          this.prevProbeTooHigh = false;
          this.startProbeBwDown(now);
        }
        return;
      default:
        return;
    }
  }

  private isTimeToProbeBw(now: number): boolean {
    if (now > this.cycleStamp + this.bwProbeWait || this.isRenoCoexistenceProbeTime()) {
      this.startProbeBwRefill();
      return true;
    }
    return false;
  }

  /** §4.3.3.5: wait 0-1 rounds and 2-3 s before the next probe (randomized for fairness). */
  private pickProbeWait(): void {
    this.roundsSinceProbeUp = this.random() < 0.5 ? 0 : 1;
    this.bwProbeWait = 2_000_000 + Math.floor(this.random() * 1_000_000);
  }

  /** Probe at least as often as Reno would grow its window by the BDP (in packets, max 63). */
  private isRenoCoexistenceProbeTime(): boolean {
    const renoRounds = Math.min(this.bdpMultiple(1), this.cwnd) / this.mds;
    return this.roundsSinceProbeUp >= Math.min(renoRounds, 63);
  }

  private isTimeToCruise(): boolean {
    if (this.inflight > this.inflightWithHeadroom()) return false;
    return this.inflight <= this.inflightFor(1);
  }

  private isTimeToGoDown(): boolean {
    // Precautionary probing: the last probe found the ceiling, stop at it.
    if (this.prevProbeTooHigh && this.inflight >= this.inflightLongterm) {
      this.prevProbePrecautionary = true;
      return true;
    }
    if (this.cwndLimited && this.cwnd >= this.inflightLongterm) {
      // The bandwidth is limited by inflight_longterm: keep probing it upward.
      this.resetFullBw();
      this.fullBw = this.rs?.deliveryRate ?? 0;
    } else if (this.fullBwNow) {
      return true;
    }
    return false;
  }

  private inProbeBw(): boolean {
    return this.bbrState.startsWith('probe_bw');
  }

  private isProbingBw(): boolean {
    return (
      this.bbrState === 'startup' ||
      this.bbrState === 'probe_bw_refill' ||
      this.bbrState === 'probe_bw_up'
    );
  }

  /** inflight_longterm less the headroom left for other flows (§4.3.3.3). */
  private inflightWithHeadroom(): number {
    if (this.inflightLongterm === Infinity) return Infinity;
    const headroom = Math.max(this.mds, BBR_HEADROOM * this.inflightLongterm);
    return Math.max(this.inflightLongterm - headroom, this.minPipeCwnd);
  }

  private raiseInflightLongtermSlope(): void {
    const growthThisRound = 2 ** this.bwProbeUpRounds;
    this.bwProbeUpRounds = Math.min(this.bwProbeUpRounds + 1, 30);
    this.probeUpAckedPerInc = Math.max(this.cwnd / growthThisRound, this.mds);
  }

  private probeInflightLongtermUpward(): void {
    if (!this.cwndLimited || this.cwnd < this.inflightLongterm) return;
    this.bwProbeUpAcked += this.rs!.newlyAcked;
    if (this.bwProbeUpAcked >= this.probeUpAckedPerInc) {
      const delta = Math.floor(this.bwProbeUpAcked / this.probeUpAckedPerInc);
      this.bwProbeUpAcked -= delta * this.probeUpAckedPerInc;
      this.inflightLongterm += delta * this.mds;
    }
    if (this.roundStart) this.raiseInflightLongtermSlope();
  }

  /** §4.3.3.6 AdaptLongTermModel; true when it decided a state transition. */
  private adaptLongTermModel(now: number): boolean {
    const rs = this.rs!;
    if (this.ackPhase === AckPhase.ProbeStarting && this.roundStart) {
      this.ackPhase = AckPhase.ProbeFeedback;
    }
    if (this.ackPhase === AckPhase.ProbeStopping && this.roundStart) {
      this.isBwProbeSample = false;
      this.ackPhase = AckPhase.Init;
      if (this.inProbeBw() && !rs.isAppLimited) this.advanceMaxBwFilter();
      if (this.inProbeBw() && this.prevProbePrecautionary && !this.prevProbeTooHigh) {
        this.startProbeBwRefill();
        return true;
      }
    }
    if (this.isInflightTooHigh(rs.lost, rs.txInFlight)) {
      if (this.isBwProbeSample) {
        this.handleInflightTooHigh(rs.txInFlight, rs.isAppLimited, now);
        return true;
      }
      return false;
    }
    if (this.inflightLongterm === Infinity) return false;
    if (rs.txInFlight > this.inflightLongterm) this.inflightLongterm = rs.txInFlight;
    if (this.bbrState === 'probe_bw_up') this.probeInflightLongtermUpward();
    return false;
  }

  // --- ProbeRTT (§4.3.4) ---

  private updateMinRtt(now: number): void {
    this.minRtt.update(this.rs!.rtt, now);
  }

  private checkProbeRtt(now: number): void {
    if (this.bbrState !== 'probe_rtt' && this.minRtt.probeRttExpired && !this.idleRestart) {
      this.bbrState = 'probe_rtt';
      this.pacingGain = 1;
      this.cwndGain = BBR_PROBE_RTT_CWND_GAIN;
      this.saveCwnd();
      this.probeRttDoneStamp = 0;
      this.ackPhase = AckPhase.ProbeStopping;
      this.startRound();
    }
    if (this.bbrState === 'probe_rtt') this.handleProbeRtt(now);
    if (this.rs!.delivered > 0) this.idleRestart = false;
  }

  private handleProbeRtt(now: number): void {
    if (this.probeRttDoneStamp === 0 && this.inflight <= this.probeRttCwnd()) {
      // Hold inflight down for 200 ms and at least one round.
      this.probeRttDoneStamp = now + this.probeRttDuration;
      this.probeRttRoundDone = false;
      this.startRound();
    } else if (this.probeRttDoneStamp !== 0) {
      if (this.roundStart) this.probeRttRoundDone = true;
      if (this.probeRttRoundDone) this.checkProbeRttDone(now);
    }
  }

  private checkProbeRttDone(now: number): void {
    if (this.probeRttDoneStamp !== 0 && now > this.probeRttDoneStamp) {
      this.minRtt.probed(now);
      this.restoreCwnd();
      this.resetShortTermModel();
      if (this.fullBwReached) {
        this.startProbeBwDown(now);
        this.startProbeBwCruise();
      } else {
        this.enterStartup();
      }
    }
  }

  private probeRttCwnd(): number {
    return Math.max(this.bdpMultiple(BBR_PROBE_RTT_CWND_GAIN), this.minPipeCwnd);
  }

  // --- Model (§4.5) ---

  private startRound(): void {
    this.nextRoundDelivered = this.delivered;
  }

  /** §4.5.1 UpdateRound: a round ends when a packet sent after its start is acknowledged. */
  private updateRound(): void {
    if (this.rs!.priorDelivered >= this.nextRoundDelivered) {
      this.startRound();
      this.roundCount++;
      this.roundsSinceProbeUp++;
      this.roundStart = true;
    } else {
      this.roundStart = false;
    }
  }

  private updateMaxBw(): void {
    this.updateRound();
    const rs = this.rs!;
    if (rs.deliveryRate > 0 && (rs.deliveryRate >= this.maxBw.value || !rs.isAppLimited)) {
      this.maxBw.update(rs.deliveryRate);
    }
  }

  /** §4.5.2.x AdvanceMaxBwFilter: a new ProbeBW cycle. */
  private advanceMaxBwFilter(): void {
    this.maxBw.advance();
  }

  /** §4.5.5 UpdateACKAggregation: data acknowledged beyond what bw explains (ACK bunching). */
  private updateAckAggregation(now: number): void {
    this.extraAcked.update(
      now,
      this.rs!.newlyAcked,
      this.bw,
      this.cwnd,
      this.roundCount,
      this.fullBwReached,
    );
  }

  private isInflightTooHigh(lost: number, txInFlight: number): boolean {
    return lost > txInFlight * BBR_LOSS_THRESH;
  }

  private handleInflightTooHigh(txInFlight: number, isAppLimited: boolean, now: number): void {
    this.prevProbeTooHigh = true;
    this.isBwProbeSample = false;
    if (!isAppLimited) {
      this.inflightLongterm = Math.max(txInFlight, this.targetInflight() * BBR_BETA);
    }
    if (this.bbrState === 'probe_bw_up') {
      this.undoState = 'probe_bw_up';
      this.startProbeBwDown(now);
    }
  }

  /** §4.5.10.2 InflightAtLoss: where within the packet the loss rate crossed LossThresh. */
  private inflightAtLoss(size: number, lost: number, txInFlight: number): number {
    const inflightPrev = txInFlight - size;
    const lostPrev = lost - size;
    const lostPrefix = (BBR_LOSS_THRESH * inflightPrev - lostPrev) / (1 - BBR_LOSS_THRESH);
    return inflightPrev + lostPrefix;
  }

  private targetInflight(): number {
    return Math.min(this.bdpMultiple(1), this.cwnd);
  }

  private noteLoss(bytes: number): void {
    if (this.lossRound.noteLoss(bytes, this.delivered)) this.saveStateUponLoss();
  }

  private updateLatestDeliverySignals(): void {
    this.lossRound.updateLatest(this.rs!, this.delivered);
  }

  private advanceLatestDeliverySignals(): void {
    this.lossRound.advanceLatest(this.rs!, this.delivered);
  }

  private resetCongestionSignals(): void {
    this.lossRound.reset();
  }

  /** §4.5.10.3: once per round, a round with loss lowers the short-term model. */
  private updateCongestionSignals(): void {
    this.updateMaxBw();
    const round = this.lossRound;
    if (!round.started) return;
    if (!this.isProbingBw() && round.hadLoss) {
      if (this.bwShortterm === Infinity) this.bwShortterm = this.maxBw.value;
      if (this.inflightShortterm === Infinity) this.inflightShortterm = this.cwnd;
      this.bwShortterm = Math.max(round.bwLatest, BBR_BETA * this.bwShortterm);
      this.inflightShortterm = Math.max(round.inflightLatest, BBR_BETA * this.inflightShortterm);
    }
    round.clearLoss();
  }

  private resetShortTermModel(): void {
    this.bwShortterm = Infinity;
    this.inflightShortterm = Infinity;
  }

  private saveStateUponLoss(): void {
    this.undoState = null;
    this.undoBwShortterm = this.bwShortterm;
    this.undoInflightShortterm = this.inflightShortterm;
    this.undoInflightLongterm = this.inflightLongterm;
  }

  // --- Control parameters (§4.6) ---

  private initPacingRate(rtt: RttSnapshot): void {
    const srtt = rtt.sampleCount > 0 && rtt.smoothed > 0 ? rtt.smoothed : 1000;
    this.pacing = (this.startupPacingGain * this.initialWindow * 1_000_000) / srtt;
  }

  private setPacingRateWithGain(gain: number): void {
    const rate = (gain * this.bw * (100 - BBR_PACING_MARGIN_PERCENT)) / 100;
    if (rate > 0 && (this.fullBwReached || rate > this.pacing)) this.pacing = rate;
  }

  /** §4.6.3 send quantum: 1 ms of data at the pacing rate, 2 datagrams to 64 KB. */
  sendQuantum(): number {
    return Math.max(Math.min((this.pacing * 1000) / 1_000_000, 65536), 2 * this.mds);
  }

  private bdpMultiple(gain: number): number {
    if (this.minRtt.value === Infinity) return this.initialWindow;
    return (gain * this.bw * this.minRtt.value) / 1_000_000;
  }

  private quantizationBudget(inflightCap: number): number {
    let cap = Math.max(inflightCap, 3 * this.sendQuantum(), this.minPipeCwnd);
    if (this.bbrState === 'probe_bw_up') cap += 2 * this.mds;
    return cap;
  }

  private inflightFor(gain: number): number {
    return this.quantizationBudget(this.bdpMultiple(gain));
  }

  private saveCwnd(): void {
    if (!this.inRecovery && this.bbrState !== 'probe_rtt') this.priorCwnd = this.cwnd;
    else this.priorCwnd = Math.max(this.priorCwnd, this.cwnd);
  }

  private restoreCwnd(): void {
    this.cwnd = Math.max(this.cwnd, this.priorCwnd);
  }

  /** §4.6.4.6 SetCwnd, bounded for ProbeRTT and by the model. */
  private setCwnd(): void {
    const newlyAcked = this.rs!.newlyAcked;
    this.maxInflight = this.quantizationBudget(
      this.bdpMultiple(this.cwndGain) + this.extraAcked.value,
    );
    if (this.fullBwReached) {
      this.cwnd = Math.min(this.cwnd + newlyAcked, this.maxInflight);
    } else if (this.cwnd < this.maxInflight || this.delivered < this.initialWindow) {
      this.cwnd += newlyAcked;
    }
    this.cwnd = Math.max(this.cwnd, this.minPipeCwnd);
    if (this.bbrState === 'probe_rtt') this.cwnd = Math.min(this.cwnd, this.probeRttCwnd());
    let cap = Infinity;
    if (this.inProbeBw() && this.bbrState !== 'probe_bw_cruise') {
      cap = this.inflightLongterm;
    } else if (this.bbrState === 'probe_rtt' || this.bbrState === 'probe_bw_cruise') {
      cap = this.inflightWithHeadroom();
    }
    cap = Math.max(Math.min(cap, this.inflightShortterm), this.minPipeCwnd);
    this.cwnd = Math.min(this.cwnd, cap);
  }

  /** xorshift32: a per-instance generator, so that a seeded run is reproducible. */
  private random(): number {
    let x = this.rng;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rng = x >>> 0;
    return this.rng / 4_294_967_296;
  }
}
