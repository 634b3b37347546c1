import type { TaskEvent } from '../store/store.js';

/**
 * Per-user `maxRunning` (issue 12): which tasks of each user are assigned or running, kept
 * from the store's event log (so tasks assigned by other server processes count too) plus
 * this process's own claims the moment it makes them. Claims racing in several processes
 * may pass the limit by a few: it bounds a user's share, it is not a lock.
 */
export class RunningLimits {
  private readonly active = new Map<string, Set<string>>();
  private limits = new Map<string, number>();

  constructor(
    /** Called when a user drops below its limit (its tasks may be assigned again). */
    private readonly onBelowLimit: (owner: string) => void,
  ) {}

  isAtLimit(owner: string): boolean {
    const limit = this.limits.get(owner);
    return limit !== undefined && (this.active.get(owner)?.size ?? 0) >= limit;
  }

  /** A task of `owner` is assigned or running. */
  hold(owner: string, key: string): void {
    let keys = this.active.get(owner);
    if (keys === undefined) {
      keys = new Set();
      this.active.set(owner, keys);
    }
    keys.add(key);
  }

  /** A task of `owner` is no longer assigned or running. */
  drop(owner: string, key: string): void {
    const keys = this.active.get(owner);
    if (keys?.delete(key) !== true) return;
    if (keys.size === 0) this.active.delete(owner);
    const limit = this.limits.get(owner);
    if (limit !== undefined && keys.size < limit) this.onBelowLimit(owner);
  }

  follow(event: TaskEvent): void {
    if (event.isDeleted !== true && (event.state === 'assigned' || event.state === 'running'))
      this.hold(event.owner, event.taskKey);
    else this.drop(event.owner, event.taskKey);
  }

  /** Replaces the limits (users not named have none); users whose limit rose or went are released. */
  setLimits(limits: ReadonlyMap<string, number>): void {
    const before = this.limits;
    this.limits = new Map(limits);
    for (const [owner, limit] of before) {
      const now = this.limits.get(owner);
      if (now === undefined || now > limit) this.onBelowLimit(owner);
    }
  }
}
