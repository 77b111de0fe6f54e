/**
 * The path ID limits of a multipath connection in both directions (RFC 10069 §2.1, §4.6, §4.7):
 * the largest path ID we allow the peer (our initial_max_path_id, raised by our MAX_PATH_ID
 * frames) and the largest the peer allows us (its parameter, raised by its MAX_PATH_ID), with
 * the receive-side rules of the MAX_PATH_ID and PATHS_BLOCKED frames and of path IDs in the
 * other multipath frames. Outcomes are return values; a violation is a QuicError to close with.
 */
import { QuicError, TransportError } from '../wire/errors.js';
import {
  FrameType,
  MAX_PATH_ID_VALUE,
  type MaxPathIdFrame,
  type PathsBlockedFrame,
} from '../wire/frame-types.js';

function violation(message: string, frameType: number): QuicError {
  return new QuicError(TransportError.PROTOCOL_VIOLATION, message, frameType);
}

export class PathIdLimits {
  /** The largest path ID we allow the peer: CIDs we issue and paths it opens (§2.1). */
  private localMax: number;
  /** The largest path ID the peer allows us (its initial_max_path_id or MAX_PATH_ID). */
  private peerMax: number;
  /** The limit we last reported as blocking us (PATHS_BLOCKED), -1 when none. */
  private blockedAt = -1;

  /**
   * `localInitial`: the initial_max_path_id we sent; `peerInitial`: the one we received. Both
   * are at most 2^32-1, which the transport parameter codec guarantees.
   */
  constructor(
    localInitial: number,
    private readonly peerInitial: number,
  ) {
    this.localMax = localInitial;
    this.peerMax = peerInitial;
  }

  /** The largest path ID we allow the peer to use. */
  get localMaxPathId(): number {
    return this.localMax;
  }

  /** The largest path ID we may use. */
  get peerMaxPathId(): number {
    return this.peerMax;
  }

  /** Whether we may open path `pathId` now (its ID within the peer's limit). */
  mayOpen(pathId: number): boolean {
    return pathId <= this.peerMax;
  }

  /**
   * RFC 10069 §4: a multipath frame from the peer naming a path ID above our limit is a
   * PROTOCOL_VIOLATION ("higher than the local maximum value", §4.7). Returns the error, or null.
   */
  checkPeerPathId(pathId: number, frameType: number): QuicError | null {
    return pathId > this.localMax
      ? violation(`path ID ${pathId} above our maximum ${this.localMax}`, frameType)
      : null;
  }

  /**
   * A MAX_PATH_ID frame (§4.6): a value below the peer's initial_max_path_id is a
   * PROTOCOL_VIOLATION (the decoder already rejects values above 2^32-1); one that does not
   * raise the limit is ignored. Returns the error, or null (`peerMaxPathId` then holds the
   * limit, raised or not).
   */
  onMaxPathId(frame: MaxPathIdFrame): QuicError | null {
    if (frame.maximum < this.peerInitial) {
      return violation(
        `MAX_PATH_ID ${frame.maximum} below initial_max_path_id ${this.peerInitial}`,
        FrameType.MAX_PATH_ID,
      );
    }
    if (frame.maximum > this.peerMax) this.peerMax = frame.maximum;
    return null;
  }

  /**
   * A PATHS_BLOCKED frame (§4.7): a Maximum Path Identifier above our limit is a
   * PROTOCOL_VIOLATION; below it, the frame is stale. Returns the error, `true` when the peer
   * is blocked at our current limit (we may raise it with `raiseLocalMax`; nothing obliges us),
   * or `false`.
   */
  onPathsBlocked(frame: PathsBlockedFrame): QuicError | boolean {
    if (frame.maximum > this.localMax) {
      return violation(
        `PATHS_BLOCKED at ${frame.maximum}, above our maximum ${this.localMax}`,
        FrameType.PATHS_BLOCKED,
      );
    }
    return frame.maximum === this.localMax;
  }

  /**
   * Raises the limit we allow the peer to `maximum` (at most 2^32-1, §4.6) and returns the
   * MAX_PATH_ID frame announcing it, or null when it does not raise the limit.
   */
  raiseLocalMax(maximum: number): MaxPathIdFrame | null {
    if (!(Number.isInteger(maximum) && maximum >= 0 && maximum <= MAX_PATH_ID_VALUE)) {
      throw new RangeError(`maximum path ID out of range: ${maximum}`);
    }
    if (maximum <= this.localMax) return null;
    this.localMax = maximum;
    return { kind: 'max_path_id', maximum };
  }

  /**
   * We want path `pathId` but the peer's limit is below it: the PATHS_BLOCKED frame to send
   * (§4.7), once per limit (repeating it "will not change that"), else null.
   */
  blocked(pathId: number): PathsBlockedFrame | null {
    if (pathId <= this.peerMax || this.blockedAt === this.peerMax) return null;
    this.blockedAt = this.peerMax;
    return { kind: 'paths_blocked', maximum: this.peerMax };
  }
}
