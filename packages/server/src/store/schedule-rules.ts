import { KolejkaError } from '@kolejka/spec';
import { fileBlobs, type FileBlob } from './store-rules.js';
import {
  SCHEDULE_OVERLAP_POLICIES,
  type FireOutcome,
  type ScheduleRecord,
} from './schedule-records.js';
import { TERMINAL_TASK_STATES, type TaskRecord, type TaskState } from './store-records.js';

/*
 * Rules of the schedule operations shared by the engines, kept pure so both decide alike;
 * each engine applies them inside its own atomic operation.
 */

/** Checks a schedule handed to `createSchedule`; returns the blobs its task spec names. */
export function assertNewSchedule(schedule: ScheduleRecord): FileBlob[] {
  if (!(SCHEDULE_OVERLAP_POLICIES as readonly string[]).includes(schedule.overlap))
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      `Invalid schedule overlap ${JSON.stringify(schedule.overlap)}: use ${SCHEDULE_OVERLAP_POLICIES.join(' or ')}`,
    );
  if (!Number.isSafeInteger(schedule.priority))
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      `Invalid schedule priority ${String(schedule.priority)}`,
    );
  if (schedule.cron.trim() === '' || schedule.timezone.trim() === '')
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      'A schedule needs a cron expression and a time zone',
    );
  return fileBlobs(schedule.spec.files, 'task');
}

/** Checks the task handed to `fireSchedule` for schedule `id`. */
export function assertFireTask(id: string, task: TaskRecord): void {
  if (task.schedule !== id)
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      `The task of a firing of schedule ${id} must record it (task.schedule), not ${JSON.stringify(task.schedule)}`,
    );
  if (task.state !== 'queued')
    throw new KolejkaError('KOLEJKA_VALIDATION', 'The task of a firing must be queued');
}

/**
 * What `fireSchedule` does, decided from the schedule and the state of its last task
 * (`undefined` when it has none or it is gone): `stale` (nothing changes), `skipped` (the
 * tick is consumed without a task) or `fire`.
 */
export function decideFiring(
  schedule: ScheduleRecord,
  tick: Date,
  lastTaskState: TaskState | undefined,
): 'stale' | 'skipped' | 'fire' {
  if (schedule.isPaused) return 'stale';
  if (schedule.lastTickAt !== undefined && tick.getTime() <= schedule.lastTickAt.getTime())
    return 'stale';
  if (
    schedule.overlap === 'skip' &&
    lastTaskState !== undefined &&
    !TERMINAL_TASK_STATES.includes(lastTaskState)
  )
    return 'skipped';
  return 'fire';
}

/** The schedule after a `skipped` or `fire` decision. */
export function consumeTick(
  schedule: ScheduleRecord,
  tick: Date,
  now: Date,
  firedTaskKey: string | undefined,
): ScheduleRecord {
  return firedTaskKey === undefined
    ? { ...schedule, lastTickAt: tick, skippedCount: schedule.skippedCount + 1, updatedAt: now }
    : {
        ...schedule,
        lastTickAt: tick,
        lastFiredAt: now,
        lastTaskKey: firedTaskKey,
        firedCount: schedule.firedCount + 1,
        updatedAt: now,
      };
}

/** The schedule after `updateSchedule` (resuming moves `lastTickAt` to `now`). */
export function applyScheduleChanges(
  schedule: ScheduleRecord,
  changes: { isPaused?: boolean; priority?: number },
  now: Date,
): ScheduleRecord {
  if (changes.priority !== undefined && !Number.isSafeInteger(changes.priority))
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      `Invalid schedule priority ${String(changes.priority)}`,
    );
  const isResumed = changes.isPaused === false && schedule.isPaused;
  const lastTickAt =
    isResumed && (schedule.lastTickAt === undefined || schedule.lastTickAt < now)
      ? now
      : schedule.lastTickAt;
  return {
    ...schedule,
    ...(changes.isPaused === undefined ? {} : { isPaused: changes.isPaused }),
    ...(changes.priority === undefined ? {} : { priority: changes.priority }),
    ...(lastTickAt === undefined ? {} : { lastTickAt }),
    updatedAt: now,
  };
}

export type { FireOutcome };
