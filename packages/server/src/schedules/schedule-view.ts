import type { ScheduleView } from '@kolejka/spec';
import type { ScheduleRecord, TaskState } from '../store/store.js';
import { nextFiringAt } from './schedule-timing.js';

/** A schedule as API v1 shows it; `lastTaskState` is read by the caller (absent: deleted). */
export function scheduleView(
  schedule: ScheduleRecord,
  now: Date,
  lastTaskState?: TaskState,
): ScheduleView {
  let next: Date | undefined;
  try {
    next = nextFiringAt(schedule, now);
  } catch {
    // A zone this Node no longer knows: shown without a next firing (the runner logs it).
  }
  return {
    id: schedule.id,
    owner: schedule.owner,
    ...(schedule.name === undefined ? {} : { name: schedule.name }),
    cron: schedule.cron,
    timezone: schedule.timezone,
    priority: schedule.priority,
    overlap: schedule.overlap,
    paused: schedule.isPaused,
    ...(next === undefined ? {} : { nextFiringAt: next.toISOString() }),
    ...(schedule.lastTickAt === undefined ? {} : { lastTickAt: schedule.lastTickAt.toISOString() }),
    ...(schedule.lastFiredAt === undefined
      ? {}
      : { lastFiredAt: schedule.lastFiredAt.toISOString() }),
    ...(schedule.lastTaskKey === undefined
      ? {}
      : {
          lastTask: {
            key: schedule.lastTaskKey,
            ...(lastTaskState === undefined ? {} : { state: lastTaskState }),
          },
        }),
    firedCount: schedule.firedCount,
    skippedCount: schedule.skippedCount,
    createdAt: schedule.createdAt.toISOString(),
    updatedAt: schedule.updatedAt.toISOString(),
    task: schedule.spec,
  };
}
