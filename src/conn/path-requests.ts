/**
 * Multipath (RFC 10069) paths the application asked to open or abandon (`openPath`,
 * `closePath`). Those calls have no `now`, so the requests wait here for the connection's next
 * entry point, which carries them out with its time (docs/ARCHITECTURE.md §2.1, explicit time).
 */
import type { SocketAddress } from '../util/address.js';
import type { ConnectionContext } from './context.js';
import type { Multipath, MultipathPath } from './multipath.js';
import { abandonPath, openPathNow } from './multipath-control.js';

interface OpenRequest {
  id: number;
  local: SocketAddress;
  remote: SocketAddress;
}

interface CloseRequest {
  path: MultipathPath;
  errorCode: number;
}

export class PathRequests {
  private readonly toOpen: OpenRequest[] = [];
  private readonly toClose: CloseRequest[] = [];

  /** Whether requests wait for the next entry point. */
  get pending(): boolean {
    return this.toOpen.length > 0 || this.toClose.length > 0;
  }

  /**
   * Reserves the next path ID that has CIDs on both sides (§3.1), not counting those already
   * requested; -1 when there is none, after queuing PATHS_BLOCKED or PATH_CIDS_BLOCKED (§4.7).
   */
  requestOpen(mp: Multipath, local: SocketAddress, remote: SocketAddress): number {
    const id = mp.nextOpenableId(this.toOpen.map((o) => o.id));
    if (id < 0) {
      mp.onOpenBlocked();
      return -1;
    }
    this.toOpen.push({ id, local, remote });
    return id;
  }

  /** Abandons `path` with PATH_ABANDON and `errorCode` at the next entry point (§3.4). */
  requestClose(path: MultipathPath, errorCode: number): void {
    this.toClose.push({ path, errorCode });
  }

  /** Carries the requests out at `now`, and queues the multipath frames waiting to be sent. */
  carryOut(conn: ConnectionContext, now: number): void {
    const mp = conn.multipath;
    if (mp === null || !mp.enabled) return;
    if (this.pending) {
      for (const o of this.toOpen) openPathNow(conn, o.id, o.local, o.remote, now);
      this.toOpen.length = 0;
      for (const c of this.toClose) {
        abandonPath(conn, c.path, c.errorCode, 'local', 'closed by the application', now);
      }
      this.toClose.length = 0;
    }
    if (mp.hasPendingFrames) for (const f of mp.takeFrames()) conn.controlFrames.queue(f);
  }
}
