import type { TaskSpecJson } from '@kolejka/spec';
import type { TaskRecord } from './store-records.js';

/* The records of cron schedules (issue 12): a schedule fires a task once per tick of its
 * cron expression; the store's `fireSchedule` is the claim that makes "once" hold. */

/** `skip`: a tick whose previous task has not ended is consumed without a task; `allow`: always fire. */
export const SCHEDULE_OVERLAP_POLICIES = ['skip', 'allow'] as const;
export type ScheduleOverlap = (typeof SCHEDULE_OVERLAP_POLICIES)[number];

export interface ScheduleRecord {
  /** uuid4 hex issued by the server. */
  id: string;
  owner: string;
  /** A label for people; not unique. */
  name?: string;
  /** A 5-field cron expression or a nickname (`@hourly`, `@daily` …), checked at creation. */
  cron: string;
  /** IANA time zone the expression is read in (`UTC`, `Europe/Warsaw`). */
  timezone: string;
  /**
   * The task each firing submits, canonical as a stored task's: `files[*].reference` are
   * blob hashes (they count as references for the gc), limits already capped; no `id`.
   */
  spec: TaskSpecJson;
  /** Priority of the tasks it submits. */
  priority: number;
  overlap: ScheduleOverlap;
  isPaused: boolean;
  /**
   * The last tick consumed (fired or skipped): no tick at or before it fires again. Resuming
   * a paused schedule moves it to the resume time, so ticks missed while paused never fire.
   */
  lastTickAt?: Date;
  /** When the last task was created (the firing's `now`). */
  lastFiredAt?: Date;
  /** The task of the last firing. */
  lastTaskKey?: string;
  firedCount: number;
  skippedCount: number;
  createdAt: Date;
  updatedAt: Date;
}

/** What `updateSchedule` may change. */
export interface ScheduleChanges {
  isPaused?: boolean;
  priority?: number;
}

export interface ScheduleFilter {
  owner?: string;
  isPaused?: boolean;
}

/** The answer of `fireSchedule`. */
export type FireOutcome =
  /** The task was created (queued, recording the schedule) and the tick consumed. */
  | { outcome: 'fired'; schedule: ScheduleRecord; task: TaskRecord }
  /** Overlap `skip` and the last task has not ended: the tick is consumed, no task. */
  | { outcome: 'skipped'; schedule: ScheduleRecord }
  /** The tick was consumed already (another process fired it) or the schedule is paused. */
  | { outcome: 'stale'; schedule: ScheduleRecord }
  | { outcome: 'not_found' };
