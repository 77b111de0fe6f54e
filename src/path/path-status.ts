/**
 * Path status signalling (RFC 10069 §3.3, §4.3): the PATH_STATUS_AVAILABLE / PATH_STATUS_BACKUP
 * frames we send, numbered per path ID in one sequence space for both frame types, and the
 * peer's, of which only a frame newer than every earlier one for its path counts (frames may
 * arrive out of order, over different paths).
 */
import type { PathStatusAvailableFrame, PathStatusBackupFrame } from '../wire/frame-types.js';
import type { PathStatus } from './schedulers/types.js';

export type PathStatusFrame = PathStatusAvailableFrame | PathStatusBackupFrame;

interface Entry {
  /** The peer's status for the path; "available" until it says otherwise. */
  peerStatus: PathStatus;
  /** The highest sequence number received, -1 before any. */
  received: number;
  /** The sequence number of our next frame. */
  nextSend: number;
  /** The sequence number of our last frame for the path (worth repeating when lost, §4.3). */
  lastSent: number;
}

export class PathStatusSignals {
  /**
   * Per path ID. Entries come only for path IDs within our limit (the caller checks them with
   * PathIdLimits first) and go with `forget`, so a peer cannot grow this beyond that limit.
   */
  private readonly paths = new Map<number, Entry>();

  private entry(pathId: number): Entry {
    let e = this.paths.get(pathId);
    if (e === undefined) {
      e = { peerStatus: 'available', received: -1, nextSend: 0, lastSent: -1 };
      this.paths.set(pathId, e);
    }
    return e;
  }

  /** The status the peer asked for on `pathId` ("available" when it sent none, §3.3). */
  peerStatus(pathId: number): PathStatus {
    return this.paths.get(pathId)?.peerStatus ?? 'available';
  }

  /**
   * A status frame from the peer. Returns the path's new status, or null when the frame is not
   * newer than one already received for the path and must be ignored (§4.3).
   */
  onFrame(frame: PathStatusFrame): PathStatus | null {
    const e = this.entry(frame.pathId);
    if (frame.sequenceNumber <= e.received) return null;
    e.received = frame.sequenceNumber;
    e.peerStatus = frame.kind === 'path_status_backup' ? 'backup' : 'available';
    return e.peerStatus;
  }

  /** The frame announcing our `status` for `pathId`, with the path's next sequence number. */
  announce(pathId: number, status: PathStatus): PathStatusFrame {
    const e = this.entry(pathId);
    const sequenceNumber = e.nextSend++;
    const frame: PathStatusFrame =
      status === 'backup'
        ? { kind: 'path_status_backup', pathId, sequenceNumber }
        : { kind: 'path_status_available', pathId, sequenceNumber };
    e.lastSent = sequenceNumber;
    return frame;
  }

  /**
   * A status frame of ours was lost: resend it only if it is still the last one sent for its
   * path (§4.3: "only if it contains the last status sent for that path").
   */
  shouldResend(frame: PathStatusFrame): boolean {
    return this.paths.get(frame.pathId)?.lastSent === frame.sequenceNumber;
  }

  /** The path is closed: its numbering ends with it. */
  forget(pathId: number): void {
    this.paths.delete(pathId);
  }
}
