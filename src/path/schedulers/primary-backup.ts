/**
 * The "primary with backup" scheduler: one path carries all data (the working available path
 * with the lowest path ID: the first one opened, usually the handshake's path 0) and the others
 * stand by; when it fails, the next takes over, and a path the peer marked backup only when no
 * available path works (RFC 10069 §3.3). Failover without aggregation, for links that cost
 * (cellular behind Wi-Fi). Data waits for the primary's window instead of spilling over.
 */
import { MinRttScheduler } from './min-rtt.js';
import {
  isWorking,
  type PathSchedulerOptions,
  type SchedulablePath,
  type SendPurpose,
} from './types.js';

export class PrimaryBackupScheduler extends MinRttScheduler {
  constructor(options: PathSchedulerOptions = {}) {
    super(options, 'backup');
  }

  override select<P extends SchedulablePath>(paths: readonly P[], purpose: SendPurpose): P | null {
    const primary = this.primary(paths);
    if (primary === null) return null;
    return purpose === 'probe' || primary.sendAllowance > 0 ? primary : null;
  }

  /** The working path of the preferred status with the lowest path ID. */
  private primary<P extends SchedulablePath>(paths: readonly P[]): P | null {
    let available: P | null = null;
    let backup: P | null = null;
    for (const p of paths) {
      if (!isWorking(p, this.failingPtoCount)) continue;
      if (p.status === 'available') {
        if (available === null || p.pathId < available.pathId) available = p;
      } else if (backup === null || p.pathId < backup.pathId) {
        backup = p;
      }
    }
    return available ?? backup;
  }
}
