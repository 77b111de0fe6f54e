/**
 * Datagram Packetization Layer Path MTU Discovery (DPLPMTUD, RFC 8899; RFC 9000 §14.3, §14.4)
 * for one network path: the largest datagram the path is known to carry (the PLPMTU), a binary
 * search upward with probe packets, and black hole detection.
 *
 * The connection asks `probeSize(now)` when it could send, builds a PING + PADDING packet of
 * exactly that many bytes (`onProbeSent`), and reports the acknowledgment or loss of every packet
 * sent on the path (`onPacketAcked`, `onPacketLost`); those return true when the PLPMTU changed,
 * and the connection then sizes its datagrams by `mtu`. Loss detection finds lost probes (QUIC is
 * an acknowledged packetization layer, so RFC 8899's PROBE_TIMER and CONFIRMATION_TIMER are
 * those of RFC 9002, RFC 9000 §14.3.2), and it does not count them as congestion (§14.4).
 *
 * Every path owns its own instance (RFC 9000 §14.3: the PMTU is kept per pair of addresses): a
 * new path starts again at the base.
 */

/** MAX_PROBES (RFC 8899 §5.1.2): unanswered probes of one size before it is deemed too large. */
export const MAX_PROBES = 3;
/** PMTU_RAISE_TIMER (RFC 8899 §5.1.1): how long a completed search stands, µs. */
export const PMTU_RAISE_TIMER = 600_000_000;
/**
 * Full-size packets lost in a row, with none acknowledged after them, before a black hole is
 * suspected (RFC 8899 §4.3, third indicator): more than random loss makes (at 5% loss, six in a
 * row is about one in 64 million).
 */
export const BLACK_HOLE_THRESHOLD = 6;
/** The smallest maximum datagram size of QUIC (RFC 9000 §14): BASE_PLPMTU and MIN_PLPMTU. */
export const QUIC_MIN_DATAGRAM = 1200;
/**
 * Bytes of the datagram size the largest DATAGRAM frame payload offered to the application
 * leaves for the packet around it (Connection.maxDatagramSize): header with the longest DCID,
 * frame type and length, AEAD tag.
 */
export const PACKET_OVERHEAD_ALLOWANCE = 64;
/**
 * The least a 1-RTT packet of one DATAGRAM frame adds to its payload: flags, a one-byte packet
 * number and no DCID, the frame type and a two-byte length, the 16-byte AEAD tag.
 */
const LEAST_DATAGRAM_OVERHEAD = 21;
/**
 * A datagram within this many bytes of the PLPMTU is full: one of the largest DATAGRAM frames
 * offered to the application (Connection.maxDatagramSize) always is, a 1 KiB response is not.
 */
export const FULL_DATAGRAM_SLACK = PACKET_OVERHEAD_ALLOWANCE - LEAST_DATAGRAM_OVERHEAD;
/**
 * Full datagrams a path carries before the search starts: a flow that keeps filling them (a
 * download, a stream of full DATAGRAM frames). One alone is not enough: the first 1-RTT datagram
 * of a short response often is full, of HANDSHAKE_DONE, NEW_TOKEN, NEW_CONNECTION_ID and the
 * session ticket, and the probes it set off doubled what the server sent.
 */
export const FULL_DATAGRAMS_BEFORE_SEARCH = 3;

export interface PmtudConfig {
  /** Search for a larger size; false keeps every datagram at `base`. */
  enabled: boolean;
  /** BASE_PLPMTU: the size used until a probe confirms more, ≥ 1200 (RFC 9000 §14.3). */
  base: number;
  /** MAX_PLPMTU: the largest size searched for; the peer's max_udp_payload_size also bounds it. */
  max: number;
  /** PMTU_RAISE_TIMER, µs. Default 600 s. */
  raiseTimer?: number;
}

/** What the search needs of a sent packet (SentPacket has it). */
export interface SizedPacket {
  readonly pn: number;
  /** Bytes of the packet: a probe or full-size packet is alone in its datagram. */
  readonly size: number;
  readonly timeSent: number;
  readonly pmtuProbe: boolean;
}

/**
 * RFC 8899 §5.2 phases: `idle` waits for the handshake (the DISABLED state of the RFC: QUIC
 * enters BASE on completion, RFC 9000 §14.3.1, and the handshake itself confirmed the base);
 * `base` waits for the path to carry a datagram of the full PLPMTU before searching; `off` when
 * discovery is disabled.
 */
