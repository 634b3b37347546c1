import { KolejkaError, type TaskSpecJson } from '@kolejka/spec';
import {
  applyScheduleChanges,
  assertFireTask,
  assertNewSchedule,
  consumeTick,
  decideFiring,
} from '../schedule-rules.js';
import { distinctHashes, specText, unknownBlobError } from '../store-rules.js';
import type {
  FireOutcome,
  ScheduleChanges,
  ScheduleFilter,
  ScheduleOverlap,
  ScheduleRecord,
  TaskRecord,
  TaskState,
} from '../store.js';
import { isConstraintError, type SqliteDb } from './sqlite-db.js';
import { ms } from './sqlite-rows.js';
import { createTask, getTask } from './sqlite-tasks.js';

/* Cron schedules (issue 12): the records and the firing claim. */

interface ScheduleRow {
  id: string;
  owner: string;
  name: string | null;
  cron: string;
  timezone: string;
  spec: string;
  priority: number;
  overlap: ScheduleOverlap;
  is_paused: number;
  last_tick_at: number | null;
  last_fired_at: number | null;
  last_task_key: string | null;
  fired_count: number;
  skipped_count: number;
  created_at: number;
  updated_at: number;
}

function scheduleFromRow(row: ScheduleRow): ScheduleRecord {
  return {
    id: row.id,
    owner: row.owner,
    ...(row.name === null ? {} : { name: row.name }),
    cron: row.cron,
    timezone: row.timezone,
    spec: JSON.parse(row.spec) as TaskSpecJson,
    priority: row.priority,
    overlap: row.overlap,
    isPaused: row.is_paused !== 0,
    ...(row.last_tick_at === null ? {} : { lastTickAt: new Date(row.last_tick_at) }),
    ...(row.last_fired_at === null ? {} : { lastFiredAt: new Date(row.last_fired_at) }),
    ...(row.last_task_key === null ? {} : { lastTaskKey: row.last_task_key }),
    firedCount: row.fired_count,
    skippedCount: row.skipped_count,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

/** The columns a schedule's mutable state writes (every other column is set at creation). */
function stateParams(schedule: ScheduleRecord): Record<string, string | number | null> {
  return {
    id: schedule.id,
    priority: schedule.priority,
    isPaused: schedule.isPaused ? 1 : 0,
    lastTickAt: ms(schedule.lastTickAt),
    lastFiredAt: ms(schedule.lastFiredAt),
    lastTaskKey: schedule.lastTaskKey ?? null,
    firedCount: schedule.firedCount,
    skippedCount: schedule.skippedCount,
    updatedAt: ms(schedule.updatedAt),
  };
}

const UPDATE_STATE = `UPDATE schedules SET priority = @priority, is_paused = @isPaused,
  last_tick_at = @lastTickAt, last_fired_at = @lastFiredAt, last_task_key = @lastTaskKey,
  fired_count = @firedCount, skipped_count = @skippedCount, updated_at = @updatedAt
  WHERE id = @id`;

export function createSchedule(db: SqliteDb, schedule: ScheduleRecord): void {
  const blobs = assertNewSchedule(schedule);
  db.write(() => {
    for (const blob of blobs)
      if (db.get('SELECT 1 FROM blobs WHERE hash = @hash', { hash: blob.hash }) === undefined)
        throw unknownBlobError('task', blob);
    try {
      db.run(
        `INSERT INTO schedules (id, owner, name, cron, timezone, spec, priority, overlap,
           is_paused, last_tick_at, last_fired_at, last_task_key, fired_count, skipped_count,
           created_at, updated_at)
         VALUES (@id, @owner, @name, @cron, @timezone, @spec, @priority, @overlap, @isPaused,
           @lastTickAt, @lastFiredAt, @lastTaskKey, @firedCount, @skippedCount, @createdAt,
           @updatedAt)`,
        {
          ...stateParams(schedule),
          owner: schedule.owner,
          name: schedule.name ?? null,
          cron: schedule.cron,
          timezone: schedule.timezone,
          spec: specText(schedule.spec),
          overlap: schedule.overlap,
          createdAt: ms(schedule.createdAt),
        },
      );
    } catch (error) {
      if (isConstraintError(error, 'PRIMARYKEY'))
        throw new KolejkaError('KOLEJKA_CONFLICT', `Schedule ${schedule.id} exists`, {
          cause: error,
        });
      throw error;
    }
    for (const hash of distinctHashes(blobs))
      db.run('INSERT INTO schedule_blobs (schedule_id, hash) VALUES (@id, @hash)', {
        id: schedule.id,
        hash,
      });
  });
}

export function getSchedule(db: SqliteDb, id: string): ScheduleRecord | undefined {
  const row = db.get<ScheduleRow>('SELECT * FROM schedules WHERE id = @id', { id });
  return row && scheduleFromRow(row);
}

export function listSchedules(db: SqliteDb, filter: ScheduleFilter): ScheduleRecord[] {
  const where: string[] = [];
  if (filter.owner !== undefined) where.push('owner = @owner');
  if (filter.isPaused !== undefined) where.push('is_paused = @isPaused');
  return db
    .all<ScheduleRow>(
      `SELECT * FROM schedules ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY created_at, id`,
      {
        ...(filter.owner === undefined ? {} : { owner: filter.owner }),
        ...(filter.isPaused === undefined ? {} : { isPaused: filter.isPaused ? 1 : 0 }),
      },
    )
    .map(scheduleFromRow);
}

export function updateSchedule(
  db: SqliteDb,
  id: string,
  changes: ScheduleChanges,
  now: Date,
): ScheduleRecord | undefined {
  return db.write(() => {
    const current = getSchedule(db, id);
    if (current === undefined) return undefined;
    const next = applyScheduleChanges(current, changes, now);
    db.run(UPDATE_STATE, stateParams(next));
    return next;
  });
}

export function deleteSchedule(db: SqliteDb, id: string): boolean {
  // schedule_blobs go with it (ON DELETE CASCADE).
  return db.write(() => db.run('DELETE FROM schedules WHERE id = @id', { id })).changes > 0;
}

export function fireSchedule(
  db: SqliteDb,
  id: string,
  tick: Date,
  task: TaskRecord,
  now: Date,
): FireOutcome {
  assertFireTask(id, task);
  // One IMMEDIATE transaction: the read of the schedule and of its last task, the task's
  // insert and the tick's consumption commit together or not at all.
  return db.write((): FireOutcome => {
    const schedule = getSchedule(db, id);
    if (schedule === undefined) return { outcome: 'not_found' };
    const lastState: TaskState | undefined =
      schedule.lastTaskKey === undefined ? undefined : getTask(db, schedule.lastTaskKey)?.state;
    const decision = decideFiring(schedule, tick, lastState);
    if (decision === 'stale') return { outcome: 'stale', schedule };
    if (decision === 'skipped') {
      const skipped = consumeTick(schedule, tick, now, undefined);
      db.run(UPDATE_STATE, stateParams(skipped));
      return { outcome: 'skipped', schedule: skipped };
    }
    createTask(db, task);
    const fired = consumeTick(schedule, tick, now, task.key);
    db.run(UPDATE_STATE, stateParams(fired));
    const created = getTask(db, task.key);
    if (created === undefined) throw new Error('the fired task vanished inside its transaction');
    return { outcome: 'fired', schedule: fired, task: created };
  });
}
