import type { TaskSpecJson } from './task.js';
import type { TaskState } from './task-state.js';

/** `skip`: a tick whose previous task has not ended fires nothing; `allow`: every tick fires. */
export type ScheduleOverlapPolicy = 'skip' | 'allow';

/**
 * How API v1 shows a cron schedule (`GET /api/v1/schedules/{id}`): the server builds it,
 * the client reads it. Times are ISO-8601 UTC text.
 */
export interface ScheduleView {
  id: string;
  owner: string;
  name?: string;
  /** 5-field cron expression or nickname (`@hourly`, `@daily` …). */
  cron: string;
  /** IANA time zone the expression is read in. */
  timezone: string;
  priority: number;
  overlap: ScheduleOverlapPolicy;
  paused: boolean;
  /** The next tick it will fire at (absent when paused or when it never fires again). */
  nextFiringAt?: string;
  /** The last tick consumed (fired or skipped). */
  lastTickAt?: string;
  lastFiredAt?: string;
  /** The task of the last firing, with its state (absent when that task was deleted). */
  lastTask?: { key: string; state?: TaskState };
  firedCount: number;
  skippedCount: number;
  createdAt: string;
  updatedAt: string;
  /** The task every firing submits; `files[*].reference` are blob hashes. */
  task: TaskSpecJson;
}