export type PmtudPhase = 'off' | 'idle' | 'base' | 'searching' | 'complete';

export interface PmtudStats {
  probesSent: number;
  probesLost: number;
  blackHoles: number;
}

export class PathMtuDiscovery {
  private state: PmtudPhase;
  private plpmtu: number;
  private readonly base: number;
  private readonly max: number;
  private readonly raiseTimer: number;
  /** MAX_PLPMTU of this path: our maximum and the peer's limit. */
  private ceiling: number;
  /** The largest size not known to be too large: the top of the search range. */
  private high: number;
  /** PROBED_SIZE of the search step under way, 0 between steps. */
  private probed = 0;
  /** PROBE_COUNT: probes of `probed` bytes lost in a row. */
  private probeCount = 0;
  /** Packet number of the probe in flight, -1 when none. */
  private probePn = -1;
  /** When the search last completed (PMTU_RAISE_TIMER). */
  private completedAt = 0;
  /** Packets sent at or before this time (the last PLPMTU change) say nothing about it. */
  private epoch = -Infinity;
  /** Packets larger than the base lost in a row since the last one acknowledged. */
  private largeLosses = 0;
  private firstLargeLossPn = -1;
  private largestLargeAckedPn = -1;
  private largestSmallAckedPn = -1;
  /** Full datagrams sent in the `base` phase (FULL_DATAGRAMS_BEFORE_SEARCH). */
  private fullDatagrams = 0;
  readonly stats: PmtudStats = { probesSent: 0, probesLost: 0, blackHoles: 0 };

  constructor(config: PmtudConfig) {
    if (!Number.isInteger(config.base) || config.base < QUIC_MIN_DATAGRAM) {
      throw new RangeError(`pmtud.base must be an integer >= ${QUIC_MIN_DATAGRAM}`);
    }
    if (!Number.isInteger(config.max) || config.max < config.base) {
      throw new RangeError('pmtud.max must be an integer >= pmtud.base');
    }
    this.base = config.base;
    this.max = config.max;
    this.raiseTimer = config.raiseTimer ?? PMTU_RAISE_TIMER;
    this.plpmtu = config.base;
    this.ceiling = config.base;
    this.high = config.base;
    this.state = config.enabled ? 'idle' : 'off';
  }

  /** The PLPMTU: the largest datagram to send on the path now. */
  get mtu(): number {
    return this.plpmtu;
  }

  get phase(): PmtudPhase {
    return this.state;
  }

  /** MAX_PLPMTU once started: the largest size the search may reach. */
  get maxSize(): number {
    return this.ceiling;
  }

  /**
   * The handshake is confirmed on this path (RFC 9000 §14.3.1): the base is confirmed, and the
   * search, bounded by the peer's max_udp_payload_size (RFC 9000 §18.2), waits for a datagram
   * of the full base size (`onDatagramSent`).
   */
  start(peerMaxUdpPayload: number, now: number): void {
    if (this.state !== 'idle') return;
    this.ceiling = Math.max(this.base, Math.min(this.max, peerMaxUdpPayload));
    this.high = this.ceiling;
    this.epoch = now;
    if (this.plpmtu >= this.high) this.searchOrComplete(now);
    else this.state = 'base';
  }

  /**
   * A datagram of `size` bytes left on the path. The search starts once
   * FULL_DATAGRAMS_BEFORE_SEARCH of them filled the PLPMTU (to within FULL_DATAGRAM_SLACK):
   * RFC 8899 leaves when to probe to the method, and a connection that rarely fills a datagram
   * (a request and a short response, the receiving side of a download, whose ACKs are small)
   * gains nothing from a larger one. Probing every new connection at once cost a short one
   * about eight more datagrams: the probes and their ACKs, in both directions.
   */
  onDatagramSent(size: number, now: number): void {
    if (
      this.state === 'base' &&
      size >= this.plpmtu - FULL_DATAGRAM_SLACK &&
      ++this.fullDatagrams >= FULL_DATAGRAMS_BEFORE_SEARCH
    ) {
      this.searchOrComplete(now);
    }
  }

