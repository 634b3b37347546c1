import { TASK_STATES, type TaskActivity, type TaskState } from '../store/store.js';

/** The window the overview's rates cover. */
export const WINDOW_SECONDS = 3600;
const MINUTES = WINDOW_SECONDS / 60;

export interface QueueWait {
  windowSeconds: number;
  /** Tasks assigned in the window. */
  samples: number;
  /** Median of `assignedAt - createdAt` over them; null without samples. */
  p50Ms: number | null;
  p95Ms: number | null;
}

export interface Throughput {
  windowSeconds: number;
  finished: number;
  failed: number;
  cancelled: number;
  /** Tasks ended (finished, failed or cancelled) in each minute of the window, oldest first. */
  perMinute: number[];
}

/** Nearest-rank percentile of ascending values; null when there are none. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] ?? null;
}

export function queueWaitOf(activity: TaskActivity): QueueWait {
  return {
    windowSeconds: WINDOW_SECONDS,
    samples: activity.waitsMs.length,
    p50Ms: percentile(activity.waitsMs, 0.5),
    p95Ms: percentile(activity.waitsMs, 0.95),
  };
}

/** `activity` read since the window's start. */
export function throughputOf(activity: TaskActivity): Throughput {
  const out: Throughput = {
    windowSeconds: WINDOW_SECONDS,
    finished: 0,
    failed: 0,
    cancelled: 0,
    perMinute: new Array<number>(MINUTES).fill(0),
  };
  for (const { minute, state, count } of activity.ended) {
    out[state] += count;
    // A task ended "after now" by a server whose clock is a little ahead counts as this minute.
    const index = Math.min(MINUTES - 1, Math.max(0, minute));
    out.perMinute[index] = (out.perMinute[index] ?? 0) + count;
  }
  return out;
}

/** Where the window starts when it ends at `now`. */
export function windowStart(now: Date): Date {
  return new Date(now.getTime() - WINDOW_SECONDS * 1000);
}

/** Counts in every state, zeros included, in the states' order. */
export function stateCounts(counts: Partial<Record<TaskState, number>>): Record<TaskState, number> {
  return Object.fromEntries(TASK_STATES.map((state) => [state, counts[state] ?? 0])) as Record<
    TaskState,
    number
  >;
}
