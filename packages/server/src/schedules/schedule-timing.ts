import type { ScheduleRecord } from '../store/store.js';
import { latestTickAtOrBefore, nextTickAfter } from './cron-ticks.js';

/**
 * A tick fired this late still counts as on time, whatever the catch-up window: timers wake
 * late, a busy process answers late, and a window of 0 must not lose every tick to that.
 */
export const ON_TIME_GRACE_MS = 30_000;

/** What a schedule needs at `now`. */
export type ScheduleTiming =
  /** Fire this tick now (the latest one due, within the window: one firing for any number of missed ticks). */
  | { kind: 'fire'; tick: Date }
  /** Nothing to fire before `at` (undefined: never again). */
  | { kind: 'wait'; at: Date | undefined };

/**
 * Decides from the schedule's last consumed tick (or its creation) and the catch-up window.
 * Ticks missed longer ago than the window are not fired: the next one is waited for.
 */
export function scheduleTiming(
  schedule: ScheduleRecord,
  now: Date,
  catchUpMs: number,
): ScheduleTiming {
  const consumedUntil = schedule.lastTickAt ?? schedule.createdAt;
  const next = nextTickAfter(schedule, consumedUntil);
  if (next === undefined || next > now) return { kind: 'wait', at: next };
  const latest = latestTickAtOrBefore(schedule, now) ?? next;
  if (now.getTime() - latest.getTime() <= Math.max(catchUpMs, ON_TIME_GRACE_MS))
    return { kind: 'fire', tick: latest };
  return { kind: 'wait', at: nextTickAfter(schedule, now) };
}

/** The next tick a schedule will fire at, for people (the schedule view). */
export function nextFiringAt(schedule: ScheduleRecord, now: Date): Date | undefined {
  if (schedule.isPaused) return undefined;
  const consumedUntil = schedule.lastTickAt ?? schedule.createdAt;
  return nextTickAfter(schedule, consumedUntil > now ? consumedUntil : now);
}