  /**
   * The size of the probe to send now, or 0: none is due (no search under way, or a probe is in
   * flight). Once the search completed, it starts again after PMTU_RAISE_TIMER (RFC 8899
   * §5.1.1); asked only when there is data to send, so an idle connection sends no probes (§4.3
   * allows it).
   */
  probeSize(now: number): number {
    if (this.state === 'complete' && this.plpmtu < this.ceiling) {
      if (now - this.completedAt < this.raiseTimer) return 0;
      this.high = this.ceiling;
      this.state = 'searching';
    }
    if (this.state !== 'searching' || this.probePn >= 0) return 0;
    // Binary search of (PLPMTU, high]: each step halves the range (RFC 8899 §5.3.2: the gain of
    // each step is as large as it can be without knowing the path).
    if (this.probed === 0) this.probed = (this.plpmtu + this.high + 1) >>> 1;
    return this.probed;
  }

  /** A probe of `size` bytes (`probeSize`) left as packet `pn`. */
  onProbeSent(pn: number, size: number): void {
    if (size !== this.probed || this.state !== 'searching') return;
    this.probePn = pn;
    this.stats.probesSent++;
  }

  /** A packet sent on this path was acknowledged. True when the PLPMTU changed. */
  onPacketAcked(p: SizedPacket, now: number): boolean {
    if (p.pmtuProbe) {
      // A probe of an earlier search step (before a black hole) proves nothing about this one.
      if (p.pn !== this.probePn) return false;
      this.probePn = -1;
      this.probed = 0;
      this.probeCount = 0;
      this.plpmtu = p.size;
      this.epoch = now;
      this.searchOrComplete(now);
      return true;
    }
    if (this.state === 'idle' || this.state === 'off') return false;
    if (p.size > this.base) {
      if (p.pn > this.largestLargeAckedPn) this.largestLargeAckedPn = p.pn;
      // A full-size packet sent after the losses got through: no black hole.
      if (this.largeLosses > 0 && p.pn > this.firstLargeLossPn) this.largeLosses = 0;
    } else if (p.pn > this.largestSmallAckedPn) {
      this.largestSmallAckedPn = p.pn;
    }
    return this.blackHole(now);
  }

  /** Loss detection declared a packet sent on this path lost. True when the PLPMTU changed. */
  onPacketLost(p: SizedPacket, now: number): boolean {
    if (p.pmtuProbe) {
      if (p.pn !== this.probePn) return false;
      this.probePn = -1;
      this.stats.probesLost++;
      if (++this.probeCount >= MAX_PROBES) {
        // PROBED_SIZE is too large for the path: search below it (RFC 8899 §5.3.1).
        this.high = this.probed - 1;
        this.probed = 0;
        this.probeCount = 0;
        this.searchOrComplete(now);
      }
      return false;
    }
    if (this.state === 'idle' || this.state === 'off') return false;
    // Only packets larger than the base, sent at the current PLPMTU, and after the last
    // full-size packet that got through count toward a black hole.
    if (p.size <= this.base || p.timeSent <= this.epoch || p.pn < this.largestLargeAckedPn) {
      return false;
    }
    if (this.largeLosses === 0 || p.pn < this.firstLargeLossPn) this.firstLargeLossPn = p.pn;
    this.largeLosses++;
    return this.blackHole(now);
  }

  /**
   * RFC 8899 §4.3: full-size packets keep being lost while a smaller one sent after the first of
   * them got through, so the path no longer carries the PLPMTU: back to the base (§5.2, BASE:
   * the acknowledged small packet confirmed it) and search the whole range again, which also
   * recovers quickly if the losses had another cause.
   */
  private blackHole(now: number): boolean {
    if (this.largeLosses < BLACK_HOLE_THRESHOLD || this.largestSmallAckedPn < this.firstLargeLossPn)
      return false;
    this.stats.blackHoles++;
    this.largeLosses = 0;
    this.plpmtu = this.base;
    this.high = this.ceiling;
    this.probed = 0;
    this.probeCount = 0;
    this.probePn = -1;
    this.epoch = now;
    this.searchOrComplete(now);
    return true;
  }

  private searchOrComplete(now: number): void {
    if (this.plpmtu >= this.high) {
      this.state = 'complete';
      this.completedAt = now;
    } else {
      this.state = 'searching';
    }
  }
}
