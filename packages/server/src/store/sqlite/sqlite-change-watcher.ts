/**
 * `waitForChange` for SQLite. `PRAGMA data_version` changes whenever another connection
 * (in this or another process) commits; reading it touches only the WAL index in shared
 * memory, so polling it every few milliseconds — only while someone waits — costs nearly
 * nothing and never scans a table. Commits of this connection do not change it, so the
 * store also calls `notifyLocal()` after its own writes.
 */
export class SqliteChangeWatcher {
  private readonly waiters = new Set<Waiter>();
  private timer: NodeJS.Timeout | undefined;
  private isClosed = false;

  constructor(
    private readonly readDataVersion: () => number,
    private readonly readLastSeq: () => number,
    private readonly pollIntervalMs: number,
  ) {}

  wait(timeoutMs: number, signal?: AbortSignal, afterSeq?: number): Promise<void> {
    if (this.isClosed || signal?.aborted === true) return Promise.resolve();
    // The version is read before the seq: a commit between the two is seen by one of them.
    const dataVersion = this.readDataVersion();
    if (afterSeq !== undefined && this.readLastSeq() > afterSeq) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const waiter: Waiter = {
        dataVersion,
        afterSeq,
        resolve: () => {
          this.waiters.delete(waiter);
          clearTimeout(timeout);
          signal?.removeEventListener('abort', waiter.resolve);
          if (this.waiters.size === 0) this.stopPolling();
          resolve();
        },
      };
      const timeout = setTimeout(waiter.resolve, Math.max(0, timeoutMs));
      signal?.addEventListener('abort', waiter.resolve, { once: true });
      this.waiters.add(waiter);
      this.timer ??= setInterval(() => this.poll(), this.pollIntervalMs);
    });
  }

  /** This connection wrote: wake the waiters its writes concern. */
  notifyLocal(): void {
    if (this.waiters.size === 0) return;
    this.wake(() => true);
  }

  close(): void {
    this.isClosed = true;
    for (const waiter of [...this.waiters]) waiter.resolve();
    this.stopPolling();
  }

  private poll(): void {
    try {
      const version = this.readDataVersion();
      this.wake((waiter) => {
        if (waiter.dataVersion === version) return false;
        waiter.dataVersion = version;
        return true;
      });
    } catch {
      // The connection is gone (closed under us): let the waiters go.
      this.close();
    }
  }

  /** Resolves the waiters `changed` selects and whose `afterSeq` (if any) was passed. */
  private wake(changed: (waiter: Waiter) => boolean): void {
    let lastSeq: number | undefined;
    for (const waiter of [...this.waiters]) {
      if (!changed(waiter)) continue;
      if (waiter.afterSeq !== undefined) {
        lastSeq ??= this.readLastSeq();
        if (lastSeq <= waiter.afterSeq) continue;
      }
      waiter.resolve();
    }
  }

  private stopPolling(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}

interface Waiter {
  dataVersion: number;
  afterSeq: number | undefined;
  resolve: () => void;
}
