import { backoffDelayMs } from '@kolejka/cli-kit/backoff';

/**
 * Pauses of a rejected task before this process offers it again: a window of 500 ms that
 * doubles per rejection up to 30 s, jittered so that tasks turned down together do not all
 * come back at once, and at least 100 ms so that a rejected task never bounces at once.
 */
const REJECTION_BACKOFF = { baseMs: 500, maxMs: 30_000, minMs: 100 };

/**
 * Rejections (that are not about the foreman's own state) after which a task fails instead
 * of being offered again: a task no foreman can start (Docker refuses its limits, no node
 * has the runtime it needs) must not bounce forever. The pauses before it add up to 7.5 s.
 */
export const MAX_REJECTIONS = 5;

/**
 * Tasks a foreman turned down sit out a growing pause before they are offered again, so a
 * task no foreman will take (an image that cannot be had) does not bounce in a tight loop.
 * The task stays queued in the store meanwhile: other server processes may still assign it.
 */
export class RejectionBackoff {
  private readonly parked = new Map<string, NodeJS.Timeout>();
  private readonly counts = new Map<string, number>();

  constructor(private readonly readmit: (key: string) => void) {}

  /** Parks the task; `isCounted` false (a foreman busy with itself) keeps the count. Returns the count. */
  park(key: string, isCounted = true): number {
    const count = (this.counts.get(key) ?? 0) + (isCounted ? 1 : 0);
    this.counts.set(key, count);
    clearTimeout(this.parked.get(key));
    const pauseMs = backoffDelayMs(REJECTION_BACKOFF, Math.max(count - 1, 0));
    const timer = setTimeout(() => {
      this.parked.delete(key);
      this.readmit(key);
    }, pauseMs);
    timer.unref();
    this.parked.set(key, timer);
    return count;
  }

  isParked(key: string): boolean {
    return this.parked.has(key);
  }

  /** The task ended or was deleted: no more pauses to remember. */
  forget(key: string): void {
    clearTimeout(this.parked.get(key));
    this.parked.delete(key);
    this.counts.delete(key);
  }

  close(): void {
    for (const timer of this.parked.values()) clearTimeout(timer);
    this.parked.clear();
    this.counts.clear();
  }
}
